// overview.js: the parents' first page: requests waiting, a card per
// person (state, time used, what happens next, pause and extra time) and
// the recent blocked attempts.

import { h } from './dom.js';
import { t } from './i18n.js';
import { dur, fmtDateTime, when } from './time.js';
import { API, optional } from './api.js';
import { countPending, every, refresh } from './router.js';
import { act, icon } from './widgets.js';
import { context, nextText, profileLabel, reasonText, stateBadge, usageBar } from './household.js';
import { requestItem } from './requests.js';

export async function viewOverview(r, bg) {
  const [ov, hh, rq] = await Promise.all([API.overview(bg), optional(API.household(bg), null), optional(API.requests(bg), null)]);
  const ctx = context(hh, ov);
  const reqs = (rq && rq.requests) || [];
  countPending(reqs);
  every(10000, refresh);
  const pending = reqs.filter((r) => r.state === 'pending');
  const people = (ov.people || []).filter((p) => p.id !== '@unassigned' || p.used_seconds > 0 || p.state !== 'open');
  return [
    h('h1', null, t('page.nav.overview')),
    pending.length ? h('section', { class: 'panel attention', 'aria-labelledby': 'ov-req' },
      h('h2', { id: 'ov-req' }, t('page.requests.waiting')),
      h('ul', { class: 'list' }, pending.map((r) => requestItem(r, ctx)))) : null,
    people.length
      ? h('div', { class: 'cards' }, people.map((p) => personCard(p, ctx)))
      : h('div', { class: 'panel empty' }, h('p', null, t('page.overview.no_people')), h('a', { href: '#/people', class: 'btn primary' }, t('page.people.add'))),
    blockedPanel(ov.blocked || [], ctx),
  ];
}

function personCard(p, ctx) {
  const rule = p.rule ? t('page.rule', { rule: ctx.scheduleName(p.rule) }) : '';
  const next = nextText(p, ctx);
  const k = 'p-' + p.id + '-';
  const pause = (m, b) => act(b, () => API.pause(p.id, m ? { minutes: m } : { forever: true }), t('page.paused_msg', { name: p.name }));
  const extra = (m, b) => act(b, () => API.extra(p.id, { minutes: m }), t('page.extra_msg', { name: p.name, time: dur(m * 60) }));
  const btn = (key, text, fn, cls, aria) => h('button', { type: 'button', class: ['btn', 'small', cls], 'data-key': k + key, 'aria-label': aria, onclick: (ev) => fn(ev.currentTarget) }, text);
  return h('article', { class: ['card', 'person', 'is-' + p.state], 'data-person': p.id, 'aria-labelledby': k + 'name' },
    h('header', { class: 'card-head' },
      h('h2', { id: k + 'name', translate: 'no' }, p.name),
      stateBadge(p.state)),
    h('p', { class: 'muted' }, profileLabel(p.profile), rule ? ' · ' + rule : ''),
    usageBar(p.used_seconds || 0, p.limit_seconds),
    next ? h('p', { class: 'next' }, icon('clock'), next) : null,
    h('p', { class: 'muted online', 'data-online': (p.online || []).length },
      (p.online || []).length ? t('page.online', { devices: p.online.join(', ') }) : t('page.offline')),
    h('div', { class: 'quick', role: 'group', 'aria-label': t('page.quick_actions', { name: p.name }) },
      p.state === 'paused'
        ? btn('resume', t('page.resume'), (b) => act(b, () => API.pause(p.id, { resume: true }), t('page.resumed_msg', { name: p.name })), 'primary')
        : [btn('p30', t('page.pause_for', { time: dur(1800) }), (b) => pause(30, b)),
          btn('p60', t('page.pause_for', { time: dur(3600) }), (b) => pause(60, b)),
          btn('pinf', t('page.pause_forever'), (b) => pause(0, b))],
      [15, 30, 60].map((m) => btn('x' + m, '+' + dur(m * 60), (b) => extra(m, b), 'ghost', t('page.extra_for', { name: p.name, time: dur(m * 60) })))));
}

function blockedPanel(list, ctx) {
  return h('section', { class: 'panel', 'aria-labelledby': 'ov-blocked' },
    h('h2', { id: 'ov-blocked' }, t('page.blocked.title')),
    list.length === 0 ? h('p', { class: 'muted' }, t('page.blocked.none')) : h('div', { class: 'table-wrap' },
      h('table', { class: 'table stack' },
        h('thead', null, h('tr', null, ['time', 'person', 'device', 'site', 'reason'].map((c) => h('th', { scope: 'col' }, t('page.blocked.' + c))))),
        h('tbody', null, list.slice(0, 20).map((b) => h('tr', null,
          h('td', { 'data-label': t('page.blocked.time') }, h('time', { datetime: b.time, title: fmtDateTime(b.time) }, when(b.time))),
          h('td', { 'data-label': t('page.blocked.person') }, ctx.personName(b.person)),
          h('td', { 'data-label': t('page.blocked.device') }, b.device),
          h('td', { 'data-label': t('page.blocked.site'), class: 'site' }, b.name),
          h('td', { 'data-label': t('page.blocked.reason') }, reasonText(b))))))));
}
