// session.js: the parent's session: reading it, taking the one a login or
// setup answered, and learning the router's time zone with it.

import { S } from './state.js';
import { setZone } from './time.js';
import { API, optional } from './api.js';

export async function loadSession() {
  S.session = await API.session();
  S.csrf = S.session.csrf_token || '';
}

// loggedIn takes the session a login or setup answered.
export async function loggedIn(sess) {
  S.session = sess;
  S.csrf = sess.csrf_token || '';
  await loadZone();
  const to = S.after && !/^#\/(login|setup)/.test(S.after) ? S.after : '#/overview';
  S.after = '';
  location.hash = to;
}

// loadZone learns the router's time zone, so that times read as the
// schedules run (when the browser knows the zone's name).
export async function loadZone() {
  const st = await optional(API.settings(), null);
  setZone(st && st.time_zone);
}
