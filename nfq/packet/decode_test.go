package packet

import (
	"bytes"
	"github.com/safeinternet/cpe/nfq/packet/pcaptest"
	"net/netip"
	"testing"
)

// mustHex decodes a commented hex fixture (see pcaptest.Hex).
func mustHex(tb testing.TB, s string) []byte { tb.Helper(); return pcaptest.Hex(tb, s) }

// view is the comparable part of a Parsed.
type view struct {
	Version          uint8
	Proto            Proto
	Src, Dst         string
	SrcPort, DstPort uint16
	Flags            uint8
	Seq, Ack         uint32
	Window           uint16
	Fragment, Valid  bool
	L4Off, PayOff    int
	PayLen, Length   int
}

func viewOf(p *Parsed) view {
	v := view{
		Version: p.IPVersion, Proto: p.IPProto,
		SrcPort: p.SrcPort, DstPort: p.DstPort,
		Flags: p.TCPFlags, Seq: p.Seq, Ack: p.Ack, Window: p.Window,
		Fragment: p.Fragment, Valid: p.Valid(),
		L4Off: p.L4Offset, PayOff: p.PayloadOffset, PayLen: p.PayloadLen, Length: p.Length,
	}
	if p.Src.IsValid() {
		v.Src, v.Dst = p.Src.String(), p.Dst.String()
	}
	return v
}

