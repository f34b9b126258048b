package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The lab browser: Debian's chromium driven by playwright-core (scripts/e2e/browser, pinned in
// its package-lock.json), run inside a lab namespace so that its traffic crosses the router
// like a real device's. browse opens one URL; UI tests that need more than one navigation add
// a script next to open.mjs that imports browser/lab.mjs and run it with runBrowserScript.

// browserDir is the node project, relative to the repository root.
const browserDir = "scripts/e2e/browser"

// defaultChromium is Debian's chromium launcher; env CHROMIUM names another executable.
const defaultChromium = "/usr/bin/chromium"

// browseResult is what open.mjs reports for one navigation.
type browseResult struct {
	URL      string `json:"url"`
	FinalURL string `json:"finalUrl"` // after redirects; "about:blank" or a chrome-error URL on failure
	// OK is true when the page got an HTTP response and loaded, whatever the HTTP status.
	OK     bool   `json:"ok"`
	Status int    `json:"status"` // HTTP status; 0 without a response
	Title  string `json:"title"`
	Text   string `json:"text"` // the body's innerText, at most 4 KiB
	// Error is "" on success, else chromium's code ("net::ERR_CONNECTION_RESET",
	// "net::ERR_NAME_NOT_RESOLVED", …) or "timeout".
	Error      string `json:"error"`
	Detail     string `json:"detail"`     // Playwright's one-line message for Error
	Ms         int    `json:"ms"`         // navigation time in the browser
	Screenshot string `json:"screenshot"` // PNG path when asked for, else ""
}

func (r browseResult) String() string {
	if r.OK {
		return fmt.Sprintf("ok status=%d title=%q (%d ms)", r.Status, r.Title, r.Ms)
	}
	return fmt.Sprintf("failed %s (%d ms): %s", r.Error, r.Ms, r.Detail)
}

// browseConfig is the set of options of one browse call.
type browseConfig struct {
	timeout     time.Duration
	waitUntil   string
	width       int
	height      int
	mobile      bool
	screenshot  string // file name under scripts/e2e/artifacts
	hostRules   []string
	nameservers []string // the resolvers chromium uses: the router's dnsmasq, as DHCP gives
}

// browseOption changes one setting of a browse call.
type browseOption func(*browseConfig)

// withViewport sets the viewport in CSS pixels (default 1280x800; a phone is 390x844).
func withViewport(width, height int) browseOption {
	return func(c *browseConfig) { c.width, c.height = width, height }
}

// withMobile emulates a phone: touch and the page's mobile viewport meta tag.
func withMobile() browseOption { return func(c *browseConfig) { c.mobile = true } }

// withScreenshot writes a PNG of the page (also after a failed navigation) to
// scripts/e2e/artifacts/<test name>_<name>; browseResult.Screenshot is its path.
func withScreenshot(name string) browseOption { return func(c *browseConfig) { c.screenshot = name } }

// withUpstreamNames maps names (patterns like "*.wild.test" allowed) to labsrv's IPv4 address
// without DNS (chromium's --host-resolver-rules), so that a test reaches the TLS or HTTP stage
// even for a name that DNS blocks.
func withUpstreamNames(names ...string) browseOption {
	return func(c *browseConfig) {
		for _, n := range names {
			c.hostRules = append(c.hostRules, "MAP "+n+" "+upstreamV4)
		}
	}
}

// requireBrowser skips the test when node, npm or chromium are missing and installs the pinned
// playwright-core (npm ci) when node_modules lacks it. It returns the browser directory.
// It is not safe for parallel first use (two npm ci at once).
func requireBrowser(t *testing.T) string {
	t.Helper()
	var missing []string
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if _, err := exec.LookPath(chromiumPath()); err != nil {
		missing = append(missing, chromiumPath())
	}
	if len(missing) > 0 {
		t.Skipf("e2e: browser tests need %s (apt-get install chromium fonts-liberation nodejs npm)",
			strings.Join(missing, " "))
	}
	dir := filepath.Join(repoRoot(t), browserDir)
	want, err := pinnedPlaywright(dir)
	if err != nil {
		t.Fatalf("e2e: %v", err)
	}
	if have := installedPlaywright(dir); have != want {
		t.Logf("e2e: playwright-core %q installed, %s pinned: npm ci in %s", have, want, dir)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("e2e: npm ci in %s: %v\n%s", dir, err, out)
		}
		if have := installedPlaywright(dir); have != want {
			t.Fatalf("e2e: after npm ci playwright-core is %q, want %s", have, want)
		}
	}
	return dir
}

