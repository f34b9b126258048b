// Command page.mjs drives the Safe Internet web page (ui/static) in headless chromium, one
// scenario per run, and prints ONE JSON line:
//
//   {"scenario":"login","ok":true,"error":"","ms":812,"screenshots":[…],"console":[],…scenario fields}
//
// ok=false with error set when the scenario could not do its job (a control missing, the API
// refused, the page threw, a CSP violation): exit status 0, and a screenshot of the failure is
// saved. Exit status 1 means the harness failed (chromium did not start); 2 is a usage error.
// Every run starts a fresh browser profile, so parent scenarios log in first (args.password).
//
// Usage: node page.mjs BASE_URL SCENARIO [JSON_ARGS]
//   BASE_URL   the page, e.g. http://192.168.1.1:8090/ (the router) or http://127.0.0.1:8091/
//   SCENARIO   setup | login | assign | bedtime | activity | child-ask | approve | lang | screens |
//              password | categories | profile
//   JSON_ARGS  an object; common keys:
//     password    the admin password (parent scenarios)
//     artifacts   folder for screenshots (default scripts/e2e/artifacts)
//     prefix      screenshot file name prefix (default the scenario name)
//     shots       false: no screenshots except on failure (default true)
//     timeout     milliseconds to wait for one step (default 10000)
//
// Scenarios and their own args (see each function below for its result fields):
//   setup      {password, setup_code?}                    first run: set the admin password
//   login      {password}                                 log in; the overview's people
//   assign     {password, mac, person, name, kind?}       give a device a name and an owner
//              (person: id or display name; "" for nobody)
//   bedtime    {password, name, person?|people?, kind?, paint:[{day,start,end}], clear?, categories?}
//              create (or edit, found by name) a schedule by painting the weekly grid;
//              a window whose end is not after its start runs past midnight
//   activity   {password, person}                         the blocked-attempts chart and table
//   child-ask  {kind?: "time"|"unblock", site?, wait?: "approved"|"denied"|"answered", wait_ms?, ask?}
//              as the child device: open the child page and ask; with wait, a request of that
//              kind already on the page is watched instead (ask: true asks anew anyway)
//   approve    {password, minutes?: 15|30|60|"tomorrow", deny?, person?, id?, kind?}
//   lang       {password?}                                switch to az, then ru; the visible texts
//   screens    {password}                                 every page at both widths
//   password   {password, new, current?, repeat?}         change the admin password on Settings
//              (current defaults to password, repeat to new); another browser logged in
//              before must be logged out by it
//   categories {password, person, category, state: "profile"|"block"|"allow", force?}
//              a person's own choice for a category (Profiles, "Categories for …"); force
//              makes a locked category's "always allow" choosable first, to see the router refuse
//   profile    {password, profile, schedules?: [id or name], limit_minutes?: n|null, quic?}
//              a profile's schedules, daily time and QUIC switch (Profiles)
//
// Environment: CHROMIUM names the chromium executable (default /usr/bin/chromium).
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { chromiumArgs, defaultExecutable } from './lab.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const SCENARIOS = {
  setup, login, assign, bedtime, activity, 'child-ask': childAsk, approve, lang, screens, password,
  categories, profile,
};

function usage(msg) {
  process.stderr.write(`page.mjs: ${msg}\nusage: node page.mjs BASE_URL ` +
    `(${Object.keys(SCENARIOS).join('|')}) [JSON_ARGS]\n`);
  process.exit(2);
}

// Failure is a scenario that could not do its job: reported as ok=false, not a crash.
class Failure extends Error {}
const fail = (msg) => { throw new Failure(msg); };

/* ------------------------------------------------------------------ the run */

async function main() {
  const [base, name, json] = process.argv.slice(2);
  if (!base || !name) usage('want a base URL and a scenario');
  if (!SCENARIOS[name]) usage(`unknown scenario ${name}`);
  let args = {};
  if (json) {
    try { args = JSON.parse(json); } catch (err) { usage(`JSON_ARGS: ${err.message}`); }
    if (!args || typeof args !== 'object' || Array.isArray(args)) usage('JSON_ARGS: want an object');
  }
  const timeout = Number(args.timeout) || 10000;
  setTimeout(() => {
    process.stderr.write('page.mjs: watchdog: still running, giving up\n');
    process.exit(1);
  }, Math.max(90000, timeout * 12)).unref();

  let browser;
  try {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || defaultExecutable,
      headless: true,
      args: chromiumArgs(),
      timeout: 30000,
    });
  } catch (err) {
    process.stderr.write(`page.mjs: launch chromium: ${err.message}\n`);
    process.exit(1);
  }
  const started = Date.now();
  const h = await harness(browser, base, name, args, timeout);
  const out = { scenario: name, ok: false, error: '' };
  try {
    const res = await SCENARIOS[name](h, args);
    out.ok = true;
    Object.assign(out, res); // a scenario may report ok=false itself (a refusal it shows)
    if (h.problems.length) fail(h.problems.join('; '));
  } catch (err) {
    out.ok = false;
    out.error = err instanceof Failure ? err.message : `${err.name}: ${err.message.split('\n')[0]}`;
    await h.shot('failed').catch(() => {});
  }
  out.errors = h.problems;
  out.console = h.consoleErrors;
  out.screenshots = h.screenshots;
  out.url = h.page.url();
  out.ms = Date.now() - started;
  await browser.close().catch(() => {});
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(0);
}