// Fixtures. Checksums are zero where Decode does not look at them.
const (
	udp4DNS = `
45 00 00 39   # IPv4, IHL 5, TOS 0, total length 57
12 34 40 00   # ID 0x1234, DF, fragment offset 0
40 11 00 00   # TTL 64, protocol 17 (UDP), header checksum
c0 a8 01 02   # source 192.168.1.2
08 08 08 08   # destination 8.8.8.8
d4 31 00 35   # UDP: source port 54321, destination port 53
00 25 00 00   # UDP length 37, checksum 0 (none)
ab cd 01 00 00 01 00 00 00 00 00 00                  # DNS: ID 0xabcd, RD, QDCOUNT 1
07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00 01   # example.com A IN
`
	tcp4SYN = `
45 00 00 34   # IPv4, total length 52 = 20 + 32
00 00 40 00   # DF
40 06 00 00   # TTL 64, TCP
0a 00 00 02   # 10.0.0.2
5d b8 d8 22   # 93.184.216.34
c3 50 01 bb   # TCP: port 50000 -> 443
00 00 03 e8   # seq 1000
00 00 00 00   # ack 0
80 02 fa f0   # data offset 8 (32 bytes), flags SYN, window 64240
00 00 00 00   # checksum, urgent pointer
02 04 05 b4 01 03 03 07 04 02 00 00   # MSS 1460, NOP, window scale 7, SACK permitted, EOL
`
	udp4Options = `
46 00 00 22   # IPv4, IHL 6 (24 bytes), total length 34
00 00 00 00
40 11 00 00   # UDP
0a 00 00 02   # 10.0.0.2
0a 00 00 01   # 10.0.0.1
01 01 01 00   # IP options: NOP NOP NOP EOL
30 39 00 35   # port 12345 -> 53
00 0a 00 00   # UDP length 10
68 69         # "hi"
`
	udp4Padded = `
45 00 00 1e   # IPv4, total length 30
00 00 00 00
40 11 00 00   # UDP
0a 00 00 02 0a 00 00 01
30 39 00 35   # port 12345 -> 53
00 0a 00 00   # UDP length 10
68 69         # "hi"
00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00   # Ethernet minimum-size padding
`
	udp4Truncated = `
45 00 00 64   # IPv4, total length 100, but only 30 bytes captured
00 00 00 00
40 11 00 00   # UDP
0a 00 00 02 0a 00 00 01
30 39 00 35 00 50 00 00 68 69
`
	udp4FirstFragment = `
45 00 00 24   # IPv4, total length 36
00 07 20 00   # ID 7, MF (more fragments), offset 0
40 11 00 00   # UDP
0a 00 00 02 0a 00 00 01
30 39 00 35   # port 12345 -> 53
03 e8 00 00   # UDP length 1000 (the whole datagram)
00 01 02 03 04 05 06 07
`
	udp4LaterFragment = `
45 00 00 1c   # IPv4, total length 28
00 07 00 b9   # ID 7, offset 185 (1480 bytes), last piece
40 11 00 00   # UDP
0a 00 00 02 0a 00 00 01
30 39 00 35 03 e8 00 00   # looks like a UDP header, but is datagram data
`
	icmp4Echo = `
45 00 00 1c 00 00 00 00
40 01 00 00   # ICMP
0a 00 00 02 0a 00 00 01
08 00 00 00 00 01 00 01   # echo request
`
	tcp4PSH = `
45 00 00 2b   # IPv4, total length 43
00 00 40 00
40 06 00 00   # TCP
0a 00 00 02 0a 00 00 01
c3 50 00 35   # port 50000 -> 53
00 00 00 64   # seq 100
00 00 01 2c   # ack 300
50 18 01 00   # data offset 5, flags PSH|ACK, window 256
00 00 00 00
00 01 61      # DNS over TCP, cut: length 1, "a"
`
	udp6 = `
60 00 00 00   # IPv6, class 0, flow 0
00 0a 11 40   # payload length 10, next header 17 (UDP), hop limit 64
20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01   # 2001:db8::1
20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 35   # 2001:db8::35
c0 00 00 35   # port 49152 -> 53
00 0a 00 00   # UDP length 10
68 69         # "hi"
`
	tcp6Ext = `
60 00 00 00
00 27 00 40   # payload length 39, next header 0 (hop-by-hop)
20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01
20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02
3c 00 01 04 00 00 00 00   # hop-by-hop: next 60 (destination options), 8 bytes, PadN
06 00 01 04 00 00 00 00   # destination options: next 6 (TCP), 8 bytes, PadN
c3 50 00 50   # TCP: port 50000 -> 80
00 00 00 01   # seq 1
00 00 00 02   # ack 2
50 18 01 00   # data offset 5, PSH|ACK, window 256
00 00 00 00
47 45 54      # "GET"
`
	udp6FirstFragment = `
60 00 00 00
00 18 2c 40   # payload length 24, next header 44 (fragment)
20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01
20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02
11 00 00 01 00 00 00 09   # fragment: next UDP, offset 0, M=1, id 9
c0 00 00 35 00 64 00 00   # UDP: 49152 -> 53, length 100 (the whole datagram)
00 01 02 03 04 05 06 07
`
	udp6LaterFragment = `
60 00 00 00
00 10 2c 40   # payload length 16, next header 44 (fragment)
20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01
20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02
11 00 00 b8 00 00 00 09   # fragment: next UDP, offset 23 (184 bytes), M=0
c0 00 00 35 00 64 00 00   # datagram data
`
	udp6AtomicFragment = `
60 00 00 00
00 12 2c 40   # payload length 18, next header 44 (fragment)
20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01
20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02
11 00 00 00 00 00 00 09   # fragment: offset 0, M=0: atomic (RFC 6946), not a fragment
c0 00 00 35 00 0a 00 00 68 69
`
	esp6 = `
60 00 00 00
00 08 32 40   # payload length 8, next header 50 (ESP)
20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01
20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02
00 00 00 01 00 00 00 01   # SPI 1, sequence 1
`
	hbh6Overrun = `
60 00 00 00
00 08 00 40   # payload length 8, next header 0 (hop-by-hop)
20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01
20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02
11 05 00 00 00 00 00 00   # hop-by-hop claims 48 bytes, 8 present
`
)

