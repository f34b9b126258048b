package e2e

import (
	"bufio"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// Lab addresses (scripts/lab.sh).
const (
	routerV4   = "192.168.50.1"
	routerV6   = "fd50::1"
	upstreamV4 = "10.99.0.2"
	upstreamV6 = "fd99::2"
)

// maxVerdictsPerFlow is the agent's packet-count guard: a TCP flow leaves the queue after at
// most this many packets.
const maxVerdictsPerFlow = 8

var (
	closedNX   = household{FailMode: "closed", DNSBlock: "nxdomain"}
	closedNull = household{FailMode: "closed", DNSBlock: "null"}
	openNX     = household{FailMode: "open", DNSBlock: "nxdomain"}
)

// TestE2E brings one lab up and runs the groups against it, each with a fresh agent.
func TestE2E(t *testing.T) {
	l := startLab(t)
	groups := []struct {
		name string
		fn   func(*testing.T, *lab)
	}{
		{"DNSBlockPerDevice", testDNSBlockPerDevice},
		{"BlockedAnswerIsImmediate", testBlockedAnswerIsImmediate},
		{"InterceptsQueriesToOtherResolvers", testInterceptsOtherResolvers},
		{"DNSEdgeCases", testDNSEdgeCases},
		{"TableLifecycle", testTableLifecycle},
		{"KillNineFailClosed", testKillNineFailClosed},
		{"KillNineFailOpen", testKillNineFailOpen},
		{"MalformedDNS", testMalformedDNS},
		{"TCPFlowsQueuedOnlyAtStart", testTCPFlowsQueuedOnlyAtStart},
		{"TLSBlockPerDevice", testTLSBlockPerDevice},
		{"CurlNames", testCurlNames},
		{"BrowserBlockedHTTPS", testBrowserBlockedHTTPS},
		{"DNSProtections", testDNSProtections},
		{"QUICBlockPerDevice", testQUICBlockPerDevice},
		{"Household", testHousehold},
		{"WebPage", testWebPage},
		{"BlockPage", testBlockPage},
		{"WebPageBrowser", testWebPageBrowser},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			// A kill -9 leaves the table behind by design; start every group from a clean router.
			l.deleteTable(t)
			t.Cleanup(func() { l.deleteTable(t) })
			g.fn(t, l)
		})
	}
}

// dnsCase is one dig query and the answer it must get.
type dnsCase struct {
	name       string
	ns         string // a or b
	server     string
	qname      string
	qtype      string
	tcp        bool
	wantStatus string
	wantAnswer string // the only answer's rdata; "" for none
	wantServer string // "" to skip the check
}

func runDNSCases(t *testing.T, l *lab, cases []dnsCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var extra []string
			if tc.tcp {
				extra = append(extra, "+tcp")
			}
			r := l.dig(t, tc.ns, tc.server, tc.qname, tc.qtype, 5, extra...)
			if r.TimedOut() {
				t.Fatalf("%s %s from %s via %s: no answer (timeout)\n%s", tc.qname, tc.qtype, tc.ns, tc.server, r.Out)
			}
			if r.Status != tc.wantStatus {
				t.Errorf("%s %s from %s via %s: status %q, want %q\n%s", tc.qname, tc.qtype, tc.ns, tc.server, r.Status, tc.wantStatus, r.Out)
			}
			var want []string
			if tc.wantAnswer != "" {
				want = []string{tc.wantAnswer}
			}
			if !slices.Equal(r.Answers, want) {
				t.Errorf("%s %s from %s via %s: answers %v, want %v\n%s", tc.qname, tc.qtype, tc.ns, tc.server, r.Answers, want, r.Out)
			}
			if tc.wantServer != "" && r.Server != tc.wantServer {
				t.Errorf("answer came from %q, want %q", r.Server, tc.wantServer)
			}
		})
	}
}

