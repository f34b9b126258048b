package ui

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParentRoutesNeedSession(t *testing.T) {
	s, _, b := setUp(t, nil)
	var cases []struct{ method, path string }
	for path, methods := range s.routes {
		for m, ep := range methods {
			if ep.access == parent {
				cases = append(cases, struct{ method, path string }{m, path})
			}
		}
	}
	if len(cases) < 3 {
		t.Fatalf("only %d parent routes", len(cases))
	}
	// Unknown paths and wrong methods say 401 too, not 404 or 405.
	cases = append(cases, struct{ method, path string }{"GET", "/api/v1/nope"},
		struct{ method, path string }{"DELETE", "/api/v1/overview"},
		struct{ method, path string }{"GET", "/api/v2/overview"},
		struct{ method, path string }{"GET", "/api"})
	for _, c := range cases {
		w := b.do(c.method, c.path, "")
		if w.Code != http.StatusUnauthorized || apiErr(t, w).Code != "unauthenticated" {
			t.Errorf("%s %s without session: %d %s", c.method, c.path, w.Code, w.Body)
		}
	}
	// With a session: 404 and 405 as usual.
	b.login(goodPassword)
	if w := b.do("GET", "/api/v1/nope", ""); w.Code != http.StatusNotFound {
		t.Errorf("unknown path with session: %d", w.Code)
	}
	if w := b.do("DELETE", "/api/v1/overview", ""); w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET" {
		t.Errorf("wrong method with session: %d Allow %q", w.Code, w.Header().Get("Allow"))
	}
}

func TestOverviewAndDevices(t *testing.T) {
	s, _, b := setUp(t, nil)
	b.login(goodPassword)
	// A block with a category after the one without (bedtime).
	ag := s.agent.(*fakeAgent)
	ag.overview.Blocked = append(ag.overview.Blocked, Blocked{Time: time.Date(2026, 3, 2, 20, 50, 0, 0, time.UTC),
		Person: "aylin", Device: "Aylin's tablet", MAC: "02:00:00:00:00:01", Name: "www.roblox.com",
		Reason: "category", Category: "games"})
	for _, tc := range []struct{ path, want string }{
		{"/api/v1/overview", `{"blocked":[{"time":"2026-03-02T21:05:00Z","person":"aylin","device":"Aylin's tablet","name":"game.example","reason":"bedtime","category":null},` +
			`{"time":"2026-03-02T20:50:00Z","person":"aylin","device":"Aylin's tablet","name":"www.roblox.com","reason":"category","category":"games"}],` +
			`"people":[{"id":"aylin","name":"Aylin","profile":"child","state":"bedtime","rule":"school_nights","used_seconds":3000,"limit_seconds":7200,"next_change":"2026-03-03T07:00:00Z","online":["Aylin's tablet"]}]}`},
		{"/api/v1/devices", `{"devices":[{"mac":"02:00:00:00:00:01","name":"Aylin's tablet","person":"aylin","last_seen":"2026-03-02T09:00:00Z"}]}`},
	} {
		w := b.do("GET", tc.path, "")
		if w.Code != 200 || strings.TrimSpace(w.Body.String()) != tc.want {
			t.Errorf("%s: %d\n got %s\nwant %s", tc.path, w.Code, w.Body, tc.want)
		}
	}
}

func TestChildStatus(t *testing.T) {
	s, _ := newTestServer(t, nil) // no password set, no session
	for _, tc := range []struct {
		name, ip string
		status   int
		want     string
	}{
		{"known device", "192.168.1.20", 200, `{"device":{"mac":"02:00:00:00:00:01","name":"Aylin's tablet","person":"aylin","last_seen":null},` +
			`"person":"aylin","person_name":"Aylin","state":"bedtime","rule":"school_nights","time_left_seconds":4200,"next_change":"2026-03-03T07:00:00Z",` +
			`"blocked":[{"time":"2026-03-02T21:05:00Z","name":"game.example","reason":"bedtime","category":null}],"requests":[],"csrf_token":"`},
		{"unknown device", "192.168.1.99", 404, ""},
	} {
		w := newBrowser(t, s, tc.ip).do("GET", "/api/v1/child/status", "")
		if w.Code != tc.status {
			t.Fatalf("%s: %d %s", tc.name, w.Code, w.Body)
		}
		// The token varies: the rest is fixed.
		if tc.want != "" && !strings.HasPrefix(w.Body.String(), tc.want) {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, w.Body, tc.want)
		}
	}
	if w := newBrowser(t, s, "192.168.1.20").do("GET", "/api/v1/child/other", ""); w.Code != 404 {
		t.Errorf("unknown child path: %d", w.Code)
	}
}

