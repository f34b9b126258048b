// limits.js: the Time limits page: per person, the daily time, time per
// category, pausing and extra time.

import { h } from './dom.js';
import { t } from './i18n.js';
import { dur, nextAt, now, when } from './time.js';
import { API, optional } from './api.js';
import { render } from './router.js';
import { say } from './toast.js';
import { act, field, hmInputs, icon, options, showFieldErrors } from './widgets.js';
import { catLabel, context, stateBadge, usageBar } from './household.js';

export async function viewLimits() {
  const [hh, ov] = await Promise.all([API.household(), optional(API.overview(), { people: [] })]);
  const ctx = context(hh, ov);
  return [
    h('h1', null, t('page.nav.limits')),
    h('p', { class: 'lead' }, t('page.limits.intro')),
    (hh.people || []).length === 0 ? h('p', { class: 'panel muted' }, t('page.overview.no_people')) : null,
    (hh.people || []).map((p) => limitsPanel(p, (ov.people || []).find((x) => x.id === p.id), hh, ctx)),
  ];
}

function limitsPanel(p, live, hh, ctx) {
  const k = 'lim-' + p.id + '-';
  const prof = ctx.profiles.get(p.profile) || {};
  const hasLimit = p.daily_limit_minutes != null;
  const on = h('input', { type: 'checkbox', 'data-key': k + 'on', checked: hasLimit, onchange: () => { daily.box.hidden = !on.checked; } });
  const daily = hmInputs(k + 'daily', hasLimit ? p.daily_limit_minutes * 60 : 7200, t('page.limits.daily'));
  daily.box.hidden = !hasLimit;
  const dailyForm = h('form', {
    class: 'limit-form', novalidate: true,
    onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        await API.savePerson(p.id, { daily_limit_minutes: on.checked ? Math.round(daily.value() / 60) : null });
        say(t('page.limits.saved', { name: p.name }));
        await render(false);
      } catch (e) { showFieldErrors(dailyForm, e); }
    },
  },
  h('h3', null, t('page.limits.daily')),
  h('label', { class: 'check' }, on, t('page.limits.limit_daily')),
  daily.box,
  !hasLimit && prof.daily_limit_minutes != null ? h('small', { class: 'hint' }, t('page.limits.profile_limit', { time: dur(prof.daily_limit_minutes * 60) })) : null,
  h('small', { class: 'field-error', 'data-field': 'daily_limit_minutes' }),
  h('p', { class: 'form-error', role: 'alert' }),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn primary', 'data-key': k + 'save' }, t('page.save'))));

  return h('section', { class: 'panel limits', 'data-person': p.id, 'aria-labelledby': k + 'h' },
    h('header', { class: 'card-head' }, h('h2', { id: k + 'h', translate: 'no' }, p.name), live ? stateBadge(live.state) : null),
    live ? usageBar(live.used_seconds || 0, live.limit_seconds) : null,
    h('div', { class: 'two' }, dailyForm, categoryLimits(p, hh, k)),
    h('div', { class: 'two' }, pauseBox(p, live, k), extraBox(p, k)));
}

