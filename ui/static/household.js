// household.js: the household as views read it: names by id (context),
// labels of profiles and categories, what happens next to a person, why a
// site was blocked, time used against a limit, a person's state badge,
// and the categories the ISP locks.

import { h } from './dom.js';
import { t, label } from './i18n.js';
import { DAYS, at, dur, localParts } from './time.js';
import { icon } from './widgets.js';

// context indexes the household (null when the router has no editor) for
// names: people, devices by MAC, schedules by id.
export function context(hh, ov) {
  const c = { hh, people: new Map(), devices: new Map(), schedules: new Map(), profiles: new Map() };
  for (const p of (ov && ov.people) || []) c.people.set(p.id, p);
  if (hh) {
    for (const p of hh.people || []) c.people.set(p.id, Object.assign({}, c.people.get(p.id), p));
    for (const d of hh.devices || []) c.devices.set(d.mac, d);
    for (const s of hh.schedules || []) c.schedules.set(s.id, s);
    for (const p of hh.profiles || []) c.profiles.set(p.id, p);
  }
  c.personName = (id) => (id === '@unassigned' ? t('page.nobody') : (c.people.get(id) || {}).name || id);
  c.deviceName = (mac) => (c.devices.get(mac) || {}).name || mac;
  c.scheduleName = (id) => (c.schedules.get(id) || {}).name || id;
  // personSchedules are the schedules that apply to a person: their own
  // and their profile's.
  c.personSchedules = (id) => {
    const p = c.people.get(id) || {};
    const prof = c.profiles.get(p.profile) || {};
    return [...new Set([].concat(p.schedules || [], prof.schedules || []))].map((s) => c.schedules.get(s)).filter(Boolean);
  };
  return c;
}

export const profileLabel = (id) => label('profile', id);
export const catLabel = (id) => label('cat', id);

// nextText says what happens next to a person: "Bedtime at 21:00", "Back on at 07:00".
export function nextText(p, ctx) {
  if (p.state === 'paused' && !p.next_change) return t('page.next.until_resumed');
  if (!p.next_change) return '';
  const time = at(p.next_change);
  if (p.state !== 'open') return t('page.next.back_at', { time });
  const lp = localParts(p.next_change);
  const prev = DAYS[(DAYS.indexOf(lp.day) + 6) % 7];
  for (const s of ctx.personSchedules(p.id)) {
    for (const w of s.windows || []) {
      const days = w.days || [];
      if ((s.kind === 'bedtime' || s.kind === 'focus') && w.start === lp.hm && days.includes(lp.day)) {
        return t('page.next.' + s.kind + '_at', { time });
      }
      const crosses = w.end <= w.start;
      if (s.kind === 'allowed' && w.end === lp.hm && days.includes(crosses ? prev : lp.day)) {
        return t('page.next.allowed_ends_at', { time });
      }
    }
  }
  return t('page.next.change_at', { time });
}

// reasonText puts a blocked attempt's reason in words, for parents.
export function reasonText(b) {
  if (b.category && (b.reason === 'category' || b.reason === 'focus' || b.reason === 'category_limit' || b.reason === 'isp')) {
    return t('page.reason.' + b.reason + '_cat', { category: catLabel(b.category) });
  }
  return label('reason', b.reason);
}

// usageBar shows time used against a limit.
export function usageBar(used, limit) {
  if (limit == null) return h('p', { class: 'usage' }, t('page.used_no_limit', { used: dur(used) }));
  const pct = limit > 0 ? Math.min(100, Math.round((used / limit) * 100)) : 100;
  const fill = h('span', { class: ['bar-fill', pct >= 100 ? 'full' : pct >= 80 ? 'high' : ''] });
  fill.style.width = pct + '%';
  const text = t('page.used_of', { used: dur(used), limit: dur(limit) });
  return h('div', { class: 'usage' },
    h('p', null, text),
    h('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': String(limit), 'aria-valuenow': String(Math.min(used, limit)), 'aria-valuetext': text }, fill));
}

export const stateBadge = (state) => h('span', { class: ['state', 'state-' + state] },
  icon(state === 'paused' ? 'pause' : state === 'bedtime' ? 'moon' : state === 'open' ? 'check' : 'clock'), t('state.' + state));

// lockedCats are the categories the ISP locks for a profile.
export function lockedCats(locked, prof) {
  const l = locked || {};
  return new Set([].concat(l.categories || [], prof.restricted ? l.child_categories || [] : []));
}