// harness opens one page and watches it: uncaught errors and CSP violations are problems
// (they fail the scenario); other console errors are reported.
async function harness(browser, base, scenario, args, timeout) {
  const context = await browser.newContext({ viewport: DESKTOP, deviceScaleFactor: 1, ignoreHTTPSErrors: true });
  context.setDefaultTimeout(timeout);
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI || ''} ${e.sourceFile || ''}:${e.lineNumber || ''}`);
    });
  });
  const page = await context.newPage();
  const h = {
    base: base.replace(/#.*$/, '').replace(/\/?$/, '/'),
    page,
    context,
    timeout,
    problems: [],
    consoleErrors: [],
    screenshots: [],
    artifacts: args.artifacts || path.join(here, '..', 'artifacts'),
    prefix: args.prefix || scenario,
    shots: args.shots !== false,
  };
  page.on('pageerror', (err) => h.problems.push(`page error: ${err.message.split('\n')[0]}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    if (/CSP violation|Content Security Policy|Refused to/.test(text)) h.problems.push(text);
    else h.consoleErrors.push(text);
  });
  // shot saves the page at desktop and phone width; names end -desktop.png and -phone.png.
  h.shot = async (step, { fullPage = true, force = false } = {}) => {
    if (!h.shots && !force && step !== 'failed') return;
    await fs.mkdir(h.artifacts, { recursive: true });
    const size = page.viewportSize();
    for (const [label, vp] of [['desktop', DESKTOP], ['phone', PHONE]]) {
      await page.setViewportSize(vp);
      await page.waitForTimeout(150);
      const file = path.join(h.artifacts, `${h.prefix}-${step}-${label}.png`);
      await page.screenshot({ path: file, fullPage, timeout: 15000 });
      h.screenshots.push(file);
    }
    await page.setViewportSize(size || DESKTOP);
  };
  return h;
}

/* ----------------------------------------------------------------- helpers */

// open goes to a route of the page (#/name) and waits until that view is drawn.
async function open(h, route, view) {
  const want = view || route.split('?')[0];
  await h.page.goto(h.base + '#/' + route, { waitUntil: 'load' });
  await waitView(h, want);
}

// waitView waits until main shows view (its data-view), or one of several (array).
async function waitView(h, view) {
  const views = [].concat(view);
  try {
    await h.page.waitForFunction((vs) => {
      const m = document.querySelector('main');
      return m && vs.includes(m.dataset.view);
    }, views, { timeout: h.timeout });
  } catch (err) {
    if (err instanceof Failure) throw err;
    const now = await h.page.evaluate(() => document.querySelector('main').dataset.view || '');
    fail(`the page did not show ${views.join(' or ')} (it shows "${now}")`);
  }
  const failed = await h.page.evaluate(() => document.querySelector('main').dataset.failed || '');
  if (failed) fail(`the page could not show ${views.join(' or ')}: ${failed}`);
}

// renders returns how many times the current view was drawn; afterRender waits for more.
const renders = (h) => h.page.evaluate(() => Number(document.querySelector('main').dataset.renders) || 0);
async function afterRender(h, before) {
  await h.page.waitForFunction((n) => Number(document.querySelector('main').dataset.renders) > n, before);
}

// alertText is the page's error announcement, if any.
const alertText = (h) => h.page.evaluate(() => document.getElementById('alert').textContent.trim());

// formError collects the error messages shown in a form (fields and general).
async function formErrors(h, form) {
  return form.evaluate((f) => [...f.querySelectorAll('.field-error, .form-error')].map((e) => e.textContent.trim()).filter(Boolean));
}

// loginAs logs in through the login form (when not logged in) and waits for the overview.
async function loginAs(h, password) {
  if (!password) fail('args.password is required');
  await h.page.goto(h.base + '#/overview', { waitUntil: 'load' });
  await waitView(h, ['overview', 'login', 'setup']);
  const view = await h.page.evaluate(() => document.querySelector('main').dataset.view);
  if (view === 'overview') return;
  if (view === 'setup') fail('the router has no admin password yet (run setup)');
  const form = h.page.locator('form.auth');
  await form.locator('input[name="password"]').fill(password);
  await form.locator('button[type="submit"]').click();
  try {
    await waitView(h, 'overview');
  } catch (err) {
    const errs = await formErrors(h, form).catch(() => []);
    fail(`login failed: ${errs.join(' ') || err.message}`);
  }
}

