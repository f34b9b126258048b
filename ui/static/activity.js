// activity.js: the Activity page: per person, time used and blocked
// attempts per day as bar charts (inline SVG), time by category, why
// sites were blocked and the top sites.

import { h, newId, svg } from './dom.js';
import { t } from './i18n.js';
import { dayLabel, dur, fmtNum, hours } from './time.js';
import { API, optional } from './api.js';
import { icon } from './widgets.js';
import { catLabel, context } from './household.js';

// barChart draws vertical bars as inline SVG: one per value, its label
// under it and its formatted value over it.
function barChart(values, { title, format, cls }) {
  const W = 340, H = 170, top = 18, bottom = 26, left = 6, right = 6;
  const max = Math.max(1, ...values.map((v) => v.value));
  const slot = (W - left - right) / Math.max(1, values.length);
  const bw = Math.min(34, slot * 0.62);
  const titleId = newId('chart');
  const chart = svg('svg', { class: ['chart', cls], viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-labelledby': titleId, preserveAspectRatio: 'xMidYMid meet' },
    svg('title', { id: titleId }, title + ': ' + values.map((v) => v.label + ' ' + format(v.value)).join(', ')),
    svg('line', { x1: left, x2: W - right, y1: H - bottom + 0.5, y2: H - bottom + 0.5, class: 'axis' }));
  values.forEach((v, i) => {
    const bh = Math.round(((H - top - bottom) * v.value) / max);
    const x = left + slot * i + (slot - bw) / 2;
    const y = H - bottom - bh;
    chart.append(svg('g', { class: 'bar-g', 'data-value': String(v.value), 'data-label': v.label },
      svg('rect', { x: x.toFixed(1), y, width: bw.toFixed(1), height: Math.max(bh, v.value ? 2 : 0), rx: 3, class: v.value ? 'bar-rect' : 'bar-rect zero' }),
      v.value ? svg('text', { x: (x + bw / 2).toFixed(1), y: y - 4, class: 'val', 'text-anchor': 'middle' }, format(v.value)) : null,
      svg('text', { x: (x + bw / 2).toFixed(1), y: H - 8, class: 'lbl', 'text-anchor': 'middle' }, v.label)));
  });
  return chart;
}

// barList shows named amounts as horizontal bars (HTML, so long names wrap).
function barList(items, format, cls) {
  const max = Math.max(1, ...items.map((x) => x.value));
  return h('ul', { class: ['bar-list', cls] }, items.map((x) => {
    const fill = h('span', { class: 'bar-fill' });
    fill.style.width = Math.max(1, Math.round((x.value / max) * 100)) + '%';
    return h('li', { 'data-name': x.key },
      h('span', { class: 'bl-name' }, x.label),
      h('span', { class: 'bar', 'aria-hidden': 'true' }, fill),
      h('span', { class: 'bl-val' }, format(x.value)));
  }));
}

const sum = (obj) => Object.values(obj || {}).reduce((a, b) => a + (Number(b) || 0), 0);

function addUp(into, obj) {
  for (const [k, v] of Object.entries(obj || {})) into[k] = (into[k] || 0) + (Number(v) || 0);
  return into;
}

const sorted = (obj, labeler) => Object.entries(obj).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1])
  .map(([key, value]) => ({ key, value, label: labeler(key) }));

export async function viewActivity(r) {
  const days = Number(r.q.get('days')) || 7;
  const [act, hh, st] = await Promise.all([API.activity(days), optional(API.household(), null), optional(API.settings(), null)]);
  const ctx = context(hh);
  const list = act.days || [];
  const ids = [];
  for (const p of (hh && hh.people) || []) ids.push(p.id);
  for (const d of list) for (const p of d.people || []) if (!ids.includes(p.person)) ids.push(p.person);
  const history = st ? !!st.history_domains : null;
  return [
    h('h1', null, t('page.nav.activity')),
    h('p', { class: 'lead' }, t('page.activity.intro', { n: list.length })),
    ids.length === 0 ? h('p', { class: 'panel muted' }, t('page.activity.none')) : null,
    ids.map((id) => activityPanel(id, list, ctx)),
    h('p', { class: 'note' }, icon('lock'), history ? t('page.activity.history_on') : t('page.activity.history_off'), ' ',
      h('a', { href: '#/settings' }, t('page.activity.history_link'))),
  ];
}

function activityPanel(id, list, ctx) {
  const rows = list.map((d) => ({ date: d.date, p: (d.people || []).find((x) => x.person === id) || {} }));
  const used = rows.map((r) => ({ label: dayLabel(r.date), value: r.p.used_seconds || 0 }));
  const blocked = rows.map((r) => ({ label: dayLabel(r.date), value: sum(r.p.blocked) }));
  // "1.5 hr" fits over a bar where "1 hr 30 min" does not
  const short = (v) => (v < 3600 ? dur(v) : hours(v / 3600));
  const cats = rows.reduce((acc, r) => addUp(acc, r.p.category_seconds), {});
  const blockedCats = rows.reduce((acc, r) => addUp(acc, r.p.blocked), {});
  const domains = rows.reduce((acc, r) => addUp(acc, r.p.domains), {});
  const name = ctx.personName(id);
  const k = 'act-' + id;
  const catItems = sorted(cats, (c) => (c ? catLabel(c) : t('page.activity.other_sites')));
  const blockItems = sorted(blockedCats, (c) => (c ? catLabel(c) : t('page.activity.no_category'))).slice(0, 8);
  const domainItems = sorted(domains, (d) => d).slice(0, 10);
  return h('section', { class: 'panel activity', 'data-person': id, 'aria-labelledby': k },
    h('h2', { id: k, translate: 'no' }, name),
    h('div', { class: 'charts' },
      h('figure', { class: 'fig', 'data-chart': 'usage' },
        h('figcaption', null, t('page.activity.usage_per_day')),
        barChart(used, { title: t('page.activity.usage_per_day'), format: short, cls: 'usage-chart' })),
      h('figure', { class: 'fig', 'data-chart': 'blocked' },
        h('figcaption', null, t('page.activity.blocked_per_day')),
        barChart(blocked, { title: t('page.activity.blocked_per_day'), format: fmtNum, cls: 'blocked-chart' })),
      h('figure', { class: 'fig', 'data-chart': 'categories' },
        h('figcaption', null, t('page.activity.by_category')),
        catItems.length ? barList(catItems, dur, 'cats') : h('p', { class: 'muted' }, t('page.activity.no_usage')))),
    h('details', { class: 'table-details' },
      h('summary', null, t('page.activity.table')),
      h('div', { class: 'table-wrap' }, h('table', { class: 'table', 'data-table': 'days' },
        h('caption', { class: 'sr-only' }, t('page.activity.table_caption', { name })),
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, t('page.activity.day')),
          h('th', { scope: 'col' }, t('page.activity.used')),
          h('th', { scope: 'col' }, t('page.activity.blocked')))),
        h('tbody', null, rows.map((r, i) => h('tr', { 'data-date': r.date },
          h('th', { scope: 'row' }, dayLabel(r.date, true)),
          h('td', { 'data-seconds': String(used[i].value) }, dur(used[i].value)),
          h('td', { 'data-count': String(blocked[i].value) }, fmtNum(blocked[i].value)))))))),
    blockItems.length ? h('div', { class: 'sub' }, h('h3', null, t('page.activity.blocked_why')), barList(blockItems, fmtNum, 'blocked-cats')) : null,
    domainItems.length ? h('div', { class: 'sub' }, h('h3', null, t('page.activity.top_domains')), barList(domainItems, fmtNum, 'domains')) : null);
}
