package ui_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/safeinternet/cpe/ui"
	"github.com/safeinternet/cpe/ui/uitest"
)

// monday4pm is the tests' clock: a school day, in Ali's homework time,
// before bedtime.
var monday4pm = time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC)

const password = "correct horse battery"

// newEditorServer returns a server over a Fake at monday4pm.
func newEditorServer(t *testing.T, agent ui.Agent, mod func(*ui.Options)) *ui.Server {
	t.Helper()
	opts := ui.Options{StateDir: t.TempDir(), Agent: agent, Now: func() time.Time { return monday4pm },
		Hash: ui.HashParams{Memory: 64, Time: 1, Threads: 1}}
	if mod != nil {
		mod(&opts)
	}
	s, err := ui.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newFake() *uitest.Fake {
	f := uitest.NewFake(monday4pm)
	f.SetClock(func() time.Time { return monday4pm })
	return f
}

// client is a browser: a cookie jar at one LAN address.
type client struct {
	t      *testing.T
	h      http.Handler
	remote string
	// host is the Host header; local the listener's address in the
	// request context ("" for none).
	host, local string
	jar         map[string]*http.Cookie
	// token is the session's CSRF token once logged in.
	token string
}

func newClient(t *testing.T, h http.Handler, ip string) *client {
	return &client{t: t, h: h, remote: ip + ":40000", host: "192.168.1.1", jar: map[string]*http.Cookie{}}
}

// do sends a request; hdr are name, value pairs. A body gets the JSON
// content type; a write gets the session's token unless hdr sets one.
func (c *client) do(method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	c.t.Helper()
	r := httptest.NewRequest(method, "http://192.168.1.1"+path, strings.NewReader(body))
	r.Host = c.host
	r.RemoteAddr = c.remote
	if c.local != "" {
		r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey,
			net.TCPAddrFromAddrPort(mustAddrPort(c.t, c.local))))
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" && method != "GET" {
		r.Header.Set("X-CSRF-Token", c.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	for _, ck := range c.jar {
		r.AddCookie(ck)
	}
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	for _, ck := range w.Result().Cookies() {
		if ck.MaxAge < 0 {
			delete(c.jar, ck.Name)
		} else {
			c.jar[ck.Name] = ck
		}
	}
	return w
}

// want checks the status and decodes the body into v (if not nil).
func (c *client) want(w *httptest.ResponseRecorder, status int, v any) {
	c.t.Helper()
	if w.Code != status {
		c.t.Fatalf("status %d, want %d: %s", w.Code, status, w.Body)
	}
	if v != nil {
		if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
			c.t.Fatalf("decode %s: %v", w.Body, err)
		}
	}
}

// setup sets the admin password and keeps the session's token.
func (c *client) setup() {
	c.t.Helper()
	var st struct {
		Token string `json:"csrf_token"`
	}
	c.want(c.do("GET", "/api/v1/setup", ""), 200, &st)
	c.token = st.Token
	c.want(c.do("POST", "/api/v1/setup", `{"password":"`+password+`"}`), 200, &st)
	c.token = st.Token
}

// errorOf decodes an error response.
type errorOf struct {
	Error struct {
		Code       string            `json:"code"`
		Message    string            `json:"message"`
		Fields     map[string]string `json:"fields"`
		RetryAfter int               `json:"retry_after"`
	} `json:"error"`
}

// wantError checks an error's status and code and returns its fields.
func (c *client) wantError(w *httptest.ResponseRecorder, status int, code string) map[string]string {
	c.t.Helper()
	var e errorOf
	c.want(w, status, &e)
	if e.Error.Code != code || e.Error.Message == "" {
		c.t.Fatalf("error %+v, want code %q", e.Error, code)
	}
	return e.Error.Fields
}

// wantField checks a 400 validation naming field with a message holding
// every part of want.
func (c *client) wantField(w *httptest.ResponseRecorder, field string, want ...string) {
	c.t.Helper()
	fields := c.wantError(w, http.StatusBadRequest, "validation")
	msg, ok := fields[field]
	if !ok {
		c.t.Fatalf("fields %v, want %q", fields, field)
	}
	for _, p := range want {
		if !strings.Contains(msg, p) {
			c.t.Fatalf("%s: %q, want it to hold %q", field, msg, p)
		}
	}
}

// parent returns a server over f and a logged-in parent.
func parent(t *testing.T, f *uitest.Fake) (*ui.Server, *client) {
	t.Helper()
	s := newEditorServer(t, f, nil)
	c := newClient(t, s, "192.168.1.10")
	c.setup()
	return s, c
}

func mustAddrPort(t *testing.T, s string) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		t.Fatal(err)
	}
	return ap
}