// household reads the API as the logged-in page sees it (to check what the UI did).
const household = (h) => h.page.evaluate(async () => (await fetch('/api/v1/household')).json());

// personId finds a person by id or display name.
async function personId(h, who) {
  if (who === '' || who == null) return '';
  const hh = await household(h);
  const p = (hh.people || []).find((x) => x.id === who) || (hh.people || []).find((x) => x.name === who);
  if (!p) fail(`no person "${who}" (people: ${(hh.people || []).map((x) => x.name).join(', ')})`);
  return p.id;
}

const cards = (h) => h.page.$$eval('article.person', (els) => els.map((e) => ({
  id: e.dataset.person,
  name: e.querySelector('h2').textContent.trim(),
  state: e.className.match(/is-(\w+)/)?.[1] || '',
  text: e.innerText.replace(/\s+/g, ' ').trim(),
})));

/* --------------------------------------------------------------- scenarios */

// setup sets the first admin password. Result: {view, people}.
async function setup(h, args) {
  if (!args.password) fail('args.password is required');
  await h.page.goto(h.base, { waitUntil: 'load' });
  await waitView(h, ['setup', 'login', 'overview']);
  const view = await h.page.evaluate(() => document.querySelector('main').dataset.view);
  if (view !== 'setup') fail(`the page shows ${view}, not the first-run form: the password is set already`);
  const form = h.page.locator('form.auth');
  await h.shot('form');
  if (await form.locator('input[name="setup_code"]').count()) {
    if (!args.setup_code) fail('the router wants a setup code (args.setup_code)');
    await form.locator('input[name="setup_code"]').fill(args.setup_code);
  }
  await form.locator('input[name="password"]').fill(args.password);
  await form.locator('button[type="submit"]').click();
  try {
    await waitView(h, 'overview');
  } catch (err) {
    fail(`setup refused: ${(await formErrors(h, form)).join(' ') || err.message}`);
  }
  await h.shot('done');
  return { view: 'overview', people: await cards(h) };
}

// login logs in. Result: {people: [{id, name, state, text}]}, the overview's cards.
async function login(h, args) {
  await loginAs(h, args.password);
  await h.shot('overview');
  return { people: await cards(h) };
}

// assign names a device and gives it to a person from People & devices.
// Result: {device: {mac, name, person, kind}} as the router holds it after saving, and
// shown: where the page lists it afterwards ("person:<id>", "nobody" or "new").
async function assign(h, args) {
  const mac = String(args.mac || '').toLowerCase();
  if (!mac) fail('args.mac is required');
  if (!args.name) fail('args.name is required');
  await loginAs(h, args.password);
  const pid = await personId(h, args.person);
  await open(h, 'people');
  const item = h.page.locator(`li.device[data-mac="${mac}"]`).first();
  if (!(await item.count())) fail(`no device ${mac} on the page`);
  const summary = item.locator('summary');
  if (await summary.count()) await summary.click(); // a configured device's form is folded
  const form = item.locator(`form.device-form[data-mac="${mac}"]`);
  await form.locator('input[name="name"]').fill(args.name);
  if (args.kind !== undefined) await form.locator('select[name="kind"]').selectOption(args.kind);
  await form.locator('select[name="person"]').selectOption(pid);
  await h.shot('form', { fullPage: false });
  const before = await renders(h);
  await form.locator('button[type="submit"]').click();
  try {
    await afterRender(h, before);
  } catch (err) {
    fail(`saving the device failed: ${(await formErrors(h, form)).join(' ') || (await alertText(h)) || err.message}`);
  }
  const shown = await h.page.evaluate((m) => {
    const el = document.querySelector(`li.device[data-mac="${m}"]`);
    if (!el) return '';
    if (el.classList.contains('new')) return 'new';
    const panel = el.closest('[data-person]');
    return panel ? 'person:' + panel.dataset.person : 'nobody';
  }, mac);
  const d = ((await household(h)).devices || []).find((x) => x.mac === mac) || {};
  await h.page.locator(`li.device[data-mac="${mac}"]`).first().scrollIntoViewIfNeeded();
  await h.shot('done', { fullPage: false });
  if (d.name !== args.name || (d.person || '') !== pid) {
    fail(`the router holds ${JSON.stringify({ name: d.name, person: d.person })}, not ${JSON.stringify({ name: args.name, person: pid })}`);
  }
  return { device: { mac, name: d.name, person: d.person || '', kind: d.kind || '' }, shown };
}

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const slotOf = (hm, up) => {
  const [hh, mm] = String(hm).split(':').map(Number);
  const m = hh * 60 + (mm || 0);
  return Math.min(48, up ? Math.ceil(m / 30) : Math.floor(m / 30));
};

