// time.js: the router's clock and the page's formats. now() is the
// router's time (this device's clock corrected by the API's Date header);
// dates and times are shown in the router's zone when the browser knows
// it (setZone). Times, dates, amounts and lists are written through Intl
// in the page's language, or from the catalog's page.fmt.* strings where
// the browser has no names for it (Chromium and Azerbaijani).

import { S } from './state.js';
import { t } from './i18n.js';

// fmtCache holds the Intl formatters made, by kind, options, language and
// zone; emptied when the language or the zone changes.
const fmtCache = new Map();

// intl returns a formatter of kind 'date', 'num', 'rel' (relative time) or
// 'list' in the page's language (or locale); dates in the router's zone.
export function intl(kind, opts, locale) {
  const lang = locale || S.lang;
  const key = kind + JSON.stringify(opts) + lang + (S.tz || '');
  let f = fmtCache.get(key);
  if (!f) {
    const o = Object.assign({}, opts);
    if (kind === 'date' && !o.timeZone && S.tz) o.timeZone = S.tz;
    f = kind === 'date' ? new Intl.DateTimeFormat(lang, o)
      : kind === 'num' ? new Intl.NumberFormat(lang, o)
        : kind === 'rel' ? new Intl.RelativeTimeFormat(lang, o)
          : new Intl.ListFormat(lang, o);
    fmtCache.set(key, f);
  }
  return f;
}

// resetFormats forgets the formatters after the language changed.
export function resetFormats() {
  fmtCache.clear();
  S.native = nativeIntl();
}

// native says Intl has the page language's names. Chromium ships no
// Azerbaijani month, weekday, unit or relative-time names (it falls back
// to English ones); the catalog's page.fmt.* strings stand in for them.
function nativeIntl() {
  if (S.lang === 'en') return true;
  const jan = new Intl.DateTimeFormat(S.lang, { month: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(2024, 0, 15)));
  return jan !== 'January' && !/^M\d/.test(jan);
}
const names = (id) => t(id).split(',');

// zoneParts is a moment's year, month (1–12), day and weekday (0 = Monday)
// in the router's zone.
export function zoneParts(d) {
  const p = intl('date', {
    year: 'numeric', month: 'numeric', day: 'numeric', weekday: 'short', hour: 'numeric', minute: 'numeric', hourCycle: 'h23', calendar: 'gregory', numberingSystem: 'latn',
  }, 'en-US').formatToParts(toDate(d));
  const get = (type) => (p.find((x) => x.type === type) || {}).value;
  return {
    y: Number(get('year')), m: Number(get('month')), d: Number(get('day')), hh: Number(get('hour')) % 24, mm: Number(get('minute')),
    wd: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(get('weekday')),
  };
}

// zoned is the moment the router's clock shows y-m-d hh:mm (day may
// overflow into the next month).
function zoned(y, m, d, hh, mm) {
  const want = Date.UTC(y, m - 1, d, hh, mm);
  let t0 = want;
  for (let i = 0; i < 2; i++) { // twice: once more across a DST change
    const z = zoneParts(new Date(t0));
    t0 += want - Date.UTC(z.y, z.m - 1, z.d, z.hh, z.mm);
  }
  return new Date(t0);
}

const toDate = (v) => (v instanceof Date ? v : new Date(v));

// now is the router's time: a device whose clock is off still says
// "tomorrow" for the router's tomorrow (S.skew comes from the API's Date
// header).
export const now = () => new Date(Date.now() + S.skew);
const fmtTime = (v) => intl('date', { hour: 'numeric', minute: '2-digit' }).format(toDate(v));
export const fmtNum = (n) => intl('num', {}).format(n);

// dayMonth is "6 December" (with the year when it is not this year).
function dayMonth(d) {
  const z = zoneParts(d);
  const sameYear = z.y === zoneParts(now()).y;
  if (S.native) return intl('date', sameYear ? { day: 'numeric', month: 'long' } : { day: 'numeric', month: 'long', year: 'numeric' }).format(toDate(d));
  const dm = t('page.fmt.day_month', { day: z.d, month: names('page.fmt.months')[z.m - 1] });
  return sameYear ? dm : dm + ' ' + z.y;
}

export const fmtDateTime = (v) => (S.native ? intl('date', { dateStyle: 'medium', timeStyle: 'short' }).format(toDate(v))
  : t('page.when.day_time', { day: dayMonth(v), time: fmtTime(v) }));

export function fmtList(xs) {
  if (S.native) return intl('list', { type: 'conjunction' }).format(xs);
  return xs.length < 2 ? xs.join('') : xs.slice(0, -1).join(', ') + t('page.fmt.and') + xs[xs.length - 1];
}

// dayNumber is the local day of d (in the router's zone) as a day count.
function dayNumber(d) {
  const z = zoneParts(d);
  return Math.round(Date.UTC(z.y, z.m - 1, z.d) / 86400000);
}

