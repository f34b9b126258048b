// settings.js: the Settings page: filtering (how blocks answer, failing
// closed or open, domain history), the admin password, the router's clock
// and lists, and what the ISP locks.

import { $, h } from './dom.js';
import { S } from './state.js';
import { t, label } from './i18n.js';
import { ago, fmtDateTime, fmtList, fmtNum } from './time.js';
import { API, ApiError } from './api.js';
import { render } from './router.js';
import { say } from './toast.js';
import { field, icon, lockNote, showFieldErrors } from './widgets.js';
import { catLabel } from './household.js';

export async function viewSettings() {
  const st = await API.settings();
  const radios = (name, values, current) => h('fieldset', { class: 'kinds' },
    h('legend', null, t('page.settings.' + name)),
    values.map((v) => h('label', { class: 'radio-card' },
      h('input', { type: 'radio', name, value: v, checked: v === current, 'data-key': 'set-' + name + '-' + v }),
      h('span', null, h('strong', null, t('page.settings.' + name + '.' + v)), h('small', null, t('page.settings.' + name + '.' + v + '_hint'))))),
    h('small', { class: 'field-error', 'data-field': name }));
  const hist = h('input', { type: 'checkbox', role: 'switch', class: 'switch good', name: 'history_domains', checked: !!st.history_domains, 'data-key': 'set-history' });
  const save = h('button', { type: 'submit', class: 'btn primary', 'data-key': 'set-save' }, t('page.save'));
  const form = h('form', {
    class: 'panel', novalidate: true, 'aria-labelledby': 'set-h',
    onsubmit: async (ev) => {
      ev.preventDefault();
      const val = (n) => ($('input[name="' + n + '"]:checked', form) || {}).value;
      save.disabled = true;
      try {
        await API.saveSettings({ dns_block: val('dns_block'), fail_mode: val('fail_mode'), history_domains: hist.checked });
        say(t('page.saved'));
        await render(false);
      } catch (e) { showFieldErrors(form, e); save.disabled = false; }
    },
  },
  h('h2', { id: 'set-h' }, t('page.settings.filtering')),
  radios('dns_block', ['nxdomain', 'null', 'page'], st.dns_block),
  radios('fail_mode', ['closed', 'open'], st.fail_mode),
  h('div', { class: 'field' }, h('label', { class: 'check' }, hist, t('page.settings.history')), h('small', { class: 'hint' }, t('page.settings.history_hint')),
    h('small', { class: 'field-error', 'data-field': 'history_domains' })),
  h('p', { class: 'form-error', role: 'alert' }),
  h('div', { class: 'actions' }, save));
  const l = st.locked || {};
  const dl = (pairs) => h('dl', { class: 'facts' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
  return [
    h('h1', null, t('page.nav.settings')),
    form,
    passwordForm(),
    h('section', { class: 'panel', 'aria-labelledby': 'set-r' },
      h('h2', { id: 'set-r' }, t('page.settings.router')),
      dl([
        [t('page.settings.time'), h('time', { datetime: st.now }, st.now ? fmtDateTime(st.now) : '—')],
        [t('page.settings.zone'), st.time_zone || '—'],
        [t('page.settings.clock'), h('span', { class: st.clock_synced ? 'ok' : 'warn' }, t(st.clock_synced ? 'page.settings.synced' : 'page.settings.not_synced'))],
        st.version ? [t('page.settings.version'), st.version] : null,
      ])),
    h('section', { class: 'panel', 'aria-labelledby': 'set-l' },
      h('h2', { id: 'set-l' }, t('page.settings.lists')),
      (st.lists || []).length === 0 ? h('p', { class: 'muted' }, t('page.settings.no_lists')) : h('div', { class: 'table-wrap' }, h('table', { class: 'table stack' },
        h('thead', null, h('tr', null, ['list', 'entries', 'updated', 'state'].map((c) => h('th', { scope: 'col' }, t('page.settings.list_' + c))))),
        h('tbody', null, st.lists.map((x) => h('tr', { 'data-list': x.name },
          h('td', { 'data-label': t('page.settings.list_list'), translate: 'no' }, x.name, x.format ? h('small', { class: 'muted' }, ' (' + x.format + ')') : null),
          h('td', { 'data-label': t('page.settings.list_entries') }, fmtNum(x.entries || 0)),
          h('td', { 'data-label': t('page.settings.list_updated') }, x.updated ? h('time', { datetime: x.updated, title: fmtDateTime(x.updated) }, ago(x.updated)) : '—'),
          h('td', { 'data-label': t('page.settings.list_state') }, h('span', { class: ['state', 'list-' + x.state] }, label('list_state', x.state)),
            x.error ? h('small', { class: 'form-error' }, ' ' + x.error) : null))))))),
    h('section', { class: 'panel', 'aria-labelledby': 'set-isp' },
      h('h2', { id: 'set-isp' }, icon('lock'), t('page.settings.isp')),
      !l.source ? h('p', { class: 'muted' }, t('page.settings.isp_none')) : [
        h('p', { class: 'lead' }, t('page.settings.isp_intro')),
        dl([
          (l.categories || []).length ? [t('page.settings.isp_categories'), lockNote(fmtList(l.categories.map(catLabel)))] : null,
          (l.child_categories || []).length ? [t('page.settings.isp_child_categories'), lockNote(fmtList(l.child_categories.map(catLabel)))] : null,
          (l.domains || []).length ? [t('page.settings.isp_domains'), h('ul', { class: 'chips' }, l.domains.map((d) => h('li', null, icon('lock'), d)))] : null,
          l.safesearch ? [t('page.profiles.safesearch'), lockNote(t('page.settings.isp_safesearch'))] : null,
          l.youtube && l.youtube !== 'off' ? [t('page.profiles.youtube'), lockNote(t('page.profiles.youtube_locked', { mode: label('yt', l.youtube) }))] : null,
        ]),
        h('p', { class: 'muted' }, t('page.settings.isp_source', { source: l.source }))]),
  ];
}

// passwordForm changes the admin password. The router ends every session
// and answers with a new one for this page.
function passwordForm() {
  const pw = (name, auto) => h('input', { name, type: 'password', required: true, autocomplete: auto, maxlength: '256', 'data-key': 'pw-' + name });
  const current = pw('current', 'current-password');
  const next = pw('new', 'new-password');
  const repeat = pw('repeat', 'new-password');
  const save = h('button', { type: 'submit', class: 'btn primary', 'data-key': 'pw-save' }, t('page.pw.submit'));
  const form = h('form', {
    class: 'panel password-form', novalidate: true, 'aria-labelledby': 'pw-h',
    onsubmit: async (ev) => {
      ev.preventDefault();
      const fields = {};
      if (!current.value) fields.current = t('page.pw.need_current');
      if (!next.value) fields.new = t('page.pw.need_new');
      else if (repeat.value !== next.value) fields.repeat = t('page.pw.mismatch');
      if (Object.keys(fields).length) return showFieldErrors(form, new ApiError(400, 'validation', t('page.check_fields'), fields));
      save.disabled = true;
      try {
        const sess = await API.changePassword({ current: current.value, new: next.value });
        S.session = sess;
        S.csrf = sess.csrf_token || S.csrf;
        for (const i of [current, next, repeat]) i.value = '';
        showFieldErrors(form, null);
        say(t('page.pw.changed'));
      } catch (e) {
        showFieldErrors(form, e);
      }
      save.disabled = false;
    },
  },
  h('h2', { id: 'pw-h' }, t('page.pw.title')),
  h('p', { class: 'lead' }, t('page.pw.intro')),
  // one admin account: the name only helps password managers
  h('input', { type: 'text', name: 'username', autocomplete: 'username', value: 'admin', hidden: true, readonly: true, tabindex: '-1', 'aria-hidden': 'true' }),
  h('div', { class: 'row' },
    field(t('page.pw.current'), current),
    field(t('page.pw.new'), next, t('page.password_hint')),
    field(t('page.pw.repeat'), repeat)),
  h('p', { class: 'form-error', role: 'alert' }),
  h('div', { class: 'actions' }, save));
  return form;
}