// runsOf turns a window into grid runs {d, from, to} (half-hour slots, to inclusive).
function runsOf(w) {
  const d = DAYS.indexOf(w.day);
  if (d < 0) fail(`paint: "${w.day}" is not a day (mon … sun)`);
  const s = slotOf(w.start, false);
  const e = slotOf(w.end, true);
  if (e > s) return [{ d, from: s, to: e - 1 }];
  const out = [{ d, from: s, to: 47 }];
  if (e > 0) out.push({ d: (d + 1) % 7, from: 0, to: e - 1 });
  return out;
}

// drag paints one run on the grid with the mouse: press on the first half hour, move across
// to the last one, release.
async function drag(h, run) {
  const cell = (s) => h.page.locator(`.week-grid .cell[data-d="${run.d}"][data-s="${s}"]`);
  const a = await cell(run.from).boundingBox();
  const b = await cell(run.to).boundingBox();
  if (!a || !b) fail('the schedule grid is not visible');
  const on = await cell(run.from).getAttribute('aria-selected');
  if (on === 'true') fail(`the half hour ${run.from} of day ${DAYS[run.d]} is painted already: use clear`);
  await h.page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await h.page.mouse.down();
  await h.page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: Math.max(2, run.to - run.from) });
  await h.page.mouse.up();
}

// bedtime creates or edits (found by name) a schedule by painting the grid, assigns it to
// the given people and saves. Result: {schedule: {id, name, kind, windows, block_category},
// people: ids it applies to, shown: the windows as the page lists them}.
async function bedtime(h, args) {
  const name = args.name || 'Bedtime';
  const kind = args.kind || 'bedtime';
  const paint = args.paint || [];
  if (!paint.length) fail('args.paint is required: [{day, start, end}]');
  await loginAs(h, args.password);
  const who = [].concat(args.people || (args.person != null ? [args.person] : []));
  const ids = [];
  for (const p of who) ids.push(await personId(h, p));
  const existing = ((await household(h)).schedules || []).find((s) => s.name === name || s.id === args.id);
  await open(h, existing ? 'schedules/' + existing.id : 'schedules/new');
  const form = h.page.locator('form.schedule-editor');
  await form.locator('input[name="name"]').fill(name);
  await form.locator(`input[name="kind"][value="${kind}"]`).check();
  if (kind === 'focus') {
    for (const c of args.categories || ['games', 'social']) await form.locator(`input[name="block_category"][value="${c}"]`).check();
  }
  if (args.clear !== false) await form.locator('[data-key="sc-clear"]').click();
  for (const w of paint) for (const run of runsOf(w)) await drag(h, run);
  for (const id of ids) await form.locator(`input[name="person"][value="${id}"]`).check();
  const shown = await form.locator('ul.windows li[data-window]').evaluateAll((els) => els.map((e) => JSON.parse(e.dataset.window)));
  await form.locator('.week-grid').scrollIntoViewIfNeeded();
  await h.shot('grid', { fullPage: false });
  await form.locator('button[type="submit"]').click();
  try {
    await waitView(h, 'schedules');
  } catch (err) {
    fail(`saving the schedule failed: ${(await formErrors(h, form)).join(' ') || (await alertText(h)) || err.message}`);
  }
  const hh = await household(h);
  const sc = (hh.schedules || []).find((s) => s.name === name);
  if (!sc) fail(`the router has no schedule "${name}" after saving`);
  const people = (hh.people || []).filter((p) => (p.schedules || []).includes(sc.id)).map((p) => p.id);
  for (const id of ids) if (!people.includes(id)) fail(`the schedule does not apply to ${id}`);
  await h.shot('saved');
  return { schedule: sc, people, shown };
}

// activity reads one person's activity. Result: {person, days: [{date, used_seconds,
// blocked}], blocked_chart: [{label, value}], blocked_total, blocked_by: [{name, count}]}.
async function activity(h, args) {
  await loginAs(h, args.password);
  const id = await personId(h, args.person);
  await open(h, 'activity');
  const sec = h.page.locator(`section.activity[data-person="${id}"]`);
  if (!(await sec.count())) fail(`no activity section for ${id}`);
  await sec.locator('details.table-details summary').click();
  const days = await sec.locator('table[data-table="days"] tbody tr').evaluateAll((rows) => rows.map((r) => ({
    date: r.dataset.date,
    used_seconds: Number(r.cells[1].dataset.seconds),
    blocked: Number(r.cells[2].dataset.count),
  })));
  const chart = await sec.locator('[data-chart="blocked"] .bar-g').evaluateAll((gs) => gs.map((g) => ({
    label: g.dataset.label, value: Number(g.dataset.value),
  })));
  const by = await sec.locator('.bar-list.blocked-cats li').evaluateAll((lis) => lis.map((li) => ({
    name: li.querySelector('.bl-name').textContent, count: li.querySelector('.bl-val').textContent,
  })));
  await sec.scrollIntoViewIfNeeded();
  await h.shot('person', { fullPage: false });
  const total = days.reduce((a, d) => a + d.blocked, 0);
  if (chart.length !== days.length || chart.some((c, i) => c.value !== days[i].blocked)) {
    fail('the blocked-attempts chart and table disagree');
  }
  return { person: id, days, blocked_chart: chart, blocked_total: total, blocked_by: by };
}

