package judge

import (
	"bytes"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/safeinternet/cpe/agent/config"
	"github.com/safeinternet/cpe/agent/policy"
	"github.com/safeinternet/cpe/nfq/ctmark"
	"github.com/safeinternet/cpe/nfq/dns"
	"github.com/safeinternet/cpe/nfq/queue"
	"github.com/safeinternet/cpe/nfq/reading"
)

// flowConfig has a restricted child (device A) and an unrestricted adult
// (device B), both with games.test blocked.
const flowConfig = `
config agent 'main'
	list lan 'br-lan'

config profile 'child'
	option restricted '1'
	option youtube 'moderate'

config profile 'adult'
	option restricted '0'

config device 'a'
	option mac '02:00:00:00:00:0a'
	option profile 'child'
	list block 'games.test'

config device 'b'
	option mac '02:00:00:00:00:0b'
	option profile 'adult'
	list block 'games.test'
`

func newFlowHandler(t testing.TB) (*handler, *fakeSender) {
	t.Helper()
	h, f := newTestHandler(t, dns.NXDomain)
	cfg, err := config.LoadBytes("flow", []byte(flowConfig))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := policy.Compile(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var rp atomic.Pointer[Rules]
	rp.Store(&Rules{Snap: snap, BlockMode: dns.NXDomain, TTL: 60, Fallback: queue.Verdict{Action: queue.Drop}, Guard: 8})
	h.rules = &rp
	return h, f
}

// goHello returns the ClientHello record(s) Go's crypto/tls client sends for
// serverName ("" sends none), with its default post-quantum key share.
func goHello(t testing.TB, serverName string) []byte {
	t.Helper()
	c, s := net.Pipe()
	defer s.Close()
	cfg := &tls.Config{ServerName: serverName, InsecureSkipVerify: serverName == ""}
	go func() {
		tc := tls.Client(c, cfg)
		tc.SetDeadline(time.Now().Add(5 * time.Second))
		tc.Handshake() // fails when s closes
		c.Close()
	}()
	s.SetDeadline(time.Now().Add(5 * time.Second))
	var out []byte
	buf := make([]byte, 4096)
	for {
		// The record header says how much of the hello is left.
		n, err := s.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			t.Fatalf("reading the client's hello: %v", err)
		}
		if len(out) >= 5 && len(out) >= 5+int(out[3])<<8|int(out[4]) {
			return out
		}
	}
}

// tcpFlow builds the packets of one client flow.
type tcpSeg struct {
	t          testing.TB
	src, dst   string
	sport      uint16
	dport      uint16
	isn        uint32
	serverNext uint32
}

func (f tcpSeg) syn(payload []byte) []byte {
	return ipPacket(f.t, f.src, f.dst, &layers.TCP{SrcPort: layers.TCPPort(f.sport), DstPort: layers.TCPPort(f.dport), SYN: true, Seq: f.isn, Window: 64240}, payload)
}

// at builds a segment whose payload starts at stream offset off.
func (f tcpSeg) at(off int, payload []byte) []byte {
	return ipPacket(f.t, f.src, f.dst, &layers.TCP{SrcPort: layers.TCPPort(f.sport), DstPort: layers.TCPPort(f.dport),
		ACK: true, PSH: len(payload) > 0, Seq: f.isn + 1 + uint32(off), Ack: f.serverNext, Window: 502}, payload)
}

// ack builds a payload-less ACK acknowledging server bytes up to ack.
func (f tcpSeg) ack(ack uint32) []byte {
	return ipPacket(f.t, f.src, f.dst, &layers.TCP{SrcPort: layers.TCPPort(f.sport), DstPort: layers.TCPPort(f.dport),
		ACK: true, Seq: f.isn + 1, Ack: ack, Window: 502}, nil)
}

func newSeg(t testing.TB, port uint16) tcpSeg {
	return tcpSeg{t: t, src: "192.168.50.10", dst: "10.99.0.2", sport: 40000, dport: port, isn: 0xfffffe00, serverNext: 7000}
}

// split cuts b into pieces of at most n bytes.
func split(b []byte, n int) [][]byte {
	var out [][]byte
	for len(b) > n {
		out = append(out, b[:n])
		b = b[n:]
	}
	return append(out, b)
}

