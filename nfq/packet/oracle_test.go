package packet

import (
	"bytes"
	"math/rand/v2"
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Differential tests: gopacket (an independent implementation) builds and
// reads packets; ours must agree with it.

// oracleCase is a packet gopacket built, with what it was built from.
type oracleCase struct {
	name    string
	b       []byte
	v6      bool
	tcp     bool
	sport   uint16
	dport   uint16
	seq     uint32
	ack     uint32
	flags   uint8
	payload []byte
}

// oraclePackets builds n packets of every shape from a fixed seed.
func oraclePackets(tb testing.TB, n int) []oracleCase {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	var out []oracleCase
	for i := 0; i < n; i++ {
		for _, shape := range []struct {
			name         string
			v6, tcp, opt bool
		}{
			{"udp4", false, false, false},
			{"tcp4", false, true, false},
			{"udp4-ipopts", false, false, true},
			{"tcp4-tcpopts", false, true, true},
			{"udp6", true, false, false},
			{"tcp6", true, true, false},
			{"tcp6-tcpopts", true, true, true},
		} {
			c := oracleCase{name: shape.name, v6: shape.v6, tcp: shape.tcp,
				sport: uint16(rng.Uint32()), dport: uint16(rng.Uint32()),
				payload: make([]byte, rng.IntN(1400))}
			for j := range c.payload {
				c.payload[j] = byte(rng.Uint32())
			}
			var ip gopacket.NetworkLayer
			if shape.v6 {
				src, dst := make(net.IP, 16), make(net.IP, 16)
				for j := range src {
					src[j], dst[j] = byte(rng.Uint32()), byte(rng.Uint32())
				}
				src[0], dst[0] = 0x20, 0x20
				ip = &layers.IPv6{Version: 6, HopLimit: 64, SrcIP: src, DstIP: dst,
					NextHeader: map[bool]layers.IPProtocol{true: layers.IPProtocolTCP, false: layers.IPProtocolUDP}[shape.tcp]}
			} else {
				ip4 := &layers.IPv4{Version: 4, TTL: 64, Id: uint16(rng.Uint32()), Flags: layers.IPv4DontFragment,
					SrcIP:    net.IPv4(10, byte(rng.Uint32()), byte(rng.Uint32()), 2).To4(),
					DstIP:    net.IPv4(93, 184, byte(rng.Uint32()), 34).To4(),
					Protocol: map[bool]layers.IPProtocol{true: layers.IPProtocolTCP, false: layers.IPProtocolUDP}[shape.tcp]}
				if shape.opt {
					ip4.Options = []layers.IPv4Option{{OptionType: 1}, {OptionType: 1}, {OptionType: 1}, {OptionType: 0}}
				}
				ip = ip4
			}
			var l4 gopacket.SerializableLayer
			if shape.tcp {
				c.seq, c.ack = rng.Uint32(), rng.Uint32()
				c.flags = uint8(rng.Uint32()) &^ (TCPSyn | TCPFin | TCPRst)
				t := &layers.TCP{SrcPort: layers.TCPPort(c.sport), DstPort: layers.TCPPort(c.dport),
					Seq: c.seq, Ack: c.ack, Window: 1000,
					FIN: c.flags&TCPFin != 0, SYN: c.flags&TCPSyn != 0, RST: c.flags&TCPRst != 0,
					PSH: c.flags&TCPPsh != 0, ACK: c.flags&TCPAck != 0, URG: c.flags&TCPUrg != 0,
					ECE: c.flags&TCPEce != 0, CWR: c.flags&TCPCwr != 0}
				if shape.opt {
					t.Options = []layers.TCPOption{
						{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{5, 0xb4}},
						{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: make([]byte, 8)},
					}
				}
				t.SetNetworkLayerForChecksum(ip)
				l4 = t
			} else {
				u := &layers.UDP{SrcPort: layers.UDPPort(c.sport), DstPort: layers.UDPPort(c.dport)}
				u.SetNetworkLayerForChecksum(ip)
				l4 = u
			}
			buf := gopacket.NewSerializeBuffer()
			err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
				ip.(gopacket.SerializableLayer), l4, gopacket.Payload(c.payload))
			if err != nil {
				tb.Fatalf("gopacket serialize: %v", err)
			}
			c.b = buf.Bytes()
			out = append(out, c)
		}
	}
	return out
}