// dayWord names a moment's day relative to today: "" for today, "tomorrow",
// "yesterday", else the date ("6 December"; a date, not a weekday, so
// that it reads right after "until" in every language).
function dayWord(d) {
  const diff = dayNumber(d) - dayNumber(now());
  if (diff === 0) return '';
  if (Math.abs(diff) === 1) return S.native ? intl('rel', { numeric: 'auto' }).format(diff, 'day') : t(diff > 0 ? 'page.fmt.tomorrow' : 'page.fmt.yesterday');
  return dayMonth(d);
}

// when says when a moment is, for lists and after "until": "21:00",
// "tomorrow, 07:00", "6 December, 21:00".
export function when(v) {
  const d = toDate(v);
  const day = dayWord(d);
  return day ? t('page.when.day_time', { day, time: fmtTime(d) }) : fmtTime(d);
}

// at says when a moment is, inside a sentence: "at 21:00", "tomorrow at
// 07:00", "6 December at 21:00".
export function at(v) {
  const d = toDate(v);
  const day = dayWord(d);
  return day ? t('page.when.day_at', { day, time: fmtTime(d) }) : t('page.when.at', { time: fmtTime(d) });
}

// ago says how long ago a moment was: "5 minutes ago".
export function ago(v) {
  const s = (toDate(v).getTime() - now().getTime()) / 1000;
  const a = Math.abs(s);
  const [n, unit] = a < 60 ? [0, 'second'] : a < 3600 ? [Math.round(s / 60), 'minute'] : a < 86400 ? [Math.round(s / 3600), 'hour'] : [Math.round(s / 86400), 'day'];
  if (S.native) return intl('rel', { numeric: 'auto' }).format(n, unit);
  return n === 0 ? t('page.fmt.now') : t('page.fmt.ago_' + unit, { n: Math.abs(n) });
}

// hours and minutes format amounts with short units: "2 hr", "30 min".
export const hours = (n) => (S.native ? intl('num', { style: 'unit', unit: 'hour', unitDisplay: 'short', maximumFractionDigits: 1 }).format(n)
  : t('page.fmt.hours', { n: fmtNum(Math.round(n * 10) / 10) }));
const minutes = (n) => (S.native ? intl('num', { style: 'unit', unit: 'minute', unitDisplay: 'short' }).format(n) : t('page.fmt.minutes', { n: fmtNum(n) }));

// dur formats seconds as "1 hr 30 min" in the page's language.
export function dur(sec) {
  sec = Math.max(0, Math.round(sec || 0));
  const hrs = Math.floor(sec / 3600);
  const min = Math.round((sec % 3600) / 60);
  if (hrs && min) return hours(hrs) + ' ' + minutes(min);
  if (hrs) return hours(hrs);
  return minutes(min);
}

// dayLabel formats a YYYY-MM-DD date: its short weekday ("Mon"), or in
// full ("Monday, 2 December").
export function dayLabel(ymd, long) {
  const [y, m, d] = ymd.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  const wd = DAYS[(date.getUTCDay() + 6) % 7];
  if (!long) return weekdayName(wd);
  if (S.native) return intl('date', { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }).format(date);
  return weekdayName(wd, 'long') + ', ' + t('page.fmt.day_month', { day: d, month: names('page.fmt.months')[m - 1] });
}

// weekdayName names mon … sun in the page's language.
export function weekdayName(day, style) {
  const i = DAYS.indexOf(day); // 2024-01-01 was a Monday
  if (!S.native) return names(style === 'long' ? 'page.fmt.weekdays' : 'page.fmt.weekdays_short')[i];
  return intl('date', { weekday: style || 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(2024, 0, 1 + i)));
}

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

// pad writes n with two digits: "07".
export const pad = (n) => String(n).padStart(2, '0');

// setZone shows times in zone tz from now on, when the browser knows it.
export function setZone(tz) {
  if (!tz || tz === S.tz) return;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    S.tz = tz;
    fmtCache.clear();
  } catch (e) { /* a POSIX TZ string: keep the browser's zone */ }
}

// localParts is a moment's weekday (mon…sun) and "HH:MM" in the router's zone.
export function localParts(v) {
  const z = zoneParts(v);
  return { day: DAYS[z.wd], hm: pad(z.hh) + ':' + pad(z.mm) };
}

// nextAt is the next moment the router's clock shows hm ("HH:MM"), as ISO.
export function nextAt(hm) {
  const [hh, mm] = hm.split(':').map(Number);
  const z = zoneParts(now());
  let d = zoned(z.y, z.m, z.d, hh, mm);
  if (d <= now()) d = zoned(z.y, z.m, z.d + 1, hh, mm);
  return d.toISOString();
}