// childRequest reads the child page's request box for a kind.
const childRequest = (h, kind) => h.page.evaluate((k) => {
  const el = document.querySelector(`.child-req[data-kind="${k}"]`);
  return el ? { id: el.dataset.request, state: el.dataset.state, text: el.innerText.replace(/\s+/g, ' ').trim() } : null;
}, kind);

// childAsk opens the child page as the device running the browser and asks for more time
// (or, with kind unblock and site, to unblock a site from the blocked page). With wait, it
// keeps watching (the page polls every 5 s) until the request is answered.
// Result: {state (the child's: open, bedtime, …), request: {id, state, text}, reason (the
// blocked page's explanation), already (no new request: one was waiting or being watched)}.
// A refusal (asking too often) is ok=false with rate_limited=true and the page's message.
async function childAsk(h, args) {
  const kind = args.kind || 'time';
  if (kind === 'unblock' && !args.site) fail('args.site is required to ask for a site');
  const route = args.site ? 'blocked?name=' + encodeURIComponent(args.site) : 'child';
  await h.page.goto(h.base + '#/' + route, { waitUntil: 'load' });
  await waitView(h, args.site ? 'blocked' : 'child');
  const info = await h.page.evaluate(() => {
    const c = document.querySelector('section.child');
    const reason = document.querySelector('.child-blocked .big');
    return c ? { state: c.dataset.state || '', text: c.innerText.replace(/\s+/g, ' ').trim(), reason: reason ? reason.textContent : '' } : null;
  });
  if (!info) fail('the child page did not load (unknown device?)');
  if (!info.state) fail(`the router does not know this device: ${info.text}`);
  const btn = h.page.locator(`button[data-ask="${kind}"]`);
  if (!(await btn.count())) fail(`no "${kind}" button on the child page`);
  let already = false;
  const shown = await childRequest(h, kind);
  if (await btn.isDisabled() || (args.wait && shown && args.ask !== true)) {
    already = true; // a request of this kind is waiting, or its answer is what we came to see
  } else {
    const prev = ((await childRequest(h, kind)) || {}).id || '';
    await btn.click();
    // the answer: a new request on the page, or the page's refusal
    await h.page.waitForFunction(([k, id]) => {
      const el = document.querySelector(`.child-req[data-kind="${k}"]`);
      return document.getElementById('alert').textContent.trim() || (el && el.dataset.request !== id);
    }, [kind, prev]).catch(() => {});
    const msg = await alertText(h);
    if (msg) {
      await h.shot('refused');
      const limited = await h.page.evaluate(() => document.getElementById('alert').dataset.code === 'rate_limited');
      return { ok: false, error: msg, rate_limited: limited, state: info.state, reason: info.reason };
    }
  }
  let req = await childRequest(h, kind);
  if (!req) fail('the page shows no request after asking');
  await h.shot('asked');
  if (args.wait) {
    const deadline = Date.now() + (Number(args.wait_ms) || 60000);
    const done = (s) => (args.wait === 'answered' ? s !== 'pending' : s === args.wait);
    while (!done(req.state) && Date.now() < deadline) {
      await h.page.waitForTimeout(1000);
      req = (await childRequest(h, kind)) || req;
    }
    if (!done(req.state)) fail(`the request is still ${req.state} after ${args.wait_ms || 60000} ms`);
    await h.shot('answered');
  }
  return { state: info.state, reason: info.reason, request: req, already };
}