func TestDecodeAgreesWithGopacket(t *testing.T) {
	for _, c := range oraclePackets(t, 50) {
		var p Parsed
		p.Decode(c.b)
		if !p.Valid() {
			t.Fatalf("%s: not valid: %+v", c.name, viewOf(&p))
		}
		g := gopacket.NewPacket(c.b, map[bool]gopacket.LayerType{true: layers.LayerTypeIPv6, false: layers.LayerTypeIPv4}[c.v6], gopacket.Default)
		nl := g.NetworkLayer()
		gsrc, gdst := nl.NetworkFlow().Endpoints()
		if p.Src.String() != gsrc.String() || p.Dst.String() != gdst.String() {
			t.Errorf("%s: addrs %v>%v, gopacket %v>%v", c.name, p.Src, p.Dst, gsrc, gdst)
		}
		if p.SrcPort != c.sport || p.DstPort != c.dport {
			t.Errorf("%s: ports %d>%d, want %d>%d", c.name, p.SrcPort, p.DstPort, c.sport, c.dport)
		}
		if len(c.payload) > 0 && !bytes.Equal(p.Payload(), g.ApplicationLayer().Payload()) {
			t.Errorf("%s: payload differs from gopacket's", c.name)
		}
		if !bytes.Equal(p.Payload(), c.payload) {
			t.Errorf("%s: payload differs from what was sent", c.name)
		}
		if c.tcp {
			tl := g.Layer(layers.LayerTypeTCP).(*layers.TCP)
			if p.Seq != tl.Seq || p.Ack != tl.Ack || p.Window != tl.Window || p.TCPFlags != c.flags {
				t.Errorf("%s: tcp seq/ack/win/flags %d/%d/%d/%#x, gopacket %d/%d/%d, built %#x",
					c.name, p.Seq, p.Ack, p.Window, p.TCPFlags, tl.Seq, tl.Ack, tl.Window, c.flags)
			}
		}
		if !p.ChecksumOK() {
			t.Errorf("%s: ChecksumOK false on a gopacket-built packet", c.name)
		}
		// Any single flipped bit after the IP addresses breaks a checksum
		// (the IPv4 header checksum or the transport one).
		bad := bytes.Clone(c.b)
		bad[len(bad)-1-int(c.sport)%min(len(bad)-20, 100)] ^= 0x10
		if ChecksumOK(bad) {
			t.Errorf("%s: ChecksumOK true after a flipped bit", c.name)
		}
	}
}

// readBack decodes a built reply with gopacket and checks its checksums.
func readBack(t *testing.T, name string, b []byte, v6 bool) gopacket.Packet {
	t.Helper()
	first := layers.LayerTypeIPv4
	if v6 {
		first = layers.LayerTypeIPv6
	}
	g := gopacket.NewPacket(b, first, gopacket.Default)
	if el := g.ErrorLayer(); el != nil {
		t.Fatalf("%s: gopacket cannot decode the reply: %v", name, el.Error())
	}
	nl := g.NetworkLayer()
	if ip4, ok := nl.(*layers.IPv4); ok {
		if err, res := ip4.VerifyChecksum(); err != nil || !res.Valid {
			t.Errorf("%s: IPv4 header checksum invalid (%v)", name, err)
		}
		if ip4.TTL != 64 || ip4.Flags != layers.IPv4DontFragment {
			t.Errorf("%s: TTL %d flags %v", name, ip4.TTL, ip4.Flags)
		}
	} else if ip6 := nl.(*layers.IPv6); ip6.HopLimit != 64 {
		t.Errorf("%s: hop limit %d", name, ip6.HopLimit)
	}
	switch l := g.TransportLayer().(type) {
	case *layers.UDP:
		l.SetNetworkLayerForChecksum(nl)
		if err, res := l.VerifyChecksum(); err != nil || !res.Valid {
			t.Errorf("%s: UDP checksum invalid (%v, %+v)", name, err, res)
		}
	case *layers.TCP:
		l.SetNetworkLayerForChecksum(nl)
		if err, res := l.VerifyChecksum(); err != nil || !res.Valid {
			t.Errorf("%s: TCP checksum invalid (%v, %+v)", name, err, res)
		}
	}
	if !ChecksumOK(b) {
		t.Errorf("%s: our ChecksumOK rejects the reply", name)
	}
	return g
}

