// week.js: a schedule's week as 7 days × 48 half hours, to and from the
// API's windows (a window may run past midnight), and windows in words.

import { t } from './i18n.js';
import { DAYS, fmtList, intl, pad, weekdayName } from './time.js';

// The week is 7 days × 48 half hours. cells[d][s] is 1 when half hour s
// of day d (0 = Monday) is inside a window.
export const SLOTS = 48;
export const slotHM = (s) => pad(Math.floor(s / 2)) + ':' + (s % 2 ? '30' : '00');
function hmSlot(hm, up) {
  const [hh, mm] = String(hm).split(':').map(Number);
  const m = hh * 60 + (mm || 0);
  return Math.min(SLOTS, up ? Math.ceil(m / 30) : Math.floor(m / 30));
}

const emptyWeek = () => DAYS.map(() => new Array(SLOTS).fill(0));

// weekFromWindows paints windows; one whose end is not after its start
// runs past midnight into the next day ("24:00" is the end of the day).
export function weekFromWindows(windows, cells) {
  cells = cells || emptyWeek();
  for (const w of windows || []) {
    const s = hmSlot(w.start, false);
    const e = hmSlot(w.end, true);
    for (const day of w.days || []) {
      const d = DAYS.indexOf(day);
      if (d < 0) continue;
      if (e > s) cells[d].fill(1, s, e);
      else {
        cells[d].fill(1, s, SLOTS);
        cells[(d + 1) % 7].fill(1, 0, e);
      }
    }
  }
  return cells;
}

// windowsFromWeek is the inverse: runs of painted half hours, a run that
// ends at midnight joined with the next day's run from midnight into one
// window (21:00–07:00), and days with the same times grouped.
export function windowsFromWeek(cells) {
  const runs = cells.map((row) => {
    const out = [];
    for (let s = 0; s < SLOTS; s++) {
      if (!row[s]) continue;
      let e = s;
      while (e < SLOTS && row[e]) e++;
      out.push([s, e]);
      s = e;
    }
    return out;
  });
  // joins[d] is the end slot of the next morning's run that day d's
  // evening run continues into; that morning is then no window of its own.
  const joins = runs.map((r, d) => {
    const last = r[r.length - 1];
    const next = runs[(d + 1) % 7][0];
    return last && last[1] === SLOTS && last[0] > 0 && next && next[0] === 0 && next[1] < last[0] ? next[1] : 0; // start ≠ end: a whole day round stays two windows
  });
  const groups = new Map();
  for (let d = 0; d < 7; d++) {
    runs[d].forEach(([s, e], i) => {
      if (s === 0 && joins[(d + 6) % 7]) return;
      const end = i === runs[d].length - 1 && joins[d] ? slotHM(joins[d]) : e === SLOTS ? '24:00' : slotHM(e);
      const key = slotHM(s) + '-' + end;
      if (!groups.has(key)) groups.set(key, { days: [], start: slotHM(s), end });
      groups.get(key).days.push(DAYS[d]);
    });
  }
  return [...groups.values()];
}

// hmText formats "HH:MM" in the page's language.
export function hmText(hm) {
  const [hh, mm] = hm.split(':').map(Number);
  return intl('date', { hour: 'numeric', minute: '2-digit', timeZone: 'UTC' }).format(new Date(Date.UTC(2024, 0, 1, hh % 24, mm)));
}

// windowText: "Mon, Tue 21:00–07:00 (next day)".
export function windowText(w) {
  const days = w.days.length === 7 ? t('page.sched.every_day') : fmtList(w.days.map((d) => weekdayName(d)));
  const crosses = w.end !== '24:00' && w.end <= w.start;
  return t(crosses ? 'page.sched.window_overnight' : 'page.sched.window', { days, start: hmText(w.start), end: hmText(w.end) });
}