// approve answers a pending child's request from the Requests page: approve with minutes
// (15, 30, 60 or "tomorrow"), or deny. It picks the request by id, else the newest pending one
// of person (id or name) and kind. Result: {request: {id, state, text}}.
async function approve(h, args) {
  await loginAs(h, args.password);
  const pid = args.person ? await personId(h, args.person) : '';
  await open(h, 'requests');
  const sel = 'li.request[data-state="pending"]' + (args.id ? `[data-request="${args.id}"]` : '') + (pid ? `[data-person="${pid}"]` : '') + (args.kind ? `[data-kind="${args.kind}"]` : '');
  const item = h.page.locator(sel).first();
  if (!(await item.count())) fail(`no pending request${args.id ? ' ' + args.id : ''}${pid ? ' from ' + pid : ''}`);
  const id = await item.getAttribute('data-request');
  const grant = args.deny ? 'deny' : String(args.minutes || 30);
  const btn = item.locator(`button[data-grant="${grant}"]`);
  if (!(await btn.count())) fail(`no "${grant}" answer (want 15, 30, 60, tomorrow or deny)`);
  await btn.click();
  try {
    await h.page.waitForSelector(`li.request[data-request="${id}"]:not([data-state="pending"])`);
  } catch (err) {
    fail(`answering failed: ${(await alertText(h)) || err.message}`);
  }
  const req = await h.page.locator(`li.request[data-request="${id}"]`).evaluate((el) => ({
    id: el.dataset.request, state: el.dataset.state, text: el.innerText.replace(/\s+/g, ' ').trim(),
  }));
  await h.shot('answered');
  return { request: req };
}

// visibleTexts collects what a user reads on the page: the header, navigation, headings,
// buttons, labels and the main text; missing lists catalog ids shown as they are.
const visibleTexts = (h) => h.page.evaluate(() => {
  // the page marks data (names of people, devices, schedules) translate="no": left out
  const own = (e) => {
    const c = e.cloneNode(true);
    for (const x of c.querySelectorAll('[translate="no"]')) x.remove();
    return e.closest('[translate="no"]') ? '' : c.textContent;
  };
  const texts = (sel) => [...document.querySelectorAll(sel)]
    .filter((e) => e.offsetParent !== null || e.getClientRects().length)
    .map((e) => own(e).replace(/\s+/g, ' ').trim()).filter(Boolean);
  const main = document.querySelector('main').innerText;
  return {
    lang: document.documentElement.lang,
    title: document.title,
    nav: texts('#nav a'),
    headings: texts('main h1, main h2, main h3'),
    buttons: texts('button, .btn'),
    labels: texts('label, legend'),
    missing: [...new Set((document.body.innerText.match(/\b(page|state|error|field|lang)\.[a-z0-9_.]+/g) || []))],
    text: main.slice(0, 2000),
  };
});

async function switchLang(h, lang) {
  const before = await renders(h);
  await h.page.locator('#lang').selectOption(lang);
  await h.page.waitForFunction((l) => document.documentElement.lang === l, lang);
  await afterRender(h, before);
}

// lang switches the page to English, Azerbaijani and Russian (logged in when a password is
// given, else on the login page), reads every page in each, and returns the first page's
// visible texts per language. Result: {en, az, ru: {lang, title, nav, headings, buttons,
// labels, missing, text}, same: az or ru texts identical to English ones (translation gaps;
// names are left out), pages: the pages read, cookie: the lang cookie at the end}.
// Catalog ids shown instead of text fail it.
async function lang(h, args) {
  if (args.password) await loginAs(h, args.password);
  else await open(h, 'login', ['login', 'setup']);
  await switchLang(h, 'en');
  const out = { en: await visibleTexts(h) };
  const start = await h.page.evaluate(() => document.querySelector('main').dataset.view);
  // with a session, every page is read in every language (the first one's texts are returned)
  const routes = args.password ? ['overview', 'people', 'profiles', 'schedules', 'schedules/new', 'limits', 'activity', 'requests', 'settings', 'child'] : [start];
  const english = new Set();
  const seen = { en: [], az: [], ru: [] };
  for (const l of ['en', 'az', 'ru']) {
    await switchLang(h, l);
    for (const r of routes) {
      if (r !== start || l !== 'en') await open(h, r);
      const v = await visibleTexts(h);
      if (r === start) out[l] = v;
      seen[l].push(v);
    }
    await open(h, start);
    if (l !== 'en') await h.shot(l);
  }
  for (const v of seen.en) for (const s of [...v.nav, ...v.headings, ...v.buttons, ...v.labels]) english.add(s);
  const same = new Set();
  const missing = new Set();
  for (const l of ['az', 'ru']) {
    for (const v of seen[l]) {
      for (const s of [...v.nav, ...v.headings, ...v.buttons, ...v.labels]) {
        if (english.has(s) && /[a-z]{3}/i.test(s) && !/^(OK|YouTube|SafeSearch|IP)$/.test(s)) same.add(s);
      }
      if (v.lang !== l) fail(`after choosing ${l} the page says lang=${v.lang}`);
      for (const m of v.missing) missing.add(`${l}: ${m}`);
    }
  }
  if (missing.size) fail(`untranslated ids: ${[...missing].join(', ')}`);
  out.same = [...same];
  out.pages = routes;
  out.cookie = (await h.context.cookies()).filter((c) => c.name === 'lang').map((c) => c.value).join('');
  return out;
}

