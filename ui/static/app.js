// Safe Internet: the parents' page and the children's page, one hash-routed
// app with no framework and no build step. The JSON API is in ui/API.md.
//
// Rules this file keeps:
//   - every visible string comes from the catalog (/api/v1/i18n, ids page.*)
//     through t(); dates, times and numbers go through Intl in that language;
//   - data from the LAN (device names, DHCP host names, sites) is only ever
//     set as text (h() and textContent), never parsed as HTML;
//   - the CSP allows no inline script or style: styles are classes, or
//     element.style set from here.
'use strict';
(function () {
  /* ------------------------------------------------------------------ DOM */

  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  // Attributes set as properties, after the children (so that a select's
  // value finds its option).
  const PROPS = new Set(['value', 'checked', 'selected', 'disabled', 'hidden', 'indeterminate']);

  // h builds an HTML element: h('button', {class: 'x', onclick: fn}, 'text', child, [more]).
  // null, undefined and false attributes and children are skipped.
  function h(tag, attrs, ...kids) {
    return build(document.createElement(tag), attrs, kids);
  }

  // svg builds an SVG element the same way.
  function svg(tag, attrs, ...kids) {
    return build(document.createElementNS('http://www.w3.org/2000/svg', tag), attrs, kids);
  }

  function build(el, attrs, kids) {
    const props = [];
    for (const k in attrs || {}) {
      const v = attrs[k];
      if (v == null || v === false) continue;
      if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (PROPS.has(k)) props.push([k, v]);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    append(el, kids);
    for (const [k, v] of props) el[k] = v;
    return el;
  }

  function append(el, kids) {
    for (const k of kids) {
      if (k == null || k === false) continue;
      if (Array.isArray(k)) append(el, k);
      else el.append(k instanceof Node ? k : String(k));
    }
  }

  let uid = 0;
  const newId = (p) => (p || 'id') + '-' + (++uid);

  /* ----------------------------------------------------------- the state */

  const S = {
    lang: 'en',
    languages: ['en', 'az', 'ru'],
    msgs: {},
    session: { authenticated: false, needs_setup: false, csrf_token: '' },
    csrf: '',
    skew: 0, // router's clock minus this device's, in ms
    childCsrf: '', // the pre-login token for the child's requests
    tz: undefined, // the router's time zone when Intl knows it
    gen: 0, // bumps on every navigation; stale async work checks it
    timers: [],
    after: '', // where to go after logging in
    pending: 0, // children's requests waiting
    native: true, // Intl knows the language's names (see nativeIntl)
  };

  /* ---------------------------------------------------------------- i18n */

  // t returns message id with {name} placeholders filled from p. A missing
  // id shows as itself, so it is visible in tests.
  function t(id, p) {
    let m = S.msgs[id];
    if (m == null) m = id;
    if (p) m = m.replace(/\{(\w+)\}/g, (all, k) => (k in p ? String(p[k]) : all));
    return m;
  }

  // has reports whether the catalog has id (for optional per-value strings).
  const has = (id) => S.msgs[id] != null;

  // label returns the translated name of a value (page.<group>.<value>), or
  // the value itself for one the catalog does not know (a custom profile).
  const label = (group, v) => (has('page.' + group + '.' + v) ? t('page.' + group + '.' + v) : v);

  async function loadStrings() {
    const r = await api('GET', '/api/v1/i18n');
    S.msgs = r.messages || {};
    S.lang = r.lang || 'en';
    S.languages = r.languages || S.languages;
    fmtCache.clear();
    S.native = nativeIntl();
    document.documentElement.lang = S.lang;
    translateStatic();
  }

  // translateStatic fills the page shell's data-i18n elements.
  function translateStatic() {
    document.title = t('page.title');
    for (const el of $$('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    for (const el of $$('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
    const sel = $('#lang');
    sel.replaceChildren(...S.languages.map((l) => h('option', { value: l, lang: l }, t('lang.' + l))));
    sel.value = S.lang;
  }

  async function setLanguage(lang) {
    document.cookie = 'lang=' + encodeURIComponent(lang) + '; path=/; max-age=31536000; SameSite=Strict';
    await loadStrings();
    await render(true);
  }

  /* ------------------------------------------------------------- formats */

  const fmtCache = new Map();
  function intl(kind, opts, locale) {
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
  function zoneParts(d) {
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
  const now = () => new Date(Date.now() + S.skew);
  const fmtTime = (v) => intl('date', { hour: 'numeric', minute: '2-digit' }).format(toDate(v));
  const fmtNum = (n) => intl('num', {}).format(n);

  // dayMonth is "6 December" (with the year when it is not this year).
  function dayMonth(d) {
    const z = zoneParts(d);
    const sameYear = z.y === zoneParts(now()).y;
    if (S.native) return intl('date', sameYear ? { day: 'numeric', month: 'long' } : { day: 'numeric', month: 'long', year: 'numeric' }).format(toDate(d));
    const dm = t('page.fmt.day_month', { day: z.d, month: names('page.fmt.months')[z.m - 1] });
    return sameYear ? dm : dm + ' ' + z.y;
  }

  const fmtDateTime = (v) => (S.native ? intl('date', { dateStyle: 'medium', timeStyle: 'short' }).format(toDate(v))
    : t('page.when.day_time', { day: dayMonth(v), time: fmtTime(v) }));

  function fmtList(xs) {
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
  function when(v) {
    const d = toDate(v);
    const day = dayWord(d);
    return day ? t('page.when.day_time', { day, time: fmtTime(d) }) : fmtTime(d);
  }

  // at says when a moment is, inside a sentence: "at 21:00", "tomorrow at
  // 07:00", "6 December at 21:00".
  function at(v) {
    const d = toDate(v);
    const day = dayWord(d);
    return day ? t('page.when.day_at', { day, time: fmtTime(d) }) : t('page.when.at', { time: fmtTime(d) });
  }

  // ago says how long ago a moment was: "5 minutes ago".
  function ago(v) {
    const s = (toDate(v).getTime() - now().getTime()) / 1000;
    const a = Math.abs(s);
    const [n, unit] = a < 60 ? [0, 'second'] : a < 3600 ? [Math.round(s / 60), 'minute'] : a < 86400 ? [Math.round(s / 3600), 'hour'] : [Math.round(s / 86400), 'day'];
    if (S.native) return intl('rel', { numeric: 'auto' }).format(n, unit);
    return n === 0 ? t('page.fmt.now') : t('page.fmt.ago_' + unit, { n: Math.abs(n) });
  }

  // hours and minutes format amounts with short units: "2 hr", "30 min".
  const hours = (n) => (S.native ? intl('num', { style: 'unit', unit: 'hour', unitDisplay: 'short', maximumFractionDigits: 1 }).format(n)
    : t('page.fmt.hours', { n: fmtNum(Math.round(n * 10) / 10) }));
  const minutes = (n) => (S.native ? intl('num', { style: 'unit', unit: 'minute', unitDisplay: 'short' }).format(n) : t('page.fmt.minutes', { n: fmtNum(n) }));

  // dur formats seconds as "1 hr 30 min" in the page's language.
  function dur(sec) {
    sec = Math.max(0, Math.round(sec || 0));
    const hrs = Math.floor(sec / 3600);
    const min = Math.round((sec % 3600) / 60);
    if (hrs && min) return hours(hrs) + ' ' + minutes(min);
    if (hrs) return hours(hrs);
    return minutes(min);
  }

  // dayLabel formats a YYYY-MM-DD date: its short weekday ("Mon"), or in
  // full ("Monday, 2 December").
  function dayLabel(ymd, long) {
    const [y, m, d] = ymd.split('-').map(Number);
    const date = new Date(Date.UTC(y, m - 1, d));
    const wd = DAYS[(date.getUTCDay() + 6) % 7];
    if (!long) return weekdayName(wd);
    if (S.native) return intl('date', { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }).format(date);
    return weekdayName(wd, 'long') + ', ' + t('page.fmt.day_month', { day: d, month: names('page.fmt.months')[m - 1] });
  }

  // weekdayName names mon … sun in the page's language.
  function weekdayName(day, style) {
    const i = DAYS.indexOf(day); // 2024-01-01 was a Monday
    if (!S.native) return names(style === 'long' ? 'page.fmt.weekdays' : 'page.fmt.weekdays_short')[i];
    return intl('date', { weekday: style || 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(2024, 0, 1 + i)));
  }

  const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

  /* ----------------------------------------------------------------- API */

  class ApiError extends Error {
    constructor(status, code, message, fields, retryAfter) {
      super(message);
      this.status = status;
      this.code = code;
      this.fields = fields || {};
      this.retryAfter = retryAfter || 0;
    }
  }

  // api calls the JSON API. State-changing calls carry the CSRF token (the
  // session's, or o.token). A read with o.bg is a background refresh
  // (X-Background: 1): the router answers it without counting it as the
  // parent's activity, so a page left open still logs out. It returns the
  // decoded body (null for 204) or throws an ApiError whose message is the
  // server's translated one.
  async function api(method, path, body, o) {
    o = o || {};
    const opt = { method, headers: {}, credentials: 'same-origin', cache: 'no-store' };
    if (method !== 'GET') opt.headers['X-CSRF-Token'] = o.token || S.csrf;
    else if (o.bg) opt.headers['X-Background'] = '1';
    if (body !== undefined) {
      opt.headers['Content-Type'] = 'application/json';
      opt.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, opt);
    } catch (e) {
      throw new ApiError(0, 'network', t('page.error.network'));
    }
    const date = Date.parse(res.headers.get('Date') || '');
    if (date) {
      const skew = date - Date.now();
      S.skew = Math.abs(skew) > 5000 ? skew : 0; // the header has whole seconds: ignore jitter
    }
    let data = null;
    if (res.status !== 204) {
      try { data = await res.json(); } catch (e) { data = null; }
    }
    if (!res.ok) {
      const e = (data && data.error) || {};
      const err = new ApiError(res.status, e.code || 'http', e.message || t('page.error.http', { status: res.status }),
        e.fields, e.retry_after || Number(res.headers.get('Retry-After')) || 0);
      if (err.code === 'unauthenticated') sessionLost();
      throw err;
    }
    return data;
  }

  const enc = encodeURIComponent;

  // The routes the page uses, in one place. Reads take bg: true on a
  // background refresh.
  const API = {
    session: () => api('GET', '/api/v1/session'),
    setupInfo: () => api('GET', '/api/v1/setup'),
    setup: (body) => api('POST', '/api/v1/setup', body),
    login: (body) => api('POST', '/api/v1/login', body),
    changePassword: (body) => api('POST', '/api/v1/password', body),
    logout: () => api('POST', '/api/v1/logout'),
    overview: (bg) => api('GET', '/api/v1/overview', undefined, { bg }),
    household: (bg) => api('GET', '/api/v1/household', undefined, { bg }),
    activity: (days) => api('GET', '/api/v1/activity?days=' + days),
    settings: () => api('GET', '/api/v1/settings'),
    saveSettings: (body) => api('PUT', '/api/v1/settings', body),
    requests: (bg) => api('GET', '/api/v1/requests', undefined, { bg }),
    answer: (id, body) => api('POST', '/api/v1/requests/' + enc(id), body),
    addPerson: (p) => api('POST', '/api/v1/people', p),
    savePerson: (id, body) => api('PUT', '/api/v1/people/' + enc(id), body),
    deletePerson: (id) => api('DELETE', '/api/v1/people/' + enc(id)),
    pause: (id, body) => api('POST', '/api/v1/people/' + enc(id) + '/pause', body),
    extra: (id, body) => api('POST', '/api/v1/people/' + enc(id) + '/extra', body),
    saveDevice: (mac, body) => api('PUT', '/api/v1/devices/' + enc(mac), body),
    forgetDevice: (mac) => api('DELETE', '/api/v1/devices/' + enc(mac)),
    saveProfile: (id, body) => api('PUT', '/api/v1/profiles/' + enc(id), body),
    addSchedule: (sc) => api('POST', '/api/v1/schedules', sc),
    saveSchedule: (id, body) => api('PUT', '/api/v1/schedules/' + enc(id), body),
    deleteSchedule: (id) => api('DELETE', '/api/v1/schedules/' + enc(id)),
    childStatus: () => api('GET', '/api/v1/child/status'),
    // a child's request carries the pre-login token the status hands out,
    // even in a browser where a parent is logged in
    childAsk: (body) => api('POST', '/api/v1/child/requests', body, { token: S.childCsrf }),
  };

  // optional returns fallback instead of failing when a route is missing
  // (an older daemon without the editor answers 501).
  async function optional(p, fallback) {
    try { return await p; } catch (e) {
      if (e.code === 'unauthenticated') throw e;
      return fallback;
    }
  }

  /* ---------------------------------------------------- status and errors */

  // say announces a result in the live region (and shows it as a toast).
  function say(text, kind, code) {
    const box = $(kind === 'error' ? '#alert' : '#status');
    const other = $(kind === 'error' ? '#status' : '#alert');
    other.textContent = '';
    box.textContent = '';
    box.textContent = text;
    box.dataset.code = code || '';
    clearTimeout(say.timer);
    say.timer = setTimeout(() => { box.textContent = ''; }, kind === 'error' ? 10000 : 5000);
  }

  const sayError = (e) => say(e && e.message ? e.message : String(e), 'error', e && e.code);

  // act runs an API call from a button: it disables the button, announces
  // done (or the error) and refreshes the view.
  async function act(btn, fn, done) {
    if (btn) btn.disabled = true;
    try {
      await fn();
      if (done !== false) say(done || t('page.saved'));
      await render(false);
    } catch (e) {
      sayError(e);
      if (btn) btn.disabled = false;
    }
  }

  // showFieldErrors puts an ApiError's field messages next to the fields of
  // form (elements .field-error[data-field]) and the rest into .form-error.
  function showFieldErrors(form, err) {
    const fields = (err && err.fields) || {};
    let shown = false;
    for (const el of $$('.field-error', form)) {
      const msg = fields[el.dataset.field] || '';
      el.textContent = msg;
      const input = form.querySelector('[name="' + el.dataset.field + '"]');
      if (input) {
        if (msg) input.setAttribute('aria-invalid', 'true');
        else input.removeAttribute('aria-invalid');
      }
      if (msg) shown = true;
    }
    const general = $('.form-error', form);
    if (general) general.textContent = err && !shown ? err.message : '';
    const bad = $('[aria-invalid="true"]', form);
    if (bad) bad.focus();
  }

  // field builds a labelled input with its error slot.
  function field(lbl, input, hint) {
    const id = input.id || (input.id = newId('f'));
    const name = input.getAttribute('name');
    const hintEl = hint ? h('small', { class: 'hint', id: id + '-hint' }, hint) : null;
    const err = name ? h('small', { class: 'field-error', 'data-field': name, id: id + '-err', 'aria-live': 'polite' }) : null;
    const by = [hintEl && hintEl.id, err && err.id].filter(Boolean).join(' ');
    if (by) input.setAttribute('aria-describedby', by);
    return h('div', { class: 'field' }, h('label', { for: id }, lbl), input, hintEl, err);
  }

  // confirmBox asks a yes/no question in a modal dialog.
  function confirmBox(message, okText) {
    return new Promise((resolve) => {
      const msgId = newId('dlg');
      const done = (v) => { dlg.close(); dlg.remove(); resolve(v); };
      const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': msgId },
        h('p', { id: msgId }, message),
        h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'btn', onclick: () => done(false) }, t('page.cancel')),
          h('button', { type: 'button', class: 'btn danger', 'data-confirm': '', onclick: () => done(true) }, okText || t('page.ok'))));
      dlg.addEventListener('cancel', (ev) => { ev.preventDefault(); done(false); });
      document.body.append(dlg);
      dlg.showModal();
    });
  }

  // icon returns a small inline SVG icon (decorative).
  const ICONS = {
    lock: 'M7 10V7a5 5 0 0 1 10 0v3h1a1 1 0 0 1 1 1v9a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1v-9a1 1 0 0 1 1-1h1zm2 0h6V7a3 3 0 0 0-6 0v3z',
    moon: 'M20 15.3A8.5 8.5 0 0 1 8.7 4a8.5 8.5 0 1 0 11.3 11.3z',
    pause: 'M7 5h4v14H7zM13 5h4v14h-4z',
    clock: 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 5v5.4l3.5 2.1-1 1.7L11 13.6V7h2z',
    check: 'M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z',
    device: 'M7 2h10a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm0 3v13h10V5H7zm4 14v1h2v-1h-2z',
    new: 'M12 2l2.4 6.9H22l-6 4.5 2.3 7-6.3-4.4-6.3 4.4 2.3-7-6-4.5h7.6z',
  };
  const icon = (name, cls) => svg('svg', { class: ['icon', cls], viewBox: '0 0 24 24', 'aria-hidden': 'true', focusable: 'false' },
    svg('path', { d: ICONS[name] }));

  // lockNote is the mark of a setting the ISP locked.
  const lockNote = (text) => h('span', { class: 'locked' }, icon('lock'), text || t('page.locked_isp'));

  /* -------------------------------------------------------------- routing */

  // Routes: #/<name>[/<arg>][?query]. Parent routes need a session; child
  // and public ones do not.
  const NAV = ['overview', 'people', 'profiles', 'schedules', 'limits', 'activity', 'requests', 'settings'];
  const ROUTES = {
    login: { kind: 'public', view: viewLogin },
    setup: { kind: 'public', view: viewSetup },
    child: { kind: 'child', view: viewChild },
    blocked: { kind: 'child', view: viewChild },
    overview: { view: viewOverview },
    people: { view: viewPeople },
    profiles: { view: viewProfiles },
    schedules: { view: viewSchedules },
    limits: { view: viewLimits },
    activity: { view: viewActivity },
    requests: { view: viewRequests },
    settings: { view: viewSettings },
  };

  function parseHash() {
    const raw = location.hash.replace(/^#\/?/, '');
    const qi = raw.indexOf('?');
    const path = qi < 0 ? raw : raw.slice(0, qi);
    const parts = path.split('/').map((p) => { try { return decodeURIComponent(p); } catch (e) { return p; } });
    return { name: parts[0] || '', arg: parts[1] || '', q: new URLSearchParams(qi < 0 ? '' : raw.slice(qi + 1)) };
  }

  const go = (path) => { location.hash = '#/' + path; };
  const home = () => (S.session.authenticated ? 'overview' : S.session.needs_setup ? 'setup' : 'login');

  // every runs fn every ms while the current view is shown.
  function every(ms, fn) {
    const gen = S.gen;
    const id = setInterval(() => { if (gen === S.gen && !document.hidden) fn(); }, ms);
    S.timers.push(id);
  }

  function stopTimers() {
    for (const id of S.timers) clearInterval(id);
    S.timers = [];
  }

  // render shows the route in the address bar. fresh (a navigation) moves
  // focus to the heading; a refresh keeps focus on the same control (by its
  // data-key) and the scroll position. bg says nobody asked for it (a
  // periodic refresh): the view reads in the background.
  async function render(fresh, bg) {
    const r = parseHash();
    const def = ROUTES[r.name];
    if (!def) { history.replaceState(null, '', '#/' + home()); return render(true); }
    if (!def.kind && !S.session.authenticated) {
      S.after = location.hash;
      history.replaceState(null, '', '#/' + (S.session.needs_setup ? 'setup' : 'login'));
      return render(true);
    }
    if (def.kind === 'public' && S.session.authenticated) { history.replaceState(null, '', '#/overview'); return render(true); }
    if (fresh) { stopTimers(); S.gen++; }
    const gen = S.gen;
    const main = $('#main');
    document.body.dataset.mode = def.kind || 'parent';
    showNav(r.name);
    const key = !fresh && document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : '';
    if (fresh) main.replaceChildren(h('p', { class: 'loading' }, t('page.loading')));
    let nodes, failed = '';
    try {
      nodes = await def.view(r, !!bg);
    } catch (e) {
      if (gen !== S.gen) return;
      if (e.code === 'unauthenticated') return;
      failed = e.message || String(e);
      nodes = [h('h1', { tabindex: '-1' }, t('page.error.title')), h('p', { class: 'form-error', role: 'alert' }, e.message),
        h('button', { type: 'button', class: 'btn', onclick: () => render(true) }, t('page.retry'))];
    }
    if (gen !== S.gen) return; // the user went elsewhere meanwhile
    const y = window.scrollY;
    main.replaceChildren(...[].concat(nodes).flat(Infinity).filter((n) => n != null && n !== false));
    // for tests: which view is shown, and how many times it was drawn
    main.dataset.view = r.name + (r.arg ? '/' + r.arg : '');
    main.dataset.renders = String((Number(main.dataset.renders) || 0) + 1);
    if (failed) main.dataset.failed = failed; else delete main.dataset.failed;
    if (fresh) {
      const h1 = $('h1', main);
      if (h1) { h1.setAttribute('tabindex', '-1'); h1.focus({ preventScroll: true }); }
      window.scrollTo(0, 0);
    } else {
      window.scrollTo(0, y);
      const el = key && main.querySelector('[data-key="' + CSS.escape(key) + '"]');
      if (el && !el.disabled) el.focus({ preventScroll: true });
    }
  }

  // refresh re-renders the current view in place (periodic updates, which
  // do not keep the session alive).
  const refresh = () => render(false, true);

  function showNav(current) {
    const nav = $('#nav');
    const parent = S.session.authenticated && document.body.dataset.mode === 'parent';
    nav.hidden = !parent;
    $('#logout').hidden = !S.session.authenticated || document.body.dataset.mode === 'child';
    if (!parent) return;
    nav.replaceChildren(h('ul', null, NAV.map((n) => h('li', null,
      h('a', { href: '#/' + n, 'aria-current': n === current ? 'page' : null, 'data-nav': n },
        t('page.nav.' + n),
        n === 'requests' && S.pending > 0
          ? h('span', { class: 'badge', 'aria-label': t('page.requests.pending_count', { n: S.pending }) }, fmtNum(S.pending)) : null)))));
    // on a phone the bar scrolls sideways: keep the current page in sight
    const cur = $('[aria-current="page"]', nav);
    if (cur && nav.scrollWidth > nav.clientWidth) nav.scrollLeft = Math.max(0, cur.offsetLeft - 24);
  }

  // countPending updates the requests badge from a list of requests.
  function countPending(list) {
    const n = (list || []).filter((r) => r.state === 'pending').length;
    if (n !== S.pending) {
      S.pending = n;
      showNav(parseHash().name);
    }
  }

  function sessionLost() {
    if (!S.session.authenticated) return;
    S.session = Object.assign({}, S.session, { authenticated: false });
    S.after = location.hash;
    say(t('page.session_ended'), 'error');
    go('login');
  }

  async function loadSession() {
    S.session = await API.session();
    S.csrf = S.session.csrf_token || '';
  }

  // loggedIn takes the session a login or setup answered.
  async function loggedIn(sess) {
    S.session = sess;
    S.csrf = sess.csrf_token || '';
    await loadZone();
    const to = S.after && !/^#\/(login|setup)/.test(S.after) ? S.after : '#/overview';
    S.after = '';
    location.hash = to;
  }

  // loadZone learns the router's time zone, so that times read as the
  // schedules run (when the browser knows the zone's name).
  async function loadZone() {
    const st = await optional(API.settings(), null);
    setZone(st && st.time_zone);
  }

  // setZone shows times in zone tz from now on, when the browser knows it.
  function setZone(tz) {
    if (!tz || tz === S.tz) return;
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      S.tz = tz;
      fmtCache.clear();
    } catch (e) { /* a POSIX TZ string: keep the browser's zone */ }
  }

  /* ------------------------------------------------------ setup and login */

  function viewSetup() {
    return authForm('setup');
  }

  function viewLogin() {
    return authForm('login');
  }

  async function authForm(mode) {
    const info = mode === 'setup' ? await API.setupInfo() : null;
    if (info) S.csrf = info.csrf_token || S.csrf;
    const pw = h('input', { name: 'password', type: 'password', required: true, autocomplete: mode === 'setup' ? 'new-password' : 'current-password', 'data-key': 'password' });
    const code = info && info.setup_code_required ? h('input', { name: 'setup_code', autocomplete: 'off', required: true, 'data-key': 'setup_code' }) : null;
    const submit = h('button', { type: 'submit', class: 'btn primary', 'data-key': 'submit' }, t(mode === 'setup' ? 'page.submit_setup' : 'page.submit_login'));
    const lockMsg = h('p', { class: 'lockout', role: 'status' });
    const form = h('form', { class: 'card auth', novalidate: true, onsubmit: onSubmit },
      h('h1', null, t(mode === 'setup' ? 'page.setup_title' : 'page.login_title')),
      // one admin account: the name only helps password managers
      h('input', { type: 'text', name: 'username', autocomplete: 'username', value: 'admin', hidden: true, readonly: true, tabindex: '-1', 'aria-hidden': 'true' }),
      mode === 'setup' ? h('p', { class: 'lead' }, t('page.setup_intro')) : null,
      code ? field(t('page.setup_code'), code, t('page.setup_code_hint')) : null,
      field(t('page.password'), pw, mode === 'setup' ? t('page.password_hint') : null),
      h('p', { class: 'form-error', role: 'alert' }),
      lockMsg,
      h('div', { class: 'actions' }, submit));

    async function onSubmit(ev) {
      ev.preventDefault();
      const body = { password: pw.value };
      if (code) body.setup_code = code.value.trim();
      submit.disabled = true;
      try {
        const sess = mode === 'setup' ? await API.setup(body) : await API.login(body);
        pw.value = '';
        await loggedIn(sess);
      } catch (e) {
        showFieldErrors(form, e);
        if (e.code === 'csrf') await loadSession().catch(() => {});
        if (e.retryAfter > 0 && (e.code === 'locked' || e.code === 'too_many_attempts')) lockout(e.retryAfter);
        else submit.disabled = false;
        if (e.code === 'already_set_up' || e.code === 'needs_setup') {
          await loadSession();
          go(home());
        }
      }
    }

    // lockout keeps the button off until the router lets us try again.
    function lockout(secs) {
      const until = new Date(now().getTime() + secs * 1000);
      if (secs >= 60) lockMsg.textContent = t('page.locked_until', { time: at(until) });
      setTimeout(() => {
        submit.disabled = false;
        lockMsg.textContent = '';
      }, secs * 1000);
    }

    return [form, h('p', { class: 'center' }, h('a', { href: '#/child', class: 'child-link' }, icon('device'), t('page.my_device')))];
  }

  /* ------------------------------------------------------ shared lookups */

  // context indexes the household (null when the router has no editor) for
  // names: people, devices by MAC, schedules by id.
  function context(hh, ov) {
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

  const profileLabel = (id) => label('profile', id);
  const catLabel = (id) => label('cat', id);

  // localParts is a moment's weekday (mon…sun) and "HH:MM" in the router's zone.
  function localParts(v) {
    const z = zoneParts(v);
    return { day: DAYS[z.wd], hm: pad(z.hh) + ':' + pad(z.mm) };
  }

  // nextText says what happens next to a person: "Bedtime at 21:00", "Back on at 07:00".
  function nextText(p, ctx) {
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
  function reasonText(b) {
    if (b.category && (b.reason === 'category' || b.reason === 'focus' || b.reason === 'category_limit' || b.reason === 'isp')) {
      return t('page.reason.' + b.reason + '_cat', { category: catLabel(b.category) });
    }
    return label('reason', b.reason);
  }

  // usageBar shows time used against a limit.
  function usageBar(used, limit) {
    if (limit == null) return h('p', { class: 'usage' }, t('page.used_no_limit', { used: dur(used) }));
    const pct = limit > 0 ? Math.min(100, Math.round((used / limit) * 100)) : 100;
    const fill = h('span', { class: ['bar-fill', pct >= 100 ? 'full' : pct >= 80 ? 'high' : ''] });
    fill.style.width = pct + '%';
    const text = t('page.used_of', { used: dur(used), limit: dur(limit) });
    return h('div', { class: 'usage' },
      h('p', null, text),
      h('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': String(limit), 'aria-valuenow': String(Math.min(used, limit)), 'aria-valuetext': text }, fill));
  }

  const stateBadge = (state) => h('span', { class: ['state', 'state-' + state] },
    icon(state === 'paused' ? 'pause' : state === 'bedtime' ? 'moon' : state === 'open' ? 'check' : 'clock'), t('state.' + state));

  /* ------------------------------------------------------------ overview */

  async function viewOverview(r, bg) {
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

  /* ------------------------------------------------------------ requests */

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

  function requestItem(r, ctx) {
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

  async function viewRequests(r, bg) {
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

  /* ----------------------------------------------------- people & devices */

  const KINDS = ['phone', 'tablet', 'laptop', 'computer', 'tv', 'console', 'speaker', 'other'];

  const options = (list, current, text) => list.map((v) => h('option', { value: v, selected: v === current }, text ? text(v) : v));

  // personOptions lists the people for an "assign to" select, with nobody.
  const personOptions = (ctx, current) => [h('option', { value: '', selected: !current }, t('page.nobody'))]
    .concat((ctx.hh.people || []).map((p) => h('option', { value: p.id, selected: p.id === current }, p.name)));

  async function viewPeople() {
    const hh = await API.household();
    const ctx = context(hh);
    const devs = hh.devices || [];
    const fresh = devs.filter((d) => !d.configured);
    const nobody = devs.filter((d) => d.configured && !d.person);
    return [
      h('h1', null, t('page.nav.people')),
      fresh.length ? h('section', { class: 'panel attention', 'aria-labelledby': 'pd-new' },
        h('h2', { id: 'pd-new' }, icon('new'), t('page.devices.new_title', { n: fresh.length })),
        h('p', { class: 'lead' }, t('page.devices.new_intro')),
        h('ul', { class: 'list' }, fresh.map((d) => newDeviceItem(d, ctx)))) : null,
      (hh.people || []).map((p) => personPanel(p, devs.filter((d) => d.configured && d.person === p.id), ctx)),
      nobody.length ? h('section', { class: 'panel', 'aria-labelledby': 'pd-nobody' },
        h('h2', { id: 'pd-nobody' }, t('page.devices.nobody_title')),
        h('p', { class: 'muted' }, t('page.devices.nobody_intro')),
        h('ul', { class: 'list' }, nobody.map((d) => deviceItem(d, ctx)))) : null,
      addPersonForm(hh),
    ];
  }

  // deviceHints are the clues about a device nobody named yet.
  function deviceHints(d) {
    return h('ul', { class: 'hints' },
      d.random_mac ? h('li', null, t('page.devices.private_mac')) : d.vendor ? h('li', null, t('page.devices.vendor', { vendor: d.vendor })) : null,
      d.hostname ? h('li', null, t('page.devices.hostname', { name: d.hostname })) : null,
      h('li', null, t('page.devices.mac', { mac: d.mac })),
      (d.addresses || []).length ? h('li', null, t('page.devices.addresses', { list: d.addresses.join(', ') })) : null,
      h('li', null, d.last_seen ? t('page.devices.last_seen', { time: ago(d.last_seen) }) : t('page.devices.never_seen')));
  }

  // deviceForm edits a device's name, kind and owner.
  function deviceForm(d, ctx, isNew) {
    const k = 'dev-' + d.mac + '-';
    const name = h('input', { name: 'name', value: d.configured ? d.name : d.hostname || '', required: true, maxlength: '64', 'data-key': k + 'name' });
    const kind = h('select', { name: 'kind', 'data-key': k + 'kind' }, h('option', { value: '' }, t('page.devices.kind_unknown')), options(KINDS, d.kind || '', (v) => label('kind', v)));
    const who = h('select', { name: 'person', 'data-key': k + 'person', onchange: () => { profRow.hidden = !!who.value; } }, personOptions(ctx, d.person || ''));
    // a device of nobody's follows a profile: the unassigned one unless chosen
    const prof = h('select', { name: 'profile', 'data-key': k + 'profile' },
      h('option', { value: '' }, t('page.devices.profile_default')),
      options((ctx.hh.profiles || []).map((x) => x.id).filter((x) => x !== 'unassigned'), d.profile || '', profileLabel));
    const profRow = field(t('page.devices.profile'), prof, t('page.devices.profile_hint'));
    profRow.hidden = !!(d.person || '');
    const save = h('button', { type: 'submit', class: 'btn primary', 'data-key': k + 'save' }, t(isNew ? 'page.devices.assign' : 'page.save'));
    const form = h('form', { class: 'device-form', 'data-mac': d.mac, novalidate: true, onsubmit: onSave },
      h('div', { class: 'row' },
        field(t('page.devices.name'), name),
        field(t('page.devices.kind'), kind),
        field(t(isNew ? 'page.devices.assign_to' : 'page.devices.belongs_to'), who),
        profRow),
      h('p', { class: 'form-error', role: 'alert' }),
      h('div', { class: 'actions' }, save,
        d.configured ? h('button', { type: 'button', class: 'btn danger ghost', 'data-key': k + 'forget', onclick: onForget }, t('page.devices.forget')) : null));

    async function onSave(ev) {
      ev.preventDefault();
      save.disabled = true;
      try {
        const body = { name: name.value.trim(), kind: kind.value, person: who.value };
        if (!who.value) body.profile = prof.value;
        await API.saveDevice(d.mac, body);
        say(t('page.devices.saved', { name: name.value.trim() }));
        await render(false);
      } catch (e) {
        showFieldErrors(form, e);
        save.disabled = false;
      }
    }

    async function onForget(ev) {
      if (!await confirmBox(t('page.devices.forget_confirm', { name: d.name }), t('page.devices.forget'))) return;
      act(ev.target, () => API.forgetDevice(d.mac), t('page.devices.forgotten', { name: d.name }));
    }
    return form;
  }

  function newDeviceItem(d, ctx) {
    return h('li', { class: 'device new', 'data-mac': d.mac },
      h('div', { class: 'device-head' },
        h('span', { class: 'tag new' }, t('page.devices.new')),
        h('strong', { translate: 'no' }, d.hostname || d.name || d.mac)),
      deviceHints(d),
      deviceForm(d, ctx, true));
  }

  function deviceItem(d, ctx) {
    return h('li', { class: 'device', 'data-mac': d.mac },
      h('details', null,
        h('summary', null,
          icon('device'),
          h('span', { class: 'device-name', translate: 'no' }, d.name),
          d.kind ? h('span', { class: 'muted' }, ' · ' + label('kind', d.kind)) : null,
          h('span', { class: 'muted small' }, ' · ', d.last_seen ? ago(d.last_seen) : t('page.devices.never_seen')),
          h('span', { class: 'summary-action' }, t('page.edit'))),
        deviceHints(d),
        deviceForm(d, ctx, false)));
  }

  function personPanel(p, devs, ctx) {
    const k = 'pp-' + p.id + '-';
    const prof = h('select', {
      name: 'profile', 'data-key': k + 'profile',
      onchange: (ev) => act(ev.target, () => API.savePerson(p.id, { profile: ev.target.value }), t('page.people.profile_changed', { name: p.name })),
    }, options((ctx.hh.profiles || []).map((x) => x.id), p.profile, profileLabel));
    const newName = h('input', { name: 'name', value: p.name, required: true, maxlength: '64', 'data-key': k + 'name' });
    const renameForm = h('form', {
      class: 'inline-form', novalidate: true,
      onsubmit: async (ev) => {
        ev.preventDefault();
        try {
          await API.savePerson(p.id, { name: newName.value.trim() });
          say(t('page.saved'));
          await render(false);
        } catch (e) { showFieldErrors(renameForm, e); }
      },
    }, field(t('page.people.name'), newName), h('button', { type: 'submit', class: 'btn', 'data-key': k + 'rename' }, t('page.people.rename')),
    h('p', { class: 'form-error', role: 'alert' }));
    const del = async (ev) => {
      if (!await confirmBox(t('page.people.delete_confirm', { name: p.name }), t('page.people.delete'))) return;
      act(ev.target, () => API.deletePerson(p.id), t('page.people.deleted', { name: p.name }));
    };
    return h('section', { class: 'panel person-panel', 'data-person': p.id, 'aria-labelledby': k + 'h' },
      h('h2', { id: k + 'h', translate: 'no' }, p.name),
      h('div', { class: 'row' }, field(t('page.people.profile'), prof)),
      devs.length ? h('ul', { class: 'list devices' }, devs.map((d) => deviceItem(d, ctx))) : h('p', { class: 'muted' }, t('page.people.no_devices')),
      h('details', { class: 'more' },
        h('summary', null, t('page.people.manage', { name: p.name })),
        renameForm,
        h('button', { type: 'button', class: 'btn danger ghost', 'data-key': k + 'delete', onclick: del }, t('page.people.delete'))));
  }

  function addPersonForm(hh) {
    const name = h('input', { name: 'name', required: true, maxlength: '64', autocomplete: 'off', 'data-key': 'np-name' });
    const prof = h('select', { name: 'profile', 'data-key': 'np-profile' }, options((hh.profiles || []).map((x) => x.id).filter((x) => x !== 'unassigned'), 'child', profileLabel));
    const form = h('form', {
      class: 'panel', novalidate: true, 'aria-labelledby': 'np-h',
      onsubmit: async (ev) => {
        ev.preventDefault();
        try {
          await API.addPerson({ name: name.value.trim(), profile: prof.value });
          say(t('page.people.added', { name: name.value.trim() }));
          await render(false);
        } catch (e) { showFieldErrors(form, e); }
      },
    },
    h('h2', { id: 'np-h' }, t('page.people.add')),
    h('div', { class: 'row' }, field(t('page.people.name'), name), field(t('page.people.profile'), prof, t('page.people.profile_hint'))),
    h('p', { class: 'form-error', role: 'alert' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn primary', 'data-key': 'np-add' }, t('page.people.add'))));
    return form;
  }

  /* ------------------------------------------------------------ profiles */

  const YT = ['off', 'moderate', 'strict'];
  let openProfile = ''; // the profile the parent unfolded, kept open across refreshes

  // lockedCats are the categories the ISP locks for a profile.
  function lockedCats(locked, prof) {
    const l = locked || {};
    return new Set([].concat(l.categories || [], prof.restricted ? l.child_categories || [] : []));
  }

  async function viewProfiles() {
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

  // sitesPanel edits each person's own allowed and blocked sites.
  function sitesPanel(hh) {
    const people = hh.people || [];
    return h('section', { class: 'panel', 'aria-labelledby': 'sites-h' },
      h('h2', { id: 'sites-h' }, t('page.sites.title')),
      h('p', { class: 'lead' }, t('page.sites.intro')),
      people.length === 0 ? h('p', { class: 'muted' }, t('page.overview.no_people')) : null,
      people.map((p) => h('div', { class: 'sites-person', 'data-person': p.id },
        h('h3', { translate: 'no' }, p.name),
        h('div', { class: 'two' }, domainList(p, 'allow'), domainList(p, 'block')),
        (p.temp_allow || []).length ? h('p', { class: 'muted' }, t('page.sites.temp', {
          list: fmtList(p.temp_allow.map((x) => t('page.sites.temp_item', { site: x.domain, time: when(x.until) }))),
        })) : null,
        personCategories(p, hh))));
  }

  const openCats = new Set(); // the people whose categories the parent unfolded

  // personCategories sets a person's own choice per category on top of the
  // profile's: as the profile, always block, or always allow (not for a
  // category the ISP locks; the router refuses that too, and its message
  // shows next to the category).
  function personCategories(p, hh) {
    const k = 'pc-' + p.id + '-';
    const prof = (hh.profiles || []).find((x) => x.id === p.profile) || {};
    const locked = lockedCats(hh.locked, prof);
    const profBlocks = new Set([...(prof.block_category || []), ...locked]);
    const block = new Set(p.block_category || []);
    const allow = new Set(p.allow_category || []);
    const cats = (hh.categories || []).filter((c) => c !== 'allowlist');
    const state = (c) => (allow.has(c) ? 'allow' : block.has(c) ? 'block' : 'profile');
    const own = cats.filter((c) => state(c) !== 'profile');
    const row = (c) => {
      const id = k + c;
      const isLocked = locked.has(c);
      const err = h('small', { class: 'field-error', id: id + '-err', 'aria-live': 'polite' });
      const sel = h('select', {
        id, name: 'category', 'data-key': id, 'data-category': c, 'aria-describedby': [isLocked && id + '-lock', id + '-err'].filter(Boolean).join(' '),
        onchange: async () => {
          const want = sel.value;
          const nb = [...block].filter((x) => x !== c);
          const na = [...allow].filter((x) => x !== c);
          if (want === 'block') nb.push(c);
          if (want === 'allow') na.push(c);
          sel.disabled = true;
          try {
            await API.savePerson(p.id, { block_category: nb, allow_category: na });
            say(t('page.pcats.saved_' + want, { category: catLabel(c), name: p.name }));
            await render(false);
          } catch (e) {
            // the router's reason next to the category; the choice goes back
            const f = e.fields || {};
            err.textContent = f.allow_category || f.block_category || e.message;
            sel.setAttribute('aria-invalid', 'true');
            sel.value = state(c);
            sel.disabled = false;
            sel.focus();
          }
        },
      },
      h('option', { value: 'profile' }, t(profBlocks.has(c) ? 'page.pcats.as_profile_blocked' : 'page.pcats.as_profile_allowed')),
      h('option', { value: 'block' }, t('page.pcats.block')),
      h('option', { value: 'allow', disabled: isLocked }, t('page.pcats.allow') + (isLocked ? ' — ' + t('page.locked_short') : '')));
      sel.value = state(c);
      return h('li', { class: ['cat-state', 'is-' + state(c), isLocked && 'is-locked'], 'data-category': c, 'data-state': state(c) },
        h('label', { for: id }, catLabel(c)),
        sel,
        isLocked ? h('span', { id: id + '-lock', class: 'cat-lock' }, lockNote()) : null,
        err);
    };
    return h('details', {
      class: 'person-cats', 'data-person': p.id, open: openCats.has(p.id),
      ontoggle: (ev) => { if (ev.target.open) openCats.add(p.id); else openCats.delete(p.id); },
    },
    h('summary', null, h('strong', null, t('page.pcats.title', { name: p.name })),
      h('span', { class: 'muted' }, ' · ', own.length ? t('page.pcats.own', { list: fmtList(own.map(catLabel)) }) : t('page.pcats.none_own'))),
    h('p', { class: 'hint' }, t('page.pcats.intro', { profile: profileLabel(p.profile), name: p.name })),
    h('ul', { class: 'cat-states' }, cats.map(row)));
  }

  function domainList(p, which) {
    const k = 'dl-' + p.id + '-' + which;
    const list = p[which] || [];
    const input = h('input', { name: which, inputmode: 'url', autocomplete: 'off', placeholder: 'example.com', 'data-key': k + '-in', spellcheck: 'false' });
    const save = (next, msg) => API.savePerson(p.id, { [which]: next }).then(() => { say(msg); return render(false); });
    const form = h('form', {
      class: 'inline-form', novalidate: true,
      onsubmit: async (ev) => {
        ev.preventDefault();
        const d = input.value.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/.*$/, '');
        if (!d) return;
        try { await save(list.concat(d), t('page.sites.added', { site: d })); } catch (e) { showFieldErrors(form, e); }
      },
    }, field(t('page.sites.add_' + which), input), h('button', { type: 'submit', class: 'btn', 'data-key': k + '-add' }, t('page.add')),
    h('p', { class: 'form-error', role: 'alert' }));
    return h('div', { class: 'domains', 'data-list': which },
      h('h4', null, t('page.sites.' + which)),
      list.length ? h('ul', { class: 'chips' }, list.map((d) => h('li', null, h('span', null, d),
        h('button', {
          type: 'button', class: 'chip-x', 'data-key': k + '-x-' + d, 'aria-label': t('page.sites.remove', { site: d }),
          onclick: (ev) => act(ev.currentTarget, () => API.savePerson(p.id, { [which]: list.filter((x) => x !== d) }), t('page.sites.removed', { site: d })),
        }, '×')))) : h('p', { class: 'muted' }, t('page.sites.empty')),
      form);
  }

  /* ----------------------------------------------------------- schedules */

  // The week is 7 days × 48 half hours. cells[d][s] is 1 when half hour s
  // of day d (0 = Monday) is inside a window.
  const SLOTS = 48;
  const pad = (n) => String(n).padStart(2, '0');
  const slotHM = (s) => pad(Math.floor(s / 2)) + ':' + (s % 2 ? '30' : '00');
  function hmSlot(hm, up) {
    const [hh, mm] = String(hm).split(':').map(Number);
    const m = hh * 60 + (mm || 0);
    return Math.min(SLOTS, up ? Math.ceil(m / 30) : Math.floor(m / 30));
  }

  const emptyWeek = () => DAYS.map(() => new Array(SLOTS).fill(0));

  // weekFromWindows paints windows; one whose end is not after its start
  // runs past midnight into the next day ("24:00" is the end of the day).
  function weekFromWindows(windows, cells) {
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
  function windowsFromWeek(cells) {
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
  function hmText(hm) {
    const [hh, mm] = hm.split(':').map(Number);
    return intl('date', { hour: 'numeric', minute: '2-digit', timeZone: 'UTC' }).format(new Date(Date.UTC(2024, 0, 1, hh % 24, mm)));
  }

  // windowText: "Mon, Tue 21:00–07:00 (next day)".
  function windowText(w) {
    const days = w.days.length === 7 ? t('page.sched.every_day') : fmtList(w.days.map((d) => weekdayName(d)));
    const crosses = w.end !== '24:00' && w.end <= w.start;
    return t(crosses ? 'page.sched.window_overnight' : 'page.sched.window', { days, start: hmText(w.start), end: hmText(w.end) });
  }

  async function viewSchedules(r) {
    const hh = await API.household();
    if (r.arg) return scheduleEditor(hh, r.arg === 'new' ? null : (hh.schedules || []).find((s) => s.id === r.arg), r);
    const list = hh.schedules || [];
    return [
      h('h1', null, t('page.nav.schedules')),
      h('p', { class: 'lead' }, t('page.sched.intro')),
      h('p', null, h('a', { href: '#/schedules/new', class: 'btn primary', 'data-key': 'sc-new' }, t('page.sched.new'))),
      list.length === 0 ? h('p', { class: 'panel muted' }, t('page.sched.none')) : null,
      h('ul', { class: 'cards' }, list.map((s) => {
        const people = (hh.people || []).filter((p) => (p.schedules || []).includes(s.id)).map((p) => p.name);
        const profs = (hh.profiles || []).filter((p) => (p.schedules || []).includes(s.id)).map((p) => profileLabel(p.id));
        return h('li', { class: 'card schedule', 'data-schedule': s.id },
          h('header', { class: 'card-head' }, h('h2', { translate: 'no' }, s.name || s.id), h('span', { class: ['tag', 'kind-' + s.kind] }, label('kind_sched', s.kind))),
          h('ul', { class: 'plain' }, windowsFromWeek(weekFromWindows(s.windows)).map((w) => h('li', null, windowText(w)))),
          s.kind === 'focus' && (s.block_category || []).length ? h('p', { class: 'muted' }, t('page.sched.focus_blocks', { list: fmtList(s.block_category.map(catLabel)) })) : null,
          h('p', { class: 'muted' }, people.length || profs.length ? t('page.sched.applies_to', { names: fmtList(people.concat(profs)) }) : t('page.sched.applies_nobody')),
          h('a', { href: '#/schedules/' + encodeURIComponent(s.id), class: 'btn', 'data-key': 'sc-edit-' + s.id, 'aria-label': t('page.sched.edit_named', { name: s.name || s.id }) }, t('page.edit')));
      })),
    ];
  }

  function scheduleEditor(hh, sc, r) {
    const isNew = !sc;
    const kindQ = r.q.get('kind');
    sc = sc || { id: '', name: '', kind: ['bedtime', 'focus', 'allowed'].includes(kindQ) ? kindQ : 'bedtime', windows: [], block_category: [] };
    const cells = weekFromWindows(sc.windows);
    const name = h('input', { name: 'name', value: sc.name || '', required: true, maxlength: '64', 'data-key': 'sc-name', autocomplete: 'off' });
    let kind = sc.kind;
    const summary = h('ul', { class: 'windows', 'aria-live': 'polite' });
    const grid = weekGrid(cells, () => showSummary());
    const focusBox = h('fieldset', { class: 'focus-cats', hidden: kind !== 'focus' },
      h('legend', null, t('page.sched.focus_cats')),
      h('div', { class: 'checks' }, (hh.categories || []).filter((c) => c !== 'allowlist').map((c) => h('label', { class: 'check' },
        h('input', { type: 'checkbox', name: 'block_category', value: c, checked: (sc.block_category || []).includes(c), 'data-key': 'sc-fc-' + c }), catLabel(c)))),
      h('small', { class: 'field-error', 'data-field': 'block_category' }));
    const kinds = h('fieldset', { class: 'kinds' },
      h('legend', null, t('page.sched.kind')),
      ['bedtime', 'focus', 'allowed'].map((k) => h('label', { class: 'radio-card' },
        h('input', {
          type: 'radio', name: 'kind', value: k, checked: k === kind, 'data-key': 'sc-kind-' + k,
          onchange: () => { kind = k; focusBox.hidden = k !== 'focus'; },
        }),
        h('span', null, h('strong', null, label('kind_sched', k)), h('small', null, t('page.sched.kind_hint.' + k))))));
    const who = h('fieldset', { class: 'who' },
      h('legend', null, t('page.sched.people')),
      (hh.people || []).length === 0 ? h('p', { class: 'muted' }, t('page.overview.no_people')) : null,
      h('div', { class: 'checks' }, (hh.people || []).map((p) => h('label', { class: 'check' },
        h('input', { type: 'checkbox', name: 'person', value: p.id, checked: !isNew && (p.schedules || []).includes(sc.id), 'data-key': 'sc-p-' + p.id }), h('span', { translate: 'no' }, p.name)))),
      (hh.profiles || []).some((p) => (p.schedules || []).includes(sc.id))
        ? h('small', { class: 'hint' }, t('page.sched.via_profiles', { list: fmtList(hh.profiles.filter((p) => (p.schedules || []).includes(sc.id)).map((p) => profileLabel(p.id))) })) : null);
    const save = h('button', { type: 'submit', class: 'btn primary', 'data-key': 'sc-save' }, t('page.save'));
    const form = h('form', { class: 'schedule-editor', novalidate: true, onsubmit: onSave, 'data-schedule': sc.id },
      h('p', null, h('a', { href: '#/schedules', class: 'back' }, '← ', t('page.sched.back'))),
      h('h1', null, isNew ? t('page.sched.new') : t('page.sched.edit_named', { name: sc.name || sc.id })),
      h('div', { class: 'panel' }, field(t('page.sched.name'), name, t('page.sched.name_hint')), kinds, focusBox),
      h('section', { class: 'panel', 'aria-labelledby': 'grid-h' },
        h('h2', { id: 'grid-h' }, t('page.sched.when')),
        h('p', { class: 'hint', id: 'grid-help' }, t('page.sched.grid_help')),
        grid.el,
        h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'btn small ghost', 'data-key': 'sc-clear', onclick: () => { grid.clear(); } }, t('page.sched.clear'))),
        h('h3', null, t('page.sched.windows')),
        summary,
        h('small', { class: 'field-error', 'data-field': 'windows' }),
        addWindowForm((w) => { weekFromWindows([w], cells); grid.update(); })),
      h('div', { class: 'panel' }, who),
      h('p', { class: 'form-error', role: 'alert' }),
      h('div', { class: 'actions' }, save,
        !isNew ? h('button', { type: 'button', class: 'btn danger ghost', 'data-key': 'sc-delete', onclick: onDelete }, t('page.sched.delete')) : null,
        h('a', { href: '#/schedules', class: 'btn ghost' }, t('page.cancel'))));

    function showSummary() {
      const wins = windowsFromWeek(cells);
      summary.replaceChildren(...(wins.length ? wins.map((w) => h('li', { 'data-window': JSON.stringify(w) }, windowText(w),
        h('button', {
          type: 'button', class: 'chip-x', 'aria-label': t('page.sched.remove_window', { window: windowText(w) }),
          onclick: () => { unpaint(w); grid.update(); },
        }, '×'))) : [h('li', { class: 'muted' }, t('page.sched.no_windows'))]));
    }

    function unpaint(w) {
      const one = weekFromWindows([w]);
      for (let d = 0; d < 7; d++) for (let s = 0; s < SLOTS; s++) if (one[d][s]) cells[d][s] = 0;
    }

    async function onSave(ev) {
      ev.preventDefault();
      const body = { name: name.value.trim(), kind, windows: windowsFromWeek(cells) };
      body.block_category = kind === 'focus' ? $$('input[name="block_category"]:checked', form).map((x) => x.value) : [];
      const fields = {};
      if (!body.name) fields.name = t('page.sched.need_name');
      if (!body.windows.length) fields.windows = t('page.sched.need_window');
      if (kind === 'focus' && !body.block_category.length) fields.block_category = t('page.sched.need_cats');
      if (Object.keys(fields).length) return showFieldErrors(form, new ApiError(400, 'validation', t('page.check_fields'), fields));
      save.disabled = true;
      try {
        let id = sc.id;
        if (isNew) {
          const res = await API.addSchedule(body);
          id = (res && res.id) || '';
        } else {
          await API.saveSchedule(id, body);
        }
        const want = new Set($$('input[name="person"]:checked', form).map((x) => x.value));
        for (const p of hh.people || []) {
          const has = (p.schedules || []).includes(id);
          if (!id || has === want.has(p.id)) continue;
          const next = has ? p.schedules.filter((x) => x !== id) : (p.schedules || []).concat(id);
          await API.savePerson(p.id, { schedules: next });
        }
        say(t('page.sched.saved', { name: body.name }));
        go('schedules');
      } catch (e) {
        showFieldErrors(form, e);
        save.disabled = false;
      }
    }

    async function onDelete(ev) {
      if (!await confirmBox(t('page.sched.delete_confirm', { name: sc.name || sc.id }), t('page.sched.delete'))) return;
      ev.target.disabled = true;
      try {
        await API.deleteSchedule(sc.id);
        say(t('page.sched.deleted', { name: sc.name || sc.id }));
        go('schedules');
      } catch (e) { sayError(e); ev.target.disabled = false; }
    }

    showSummary();
    return form;
  }

  // addWindowForm adds a window by days and times, for keyboards and for
  // precise times.
  function addWindowForm(onAdd) {
    const times = [];
    for (let s = 0; s <= SLOTS; s++) times.push(slotHM(s));
    const from = h('select', { 'data-key': 'aw-from', 'aria-label': t('page.sched.from') }, times.slice(0, SLOTS).map((v) => h('option', { value: v, selected: v === '21:00' }, hmText(v))));
    const to = h('select', { 'data-key': 'aw-to', 'aria-label': t('page.sched.to') }, times.slice(1).map((v) => h('option', { value: v, selected: v === '07:00' }, v === '24:00' ? t('page.sched.midnight') : hmText(v))));
    const days = DAYS.map((d) => h('label', { class: 'check day' }, h('input', { type: 'checkbox', value: d, 'data-key': 'aw-' + d }), weekdayName(d)));
    return h('details', { class: 'add-window' },
      h('summary', null, t('page.sched.add_window')),
      h('fieldset', null, h('legend', null, t('page.sched.days')), h('div', { class: 'checks days' }, days)),
      h('div', { class: 'row' }, field(t('page.sched.from'), from), field(t('page.sched.to'), to)),
      h('small', { class: 'hint' }, t('page.sched.overnight_hint')),
      h('div', { class: 'actions' }, h('button', {
        type: 'button', class: 'btn', 'data-key': 'aw-add',
        onclick: () => {
          const picked = days.map((l) => l.firstChild).filter((c) => c.checked).map((c) => c.value);
          if (!picked.length) { say(t('page.sched.pick_days'), 'error'); return; }
          onAdd({ days: picked, start: from.value, end: to.value });
          say(t('page.sched.window_added'));
        },
      }, t('page.sched.add'))));
  }

  // weekGrid is the painting grid. Pointer (mouse, pen, touch): press on a
  // half hour and drag to paint it and the ones passed over, on or off as
  // the first one flipped. Keyboard: arrows move, Space or Enter flips,
  // Shift+arrows paint, Home/End jump to the day's ends.
  function weekGrid(cells, onChange) {
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

  /* --------------------------------------------------------- time limits */

  // nextAt is the next moment the router's clock shows hm ("HH:MM"), as ISO.
  function nextAt(hm) {
    const [hh, mm] = hm.split(':').map(Number);
    const z = zoneParts(now());
    let d = zoned(z.y, z.m, z.d, hh, mm);
    if (d <= now()) d = zoned(z.y, z.m, z.d + 1, hh, mm);
    return d.toISOString();
  }

  // hmInputs are hours and minutes inputs for a duration.
  function hmInputs(key, sec, lbl) {
    const hrs = h('input', { type: 'number', min: '0', max: '24', step: '1', inputmode: 'numeric', value: String(Math.floor((sec || 0) / 3600)), 'data-key': key + '-h', 'aria-label': t('page.limits.hours') });
    const min = h('input', { type: 'number', min: '0', max: '59', step: '5', inputmode: 'numeric', value: String(Math.round(((sec || 0) % 3600) / 60)), 'data-key': key + '-m', 'aria-label': t('page.limits.minutes') });
    const box = h('div', { class: 'hm', role: 'group', 'aria-label': lbl },
      h('label', null, hrs, h('span', null, t('page.limits.h_short'))),
      h('label', null, min, h('span', null, t('page.limits.m_short'))));
    return { box, value: () => (Number(hrs.value) || 0) * 3600 + (Number(min.value) || 0) * 60, inputs: [hrs, min] };
  }

  async function viewLimits() {
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

  /* ------------------------------------------------------------ activity */

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

  async function viewActivity(r) {
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

  /* ------------------------------------------------------------ settings */

  async function viewSettings() {
    const st = await API.settings();
    const radios = (name, values, current) => h('fieldset', { class: 'kinds' },
      h('legend', null, t('page.settings.' + name)),
      values.map((v) => h('label', { class: 'radio-card' },
        h('input', { type: 'radio', name, value: v, checked: v === current, 'data-key': 'set-' + name + '-' + v }),
        h('span', null, h('strong', null, t('page.settings.' + name + '.' + v)), h('small', null, t('page.settings.' + name + '.' + v + '_hint'))))),
      h('small', { class: 'field-error', 'data-field': name }));
    const hist = h('input', { type: 'checkbox', role: 'switch', class: 'switch good', name: 'history_domains', checked: !!st.history_domains, 'data-key': 'set-history' });
    const save = h('button', { type: 'submit', class: 'btn primary', 'data-key': 'set-save' }, t('page.save'));
    const form = h('form', {
      class: 'panel', novalidate: true, 'aria-labelledby': 'set-h',
      onsubmit: async (ev) => {
        ev.preventDefault();
        const val = (n) => ($('input[name="' + n + '"]:checked', form) || {}).value;
        save.disabled = true;
        try {
          await API.saveSettings({ dns_block: val('dns_block'), fail_mode: val('fail_mode'), history_domains: hist.checked });
          say(t('page.saved'));
          await render(false);
        } catch (e) { showFieldErrors(form, e); save.disabled = false; }
      },
    },
    h('h2', { id: 'set-h' }, t('page.settings.filtering')),
    radios('dns_block', ['nxdomain', 'null', 'page'], st.dns_block),
    radios('fail_mode', ['closed', 'open'], st.fail_mode),
    h('div', { class: 'field' }, h('label', { class: 'check' }, hist, t('page.settings.history')), h('small', { class: 'hint' }, t('page.settings.history_hint')),
      h('small', { class: 'field-error', 'data-field': 'history_domains' })),
    h('p', { class: 'form-error', role: 'alert' }),
    h('div', { class: 'actions' }, save));
    const l = st.locked || {};
    const dl = (pairs) => h('dl', { class: 'facts' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
    return [
      h('h1', null, t('page.nav.settings')),
      form,
      passwordForm(),
      h('section', { class: 'panel', 'aria-labelledby': 'set-r' },
        h('h2', { id: 'set-r' }, t('page.settings.router')),
        dl([
          [t('page.settings.time'), h('time', { datetime: st.now }, st.now ? fmtDateTime(st.now) : '—')],
          [t('page.settings.zone'), st.time_zone || '—'],
          [t('page.settings.clock'), h('span', { class: st.clock_synced ? 'ok' : 'warn' }, t(st.clock_synced ? 'page.settings.synced' : 'page.settings.not_synced'))],
          st.version ? [t('page.settings.version'), st.version] : null,
        ])),
      h('section', { class: 'panel', 'aria-labelledby': 'set-l' },
        h('h2', { id: 'set-l' }, t('page.settings.lists')),
        (st.lists || []).length === 0 ? h('p', { class: 'muted' }, t('page.settings.no_lists')) : h('div', { class: 'table-wrap' }, h('table', { class: 'table stack' },
          h('thead', null, h('tr', null, ['list', 'entries', 'updated', 'state'].map((c) => h('th', { scope: 'col' }, t('page.settings.list_' + c))))),
          h('tbody', null, st.lists.map((x) => h('tr', { 'data-list': x.name },
            h('td', { 'data-label': t('page.settings.list_list'), translate: 'no' }, x.name, x.format ? h('small', { class: 'muted' }, ' (' + x.format + ')') : null),
            h('td', { 'data-label': t('page.settings.list_entries') }, fmtNum(x.entries || 0)),
            h('td', { 'data-label': t('page.settings.list_updated') }, x.updated ? h('time', { datetime: x.updated, title: fmtDateTime(x.updated) }, ago(x.updated)) : '—'),
            h('td', { 'data-label': t('page.settings.list_state') }, h('span', { class: ['state', 'list-' + x.state] }, label('list_state', x.state)),
              x.error ? h('small', { class: 'form-error' }, ' ' + x.error) : null))))))),
      h('section', { class: 'panel', 'aria-labelledby': 'set-isp' },
        h('h2', { id: 'set-isp' }, icon('lock'), t('page.settings.isp')),
        !l.source ? h('p', { class: 'muted' }, t('page.settings.isp_none')) : [
          h('p', { class: 'lead' }, t('page.settings.isp_intro')),
          dl([
            (l.categories || []).length ? [t('page.settings.isp_categories'), lockNote(fmtList(l.categories.map(catLabel)))] : null,
            (l.child_categories || []).length ? [t('page.settings.isp_child_categories'), lockNote(fmtList(l.child_categories.map(catLabel)))] : null,
            (l.domains || []).length ? [t('page.settings.isp_domains'), h('ul', { class: 'chips' }, l.domains.map((d) => h('li', null, icon('lock'), d)))] : null,
            l.safesearch ? [t('page.profiles.safesearch'), lockNote(t('page.settings.isp_safesearch'))] : null,
            l.youtube && l.youtube !== 'off' ? [t('page.profiles.youtube'), lockNote(t('page.profiles.youtube_locked', { mode: label('yt', l.youtube) }))] : null,
          ]),
          h('p', { class: 'muted' }, t('page.settings.isp_source', { source: l.source }))]),
    ];
  }

  // passwordForm changes the admin password. The router ends every session
  // and answers with a new one for this page.
  function passwordForm() {
    const pw = (name, auto) => h('input', { name, type: 'password', required: true, autocomplete: auto, maxlength: '256', 'data-key': 'pw-' + name });
    const current = pw('current', 'current-password');
    const next = pw('new', 'new-password');
    const repeat = pw('repeat', 'new-password');
    const save = h('button', { type: 'submit', class: 'btn primary', 'data-key': 'pw-save' }, t('page.pw.submit'));
    const form = h('form', {
      class: 'panel password-form', novalidate: true, 'aria-labelledby': 'pw-h',
      onsubmit: async (ev) => {
        ev.preventDefault();
        const fields = {};
        if (!current.value) fields.current = t('page.pw.need_current');
        if (!next.value) fields.new = t('page.pw.need_new');
        else if (repeat.value !== next.value) fields.repeat = t('page.pw.mismatch');
        if (Object.keys(fields).length) return showFieldErrors(form, new ApiError(400, 'validation', t('page.check_fields'), fields));
        save.disabled = true;
        try {
          const sess = await API.changePassword({ current: current.value, new: next.value });
          S.session = sess;
          S.csrf = sess.csrf_token || S.csrf;
          for (const i of [current, next, repeat]) i.value = '';
          showFieldErrors(form, null);
          say(t('page.pw.changed'));
        } catch (e) {
          showFieldErrors(form, e);
        }
        save.disabled = false;
      },
    },
    h('h2', { id: 'pw-h' }, t('page.pw.title')),
    h('p', { class: 'lead' }, t('page.pw.intro')),
    // one admin account: the name only helps password managers
    h('input', { type: 'text', name: 'username', autocomplete: 'username', value: 'admin', hidden: true, readonly: true, tabindex: '-1', 'aria-hidden': 'true' }),
    h('div', { class: 'row' },
      field(t('page.pw.current'), current),
      field(t('page.pw.new'), next, t('page.password_hint')),
      field(t('page.pw.repeat'), repeat)),
    h('p', { class: 'form-error', role: 'alert' }),
    h('div', { class: 'actions' }, save));
    return form;
  }

  /* --------------------------------------------------------- child page */

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

  async function viewChild(r) {
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

  /* ---------------------------------------------------------------- boot */

  async function boot() {
    $('#lang').addEventListener('change', (ev) => setLanguage(ev.target.value).catch(sayError));
    $('#logout').addEventListener('click', async () => {
      try { await API.logout(); } catch (e) { /* gone already */ }
      S.session = { authenticated: false, needs_setup: false };
      S.pending = 0;
      await loadSession().catch(() => {});
      say(t('page.logged_out'));
      go('login');
    });
    $('.skip').addEventListener('click', (ev) => { ev.preventDefault(); $('#main').focus(); });
    window.addEventListener('hashchange', () => render(true));
    try {
      await loadStrings();
      await loadSession();
      if (S.session.authenticated) await loadZone();
    } catch (e) {
      $('#main').replaceChildren(h('p', { class: 'form-error', role: 'alert' }, e.message));
      return;
    }
    await render(true);
  }

  boot();
})();
