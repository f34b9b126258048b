package judge

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/safeinternet/cpe/agent/activity"
	"github.com/safeinternet/cpe/agent/config"
	"github.com/safeinternet/cpe/agent/inventory"
	"github.com/safeinternet/cpe/agent/policy"
	"github.com/safeinternet/cpe/nfq/ctmark"
	"github.com/safeinternet/cpe/nfq/dns"
	"github.com/safeinternet/cpe/nfq/queue"
)

var (
	macA = [6]byte{2, 0, 0, 0, 0, 0x0a}
	macB = [6]byte{2, 0, 0, 0, 0, 0x0b}
)

const testConfig = `
config agent 'main'
	list lan 'br-lan'

config device 'a'
	option mac '02:00:00:00:00:0a'
	option name 'Device A'
	list block 'games.test'
`

// sent records what the handler sent to devices.
type sent struct {
	ifindex int
	dst     [6]byte
	pkt     []byte
}

type fakeSender struct{ got []sent }

func (f *fakeSender) Send(ifindex int, dst [6]byte, p []byte) error {
	f.got = append(f.got, sent{ifindex, dst, append([]byte(nil), p...)})
	return nil
}

func newTestHandler(t testing.TB, mode dns.BlockMode) (*handler, *fakeSender) {
	t.Helper()
	cfg, err := config.LoadBytes("test", []byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := policy.Compile(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSender{}
	j := New(Config{Send: f, Devices: inventory.New(), Clock: &testClock{loc: time.UTC}, Blocked: &activity.Log{},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))},
		&Rules{Snap: snap, BlockMode: mode, TTL: 60, Fallback: queue.Verdict{Action: queue.Drop}, Guard: 8})
	h := j.newHandler()
	var clock int64
	h.now = func() int64 { clock += 1e6; return clock } // 1 ms per reading
	return h, f
}

func dnsQuery(t testing.TB, name string, typ dnsmessage.Type) []byte {
	t.Helper()
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: 0x1234, RecursionDesired: true})
	b.StartQuestions()
	b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(name), Type: typ, Class: dnsmessage.ClassINET})
	msg, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// ipPacket builds an IPv4 or IPv6 packet from src to dst carrying l4 with
// payload, checksums computed by gopacket.
func ipPacket(t testing.TB, src, dst string, l4 gopacket.SerializableLayer, payload []byte) []byte {
	t.Helper()
	return ipPacketTTL(t, src, dst, 64, l4, payload)
}