// screens saves every page at desktop and phone width. Result: {pages: [view names]}.
async function screens(h, args) {
  const pages = [];
  await h.page.goto(h.base + '#/login', { waitUntil: 'load' });
  await waitView(h, ['login', 'setup', 'overview']);
  if ((await h.page.evaluate(() => document.querySelector('main').dataset.view)) !== 'overview') {
    await h.shot('login', { force: true });
    pages.push('login');
  }
  await loginAs(h, args.password);
  const hh = await household(h);
  const routes = ['overview', 'people', 'profiles', 'schedules'];
  if ((hh.schedules || []).length) routes.push('schedules/' + hh.schedules[0].id);
  routes.push('schedules/new', 'limits', 'activity', 'requests', 'settings', 'child');
  const blocked = await h.page.evaluate(async () => {
    const r = await fetch('/api/v1/child/status');
    const st = r.ok ? await r.json() : {};
    return ((st.blocked || [])[0] || {}).name || '';
  });
  if (blocked) routes.push('blocked?name=' + encodeURIComponent(blocked));
  for (const r of routes) {
    await open(h, r);
    const name = r.split('?')[0].replace(/\//g, '-');
    await h.shot(name, { force: true });
    pages.push(name);
  }
  return { pages };
}

// apiLogin logs a fresh browser context in through the API (another parent's browser).
async function apiLogin(h, password) {
  const ctx = await h.context.browser().newContext();
  const page = await ctx.newPage();
  await page.goto(h.base + '#/login', { waitUntil: 'load' });
  // after the page's own session read, so that the si_csrf cookie stays the token sent
  await page.waitForFunction(() => document.querySelector('main').dataset.view === 'login');
  const status = await page.evaluate(async (pw) => {
    const s = await (await fetch('/api/v1/session')).json();
    const r = await fetch('/api/v1/login', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token }, body: JSON.stringify({ password: pw }) });
    return r.status === 200 ? '' : r.status + ' ' + await r.text();
  }, password);
  if (status) fail(`a second browser could not log in: ${status}`);
  return { ctx, overview: () => page.evaluate(async () => (await fetch('/api/v1/overview')).status) };
}

// password changes the admin password from Settings, with another browser logged in
// beforehand. Result: {changed, message (the page's announcement), other_session and
// this_session ("alive" or "ended")}. A refusal the page shows (a wrong current password,
// a short new one, the repeat not matching) is ok=false with fields: the messages by field.
async function password(h, args) {
  if (!args.new) fail('args.new is required');
  await loginAs(h, args.password);
  const other = await apiLogin(h, args.password);
  await open(h, 'settings');
  const form = h.page.locator('form.password-form');
  if (!(await form.count())) fail('no password form on Settings');
  await form.locator('input[name="current"]').fill(args.current != null ? args.current : args.password);
  await form.locator('input[name="new"]').fill(args.new);
  await form.locator('input[name="repeat"]').fill(args.repeat != null ? args.repeat : args.new);
  await form.scrollIntoViewIfNeeded();
  await h.shot('form', { fullPage: false });
  await form.locator('button[type="submit"]').click();
  await h.page.waitForFunction(() => document.getElementById('status').textContent.trim() ||
    [...document.querySelectorAll('form.password-form .field-error, form.password-form .form-error')].some((e) => e.textContent.trim()));
  const fields = await form.evaluate((f) => Object.fromEntries([...f.querySelectorAll('.field-error, .form-error')]
    .filter((e) => e.textContent.trim()).map((e) => [e.dataset.field || 'form', e.textContent.trim()])));
  await h.shot('done', { fullPage: false });
  const alive = async (st) => ((await st()) === 200 ? 'alive' : 'ended');
  const res = {
    other_session: await alive(other.overview),
    this_session: await alive(() => h.page.evaluate(async () => (await fetch('/api/v1/overview')).status)),
  };
  await other.ctx.close();
  if (Object.keys(fields).length) return { ok: false, error: Object.values(fields).join(' '), changed: false, fields, ...res };
  res.changed = true;
  res.message = await h.page.evaluate(() => document.getElementById('status').textContent.trim());
  if (res.other_session !== 'ended') fail('the other browser is still logged in after the change');
  if (res.this_session !== 'alive') fail('the page lost its session with the change');
  return res;
}

