package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/safeinternet/cpe/nfq/ctmark"
	"github.com/safeinternet/cpe/nfq/firewall"
	"github.com/safeinternet/cpe/nfq/internal/nettest"
	"github.com/safeinternet/cpe/nfq/packet"
)

// flowQueue is the queue number of the flow tests.
const flowQueue = 9

// queuedPacket is what the test handler saw of one queued packet.
type queuedPacket struct {
	proto   packet.Proto
	dport   uint16
	payload int
}

// flowHandler gives the first payload packet of every flow (a TCP segment
// with data, or a UDP datagram) the verdict v, and accepts every other packet
// unmarked. It records what it sees.
type flowHandler struct {
	v    Verdict
	mode atomic.Uint32 // MarkMode, set once Open has probed it

	mu   sync.Mutex // guards seen and the decoder
	pp   packet.Parsed
	seen []queuedPacket
}

func (h *flowHandler) handle(p *Packet) Verdict {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pp.Decode(p.Payload)
	q := queuedPacket{proto: h.pp.IPProto, dport: h.pp.DstPort, payload: h.pp.PayloadLen}
	h.seen = append(h.seen, q)
	if q.payload == 0 && q.proto == packet.TCP {
		return Verdict{Action: Accept} // handshake ACK: wait for data
	}
	v := h.v
	if v.State == ctmark.Block {
		// A handler blocks with Drop + Block in either mode; the queue sends
		// it as Accept + packet mark in MarkPacket mode (see Verdict.State).
		v.Action = Drop
	}
	return v
}

// payloads returns how many queued packets carried a payload.
func (h *flowHandler) payloads() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, q := range h.seen {
		if q.payload > 0 {
			n++
		}
	}
	return n
}