func pkt(b []byte, mac [6]byte) *queue.Packet {
	return &queue.Packet{Payload: b, HwAddr: mac, HasHwAddr: true, InIndex: 3}
}

var (
	accepted = queue.Verdict{Action: queue.Accept}
	allowed  = queue.Verdict{Action: queue.Accept, State: ctmark.Allow}
	blocked  = queue.Verdict{Action: queue.Drop, State: ctmark.Block}
)

func same(a, b queue.Verdict) bool {
	return a.Action == b.Action && a.State == b.State && (a.Payload == nil) == (b.Payload == nil)
}

// sentRST reports whether the handler sent the device one TCP reset.
func sentRST(t *testing.T, f *fakeSender) bool {
	t.Helper()
	for _, s := range f.got {
		p := gopacket.NewPacket(s.pkt, map[bool]gopacket.LayerType{true: layers.LayerTypeIPv6, false: layers.LayerTypeIPv4}[s.pkt[0]>>4 == 6], gopacket.Default)
		if tc, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP); ok && tc.RST {
			return true
		}
	}
	return false
}

// TestTLSNameAcrossSegments: the ClientHello of Go's TLS client (post-quantum,
// several segments at small MSS) is read across segments; earlier segments
// pass unmarked, the completing one gets the verdict, and a blocked flow's
// client gets a reset at once.
func TestTLSNameAcrossSegments(t *testing.T) {
	for _, c := range []struct {
		name   string
		mac    [6]byte
		sni    string
		mss    int
		want   queue.Verdict
		reason string
	}{
		{"allowed, MSS 1460", macA, "school.test", 1460, allowed, ""},
		{"blocked, MSS 1460", macA, "www.games.test", 1460, blocked, ""},
		{"blocked, MSS 536", macA, "www.games.test", 536, blocked, ""},
		{"blocked, 400-byte segments", macA, "games.test", 400, blocked, ""},
		{"adult blocked too", macB, "games.test", 536, blocked, ""},
		{"upper case and trailing dot", macA, "WWW.GAMES.TEST.", 536, blocked, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, f := newFlowHandler(t)
			hello := goHello(t, c.sni)
			if len(hello) < 1500 {
				t.Fatalf("ClientHello %d bytes: expected a post-quantum one", len(hello))
			}
			fl := newSeg(t, 443)
			if v := h.handle(pkt(fl.syn(nil), c.mac)); !same(v, accepted) {
				t.Fatalf("SYN: %+v", v)
			}
			if v := h.handle(pkt(fl.ack(fl.serverNext), c.mac)); !same(v, accepted) {
				t.Fatalf("ACK: %+v", v)
			}
			segs := split(hello, c.mss)
			off := 0
			for i, s := range segs {
				v := h.handle(pkt(fl.at(off, s), c.mac))
				off += len(s)
				want := accepted
				if i == len(segs)-1 {
					want = c.want
				}
				if !same(v, want) {
					t.Fatalf("segment %d/%d: %+v, want %+v", i+1, len(segs), v, want)
				}
			}
			if got := sentRST(t, f); got != (c.want.State == ctmark.Block) {
				t.Errorf("reset sent = %v", got)
			}
			if len(h.tcpFlows.m) != 0 || h.tcpFlows.inUse != 0 {
				t.Errorf("flow state left: %d flows, %d buffers", len(h.tcpFlows.m), h.tcpFlows.inUse)
			}
		})
	}
}

