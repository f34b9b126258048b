// weekgrid.js: the weekly grid a schedule's windows are painted on, with
// a pointer (drag) or the keyboard (arrows, Space, Shift+arrows).

import { h } from './dom.js';
import { t } from './i18n.js';
import { DAYS, pad, weekdayName } from './time.js';
import { SLOTS, hmText, slotHM } from './week.js';

// weekGrid is the painting grid. Pointer (mouse, pen, touch): press on a
// half hour and drag to paint it and the ones passed over, on or off as
// the first one flipped. Keyboard: arrows move, Space or Enter flips,
// Shift+arrows paint, Home/End jump to the day's ends.
export function weekGrid(cells, onChange) {
  const narrow = window.matchMedia('(max-width: 700px)');
  const byKey = new Map();
  let active = { d: 0, s: 42 };
  const el = h('div', {
    class: 'week-grid', role: 'grid', 'aria-multiselectable': 'true', 'aria-labelledby': 'grid-h', 'aria-describedby': 'grid-help',
    'aria-rowcount': '7', 'aria-colcount': String(SLOTS),
  });
  el.append(h('div', { class: 'corner', 'aria-hidden': 'true' }));
  for (let hr = 0; hr < 24; hr++) {
    const lab = h('div', { class: ['hour', hr % 3 ? 'minor' : ''], 'aria-hidden': 'true' }, pad(hr) + ':00');
    lab.style.setProperty('--c', String(hr * 2 + 2));
    el.append(lab);
  }
  DAYS.forEach((day, d) => {
    const row = h('div', { role: 'row', class: 'grow', 'aria-rowindex': String(d + 1) });
    const dl = h('div', { role: 'rowheader', class: 'day' }, h('span', { class: 'long' }, weekdayName(day, 'long')), h('span', { class: 'short', 'aria-hidden': 'true' }, weekdayName(day)));
    dl.style.setProperty('--r', String(d + 2));
    row.append(dl);
    for (let s = 0; s < SLOTS; s++) {
      const c = h('div', {
        role: 'gridcell', class: ['cell', s % 2 ? 'half' : ''], tabindex: '-1', 'data-d': String(d), 'data-s': String(s), 'data-day': day, 'data-time': slotHM(s),
        'aria-label': weekdayName(day, 'long') + ' ' + hmText(slotHM(s)) + '–' + (s + 1 === SLOTS ? t('page.sched.midnight') : hmText(slotHM(s + 1))),
      });
      c.style.setProperty('--r', String(d + 2));
      c.style.setProperty('--c', String(s + 2));
      byKey.set(d + ':' + s, c);
      row.append(c);
    }
    el.append(row);
  });

  const cellAt = (d, s) => byKey.get(d + ':' + s);
  const paintCell = (d, s, v) => {
    cells[d][s] = v ? 1 : 0;
    const c = cellAt(d, s);
    c.classList.toggle('on', !!v);
    c.setAttribute('aria-selected', v ? 'true' : 'false');
  };
  const update = () => {
    for (let d = 0; d < 7; d++) for (let s = 0; s < SLOTS; s++) paintCell(d, s, cells[d][s]);
    onChange();
  };
  const setActive = (d, s, focus) => {
    const old = cellAt(active.d, active.s);
    if (old) old.tabIndex = -1;
    active = { d: Math.max(0, Math.min(6, d)), s: Math.max(0, Math.min(SLOTS - 1, s)) };
    const c = cellAt(active.d, active.s);
    c.tabIndex = 0;
    if (focus) c.focus();
  };

  // Pointer painting.
  let drag = null;
  const cellFrom = (ev) => {
    const t0 = document.elementFromPoint(ev.clientX, ev.clientY);
    const c = t0 && t0.closest ? t0.closest('.cell') : null;
    return c && el.contains(c) ? { d: Number(c.dataset.d), s: Number(c.dataset.s) } : null;
  };
  el.addEventListener('pointerdown', (ev) => {
    if (ev.button !== 0) return;
    const pos = cellFrom(ev);
    if (!pos) return;
    ev.preventDefault();
    drag = { v: !cells[pos.d][pos.s], last: pos, id: ev.pointerId };
    paintCell(pos.d, pos.s, drag.v);
    setActive(pos.d, pos.s, true);
  });
  el.addEventListener('pointermove', (ev) => {
    if (!drag || ev.pointerId !== drag.id) return;
    const pos = cellFrom(ev);
    if (!pos || (pos.d === drag.last.d && pos.s === drag.last.s)) return;
    // paint every cell on the line from the last one, so a fast drag leaves no gaps
    const n = Math.max(Math.abs(pos.d - drag.last.d), Math.abs(pos.s - drag.last.s));
    for (let i = 1; i <= n; i++) {
      paintCell(Math.round(drag.last.d + ((pos.d - drag.last.d) * i) / n), Math.round(drag.last.s + ((pos.s - drag.last.s) * i) / n), drag.v);
    }
    drag.last = pos;
    setActive(pos.d, pos.s, false);
  });
  const end = () => { if (drag) { drag = null; onChange(); } };
  el.addEventListener('pointerup', end);
  el.addEventListener('pointercancel', end);
  el.addEventListener('lostpointercapture', end);

  // Keyboard.
  el.addEventListener('keydown', (ev) => {
    const c = ev.target.closest('.cell');
    if (!c) return;
    const d = Number(c.dataset.d), s = Number(c.dataset.s);
    const vert = narrow.matches; // days are columns on a phone
    const moves = {
      ArrowRight: vert ? [1, 0] : [0, 1], ArrowLeft: vert ? [-1, 0] : [0, -1],
      ArrowDown: vert ? [0, 1] : [1, 0], ArrowUp: vert ? [0, -1] : [-1, 0],
    };
    let nd = d, ns = s;
    if (moves[ev.key]) { nd += moves[ev.key][0]; ns += moves[ev.key][1]; }
    else if (ev.key === 'Home') ns = 0;
    else if (ev.key === 'End') ns = SLOTS - 1;
    else if (ev.key === ' ' || ev.key === 'Enter') {
      ev.preventDefault();
      paintCell(d, s, !cells[d][s]);
      onChange();
      return;
    } else return;
    ev.preventDefault();
    setActive(nd, ns, true);
    if (ev.shiftKey) { paintCell(active.d, active.s, cells[d][s]); onChange(); }
  });

  update();
  setActive(active.d, active.s, false);
  return { el, update, clear: () => { for (const row of cells) row.fill(0); update(); } };
}