// TestVerdictMarksFlow proves the packet path's mark contract end to end in
// whichever mark mode Open finds: MarkConntrack where the kernel has the
// conntrack glue (scripts/vmtest.sh boots such a kernel), MarkPacket
// elsewhere. The agent's table is installed as the daemon installs it
// (CopyMark only in MarkPacket mode, the queue encoding from Probe), flows get
// foreign ct mark bits before the agent's chains (a stale bit inside the mask
// included), and the handler gives each flow's first payload packet the
// case's verdict. Then:
//   - the flow's ct mark is its foreign bits with exactly the verdict's bits
//     under the mask;
//   - ALLOW: the flow goes on and the kernel accepts its later packets
//     without queueing them;
//   - BLOCK: the judged packet never reaches the server, and the kernel
//     resets the TCP flow. The handler answers Drop + Block; the queue sends
//     it per package firewall's contract: accept with the packet mark in
//     MarkPacket mode (the mark-copy chain stores the mark and rejects the
//     packet), drop with MarkConntrack (the main chain rejects the next
//     packet; an accept would let the judged packet through first).
//
// A QUIC flow blocked on its first datagram keeps no mark in either mode:
// that datagram's conntrack entry is never confirmed (the packet is rejected
// or dropped before), so every datagram of the flow is queued and judged
// anew. With MarkPacket each one is answered by ICMP administratively
// prohibited; with MarkConntrack each one is dropped without an answer.
func TestVerdictMarksFlow(t *testing.T) {
	needLab(t)
	layout, err := ctmark.New(ctmark.DefaultMask)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		network  string
		server   netip.Addr
		port     uint16
		state    ctmark.State
		category uint32
		blocked  error // the error a blocked flow's socket reports
	}{
		{"allow tcp ipv4", "tcp", labServerV4, 80, ctmark.Allow, 5, nil},
		{"allow tcp ipv6", "tcp", labServerV6, 80, ctmark.Allow, 6, nil},
		{"block tcp ipv4", "tcp", labServerV4, 80, ctmark.Block, 3, syscall.ECONNRESET},
		{"block tcp ipv6", "tcp", labServerV6, 80, ctmark.Block, 4, syscall.ECONNRESET},
		{"allow quic ipv4", "udp", labServerV4, 443, ctmark.Allow, 7, nil},
		{"block quic ipv4", "udp", labServerV4, 443, ctmark.Block, 2, syscall.EHOSTUNREACH}, // ICMP type 3 code 13
		{"block quic ipv6", "udp", labServerV6, 443, ctmark.Block, 1, syscall.EACCES},       // ICMPv6 type 1 code 1
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newFlowLab(t)
			h := &flowHandler{v: Verdict{Action: Accept, State: tt.state, Category: tt.category}}
			log := slog.New(slog.NewTextHandler(testLogWriter{t}, nil))

			var set *Set
			var table *firewall.Table
			l.Router.Do(t, func() {
				var err error
				if err = firewall.EnableConntrackAccounting(); err != nil {
					t.Fatal(err)
				}
				set, err = Open(context.Background(), Config{First: flowQueue, Layout: layout, Default: Verdict{Action: Drop}},
					func(uint16) Handler { return h.handle }, log)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { set.Close() })
				enc, err := firewall.Probe(log)
				if err != nil {
					t.Fatal(err)
				}
				table, err = firewall.New(firewall.Config{
					LAN: []string{"lan0"}, Queue: flowQueue, Layout: layout,
					CopyMark: set.Mode() == MarkPacket,
				}, enc, log)
				if err != nil {
					t.Fatal(err)
				}
				if err := table.Install(); err != nil {
					t.Fatal(err)
				}
			})
			h.mode.Store(uint32(set.Mode()))
			t.Logf("mark mode %v, queue encoding %v", set.Mode(), table.Encoding())

			// Foreign ct mark bits, and one stale bit inside the mask, set
			// after conntrack (-200) and before the agent's chains (-5).
			const initial uint32 = 0xc0003f01 // 0x40000000 is inside the mask
			l.Router.NFTScript(t, fmt.Sprintf(`
table inet vmtest {
	chain pre { type filter hook prerouting priority -150; ct state new ct mark set %#x; }
}`, initial))
			srv := l.Server.Echo(t, tt.network, int(tt.port))
			conn := l.Client.Dial(t, tt.network, netip.AddrPortFrom(tt.server, tt.port))

			if tt.blocked == nil {
				for i := range 5 {
					if err := nettest.RoundTrip(conn, "message "+strconv.Itoa(i), nettest.IOTimeout); err != nil {
						t.Fatalf("round trip %d of an allowed flow: %v", i, err)
					}
				}
				if got := h.payloads(); got != 1 {
					t.Errorf("queued payload packets = %d, want 1 (the kernel accepts the flow once it is ALLOW)", got)
				}
			} else {
				want := tt.blocked
				if tt.network == "udp" && set.Mode() == MarkConntrack {
					// Dropped, not rejected: see the test's comment.
					want = os.ErrDeadlineExceeded
				}
				tries, err := blockedRoundTrips(conn)
				if !errors.Is(err, want) {
					t.Fatalf("round trips of a blocked flow: %v, want %v", err, want)
				}
				t.Logf("blocked flow (%v): %v", set.Mode(), err)
				if got := srv.Received(); got != 0 {
					t.Errorf("the server received %d bytes of a blocked flow, want 0", got)
				}
				if tt.network == "udp" {
					// Each datagram is judged anew: the first datagram's
					// conntrack entry is never confirmed, so no BLOCK mark
					// outlives it.
					if got := h.payloads(); got != tries {
						t.Errorf("queued datagrams = %d, want %d (one per try)", got, tries)
					}
					if marks := l.Router.ConntrackMarks(t, "-p", "udp", "--dport", strconv.Itoa(int(tt.port))); len(marks) != 0 {
						t.Errorf("conntrack entries of a blocked first datagram: %#x, want none", marks)
					}
					return
				}
				if got := h.payloads(); got != 1 {
					t.Errorf("queued payload packets = %d, want 1 (the kernel rejects the flow once it is BLOCK)", got)
				}
			}

			want := initial&^layout.Mask() | layout.Value(tt.state, tt.category)
			marks := l.Router.ConntrackMarks(t, "-p", tt.network, "--dport", strconv.Itoa(int(tt.port)))
			if len(marks) != 1 || marks[0] != want {
				t.Fatalf("ct marks = %#x, want [%#x] (foreign bits %#x kept, %v category %d under mask %#x)",
					marks, want, initial&^layout.Mask(), tt.state, tt.category, layout.Mask())
			}
			t.Logf("ct mark %#x: foreign bits %#x kept, %v category %d under mask %#x (%v)",
				marks[0], marks[0]&^layout.Mask(), layout.State(marks[0]), layout.Category(marks[0]), layout.Mask(), set.Mode())
			if set.Stats.Verdicts.Load() == 0 {
				t.Error("no verdict counted")
			}
		})
	}
}

// blockedRoundTrips sends on a blocked flow until the socket reports an
// error other than a timeout (a TCP reset, or the ICMP error a rejected UDP
// datagram brings back on the next call), at most three tries of one second
// each. It returns the tries made and the last error.
func blockedRoundTrips(conn net.Conn) (int, error) {
	var err error
	for i := range 3 {
		if err = nettest.RoundTrip(conn, "blocked "+strconv.Itoa(i), time.Second); err == nil {
			return i + 1, errors.New("a round trip of the blocked flow succeeded")
		}
		if !nettest.IsTimeout(err) {
			return i + 1, err
		}
	}
	return 3, err
}

// testLogWriter forwards log lines to t.Log.
type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