// longChain6 is IPv6 with 9 destination-options headers before UDP: one more
// than Decode walks.
func longChain6(tb testing.TB) []byte {
	hdr := `
60 00 00 00
00 52 3c 40   # payload length 82 = 9*8 + 10, next header 60
20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01
20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02
`
	b := mustHex(tb, hdr)
	for i := 0; i < 8; i++ {
		b = append(b, 60, 0, 1, 4, 0, 0, 0, 0) // next: destination options
	}
	b = append(b, 17, 0, 1, 4, 0, 0, 0, 0) // next: UDP
	return append(b, mustHex(tb, "c0 00 00 35 00 0a 00 00 68 69")...)
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		pkt     string
		cut     int // when > 0, keep only the first cut bytes
		want    view
		payload string
	}{
		{"ipv4 udp dns query", udp4DNS, 0, view{Version: 4, Proto: UDP, Src: "192.168.1.2", Dst: "8.8.8.8",
			SrcPort: 54321, DstPort: 53, Valid: true, L4Off: 20, PayOff: 28, PayLen: 29, Length: 57}, "\xab\xcd\x01\x00"},
		{"ipv4 tcp syn with options", tcp4SYN, 0, view{Version: 4, Proto: TCP, Src: "10.0.0.2", Dst: "93.184.216.34",
			SrcPort: 50000, DstPort: 443, Flags: TCPSyn, Seq: 1000, Window: 64240, Valid: true,
			L4Off: 20, PayOff: 52, Length: 52}, ""},
		{"ipv4 tcp psh", tcp4PSH, 0, view{Version: 4, Proto: TCP, Src: "10.0.0.2", Dst: "10.0.0.1",
			SrcPort: 50000, DstPort: 53, Flags: TCPPsh | TCPAck, Seq: 100, Ack: 300, Window: 256, Valid: true,
			L4Off: 20, PayOff: 40, PayLen: 3, Length: 43}, "\x00\x01a"},
		{"ipv4 header options", udp4Options, 0, view{Version: 4, Proto: UDP, Src: "10.0.0.2", Dst: "10.0.0.1",
			SrcPort: 12345, DstPort: 53, Valid: true, L4Off: 24, PayOff: 32, PayLen: 2, Length: 34}, "hi"},
		{"ipv4 link padding trimmed", udp4Padded, 0, view{Version: 4, Proto: UDP, Src: "10.0.0.2", Dst: "10.0.0.1",
			SrcPort: 12345, DstPort: 53, Valid: true, L4Off: 20, PayOff: 28, PayLen: 2, Length: 30}, "hi"},
		{"ipv4 truncated copy", udp4Truncated, 0, view{Version: 4, Proto: UDP, Src: "10.0.0.2", Dst: "10.0.0.1",
			Length: 100}, ""},
		{"ipv4 first fragment", udp4FirstFragment, 0, view{Version: 4, Proto: UDP, Src: "10.0.0.2", Dst: "10.0.0.1",
			SrcPort: 12345, DstPort: 53, Fragment: true, L4Off: 20, Length: 36}, ""},
		{"ipv4 later fragment", udp4LaterFragment, 0, view{Version: 4, Proto: UDP, Src: "10.0.0.2", Dst: "10.0.0.1",
			Fragment: true, Length: 28}, ""},
		{"ipv4 icmp", icmp4Echo, 0, view{Version: 4, Proto: ICMP, Src: "10.0.0.2", Dst: "10.0.0.1",
			L4Off: 20, Length: 28}, ""},
		{"ipv6 udp", udp6, 0, view{Version: 6, Proto: UDP, Src: "2001:db8::1", Dst: "2001:db8::35",
			SrcPort: 49152, DstPort: 53, Valid: true, L4Off: 40, PayOff: 48, PayLen: 2, Length: 50}, "hi"},
		{"ipv6 hop-by-hop and destination options", tcp6Ext, 0, view{Version: 6, Proto: TCP, Src: "2001:db8::1", Dst: "2001:db8::2",
			SrcPort: 50000, DstPort: 80, Flags: TCPPsh | TCPAck, Seq: 1, Ack: 2, Window: 256, Valid: true,
			L4Off: 56, PayOff: 76, PayLen: 3, Length: 79}, "GET"},
		{"ipv6 first fragment", udp6FirstFragment, 0, view{Version: 6, Proto: UDP, Src: "2001:db8::1", Dst: "2001:db8::2",
			SrcPort: 49152, DstPort: 53, Fragment: true, L4Off: 48, Length: 64}, ""},
		{"ipv6 later fragment", udp6LaterFragment, 0, view{Version: 6, Proto: UDP, Src: "2001:db8::1", Dst: "2001:db8::2",
			Fragment: true, Length: 56}, ""},
		{"ipv6 atomic fragment", udp6AtomicFragment, 0, view{Version: 6, Proto: UDP, Src: "2001:db8::1", Dst: "2001:db8::2",
			SrcPort: 49152, DstPort: 53, Valid: true, L4Off: 48, PayOff: 56, PayLen: 2, Length: 58}, "hi"},
		{"ipv6 esp", esp6, 0, view{Version: 6, Proto: 50, Src: "2001:db8::1", Dst: "2001:db8::2",
			L4Off: 40, Length: 48}, ""},
		{"ipv6 extension header overruns packet", hbh6Overrun, 0, view{Version: 6, Proto: Unknown,
			Src: "2001:db8::1", Dst: "2001:db8::2", Length: 48}, ""},
		{"ipv6 truncated copy", udp6, 45, view{Version: 6, Proto: UDP, Src: "2001:db8::1", Dst: "2001:db8::35",
			Length: 50}, ""},
		{"empty", ``, 0, view{}, ""},
		{"version 5", `50 00 00 14 00 00 00 00 40 11 00 00 0a 00 00 02 0a 00 00 01`, 0, view{}, ""},
		{"ipv4 too short", `45 00 00 14 00 00 00 00 40 11 00 00 0a 00 00 02 0a 00 00`, 0, view{}, ""},
		{"ipv4 IHL 4", `44 00 00 14 00 00 00 00 40 11 00 00 0a 00 00 02 0a 00 00 01`, 0, view{}, ""},
		{"ipv4 IHL beyond buffer", `4f 00 00 3c 00 00 00 00 40 11 00 00 0a 00 00 02 0a 00 00 01`, 0, view{}, ""},
		{"ipv4 total length below IHL", `45 00 00 13 00 00 00 00 40 11 00 00 0a 00 00 02 0a 00 00 01`, 0, view{}, ""},
		{"ipv6 too short", udp6, 39, view{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustHex(t, tt.pkt)
			if tt.cut > 0 {
				b = b[:tt.cut]
			}
			var p Parsed
			p.Decode(b)
			if got := viewOf(&p); got != tt.want {
				t.Errorf("Decode:\n got %+v\nwant %+v", got, tt.want)
			}
			pl := p.Payload()
			if !bytes.HasPrefix(pl, []byte(tt.payload)) || len(pl) != p.PayloadLen {
				t.Errorf("Payload = %q (len %d), want prefix %q, len %d", pl, len(pl), tt.payload, p.PayloadLen)
			}
			if p.PayloadLen == 0 && pl != nil {
				t.Errorf("Payload = %q, want nil", pl)
			}
		})
	}
}