func testDNSBlockPerDevice(t *testing.T, l *lab) {
	a := l.startAgent(t, closedNX)
	runDNSCases(t, l, []dnsCase{
		{name: "a/udp4/blocked", ns: "a", server: routerV4, qname: "games.test", qtype: "A", wantStatus: "NXDOMAIN"},
		{name: "a/udp4/suffix_blocked", ns: "a", server: routerV4, qname: "www.games.test", qtype: "A", wantStatus: "NXDOMAIN"},
		{name: "a/udp4/other_allowed", ns: "a", server: routerV4, qname: "school.test", qtype: "A", wantStatus: "NOERROR", wantAnswer: upstreamV4},
		{name: "b/udp4/allowed", ns: "b", server: routerV4, qname: "games.test", qtype: "A", wantStatus: "NOERROR", wantAnswer: upstreamV4},
		{name: "b/udp4/suffix_allowed", ns: "b", server: routerV4, qname: "www.games.test", qtype: "A", wantStatus: "NOERROR", wantAnswer: upstreamV4},
		{name: "a/tcp4/blocked", ns: "a", server: routerV4, qname: "games.test", qtype: "A", tcp: true, wantStatus: "NXDOMAIN"},
		{name: "a/tcp4/suffix_blocked", ns: "a", server: routerV4, qname: "www.games.test", qtype: "A", tcp: true, wantStatus: "NXDOMAIN"},
		{name: "a/tcp4/other_allowed", ns: "a", server: routerV4, qname: "news.test", qtype: "A", tcp: true, wantStatus: "NOERROR", wantAnswer: upstreamV4},
		{name: "b/tcp4/allowed", ns: "b", server: routerV4, qname: "games.test", qtype: "A", tcp: true, wantStatus: "NOERROR", wantAnswer: upstreamV4},
		{name: "a/udp6/blocked", ns: "a", server: routerV6, qname: "games.test", qtype: "A", wantStatus: "NXDOMAIN"},
		{name: "b/udp6/allowed", ns: "b", server: routerV6, qname: "games.test", qtype: "A", wantStatus: "NOERROR", wantAnswer: upstreamV4},
		{name: "a/tcp6/blocked", ns: "a", server: routerV6, qname: "www.games.test", qtype: "A", tcp: true, wantStatus: "NXDOMAIN"},
		{name: "a/udp4/aaaa_blocked", ns: "a", server: routerV4, qname: "games.test", qtype: "AAAA", wantStatus: "NXDOMAIN"},
		{name: "a/udp6/aaaa_blocked", ns: "a", server: routerV6, qname: "www.games.test", qtype: "AAAA", wantStatus: "NXDOMAIN"},
		{name: "b/udp6/aaaa_allowed", ns: "b", server: routerV6, qname: "games.test", qtype: "AAAA", wantStatus: "NOERROR", wantAnswer: upstreamV6},
		{name: "a/udp6/aaaa_other_allowed", ns: "a", server: routerV6, qname: "video.test", qtype: "AAAA", wantStatus: "NOERROR", wantAnswer: upstreamV6},
	})

	t.Run("decision_log", func(t *testing.T) {
		// The status file is rewritten every second; by then the log lines are written too.
		a.freshStatus()
		recs := a.logRecords("decision")
		find := func(mac, name, proto, action string) map[string]any {
			for _, r := range recs {
				n, _ := r["name"].(string)
				if r["mac"] == mac && strings.TrimSuffix(n, ".") == name && r["proto"] == proto && r["action"] == action {
					return r
				}
			}
			return nil
		}
		for _, w := range []struct{ mac, name, proto, action string }{
			{macA, "games.test", "udp", "block"},
			{macA, "www.games.test", "udp", "block"},
			{macA, "games.test", "tcp", "block"},
			{macA, "school.test", "udp", "allow"},
			{macB, "games.test", "udp", "allow"},
			{macB, "games.test", "tcp", "allow"},
		} {
			r := find(w.mac, w.name, w.proto, w.action)
			if r == nil {
				t.Errorf("no decision line mac=%s name=%s proto=%s action=%s among %d decisions", w.mac, w.name, w.proto, w.action, len(recs))
				continue
			}
			for _, f := range []string{"device", "kind", "qtype", "reason"} {
				if s, _ := r[f].(string); s == "" {
					t.Errorf("decision %v: field %q empty", r, f)
				}
			}
		}
		if t.Failed() {
			t.Logf("agent log tail:\n%s", a.logTail(30))
		}
	})

	t.Run("null_mode_after_reload", func(t *testing.T) {
		a.reload(closedNull)
		ok := waitUntil(10*time.Second, 200*time.Millisecond, func() bool {
			r := l.dig(t, "a", routerV4, "games.test", "A", 2)
			return slices.Equal(r.Answers, []string{"0.0.0.0"})
		})
		if !ok {
			t.Fatalf("device A still gets %v for games.test 10 s after SIGHUP with dns_block null; log:\n%s",
				l.dig(t, "a", routerV4, "games.test", "A", 2), a.logTail(20))
		}
		runDNSCases(t, l, []dnsCase{
			{name: "a/udp4/null_a", ns: "a", server: routerV4, qname: "www.games.test", qtype: "A", wantStatus: "NOERROR", wantAnswer: "0.0.0.0"},
			{name: "a/udp6/null_aaaa", ns: "a", server: routerV6, qname: "games.test", qtype: "AAAA", wantStatus: "NOERROR", wantAnswer: "::"},
			{name: "a/tcp4/null_a", ns: "a", server: routerV4, qname: "games.test", qtype: "A", tcp: true, wantStatus: "NOERROR", wantAnswer: "0.0.0.0"},
			{name: "a/tcp6/null_aaaa", ns: "a", server: routerV6, qname: "www.games.test", qtype: "AAAA", tcp: true, wantStatus: "NOERROR", wantAnswer: "::"},
			{name: "b/udp4/still_allowed", ns: "b", server: routerV4, qname: "games.test", qtype: "A", wantStatus: "NOERROR", wantAnswer: upstreamV4},
			{name: "a/udp4/other_allowed", ns: "a", server: routerV4, qname: "school.test", qtype: "A", wantStatus: "NOERROR", wantAnswer: upstreamV4},
		})
	})

	t.Run("null_mode_after_restart", func(t *testing.T) {
		if err := a.stop(); err != nil {
			t.Fatalf("agent exit after SIGTERM: %v", err)
		}
		l.startAgent(t, closedNull)
		runDNSCases(t, l, []dnsCase{
			{name: "a/udp4/null_a", ns: "a", server: routerV4, qname: "games.test", qtype: "A", wantStatus: "NOERROR", wantAnswer: "0.0.0.0"},
			{name: "a/udp4/null_aaaa", ns: "a", server: routerV4, qname: "games.test", qtype: "AAAA", wantStatus: "NOERROR", wantAnswer: "::"},
			{name: "b/udp4/allowed", ns: "b", server: routerV4, qname: "games.test", qtype: "A", wantStatus: "NOERROR", wantAnswer: upstreamV4},
		})
	})
}

