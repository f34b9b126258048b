// schedules.js: the Schedules page (bedtime, focus and allowed hours) and
// the schedule editor: kind, weekly grid, windows by days and times, and
// who follows it.

import { $$, h } from './dom.js';
import { t, label } from './i18n.js';
import { DAYS, fmtList, weekdayName } from './time.js';
import { API, ApiError } from './api.js';
import { go } from './router.js';
import { say, sayError } from './toast.js';
import { confirmBox, field, showFieldErrors } from './widgets.js';
import { catLabel, profileLabel } from './household.js';
import { SLOTS, hmText, slotHM, weekFromWindows, windowText, windowsFromWeek } from './week.js';
import { weekGrid } from './weekgrid.js';

export async function viewSchedules(r) {
  const hh = await API.household();
  if (r.arg) return scheduleEditor(hh, r.arg === 'new' ? null : (hh.schedules || []).find((s) => s.id === r.arg), r);
  const list = hh.schedules || [];
  return [
    h('h1', null, t('page.nav.schedules')),
    h('p', { class: 'lead' }, t('page.sched.intro')),
    h('p', null, h('a', { href: '#/schedules/new', class: 'btn primary', 'data-key': 'sc-new' }, t('page.sched.new'))),
    list.length === 0 ? h('p', { class: 'panel muted' }, t('page.sched.none')) : null,
    h('ul', { class: 'cards' }, list.map((s) => {
      const people = (hh.people || []).filter((p) => (p.schedules || []).includes(s.id)).map((p) => p.name);
      const profs = (hh.profiles || []).filter((p) => (p.schedules || []).includes(s.id)).map((p) => profileLabel(p.id));
      return h('li', { class: 'card schedule', 'data-schedule': s.id },
        h('header', { class: 'card-head' }, h('h2', { translate: 'no' }, s.name || s.id), h('span', { class: ['tag', 'kind-' + s.kind] }, label('kind_sched', s.kind))),
        h('ul', { class: 'plain' }, windowsFromWeek(weekFromWindows(s.windows)).map((w) => h('li', null, windowText(w)))),
        s.kind === 'focus' && (s.block_category || []).length ? h('p', { class: 'muted' }, t('page.sched.focus_blocks', { list: fmtList(s.block_category.map(catLabel)) })) : null,
        h('p', { class: 'muted' }, people.length || profs.length ? t('page.sched.applies_to', { names: fmtList(people.concat(profs)) }) : t('page.sched.applies_nobody')),
        h('a', { href: '#/schedules/' + encodeURIComponent(s.id), class: 'btn', 'data-key': 'sc-edit-' + s.id, 'aria-label': t('page.sched.edit_named', { name: s.name || s.id }) }, t('page.edit')));
    })),
  ];
}

