package firewall

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"syscall"
	"testing"
	"time"

	nfqueue "github.com/florianl/go-nfqueue/v2"
	"github.com/safeinternet/cpe/nfq/ctmark"
	"github.com/safeinternet/cpe/nfq/internal/nettest"
	"golang.org/x/sys/unix"
)

// testQueue is the queue number the traffic tests use.
const testQueue = 7

// families are the server addresses the traffic tests run against.
var families = []struct {
	name   string
	server netip.Addr
}{
	{"ipv4", serverV4},
	{"ipv6", serverV6},
}

// TestFailOpen: with the bypass flag and nothing listening on the queue,
// queued packets (DNS, first TCP payload packets, QUIC) still pass.
func TestFailOpen(t *testing.T) {
	for _, fam := range families {
		t.Run(fam.name, func(t *testing.T) {
			l := newLab(t)
			l.table(t, Config{Queue: testQueue, FailOpen: true})
			l.Server.Echo(t, "udp", 53)
			l.Server.Echo(t, "udp", 443)
			l.Server.Echo(t, "tcp", 80)
			l.Server.Echo(t, "tcp", 53)
			for _, c := range []struct {
				network string
				port    uint16
			}{{"udp", 53}, {"udp", 443}, {"tcp", 80}, {"tcp", 53}} {
				conn := l.Client.Dial(t, c.network, netip.AddrPortFrom(fam.server, c.port))
				if err := nettest.RoundTrip(conn, "fail open", nettest.IOTimeout); err != nil {
					t.Errorf("%s/%d: %v", c.network, c.port, err)
				}
			}
		})
	}
}

// TestFailClosed: without the bypass flag and with nothing listening,
// queued packets are dropped; once a reader accepts them they pass.
func TestFailClosed(t *testing.T) {
	l := newLab(t)
	l.table(t, Config{Queue: testQueue})
	l.Server.Echo(t, "udp", 53)
	conn := l.Client.Dial(t, "udp", netip.AddrPortFrom(serverV4, 53))
	conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("dropped")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if n, err := conn.Read(buf); !nettest.IsTimeout(err) {
		t.Fatalf("read with no queue reader = %q, %v; want a timeout (packet dropped)", buf[:n], err)
	}

	r := l.startReader(t, testQueue, acceptAll)
	if err := nettest.RoundTrip(conn, "accepted", nettest.IOTimeout); err != nil {
		t.Fatalf("with a reader: %v", err)
	}
	if got := r.count(func(p queued) bool { return p.dport == 53 }); got != 1 {
		t.Errorf("reader saw %d DNS packets, want 1", got)
	}
}

// TestMarkCopy: the reader accepts the first TCP payload packet with the
// verdict in the packet mark; the mark-copy chain (a later hook entry, which
// the reinjected packet reaches) copies exactly the mask bits into the ct
// mark, keeps every other ct mark bit, and clears them from the packet mark.
// Later packets of the flow are then accepted by the kernel without queueing.
func TestMarkCopy(t *testing.T) {
	for _, fam := range families {
		t.Run(fam.name, func(t *testing.T) {
			l := newLab(t)
			layout := testLayout(t)
			verdict := layout.Value(ctmark.Allow, 5)
			r := l.startReader(t, testQueue, func(p queued) (int, *uint32) {
				if p.proto == unix.IPPROTO_TCP && p.payload > 0 {
					return nfqueue.NfAccept, &verdict
				}
				return nfqueue.NfAccept, nil
			})
			l.table(t, Config{Queue: testQueue, CopyMark: true})
			// Foreign ct mark bits (and one stale bit inside the mask) set
			// before our chains (after conntrack, -200); a witness chain after ours counts packets
			// whose packet mark still carries verdict bits and packets whose
			// ct mark holds the copied verdict.
			const initial uint32 = 0xc0003f01 // 0x40000000 is inside the mask
			want := initial&^layout.Mask() | verdict
			l.Router.NFTScript(t, fmt.Sprintf(`
table inet fwtest {
	chain pre { type filter hook prerouting priority -150; ct state new ct mark set %#x; }
	chain witness {
		type filter hook forward priority 10;
		iifname "lan0" meta mark & %#x != 0 counter comment "stale"
		iifname "lan0" ct mark %#x counter comment "copied"
	}
}`, initial, layout.Mask(), want))
			l.Server.Echo(t, "tcp", 80)
			conn := l.Client.Dial(t, "tcp", netip.AddrPortFrom(fam.server, 80))
			for i := range 5 {
				if err := nettest.RoundTrip(conn, "message "+strconv.Itoa(i), nettest.IOTimeout); err != nil {
					t.Fatal(err)
				}
			}
			if got := r.count(func(p queued) bool { return p.dport == 80 && p.payload > 0 }); got != 1 {
				t.Errorf("queued payload packets = %d, want 1 (the flow is ALLOW after the first)", got)
			}
			marks := l.Router.ConntrackMarks(t, "-p", "tcp", "--dport", "80")
			if len(marks) != 1 || marks[0] != want {
				t.Errorf("ct marks = %#x, want [%#x]", marks, want)
			}
			if got := counter(t, l.Router, "fwtest", "stale"); got != 0 {
				t.Errorf("%d packets left our chains with verdict bits in the packet mark", got)
			}
			if got := counter(t, l.Router, "fwtest", "copied"); got == 0 {
				t.Error("no packet passed the witness chain with the copied ct mark")
			}
		})
	}
}