// categories sets a person's own choice for one category from the Profiles page. Result:
// {person, category, state: as the router holds it after ("profile", "block" or "allow"),
// shown: the page's choice after, locked: whether the ISP locks it, options: the choices
// offered}. A refusal the page shows next to the category is ok=false with message.
async function categories(h, args) {
  const want = args.state;
  if (!['profile', 'block', 'allow'].includes(want)) fail('args.state must be profile, block or allow');
  if (!args.category) fail('args.category is required');
  await loginAs(h, args.password);
  const id = await personId(h, args.person);
  await open(h, 'profiles');
  const box = h.page.locator(`details.person-cats[data-person="${id}"]`);
  if (!(await box.count())) fail(`no categories for ${id} on the page`);
  if (!(await box.evaluate((d) => d.open))) await box.locator('summary').click();
  const row = box.locator(`li.cat-state[data-category="${args.category}"]`);
  if (!(await row.count())) fail(`no category ${args.category} for ${id}`);
  const sel = row.locator('select');
  const options = await sel.evaluate((s) => [...s.options].map((o) => ({ value: o.value, text: o.textContent, disabled: o.disabled })));
  const locked = await row.evaluate((li) => li.classList.contains('is-locked'));
  if (args.force) await sel.evaluate((s) => { for (const o of s.options) o.disabled = false; });
  const before = await renders(h);
  await sel.selectOption(want);
  // the answer: a redraw, or the router's message next to the category
  await h.page.waitForFunction(([n, cat, pid]) => Number(document.querySelector('main').dataset.renders) > n ||
    document.querySelector(`details.person-cats[data-person="${pid}"] li[data-category="${cat}"] .field-error`).textContent.trim(), [before, args.category, id]);
  const after = h.page.locator(`details.person-cats[data-person="${id}"] li.cat-state[data-category="${args.category}"]`);
  const message = await after.locator('.field-error').textContent().catch(() => '');
  const shown = await after.locator('select').inputValue();
  await after.scrollIntoViewIfNeeded();
  await h.shot('done', { fullPage: false });
  const p = ((await household(h)).people || []).find((x) => x.id === id) || {};
  const state = (p.allow_category || []).includes(args.category) ? 'allow' : (p.block_category || []).includes(args.category) ? 'block' : 'profile';
  const res = { person: id, category: args.category, state, shown, locked, options };
  if (message.trim()) return { ok: false, error: message.trim(), message: message.trim(), ...res };
  if (state !== want) fail(`the router holds ${state}, not ${want}`);
  return res;
}

// profile sets a profile's schedules, daily time and QUIC switch from the Profiles page (only
// the ones given). Result: {profile: as the router holds it after}.
async function profile(h, args) {
  if (!args.profile) fail('args.profile is required');
  await loginAs(h, args.password);
  const hh = await household(h);
  if (!(hh.profiles || []).some((p) => p.id === args.profile)) fail(`no profile ${args.profile}`);
  await open(h, 'profiles');
  const panel = () => h.page.locator(`details.profile[data-profile="${args.profile}"]`);
  const unfold = async () => { if (!(await panel().evaluate((d) => d.open))) await panel().locator('summary').click(); };
  // each change redraws the page: wait for it before the next
  const change = async (fn) => {
    await unfold();
    const before = await renders(h);
    await fn(panel());
    try {
      await afterRender(h, before);
    } catch (err) {
      fail(`saving the profile failed: ${(await formErrors(h, panel())).join(' ') || (await alertText(h)) || err.message}`);
    }
  };
  if (args.schedules) {
    const want = args.schedules.map((x) => ((hh.schedules || []).find((s) => s.id === x || s.name === x) || fail(`no schedule "${x}"`)).id);
    for (const sc of hh.schedules || []) {
      await unfold();
      const box = panel().locator(`.profile-schedules input[value="${sc.id}"]`);
      if ((await box.isChecked()) !== want.includes(sc.id)) await change((pl) => pl.locator(`.profile-schedules input[value="${sc.id}"]`).click());
    }
  }
  if (args.limit_minutes !== undefined) {
    await change(async (pl) => {
      const form = pl.locator('.limit-form');
      const on = form.locator('input[name="limit_on"]');
      if ((await on.isChecked()) !== (args.limit_minutes != null)) await on.click();
      if (args.limit_minutes != null) {
        await form.locator('.hm input').nth(0).fill(String(Math.floor(args.limit_minutes / 60)));
        await form.locator('.hm input').nth(1).fill(String(args.limit_minutes % 60));
      }
      await form.locator('button[type="submit"]').click();
    });
  }
  if (args.quic !== undefined) {
    await unfold();
    const off = panel().locator('input[name="quic"]');
    if ((await off.isChecked()) === !!args.quic) await change((pl) => pl.locator('input[name="quic"]').click());
  }
  await unfold();
  await panel().scrollIntoViewIfNeeded();
  await h.shot('done');
  const p = ((await household(h)).profiles || []).find((x) => x.id === args.profile);
  return { profile: p };
}

main().catch((err) => {
  process.stderr.write(`page.mjs: ${err.stack || err}\n`);
  process.exit(1);
});
