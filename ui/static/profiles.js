// profiles.js: the Profiles page: each profile's blocked categories,
// SafeSearch, YouTube mode, QUIC, schedules and daily time (ISP-locked
// settings shown locked), then each person's own sites and categories
// (sites.js).

import { h } from './dom.js';
import { t, label } from './i18n.js';
import { fmtList, fmtNum } from './time.js';
import { API } from './api.js';
import { render } from './router.js';
import { say } from './toast.js';
import { act, field, hmInputs, lockNote, showFieldErrors } from './widgets.js';
import { catLabel, context, lockedCats, profileLabel } from './household.js';
import { sitesPanel } from './sites.js';

const YT = ['off', 'moderate', 'strict'];
let openProfile = ''; // the profile the parent unfolded, kept open across refreshes

export async function viewProfiles() {
  const hh = await API.household();
  const ctx = context(hh);
  return [
    h('h1', null, t('page.nav.profiles')),
    h('p', { class: 'lead' }, t('page.profiles.intro')),
    (hh.profiles || []).map((p) => profilePanel(p, hh, ctx)),
    sitesPanel(hh),
  ];
}

function profilePanel(p, hh, ctx) {
  const k = 'pr-' + p.id + '-';
  const locked = lockedCats(hh.locked, p);
  const blocked = new Set(p.block_category || []);
  const users = (hh.people || []).filter((x) => x.profile === p.id).map((x) => x.name);
  const save = (el, changes, msg) => act(el, () => API.saveProfile(p.id, changes), msg);
  const toggle = (cat) => (ev) => {
    const next = new Set(blocked);
    if (ev.target.checked) next.add(cat); else next.delete(cat);
    save(ev.target, { block_category: [...next] }, t(ev.target.checked ? 'page.profiles.cat_blocked' : 'page.profiles.cat_allowed', { category: catLabel(cat), profile: profileLabel(p.id) }));
  };
  const cats = (hh.categories || []).filter((c) => c !== 'allowlist');
  const l = hh.locked || {};
  const ssLocked = !!(l.safesearch && p.restricted);
  const ytMin = p.restricted ? YT.indexOf(l.youtube || 'off') : 0;
  // profiles in use start open; the others fold to their summary
  return h('details', { class: 'panel profile', 'data-profile': p.id, open: users.length > 0 || openProfile === p.id, ontoggle: (ev) => { if (ev.target.open) openProfile = p.id; } },
    h('summary', null,
      h('h2', { id: k + 'h' }, profileLabel(p.id)),
      h('span', { class: 'muted' },
        p.age ? t('page.profiles.age', { age: label('age', p.age) }) : null,
        p.restricted ? ' · ' + t('page.profiles.restricted') : '',
        users.length ? ' · ' + t('page.profiles.used_by', { names: fmtList(users) }) : '',
        ' · ' + t('page.profiles.n_blocked', { n: fmtNum(new Set([...blocked, ...locked]).size) }))),
    h('fieldset', { class: 'switches' },
      h('legend', null, t('page.profiles.categories')),
      h('ul', { class: 'switch-list' }, cats.map((c) => {
        const isLocked = locked.has(c);
        const id = k + 'cat-' + c;
        return h('li', { class: ['switch-row', isLocked && 'is-locked'], 'data-category': c },
          h('input', {
            type: 'checkbox', role: 'switch', id, 'data-key': id, class: 'switch',
            checked: isLocked || blocked.has(c), disabled: isLocked, onchange: toggle(c),
            'aria-describedby': isLocked ? id + '-lock' : null,
          }),
          h('label', { for: id }, catLabel(c)),
          h('span', { class: 'switch-state', 'aria-hidden': 'true' }, t(isLocked || blocked.has(c) ? 'page.profiles.blocked' : 'page.profiles.allowed')),
          isLocked ? h('span', { id: id + '-lock' }, lockNote()) : null);
      }))),
    h('div', { class: 'row' },
      h('div', { class: 'field' },
        h('label', { class: 'check' },
          h('input', {
            type: 'checkbox', role: 'switch', class: 'switch good', 'data-key': k + 'ss', checked: ssLocked || !!p.safesearch, disabled: ssLocked,
            onchange: (ev) => save(ev.target, { safesearch: ev.target.checked }),
          }),
          t('page.profiles.safesearch')),
        h('small', { class: 'hint' }, t('page.profiles.safesearch_hint')),
        ssLocked ? lockNote() : null),
      field(t('page.profiles.youtube'), h('select', {
        'data-key': k + 'yt',
        onchange: (ev) => save(ev.target, { youtube: ev.target.value }),
      }, YT.map((v, i) => h('option', { value: v, disabled: i < ytMin, selected: v === (YT.indexOf(p.youtube) < ytMin ? YT[ytMin] : p.youtube) },
        label('yt', v) + (i < ytMin ? ' — ' + t('page.locked_short') : '')))), t('page.profiles.youtube_hint'))),
    ytMin > 0 ? lockNote(t('page.profiles.youtube_locked', { mode: label('yt', YT[ytMin]) })) : null,
    h('div', { class: 'field' },
      h('label', { class: 'check' },
        h('input', {
          type: 'checkbox', role: 'switch', class: 'switch good', 'data-key': k + 'quic', name: 'quic', checked: !p.quic,
          onchange: (ev) => save(ev.target, { quic: !ev.target.checked }, t(ev.target.checked ? 'page.profiles.quic_off_msg' : 'page.profiles.quic_on_msg', { profile: profileLabel(p.id) })),
        }),
        t('page.profiles.quic_off')),
      h('small', { class: 'hint' }, t('page.profiles.quic_hint'))),
    h('div', { class: 'two' }, profileSchedules(p, hh, k, save), profileLimit(p, k)));
}

