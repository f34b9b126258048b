package ui_test

import (
	"net/http"
	"testing"

	"github.com/safeinternet/cpe/ui"
)

func TestHostCheck(t *testing.T) {
	s := newEditorServer(t, newFake(), func(o *ui.Options) { o.Hosts = []string{"Router.LAN"} })
	c := newClient(t, s, "192.168.1.20")
	for _, host := range []string{"192.168.1.1", "192.168.1.1:8090", "[fd00::1]:8090", "[fd00::1]",
		"router.lan", "ROUTER.lan.:8090"} {
		c.host = host
		if w := c.do("GET", "/api/v1/session", ""); w.Code != 200 {
			t.Errorf("Host %q: %d", host, w.Code)
		}
	}
	for _, host := range []string{"evil.example", "evil.example:8090", "192.168.1.1.evil.example", "router.lan.evil.example", ""} {
		c.host = host
		for _, m := range []string{"GET", "POST"} {
			w := c.do(m, "/api/v1/session", "")
			c.wantError(w, http.StatusForbidden, "bad_host")
			if w.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("Host %q: Cache-Control %q", host, w.Header().Get("Cache-Control"))
			}
		}
	}
	// A browser sent here for a blocked site lands on the child's page, at
	// the address it reached.
	for _, tc := range []struct{ host, local, want string }{
		{"game.example", "192.168.1.1:8090", "http://192.168.1.1:8090/#/blocked?name=game.example"},
		{"game.example:80", "192.168.1.1:80", "http://192.168.1.1:80/#/blocked?name=game.example"},
		{"www.Game.example", "[fd00::1]:8090", "http://[fd00::1]:8090/#/blocked?name=www.Game.example"},
		{"a&b=c", "[::ffff:192.168.1.1]:8090", "http://192.168.1.1:8090/#/blocked?name=a%26b%3Dc"},
	} {
		c.host, c.local = tc.host, tc.local
		for _, path := range []string{"/", "/some/page?q=1"} {
			w := c.do("GET", path, "")
			if w.Code != http.StatusFound || w.Header().Get("Location") != tc.want {
				t.Errorf("GET %s Host %q: %d Location %q, want %s", path, tc.host, w.Code, w.Header().Get("Location"), tc.want)
			}
		}
		if w := c.do("POST", "/", ""); w.Code != http.StatusForbidden {
			t.Errorf("POST / Host %q: %d", tc.host, w.Code)
		}
	}
	c.host, c.local = "game.example", ""
	if w := c.do("GET", "/", ""); w.Code != http.StatusForbidden {
		t.Errorf("no local address: %d", w.Code)
	}
	// Clients outside the LAN get nothing, whatever the Host.
	out := newClient(t, s, "203.0.113.9")
	out.host, out.local = "game.example", "192.168.1.1:80"
	if w := out.do("GET", "/", ""); w.Code != http.StatusForbidden {
		t.Errorf("not on the LAN: %d", w.Code)
	}
	if _, err := ui.New(ui.Options{StateDir: t.TempDir(), Agent: newFake(), Hosts: []string{"router.lan:80"}}); err == nil {
		t.Error("a host with a port was accepted")
	}
}
