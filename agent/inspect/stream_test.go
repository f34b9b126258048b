package inspect

import (
	"fmt"
	"slices"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/safeinternet/cpe/nfq/packet"
)

func TestTCPReassembly(t *testing.T) {
	a, b := tcpFrame(dnsMsg(t, 1, false, "a.test")), tcpFrame(dnsMsg(t, 2, false, "b.test"))
	const cli, srv = "10.0.0.2:50000", "10.0.0.1:53"
	type seg struct {
		seq     uint32
		flags   string
		payload []byte
	}
	ab := append(append([]byte{}, a...), b...)
	tests := []struct {
		name string
		segs []seg
		want []string // "frame kind name"
	}{
		{"one message per segment", []seg{{1, "P", a}, {1 + uint32(len(a)), "P", b}},
			[]string{"1 dns-query a.test", "2 dns-query b.test"}},
		{"two messages in one segment", []seg{{1, "P", ab}},
			[]string{"1 dns-query a.test", "1 dns-query b.test"}},
		{"length prefix split", []seg{{1, "P", a[:1]}, {2, "P", a[1:]}},
			[]string{"2 dns-query a.test"}},
		{"message split mid-way, next one starts in the same segment", []seg{{1, "P", ab[:5]}, {6, "P", ab[5 : len(a)+3]}, {uint32(len(a)) + 4, "P", ab[len(a)+3:]}},
			[]string{"2 dns-query a.test", "3 dns-query b.test"}},
		{"retransmission ignored", []seg{{1, "P", a}, {1, "P", a}, {1 + uint32(len(a)), "P", b}},
			[]string{"1 dns-query a.test", "3 dns-query b.test"}},
		{"partial overlap trimmed", []seg{{1, "P", ab[:10]}, {5, "P", ab[4:]}},
			[]string{"2 dns-query a.test", "2 dns-query b.test"}},
		{"gap drops the partial message", []seg{{1, "P", a[:10]}, {1 + uint32(len(a)), "P", b}},
			[]string{"2 dns-query b.test"}},
		{"syn then data", []seg{{99, "S", nil}, {100, "P", a}},
			[]string{"2 dns-query a.test"}},
		{"fin ends the stream", []seg{{1, "PF", a[:10]}, {1000, "P", b}},
			[]string{"2 dns-query b.test"}},
		{"rst ends the stream", []seg{{1, "P", a[:10]}, {11, "R", nil}, {11, "P", a[10:]}},
			nil},
		{"sequence wrap", []seg{{0xfffffffe, "P", a[:4]}, {2, "P", a[4:]}},
			[]string{"2 dns-query a.test"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var frames [][]byte
			for _, s := range tt.segs {
				frames = append(frames, tcpPacket(t, cli, srv, s.seq, s.flags, s.payload))
			}
			recs, _ := collect(t, Options{}, layers.LinkTypeRaw, frames...)
			if got := short(recs); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStreamsCapped(t *testing.T) {
	var s streams
	var p packet.Parsed
	for i := 0; i < maxStreams+50; i++ {
		src := fmt.Sprintf("10.0.%d.%d:1000", i/250, i%250+1)
		p.Decode(tcpPacket(t, src, "10.9.9.9:53", 1, "P", []byte{0, 9, 1})) // an incomplete message
		f := flowOf(&p)
		if err := s.feed(f, &p, func([]byte) (int, error) { return 0, nil }); err != nil {
			t.Fatal(err)
		}
		if len(s.m) > maxStreams {
			t.Fatalf("%d streams followed, cap %d", len(s.m), maxStreams)
		}
	}
	// The least recently used went first: the newest is still there.
	if _, ok := s.m[flowOf(&p)]; !ok {
		t.Error("newest stream evicted")
	}
}

func TestStreamBufferCapped(t *testing.T) {
	// A length prefix of 0xffff followed by 70000 bytes that never complete
	// a message (each segment restarts after a gap) must not grow the buffer
	// past one message.
	var s streams
	var p packet.Parsed
	chunk := make([]byte, 1400)
	chunk[0], chunk[1] = 0xff, 0xff
	seq := uint32(1)
	for i := 0; i < 60; i++ {
		p.Decode(tcpPacket(t, "10.0.0.2:5000", "10.0.0.1:53", seq, "P", chunk))
		seq += uint32(len(chunk))
		s.feed(flowOf(&p), &p, func([]byte) (int, error) { return 0, nil })
		if st := s.m[flowOf(&p)]; st != nil && len(st.buf) > maxStreamBuf {
			t.Fatalf("buffer %d bytes, cap %d", len(st.buf), maxStreamBuf)
		}
	}
}

// fragments splits an IP packet's payload (after a 20-byte IPv4 header)
// into IPv4 fragments of at most size payload bytes (a multiple of 8).
func fragments4(tb testing.TB, pkt []byte, size int) [][]byte {
	tb.Helper()
	hdr, data := pkt[:20], pkt[20:]
	var out [][]byte
	for off := 0; off < len(data); off += size {
		end := min(off+size, len(data))
		f := append(append([]byte{}, hdr...), data[off:end]...)
		total := 20 + end - off
		f[2], f[3] = byte(total>>8), byte(total)
		fo := off / 8
		if end < len(data) {
			fo |= 0x2000
		}
		f[4], f[5] = 0x12, 0x34 // identification
		f[6], f[7] = byte(fo>>8), byte(fo)
		out = append(out, f)
	}
	return out
}

// fragments6 splits an IPv6 packet's payload into pieces with fragment
// headers.
func fragments6(tb testing.TB, pkt []byte, size int) [][]byte {
	tb.Helper()
	hdr, data := pkt[:40], pkt[40:]
	next := hdr[6]
	var out [][]byte
	for off := 0; off < len(data); off += size {
		end := min(off+size, len(data))
		f := append([]byte{}, hdr...)
		f[6] = 44
		fo := uint16(off)
		if end < len(data) {
			fo |= 1
		}
		f = append(f, next, 0, byte(fo>>8), byte(fo), 0xca, 0xfe, 0xba, 0xbe)
		f = append(f, data[off:end]...)
		plen := len(f) - 40
		f[4], f[5] = byte(plen>>8), byte(plen)
		out = append(out, f)
	}
	return out
}

func TestDefrag(t *testing.T) {
	resp := dnsMsg(t, 7, true, "a-rather-long-name-to-need-several-fragments.example.com")
	v4 := udpPacket(t, "192.0.2.53:53", "192.0.2.1:40000", resp)
	v6 := udpPacket(t, "[2001:db8::53]:53", "[2001:db8::1]:40000", resp)
	f4, f6 := fragments4(t, v4, 24), fragments6(t, v6, 24)
	if len(f4) < 3 || len(f6) < 3 {
		t.Fatalf("want at least 3 fragments, got %d, %d", len(f4), len(f6))
	}
	rev := func(fs [][]byte) [][]byte { r := slices.Clone(fs); slices.Reverse(r); return r }
	dup := append(slices.Clone(f4[:2]), f4[1:]...)
	overlap := slices.Clone(f4)
	overlap[1] = append([]byte{}, f4[1]...)
	overlap[1][7]-- // starts 8 bytes early: overlaps the first piece
	name := "a-rather-long-name-to-need-several-fragments.example.com"
	tests := []struct {
		name   string
		frames [][]byte
		want   []string
	}{
		{"ipv4 in order", f4, []string{fmt.Sprintf("%d dns-response %s", len(f4), name)}},
		{"ipv4 reversed", rev(f4), []string{fmt.Sprintf("%d dns-response %s", len(f4), name)}},
		{"ipv4 missing piece", append(slices.Clone(f4[:1]), f4[2:]...), nil},
		{"ipv4 duplicate piece drops the datagram", dup, nil},
		{"ipv4 overlapping piece drops the datagram", overlap, nil},
		{"ipv6 in order", f6, []string{fmt.Sprintf("%d dns-response %s", len(f6), name)}},
		{"ipv6 reversed", rev(f6), []string{fmt.Sprintf("%d dns-response %s", len(f6), name)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, st := collect(t, Options{}, layers.LinkTypeRaw, tt.frames...)
			if got := short(recs); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if st.Fragments != len(tt.frames) {
				t.Errorf("Fragments = %d, want %d", st.Fragments, len(tt.frames))
			}
		})
	}
}

func TestDefragCapped(t *testing.T) {
	var d defrag
	var p packet.Parsed
	pkt := udpPacket(t, "192.0.2.53:53", "192.0.2.1:40000", make([]byte, 64))
	first := fragments4(t, pkt, 32)[0]
	for i := 0; i < maxDatagrams+20; i++ {
		f := append([]byte{}, first...)
		f[4], f[5] = byte(i>>8), byte(i) // a new datagram each time, never completed
		p.Decode(f)
		if d.add(&p) != nil {
			t.Fatal("incomplete datagram returned")
		}
		if len(d.m) > maxDatagrams {
			t.Fatalf("%d datagrams pending, cap %d", len(d.m), maxDatagrams)
		}
	}
	// Too many pieces drop the datagram.
	var d2 defrag
	for i := 0; i < maxPieces+1; i++ {
		f := append([]byte{}, first...)
		f[6], f[7] = 0x20, byte(i*4) // more fragments, offsets 0, 32, 64, …: all distinct
		p.Decode(f)
		d2.add(&p)
	}
	if len(d2.m) != 0 {
		t.Errorf("datagram with %d pieces kept", maxPieces+1)
	}
}