// ipPacketTTL is ipPacket with the TTL or hop limit ttl.
func ipPacketTTL(t testing.TB, src, dst string, ttl uint8, l4 gopacket.SerializableLayer, payload []byte) []byte {
	t.Helper()
	s, d := netip.MustParseAddr(src), netip.MustParseAddr(dst)
	var ip gopacket.NetworkLayer
	proto := layers.IPProtocolUDP
	if _, ok := l4.(*layers.TCP); ok {
		proto = layers.IPProtocolTCP
	}
	if s.Is4() {
		ip = &layers.IPv4{Version: 4, TTL: ttl, Protocol: proto, SrcIP: net.IP(s.AsSlice()), DstIP: net.IP(d.AsSlice())}
	} else {
		ip = &layers.IPv6{Version: 6, HopLimit: ttl, NextHeader: proto, SrcIP: net.IP(s.AsSlice()), DstIP: net.IP(d.AsSlice())}
	}
	switch l := l4.(type) {
	case *layers.UDP:
		l.SetNetworkLayerForChecksum(ip)
	case *layers.TCP:
		l.SetNetworkLayerForChecksum(ip)
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ip.(gopacket.SerializableLayer), l4, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func udpQuery(t testing.TB, src, dst, name string, typ dnsmessage.Type) []byte {
	return ipPacket(t, src, dst, &layers.UDP{SrcPort: 40000, DstPort: 53}, dnsQuery(t, name, typ))
}

func tcpQuery(t testing.TB, src, dst, name string) []byte {
	msg := dnsQuery(t, name, dnsmessage.TypeA)
	framed := append([]byte{byte(len(msg) >> 8), byte(len(msg))}, msg...)
	return ipPacket(t, src, dst, &layers.TCP{SrcPort: 40000, DstPort: 53, Seq: 1000, Ack: 5000, ACK: true, PSH: true, Window: 502}, framed)
}

// answerOf decodes the DNS answer inside an IP packet the handler sent.
func answerOf(t *testing.T, pkt []byte) (gopacket.Packet, dnsmessage.Message) {
	t.Helper()
	first := layers.LayerTypeIPv4
	if pkt[0]>>4 == 6 {
		first = layers.LayerTypeIPv6
	}
	p := gopacket.NewPacket(pkt, first, gopacket.Default)
	var payload []byte
	if u, ok := p.Layer(layers.LayerTypeUDP).(*layers.UDP); ok {
		payload = u.Payload
	} else if tc, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP); ok {
		if len(tc.Payload) < 2 {
			t.Fatalf("TCP answer without DNS payload")
		}
		payload = tc.Payload[2:]
	} else {
		t.Fatalf("answer is neither UDP nor TCP: %v", p)
	}
	var m dnsmessage.Message
	if err := m.Unpack(payload); err != nil {
		t.Fatalf("answer does not parse: %v", err)
	}
	return p, m
}

func TestHandleDNS(t *testing.T) {
	tests := []struct {
		name      string
		mac       [6]byte
		pkt       func(t testing.TB) []byte
		mode      dns.BlockMode
		action    queue.Action
		answered  bool
		rcode     dnsmessage.RCode
		nullAddr  string // expected A/AAAA in null mode
		rewritten bool   // the query segment is turned into a reset
	}{
		{name: "blocked name over UDP/IPv4 gets NXDOMAIN", mac: macA,
			pkt: func(t testing.TB) []byte {
				return udpQuery(t, "192.168.50.10", "192.168.50.1", "games.test.", dnsmessage.TypeA)
			},
			action: queue.Drop, answered: true, rcode: dnsmessage.RCodeNameError},
		{name: "subdomain of a blocked name", mac: macA,
			pkt: func(t testing.TB) []byte {
				return udpQuery(t, "192.168.50.10", "10.99.0.2", "WWW.Games.Test.", dnsmessage.TypeA)
			},
			action: queue.Drop, answered: true, rcode: dnsmessage.RCodeNameError},
		{name: "blocked over UDP/IPv6", mac: macA,
			pkt: func(t testing.TB) []byte {
				return udpQuery(t, "fd50::10", "fd50::1", "games.test.", dnsmessage.TypeAAAA)
			},
			action: queue.Drop, answered: true, rcode: dnsmessage.RCodeNameError},
		{name: "null mode answers 0.0.0.0", mac: macA, mode: dns.Null,
			pkt: func(t testing.TB) []byte {
				return udpQuery(t, "192.168.50.10", "192.168.50.1", "games.test.", dnsmessage.TypeA)
			},
			action: queue.Drop, answered: true, rcode: dnsmessage.RCodeSuccess, nullAddr: "0.0.0.0"},
		{name: "null mode answers ::", mac: macA, mode: dns.Null,
			pkt: func(t testing.TB) []byte {
				return udpQuery(t, "fd50::10", "fd50::1", "games.test.", dnsmessage.TypeAAAA)
			},
			action: queue.Drop, answered: true, rcode: dnsmessage.RCodeSuccess, nullAddr: "::"},
		{name: "blocked over TCP: answer injected, query becomes a reset", mac: macA,
			pkt:    func(t testing.TB) []byte { return tcpQuery(t, "192.168.50.10", "192.168.50.1", "games.test.") },
			action: queue.Accept, answered: true, rcode: dnsmessage.RCodeNameError, rewritten: true},
		{name: "other device is unaffected", mac: macB,
			pkt: func(t testing.TB) []byte {
				return udpQuery(t, "192.168.50.11", "192.168.50.1", "games.test.", dnsmessage.TypeA)
			},
			action: queue.Accept},
		{name: "allowed name passes", mac: macA,
			pkt: func(t testing.TB) []byte {
				return udpQuery(t, "192.168.50.10", "192.168.50.1", "school.test.", dnsmessage.TypeA)
			},
			action: queue.Accept},
		{name: "look-alike name passes", mac: macA,
			pkt: func(t testing.TB) []byte {
				return udpQuery(t, "192.168.50.10", "192.168.50.1", "mygames.test.", dnsmessage.TypeA)
			},
			action: queue.Accept},
		{name: "malformed DNS gets the default verdict", mac: macA,
			pkt: func(t testing.TB) []byte {
				return ipPacket(t, "192.168.50.10", "192.168.50.1", &layers.UDP{SrcPort: 1, DstPort: 53}, []byte{0x12, 0x34, 0x01})
			},
			action: queue.Drop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, f := newTestHandler(t, tt.mode)
			pkt := tt.pkt(t)
			v := h.handle(&queue.Packet{Payload: pkt, HwAddr: tt.mac, HasHwAddr: true, InIndex: 7})
			if v.Action != tt.action {
				t.Errorf("action = %v, want %v", v.Action, tt.action)
			}
			if v.State != ctmark.Unclassified {
				t.Errorf("DNS flow marked %v; DNS flows must stay unmarked", v.State)
			}
			if !tt.answered {
				if len(f.got) != 0 {
					t.Errorf("sent %d packets, want none", len(f.got))
				}
				return
			}
			if len(f.got) != 1 {
				t.Fatalf("sent %d packets, want 1 answer", len(f.got))
			}
			s := f.got[0]
			if s.ifindex != 7 || s.dst != tt.mac {
				t.Errorf("sent to ifindex %d %x, want 7 %x", s.ifindex, s.dst, tt.mac)
			}
			p, m := answerOf(t, s.pkt)
			if errs := p.ErrorLayer(); errs != nil {
				t.Errorf("answer packet: %v", errs.Error())
			}
			if !m.Header.Response || m.Header.ID != 0x1234 || m.Header.RCode != tt.rcode {
				t.Errorf("answer header %+v, want response id 0x1234 rcode %v", m.Header, tt.rcode)
			}
			if tt.nullAddr != "" {
				if len(m.Answers) != 1 {
					t.Fatalf("answers = %d, want 1", len(m.Answers))
				}
				var got netip.Addr
				switch r := m.Answers[0].Body.(type) {
				case *dnsmessage.AResource:
					got = netip.AddrFrom4(r.A)
				case *dnsmessage.AAAAResource:
					got = netip.AddrFrom16(r.AAAA)
				}
				if got.String() != tt.nullAddr {
					t.Errorf("null answer %v, want %s", got, tt.nullAddr)
				}
			}
			checkReplyAddressing(t, pkt, p)
			if tt.rewritten != (v.Payload != nil) {
				t.Errorf("rewritten = %v, want %v", v.Payload != nil, tt.rewritten)
			}
			if tt.rewritten {
				rp := gopacket.NewPacket(v.Payload, layers.LayerTypeIPv4, gopacket.Default)
				tc, ok := rp.Layer(layers.LayerTypeTCP).(*layers.TCP)
				if !ok || !tc.RST || tc.Seq != 1000 || len(tc.Payload) != 0 {
					t.Errorf("rewritten query is not a reset at seq 1000: %v", rp)
				}
			}
		})
	}
}