func testBlockedAnswerIsImmediate(t *testing.T, l *lab) {
	l.startAgent(t, closedNX)
	// One try with a generous timeout: an NXDOMAIN status proves the answer came, and came
	// from the agent, not from a retry or a timeout. The query time is logged for information.
	for _, tc := range []struct {
		name   string
		server string
		extra  []string
	}{
		{"udp4", routerV4, nil},
		{"tcp4", routerV4, []string{"+tcp"}},
		{"udp6", routerV6, nil},
		{"tcp6", routerV6, []string{"+tcp"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := l.dig(t, "a", tc.server, "games.test", "A", 5, tc.extra...)
			if r.Status != "NXDOMAIN" || r.Exit != 0 {
				t.Fatalf("blocked query got %v, want an NXDOMAIN answer\n%s", r, r.Out)
			}
			t.Logf("blocked answer over %s: dig query time %d ms", tc.name, r.QueryTime)
		})
	}
}

func testInterceptsOtherResolvers(t *testing.T, l *lab) {
	l.startAgent(t, closedNX)
	runDNSCases(t, l, []dnsCase{
		{name: "a/udp4/blocked", ns: "a", server: upstreamV4, qname: "games.test", qtype: "A", wantStatus: "NXDOMAIN", wantServer: upstreamV4},
		{name: "a/udp4/suffix_blocked", ns: "a", server: upstreamV4, qname: "www.games.test", qtype: "AAAA", wantStatus: "NXDOMAIN", wantServer: upstreamV4},
		{name: "a/tcp4/blocked", ns: "a", server: upstreamV4, qname: "games.test", qtype: "A", tcp: true, wantStatus: "NXDOMAIN", wantServer: upstreamV4},
		{name: "a/udp6/blocked", ns: "a", server: upstreamV6, qname: "games.test", qtype: "AAAA", wantStatus: "NXDOMAIN", wantServer: upstreamV6},
		{name: "a/tcp6/blocked", ns: "a", server: upstreamV6, qname: "www.games.test", qtype: "A", tcp: true, wantStatus: "NXDOMAIN", wantServer: upstreamV6},
		{name: "a/udp4/allowed", ns: "a", server: upstreamV4, qname: "school.test", qtype: "A", wantStatus: "NOERROR", wantAnswer: upstreamV4, wantServer: upstreamV4},
		{name: "a/udp6/allowed", ns: "a", server: upstreamV6, qname: "school.test", qtype: "AAAA", wantStatus: "NOERROR", wantAnswer: upstreamV6, wantServer: upstreamV6},
		{name: "a/tcp4/allowed", ns: "a", server: upstreamV4, qname: "news.test", qtype: "A", tcp: true, wantStatus: "NOERROR", wantAnswer: upstreamV4, wantServer: upstreamV4},
		{name: "b/udp4/allowed", ns: "b", server: upstreamV4, qname: "games.test", qtype: "A", wantStatus: "NOERROR", wantAnswer: upstreamV4, wantServer: upstreamV4},
		{name: "b/udp6/allowed", ns: "b", server: upstreamV6, qname: "games.test", qtype: "AAAA", wantStatus: "NOERROR", wantAnswer: upstreamV6, wantServer: upstreamV6},
	})
}