// TestQUICInitialOfAllowedFlow: once a UDP/443 flow is ALLOW, its packets
// leave the queue — except QUIC long-header Initials (first byte 0xc0–0xdf),
// which may start a new connection on the same addresses and ports.
func TestQUICInitialOfAllowedFlow(t *testing.T) {
	l := newLab(t)
	layout := testLayout(t)
	verdict := layout.Value(ctmark.Allow, 0)
	r := l.startReader(t, testQueue, func(p queued) (int, *uint32) {
		return nfqueue.NfAccept, &verdict
	})
	l.table(t, Config{Queue: testQueue, CopyMark: true, Guard: 64})
	l.Server.Echo(t, "udp", 443)
	conn := l.Client.Dial(t, "udp", netip.AddrPortFrom(serverV4, 443))
	for _, msg := range []string{"\xc3first", "\x43short", "\xc3initial v1", "\xd3initial v2", "\xe3handshake", "\x43short again"} {
		if err := nettest.RoundTrip(conn, msg, nettest.IOTimeout); err != nil {
			t.Fatalf("%q: %v", msg, err)
		}
	}
	eventually(t, "the Initials queued", func() bool {
		return r.count(func(p queued) bool { return p.dport == 443 }) >= 3
	})
	var firsts []byte
	for _, p := range r.packets() {
		if p.dport == 443 {
			firsts = append(firsts, p.first)
		}
	}
	if want := []byte{0xc3, 0xc3, 0xd3}; string(firsts) != string(want) {
		t.Errorf("queued first bytes %x, want %x (the first datagram, then only long-header Initials)", firsts, want)
	}
}

// TestBlockVerdictResets: a BLOCK verdict given as accept + packet mark is
// stored in the ct mark and the packet is answered with a TCP reset.
func TestBlockVerdictResets(t *testing.T) {
	for _, fam := range families {
		t.Run(fam.name, func(t *testing.T) {
			l := newLab(t)
			layout := testLayout(t)
			block := layout.Value(ctmark.Block, 3)
			r := l.startReader(t, testQueue, func(p queued) (int, *uint32) {
				if p.proto == unix.IPPROTO_TCP && p.payload > 0 {
					return nfqueue.NfAccept, &block
				}
				return nfqueue.NfAccept, nil
			})
			l.table(t, Config{Queue: testQueue, CopyMark: true})
			l.Server.Echo(t, "tcp", 80)
			conn := l.Client.Dial(t, "tcp", netip.AddrPortFrom(fam.server, 80))
			if err := nettest.RoundTrip(conn, "GET / HTTP/1.0\r\n\r\n", nettest.IOTimeout); !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("round trip of a blocked flow: %v, want ECONNRESET", err)
			}
			marks := l.Router.ConntrackMarks(t, "-p", "tcp", "--dport", "80")
			if len(marks) != 1 || layout.State(marks[0]) != ctmark.Block || layout.Category(marks[0]) != 3 {
				t.Errorf("ct marks = %#x, want one flow in state block, category 3", marks)
			}
			if got := r.count(func(p queued) bool { return p.payload > 0 }); got != 1 {
				t.Errorf("queued payload packets = %d, want 1", got)
			}
		})
	}
}

