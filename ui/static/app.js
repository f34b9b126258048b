// Safe Internet: the parents' page and the children's page, one hash-routed
// app with no framework and no build step. The JSON API is in ui/API.md.
// This is the entry module (index.html loads it as type=module): it names
// the routes' views and starts the page. Each other module holds one idea,
// said in its first lines.
//
// Rules every module keeps:
//   - every visible string comes from the catalog (/api/v1/i18n, ids page.*)
//     through t(); dates, times and numbers go through Intl in that language;
//   - data from the LAN (device names, DHCP host names, sites) is only ever
//     set as text (h() and textContent), never parsed as HTML;
//   - the CSP allows no inline script or style: styles are classes, or
//     element.style set from script;
//   - imports are relative ('./x.js'), so a page served under a versioned
//     path loads every module from that same version.

import { $, h } from './dom.js';
import { S } from './state.js';
import { t, translateStatic } from './i18n.js';
import { resetFormats } from './time.js';
import { API } from './api.js';
import { say, sayError } from './toast.js';
import { addRoutes, go, render } from './router.js';
import { loadSession, loadZone } from './session.js';
import { viewLogin, viewSetup } from './login.js';
import { viewChild } from './child.js';
import { viewOverview } from './overview.js';
import { viewPeople } from './people.js';
import { viewProfiles } from './profiles.js';
import { viewSchedules } from './schedules.js';
import { viewLimits } from './limits.js';
import { viewActivity } from './activity.js';
import { viewRequests } from './requests.js';
import { viewSettings } from './settings.js';

addRoutes({
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
});

// loadStrings reads the catalog in the page's language (the lang cookie,
// else the browser's) and translates the page shell.
async function loadStrings() {
  const r = await API.i18n();
  S.msgs = r.messages || {};
  S.lang = r.lang || 'en';
  S.languages = r.languages || S.languages;
  resetFormats();
  document.documentElement.lang = S.lang;
  translateStatic();
}

async function setLanguage(lang) {
  document.cookie = 'lang=' + encodeURIComponent(lang) + '; path=/; max-age=31536000; SameSite=Strict';
  await loadStrings();
  await render(true);
}

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