func testTableLifecycle(t *testing.T, l *lab) {
	if l.tablePresent(t) {
		t.Fatal("table inet safeinternet present before the agent started")
	}
	a := l.startAgent(t, closedNX)
	if !l.tablePresent(t) {
		t.Fatalf("table inet safeinternet absent while the agent runs; log:\n%s", a.logTail(20))
	}

	t.Run("recreated_after_delete", func(t *testing.T) {
		if out, code := l.run(10*time.Second, "router", "nft", "delete", "table", "inet", "safeinternet"); code != 0 {
			t.Fatalf("nft delete table: exit %d: %s", code, out)
		}
		if !waitUntil(10*time.Second, 200*time.Millisecond, func() bool { return l.tablePresent(t) }) {
			t.Fatalf("table not re-created within 10 s of its deletion; log:\n%s", a.logTail(20))
		}
		// The re-created table queues again: a blocked name is answered by the agent.
		ok := waitUntil(5*time.Second, 200*time.Millisecond, func() bool {
			return l.dig(t, "a", routerV4, "games.test", "A", 2).Status == "NXDOMAIN"
		})
		if !ok {
			t.Errorf("after re-creation games.test from device A is not blocked: %v", l.dig(t, "a", routerV4, "games.test", "A", 2))
		}
	})

	t.Run("removed_on_sigterm", func(t *testing.T) {
		if err := a.stop(); err != nil {
			t.Errorf("agent exit after SIGTERM: %v, want status 0; log:\n%s", err, a.logTail(20))
		}
		if l.tablePresent(t) {
			t.Error("table inet safeinternet still present after the agent stopped")
		}
		// With the table gone nothing is queued: everything resolves normally.
		if r := l.dig(t, "a", routerV4, "games.test", "A", 5); !slices.Equal(r.Answers, []string{upstreamV4}) {
			t.Errorf("after stop games.test from device A got %v, want %s", r, upstreamV4)
		}
	})
}

// echoLine writes line to the echo server and reads it back, within limit.
func echoLine(c net.Conn, r *bufio.Reader, line string, limit time.Duration) error {
	_ = c.SetDeadline(time.Now().Add(limit))
	if _, err := fmt.Fprintf(c, "%s\n", line); err != nil {
		return err
	}
	got, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if got != line+"\n" {
		return fmt.Errorf("echo %q, want %q", got, line+"\n")
	}
	return nil
}

// establishedFlow opens an echo connection from device A and exchanges more lines than the
// queue guard, so that the flow is settled in the kernel.
func establishedFlow(t *testing.T, l *lab) (net.Conn, *bufio.Reader) {
	t.Helper()
	c := dialIn(t, l.ns("a"), "tcp", net.JoinHostPort(upstreamV4, "7"))
	t.Cleanup(func() { c.Close() })
	r := bufio.NewReader(c)
	for i := range 2 * maxVerdictsPerFlow {
		if err := echoLine(c, r, fmt.Sprintf("before kill %d", i), 5*time.Second); err != nil {
			t.Fatalf("established flow with the agent running: line %d: %v", i, err)
		}
	}
	return c, r
}

