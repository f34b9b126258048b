package ui

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const newPassword = "a new and longer one"

// loggedIn logs b in and returns its session's CSRF token.
func loggedIn(t *testing.T, b *browser) string {
	t.Helper()
	w := b.login(goodPassword)
	if w.Code != http.StatusOK {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	var v sessionView
	decode(t, w, &v)
	return v.CSRFToken
}

// changePassword posts a change from b with its session's token.
func changePassword(b *browser, tok, current, next string) *httptest.ResponseRecorder {
	body, _ := json.Marshal(passwordRequest{Current: current, New: next})
	return b.do("POST", "/api/v1/password", string(body), csrfHeader, tok)
}

func TestChangePassword(t *testing.T) {
	s, _, b := setUp(t, nil)
	tok := loggedIn(t, b)
	other := newBrowser(t, s, "192.168.1.11") // the parent's phone
	loggedIn(t, other)
	oldCookie := *b.jar[sessionCookie]
	before, _ := os.ReadFile(filepath.Join(s.stateDir, credentialFile))

	w := changePassword(b, tok, goodPassword, newPassword)
	if w.Code != http.StatusOK {
		t.Fatalf("change: %d %s", w.Code, w.Body)
	}
	var v sessionView
	decode(t, w, &v)
	c := b.jar[sessionCookie]
	if !v.Authenticated || v.CSRFToken == "" || v.CSRFToken == tok || c == nil || c.Value == oldCookie.Value ||
		!c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
		t.Fatalf("answer %+v cookie %+v: want a new session", v, c)
	}
	// The caller goes on with its new session; every other one ended, the
	// caller's old id too.
	if w := b.do("GET", "/api/v1/overview", ""); w.Code != http.StatusOK {
		t.Errorf("caller's new session: %d", w.Code)
	}
	if w := other.do("GET", "/api/v1/overview", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("other session after the change: %d, want 401", w.Code)
	}
	stolen := newBrowser(t, s, "192.168.1.12")
	stolen.jar[sessionCookie] = &oldCookie
	if w := stolen.do("GET", "/api/v1/overview", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("caller's old session id: %d, want 401", w.Code)
	}
	// The old password is gone, the new one logs in, here and after a
	// restart (the file was rewritten, mode 0600, nothing else left).
	if w := other.login(goodPassword); w.Code != http.StatusUnauthorized {
		t.Errorf("old password: %d", w.Code)
	}
	if w := other.login(newPassword); w.Code != http.StatusOK {
		t.Errorf("new password: %d %s", w.Code, w.Body)
	}
	p := filepath.Join(s.stateDir, credentialFile)
	after, _ := os.ReadFile(p)
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 || string(after) == string(before) ||
		strings.Contains(string(after), newPassword) {
		t.Errorf("credential file %q (%v)", after, err)
	}
	if entries, _ := os.ReadDir(s.stateDir); len(entries) != 1 {
		t.Errorf("state dir holds %v", entries)
	}
	s2, err := New(Options{StateDir: s.stateDir, Agent: newFakeAgent(), Hash: cheapHash})
	if err != nil {
		t.Fatal(err)
	}
	if w := newBrowser(t, s2, "192.168.1.13").login(newPassword); w.Code != http.StatusOK {
		t.Errorf("new password after restart: %d", w.Code)
	}
}

func TestChangePasswordRefused(t *testing.T) {
	long := strings.Repeat("x", MaxPasswordBytes+1)
	for _, tc := range []struct {
		name, current, next string
		status              int
		code                string
		fields              []string
	}{
		{"wrong current", "wrong password", newPassword, 401, "wrong_password", []string{"current"}},
		{"empty current", "", newPassword, 400, "validation", []string{"current"}},
		{"current too long", long, newPassword, 400, "validation", []string{"current"}},
		{"new too short", goodPassword, "short", 400, "validation", []string{"new"}},
		{"new too long", goodPassword, long, 400, "validation", []string{"new"}},
		{"new empty", goodPassword, "", 400, "validation", []string{"new"}},
		{"new same", goodPassword, goodPassword, 400, "validation", []string{"new"}},
		{"both", "", "short", 400, "validation", []string{"current", "new"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, b := setUp(t, nil)
			tok := loggedIn(t, b)
			w := changePassword(b, tok, tc.current, tc.next)
			e := apiErr(t, w)
			if w.Code != tc.status || e.Code != tc.code || len(e.Fields) != len(tc.fields) {
				t.Fatalf("%d %+v, want %d %s on %v", w.Code, e, tc.status, tc.code, tc.fields)
			}
			for _, f := range tc.fields {
				if e.Fields[f] == "" {
					t.Errorf("no message for %q: %+v", f, e)
				}
			}
			// Nothing changed: the session lives, the password is the old one.
			if w := b.do("GET", "/api/v1/overview", ""); w.Code != http.StatusOK {
				t.Errorf("session after a refused change: %d", w.Code)
			}
			if w := newBrowser(t, s, "192.168.1.11").login(goodPassword); w.Code != http.StatusOK {
				t.Errorf("old password after a refused change: %d", w.Code)
			}
		})
	}
}