function categoryLimits(p, hh, k) {
  const lim = Object.assign({}, p.category_limits_minutes || {}); // minutes
  const cats = (hh.categories || []).filter((c) => c !== 'allowlist' && !(c in lim));
  const cat = h('select', { 'data-key': k + 'cl-cat', name: 'category' }, options(cats, cats[0], catLabel));
  const amount = hmInputs(k + 'cl', 3600, t('page.limits.per_category'));
  const save = (next, msg, btn) => act(btn, () => API.savePerson(p.id, { category_limits_minutes: next }), msg);
  const form = h('form', {
    class: 'limit-form', novalidate: true,
    onsubmit: (ev) => {
      ev.preventDefault();
      if (!cat.value) return;
      save(Object.assign({}, lim, { [cat.value]: Math.round(amount.value() / 60) }), t('page.limits.saved', { name: p.name }), ev.submitter);
    },
  },
  h('h3', null, t('page.limits.per_category')),
  Object.keys(lim).length ? h('ul', { class: 'plain cat-limits' }, Object.keys(lim).map((c) => h('li', { 'data-category': c },
    h('span', null, t('page.limits.cat_item', { category: catLabel(c), time: dur(lim[c] * 60) })),
    h('button', {
      type: 'button', class: 'chip-x', 'data-key': k + 'cl-x-' + c, 'aria-label': t('page.limits.remove_cat', { category: catLabel(c) }),
      onclick: (ev) => { const next = Object.assign({}, lim); delete next[c]; save(next, t('page.limits.saved', { name: p.name }), ev.currentTarget); },
    }, '×')))) : h('p', { class: 'muted' }, t('page.limits.no_cat_limits')),
  cats.length ? [field(t('page.limits.category'), cat), amount.box,
    h('small', { class: 'field-error', 'data-field': 'category_limits_minutes' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', 'data-key': k + 'cl-add' }, t('page.limits.add_cat')))] : null);
  return form;
}

function pauseBox(p, live, k) {
  const until = p.paused_until ? new Date(p.paused_until) : null;
  const forever = !!p.paused_forever;
  const paused = forever || (until && until > now()) || (live && live.state === 'paused');
  const time = h('input', { type: 'time', value: '20:00', 'data-key': k + 'pu-time', step: '900' });
  const pause = (body, btn) => act(btn, () => API.pause(p.id, body), t('page.paused_msg', { name: p.name }));
  return h('div', { class: 'subpanel', role: 'group', 'aria-labelledby': k + 'ph' },
    h('h3', { id: k + 'ph' }, t('page.limits.pause')),
    paused ? h('p', null, icon('pause'), forever || !until ? t('page.limits.paused_forever') : t('page.limits.paused_until', { time: when(until) })) : null,
    h('div', { class: 'quick' },
      paused ? h('button', { type: 'button', class: 'btn primary', 'data-key': k + 'resume', onclick: (ev) => act(ev.currentTarget, () => API.pause(p.id, { resume: true }), t('page.resumed_msg', { name: p.name })) }, t('page.resume')) : null,
      h('button', { type: 'button', class: 'btn small', 'data-key': k + 'p30', onclick: (ev) => pause({ minutes: 30 }, ev.currentTarget) }, t('page.pause_for', { time: dur(1800) })),
      h('button', { type: 'button', class: 'btn small', 'data-key': k + 'p60', onclick: (ev) => pause({ minutes: 60 }, ev.currentTarget) }, t('page.pause_for', { time: dur(3600) })),
      h('button', { type: 'button', class: 'btn small', 'data-key': k + 'pinf', onclick: (ev) => pause({ forever: true }, ev.currentTarget) }, t('page.pause_forever'))),
    h('div', { class: 'inline-form' },
      field(t('page.limits.pause_until'), time),
      h('button', { type: 'button', class: 'btn', 'data-key': k + 'pu', onclick: (ev) => { if (time.value) pause({ until: nextAt(time.value) }, ev.currentTarget); } }, t('page.limits.pause_btn'))));
}

function extraBox(p, k) {
  const free = p.free_until && new Date(p.free_until) > now() ? new Date(p.free_until) : null;
  const time = h('input', { type: 'time', value: '21:00', 'data-key': k + 'fu-time', step: '900' });
  const extra = (body, btn, msg) => act(btn, () => API.extra(p.id, body), msg);
  return h('div', { class: 'subpanel', role: 'group', 'aria-labelledby': k + 'xh' },
    h('h3', { id: k + 'xh' }, t('page.limits.extra')),
    free ? h('p', null, icon('clock'), t('page.limits.free_until', { time: when(free) })) : null,
    h('div', { class: 'quick' }, [15, 30, 60].map((m) => h('button', {
      type: 'button', class: 'btn small', 'data-key': k + 'x' + m,
      onclick: (ev) => extra({ minutes: m }, ev.currentTarget, t('page.extra_msg', { name: p.name, time: dur(m * 60) })),
    }, '+' + dur(m * 60)))),
    h('div', { class: 'inline-form' },
      field(t('page.limits.free_until_label'), time, t('page.limits.free_hint')),
      h('button', { type: 'button', class: 'btn', 'data-key': k + 'fu', onclick: (ev) => { if (time.value) extra({ until: nextAt(time.value) }, ev.currentTarget, t('page.limits.freed', { name: p.name })); } }, t('page.limits.free_btn'))));
}