// TestTLSEvasions: tricks that try to show the filter another name than
// the server sees, or none, end blocked for a restricted device.
func TestTLSEvasions(t *testing.T) {
	bad := goHello(t, "games.test")
	good := goHello(t, "school.test")
	type step struct {
		off     int
		data    []byte
		badCsum bool
		syn     bool
		port    uint16 // 443 when 0
	}
	segs := split(bad, 600)
	tests := []struct {
		name  string
		mac   [6]byte
		steps []step
		want  queue.Verdict // of the last step
	}{
		{"reversed segments", macA, []step{{off: 1200, data: segs[2]}, {off: 600, data: segs[1]}, {off: 0, data: segs[0]}}, blocked},
		{"overlap with different bytes", macA, []step{{off: 0, data: segs[0]}, {off: 300, data: good[300:900]}}, blocked},
		{"overlap with different bytes, adult: not read, allowed", macB, []step{{off: 0, data: segs[0]}, {off: 300, data: good[300:900]}}, allowed},
		{"fake allowed hello with a bad checksum first", macA, []step{{off: 0, data: good, badCsum: true}, {off: 0, data: bad}}, blocked},
		{"two ClientHellos in a row", macA, []step{{off: 0, data: append(append([]byte{}, good...), bad...)}}, blocked},
		{"hello in the SYN (TCP Fast Open)", macA, []step{{syn: true, data: bad}}, blocked},
		{"TLS record split at 1 byte", macA, []step{{off: 0, data: recordSplit(bad, 1)}}, blocked},
		{"not TLS on port 443", macA, []step{{off: 0, data: []byte("SSH-2.0-OpenSSH_9.2\r\n")}}, blocked},
		{"not TLS on port 443, adult", macB, []step{{off: 0, data: []byte("SSH-2.0-OpenSSH_9.2\r\n")}}, allowed},
		{"HTTP/2 prior knowledge on port 80", macA, []step{{off: 0, data: []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), port: 80}}, blocked},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := newFlowHandler(t)
			fl := newSeg(t, 443)
			if p := tc.steps[0].port; p != 0 {
				fl.dport = p
			}
			if !tc.steps[0].syn {
				h.handle(pkt(fl.syn(nil), tc.mac))
			}
			var v queue.Verdict
			for _, s := range tc.steps {
				var b []byte
				if s.syn {
					b = fl.syn(s.data)
				} else {
					b = fl.at(s.off, s.data)
				}
				if s.badCsum {
					b[len(b)-1] ^= 0xff
				}
				v = h.handle(pkt(b, tc.mac))
			}
			if !same(v, tc.want) {
				t.Errorf("verdict %+v, want %+v", v, tc.want)
			}
		})
	}
}

// recordSplit re-frames a ClientHello record into records whose first one
// carries only n bytes of the handshake message.
func recordSplit(rec []byte, n int) []byte {
	body := rec[5:]
	frame := func(b []byte) []byte { return append([]byte{0x16, 3, 1, byte(len(b) >> 8), byte(len(b))}, b...) }
	return append(frame(body[:n]), frame(body[n:])...)
}

// TestTLSBounds: a ClientHello that never completes is judged when the
// segment bound is reached: blocked for a restricted device.
func TestTLSBounds(t *testing.T) {
	h, _ := newFlowHandler(t)
	hello := goHello(t, "school.test")
	fl := newSeg(t, 443)
	h.handle(pkt(fl.syn(nil), macA))
	var v queue.Verdict
	// Skip the first byte: the stream never becomes contiguous.
	bound := reading.SegmentBound(h.rules.Load().Guard)
	for i := range bound {
		v = h.handle(pkt(fl.at(1+i, hello[1+i:2+i]), macA))
		if i < bound-1 && !same(v, accepted) {
			t.Fatalf("segment %d: %+v", i, v)
		}
	}
	if !same(v, blocked) {
		t.Errorf("at the bound: %+v, want blocked", v)
	}
	if h.counters.Unreadable.Load() != 1 {
		t.Errorf("unreadable = %d", h.counters.Unreadable.Load())
	}
}

// TestTLSNoSYN: a flow whose SYN the agent did not see is read from the one
// segment it has.
func TestTLSNoSYN(t *testing.T) {
	h, _ := newFlowHandler(t)
	fl := newSeg(t, 443)
	if v := h.handle(pkt(fl.at(0, goHello(t, "games.test")), macA)); !same(v, blocked) {
		t.Errorf("whole hello without SYN: %+v, want blocked", v)
	}
	fl.sport++
	if v := h.handle(pkt(fl.at(0, goHello(t, "school.test")[:200]), macA)); !same(v, blocked) {
		t.Errorf("part of a hello without SYN, restricted: %+v, want blocked (unreadable)", v)
	}
	fl.src, fl.sport = "192.168.50.11", fl.sport+1
	if v := h.handle(pkt(fl.at(0, goHello(t, "school.test")[:200]), macB)); !same(v, allowed) {
		t.Errorf("part of a hello without SYN, adult: %+v, want allowed", v)
	}
}

