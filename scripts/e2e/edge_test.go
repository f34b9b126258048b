package e2e

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
	"golang.org/x/sys/unix"
)

// testDNSEdgeCases covers the ways a device could slip a blocked name past the agent:
// letter case, look-alike names, other query types, several queries in one TCP segment, a
// query split across segments, and a broken configuration on reload.
func testDNSEdgeCases(t *testing.T, l *lab) {
	a := l.startAgent(t, closedNX)
	runDNSCases(t, l, []dnsCase{
		{name: "a/mixed_case_blocked", ns: "a", server: routerV4, qname: "GaMeS.TeSt", qtype: "A", wantStatus: "NXDOMAIN"},
		{name: "a/mixed_case_suffix_blocked", ns: "a", server: routerV4, qname: "WWW.GAMES.TEST", qtype: "AAAA", wantStatus: "NXDOMAIN"},
		{name: "a/label_boundary_allowed", ns: "a", server: routerV4, qname: "mygames.test", qtype: "A", wantStatus: "NOERROR", wantAnswer: upstreamV4},
		{name: "a/mx_blocked", ns: "a", server: routerV4, qname: "games.test", qtype: "MX", wantStatus: "NXDOMAIN"},
		{name: "a/txt_blocked", ns: "a", server: routerV4, qname: "games.test", qtype: "TXT", wantStatus: "NXDOMAIN"},
		{name: "a/https_blocked", ns: "a", server: routerV4, qname: "www.games.test", qtype: "HTTPS", wantStatus: "NXDOMAIN"},
		{name: "a/any_blocked", ns: "a", server: routerV4, qname: "games.test", qtype: "ANY", wantStatus: "NXDOMAIN"},
		{name: "b/mx_allowed", ns: "b", server: routerV4, qname: "games.test", qtype: "MX", wantStatus: "NOERROR"},
	})

	t.Run("a/tcp_two_queries_one_segment", func(t *testing.T) {
		// An allowed query first, a blocked one behind it, in a single write (one segment).
		c := dialIn(t, l.ns("a"), "tcp", net.JoinHostPort(routerV4, "53"))
		defer c.Close()
		var buf []byte
		buf = appendTCPQuery(t, buf, 0x0101, "school.test.")
		buf = appendTCPQuery(t, buf, 0x0202, "games.test.")
		if _, err := c.Write(buf); err != nil {
			t.Fatal(err)
		}
		assertNotAnswered(t, c, "games.test.", 2)
	})

	t.Run("a/tcp_query_split_across_segments", func(t *testing.T) {
		c := dialIn(t, l.ns("a"), "tcp", net.JoinHostPort(routerV4, "53"))
		defer c.Close()
		msg := appendTCPQuery(t, nil, 0x0303, "games.test.")
		// Length prefix and message as two segments (Go sets TCP_NODELAY).
		if _, err := c.Write(msg[:2]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if _, err := c.Write(msg[2:]); err != nil {
			t.Fatal(err)
		}
		assertNotAnswered(t, c, "games.test.", 1)
	})

	t.Run("a/udp_fragmented_query", func(t *testing.T) {
		// EDNS0 padding makes the query 3000 bytes: two IPv4 fragments on the 1500-byte LAN.
		c := dialIn(t, l.ns("a"), "udp", net.JoinHostPort(routerV4, "53"))
		defer c.Close()
		if _, err := c.Write(paddedQuery(t, 0x0404, "games.test.", 3000)); err != nil {
			t.Fatal(err)
		}
		assertNotAnsweredUDP(t, c, "games.test.")
	})

	t.Run("a/udp6_destination_options", func(t *testing.T) {
		// An IPv6 destination-options extension header (a PadN option) before the UDP header.
		c := dialIn(t, l.ns("a"), "udp", net.JoinHostPort(routerV6, "53"))
		defer c.Close()
		raw, err := c.(*net.UDPConn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		// next header (set by the kernel), length 0 (8 bytes), PadN type 1 length 4, 4 zeros.
		opts := []byte{0x00, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00}
		var serr error
		if err := raw.Control(func(fd uintptr) {
			serr = unix.SetsockoptString(int(fd), unix.IPPROTO_IPV6, unix.IPV6_DSTOPTS, string(opts))
		}); err != nil || serr != nil {
			t.Skipf("cannot set IPV6_DSTOPTS: %v %v", err, serr)
		}
		if _, err := c.Write(appendTCPQuery(t, nil, 0x0505, "games.test.")[2:]); err != nil {
			t.Fatal(err)
		}
		assertNotAnsweredUDP(t, c, "games.test.")
	})

	t.Run("reload_invalid_config_keeps_policy", func(t *testing.T) {
		if err := os.WriteFile(a.config, []byte("config agent 'main'\n\toption fail_mode 'sideways'\n\tbroken line '\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := a.cmd.Process.Signal(sighup); err != nil {
			t.Fatal(err)
		}
		a.freshStatus() // a second has passed: the reload has been handled
		if !a.alive() {
			t.Fatalf("agent exited on an invalid config reload (%v); log:\n%s", a.exitError(), a.logTail(20))
		}
		runDNSCases(t, l, []dnsCase{
			{name: "a/still_blocked", ns: "a", server: routerV4, qname: "games.test", qtype: "A", wantStatus: "NXDOMAIN"},
			{name: "b/still_allowed", ns: "b", server: routerV4, qname: "games.test", qtype: "A", wantStatus: "NOERROR", wantAnswer: upstreamV4},
		})
	})
}

// paddedQuery returns a DNS query for name, type A, padded with an EDNS0 padding option to
// about size bytes.
func paddedQuery(t *testing.T, id uint16, name string, size int) []byte {
	t.Helper()
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, RecursionDesired: true})
	if err := b.StartQuestions(); err != nil {
		t.Fatal(err)
	}
	if err := b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(name), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}); err != nil {
		t.Fatal(err)
	}
	if err := b.StartAdditionals(); err != nil {
		t.Fatal(err)
	}
	var rh dnsmessage.ResourceHeader
	if err := rh.SetEDNS0(4096, dnsmessage.RCodeSuccess, false); err != nil {
		t.Fatal(err)
	}
	pad := dnsmessage.Option{Code: 12, Data: make([]byte, size)} // RFC 7830 padding
	if err := b.OPTResource(rh, dnsmessage.OPTResource{Options: []dnsmessage.Option{pad}}); err != nil {
		t.Fatal(err)
	}
	msg, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// assertNotAnsweredUDP reads one answer (5 s at most) and fails if it gives an address for