// checkReplyAddressing checks that the answer goes back where the query came
// from, from where it was sent to, and with valid checksums.
func checkReplyAddressing(t *testing.T, query []byte, answer gopacket.Packet) {
	t.Helper()
	first := layers.LayerTypeIPv4
	if query[0]>>4 == 6 {
		first = layers.LayerTypeIPv6
	}
	q := gopacket.NewPacket(query, first, gopacket.Default)
	qs, qd := q.NetworkLayer().NetworkFlow().Endpoints()
	as, ad := answer.NetworkLayer().NetworkFlow().Endpoints()
	if as != qd || ad != qs {
		t.Errorf("answer %v>%v, want %v>%v", as, ad, qd, qs)
	}
	qts, qtd := q.TransportLayer().TransportFlow().Endpoints()
	ats, atd := answer.TransportLayer().TransportFlow().Endpoints()
	if ats != qtd || atd != qts {
		t.Errorf("answer ports %v>%v, want %v>%v", ats, atd, qtd, qts)
	}
	if tc, ok := answer.Layer(layers.LayerTypeTCP).(*layers.TCP); ok {
		if tc.Seq != 5000 || tc.Ack != 1000+uint32(len(q.TransportLayer().LayerPayload())) {
			t.Errorf("TCP answer seq %d ack %d, want 5000 %d", tc.Seq, tc.Ack, 1000+len(q.TransportLayer().LayerPayload()))
		}
	}
	if !checksumsOK(answer) {
		t.Errorf("answer checksums invalid")
	}
}

