// widgets.js: the building blocks views share: buttons that call the API
// (act), labelled fields and their error messages, the confirm dialog,
// icons, select options and hours-and-minutes inputs.

import { $, $$, h, svg, newId } from './dom.js';
import { t } from './i18n.js';
import { render } from './router.js';
import { say, sayError } from './toast.js';

// act runs an API call from a button: it disables the button, announces
// done (or the error) and refreshes the view.
export async function act(btn, fn, done) {
  if (btn) btn.disabled = true;
  try {
    await fn();
    if (done !== false) say(done || t('page.saved'));
    await render(false);
  } catch (e) {
    sayError(e);
    if (btn) btn.disabled = false;
  }
}

// showFieldErrors puts an ApiError's field messages next to the fields of
// form (elements .field-error[data-field]) and the rest into .form-error.
export function showFieldErrors(form, err) {
  const fields = (err && err.fields) || {};
  let shown = false;
  for (const el of $$('.field-error', form)) {
    const msg = fields[el.dataset.field] || '';
    el.textContent = msg;
    const input = form.querySelector('[name="' + el.dataset.field + '"]');
    if (input) {
      if (msg) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    }
    if (msg) shown = true;
  }
  const general = $('.form-error', form);
  if (general) general.textContent = err && !shown ? err.message : '';
  const bad = $('[aria-invalid="true"]', form);
  if (bad) bad.focus();
}

// field builds a labelled input with its error slot.
export function field(lbl, input, hint) {
  const id = input.id || (input.id = newId('f'));
  const name = input.getAttribute('name');
  const hintEl = hint ? h('small', { class: 'hint', id: id + '-hint' }, hint) : null;
  const err = name ? h('small', { class: 'field-error', 'data-field': name, id: id + '-err', 'aria-live': 'polite' }) : null;
  const by = [hintEl && hintEl.id, err && err.id].filter(Boolean).join(' ');
  if (by) input.setAttribute('aria-describedby', by);
  return h('div', { class: 'field' }, h('label', { for: id }, lbl), input, hintEl, err);
}

// confirmBox asks a yes/no question in a modal dialog.
export function confirmBox(message, okText) {
  return new Promise((resolve) => {
    const msgId = newId('dlg');
    const done = (v) => { dlg.close(); dlg.remove(); resolve(v); };
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': msgId },
      h('p', { id: msgId }, message),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => done(false) }, t('page.cancel')),
        h('button', { type: 'button', class: 'btn danger', 'data-confirm': '', onclick: () => done(true) }, okText || t('page.ok'))));
    dlg.addEventListener('cancel', (ev) => { ev.preventDefault(); done(false); });
    document.body.append(dlg);
    dlg.showModal();
  });
}

// icon returns a small inline SVG icon (decorative).
const ICONS = {
  lock: 'M7 10V7a5 5 0 0 1 10 0v3h1a1 1 0 0 1 1 1v9a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1v-9a1 1 0 0 1 1-1h1zm2 0h6V7a3 3 0 0 0-6 0v3z',
  moon: 'M20 15.3A8.5 8.5 0 0 1 8.7 4a8.5 8.5 0 1 0 11.3 11.3z',
  pause: 'M7 5h4v14H7zM13 5h4v14h-4z',
  clock: 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 5v5.4l3.5 2.1-1 1.7L11 13.6V7h2z',
  check: 'M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z',
  device: 'M7 2h10a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm0 3v13h10V5H7zm4 14v1h2v-1h-2z',
  new: 'M12 2l2.4 6.9H22l-6 4.5 2.3 7-6.3-4.4-6.3 4.4 2.3-7-6-4.5h7.6z',
};
export const icon = (name, cls) => svg('svg', { class: ['icon', cls], viewBox: '0 0 24 24', 'aria-hidden': 'true', focusable: 'false' },
  svg('path', { d: ICONS[name] }));

// lockNote is the mark of a setting the ISP locked.
export const lockNote = (text) => h('span', { class: 'locked' }, icon('lock'), text || t('page.locked_isp'));

export const options = (list, current, text) => list.map((v) => h('option', { value: v, selected: v === current }, text ? text(v) : v));

// hmInputs are hours and minutes inputs for a duration.
export function hmInputs(key, sec, lbl) {
  const hrs = h('input', { type: 'number', min: '0', max: '24', step: '1', inputmode: 'numeric', value: String(Math.floor((sec || 0) / 3600)), 'data-key': key + '-h', 'aria-label': t('page.limits.hours') });
  const min = h('input', { type: 'number', min: '0', max: '59', step: '5', inputmode: 'numeric', value: String(Math.round(((sec || 0) % 3600) / 60)), 'data-key': key + '-m', 'aria-label': t('page.limits.minutes') });
  const box = h('div', { class: 'hm', role: 'group', 'aria-label': lbl },
    h('label', null, hrs, h('span', null, t('page.limits.h_short'))),
    h('label', null, min, h('span', null, t('page.limits.m_short'))));
  return { box, value: () => (Number(hrs.value) || 0) * 3600 + (Number(min.value) || 0) * 60, inputs: [hrs, min] };
}