// blocked.
func assertNotAnsweredUDP(t *testing.T, c net.Conn, blocked string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 65535)
	n, err := c.Read(buf)
	if err != nil {
		logEnd(t, err)
		return
	}
	checkAnswer(t, buf[:n], blocked, 0)
}

// checkAnswer fails if msg answers blocked with a non-zero address.
func checkAnswer(t *testing.T, msg []byte, blocked string, i int) {
	t.Helper()
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil {
		t.Errorf("answer %d: %v", i, err)
		return
	}
	q, err := p.Question()
	if err != nil {
		t.Errorf("answer %d: question: %v", i, err)
		return
	}
	_ = p.SkipAllQuestions()
	answers, _ := p.AllAnswers()
	t.Logf("answer %d: id %#04x %s %v, %d records", i, h.ID, q.Name, h.RCode, len(answers))
	if q.Name.String() != blocked {
		return
	}
	for _, rr := range answers {
		if a, ok := rr.Body.(*dnsmessage.AResource); ok && a.A != [4]byte{} {
			t.Errorf("blocked name %s resolved to %v: the agent let it through", blocked, net.IP(a.A[:]))
		}
	}
}

// appendTCPQuery appends a length-prefixed DNS query for name, type A, with id.
func appendTCPQuery(t *testing.T, buf []byte, id uint16, name string) []byte {
	t.Helper()
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, RecursionDesired: true})
	if err := b.StartQuestions(); err != nil {
		t.Fatal(err)
	}
	if err := b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(name), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}); err != nil {
		t.Fatal(err)
	}
	msg, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(msg)))
	return append(buf, msg...)
}

// assertNotAnswered reads up to max answers from a DNS-over-TCP connection (5 s in all) and
// fails if one of them gives an address for blocked. A closed or reset connection, a timeout,
// NXDOMAIN or an unspecified address are all fine: the name did not resolve.
func assertNotAnswered(t *testing.T, c net.Conn, blocked string, max int) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for i := 0; i < max; i++ {
		var l [2]byte
		if _, err := io.ReadFull(c, l[:]); err != nil {
			logEnd(t, err)
			return
		}
		msg := make([]byte, binary.BigEndian.Uint16(l[:]))
		if _, err := io.ReadFull(c, msg); err != nil {
			logEnd(t, err)
			return
		}
		checkAnswer(t, msg, blocked, i)
	}
}

func logEnd(t *testing.T, err error) {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF):
		t.Log("connection closed")
	case errors.As(err, &ne) && ne.Timeout():
		t.Log("no more answers (timeout)")
	default:
		t.Logf("connection ended: %v", err)
	}
}