// checksumsOK re-serialises the answer with computed checksums and compares.
func checksumsOK(p gopacket.Packet) bool {
	data := p.Data()
	var ip gopacket.NetworkLayer = p.NetworkLayer()
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{ComputeChecksums: true}
	var l4 gopacket.SerializableLayer
	switch l := p.TransportLayer().(type) {
	case *layers.UDP:
		l.SetNetworkLayerForChecksum(ip)
		l4 = l
	case *layers.TCP:
		l.SetNetworkLayerForChecksum(ip)
		l4 = l
	}
	if err := gopacket.SerializeLayers(buf, opts, ip.(gopacket.SerializableLayer), l4, gopacket.Payload(p.TransportLayer().LayerPayload())); err != nil {
		return false
	}
	return string(buf.Bytes()) == string(data)
}

func TestHandleUndecodableGetsDefault(t *testing.T) {
	h, _ := newTestHandler(t, dns.NXDomain)
	for _, b := range [][]byte{{0x45}, {0x60, 0, 0}, {0xff, 0xff}} {
		if v := h.handle(&queue.Packet{Payload: b}); v.Action != queue.Drop {
			t.Errorf("%x: %+v, want the default (drop)", b, v)
		}
	}
	if got := h.counters.Malformed.Load(); got != 3 {
		t.Errorf("malformed = %d, want 3", got)
	}
}

// TestHandleAllocs is the allocation guard of the hot path: decode → DNS
// extract → decide → verdict, for an allowed and a blocked query.
func TestHandleAllocs(t *testing.T) {
	h, _ := newTestHandler(t, dns.NXDomain)
	h.send = discard{}
	for _, c := range []struct {
		name string
		pkt  []byte
		mac  [6]byte
	}{
		{"allowed", udpQuery(t, "192.168.50.10", "192.168.50.1", "school.test.", dnsmessage.TypeA), macA},
		{"blocked", udpQuery(t, "192.168.50.10", "192.168.50.1", "www.games.test.", dnsmessage.TypeA), macA},
		{"blocked over TCP", tcpQuery(t, "192.168.50.10", "192.168.50.1", "www.games.test."), macA},
	} {
		p := &queue.Packet{Payload: c.pkt, HwAddr: c.mac, HasHwAddr: true}
		h.handle(p) // grow scratch buffers
		if n := testing.AllocsPerRun(200, func() { h.handle(p) }); n != 0 {
			t.Errorf("%s: %v allocations per packet, want 0", c.name, n)
		}
	}
	// TCP flows: SYN, then the ClientHello in one segment or in three.
	h, _ = newFlowHandler(t)
	h.send = discard{}
	for _, c := range []struct {
		name string
		sni  string
		mss  int
	}{
		{"tls allowed, one segment", "school.test", 4000},
		{"tls blocked, one segment", "games.test", 4000},
		{"tls allowed, three segments", "school.test", 700},
		{"tls blocked, three segments", "games.test", 700},
	} {
		fl := newSeg(t, 443)
		syn := pkt(fl.syn(nil), macA)
		var segs []*queue.Packet
		off := 0
		for _, s := range split(goHello(t, c.sni), c.mss) {
			segs = append(segs, pkt(fl.at(off, s), macA))
			off += len(s)
		}
		flow := func() {
			h.handle(syn)
			for _, s := range segs {
				h.handle(s)
			}
		}
		flow()
		if n := testing.AllocsPerRun(100, flow); n != 0 {
			t.Errorf("%s: %v allocations per flow, want 0", c.name, n)
		}
	}
}

