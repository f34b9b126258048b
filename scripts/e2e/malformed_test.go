package e2e

import (
	"encoding/binary"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// dnsName encodes a name as DNS labels (no compression).
func dnsName(name string) []byte {
	var b []byte
	for _, l := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}

// dnsHeader is a 12-byte DNS header: id, flags, then QD/AN/NS/AR counts.
func dnsHeader(id, flags, qd, an, ns, ar uint16) []byte {
	b := make([]byte, 12)
	for i, v := range []uint16{id, flags, qd, an, ns, ar} {
		binary.BigEndian.PutUint16(b[2*i:], v)
	}
	return b
}

// question is QTYPE A, QCLASS IN after a name.
var question = []byte{0x00, 0x01, 0x00, 0x01}

// malformedQueries returns named DNS payloads that a parser must survive.
func malformedQueries() []struct {
	name string
	msg  []byte
} {
	cat := func(parts ...[]byte) []byte { return slices.Concat(parts...) }
	long := strings.Repeat(strings.Repeat("a", 63)+".", 5) + "test" // 5×64+5 bytes: over 255
	cases := []struct {
		name string
		msg  []byte
	}{
		{"empty", nil},
		{"one byte", []byte{0x00}},
		// id 0x1234, flags RD, QDCOUNT 1: cut after six bytes.
		{"truncated header", []byte{0x12, 0x34, 0x01, 0x00, 0x00, 0x01}},
		{"header only, QDCOUNT 1", dnsHeader(0x1234, 0x0100, 1, 0, 0, 0)},
		{"QDCOUNT 0 with a question", cat(dnsHeader(0x1235, 0x0100, 0, 0, 0, 0), dnsName("games.test"), question)},
		{"QDCOUNT 65535, one question", cat(dnsHeader(0x1236, 0x0100, 0xffff, 0, 0, 0), dnsName("games.test"), question)},
		{"counts lie: AN/NS/AR 65535", cat(dnsHeader(0x1237, 0x0100, 1, 0xffff, 0xffff, 0xffff), dnsName("games.test"), question)},
		// Name is a compression pointer to offset 12, i.e. to itself.
		{"compression loop", cat(dnsHeader(0x1238, 0x0100, 1, 0, 0, 0), []byte{0xc0, 0x0c}, question)},
		// Two pointers pointing at each other: 12 → 14 → 12.
		{"compression ping-pong", cat(dnsHeader(0x1239, 0x0100, 1, 0, 0, 0), []byte{0xc0, 0x0e, 0xc0, 0x0c}, question)},
		{"pointer past the end", cat(dnsHeader(0x123a, 0x0100, 1, 0, 0, 0), []byte{0xc0, 0xff}, question)},
		// Label length 63 with only 2 bytes behind it.
		{"label past the end", cat(dnsHeader(0x123b, 0x0100, 1, 0, 0, 0), []byte{0x3f, 'a', 'b'})},
		// 0x80 is a reserved label type.
		{"reserved label type", cat(dnsHeader(0x123c, 0x0100, 1, 0, 0, 0), []byte{0x80, 'a', 0x00}, question)},
		{"name over 255 bytes", cat(dnsHeader(0x123d, 0x0100, 1, 0, 0, 0), dnsName(long), question)},
		{"name without end", cat(dnsHeader(0x123e, 0x0100, 1, 0, 0, 0), []byte{0x05, 'g', 'a', 'm', 'e', 's'})},
		{"question without type", cat(dnsHeader(0x123f, 0x0100, 1, 0, 0, 0), dnsName("games.test"))},
		{"two questions, second cut", cat(dnsHeader(0x1240, 0x0100, 2, 0, 0, 0), dnsName("games.test"), question, []byte{0x04, 'n'})},
		// QR set: a response sent to port 53.
		{"response to port 53", cat(dnsHeader(0x1241, 0x8180, 1, 0, 0, 0), dnsName("games.test"), question)},
		// Opcode 15 (unassigned).
		{"unknown opcode", cat(dnsHeader(0x1242, 0x7900, 1, 0, 0, 0), dnsName("games.test"), question)},
	}
	rng := rand.New(rand.NewPCG(2, 53))
	for i := range 24 {
		n := 1 + rng.IntN(1400)
		b := make([]byte, n)
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		cases = append(cases, struct {
			name string
			msg  []byte
		}{"random " + string(rune('a'+i)), b})
	}
	return cases
}

func testMalformedDNS(t *testing.T, l *lab) {
	a := l.startAgent(t, closedNX)
	before := a.freshStatus()

	queries := malformedQueries()
	for _, dst := range []string{routerV4, routerV6, upstreamV4, upstreamV6} {
		addr := net.JoinHostPort(dst, "53")
		c := dialIn(t, l.ns("a"), "udp", addr)
		for _, q := range queries {
			if _, err := c.Write(q.msg); err != nil {
				t.Errorf("send %q to %s: %v", q.name, addr, err)
			}
		}
		c.Close()
	}
	// Over TCP: a length prefix that lies, a frame of garbage, a header cut short.
	for _, payload := range [][]byte{
		{0xff, 0xff, 0x12, 0x34}, // announces 65535 bytes, sends 2
		{0x00, 0x02, 0xde, 0xad}, // a 2-byte "message"
		append([]byte{0x00, 0x0c}, dnsHeader(1, 0x0100, 0xffff, 0, 0, 0)...), // header, QDCOUNT lies
		{0x00}, // half a length prefix
	} {
		c := dialIn(t, l.ns("a"), "tcp", net.JoinHostPort(routerV4, "53"))
		_, _ = c.Write(payload)
		time.Sleep(50 * time.Millisecond) // let it leave as its own segment before the FIN
		c.Close()
	}

	// Wait for the counters to show the malformed input (bounded), then judge.
	var after status
	waitUntil(5*time.Second, 100*time.Millisecond, func() bool {
		after = a.freshStatus()
		return after.counter(t, "malformed") > before.counter(t, "malformed")
	})
	if !a.alive() {
		t.Fatalf("agent died on malformed DNS (%v); log:\n%s", a.exitError(), a.logTail(40))
	}
	t.Logf("malformed %.0f -> %.0f, packets %.0f -> %.0f", before.counter(t, "malformed"), after.counter(t, "malformed"),
		before.counter(t, "packets"), after.counter(t, "packets"))
	if after.counter(t, "malformed") <= before.counter(t, "malformed") {
		t.Errorf("status malformed counter did not grow (%v -> %v)", before["malformed"], after["malformed"])
	}
	if p := after.counter(t, "panics"); p != 0 {
		t.Errorf("status panics = %.0f, want 0; log:\n%s", p, a.logTail(40))
	}
	runDNSCases(t, l, []dnsCase{
		{name: "a/still_blocked", ns: "a", server: routerV4, qname: "games.test", qtype: "A", wantStatus: "NXDOMAIN"},
		{name: "a/still_answered", ns: "a", server: routerV4, qname: "school.test", qtype: "A", wantStatus: "NOERROR", wantAnswer: upstreamV4},
		{name: "b/still_answered", ns: "b", server: routerV6, qname: "games.test", qtype: "AAAA", wantStatus: "NOERROR", wantAnswer: upstreamV6},
	})
	if !a.alive() {
		t.Fatalf("agent died (%v); log:\n%s", a.exitError(), a.logTail(40))
	}
}