// chromiumPath is $CHROMIUM or Debian's chromium.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	return defaultChromium
}

// pinnedPlaywright returns the playwright-core version that package.json pins.
func pinnedPlaywright(dir string) (string, error) {
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return "", fmt.Errorf("browser: read package.json: %w", err)
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		return "", fmt.Errorf("browser: parse package.json: %w", err)
	}
	v := pkg.Dependencies["playwright-core"]
	if v == "" {
		return "", errors.New("browser: package.json does not depend on playwright-core")
	}
	return v, nil
}

// installedPlaywright returns the version in node_modules, "" when absent.
func installedPlaywright(dir string) string {
	var pkg struct {
		Version string `json:"version"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", "playwright-core", "package.json"))
	if err != nil || json.Unmarshal(b, &pkg) != nil {
		return ""
	}
	return pkg.Version
}

// browse opens url in headless chromium inside the lab namespace short (a, b, …) and returns
// the result. A page that does not load (reset, refused, not resolved, timeout) is a result with
// OK false and Error "net::ERR_…" or "timeout"; a harness fault (chromium does not start, bad
// arguments) fails the test. Names resolve through the router's dnsmasq unless withUpstreamNames
// maps them.
func (l *lab) browse(t *testing.T, short, url string, opts ...browseOption) browseResult {
	t.Helper()
	cfg := browseConfig{timeout: 15 * time.Second, waitUntil: "load", width: 1280, height: 800,
		nameservers: []string{routerV4}}
	for _, o := range opts {
		o(&cfg)
	}
	args := []string{
		"--timeout", fmt.Sprint(cfg.timeout.Milliseconds()),
		"--wait-until", cfg.waitUntil,
		"--viewport", fmt.Sprintf("%dx%d", cfg.width, cfg.height),
	}
	if cfg.mobile {
		args = append(args, "--mobile")
	}
	if cfg.screenshot != "" {
		dir := filepath.Join(l.root, "scripts", "e2e", "artifacts")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()) + "_" + cfg.screenshot
		args = append(args, "--screenshot", filepath.Join(dir, name))
	}
	if len(cfg.hostRules) > 0 {
		args = append(args, "--host-resolver-rules", strings.Join(cfg.hostRules, ", "))
	}
	args = append(args, url)

	start := time.Now()
	out := l.runBrowserScript(t, short, cfg.nameservers, cfg.timeout+60*time.Second, "open.mjs", args...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var r browseResult
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		t.Fatalf("e2e: open.mjs printed no result (%v):\n%s", err, out)
	}
	t.Logf("browse %s from %s: %v; %.1f s with browser start", url, short, r, time.Since(start).Seconds())
	return r
}

// runBrowserScript runs node script (a file in scripts/e2e/browser) with args in the lab
// namespace short, with a resolv.conf naming nameservers (seen by that process only), and
// returns its standard output. A non-zero exit or the timeout fails the test.
func (l *lab) runBrowserScript(t *testing.T, short string, nameservers []string, timeout time.Duration, script string, args ...string) string {
	t.Helper()
	dir := requireBrowser(t)
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("e2e: node missing")
	}
	var conf strings.Builder
	conf.WriteString("# Safe Internet lab browser\n")
	for _, ns := range nameservers {
		fmt.Fprintf(&conf, "nameserver %s\n", ns)
	}
	resolv := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(resolv, []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// ip netns exec gives the command its own mount namespace (slave of the host's), so the bind
	// mount over /etc/resolv.conf is seen by this browser only and vanishes with it.
	shArgs := []string{"netns", "exec", l.ns(short), "sh", "-c",
		`f=$1; shift; mount --bind "$f" /etc/resolv.conf && exec "$@"`, "sh", resolv,
		node, filepath.Join(dir, script)}
	cmd := exec.CommandContext(ctx, "ip", append(shArgs, args...)...)
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("killed after %v", timeout)
		}
		t.Fatalf("e2e: %s in %s: %v\nstdout:\n%s\nstderr:\n%s", script, l.ns(short), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// pngSize returns the width and height of a PNG file.
func pngSize(t *testing.T, path string) (int, int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("e2e: screenshot: %v", err)
	}
	// 8-byte signature, then the IHDR chunk: length, "IHDR", width, height (big-endian).
	if len(b) < 24 || !bytes.Equal(b[:8], []byte("\x89PNG\r\n\x1a\n")) || string(b[12:16]) != "IHDR" {
		t.Fatalf("e2e: %s is not a PNG", path)
	}
	return int(binary.BigEndian.Uint32(b[16:20])), int(binary.BigEndian.Uint32(b[20:24]))
}

// TestBrowserLoadsLabPage proves the lab browser: chromium in device A's namespace, resolving
// through the router with the agent running, loads labsrv's pages over HTTPS and HTTP, honours
// resolver rules and viewports, reports a page that cannot load as a failed result, and makes no
// lookups of its own. Nothing it opens is blocked: blocking tests build on browse.
func TestBrowserLoadsLabPage(t *testing.T) {
	requireLab(t)
	requireBrowser(t)
	l := startLab(t)
	a := l.startAgent(t, closedNX) // device A: only games.test is blocked, and not opened here

	t.Run("https_by_name", func(t *testing.T) {
		r := l.browse(t, "a", "https://school.test/")
		if !r.OK || r.Status != 200 {
			t.Fatalf("https://school.test/ from a: %v, want status 200", r)
		}
		for _, want := range []string{"host=school.test", "sni=school.test"} {
			if !strings.Contains(r.Text, want) {
				t.Errorf("page text %q lacks %q", r.Text, want)
			}
		}
	})
	t.Run("plain_http_stays_http", func(t *testing.T) {
		r := l.browse(t, "a", "http://news.test/")
		if !r.OK || r.Status != 200 {
			t.Fatalf("http://news.test/ from a: %v, want status 200", r)
		}
		if !strings.Contains(r.Text, "host=news.test sni=-") || r.FinalURL != "http://news.test/" {
			t.Errorf("http://news.test/ ended at %s with %q, want plain HTTP", r.FinalURL, r.Text)
		}
	})
	t.Run("resolver_rules_bypass_dns", func(t *testing.T) {
		// unlisted.test is NXDOMAIN upstream; the rule maps it to labsrv without a lookup.
		r := l.browse(t, "a", "https://unlisted.test/", withUpstreamNames("unlisted.test"))
		if !r.OK || !strings.Contains(r.Text, "sni=unlisted.test") {
			t.Fatalf("https://unlisted.test/ with a resolver rule: %v %q, want labsrv's page", r, r.Text)
		}
	})
	t.Run("phone_screenshot", func(t *testing.T) {
		r := l.browse(t, "a", "https://video.test/", withViewport(390, 844), withMobile(), withScreenshot("video-phone.png"))
		if !r.OK {
			t.Fatalf("https://video.test/ at phone width: %v", r)
		}
		if w, h := pngSize(t, r.Screenshot); w != 390 || h != 844 {
			t.Errorf("screenshot %s is %dx%d, want 390x844", r.Screenshot, w, h)
		}
	})
	t.Run("unloadable_page_is_a_result", func(t *testing.T) {
		for _, tc := range []struct{ name, url, wantErr string }{
			{"name_not_found", "https://unlisted.test/", "net::ERR_NAME_NOT_RESOLVED"},
			{"port_closed", "https://school.test:8443/", "net::ERR_CONNECTION_REFUSED"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := l.browse(t, "a", tc.url)
				if r.OK || r.Error != tc.wantErr {
					t.Errorf("%s from a: %v, want %s", tc.url, r, tc.wantErr)
				}
			})
		}
	})
	t.Run("no_lookups_of_its_own", func(t *testing.T) {
		a.freshStatus() // the log lines are written by the time the status file is rewritten
		for _, rec := range a.logRecords("decision") {
			name, _ := rec["name"].(string)
			if rec["mac"] == macA && !strings.HasSuffix(strings.TrimSuffix(name, "."), ".test") {
				t.Errorf("the browser on device A caused a decision on %q (quietNames in browser/lab.mjs?): %v", name, rec)
			}
		}
	})
}