// profileSchedules switches the schedules everyone on a profile follows.
function profileSchedules(p, hh, k, save) {
  const on = new Set(p.schedules || []);
  const list = hh.schedules || [];
  return h('div', { class: 'profile-schedules', role: 'group', 'aria-labelledby': k + 'sch-h' },
    h('h3', { id: k + 'sch-h' }, t('page.profiles.schedules')),
    h('small', { class: 'hint' }, t('page.profiles.schedules_hint')),
    list.length === 0 ? h('p', { class: 'muted' }, t('page.profiles.no_schedules')) : h('ul', { class: 'plain' }, list.map((sc) => h('li', null,
      h('label', { class: 'check' },
        h('input', {
          type: 'checkbox', name: 'schedules', value: sc.id, checked: on.has(sc.id), 'data-key': k + 'sc-' + sc.id,
          onchange: (ev) => {
            const next = list.map((x) => x.id).filter((id) => (id === sc.id ? ev.target.checked : on.has(id)));
            save(ev.target, { schedules: next }, t(ev.target.checked ? 'page.profiles.sched_on' : 'page.profiles.sched_off', { schedule: sc.name || sc.id, profile: profileLabel(p.id) }));
          },
        }),
        h('span', { translate: 'no' }, sc.name || sc.id),
        h('span', { class: ['tag', 'kind-' + sc.kind] }, label('kind_sched', sc.kind)))))),
    h('p', null, h('a', { href: '#/schedules/new', 'data-key': k + 'sc-new' }, t('page.sched.new'))));
}

// profileLimit sets the daily time of everyone on a profile.
function profileLimit(p, k) {
  const hasLimit = p.daily_limit_minutes != null;
  const on = h('input', { type: 'checkbox', name: 'limit_on', 'data-key': k + 'lim-on', checked: hasLimit, onchange: () => { daily.box.hidden = !on.checked; } });
  const daily = hmInputs(k + 'lim', hasLimit ? p.daily_limit_minutes * 60 : 7200, t('page.limits.daily'));
  daily.box.hidden = !hasLimit;
  const form = h('form', {
    class: 'limit-form', novalidate: true,
    onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        await API.saveProfile(p.id, { daily_limit_minutes: on.checked ? Math.round(daily.value() / 60) : null });
        say(t('page.profiles.limit_saved', { profile: profileLabel(p.id) }));
        await render(false);
      } catch (e) { showFieldErrors(form, e); }
    },
  },
  h('h3', null, t('page.limits.daily')),
  h('label', { class: 'check' }, on, t('page.limits.limit_daily')),
  daily.box,
  h('small', { class: 'hint' }, t('page.profiles.limit_hint')),
  h('small', { class: 'field-error', 'data-field': 'daily_limit_minutes' }),
  h('p', { class: 'form-error', role: 'alert' }),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn primary', 'data-key': k + 'lim-save' }, t('page.save'))));
  return form;
}
