// requests.js: children's requests (more time, a blocked site) and the
// parents' answers: the Requests page and the request items the overview
// shows too.

import { h } from './dom.js';
import { t } from './i18n.js';
import { ago, dur, when } from './time.js';
import { API, optional } from './api.js';
import { countPending, every, refresh } from './router.js';
import { act } from './widgets.js';
import { context } from './household.js';

const GRANTS = [
  { key: '15', body: { minutes: 15 }, text: () => dur(900) },
  { key: '30', body: { minutes: 30 }, text: () => dur(1800) },
  { key: '60', body: { minutes: 60 }, text: () => dur(3600) },
  { key: 'tomorrow', body: { until_tomorrow: true }, text: () => t('page.requests.until_tomorrow') },
];

function requestText(r, ctx) {
  const who = r.person_name || ctx.personName(r.person);
  return r.kind === 'unblock' ? t('page.requests.asks_unblock', { name: who, site: r.name }) : t('page.requests.asks_time', { name: who });
}

export function requestItem(r, ctx) {
  const k = 'rq-' + r.id + '-';
  const answer = (b, body, msg) => act(b, () => API.answer(r.id, body), msg);
  const stateLine = r.state === 'approved' && r.until ? t('page.requests.approved_until', { time: when(r.until) })
    : t('page.requests.state.' + r.state);
  return h('li', { class: ['request', 'rq-' + r.state], 'data-request': r.id, 'data-state': r.state, 'data-person': r.person, 'data-kind': r.kind },
    h('div', { class: 'rq-text' },
      h('strong', null, requestText(r, ctx)),
      h('small', { class: 'muted' }, t('page.requests.from_device', { device: r.device_name || ctx.deviceName(r.device), time: ago(r.created) }))),
    r.state === 'pending'
      ? h('div', { class: 'quick', role: 'group', 'aria-label': t('page.requests.answer') },
        h('span', { class: 'muted' }, t('page.requests.allow')),
        GRANTS.map((g) => h('button', {
          type: 'button', class: 'btn small primary', 'data-key': k + g.key, 'data-grant': g.key,
          onclick: (ev) => answer(ev.currentTarget, Object.assign({ decision: 'approve' }, g.body), t('page.requests.approved_msg')),
        }, g.text())),
        h('button', { type: 'button', class: 'btn small danger', 'data-key': k + 'deny', 'data-grant': 'deny', onclick: (ev) => answer(ev.currentTarget, { decision: 'deny' }, t('page.requests.denied_msg')) }, t('page.requests.deny')))
      : h('span', { class: ['state', 'rq-state-' + r.state] }, stateLine));
}

export async function viewRequests(r, bg) {
  const [rq, hh] = await Promise.all([API.requests(bg), optional(API.household(bg), null)]);
  const ctx = context(hh);
  const reqs = rq.requests || [];
  countPending(reqs);
  every(10000, refresh);
  const pending = reqs.filter((r) => r.state === 'pending');
  const answered = reqs.filter((r) => r.state !== 'pending');
  return [
    h('h1', null, t('page.nav.requests')),
    h('p', { class: 'lead' }, t('page.requests.intro')),
    h('section', { class: 'panel', 'aria-labelledby': 'rq-p' },
      h('h2', { id: 'rq-p' }, t('page.requests.pending')),
      pending.length ? h('ul', { class: 'list' }, pending.map((r) => requestItem(r, ctx))) : h('p', { class: 'muted' }, t('page.requests.none_pending'))),
    h('section', { class: 'panel', 'aria-labelledby': 'rq-a' },
      h('h2', { id: 'rq-a' }, t('page.requests.answered')),
      answered.length ? h('ul', { class: 'list' }, answered.map((r) => requestItem(r, ctx))) : h('p', { class: 'muted' }, t('page.requests.none_answered'))),
  ];
}
