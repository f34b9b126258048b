// child.js: the children's page (#/child, and #/blocked?name= where a
// blocked site's browser lands): the device's person, their state and
// time left, why a site was blocked, and asking for more time or the site.

import { h } from './dom.js';
import { S } from './state.js';
import { t, has } from './i18n.js';
import { at, dur, now, setZone, when } from './time.js';
import { API } from './api.js';
import { every, render, refresh } from './router.js';
import { say, sayError } from './toast.js';
import { icon } from './widgets.js';
import { catLabel, stateBadge } from './household.js';

// childReason explains a block to a child.
function childReason(b) {
  if (!b) return '';
  const cat = b.category;
  if (b.reason === 'category' && cat && has('page.child.cat.' + cat)) return t('page.child.cat.' + cat);
  if (b.reason === 'category' && cat) return t('page.child.reason.category_named', { category: catLabel(cat) });
  if ((b.reason === 'focus' || b.reason === 'category_limit') && cat) return t('page.child.reason.' + b.reason + '_named', { category: catLabel(cat) });
  return has('page.child.reason.' + b.reason) ? t('page.child.reason.' + b.reason) : t('page.child.reason.other');
}

function childState(st) {
  const next = st.next_change ? at(st.next_change) : '';
  const main = t('page.child.state.' + st.state);
  let more = '';
  if (st.state === 'open') more = next ? t('page.child.goes_off', { time: next }) : '';
  else if (next) more = t('page.child.comes_back', { time: next });
  else if (st.state === 'paused') more = t('page.child.comes_back_parent');
  return { main, more };
}

// requestLine says where a child's request stands.
function requestLine(r) {
  if (!r) return null;
  const what = r.kind === 'unblock' ? t('page.child.asked_unblock', { site: r.name }) : t('page.child.asked_time');
  const state = r.state === 'approved' && r.until ? t('page.child.req.approved_until', { time: when(r.until) }) : t('page.child.req.' + r.state);
  return h('div', { class: ['child-req', 'rq-' + r.state], 'data-request': r.id, 'data-state': r.state, 'data-kind': r.kind, role: 'status' },
    h('p', null, what), h('p', { class: 'big' }, state));
}

export async function viewChild(r) {
  let st;
  try {
    st = await API.childStatus();
  } catch (e) {
    if (e.code !== 'unknown_device') throw e;
    every(15000, refresh);
    return [h('section', { class: 'child' },
      h('h1', null, t('page.child.hello')),
      h('p', { class: 'big' }, t('page.child.unknown')),
      h('p', null, t('page.child.unknown_more')))];
  }
  S.childCsrf = st.csrf_token || S.childCsrf;
  setZone(st.time_zone);
  const site = r.name === 'blocked' ? (r.q.get('name') || '').slice(0, 253) : '';
  const blocks = st.blocked || [];
  const hit = site ? blocks.find((b) => b.name === site || site.endsWith('.' + b.name) || b.name.endsWith('.' + site)) : null;
  const reqs = st.requests || [];
  const latest = (kind) => reqs.filter((x) => x.kind === kind && (kind !== 'unblock' || !site || x.name === site))
    .sort((a, b) => String(b.created).localeCompare(String(a.created)))[0];
  const timeReq = latest('time');
  const siteReq = site ? latest('unblock') : null;
  every(5000, refresh);
  const s = childState(st);
  const ask = async (btn, body) => {
    btn.disabled = true;
    try {
      await API.childAsk(body);
      say(t('page.child.sent'));
      await render(false);
    } catch (e) {
      if (e.code === 'rate_limited') {
        const again = e.retryAfter ? ' ' + t('page.child.ask_again_at', { time: at(new Date(now().getTime() + e.retryAfter * 1000)) }) : '';
        say(t('page.child.rate_limited') + again, 'error', e.code);
      } else sayError(e);
      btn.disabled = false;
    }
  };
  const name = st.person_name || '';
  const waiting = (req) => req && req.state === 'pending';
  return [h('section', { class: ['child', 'is-' + st.state], 'data-state': st.state },
    h('h1', null, name ? t('page.child.hello_name', { name }) : t('page.child.hello')),
    h('p', { class: 'muted' }, name ? t('page.child.device_of', { name, device: (st.device && st.device.name) || '' }) : t('page.child.device_nobody', { device: (st.device && st.device.name) || '' })),
    h('div', { class: 'child-state' }, stateBadge(st.state), h('p', { class: 'big' }, s.main), s.more ? h('p', { class: 'big2' }, s.more) : null),
    st.state !== 'open' ? null : st.time_left_seconds != null
      ? h('p', { class: 'big2 time-left' }, icon('clock'), t('page.child.time_left', { time: dur(st.time_left_seconds) }))
      : h('p', { class: 'time-left muted' }, t('page.child.no_limit')),
    site ? h('div', { class: 'child-blocked' },
      h('p', { class: 'big2' }, t('page.child.tried', { site })),
      h('p', { class: 'big' }, hit ? childReason(hit) : t('page.child.reason.unknown'))) : null,
    !site && blocks.length ? h('div', { class: 'child-recent' },
      h('h2', null, t('page.child.recent')),
      h('ul', { class: 'plain' }, blocks.slice(0, 3).map((b) => h('li', null, h('strong', { class: 'site' }, b.name), ' — ', childReason(b))))) : null,
    h('div', { class: 'child-actions' },
      h('button', { type: 'button', class: 'btn big primary', 'data-key': 'ask-time', 'data-ask': 'time', disabled: waiting(timeReq), onclick: (ev) => ask(ev.currentTarget, { kind: 'time' }) }, t('page.child.ask_time')),
      site ? h('button', { type: 'button', class: 'btn big', 'data-key': 'ask-site', 'data-ask': 'unblock', disabled: waiting(siteReq), onclick: (ev) => ask(ev.currentTarget, { kind: 'unblock', name: site }) }, t('page.child.ask_site')) : null),
    requestLine(siteReq), requestLine(timeReq),
    h('p', { class: 'center small' }, h('a', { href: '#/login' }, t('page.child.parents'))))];
}