function scheduleEditor(hh, sc, r) {
  const isNew = !sc;
  const kindQ = r.q.get('kind');
  sc = sc || { id: '', name: '', kind: ['bedtime', 'focus', 'allowed'].includes(kindQ) ? kindQ : 'bedtime', windows: [], block_category: [] };
  const cells = weekFromWindows(sc.windows);
  const name = h('input', { name: 'name', value: sc.name || '', required: true, maxlength: '64', 'data-key': 'sc-name', autocomplete: 'off' });
  let kind = sc.kind;
  const summary = h('ul', { class: 'windows', 'aria-live': 'polite' });
  const grid = weekGrid(cells, () => showSummary());
  const focusBox = h('fieldset', { class: 'focus-cats', hidden: kind !== 'focus' },
    h('legend', null, t('page.sched.focus_cats')),
    h('div', { class: 'checks' }, (hh.categories || []).filter((c) => c !== 'allowlist').map((c) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'block_category', value: c, checked: (sc.block_category || []).includes(c), 'data-key': 'sc-fc-' + c }), catLabel(c)))),
    h('small', { class: 'field-error', 'data-field': 'block_category' }));
  const kinds = h('fieldset', { class: 'kinds' },
    h('legend', null, t('page.sched.kind')),
    ['bedtime', 'focus', 'allowed'].map((k) => h('label', { class: 'radio-card' },
      h('input', {
        type: 'radio', name: 'kind', value: k, checked: k === kind, 'data-key': 'sc-kind-' + k,
        onchange: () => { kind = k; focusBox.hidden = k !== 'focus'; },
      }),
      h('span', null, h('strong', null, label('kind_sched', k)), h('small', null, t('page.sched.kind_hint.' + k))))));
  const who = h('fieldset', { class: 'who' },
    h('legend', null, t('page.sched.people')),
    (hh.people || []).length === 0 ? h('p', { class: 'muted' }, t('page.overview.no_people')) : null,
    h('div', { class: 'checks' }, (hh.people || []).map((p) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'person', value: p.id, checked: !isNew && (p.schedules || []).includes(sc.id), 'data-key': 'sc-p-' + p.id }), h('span', { translate: 'no' }, p.name)))),
    (hh.profiles || []).some((p) => (p.schedules || []).includes(sc.id))
      ? h('small', { class: 'hint' }, t('page.sched.via_profiles', { list: fmtList(hh.profiles.filter((p) => (p.schedules || []).includes(sc.id)).map((p) => profileLabel(p.id))) })) : null);
  const save = h('button', { type: 'submit', class: 'btn primary', 'data-key': 'sc-save' }, t('page.save'));
  const form = h('form', { class: 'schedule-editor', novalidate: true, onsubmit: onSave, 'data-schedule': sc.id },
    h('p', null, h('a', { href: '#/schedules', class: 'back' }, '← ', t('page.sched.back'))),
    h('h1', null, isNew ? t('page.sched.new') : t('page.sched.edit_named', { name: sc.name || sc.id })),
    h('div', { class: 'panel' }, field(t('page.sched.name'), name, t('page.sched.name_hint')), kinds, focusBox),
    h('section', { class: 'panel', 'aria-labelledby': 'grid-h' },
      h('h2', { id: 'grid-h' }, t('page.sched.when')),
      h('p', { class: 'hint', id: 'grid-help' }, t('page.sched.grid_help')),
      grid.el,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn small ghost', 'data-key': 'sc-clear', onclick: () => { grid.clear(); } }, t('page.sched.clear'))),
      h('h3', null, t('page.sched.windows')),
      summary,
      h('small', { class: 'field-error', 'data-field': 'windows' }),
      addWindowForm((w) => { weekFromWindows([w], cells); grid.update(); })),
    h('div', { class: 'panel' }, who),
    h('p', { class: 'form-error', role: 'alert' }),
    h('div', { class: 'actions' }, save,
      !isNew ? h('button', { type: 'button', class: 'btn danger ghost', 'data-key': 'sc-delete', onclick: onDelete }, t('page.sched.delete')) : null,
      h('a', { href: '#/schedules', class: 'btn ghost' }, t('page.cancel'))));

  function showSummary() {
    const wins = windowsFromWeek(cells);
    summary.replaceChildren(...(wins.length ? wins.map((w) => h('li', { 'data-window': JSON.stringify(w) }, windowText(w),
      h('button', {
        type: 'button', class: 'chip-x', 'aria-label': t('page.sched.remove_window', { window: windowText(w) }),
        onclick: () => { unpaint(w); grid.update(); },
      }, '×'))) : [h('li', { class: 'muted' }, t('page.sched.no_windows'))]));
  }

  function unpaint(w) {
    const one = weekFromWindows([w]);
    for (let d = 0; d < 7; d++) for (let s = 0; s < SLOTS; s++) if (one[d][s]) cells[d][s] = 0;
  }

  async function onSave(ev) {
    ev.preventDefault();
    const body = { name: name.value.trim(), kind, windows: windowsFromWeek(cells) };
    body.block_category = kind === 'focus' ? $$('input[name="block_category"]:checked', form).map((x) => x.value) : [];
    const fields = {};
    if (!body.name) fields.name = t('page.sched.need_name');
    if (!body.windows.length) fields.windows = t('page.sched.need_window');
    if (kind === 'focus' && !body.block_category.length) fields.block_category = t('page.sched.need_cats');
    if (Object.keys(fields).length) return showFieldErrors(form, new ApiError(400, 'validation', t('page.check_fields'), fields));
    save.disabled = true;
    try {
      let id = sc.id;
      if (isNew) {
        const res = await API.addSchedule(body);
        id = (res && res.id) || '';
      } else {
        await API.saveSchedule(id, body);
      }
      const want = new Set($$('input[name="person"]:checked', form).map((x) => x.value));
      for (const p of hh.people || []) {
        const has = (p.schedules || []).includes(id);
        if (!id || has === want.has(p.id)) continue;
        const next = has ? p.schedules.filter((x) => x !== id) : (p.schedules || []).concat(id);
        await API.savePerson(p.id, { schedules: next });
      }
      say(t('page.sched.saved', { name: body.name }));
      go('schedules');
    } catch (e) {
      showFieldErrors(form, e);
      save.disabled = false;
    }
  }

  async function onDelete(ev) {
    if (!await confirmBox(t('page.sched.delete_confirm', { name: sc.name || sc.id }), t('page.sched.delete'))) return;
    ev.target.disabled = true;
    try {
      await API.deleteSchedule(sc.id);
      say(t('page.sched.deleted', { name: sc.name || sc.id }));
      go('schedules');
    } catch (e) { sayError(e); ev.target.disabled = false; }
  }

  showSummary();
  return form;
}

// addWindowForm adds a window by days and times, for keyboards and for
// precise times.
function addWindowForm(onAdd) {
  const times = [];
  for (let s = 0; s <= SLOTS; s++) times.push(slotHM(s));
  const from = h('select', { 'data-key': 'aw-from', 'aria-label': t('page.sched.from') }, times.slice(0, SLOTS).map((v) => h('option', { value: v, selected: v === '21:00' }, hmText(v))));
  const to = h('select', { 'data-key': 'aw-to', 'aria-label': t('page.sched.to') }, times.slice(1).map((v) => h('option', { value: v, selected: v === '07:00' }, v === '24:00' ? t('page.sched.midnight') : hmText(v))));
  const days = DAYS.map((d) => h('label', { class: 'check day' }, h('input', { type: 'checkbox', value: d, 'data-key': 'aw-' + d }), weekdayName(d)));
  return h('details', { class: 'add-window' },
    h('summary', null, t('page.sched.add_window')),
    h('fieldset', null, h('legend', null, t('page.sched.days')), h('div', { class: 'checks days' }, days)),
    h('div', { class: 'row' }, field(t('page.sched.from'), from), field(t('page.sched.to'), to)),
    h('small', { class: 'hint' }, t('page.sched.overnight_hint')),
    h('div', { class: 'actions' }, h('button', {
      type: 'button', class: 'btn', 'data-key': 'aw-add',
      onclick: () => {
        const picked = days.map((l) => l.firstChild).filter((c) => c.checked).map((c) => c.value);
        if (!picked.length) { say(t('page.sched.pick_days'), 'error'); return; }
        onAdd({ days: picked, start: from.value, end: to.value });
        say(t('page.sched.window_added'));
      },
    }, t('page.sched.add'))));
}