func TestDecodeL4Checks(t *testing.T) {
	// Each case patches one field of a valid packet and expects Valid false
	// with the IP layer still decoded (or true where stated).
	tests := []struct {
		name  string
		pkt   string
		off   int
		val   []byte
		valid bool
		plen  int
	}{
		{"tcp data offset 4", tcp4PSH, 32, []byte{0x40}, false, 0},
		{"tcp data offset past end", tcp4PSH, 32, []byte{0x60}, false, 0},
		{"udp length 7", udp4Options, 28, []byte{0, 7}, false, 0},
		{"udp length past end", udp4Options, 28, []byte{0, 11}, false, 0},
		{"udp length shorter than ip payload", udp4Options, 28, []byte{0, 9}, true, 1},
		{"udp length exactly header", udp4Options, 28, []byte{0, 8}, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustHex(t, tt.pkt)
			copy(b[tt.off:], tt.val)
			var p Parsed
			p.Decode(b)
			if p.IPVersion != 4 || p.SrcPort == 0 {
				t.Fatalf("IP layer or ports lost: %+v", viewOf(&p))
			}
			if p.Valid() != tt.valid || p.PayloadLen != tt.plen {
				t.Errorf("Valid = %v, PayloadLen = %d; want %v, %d", p.Valid(), p.PayloadLen, tt.valid, tt.plen)
			}
		})
	}
}

