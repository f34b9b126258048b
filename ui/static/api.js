// api.js: the JSON API (ui/API.md). api() adds the CSRF token to writes
// and marks background reads, keeps the router's clock skew from the Date
// header, and turns error answers into ApiError with the server's
// translated message; API names every route the page calls.

import { S } from './state.js';
import { t } from './i18n.js';
import { sessionLost } from './router.js';

export class ApiError extends Error {
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
export async function api(method, path, body, o) {
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
export const API = {
  session: () => api('GET', '/api/v1/session'),
  i18n: () => api('GET', '/api/v1/i18n'),
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
export async function optional(p, fallback) {
  try { return await p; } catch (e) {
    if (e.code === 'unauthenticated') throw e;
    return fallback;
  }
}