// TestServerFirstFlow: a flow where the server speaks first is judged
// without a name once the client has acknowledged server data for half the
// guard; empty ACKs that acknowledge nothing new buy nothing.
func TestServerFirstFlow(t *testing.T) {
	h, _ := newFlowHandler(t) // guard 8: 3 acknowledgements of new data
	fl := newSeg(t, 25)
	h.handle(pkt(fl.syn(nil), macA))
	for i := range 6 {
		if v := h.handle(pkt(fl.ack(fl.serverNext), macA)); !same(v, accepted) {
			t.Fatalf("repeated ACK %d: %+v", i, v)
		}
	}
	var v queue.Verdict
	for i := 1; i <= 3; i++ {
		v = h.handle(pkt(fl.ack(fl.serverNext+uint32(100*i)), macA))
	}
	if !same(v, allowed) {
		t.Errorf("after server data: %+v, want allowed", v)
	}
	if h.counters.QuietFlows.Load() != 1 {
		t.Errorf("quiet flows = %d", h.counters.QuietFlows.Load())
	}
}

// TestHTTPHost: plain HTTP is judged by its Host header; a blocked request
// is answered with a short page and the flow blocked.
func TestHTTPHost(t *testing.T) {
	for _, c := range []struct {
		name string
		req  string
		want queue.Verdict
	}{
		{"allowed", "GET / HTTP/1.1\r\nHost: school.test\r\nUser-Agent: t\r\n\r\n", allowed},
		{"blocked", "GET /x HTTP/1.1\r\nUser-Agent: t\r\nHost: WWW.Games.Test:8080\r\n\r\n", blocked},
		{"two hosts", "GET / HTTP/1.1\r\nHost: school.test\r\nHost: games.test\r\n\r\n", blocked},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, f := newFlowHandler(t)
			fl := newSeg(t, 80)
			h.handle(pkt(fl.syn(nil), macA))
			half := len(c.req) / 2
			if v := h.handle(pkt(fl.at(0, []byte(c.req[:half])), macA)); !same(v, accepted) {
				t.Fatalf("first half: %+v", v)
			}
			v := h.handle(pkt(fl.at(half, []byte(c.req[half:])), macA))
			if !same(v, c.want) {
				t.Fatalf("verdict %+v, want %+v", v, c.want)
			}
			if c.want.State != ctmark.Block {
				return
			}
			if len(f.got) != 1 {
				t.Fatalf("%d packets sent, want the block answer", len(f.got))
			}
			p := gopacket.NewPacket(f.got[0].pkt, layers.LayerTypeIPv4, gopacket.Default)
			tc := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
			if c.name == "blocked" && (!tc.FIN || !bytes.HasPrefix(tc.Payload, []byte("HTTP/1.1 403 Forbidden\r\n")) ||
				!bytes.HasSuffix(tc.Payload, []byte("Blocked by Safe Internet: www.games.test\n"))) {
				t.Errorf("block answer %+v %q", tc.FIN, tc.Payload)
			}
		})
	}
}

// TestNoSNIUsesLearnedName: a ClientHello without SNI is judged by the name
// the device resolved the server's address from.
func TestNoSNIUsesLearnedName(t *testing.T) {
	h, _ := newFlowHandler(t)
	answer := dnsAnswerPacket(t, "192.168.50.1", "192.168.50.10", "games.test.", "10.99.0.2")
	if v := h.handle(pkt(answer, [6]byte{})); !same(v, accepted) {
		t.Fatalf("answer: %+v", v)
	}
	fl := newSeg(t, 443)
	h.handle(pkt(fl.syn(nil), macA))
	if v := h.handle(pkt(fl.at(0, goHello(t, "")), macA)); !same(v, blocked) {
		t.Errorf("no SNI to a blocked name's address: %+v, want blocked", v)
	}
	fl.dst = "10.99.0.3"
	h.handle(pkt(fl.syn(nil), macA))
	if v := h.handle(pkt(fl.at(0, goHello(t, "")), macA)); !same(v, allowed) {
		t.Errorf("no SNI to an unknown address: %+v, want allowed", v)
	}
}