func testKillNineFailClosed(t *testing.T, l *lab) {
	a := l.startAgent(t, closedNX)
	c, r := establishedFlow(t, l)
	a.kill9()
	if !l.tablePresent(t) {
		t.Fatal("table gone after kill -9; it must stay so that restricted devices stay closed")
	}
	for _, ns := range []string{"a", "b"} {
		t.Run(ns+"/dns_times_out", func(t *testing.T) {
			for _, server := range []string{routerV4, routerV6, upstreamV4} {
				if res := l.dig(t, ns, server, "school.test", "A", 2); !res.TimedOut() {
					t.Errorf("query via %s after kill -9 in fail_mode closed: %v, want a timeout\n%s", server, res, res.Out)
				}
			}
		})
		t.Run(ns+"/new_tcp_gets_no_data", func(t *testing.T) {
			for _, url := range []string{"http://10.99.0.2/", "http://[fd99::2]/"} {
				out, code := l.curl(ns, 3, url)
				if code == 0 {
					t.Errorf("new connection to %s after kill -9 in fail_mode closed got %q, want no data", url, out)
				}
			}
		})
	}
	t.Run("established_flow_continues", func(t *testing.T) {
		if err := echoLine(c, r, "after kill", 5*time.Second); err != nil {
			t.Errorf("established, settled flow after kill -9: %v", err)
		}
	})
}

func testKillNineFailOpen(t *testing.T, l *lab) {
	a := l.startAgent(t, openNX)
	c, r := establishedFlow(t, l)
	a.kill9()
	for _, ns := range []string{"a", "b"} {
		t.Run(ns+"/dns_answers", func(t *testing.T) {
			for _, server := range []string{routerV4, routerV6, upstreamV4} {
				start := time.Now()
				res := l.dig(t, ns, server, "school.test", "A", 5)
				t.Logf("via %s: %v in %v", server, res, time.Since(start))
				if !slices.Equal(res.Answers, []string{upstreamV4}) {
					t.Errorf("query via %s after kill -9 in fail_mode open: %v, want %s\n%s", server, res, upstreamV4, res.Out)
				}
			}
		})
		t.Run(ns+"/new_tcp_works", func(t *testing.T) {
			for _, url := range []string{"http://10.99.0.2/", "http://[fd99::2]/"} {
				if out, code := l.curl(ns, 10, url); code != 0 || !strings.HasPrefix(out, "200 ") {
					t.Errorf("new connection to %s after kill -9 in fail_mode open: exit %d, %q", url, code, out)
				}
			}
		})
	}
	t.Run("established_flow_continues", func(t *testing.T) {
		if err := echoLine(c, r, "after kill", 5*time.Second); err != nil {
			t.Errorf("established flow after kill -9: %v", err)
		}
	})
}

func testTCPFlowsQueuedOnlyAtStart(t *testing.T, l *lab) {
	a := l.startAgent(t, closedNX)
	const size = 20 << 20
	downloads := []struct {
		name string
		ns   string
		args []string
	}{
		{"a/http4", "a", []string{"-H", "Host: video.test", fmt.Sprintf("http://10.99.0.2/bytes?n=%d", size)}},
		{"a/https4", "a", []string{"-k", "--resolve", "video.test:443:10.99.0.2", fmt.Sprintf("https://video.test/bytes?n=%d", size)}},
		{"b/http6", "b", []string{"-H", "Host: school.test", fmt.Sprintf("http://[fd99::2]/bytes?n=%d", size)}},
		{"b/https6", "b", []string{"-k", "--resolve", "school.test:443:[fd99::2]", fmt.Sprintf("https://school.test/bytes?n=%d", size)}},
	}
	before := a.freshStatus()
	for _, d := range downloads {
		t.Run(d.name, func(t *testing.T) {
			out, code := l.curl(d.ns, 60, d.args...)
			if want := fmt.Sprintf("200 %d", size); code != 0 || out != want {
				t.Errorf("download: exit %d, %q; want %q", code, out, want)
			}
		})
	}
	after := a.freshStatus()
	flows := float64(len(downloads))
	for _, c := range [][]string{{"verdicts_tcp"}, {"verdicts"}, {"packets"}} {
		d := after.counter(t, c...) - before.counter(t, c...)
		t.Logf("%s: %.0f for %.0f flows of %d bytes (%.1f per flow)", c[0], d, flows, size, d/flows)
		if d > maxVerdictsPerFlow*flows {
			t.Errorf("%s grew by %.0f for %.0f flows: more than %d per flow, so the bulk is queued", c[0], d, flows, maxVerdictsPerFlow)
		}
	}
	if d := after.counter(t, "tcp_flows") - before.counter(t, "tcp_flows"); d < flows {
		t.Errorf("tcp_flows grew by %.0f, want at least %.0f (one per download)", d, flows)
	}
}
