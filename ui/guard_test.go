package ui

import (
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"testing"
	"time"
)

func TestCSRF(t *testing.T) {
	forged := newToken() + "xx" // well-formed length, not minted by us
	for _, tc := range []struct {
		name string
		// path is a parent route (logged in) or a pre-login one.
		path string
		hdr  func(sessTok, preTok string) []string
		want int
	}{
		{"parent ok", "/api/v1/logout", func(s, p string) []string { return []string{csrfHeader, s} }, 204},
		{"parent missing", "/api/v1/logout", func(s, p string) []string { return nil }, 403},
		{"parent wrong", "/api/v1/logout", func(s, p string) []string { return []string{csrfHeader, newToken()} }, 403},
		{"parent pre-login token", "/api/v1/logout", func(s, p string) []string { return []string{csrfHeader, p} }, 403},
		{"parent cross-site origin", "/api/v1/logout", func(s, p string) []string {
			return []string{csrfHeader, s, "Origin", "http://evil.example"}
		}, 403},
		{"parent cross-site fetch", "/api/v1/logout", func(s, p string) []string {
			return []string{csrfHeader, s, "Sec-Fetch-Site", "cross-site"}
		}, 403},
		{"parent same origin", "/api/v1/logout", func(s, p string) []string {
			return []string{csrfHeader, s, "Origin", "http://192.168.1.1", "Sec-Fetch-Site", "same-origin"}
		}, 204},
		{"login ok", "/api/v1/login", func(s, p string) []string { return []string{csrfHeader, p} }, 200},
		{"login missing", "/api/v1/login", func(s, p string) []string { return nil }, 403},
		{"login forged", "/api/v1/login", func(s, p string) []string { return []string{csrfHeader, forged} }, 403},
		{"login again with the session token", "/api/v1/login", func(s, p string) []string { return []string{csrfHeader, s} }, 200},
		{"login cross-site origin", "/api/v1/login", func(s, p string) []string {
			return []string{csrfHeader, p, "Origin", "http://evil.example"}
		}, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, b := setUp(t, nil)
			pre := b.preToken()
			var v sessionView
			decode(t, b.login(goodPassword), &v)
			body := ""
			if tc.path == "/api/v1/login" {
				body = `{"password":"` + goodPassword + `"}`
			}
			w := b.do("POST", tc.path, body, tc.hdr(v.CSRFToken, pre)...)
			if w.Code != tc.want {
				t.Fatalf("%d %s, want %d", w.Code, w.Body, tc.want)
			}
			if w.Code == 403 {
				if c := apiErr(t, w).Code; c != "csrf" && c != "cross_origin" {
					t.Errorf("code %q", c)
				}
			}
		})
	}
	// Double submit: the header must equal this browser's cookie, even if
	// both are tokens we minted.
	_, _, b := setUp(t, nil)
	b.preToken()
	other := newBrowser(t, b.s, "192.168.1.30").preToken()
	if w := b.do("POST", "/api/v1/login", `{"password":"x"}`, csrfHeader, other); w.Code != 403 {
		t.Errorf("someone else's token: %d", w.Code)
	}
}

// wrong posts n wrong passwords from b, each expected to reach the check.
func wrong(t *testing.T, b *browser, n int) {
	t.Helper()
	for i := range n {
		if w := b.login("wrong password"); w.Code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d %s", i+1, w.Code, w.Body)
		}
	}
}

func wantThrottled(t *testing.T, w interface {
	Result() *http.Response
}, code string, retry int) {
	t.Helper()
	res := w.Result()
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != strconv.Itoa(retry) {
		t.Fatalf("got %d Retry-After %q, want 429 Retry-After %d", res.StatusCode, res.Header.Get("Retry-After"), retry)
	}
}

func TestLockout(t *testing.T) {
	_, clk, b := setUp(t, nil)
	wrong(t, b, 5)
	// After five failures each attempt waits 1 s, 2 s, 4 s, 8 s, 16 s, even
	// with the right password.
	for i, wait := range []int{1, 2, 4, 8, 16} {
		w := b.login(goodPassword)
		wantThrottled(t, w, "too_many_attempts", wait)
		if e := apiErr(t, w); e.Code != "too_many_attempts" || e.RetryAfter != wait {
			t.Fatalf("step %d: %+v", i, e)
		}
		clk.advance(time.Duration(wait) * time.Second)
		wrong(t, b, 1)
	}
	// Ten failures: locked for 15 minutes.
	w := b.login(goodPassword)
	wantThrottled(t, w, "locked", 900)
	if e := apiErr(t, w); e.Code != "locked" {
		t.Fatalf("%+v", e)
	}
	clk.advance(14 * time.Minute)
	wantThrottled(t, b.login(goodPassword), "locked", 60)
	// Another device is not locked out.
	if w := newBrowser(t, b.s, "192.168.1.40").login(goodPassword); w.Code != 200 {
		t.Errorf("other client: %d", w.Code)
	}
	clk.advance(time.Minute)
	if w := b.login(goodPassword); w.Code != 200 {
		t.Fatalf("after the lock: %d %s", w.Code, w.Body)
	}
}