// dnsAnswerPacket is a UDP answer from server to device: name A addr.
func dnsAnswerPacket(t testing.TB, server, device, name, addr string) []byte {
	t.Helper()
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: 0x1234, Response: true, RecursionDesired: true, RecursionAvailable: true})
	b.StartQuestions()
	n := dnsmessage.MustNewName(name)
	b.Question(dnsmessage.Question{Name: n, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET})
	b.StartAnswers()
	b.AResource(dnsmessage.ResourceHeader{Name: n, Class: dnsmessage.ClassINET, TTL: 300}, dnsmessage.AResource{A: netip.MustParseAddr(addr).As4()})
	msg, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return ipPacket(t, server, device, &layers.UDP{SrcPort: 53, DstPort: 40000}, msg)
}

func TestFlowTablesAreCapped(t *testing.T) {
	h, _ := newFlowHandler(t)
	h.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	fl := newSeg(t, 443)
	for i := range maxTCPFlows + 100 {
		fl.sport = uint16(1000 + i)
		h.handle(pkt(fl.syn(nil), macA))
	}
	if len(h.tcpFlows.m) > maxTCPFlows {
		t.Errorf("%d TCP flows tracked, cap %d", len(h.tcpFlows.m), maxTCPFlows)
	}
	hello := goHello(t, "school.test")
	for i := range maxBuffers + 10 {
		fl.sport = uint16(1000 + i)
		h.handle(pkt(fl.syn(nil), macB))
		h.handle(pkt(fl.at(0, hello[:100]), macB))
	}
	if h.tcpFlows.inUse > maxBuffers {
		t.Errorf("%d buffers in use, cap %d", h.tcpFlows.inUse, maxBuffers)
	}
	if h.counters.NoBuffer.Load() == 0 {
		t.Error("no flow was refused a buffer")
	}
}

// BenchmarkTLSFlow reports the agent's cost of one TLS flow's first packets
// (SYN, then Go's post-quantum ClientHello in one segment or in two at MSS
// 1460): reassembly, ClientHello extraction, decision, verdict.
func BenchmarkTLSFlow(b *testing.B) {
	for _, c := range []struct {
		name string
		sni  string
		mss  int
	}{
		{"allowed-1-segment", "www.school.test", 4000},
		{"allowed-2-segments", "www.school.test", 1460},
		{"blocked-2-segments", "www.games.test", 1460},
	} {
		b.Run(c.name, func(b *testing.B) {
			h, _ := newFlowHandler(b)
			h.send = discard{}
			fl := newSeg(b, 443)
			syn := pkt(fl.syn(nil), macA)
			var segs []*queue.Packet
			off := 0
			for _, s := range split(goHello(b, c.sni), c.mss) {
				segs = append(segs, pkt(fl.at(off, s), macA))
				off += len(s)
			}
			b.ReportAllocs()
			for b.Loop() {
				h.handle(syn)
				for _, s := range segs {
					h.handle(s)
				}
			}
		})
	}
}

// TestMACFromSYN: segments the kernel queues without the sender's MAC
// (merged by GRO, split again) are judged for the device whose SYN came
// from the same address.
func TestMACFromSYN(t *testing.T) {
	h, _ := newFlowHandler(t)
	fl := newSeg(t, 443)
	h.handle(pkt(fl.syn(nil), macA))
	noMAC := &queue.Packet{Payload: fl.at(0, goHello(t, "games.test"))}
	if v := h.handle(noMAC); !same(v, blocked) {
		t.Errorf("segment without MAC after device A's SYN: %+v, want blocked", v)
	}
}

// TestQUICZeroRTTBeforeInitial: a 0-RTT packet that overtakes the flow's
// first Initial passes unread; the Initial then decides the flow.
func TestQUICZeroRTTBeforeInitial(t *testing.T) {
	h, _ := newFlowHandler(t)
	zeroRTT := append([]byte{0xd0, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0}, bytes.Repeat([]byte{0xaa}, 1200)...)
	pkt0 := ipPacket(t, "192.168.50.10", "10.99.0.2", &layers.UDP{SrcPort: 40000, DstPort: 443}, zeroRTT)
	if v := h.handle(pkt(pkt0, macA)); !same(v, accepted) {
		t.Fatalf("0-RTT before the Initial: %+v, want passed unmarked", v)
	}
	if len(h.quicFlows.m) != 1 {
		t.Errorf("%d QUIC flows tracked, want 1", len(h.quicFlows.m))
	}
}