func TestRepliesReadByGopacket(t *testing.T) {
	reply := []byte("the answer, 27 bytes long..")
	for _, c := range oraclePackets(t, 10) {
		var p Parsed
		p.Decode(c.b)
		gsrc, gdst := gopacket.NewPacket(c.b, map[bool]gopacket.LayerType{true: layers.LayerTypeIPv6, false: layers.LayerTypeIPv4}[c.v6], gopacket.Default).NetworkLayer().NetworkFlow().Endpoints()
		prefix := []byte("keep")
		if !c.tcp {
			out := AppendUDPReply(bytes.Clone(prefix), &p, reply)
			if !bytes.HasPrefix(out, prefix) {
				t.Fatalf("%s: dst prefix overwritten", c.name)
			}
			g := readBack(t, c.name, out[len(prefix):], c.v6)
			u := g.Layer(layers.LayerTypeUDP).(*layers.UDP)
			rs, rd := g.NetworkLayer().NetworkFlow().Endpoints()
			if rs != gdst || rd != gsrc || uint16(u.SrcPort) != c.dport || uint16(u.DstPort) != c.sport {
				t.Errorf("%s: reply not swapped: %v:%d > %v:%d", c.name, rs, u.SrcPort, rd, u.DstPort)
			}
			if !bytes.Equal(u.Payload, reply) {
				t.Errorf("%s: reply payload %q", c.name, u.Payload)
			}
			if got := AppendTCPReply(nil, &p, reply, TCPAck); got != nil {
				t.Errorf("%s: TCP reply built for a UDP packet", c.name)
			}
			continue
		}
		for _, flags := range []uint8{TCPPsh | TCPAck, TCPRst | TCPAck, TCPFin | TCPAck} {
			out := AppendTCPReply(nil, &p, reply, flags)
			g := readBack(t, c.name, out, c.v6)
			tl := g.Layer(layers.LayerTypeTCP).(*layers.TCP)
			rs, rd := g.NetworkLayer().NetworkFlow().Endpoints()
			if rs != gdst || rd != gsrc || uint16(tl.SrcPort) != c.dport || uint16(tl.DstPort) != c.sport {
				t.Errorf("%s: reply not swapped", c.name)
			}
			if tl.Seq != c.ack || tl.Ack != c.seq+uint32(len(c.payload)) {
				t.Errorf("%s: reply seq/ack %d/%d, want %d/%d", c.name, tl.Seq, tl.Ack, c.ack, c.seq+uint32(len(c.payload)))
			}
			if tl.RST != (flags&TCPRst != 0) || tl.PSH != (flags&TCPPsh != 0) || tl.FIN != (flags&TCPFin != 0) || !tl.ACK {
				t.Errorf("%s: reply flags %+v, want %#x", c.name, tl, flags)
			}
			if wantWin := map[bool]uint16{true: 0, false: 65535}[flags&TCPRst != 0]; tl.Window != wantWin {
				t.Errorf("%s: window %d, want %d", c.name, tl.Window, wantWin)
			}
			if !bytes.Equal(tl.Payload, reply) {
				t.Errorf("%s: reply payload %q", c.name, tl.Payload)
			}
		}
		out := AppendTCPReset(nil, &p)
		g := readBack(t, c.name+" reset", out, c.v6)
		tl := g.Layer(layers.LayerTypeTCP).(*layers.TCP)
		rs, rd := g.NetworkLayer().NetworkFlow().Endpoints()
		if rs != gsrc || rd != gdst || uint16(tl.SrcPort) != c.sport || uint16(tl.DstPort) != c.dport {
			t.Errorf("%s: reset not toward the destination", c.name)
		}
		if !tl.RST || tl.Seq != c.seq || tl.ACK != (c.flags&TCPAck != 0) || len(tl.Payload) != 0 {
			t.Errorf("%s: reset %+v, want RST seq %d", c.name, tl, c.seq)
		}
	}
}