func TestLockoutResetOnSuccess(t *testing.T) {
	_, _, b := setUp(t, nil)
	wrong(t, b, 4)
	if w := b.login(goodPassword); w.Code != 200 {
		t.Fatal(w.Code)
	}
	wrong(t, b, 4) // eight failures in all, but the count restarted
	if w := b.login(goodPassword); w.Code != 200 {
		t.Fatalf("after reset: %d", w.Code)
	}
}

func TestLockoutIPv6Prefix(t *testing.T) {
	_, _, b := setUp(t, nil)
	// One device rotating addresses inside its /64 is one client.
	for i := range 5 {
		b.remote = fmt.Sprintf("[fd00:1:2:3::%x]:4000", i+1)
		wrong(t, b, 1)
	}
	b.remote = "[fd00:1:2:3::99]:4000"
	wantThrottled(t, b.login(goodPassword), "too_many_attempts", 1)
}

func TestGlobalLimit(t *testing.T) {
	s, clk, _ := setUp(t, nil)
	// 50 failures spread over 25 clients (two each: no client backs off).
	for i := range globalFailures / 2 {
		wrong(t, newBrowser(t, s, fmt.Sprintf("192.168.2.%d", i+1)), 2)
	}
	fresh := newBrowser(t, s, "192.168.3.1")
	if w := fresh.login(goodPassword); w.Code != 200 {
		t.Fatalf("first attempt under the global limit: %d", w.Code)
	}
	wantThrottled(t, newBrowser(t, s, "192.168.3.2").login(goodPassword), "too_many_attempts", 5)
	clk.advance(globalSpacing)
	if w := newBrowser(t, s, "192.168.3.2").login(goodPassword); w.Code != 200 {
		t.Fatalf("after the spacing: %d", w.Code)
	}
	// The limit lifts when the failures leave the window.
	clk.advance(failWindow)
	for i := range 3 {
		if w := newBrowser(t, s, "192.168.3.3").login(goodPassword); w.Code != 200 {
			t.Fatalf("attempt %d after the window: %d", i, w.Code)
		}
	}
}

func TestLimiterCap(t *testing.T) {
	l := newLimiter()
	now := time.Date(2026, 3, 2, 20, 0, 0, 0, time.UTC)
	first := clientKey(netip.MustParseAddr("10.0.0.1"))
	for i := range maxClients + 10 {
		a := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i + 1)})
		for range backoffAfter {
			l.fail(clientKey(a), now.Add(time.Duration(i)*time.Millisecond))
		}
	}
	if n := l.len(); n != maxClients {
		t.Errorf("%d clients, want cap %d", n, maxClients)
	}
	if _, ok := l.clients[first]; ok {
		t.Error("the oldest client was not evicted")
	}
}

func TestSessionCap(t *testing.T) {
	ss := newSessions()
	now := time.Date(2026, 3, 2, 20, 0, 0, 0, time.UTC)
	firstID, _ := ss.add(now)
	for i := range maxSessions {
		ss.add(now.Add(time.Duration(i+1) * time.Second))
	}
	if n := ss.len(); n != maxSessions {
		t.Errorf("%d sessions, want cap %d", n, maxSessions)
	}
	if _, ok := ss.get(firstID, now.Add(time.Minute), true); ok {
		t.Error("the oldest session was not evicted")
	}
	// Expired sessions go first when the table is full.
	ss = newSessions()
	for i := range maxSessions {
		ss.add(now.Add(time.Duration(i) * time.Second))
	}
	later := now.Add(sessionIdle + maxSessions*time.Second)
	id, _ := ss.add(later)
	if n := ss.len(); n != 1 {
		t.Errorf("%d sessions after adding to a table of expired ones, want 1", n)
	}
	if _, ok := ss.get(id, later, true); !ok {
		t.Error("new session missing")
	}
}

func TestOneHashAtATime(t *testing.T) {
	s, _, b := setUp(t, nil)
	s.hashing <- struct{}{} // a hash is running
	w := b.login(goodPassword)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" || apiErr(t, w).Code != "busy" {
		t.Fatalf("concurrent login: %d %v %s", w.Code, w.Header(), w.Body)
	}
	<-s.hashing
	if w := b.login(goodPassword); w.Code != 200 {
		t.Fatalf("after: %d", w.Code)
	}
}