// TestBlockedFlowRejected: once the ct mark says BLOCK, the main chain
// rejects the flow's next packet in the kernel: TCP reset, or ICMP
// administratively prohibited for UDP.
func TestBlockedFlowRejected(t *testing.T) {
	tests := []struct {
		name    string
		network string
		server  netip.Addr
		want    error
	}{
		{"tcp ipv4", "tcp", serverV4, syscall.ECONNRESET},
		{"tcp ipv6", "tcp", serverV6, syscall.ECONNRESET},
		{"udp ipv4", "udp", serverV4, syscall.EHOSTUNREACH}, // ICMP type 3 code 13
		{"udp ipv6", "udp", serverV6, syscall.EACCES},       // ICMPv6 type 1 code 1
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLab(t)
			layout := testLayout(t)
			l.table(t, Config{Queue: testQueue, FailOpen: true}) // no reader: bypass
			const port = 8080                                    // neither DNS nor QUIC
			if tt.network == "tcp" {
				l.Server.Echo(t, "tcp", port)
			} else {
				l.Server.Echo(t, "udp", port)
			}
			conn := l.Client.Dial(t, tt.network, netip.AddrPortFrom(tt.server, port))
			if err := nettest.RoundTrip(conn, "before", nettest.IOTimeout); err != nil {
				t.Fatal(err)
			}
			// Mark the flow BLOCK from a test table that runs before ours
			// (conntrack -U cannot change the mark here: EOPNOTSUPP); priority
			// -150 is after conntrack (-200).
			l.Router.NFTScript(t, fmt.Sprintf(`
table inet fwtest {
	chain pre { type filter hook prerouting priority -150; iifname "lan0" meta l4proto %s th dport %d ct mark set %#x; }
}`, tt.network, port, layout.Value(ctmark.Block, 0)))
			err := nettest.RoundTrip(conn, "after", nettest.IOTimeout)
			if tt.network == "udp" && err == nil {
				t.Fatal("blocked UDP flow still echoed")
			}
			if tt.network == "udp" && !errors.Is(err, tt.want) {
				// The ICMP error is reported on the next socket call.
				err = nettest.RoundTrip(conn, "again", nettest.IOTimeout)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("round trip of a blocked flow: %v, want %v", err, tt.want)
			}
		})
	}
}

// TestGuard: DNS is always queued; TCP and UDP/443 only up to the guard
// (original-direction packets, the SYN never); other UDP never; with more
// than one queue, packets still reach a reader.
func TestGuard(t *testing.T) {
	const guard, trips = 4, 10
	l := newLab(t)
	r := l.startReader(t, testQueue, acceptAll)
	r2 := l.startReader(t, testQueue+1, acceptAll)
	// Fail-open: a reader that never marks leaves flows unjudged, which
	// fail-closed resets past the guard (TestFailClosedResetsUnjudged).
	l.table(t, Config{Queue: testQueue, QueueCount: 2, Guard: guard, FailOpen: true})
	for _, port := range []int{53, 443, 5353} {
		l.Server.Echo(t, "udp", port)
	}
	l.Server.Echo(t, "tcp", 80)
	for _, c := range []struct {
		network string
		port    uint16
	}{{"udp", 53}, {"udp", 443}, {"udp", 5353}, {"tcp", 80}} {
		conn := l.Client.Dial(t, c.network, netip.AddrPortFrom(serverV4, c.port))
		for i := range trips {
			if err := nettest.RoundTrip(conn, "trip "+strconv.Itoa(i), nettest.IOTimeout); err != nil {
				t.Fatalf("%s/%d: %v", c.network, c.port, err)
			}
		}
	}
	count := func(proto byte, port uint16) int {
		f := func(p queued) bool { return p.proto == proto && p.dport == port }
		return r.count(f) + r2.count(f)
	}
	for _, c := range []struct {
		name  string
		proto byte
		port  uint16
		want  int
	}{
		{"dns: every packet", unix.IPPROTO_UDP, 53, trips},
		{"quic: first guard packets", unix.IPPROTO_UDP, 443, guard},
		{"tcp: packets 1..guard, the SYN too", unix.IPPROTO_TCP, 80, guard},
		{"other udp: none", unix.IPPROTO_UDP, 5353, 0},
	} {
		// A payload-less ACK does not hold up the round trips: it may
		// still be on its way to the reader when they end.
		eventually(t, c.name, func() bool { return count(c.proto, c.port) >= c.want })
		if got := count(c.proto, c.port); got != c.want {
			t.Errorf("%s: queued %d, want %d", c.name, got, c.want)
		}
	}
}