func TestDecodeLongExtensionChain(t *testing.T) {
	b := longChain6(t)
	var p Parsed
	p.Decode(b)
	if p.IPVersion != 6 || p.IPProto != Unknown || p.Valid() {
		t.Errorf("got %+v, want IPv6 with unknown protocol", viewOf(&p))
	}
	// One header fewer is walked.
	b = append(b[:40:40], b[48:]...)
	b[4], b[5] = 0, 82-8
	p.Decode(b)
	if p.IPProto != UDP || !p.Valid() || string(p.Payload()) != "hi" {
		t.Errorf("8 headers: got %+v", viewOf(&p))
	}
}

func TestDecodeReplacesPreviousState(t *testing.T) {
	var p Parsed
	p.Decode(mustHex(t, tcp4PSH))
	p.Decode(mustHex(t, icmp4Echo))
	if p.SrcPort != 0 || p.Seq != 0 || p.Valid() || p.Payload() != nil {
		t.Errorf("state left over from the previous packet: %+v", viewOf(&p))
	}
}

func TestDecodeAddrIs4(t *testing.T) {
	var p Parsed
	p.Decode(mustHex(t, udp4DNS))
	if !p.Src.Is4() || p.Src != netip.MustParseAddr("192.168.1.2") {
		t.Errorf("Src = %v, want a 4-byte address", p.Src)
	}
}

func TestDecodeNoAllocs(t *testing.T) {
	pkts := [][]byte{mustHex(t, udp4DNS), mustHex(t, tcp6Ext), mustHex(t, udp6FirstFragment), longChain6(t)}
	var p Parsed
	for _, b := range pkts {
		if n := testing.AllocsPerRun(100, func() { p.Decode(b); _ = p.Payload() }); n != 0 {
			t.Errorf("Decode allocates %v times per packet", n)
		}
		if n := testing.AllocsPerRun(100, func() { ChecksumOK(b) }); n != 0 {
			t.Errorf("ChecksumOK allocates %v times per packet", n)
		}
	}
	dst := make([]byte, 0, 256)
	p.Decode(pkts[0])
	if n := testing.AllocsPerRun(100, func() { dst = AppendUDPReply(dst[:0], &p, []byte("reply")) }); n != 0 {
		t.Errorf("AppendUDPReply with capacity allocates %v times", n)
	}
}

func BenchmarkDecode(b *testing.B) {
	cases := []struct {
		name string
		pkt  string
	}{
		{"udp4-dns", udp4DNS},
		{"tcp4-syn", tcp4SYN},
		{"tcp6-ext", tcp6Ext},
	}
	for _, c := range cases {
		pkt := mustHex(b, c.pkt)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var p Parsed
			for b.Loop() {
				p.Decode(pkt)
			}
		})
	}
}

func TestFragmentInfo(t *testing.T) {
	tests := []struct {
		name    string
		pkt     string
		ok      bool
		id      uint32
		offset  int
		more    bool
		next    Proto
		dataLen int
	}{
		{"ipv4 first", udp4FirstFragment, true, 7, 0, true, UDP, 16},
		{"ipv4 later", udp4LaterFragment, true, 7, 1480, false, UDP, 8},
		{"ipv6 first", udp6FirstFragment, true, 9, 0, true, UDP, 16},
		{"ipv6 later", udp6LaterFragment, true, 9, 184, false, UDP, 8},
		{"ipv6 atomic", udp6AtomicFragment, false, 0, 0, false, 0, 0},
		{"whole packet", udp4DNS, false, 0, 0, false, 0, 0},
		{"truncated", udp4Truncated, false, 0, 0, false, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Parsed
			p.Decode(mustHex(t, tt.pkt))
			f, ok := p.FragmentInfo()
			if ok != tt.ok || f.ID != tt.id || f.Offset != tt.offset || f.More != tt.more || f.Next != tt.next || len(f.Data) != tt.dataLen {
				t.Errorf("FragmentInfo = %+v, %v", f, ok)
			}
		})
	}
}
