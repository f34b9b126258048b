// router.js: hash routes (#/<name>[/<arg>][?query]). render() draws the
// current route's view, keeping focus and scroll on a refresh; the
// navigation bar with the requests badge; timers that live as long as a
// view; where to go when the session ends.

import { $, h } from './dom.js';
import { S } from './state.js';
import { t } from './i18n.js';
import { fmtNum } from './time.js';
import { say } from './toast.js';

// NAV is the parents' navigation bar, in order.
const NAV = ['overview', 'people', 'profiles', 'schedules', 'limits', 'activity', 'requests', 'settings'];

// ROUTES maps a route's name to its view: {kind, view}. Parent routes
// (no kind) need a session; 'child' and 'public' ones do not, and public
// ones (login, setup) are left for the overview once logged in. view(route,
// bg) returns the nodes to show. app.js fills the table (addRoutes).
const ROUTES = {};

// addRoutes adds views to the route table; app.js calls it before the
// first render.
export function addRoutes(table) {
  Object.assign(ROUTES, table);
}

// parseHash reads the route in the address bar: name, arg and query.
export function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const qi = raw.indexOf('?');
  const path = qi < 0 ? raw : raw.slice(0, qi);
  const parts = path.split('/').map((p) => { try { return decodeURIComponent(p); } catch (e) { return p; } });
  return { name: parts[0] || '', arg: parts[1] || '', q: new URLSearchParams(qi < 0 ? '' : raw.slice(qi + 1)) };
}

export const go = (path) => { location.hash = '#/' + path; };
export const home = () => (S.session.authenticated ? 'overview' : S.session.needs_setup ? 'setup' : 'login');

// every runs fn every ms while the current view is shown.
export function every(ms, fn) {
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
export async function render(fresh, bg) {
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
export const refresh = () => render(false, true);

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
export function countPending(list) {
  const n = (list || []).filter((r) => r.state === 'pending').length;
  if (n !== S.pending) {
    S.pending = n;
    showNav(parseHash().name);
  }
}

export function sessionLost() {
  if (!S.session.authenticated) return;
  S.session = Object.assign({}, S.session, { authenticated: false });
  S.after = location.hash;
  say(t('page.session_ended'), 'error');
  go('login');
}
