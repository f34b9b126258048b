package ui

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSetupOnce(t *testing.T) {
	s, _ := newTestServer(t, nil)
	b := newBrowser(t, s, "192.168.1.10")
	var st struct {
		NeedsSetup bool   `json:"needs_setup"`
		Token      string `json:"csrf_token"`
	}
	decode(t, b.do("GET", "/api/v1/setup", ""), &st)
	if !st.NeedsSetup || st.Token == "" {
		t.Fatalf("GET setup = %+v, want needs_setup and a token", st)
	}
	if w := b.do("POST", "/api/v1/login", `{"password":"whatever123"}`, csrfHeader, st.Token); w.Code != http.StatusConflict || apiErr(t, w).Code != "needs_setup" {
		t.Errorf("login before setup = %d %s, want 409 needs_setup", w.Code, w.Body)
	}
	tok := b.setup(goodPassword)
	if tok == "" || b.jar[sessionCookie] == nil {
		t.Fatal("setup did not log in")
	}
	if w := b.do("GET", "/api/v1/overview", ""); w.Code != http.StatusOK {
		t.Errorf("overview after setup = %d", w.Code)
	}
	// Once only: another browser, with a valid pre-login token, gets 409.
	other := newBrowser(t, s, "192.168.1.11")
	w := other.do("POST", "/api/v1/setup", `{"password":"another password"}`, csrfHeader, other.preToken())
	if w.Code != http.StatusConflict || apiErr(t, w).Code != "already_set_up" {
		t.Errorf("second setup = %d %s, want 409 already_set_up", w.Code, w.Body)
	}
	decode(t, other.do("GET", "/api/v1/setup", ""), &st)
	if st.NeedsSetup {
		t.Error("needs_setup after setup")
	}
	// The credential survives a restart.
	s2, err := New(Options{StateDir: s.stateDir, Agent: newFakeAgent(), Hash: cheapHash})
	if err != nil {
		t.Fatal(err)
	}
	if w := newBrowser(t, s2, "192.168.1.12").login(goodPassword); w.Code != http.StatusOK {
		t.Errorf("login after restart = %d %s", w.Code, w.Body)
	}
}

func TestSetupCode(t *testing.T) {
	s, _ := newTestServer(t, func(o *Options) { o.SetupCode = "7391-2284" })
	b := newBrowser(t, s, "192.168.1.10")
	for _, tc := range []struct {
		name, body string
		want       int
	}{
		{"missing", `{"password":"` + goodPassword + `"}`, http.StatusBadRequest},
		{"wrong", `{"password":"` + goodPassword + `","setup_code":"0000-0000"}`, http.StatusBadRequest},
		{"right", `{"password":"` + goodPassword + `","setup_code":"7391-2284"}`, http.StatusOK},
	} {
		w := b.do("POST", "/api/v1/setup", tc.body, csrfHeader, b.preToken())
		if w.Code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, w.Code, w.Body, tc.want)
		}
		if w.Code == http.StatusBadRequest && apiErr(t, w).Fields["setup_code"] == "" {
			t.Errorf("%s: no setup_code field error: %s", tc.name, w.Body)
		}
	}
}

func TestLogin(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
		field      string
	}{
		{"right", `{"password":"` + goodPassword + `"}`, 200, "", ""},
		{"wrong", `{"password":"wrong password"}`, 401, "wrong_password", "password"},
		{"empty", `{"password":""}`, 400, "validation", "password"},
		{"absent", `{}`, 400, "validation", "password"},
		{"too long", `{"password":"` + strings.Repeat("x", MaxPasswordBytes+1) + `"}`, 400, "validation", "password"},
		{"unknown field", `{"password":"x","user":"root"}`, 400, "bad_request", ""},
		{"not json", `password=x`, 400, "bad_request", ""},
		{"two objects", `{"password":"x"}{}`, 400, "bad_request", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, b := setUp(t, nil)
			w := b.do("POST", "/api/v1/login", tc.body, csrfHeader, b.preToken())
			if w.Code != tc.status {
				t.Fatalf("status %d %s, want %d", w.Code, w.Body, tc.status)
			}
			if tc.status == 200 {
				var v sessionView
				decode(t, w, &v)
				c := b.jar[sessionCookie]
				if !v.Authenticated || v.CSRFToken == "" || c == nil || !c.HttpOnly ||
					c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure || c.MaxAge != 12*3600 {
					t.Fatalf("session %+v cookie %+v", v, c)
				}
				return
			}
			e := apiErr(t, w)
			if e.Code != tc.code || e.Message == "" {
				t.Errorf("error %+v, want code %q", e, tc.code)
			}
			if tc.field != "" && e.Fields[tc.field] == "" {
				t.Errorf("no message for field %q: %+v", tc.field, e)
			}
			if b.jar[sessionCookie] != nil {
				t.Error("session cookie set on failure")
			}
		})
	}
}

