// Safe Internet lab browser: launches Debian's chromium (not a downloaded browser) through
// playwright-core and turns one navigation into a plain result object. open.mjs is the command
// line around it; UI tests that need more than one navigation (log in, click, screenshots at
// several widths) import launch and navigate from here.
//
// Contracts:
//   - launch never uses a browser that Playwright downloads: the executable is $CHROMIUM,
//     else /usr/bin/chromium.
//   - navigate never throws for a network failure: a blocked or unreachable site is a result
//     with ok=false and error "net::ERR_…" (or "timeout"). It throws only for harness faults
//     (a closed page, a crashed browser), which callers report as such.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

// defaultExecutable is Debian's chromium launcher script (it execs /usr/lib/chromium/chromium).
export const defaultExecutable = '/usr/bin/chromium';

// textLimit caps the page text copied into a result.
const textLimit = 4096;

// quietNames are the names chromium 156 still looks up at start despite
// --disable-background-networking (sign-in and updater; clients2 is the network time service,
// which Playwright's own --disable-features turns off unless a caller passes another
// --disable-features). They resolve to "not found" inside the browser, so no query reaches the
// router and the agent sees only the lookups a test causes.
export const quietNames = ['accounts.google.com', 'update.googleapis.com', 'clients2.google.com'];

// chromiumArgs returns the command-line switches for a headless chromium in a lab namespace:
// run as root without the sandbox, accept the lab's self-signed certificates, make no
// background lookups or connections of its own (they would show up in the router's decisions),
// and keep http:// URLs on plain HTTP. hostRules, when set, is a --host-resolver-rules value
// such as "MAP games.test 10.99.0.2" that bypasses DNS for the names it maps; it is joined with
// the rules for quietNames into chromium's single --host-resolver-rules switch.
export function chromiumArgs({ hostRules = '', extra = [] } = {}) {
  const args = [
    '--no-sandbox',
    '--ignore-certificate-errors',
    '--disable-dev-shm-usage',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-domain-reliability',
    '--disable-sync',
    '--disable-breakpad',
    '--disable-gpu',
    '--no-pings',
  ];
  const rules = quietNames.map((n) => `MAP ${n} ~NOTFOUND`);
  if (hostRules) {
    rules.push(hostRules);
  }
  args.push(`--host-resolver-rules=${rules.join(', ')}`);
  return args.concat(extra);
}

// profilePrefs seeds the throwaway profile. alternate_error_pages off stops the DNS probe that
// chromium otherwise runs after a failed lookup (a query for google.com through the system
// resolver, which --host-resolver-rules do not cover).
export const profilePrefs = { alternate_error_pages: { enabled: false } };

// launch starts headless chromium on a fresh throwaway profile and returns
//   { context, page, close }
// context is a Playwright BrowserContext with the given viewport (mobile emulates a phone:
// touch and the page's mobile viewport meta tag) that ignores certificate errors; page is its
// first page. The caller must await close(), which ends chromium and removes the profile.
// One launch has one viewport mode: open another for a different mobile setting
// (page.setViewportSize changes only the size).
export async function launch({
  hostRules = '', extra = [], width = 1280, height = 800, mobile = false, timeoutMs = 30000,
} = {}) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'safeinternet-browser-'));
  const removeDir = () => fs.rm(dir, { recursive: true, force: true });
  let context;
  try {
    await fs.mkdir(path.join(dir, 'Default'));
    await fs.writeFile(path.join(dir, 'Default', 'Preferences'), JSON.stringify(profilePrefs));
    context = await chromium.launchPersistentContext(dir, {
      executablePath: process.env.CHROMIUM || defaultExecutable,
      headless: true,
      args: chromiumArgs({ hostRules, extra }),
      timeout: timeoutMs,
      viewport: { width, height },
      isMobile: mobile,
      hasTouch: mobile,
      deviceScaleFactor: 1,
      ignoreHTTPSErrors: true,
    });
  } catch (err) {
    await removeDir();
    throw err;
  }
  const page = context.pages()[0] || (await context.newPage());
  const close = async () => {
    await context.close().catch(() => {});
    await removeDir();
  };
  return { context, page, close };
}

// netError extracts chromium's error code ("net::ERR_CONNECTION_RESET") from a Playwright
// error, "timeout" for a navigation timeout, else the message's first line.
export function netError(err) {
  const msg = String(err && err.message ? err.message : err);
  const m = msg.match(/net::ERR_[A-Z0-9_]+/);
  if (m) {
    return m[0];
  }
  if (err && err.name === 'TimeoutError') {
    return 'timeout';
  }
  return msg.split('\n')[0];
}

// navigate loads url in page and returns
//   { url, finalUrl, ok, status, title, text, error, detail, ms }
// ok is true when the navigation got an HTTP response and finished loading (whatever the HTTP
// status: check status too); status is 0 without a response. error is "" on success.
// waitUntil is Playwright's: "load" (default), "domcontentloaded" or "commit".
export async function navigate(page, url, { timeoutMs = 15000, waitUntil = 'load' } = {}) {
  const start = Date.now();
  const result = { url, finalUrl: '', ok: false, status: 0, title: '', text: '', error: '', detail: '', ms: 0 };
  try {
    const resp = await page.goto(url, { timeout: timeoutMs, waitUntil });
    result.ok = resp !== null;
    result.status = resp ? resp.status() : 0;
    if (!resp) {
      result.error = 'no response';
    }
  } catch (err) {
    if (page.isClosed()) {
      throw err;
    }
    result.error = netError(err);
    result.detail = String(err && err.message ? err.message : err).split('\n')[0];
  }
  result.ms = Date.now() - start;
  result.finalUrl = page.url();
  if (result.ok) {
    result.title = await page.title();
    const text = await page.evaluate(() => (document.body ? document.body.innerText : ''));
    result.text = text.length > textLimit ? text.slice(0, textLimit) : text;
  }
  return result;
}
