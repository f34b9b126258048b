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

// testBlockPage: in the DNS block-page mode a blocked name resolves to the block page's address
// (192.0.2.1), a plain-HTTP visit to it lands on the web page, which sends the browser to the
// child's view of the name; HTTPS to that address is refused at once; AAAA has no answer.
func testBlockPage(t *testing.T, l *lab) {
	l.startAgent(t, household{FailMode: "closed", DNSBlock: "page"})
	r := l.dig(t, "a", routerV4, "www.games.test", "A", 3)
	if r.Status != "NOERROR" || len(r.Answers) != 1 || r.Answers[0] != "192.0.2.1" {
		t.Fatalf("blocked A in page mode: %s %v\n%s", r.Status, r.Answers, r.Out)
	}
	if r := l.dig(t, "a", routerV4, "www.games.test", "AAAA", 3); r.Status != "NOERROR" || len(r.Answers) != 0 {
		t.Errorf("blocked AAAA in page mode: %s %v, want no data", r.Status, r.Answers)
	}
	if r := l.dig(t, "b", routerV4, "www.games.test", "A", 3); len(r.Answers) != 1 || r.Answers[0] != upstreamV4 {
		t.Errorf("device B's answer: %v, want the real address", r.Answers)
	}
	// curl goes where the router's answer said (the lab namespaces share the host's resolv.conf).
	out, code := l.curl("a", 10, "-w", "%{http_code} %{redirect_url}", "--resolve", "www.games.test:80:"+r.Answers[0],
		"http://www.games.test/watch?v=1")
	want := "302 http://" + routerV4 + ":" + pagePort + "/#/blocked?name=www.games.test"
	if code != 0 || out != want {
		t.Errorf("plain HTTP to a blocked name: exit %d, %q, want %q", code, out, want)
	}
	// Refused (curl exit 7), not left to time out (28).
	if out, code := l.curl("a", 10, "-k", "--resolve", "www.games.test:443:"+r.Answers[0], "https://www.games.test/"); code != 7 {
		t.Errorf("HTTPS to the block page's address: curl exit %d (%q), want 7 (refused)", code, out)
	}
}