func TestLoginSecureCookieOverTLS(t *testing.T) {
	_, _, b := setUp(t, nil)
	b.scheme = "https"
	if w := b.login(goodPassword); w.Code != 200 {
		t.Fatal(w.Code)
	}
	if c := b.jar[sessionCookie]; c == nil || !c.Secure {
		t.Errorf("cookie over TLS %+v, want Secure", c)
	}
}

func TestValidationErrorShape(t *testing.T) {
	s, _ := newTestServer(t, nil)
	b := newBrowser(t, s, "192.168.1.10")
	w := b.do("POST", "/api/v1/setup", `{"password":"short"}`, csrfHeader, b.preToken())
	want := `{"error":{"code":"validation","message":"Some fields need attention.","fields":{"password":"Too short: at least 10 characters."}}}` + "\n"
	if w.Code != http.StatusBadRequest || w.Body.String() != want {
		t.Errorf("got %d %s\nwant 400 %s", w.Code, w.Body, want)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	// Ten characters, not ten bytes: "ğüşöçıəİĞÜ" is 10 runes, 20 bytes.
	if id := checkNewPassword("ğüşöçıəİĞ"); id != "field.too_short" {
		t.Errorf("9 runes: %q", id)
	}
	if id := checkNewPassword("ğüşöçıəİĞÜ"); id != "" {
		t.Errorf("10 runes: %q", id)
	}
}

func TestBodyLimits(t *testing.T) {
	_, _, b := setUp(t, nil)
	big := `{"password":"` + strings.Repeat("x", authBodyMax) + `"}`
	w := b.do("POST", "/api/v1/login", big, csrfHeader, b.preToken())
	if w.Code != http.StatusRequestEntityTooLarge || apiErr(t, w).Code != "too_large" {
		t.Errorf("5 KiB login = %d %s, want 413 too_large", w.Code, w.Body)
	}
	w = b.do("POST", "/api/v1/login", `{"password":"x"}`, csrfHeader, b.preToken(), "Content-Type", "text/plain")
	if w.Code != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain login = %d, want 415", w.Code)
	}
}

func TestSessionExpiry(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []time.Duration // waits between requests that must succeed
		last  time.Duration   // the wait before the request that must fail
	}{
		{"idle", []time.Duration{29 * time.Minute}, 30 * time.Minute},
		// Used every 20 minutes, the session still ends 12 h after login.
		{"absolute", repeat(20*time.Minute, 35), 20 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, clk, b := setUp(t, nil)
			if w := b.login(goodPassword); w.Code != 200 {
				t.Fatal(w.Code)
			}
			for i, d := range tc.steps {
				clk.advance(d)
				if w := b.do("GET", "/api/v1/overview", ""); w.Code != 200 {
					t.Fatalf("step %d: %d", i, w.Code)
				}
			}
			clk.advance(tc.last)
			if w := b.do("GET", "/api/v1/overview", ""); w.Code != http.StatusUnauthorized {
				t.Fatalf("after expiry: %d", w.Code)
			}
			var v sessionView
			decode(t, b.do("GET", "/api/v1/session", ""), &v)
			if v.Authenticated {
				t.Error("session still authenticated")
			}
		})
	}
}