// TestInputQueuesOnlyDNS: packets from the LAN to the router itself are
// queued only when they are DNS (UDP and TCP, the handshake included).
func TestInputQueuesOnlyDNS(t *testing.T) {
	l := newLab(t)
	r := l.startReader(t, testQueue, acceptAll)
	l.table(t, Config{Queue: testQueue})
	l.Router.Echo(t, "udp", 53)
	l.Router.Echo(t, "tcp", 53)
	l.Router.Echo(t, "tcp", 22)
	l.Router.Echo(t, "udp", 443)
	for _, c := range []struct {
		network string
		port    uint16
	}{{"udp", 53}, {"tcp", 53}, {"tcp", 22}, {"udp", 443}} {
		conn := l.Client.Dial(t, c.network, netip.AddrPortFrom(routerV4, c.port))
		if err := nettest.RoundTrip(conn, "to the router", nettest.IOTimeout); err != nil {
			t.Fatalf("%s/%d: %v", c.network, c.port, err)
		}
	}
	if got := r.count(func(p queued) bool { return p.proto == unix.IPPROTO_UDP && p.dport == 53 }); got != 1 {
		t.Errorf("udp dns queued %d, want 1", got)
	}
	if got := r.count(func(p queued) bool { return p.proto == unix.IPPROTO_TCP && p.dport == 53 && p.payload == 0 }); got < 2 {
		t.Errorf("tcp dns handshake packets queued %d, want SYN and ACK at least", got)
	}
	if got := r.count(func(p queued) bool { return p.dport == 22 || p.dport == 443 }); got != 0 {
		t.Errorf("non-DNS packets to the router queued: %d", got)
	}
}

// TestAnswersQueued: with Answers, DNS answers on their way to the LAN are
// queued too — the router's own (output chain) and routed ones (forward
// chain) — and other traffic towards the LAN is not.
func TestAnswersQueued(t *testing.T) {
	for _, answers := range []bool{false, true} {
		t.Run(map[bool]string{false: "without", true: "with"}[answers], func(t *testing.T) {
			l := newLab(t)
			r := l.startReader(t, testQueue, acceptAll)
			l.table(t, Config{Queue: testQueue, Answers: answers})
			l.Router.Echo(t, "udp", 53)
			l.Server.Echo(t, "udp", 53)
			l.Server.Echo(t, "tcp", 53)
			l.Server.Echo(t, "udp", 5353)
			for _, to := range []netip.AddrPort{
				netip.AddrPortFrom(routerV4, 53),
				netip.AddrPortFrom(serverV4, 53),
				netip.AddrPortFrom(serverV4, 5353),
			} {
				conn := l.Client.Dial(t, "udp", to)
				if err := nettest.RoundTrip(conn, "question", nettest.IOTimeout); err != nil {
					t.Fatalf("%v: %v", to, err)
				}
			}
			conn := l.Client.Dial(t, "tcp", netip.AddrPortFrom(serverV4, 53))
			if err := nettest.RoundTrip(conn, "question", nettest.IOTimeout); err != nil {
				t.Fatal(err)
			}
			want := map[bool]int{false: 0, true: 2}[answers]
			if got := r.count(func(p queued) bool { return p.proto == unix.IPPROTO_UDP && p.sport == 53 }); got != want {
				t.Errorf("udp answers queued %d, want %d", got, want)
			}
			if got := r.count(func(p queued) bool { return p.proto == unix.IPPROTO_TCP && p.sport == 53 && p.payload > 0 }); got != want/2 {
				t.Errorf("tcp answers with data queued %d, want %d", got, want/2)
			}
			if got := r.count(func(p queued) bool { return p.sport == 5353 }); got != 0 {
				t.Errorf("other answers queued: %d", got)
			}
		})
	}
}

// TestFailClosedResetsUnjudged: fail-closed, a flow that passes its guard
// without a verdict (the agent was down, or never marked it) is reset for TCP
// and rejected for QUIC, instead of going on uninspected; fail-open lets it
// go on.
func TestFailClosedResetsUnjudged(t *testing.T) {
	const guard = 3
	for _, failOpen := range []bool{false, true} {
		t.Run(map[bool]string{false: "fail-closed", true: "fail-open"}[failOpen], func(t *testing.T) {
			l := newLab(t)
			l.startReader(t, testQueue, acceptAll)
			l.table(t, Config{Queue: testQueue, Guard: guard, FailOpen: failOpen})
			l.Server.Echo(t, "tcp", 80)
			l.Server.Echo(t, "udp", 443)
			for _, network := range []string{"tcp", "udp"} {
				port := map[string]uint16{"tcp": 80, "udp": 443}[network]
				conn := l.Client.Dial(t, network, netip.AddrPortFrom(serverV4, port))
				var err error
				for i := range 2 * guard {
					if err = nettest.RoundTrip(conn, "trip "+strconv.Itoa(i), nettest.IOTimeout); err != nil {
						break
					}
				}
				if failOpen && err != nil {
					t.Errorf("%s: %v; fail-open must let unjudged flows go on", network, err)
				}
				if !failOpen && (err == nil || nettest.IsTimeout(err)) {
					t.Errorf("%s: %v; want the flow reset or rejected past the guard", network, err)
				}
			}
		})
	}
}
