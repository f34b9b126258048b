package e2e

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Addresses of labsrv on the upstream.
const (
	labsrvV4 = "10.99.0.2"
	labsrvV6 = "fd99::2"
)

// tlsResult is how one TLS connection from a device went.
type tlsResult struct {
	err   error
	hello int // bytes of the ClientHello record the client sent
	body  string
}

// tlsGet opens a TLS connection from namespace ns to addr with Go's crypto/tls client
// (its default post-quantum ClientHello) for serverName, and sends an HTTP request.
func (l *lab) tlsGet(t *testing.T, ns, addr, serverName string) tlsResult {
	t.Helper()
	raw := dialIn(t, l.ns(ns), "tcp", addr)
	defer raw.Close()
	counted := &countingConn{Conn: raw}
	c := tls.Client(counted, &tls.Config{ServerName: serverName, InsecureSkipVerify: true})
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if err := c.Handshake(); err != nil {
		return tlsResult{err: err, hello: counted.firstWrite}
	}
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", serverName)
	b, err := io.ReadAll(c)
	return tlsResult{err: err, hello: counted.firstWrite, body: string(b)}
}

// countingConn records the size of the first write (the ClientHello).
type countingConn struct {
	net.Conn
	firstWrite int
}

func (c *countingConn) Write(b []byte) (int, error) {
	if c.firstWrite == 0 {
		c.firstWrite = len(b)
	}
	return c.Conn.Write(b)
}

// isReset reports whether err is the reset a blocked flow gets.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || (err != nil && strings.Contains(err.Error(), "connection reset"))
}

// setMTU sets the MTU of device ns's LAN link (its eth0) and of its port on the router.
func (l *lab) setMTU(t *testing.T, ns string, mtu int) {
	t.Helper()
	if out, code := l.run(10*time.Second, ns, "ip", "link", "set", "dev", "eth0", "mtu", fmt.Sprint(mtu)); code != 0 {
		t.Fatalf("e2e: set mtu %d in %s: %s", mtu, ns, out)
	}
}

// testTLSBlockPerDevice: the SNI of Go's post-quantum ClientHello (several segments) is read
// and judged per device, at LAN MTU 1500 and 576 (IPv4 only: IPv6 needs 1280), over IPv4 and
// IPv6: a blocked name's
// connection is reset during the handshake, an allowed one completes and loads.
func testTLSBlockPerDevice(t *testing.T, l *lab) {
	a := l.startAgent(t, closedNX)
	for _, mtu := range []int{1500, 576} {
		t.Run(fmt.Sprintf("mtu_%d", mtu), func(t *testing.T) {
			l.setMTU(t, "a", mtu)
			l.setMTU(t, "b", mtu)
			t.Cleanup(func() { l.setMTU(t, "a", 1500); l.setMTU(t, "b", 1500) })
			for _, c := range []struct {
				ns, addr, sni string
				blocked       bool
			}{
				{"a", labsrvV4 + ":443", "games.test", true},
				{"a", labsrvV4 + ":443", "www.games.test", true},
				{"a", "[" + labsrvV6 + "]:443", "games.test", true},
				{"a", labsrvV4 + ":443", "school.test", false},
				{"a", "[" + labsrvV6 + "]:443", "school.test", false},
				{"b", labsrvV4 + ":443", "games.test", false},
				{"b", "[" + labsrvV6 + "]:443", "games.test", false},
			} {
				if mtu < 1280 && strings.HasPrefix(c.addr, "[") {
					continue // IPv6 needs a link MTU of 1280 at least
				}
				r := l.tlsGet(t, c.ns, c.addr, c.sni)
				if r.hello < 1500 {
					t.Errorf("%s %s: ClientHello of %d bytes, want a post-quantum one", c.ns, c.sni, r.hello)
				}
				switch {
				case c.blocked && !isReset(r.err):
					t.Errorf("%s → %s %s: %v, want the connection reset", c.ns, c.addr, c.sni, r.err)
				case !c.blocked && (r.err != nil || !strings.Contains(r.body, "sni="+c.sni)):
					t.Errorf("%s → %s %s: %v %q, want labsrv's page", c.ns, c.addr, c.sni, r.err, r.body)
				}
			}
		})
	}
	st := a.freshStatus()
	if st.counter(t, "flows_blocked") < 5 || st.counter(t, "flows_allowed") < 6 {
		t.Errorf("status: flows_blocked %.0f, flows_allowed %.0f", st.counter(t, "flows_blocked"), st.counter(t, "flows_allowed"))
	}
	var tlsLogged bool
	for _, rec := range a.logRecords("decision") {
		if rec["kind"] == "tls" && rec["name"] == "games.test" && rec["action"] == "block" {
			tlsLogged = true
		}
	}
	if !tlsLogged {
		t.Error("no logged tls decision blocking games.test")
	}
}

