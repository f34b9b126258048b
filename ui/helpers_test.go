package ui

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// cheapHash keeps tests fast, under qemu too; the stored hash names its
// parameters, so every code path is the production one.
var cheapHash = HashParams{Memory: 64, Time: 1, Threads: 1}

const goodPassword = "correct horse battery"

// clock is an injectable clock that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeAgent is a fixed household.
type fakeAgent struct {
	overview Overview
	devices  []Device
	byAddr   map[netip.Addr]Device
}

func (f *fakeAgent) Overview(time.Time) Overview { return f.overview }
func (f *fakeAgent) Devices() []Device           { return f.devices }
func (f *fakeAgent) DeviceFor(a netip.Addr) (Device, bool) {
	d, ok := f.byAddr[a]
	return d, ok
}

func newFakeAgent() *fakeAgent {
	tab := Device{MAC: "02:00:00:00:00:01", Name: "Aylin's tablet", Person: "aylin",
		LastSeen: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	return &fakeAgent{
		overview: Overview{
			People: []Person{{ID: "aylin", Name: "Aylin", Profile: "child", State: StateBedtime,
				Rule: "school_nights", Used: 50 * time.Minute, Limit: 2 * time.Hour, HasLimit: true,
				Next: time.Date(2026, 3, 3, 7, 0, 0, 0, time.UTC), Online: []string{"Aylin's tablet"}}},
			Blocked: []Blocked{{Time: time.Date(2026, 3, 2, 21, 5, 0, 0, time.UTC), Person: "aylin",
				Device: "Aylin's tablet", Name: "game.example", Reason: "bedtime"}},
		},
		devices: []Device{tab},
		byAddr:  map[netip.Addr]Device{netip.MustParseAddr("192.168.1.20"): tab},
	}
}

// newTestServer returns a server over a fresh state directory, with the
// clock it uses.
func newTestServer(t testing.TB, mod func(*Options)) (*Server, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 2, 20, 0, 0, 0, time.UTC)}
	opts := Options{StateDir: t.TempDir(), Now: clk.now, Agent: newFakeAgent(), Hash: cheapHash}
	if mod != nil {
		mod(&opts)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, clk
}

// browser is a client with a cookie jar, at one LAN address.
type browser struct {
	t      testing.TB
	s      *Server
	remote string
	scheme string // "http" unless set
	jar    map[string]*http.Cookie
}

func newBrowser(t testing.TB, s *Server, ip string) *browser {
	return &browser{t: t, s: s, remote: ip + ":40000", jar: map[string]*http.Cookie{}}
}

// do sends a request; hdr are name, value pairs. A JSON body gets the JSON
// content type unless hdr sets one.
func (b *browser) do(method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	b.t.Helper()
	scheme := "http"
	if b.scheme != "" {
		scheme = b.scheme
	}
	r := httptest.NewRequest(method, scheme+"://192.168.1.1"+path, strings.NewReader(body))
	r.RemoteAddr = b.remote
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	for _, c := range b.jar {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	b.s.ServeHTTP(w, r)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.jar, c.Name)
		} else {
			b.jar[c.Name] = c
		}
	}
	return w
}

// preToken fetches the pre-login CSRF token.
func (b *browser) preToken() string {
	b.t.Helper()
	var v sessionView
	decode(b.t, b.do("GET", "/api/v1/session", ""), &v)
	return v.CSRFToken
}

// setup sets the admin password and returns the session's CSRF token.
func (b *browser) setup(pw string) string {
	b.t.Helper()
	w := b.do("POST", "/api/v1/setup", `{"password":"`+pw+`"}`, csrfHeader, b.preToken())
	if w.Code != http.StatusOK {
		b.t.Fatalf("setup: %d %s", w.Code, w.Body)
	}
	var v sessionView
	decode(b.t, w, &v)
	return v.CSRFToken
}

// login posts a password with a valid pre-login token.
func (b *browser) login(pw string) *httptest.ResponseRecorder {
	b.t.Helper()
	return b.do("POST", "/api/v1/login", `{"password":"`+pw+`"}`, csrfHeader, b.preToken())
}

func decode(t testing.TB, w *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
		t.Fatalf("decode %q: %v", w.Body, err)
	}
}

// apiErr decodes an error response.
func apiErr(t testing.TB, w *httptest.ResponseRecorder) errorDetail {
	t.Helper()
	var e errorBody
	decode(t, w, &e)
	return e.Error
}

// setUp returns a server with the admin password set, and a logged-out
// browser.
func setUp(t testing.TB, mod func(*Options)) (*Server, *clock, *browser) {
	t.Helper()
	s, clk := newTestServer(t, mod)
	first := newBrowser(t, s, "192.168.1.10")
	first.setup(goodPassword)
	return s, clk, newBrowser(t, s, "192.168.1.10")
}