type discard struct{}

func (discard) Send(int, [6]byte, []byte) error { return nil }

// BenchmarkHandle reports ns/packet and allocs/packet for decode → DNS
// extract → decide → verdict.
func BenchmarkHandle(b *testing.B) {
	for _, c := range []struct {
		name string
		pkt  []byte
	}{
		{"dns-allowed", udpQuery(b, "192.168.50.10", "192.168.50.1", "www.school.test.", dnsmessage.TypeA)},
		{"dns-blocked", udpQuery(b, "192.168.50.10", "192.168.50.1", "www.games.test.", dnsmessage.TypeA)},
		{"dns-allowed-ipv6", udpQuery(b, "fd50::10", "fd50::1", "www.school.test.", dnsmessage.TypeAAAA)},
	} {
		b.Run(c.name, func(b *testing.B) {
			h, _ := newTestHandler(b, dns.NXDomain)
			h.send = discard{}
			p := &queue.Packet{Payload: c.pkt, HwAddr: macA, HasHwAddr: true}
			b.ReportAllocs()
			b.SetBytes(int64(len(c.pkt)))
			for b.Loop() {
				h.handle(p)
			}
		})
	}
}

// TestHandlePipelinedTCPQueries: every whole query of a TCP segment is
// judged; one blocked query among allowed ones is not let through.
func TestHandlePipelinedTCPQueries(t *testing.T) {
	frame := func(msg []byte) []byte { return append([]byte{byte(len(msg) >> 8), byte(len(msg))}, msg...) }
	allowed, blocked := dnsQuery(t, "school.test.", dnsmessage.TypeA), dnsQuery(t, "games.test.", dnsmessage.TypeA)
	tcp := func(payload []byte) []byte {
		return ipPacket(t, "192.168.50.10", "192.168.50.1", &layers.TCP{SrcPort: 40000, DstPort: 53, Seq: 1000, Ack: 5000, ACK: true, PSH: true, Window: 502}, payload)
	}

	h, f := newTestHandler(t, dns.NXDomain)
	v := h.handle(&queue.Packet{Payload: tcp(append(frame(allowed), frame(allowed)...)), HwAddr: macA, HasHwAddr: true})
	if v.Action != queue.Accept || v.Payload != nil || len(f.got) != 0 {
		t.Errorf("two allowed queries: %+v, %d sent; want them passed on", v, len(f.got))
	}

	v = h.handle(&queue.Packet{Payload: tcp(append(frame(allowed), frame(blocked)...)), HwAddr: macA, HasHwAddr: true})
	if v.Payload == nil || len(f.got) != 1 {
		t.Fatalf("allowed + blocked: %+v, %d sent; want answers sent and the query reset", v, len(f.got))
	}
	p := gopacket.NewPacket(f.got[0].pkt, layers.LayerTypeIPv4, gopacket.Default)
	stream := p.Layer(layers.LayerTypeTCP).(*layers.TCP).Payload
	var rcodes []dnsmessage.RCode
	for len(stream) >= 2 {
		n := int(stream[0])<<8 | int(stream[1])
		var m dnsmessage.Message
		if err := m.Unpack(stream[2 : 2+n]); err != nil {
			t.Fatal(err)
		}
		rcodes = append(rcodes, m.RCode)
		stream = stream[2+n:]
	}
	want := []dnsmessage.RCode{dnsmessage.RCodeServerFailure, dnsmessage.RCodeNameError}
	if fmt.Sprint(rcodes) != fmt.Sprint(want) {
		t.Errorf("answers %v, want %v (allowed: try again; blocked: NXDOMAIN)", rcodes, want)
	}
}

// testClock is the household's time for tests: set its fields directly.
type testClock struct {
	loc      *time.Location
	unsynced bool
	usage    *policy.Usage
}

func (c *testClock) Zone() *time.Location { return c.loc }
func (c *testClock) Unsynced() bool       { return c.unsynced }
func (c *testClock) Usage() *policy.Usage { return c.usage }