// Background reads (the page's periodic refreshes, X-Background: 1) are
// answered but do not keep the session alive; the parent's own requests
// do, writes whatever they say.
func TestBackgroundRequests(t *testing.T) {
	type step struct {
		wait               time.Duration
		method, path, body string
		// background is the X-Background header; "" sends none.
		background string
		want       int
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"polls alone end at the idle deadline", []step{
			{10 * time.Minute, "GET", "/api/v1/overview", "", "1", 200},
			{10 * time.Minute, "GET", "/api/v1/overview", "", "1", 200},
			{9*time.Minute + 59*time.Second, "GET", "/api/v1/overview", "", "1", 200},
			{time.Second, "GET", "/api/v1/overview", "", "1", 401},
		}},
		{"a read by the parent extends it", []step{
			{20 * time.Minute, "GET", "/api/v1/overview", "", "", 200},
			{20 * time.Minute, "GET", "/api/v1/overview", "", "1", 200},
			{9 * time.Minute, "GET", "/api/v1/session", "", "1", 200},
			{time.Minute, "GET", "/api/v1/overview", "", "1", 401},
		}},
		{"a write extends it", []step{
			{20 * time.Minute, "POST", "/api/v1/password", `{}`, "1", 400},
			{20 * time.Minute, "GET", "/api/v1/overview", "", "1", 200},
		}},
		{"only 1 marks a background read", []step{
			{20 * time.Minute, "GET", "/api/v1/overview", "", "true", 200},
			{20 * time.Minute, "GET", "/api/v1/overview", "", "1", 200},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, clk, b := setUp(t, nil)
			tok := loggedIn(t, b)
			for i, st := range tc.steps {
				clk.advance(st.wait)
				hdr := []string{csrfHeader, tok}
				if st.background != "" {
					hdr = append(hdr, backgroundHeader, st.background)
				}
				if w := b.do(st.method, st.path, st.body, hdr...); w.Code != st.want {
					t.Fatalf("step %d (%s %s after %v): %d %s, want %d", i, st.method, st.path, st.wait, w.Code, w.Body, st.want)
				}
			}
		})
	}
	// A background read of the session says when it ends without moving it.
	_, clk, b := setUp(t, nil)
	loggedIn(t, b)
	clk.advance(10 * time.Minute)
	var v sessionView
	decode(t, b.do("GET", "/api/v1/session", "", backgroundHeader, "1"), &v)
	if want := clk.now().Add(20 * time.Minute); !v.Authenticated || v.Expires == nil || !v.Expires.Equal(want) {
		t.Errorf("session %+v, want expires %v", v, want)
	}
}

func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func TestLogout(t *testing.T) {
	_, _, b := setUp(t, nil)
	w := b.login(goodPassword)
	var v sessionView
	decode(t, w, &v)
	old := *b.jar[sessionCookie]
	if w := b.do("POST", "/api/v1/logout", "", csrfHeader, v.CSRFToken); w.Code != http.StatusNoContent {
		t.Fatalf("logout = %d %s", w.Code, w.Body)
	}
	if b.jar[sessionCookie] != nil {
		t.Error("logout kept the cookie")
	}
	b.jar[sessionCookie] = &old // a stolen copy of the cookie is dead too
	if w := b.do("GET", "/api/v1/overview", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("overview after logout = %d", w.Code)
	}
}

func TestCredentialFile(t *testing.T) {
	s, _ := newTestServer(t, nil)
	newBrowser(t, s, "192.168.1.10").setup(goodPassword)
	entries, _ := os.ReadDir(s.stateDir)
	if len(entries) != 1 || entries[0].Name() != credentialFile {
		t.Fatalf("state dir holds %v, want only %s", entries, credentialFile)
	}
	p := filepath.Join(s.stateDir, credentialFile)
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v; want 0600", fi.Mode(), err)
	}
	data, _ := os.ReadFile(p)
	if !strings.HasPrefix(string(data), "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(string(data), goodPassword) {
		t.Errorf("credential %q", data)
	}
}

func TestCorruptCredential(t *testing.T) {
	for _, tc := range []struct{ name, content string }{
		{"empty", ""},
		{"garbage", "hunter2\n"},
		{"bcrypt", "$2a$10$abcdefghijklmnopqrstuu5Rk9lHbkQp1DDPj4y2rKZ3m6oTq5wCG\n"},
		{"huge memory", "$argon2id$v=19$m=4000000,t=3,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5\n"},
		{"bad salt", "$argon2id$v=19$m=12288,t=3,p=1$!!$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5\n"},
		{"old version", "$argon2id$v=16$m=12288,t=3,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, credentialFile)
			os.WriteFile(p, []byte(tc.content), 0o600)
			_, err := New(Options{StateDir: dir, Agent: newFakeAgent()})
			if !errors.Is(err, ErrBadCredential) {
				t.Fatalf("New = %v, want ErrBadCredential", err)
			}
			if got, _ := os.ReadFile(p); string(got) != tc.content {
				t.Errorf("file changed to %q", got)
			}
		})
	}
}

func TestHashRoundTrip(t *testing.T) {
	h := hashPassword(goodPassword, cheapHash)
	back, err := parseHash(h.String())
	if err != nil {
		t.Fatal(err)
	}
	if !back.verify(goodPassword) || back.verify(goodPassword+" ") || back.verify("") {
		t.Error("verify disagrees after a round trip")
	}
	if hashPassword(goodPassword, cheapHash).String() == h.String() {
		t.Error("two hashes of one password are equal: salt not random")
	}
}