func TestNotLAN(t *testing.T) {
	s, _ := newTestServer(t, nil)
	for _, ip := range []string{"203.0.113.5", "8.8.8.8", "[2001:db8::1]"} {
		b := newBrowser(t, s, ip)
		b.remote = ip + ":5000"
		for _, path := range []string{"/", "/api/v1/setup", "/api/v1/child/status"} {
			w := b.do("GET", path, "")
			if w.Code != http.StatusForbidden {
				t.Errorf("%s %s: %d", ip, path, w.Code)
			}
		}
	}
	// A configured LAN replaces the private default.
	s, _ = newTestServer(t, func(o *Options) { o.LAN = []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")} })
	if w := newBrowser(t, s, "198.51.100.7").do("GET", "/api/v1/setup", ""); w.Code != 200 {
		t.Errorf("configured LAN: %d", w.Code)
	}
	if w := newBrowser(t, s, "192.168.1.10").do("GET", "/api/v1/setup", ""); w.Code != 403 {
		t.Errorf("outside the configured LAN: %d", w.Code)
	}
}

// versionedNames returns the asset paths index.html references: the
// entry module and the style sheet, under the page's version.
func versionedNames(t *testing.T, b *browser) []string {
	t.Helper()
	html := b.do("GET", "/", "").Body.String()
	names := regexp.MustCompile(`/static/[0-9a-f]{12}/app\.(js|css)`).FindAllString(html, -1)
	if len(names) != 2 {
		t.Fatalf("index.html names %v, want versioned app.js and app.css", names)
	}
	return names
}

func TestSecurityHeaders(t *testing.T) {
	const noFrameCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
	for _, luci := range []bool{false, true} {
		_, _, b := setUp(t, func(o *Options) {
			if luci {
				o.FrameAncestors = []string{"https://192.168.1.1:8443"}
			}
		})
		paths := []struct{ method, path string }{
			{"GET", "/"}, {"GET", "/index.html"}, {"GET", "/static/app.js"}, {"GET", "/static/app.css"},
			{"GET", "/nope"}, {"POST", "/"}, {"GET", "/api/v1/session"}, {"GET", "/api/v1/overview"},
			{"POST", "/api/v1/login"}, {"GET", "/api/v1/child/status"}, {"GET", "/api/v1/i18n"},
		}
		for _, n := range versionedNames(t, b) {
			paths = append(paths, struct{ method, path string }{"GET", n})
		}
		for _, p := range paths {
			h := b.do(p.method, p.path, "").Header()
			csp := h.Get("Content-Security-Policy")
			if !luci && csp != noFrameCSP {
				t.Errorf("%s %s: CSP %q", p.method, p.path, csp)
			}
			if luci && !strings.Contains(csp, "frame-ancestors https://192.168.1.1:8443;") {
				t.Errorf("%s %s: CSP with LuCI %q", p.method, p.path, csp)
			}
			if xfo := h.Get("X-Frame-Options"); (xfo == "DENY") == luci {
				t.Errorf("%s %s (luci %v): X-Frame-Options %q", p.method, p.path, luci, xfo)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("%s %s: headers %v", p.method, p.path, h)
			}
			if strings.HasPrefix(p.path, "/api/") && h.Get("Cache-Control") != "no-store" {
				t.Errorf("%s %s: Cache-Control %q", p.method, p.path, h.Get("Cache-Control"))
			}
		}
	}
	if _, err := New(Options{StateDir: t.TempDir(), Agent: newFakeAgent(),
		FrameAncestors: []string{"https://x; script-src *"}}); err == nil {
		t.Error("a CSP injection in FrameAncestors was accepted")
	}
}

func TestStatic(t *testing.T) {
	_, _, b := setUp(t, nil)
	w := b.do("GET", "/", "")
	if w.Header().Get("Content-Type") != "text/html; charset=utf-8" || w.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("index: %v", w.Header())
	}
	html := w.Body.String()
	if strings.Contains(html, "<script>") || regexp.MustCompile(`\son[a-z]+=`).MatchString(html) {
		t.Error("index.html has inline script")
	}
	if !regexp.MustCompile(`<script type="module" src="/static/[0-9a-f]{12}/app\.js"></script>`).MatchString(html) {
		t.Error("index.html does not load app.js as a module")
	}
	names := versionedNames(t, b)
	dir := path.Dir(names[0])
	files, err := fs.Glob(staticFS, "static/*")
	if err != nil || len(files) < 3 {
		t.Fatalf("embedded assets %v, %v", files, err)
	}
	for _, f := range files {
		name := path.Base(f)
		if name == "index.html" {
			continue
		}
		want := "text/css; charset=utf-8"
		if strings.HasSuffix(name, ".js") {
			want = "text/javascript; charset=utf-8"
		}
		data, _ := fs.ReadFile(staticFS, f)
		for p, cache := range map[string]string{dir + "/" + name: "public, max-age=31536000, immutable", "/static/" + name: "no-cache"} {
			w := b.do("GET", p, "")
			if w.Code != 200 || w.Header().Get("Content-Type") != want || w.Header().Get("Cache-Control") != cache ||
				!bytes.Equal(w.Body.Bytes(), data) {
				t.Errorf("%s: %d %v", p, w.Code, w.Header())
			}
		}
	}
	for _, p := range []string{"/static/index.html", dir + "/index.html", "/static/000000000000/app.js", dir + "/../app.js"} {
		if w := b.do("GET", p, ""); w.Code != 404 {
			t.Errorf("%s: %d, want 404", p, w.Code)
		}
	}
	if w := b.do("HEAD", "/static/app.js", ""); w.Code != 200 || w.Body.Len() != 0 {
		t.Errorf("HEAD: %d, %d bytes", w.Code, w.Body.Len())
	}
}

func TestLanguage(t *testing.T) {
	s, _ := newTestServer(t, nil)
	for _, tc := range []struct {
		name, accept, cookie, want string
	}{
		{"default", "", "", "Please log in."},
		{"russian", "ru-RU,ru;q=0.9,en;q=0.8", "", "Войдите в систему."},
		{"azerbaijani", "az-Latn-AZ", "", "Zəhmət olmasa, daxil olun."},
		{"by quality", "de, en;q=0.5, az;q=0.8", "", "Zəhmət olmasa, daxil olun."},
		{"unsupported", "de-DE, fr", "", "Please log in."},
		{"cookie overrides", "ru", "en", "Please log in."},
		{"cookie az", "en-US", "az", "Zəhmət olmasa, daxil olun."},
		{"bad cookie ignored", "ru", "xx", "Войдите в систему."},
	} {
		b := newBrowser(t, s, "192.168.1.10")
		if tc.cookie != "" {
			b.jar[langCookie] = &http.Cookie{Name: langCookie, Value: tc.cookie}
		}
		w := b.do("GET", "/api/v1/overview", "", "Accept-Language", tc.accept)
		if got := apiErr(t, w).Message; got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	s, _ = newTestServer(t, func(o *Options) { o.Lang = "az" })
	if got := apiErr(t, newBrowser(t, s, "192.168.1.10").do("GET", "/api/v1/overview", "")).Message; got != "Zəhmət olmasa, daxil olun." {
		t.Errorf("Options.Lang az: %q", got)
	}
	// Field messages are translated too.
	b := newBrowser(t, s, "192.168.1.10")
	w := b.do("POST", "/api/v1/setup", `{"password":"short"}`, csrfHeader, b.preToken(), "Accept-Language", "ru")
	if got := apiErr(t, w).Fields["password"]; got != "Слишком короткий: не менее 10 символов." {
		t.Errorf("russian field message %q", got)
	}
}

func TestCatalog(t *testing.T) {
	c, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	ph := regexp.MustCompile(`\{[a-z]+\}`)
	for id, en := range c["en"] {
		want := ph.FindAllString(en, -1)
		slices.Sort(want)
		for _, lang := range supported() {
			got := ph.FindAllString(c[lang][id], -1)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s %s: placeholders %v, English has %v", lang, id, got, want)
			}
		}
	}
	// Every error code the server can send has a message.
	for _, code := range []string{"validation", "bad_request", "unauthenticated", "csrf", "cross_origin",
		"not_lan", "not_found", "method_not_allowed", "already_set_up", "needs_setup", "too_large",
		"unsupported_media_type", "wrong_password", "too_many_attempts", "locked", "busy",
		"unknown_device", "internal"} {
		if _, ok := c["en"]["error."+code]; !ok {
			t.Errorf("no message for error %q", code)
		}
	}
	var i18n struct {
		Lang     string            `json:"lang"`
		Messages map[string]string `json:"messages"`
	}
	s, _ := newTestServer(t, nil)
	w := newBrowser(t, s, "192.168.1.10").do("GET", "/api/v1/i18n", "", "Accept-Language", "ru")
	if err := json.Unmarshal(w.Body.Bytes(), &i18n); err != nil || i18n.Lang != "ru" || i18n.Messages["page.password"] != "Пароль" {
		t.Errorf("i18n: %v %+v", err, i18n)
	}
}
