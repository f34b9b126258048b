// Command open.mjs opens one URL in headless chromium and prints ONE JSON line:
//
//   {"url":…,"finalUrl":…,"ok":true,"status":200,"title":…,"text":…,"error":"","detail":"","ms":312,"screenshot":""}
//
// A page that cannot be loaded (connection reset, name not resolved, timeout) is a result with
// ok=false and error "net::ERR_…" or "timeout", exit status 0. Exit status 1 means the harness
// itself failed (chromium did not start, the screenshot could not be written); 2 is a usage error.
// Run it inside a network namespace: ip netns exec si-a node scripts/e2e/browser/open.mjs URL
//
// Usage: node open.mjs [options] URL
//   --timeout MS                  navigation timeout (default 15000)
//   --wait-until EVENT            load | domcontentloaded | commit (default load)
//   --viewport WxH                viewport in CSS pixels (default 1280x800), e.g. 390x844
//   --mobile                      emulate a phone (touch, mobile viewport meta)
//   --screenshot FILE             write a PNG of the page (also after a failed navigation)
//   --full-page                   screenshot the whole page, not just the viewport
//   --host-resolver-rules RULES   chromium's resolver rules, e.g. "MAP games.test 10.99.0.2"
//   --arg SWITCH                  one more chromium switch (repeatable); chromium keeps only the
//                                 last --disable-features, so one passed here replaces
//                                 Playwright's list (which turns off network time queries)
// Environment: CHROMIUM names the chromium executable (default /usr/bin/chromium).
import { launch, navigate } from './lab.mjs';

function usage(msg) {
  process.stderr.write(`open.mjs: ${msg}\nusage: node open.mjs [--timeout MS] [--wait-until EVENT] ` +
    '[--viewport WxH] [--mobile] [--screenshot FILE] [--full-page] [--host-resolver-rules RULES] ' +
    '[--arg SWITCH]... URL\n');
  process.exit(2);
}

// parseArgs returns the options of argv (without node and the script).
function parseArgs(argv) {
  const opts = {
    url: '', timeoutMs: 15000, waitUntil: 'load', width: 1280, height: 800, mobile: false,
    screenshot: '', fullPage: false, hostRules: '', extra: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--timeout': {
        opts.timeoutMs = Number(value());
        if (!Number.isInteger(opts.timeoutMs) || opts.timeoutMs <= 0) usage('--timeout: want milliseconds');
        break;
      }
      case '--wait-until': {
        opts.waitUntil = value();
        if (!['load', 'domcontentloaded', 'commit'].includes(opts.waitUntil)) usage('--wait-until: load, domcontentloaded or commit');
        break;
      }
      case '--viewport': {
        const m = value().match(/^(\d+)x(\d+)$/);
        if (!m) usage('--viewport: want WIDTHxHEIGHT');
        opts.width = Number(m[1]);
        opts.height = Number(m[2]);
        break;
      }
      case '--mobile': opts.mobile = true; break;
      case '--screenshot': opts.screenshot = value(); break;
      case '--full-page': opts.fullPage = true; break;
      case '--host-resolver-rules': opts.hostRules = value(); break;
      case '--arg': opts.extra.push(value()); break;
      default:
        if (a.startsWith('-')) usage(`unknown option ${a}`);
        if (opts.url) usage('one URL only');
        opts.url = a;
    }
  }
  if (!opts.url) usage('missing URL');
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  // A hung browser must not hang the caller: give up well after the navigation timeout.
  setTimeout(() => {
    process.stderr.write('open.mjs: watchdog: still running, giving up\n');
    process.exit(1);
  }, opts.timeoutMs + 45000).unref();

  let lab;
  try {
    lab = await launch({
      hostRules: opts.hostRules, extra: opts.extra, width: opts.width, height: opts.height, mobile: opts.mobile,
    });
  } catch (err) {
    process.stderr.write(`open.mjs: launch chromium: ${err.message}\n`);
    process.exit(1);
  }
  let code = 0;
  try {
    const result = await navigate(lab.page, opts.url, { timeoutMs: opts.timeoutMs, waitUntil: opts.waitUntil });
    result.screenshot = '';
    if (opts.screenshot) {
      await lab.page.screenshot({ path: opts.screenshot, fullPage: opts.fullPage, timeout: 15000 });
      result.screenshot = opts.screenshot;
    }
    process.stdout.write(JSON.stringify(result) + '\n');
  } catch (err) {
    process.stderr.write(`open.mjs: ${err.message}\n`);
    code = 1;
  } finally {
    await lab.close();
  }
  process.exit(code);
}

main();
