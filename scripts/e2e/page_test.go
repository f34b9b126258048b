package e2e

import (
	"strings"
	"testing"
	"time"
)

// pagePort is the web page's port (agent option ui_port, default).
const pagePort = "8090"

// testWebPage checks that the agent serves its page on the LAN address only: a device reaches
// it, a parent route wants a session, a child route names the asking device's person, and from
// the WAN side nothing listens.
func testWebPage(t *testing.T, l *lab) {
	fam := family{UT1: ut1Path(t)}
	l.startAgent(t, fam)
	base := "http://" + routerV4 + ":" + pagePort
	// A query first, so that the agent has seen device A's address.
	l.dig(t, "a", routerV4, "school.test", "A", 3)

	get := func(ns, path string) (string, string) {
		t.Helper()
		out, code := l.run(15*time.Second, ns, "curl", "-sS", "-i", "--max-time", "5", base+path)
		if code != 0 {
			t.Fatalf("curl %s from %s: exit %d: %s", path, ns, code, out)
		}
		head, body, _ := strings.Cut(strings.ReplaceAll(out, "\r\n", "\n"), "\n\n")
		return head, body
	}
	head, body := get("a", "/api/v1/setup")
	if !strings.HasPrefix(head, "HTTP/1.1 200") || !strings.Contains(body, `"needs_setup":true`) {
		t.Errorf("first run: %s\n%s", head, body)
	}
	if !strings.Contains(head, "Content-Security-Policy: default-src 'self'") {
		t.Errorf("no CSP on the page's answers:\n%s", head)
	}
	if head, _ := get("a", "/api/v1/overview"); !strings.HasPrefix(head, "HTTP/1.1 401") {
		t.Errorf("overview without a session: %s", head)
	}
	head, body = get("a", "/api/v1/child/status")
	if !strings.HasPrefix(head, "HTTP/1.1 200") || !strings.Contains(body, `"person":"ali"`) {
		t.Errorf("child status from Ali's device: %s\n%s", head, body)
	}
	if head, _ := get("a", "/"); !strings.HasPrefix(head, "HTTP/1.1 200") {
		t.Errorf("page: %s", head)
	}
	// The WAN side: the router's WAN address has no page.
	if out, code := l.run(15*time.Second, "up", "curl", "-sS", "--max-time", "3", "http://10.99.0.1:"+pagePort+"/"); code == 0 {
		t.Errorf("the page answers on the WAN address: %s", out)
	}
}