// TestRewriteReadByGopacket: a rewritten packet keeps its headers (options
// and extension headers included) and carries the new payload, shorter or
// longer, with lengths and checksums gopacket accepts.
func TestRewriteReadByGopacket(t *testing.T) {
	for _, c := range oraclePackets(t, 10) {
		var p Parsed
		p.Decode(c.b)
		if !p.Valid() || p.Fragment {
			continue
		}
		for _, payload := range [][]byte{nil, []byte("short"), bytes.Repeat([]byte("long "), 300)} {
			out := AppendRewrite([]byte("keep"), &p, payload)
			g := readBack(t, c.name+" rewrite", out[4:], c.v6)
			rs, rd := g.NetworkLayer().NetworkFlow().Endpoints()
			gsrc, gdst := gopacket.NewPacket(c.b, map[bool]gopacket.LayerType{true: layers.LayerTypeIPv6, false: layers.LayerTypeIPv4}[c.v6], gopacket.Default).NetworkLayer().NetworkFlow().Endpoints()
			if rs != gsrc || rd != gdst {
				t.Errorf("%s: rewrite changed addresses", c.name)
			}
			if got := g.TransportLayer().LayerPayload(); !bytes.Equal(got, payload) && len(got)+len(payload) > 0 {
				t.Errorf("%s: rewrite payload %d bytes, want %d", c.name, len(got), len(payload))
			}
			var r Parsed
			r.Decode(out[4:])
			if !r.ChecksumOK() || r.SrcPort != p.SrcPort || r.DstPort != p.DstPort {
				t.Errorf("%s: rewrite %+v", c.name, viewOf(&r))
			}
		}
	}
}

func TestTCPReplySequenceSpace(t *testing.T) {
	// A SYN and a FIN each occupy one sequence number.
	tests := []struct {
		name    string
		flags   uint8
		wantAck uint32
	}{
		{"syn", TCPSyn, 1001},
		{"syn+fin", TCPSyn | TCPFin, 1002},
		{"ack only", TCPAck, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustHex(t, tcp4SYN)
			b[33] = tt.flags
			var p Parsed
			p.Decode(b)
			var r Parsed
			r.Decode(AppendTCPReply(nil, &p, nil, TCPRst|TCPAck))
			if r.Ack != tt.wantAck || r.Seq != 0 || r.TCPFlags != TCPRst|TCPAck {
				t.Errorf("reply seq %d ack %d flags %#x; want 0, %d, RST|ACK", r.Seq, r.Ack, r.TCPFlags, tt.wantAck)
			}
		})
	}
}

func TestReplyRefusesInvalid(t *testing.T) {
	for _, fx := range []string{udp4FirstFragment, udp4Truncated, icmp4Echo, hbh6Overrun} {
		var p Parsed
		p.Decode(mustHex(t, fx))
		dst := []byte("x")
		if got := AppendUDPReply(dst, &p, nil); len(got) != 1 {
			t.Errorf("AppendUDPReply built a reply to %+v", viewOf(&p))
		}
		if got := AppendTCPReply(dst, &p, nil, TCPAck); len(got) != 1 {
			t.Errorf("AppendTCPReply built a reply to %+v", viewOf(&p))
		}
		if got := AppendTCPReset(dst, &p); len(got) != 1 {
			t.Errorf("AppendTCPReset built a reset for %+v", viewOf(&p))
		}
	}
	var p Parsed
	p.Decode(mustHex(t, udp4DNS))
	if got := AppendUDPReply(nil, &p, make([]byte, 65535-28+1)); got != nil {
		t.Errorf("AppendUDPReply built a %d-byte packet", len(got))
	}
}