func TestChangePasswordGuards(t *testing.T) {
	_, _, b := setUp(t, nil)
	body := `{"current":"` + goodPassword + `","new":"` + newPassword + `"}`
	// No session: 401 before anything else.
	pre := b.preToken()
	if w := b.do("POST", "/api/v1/password", body, csrfHeader, pre); w.Code != http.StatusUnauthorized {
		t.Errorf("without a session: %d", w.Code)
	}
	tok := loggedIn(t, b)
	for _, tc := range []struct {
		name string
		hdr  []string
		code string
	}{
		{"no token", nil, "csrf"},
		{"pre-login token", []string{csrfHeader, pre}, "csrf"},
		{"cross-site", []string{csrfHeader, tok, "Origin", "http://evil.example"}, "cross_origin"},
	} {
		if w := b.do("POST", "/api/v1/password", body, tc.hdr...); w.Code != http.StatusForbidden || apiErr(t, w).Code != tc.code {
			t.Errorf("%s: %d %s", tc.name, w.Code, w.Body)
		}
	}
	big := `{"current":"` + strings.Repeat("x", authBodyMax) + `","new":"x"}`
	if w := b.do("POST", "/api/v1/password", big, csrfHeader, tok); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("5 KiB body: %d", w.Code)
	}
	if w := b.do("POST", "/api/v1/password", `{"current":"x","new":"y","user":"root"}`, csrfHeader, tok); w.Code != http.StatusBadRequest || apiErr(t, w).Code != "bad_request" {
		t.Errorf("unknown field: %d %s", w.Code, w.Body)
	}
}

// The current password is guessed against the login's counters: wrong
// ones at login and here add up, and the lockout holds for both.
func TestChangePasswordThrottled(t *testing.T) {
	_, clk, b := setUp(t, nil)
	tok := loggedIn(t, b)
	wrong(t, b, 3)
	for i := range 2 {
		if w := changePassword(b, tok, "wrong password", newPassword); w.Code != http.StatusUnauthorized {
			t.Fatalf("wrong current %d: %d %s", i, w.Code, w.Body)
		}
	}
	// Five failures: each further attempt waits 1, 2, 4, 8, 16 s, even with
	// the right password, here and at login.
	wantThrottled(t, b.login(goodPassword), "too_many_attempts", 1)
	for _, wait := range []int{1, 2, 4, 8, 16} {
		wantThrottled(t, changePassword(b, tok, goodPassword, newPassword), "too_many_attempts", wait)
		clk.advance(time.Duration(wait) * time.Second)
		if w := changePassword(b, tok, "wrong password", newPassword); w.Code != http.StatusUnauthorized {
			t.Fatalf("wrong current after %d s: %d %s", wait, w.Code, w.Body)
		}
	}
	wantThrottled(t, changePassword(b, tok, goodPassword, newPassword), "locked", 900)
	wantThrottled(t, b.login(goodPassword), "locked", 900)
	// After the lock a right current password goes through and forgets the
	// failures, as a login does.
	clk.advance(lockFor)
	if w := changePassword(b, tok, goodPassword, newPassword); w.Code != http.StatusOK {
		t.Fatalf("after the lock: %d %s", w.Code, w.Body)
	}
	if n := b.s.limiter.len(); n != 0 {
		t.Errorf("%d clients with failures after a right password", n)
	}
}

func TestChangePasswordBusy(t *testing.T) {
	s, _, b := setUp(t, nil)
	tok := loggedIn(t, b)
	s.hashing <- struct{}{} // a login's hash is running
	w := changePassword(b, tok, goodPassword, newPassword)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" || apiErr(t, w).Code != "busy" {
		t.Fatalf("concurrent change: %d %v %s", w.Code, w.Header(), w.Body)
	}
	<-s.hashing
	if w := changePassword(b, tok, goodPassword, newPassword); w.Code != http.StatusOK {
		t.Fatalf("after: %d %s", w.Code, w.Body)
	}
	if len(s.hashing) != 0 {
		t.Error("the change kept the hashing slot")
	}
}

func TestChangePasswordWriteFails(t *testing.T) {
	s, _, b := setUp(t, nil)
	tok := loggedIn(t, b)
	// A directory in the credential file's place makes the rename fail (for
	// root too); the old password and the sessions stay.
	p := filepath.Join(s.stateDir, credentialFile)
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(p, "in-the-way"), 0o700); err != nil {
		t.Fatal(err)
	}
	w := changePassword(b, tok, goodPassword, newPassword)
	if w.Code != http.StatusInternalServerError || apiErr(t, w).Code != "internal" {
		t.Fatalf("%d %s, want 500 internal", w.Code, w.Body)
	}
	if w := b.do("GET", "/api/v1/overview", ""); w.Code != http.StatusOK {
		t.Errorf("session after a failed write: %d", w.Code)
	}
	if !s.verify(goodPassword) {
		t.Error("the password changed although the file was not written")
	}
}