// testCurlNames: curl over HTTPS (its own TLS stack) and plain HTTP. A blocked HTTPS name
// fails at the handshake; a blocked HTTP Host gets the agent's short answer: a redirect to the
// web page's child view, which says why.
func testCurlNames(t *testing.T, l *lab) {
	l.startAgent(t, closedNX)
	for _, c := range []struct {
		name, ns string
		args     []string
		wantOK   bool
		wantBody string
	}{
		{"https blocked", "a", []string{"-k", "--resolve", "games.test:443:" + labsrvV4, "https://games.test/"}, false, ""},
		{"https allowed", "a", []string{"-k", "--resolve", "school.test:443:" + labsrvV4, "https://school.test/"}, true, ""},
		{"https blocked name allowed for b", "b", []string{"-k", "--resolve", "games.test:443:" + labsrvV4, "https://games.test/"}, true, ""},
		{"http blocked", "a", []string{"-w", "%{http_code} %{size_download} %{redirect_url}", "-H", "Host: www.games.test", "http://" + labsrvV4 + "/"}, true,
			"302 41 http://" + routerV4 + ":" + pagePort + "/#/blocked?name=www.games.test"},
		{"http allowed", "a", []string{"-H", "Host: school.test", "http://" + labsrvV4 + "/"}, true, "200 "},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, code := l.curl(c.ns, 10, c.args...)
			if (code == 0) != c.wantOK {
				t.Fatalf("curl exit %d (%q), want success %v", code, out, c.wantOK)
			}
			if c.wantBody != "" && !strings.HasPrefix(out, c.wantBody) {
				t.Errorf("curl printed %q, want %q…", out, c.wantBody)
			}
		})
	}
}

// testBrowserBlockedHTTPS: headless chromium on device A gets a connection error for a
// blocked https URL, while an allowed one loads; device B loads both.
func testBrowserBlockedHTTPS(t *testing.T, l *lab) {
	requireBrowser(t)
	l.startAgent(t, closedNX)
	// The names map to labsrv without DNS, so that the TLS name alone decides.
	// No screenshot: chromium cannot always capture its own error page.
	r := l.browse(t, "a", "https://games.test/", withUpstreamNames("games.test"))
	if r.OK || !strings.HasPrefix(r.Error, "net::ERR_") {
		t.Errorf("https://games.test/ from a: %v, want a connection error", r)
	}
	t.Logf("blocked: %v", r)
	if r := l.browse(t, "a", "https://school.test/", withUpstreamNames("school.test")); !r.OK || r.Status != 200 {
		t.Errorf("https://school.test/ from a: %v, want it loaded", r)
	}
	if r := l.browse(t, "b", "https://games.test/", withUpstreamNames("games.test")); !r.OK || r.Status != 200 {
		t.Errorf("https://games.test/ from b: %v, want it loaded", r)
	}
}

// testDNSProtections: restricted device A gets SafeSearch through CNAME answers and DNS bypass
// discovery turned off; device B asks the resolver as usual.
func testDNSProtections(t *testing.T, l *lab) {
	a := l.startAgent(t, closedNX)
	// The agent resolves the SafeSearch hosts in the background: wait until it has.
	if !waitUntil(15*time.Second, 200*time.Millisecond, func() bool {
		return l.dig(t, "a", "192.168.50.1", "www.google.com", "A", 2).Status == "NOERROR"
	}) {
		t.Fatalf("www.google.com never answered; status %v", a.freshStatus())
	}
	for _, c := range []dnsCase{
		{name: "google", ns: "a", server: "192.168.50.1", qname: "www.google.com", qtype: "A", wantStatus: "NOERROR", wantAnswer: "forcesafesearch.google.com."},
		{name: "google az aaaa", ns: "a", server: "192.168.50.1", qname: "www.google.az", qtype: "AAAA", wantStatus: "NOERROR", wantAnswer: "forcesafesearch.google.com."},
		{name: "youtube", ns: "a", server: "192.168.50.1", qname: "m.youtube.com", qtype: "A", wantStatus: "NOERROR", wantAnswer: "restrictmoderate.youtube.com."},
		{name: "bing", ns: "a", server: "192.168.50.1", qname: "www.bing.com", qtype: "A", wantStatus: "NOERROR", wantAnswer: "strict.bing.com."},
		{name: "canary", ns: "a", server: "192.168.50.1", qname: "use-application-dns.net", qtype: "A", wantStatus: "NXDOMAIN"},
		{name: "private relay", ns: "a", server: "192.168.50.1", qname: "mask.icloud.com", qtype: "A", wantStatus: "NXDOMAIN"},
		{name: "ddr", ns: "a", server: "192.168.50.1", qname: "_dns.resolver.arpa", qtype: "SVCB", wantStatus: "NOERROR"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := l.dig(t, c.ns, c.server, c.qname, c.qtype, 3)
			if r.Status != c.wantStatus {
				t.Fatalf("%s: %v, want %s", c.qname, r, c.wantStatus)
			}
			if c.wantAnswer != "" && (len(r.Answers) < 2 || r.Answers[0] != c.wantAnswer) {
				t.Errorf("%s: answers %v, want the CNAME %s and its addresses", c.qname, r.Answers, c.wantAnswer)
			}
			if c.wantAnswer == "" && len(r.Answers) != 0 {
				t.Errorf("%s: answers %v, want none", c.qname, r.Answers)
			}
		})
	}
	// Answers the resolver gives are read on their way: the agent learns the names.
	if r := l.dig(t, "a", "192.168.50.1", "school.test", "A", 3); r.Status != "NOERROR" {
		t.Errorf("school.test: %v", r)
	}
	// Device B: the resolver answers (the lab upstream knows no google.com: REFUSED or
	// SERVFAIL through dnsmasq), never the agent's CNAME.
	if r := l.dig(t, "b", "192.168.50.1", "www.google.com", "A", 3); len(r.Answers) > 0 && r.Answers[0] == "forcesafesearch.google.com." {
		t.Errorf("device b got SafeSearch: %v", r)
	}
	if st := a.freshStatus(); st.counter(t, "dns_redirected") < 4 || st.counter(t, "names_learned") == 0 {
		t.Errorf("status: dns_redirected %.0f, names_learned %.0f", st.counter(t, "dns_redirected"), st.counter(t, "names_learned"))
	}
}
