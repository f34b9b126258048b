package e2e

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/safeinternet/cpe/nfq/quic"
	"github.com/safeinternet/cpe/nfq/quic/quictest"
)

// udpSink counts the datagrams a UDP socket in a lab namespace receives.
type udpSink struct {
	mu   sync.Mutex // guards got
	got  [][]byte
	conn net.PacketConn
}

func (l *lab) listenUDP(t *testing.T, ns, addr string) *udpSink {
	t.Helper()
	s := &udpSink{}
	if err := inNetns(l.ns(ns), func() error {
		var err error
		s.conn, err = net.ListenPacket("udp", addr)
		return err
	}); err != nil {
		t.Fatalf("e2e: listen udp %s in %s: %v", addr, ns, err)
	}
	t.Cleanup(func() { s.conn.Close() })
	go func() {
		buf := make([]byte, 65535)
		for {
			n, _, err := s.conn.ReadFrom(buf)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.got = append(s.got, bytes.Clone(buf[:n]))
			s.mu.Unlock()
		}
	}()
	return s
}

// received reports whether the sink got d.
func (s *udpSink) received(d []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.got {
		if bytes.Equal(g, d) {
			return true
		}
	}
	return false
}

// testQUICBlockPerDevice: client Initials carrying a real QUIC ClientHello (crypto/tls's,
// post-quantum, split across two Initials, v1 and v2) are decrypted by the agent on the
// router: a blocked name's completing Initial never reaches the server and the flow stays
// blocked; an allowed one's flow goes on.
func testQUICBlockPerDevice(t *testing.T, l *lab) {
	a := l.startAgent(t, closedNX)
	sink := l.listenUDP(t, "up", labsrvV4+":443")
	port := 0
	for _, c := range []struct {
		ns, sni string
		version uint32
		blocked bool
	}{
		{"a", "games.test", quic.Version1, true},
		{"a", "www.games.test", quic.Version2, true},
		{"a", "school.test", quic.Version1, false},
		{"a", "school.test", quic.Version2, false},
		{"b", "games.test", quic.Version1, false},
	} {
		port++
		hello, err := quictest.Hello(c.sni)
		if err != nil {
			t.Fatal(err)
		}
		dcid := []byte{0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, byte(port)}
		dgrams, err := quictest.Initials(hello, quictest.Options{Version: c.version, DCID: dcid, Initials: 2, Padding: true})
		if err != nil {
			t.Fatal(err)
		}
		// After the handshake a client sends short-header packets: the flow's verdict
		// decides whether they pass.
		later := append([]byte{0x40}, bytes.Repeat([]byte{byte(port)}, 60)...)
		conn := dialIn(t, l.ns(c.ns), "udp", labsrvV4+":443")
		for _, d := range append(dgrams, later) {
			conn.Write(d)
			time.Sleep(20 * time.Millisecond)
		}
		conn.Close()
		last := dgrams[len(dgrams)-1]
		waitUntil(2*time.Second, 50*time.Millisecond, func() bool { return sink.received(later) })
		if got := sink.received(last); got == c.blocked {
			t.Errorf("%s %s v%#x: completing Initial received = %v, want %v", c.ns, c.sni, c.version, got, !c.blocked)
		}
		if got := sink.received(later); got == c.blocked {
			t.Errorf("%s %s v%#x: later packet received = %v, want %v", c.ns, c.sni, c.version, got, !c.blocked)
		}
	}
	// A second connection on the same socket (the same addresses and ports) after an allowed
	// one: the kernel still queues its Initials, and a blocked name is blocked.
	conn := dialIn(t, l.ns("a"), "udp", labsrvV4+":443")
	for i, sni := range []string{"school.test", "games.test"} {
		hello, err := quictest.Hello(sni)
		if err != nil {
			t.Fatal(err)
		}
		dgrams, err := quictest.Initials(hello, quictest.Options{DCID: []byte{0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, byte(i)}, Initials: 2, Padding: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dgrams {
			conn.Write(d)
			time.Sleep(20 * time.Millisecond)
		}
		last := dgrams[len(dgrams)-1]
		if i == 0 {
			waitUntil(2*time.Second, 50*time.Millisecond, func() bool { return sink.received(last) })
		} else {
			time.Sleep(300 * time.Millisecond) // bounded wait for a datagram that must not arrive
		}
		if got := sink.received(last); got != (i == 0) {
			t.Errorf("same socket, connection %d (%s): completing Initial received = %v", i+1, sni, got)
		}
	}
	conn.Close()
	if st := a.freshStatus(); st.counter(t, "quic_flows") < 5 {
		t.Errorf("quic_flows = %.0f, want 5", st.counter(t, "quic_flows"))
	}
}
