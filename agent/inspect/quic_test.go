package inspect

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/safeinternet/cpe/nfq/packet"
	"github.com/safeinternet/cpe/nfq/packet/pcaptest"
	"github.com/safeinternet/cpe/nfq/quic"
	"github.com/safeinternet/cpe/nfq/quic/quictest"
	"github.com/safeinternet/cpe/nfq/reading"
)

// zeroRTT returns a QUIC v1 long header 0-RTT packet: no keys are needed
// to see that it is not an Initial.
func zeroRTT(tb testing.TB) []byte {
	return mustHex(tb, `
		d0 00000001          # long header, type 0-RTT; version 1
		08 0102030405060708  # DCID
		00                   # SCID: empty
		40 20                # length: 32
		00000000000000000000000000000000 00000000000000000000000000000000  # packet number and payload
	`)
}

// quicClientDatagrams returns the IP packets of path that carry UDP to
// port 443, in capture order.
func quicClientDatagrams(tb testing.TB, path string) [][]byte {
	tb.Helper()
	if _, err := os.Stat(path); err != nil {
		tb.Skipf("%s absent", path)
	}
	var out [][]byte
	var p packet.Parsed
	for _, ip := range pcaptest.IPPackets(tb, path, 0) {
		p.Decode(ip)
		if p.Valid() && p.IPProto == packet.UDP && p.DstPort == 443 {
			out = append(out, ip)
		}
	}
	return out
}

func TestQUICFlows(t *testing.T) {
	dir := pcaptest.DataDir(t)
	// mastodon.social's ClientHello in two Initials, CRYPTO frames out
	// of order (tshark: frames 1 and 2).
	captured := quicClientDatagrams(t, filepath.Join(dir, "suricata-verify", "quic-frag-unordered", "input.pcap"))
	if len(captured) < 2 {
		t.Fatalf("%d client datagrams", len(captured))
	}
	const c, s = "192.168.0.5:52755", "151.101.129.91:443"
	junk := func(n int, src, dst string) [][]byte {
		var out [][]byte
		for i := range n {
			out = append(out, udpPacket(t, src, dst, []byte(fmt.Sprintf("not quic %d", i))))
		}
		return out
	}
	// Initials sealed from crypto/tls's QUIC ClientHello.
	ch, err := quictest.Hello("sealed.test")
	if err != nil {
		t.Fatal(err)
	}
	sealed := func(dst string, o quictest.Options) [][]byte {
		dgrams, err := quictest.Initials(ch, o)
		if err != nil {
			t.Fatal(err)
		}
		var out [][]byte
		for _, d := range dgrams {
			out = append(out, udpPacket(t, "10.0.0.2:6000", dst, d))
		}
		return out
	}
	sealedAs := func(dst, name string, o quictest.Options) [][]byte {
		h, err := quictest.Hello(name)
		if err != nil {
			t.Fatal(err)
		}
		dgrams, err := quictest.Initials(h, o)
		if err != nil {
			t.Fatal(err)
		}
		var out [][]byte
		for _, d := range dgrams {
			out = append(out, udpPacket(t, "10.0.0.2:6000", dst, d))
		}
		return out
	}
	bad := []byte("conflicting bytes")
	rev := slices.Clone(captured[:2])
	slices.Reverse(rev)
	notInitial := "quic: parse header: not a quic v1/v2 initial packet: short header"
	tests := []struct {
		name   string
		frames [][]byte
		want   []string
	}{
		{"captured Initials", captured[:2], []string{"2 quic mastodon.social"}},
		{"captured Initials reversed", rev, []string{"2 quic mastodon.social"}},
		{"a 0-RTT datagram before the Initials is passed over",
			slices.Concat([][]byte{udpPacket(t, c, s, zeroRTT(t))}, captured[:2]),
			[]string{"3 quic mastodon.social"}},
		{"v1, three Initials", sealed("10.0.0.9:443", quictest.Options{Initials: 3, Padding: true}),
			[]string{"3 quic sealed.test"}},
		{"v2, two Initials", sealed("10.0.0.9:443", quictest.Options{Version: quic.Version2, Initials: 2, Padding: true}),
			[]string{"2 quic sealed.test"}},
		{"another port, found by the Initial header", sealed("10.0.0.9:4433", quictest.Options{Initials: 2, Padding: true}),
			[]string{"2 quic sealed.test"}},
		{"the server's Initial on another port is not a client flow",
			slices.Concat(sealed("10.0.0.9:4433", quictest.Options{Initials: 1, Padding: true}),
				[][]byte{udpPacket(t, "10.0.0.9:4433", "10.0.0.2:6000", captured[0][28:])}), // a v1 Initial from the server's side
			[]string{"1 quic sealed.test"}},
		{"conflicting CRYPTO bytes end the flow",
			sealed("10.0.0.9:443", quictest.Options{Initials: 2, Padding: true, Overlap: bad, OverlapAt: 10}),
			[]string{"1 quic  !quic: crypto frame: conflicting crypto data: at offset 10"}},
		{"unpadded Initials are discarded by servers: not read",
			sealed("10.0.0.9:443", quictest.Options{Initials: 2}), nil},
		{"a first Initial with a DCID under 8 bytes is discarded by servers: not read",
			sealed("10.0.0.9:443", quictest.Options{Padding: true, DCID: []byte{1, 2, 3, 4}}), nil},
		{"not QUIC on port 443: unreadable at its first datagram, as in the packet path",
			junk(3, "10.0.0.2:5000", "10.0.0.9:443"),
			[]string{"1 quic  !" + notInitial}},
		{"0-RTT packets only: read up to the datagram bound",
			slices.Repeat([][]byte{udpPacket(t, c, s, zeroRTT(t))}, reading.MaxDatagrams+2),
			[]string{fmt.Sprintf("%d quic  !%s", reading.MaxDatagrams, reading.ErrDatagrams)}},
		{"0-RTT packets only: the capture ends",
			slices.Repeat([][]byte{udpPacket(t, c, s, zeroRTT(t))}, 3),
			[]string{"3 quic  !" + errHelloCut}},
		{"a short header packet after the first Initial: unreadable",
			[][]byte{captured[0], udpPacket(t, c, s, append([]byte{0x40}, make([]byte, 1199)...))},
			[]string{"2 quic  !" + notInitial}},
		{"a read flow: its Initials again give nothing",
			slices.Concat(captured[:2], captured[:2]),
			[]string{"2 quic mastodon.social"}},
		{"a read flow: a new connection on its ports is read again",
			slices.Concat(sealed("10.0.0.9:443", quictest.Options{Initials: 2, Padding: true}),
				sealedAs("10.0.0.9:443", "again.test", quictest.Options{Initials: 2, Padding: true, DCID: []byte{7, 7, 7, 7, 7, 7, 7, 7}})),
			[]string{"2 quic sealed.test", "4 quic again.test"}},
		{"datagrams from port 443 are a server's",
			junk(3, "10.0.0.9:443", "10.0.0.2:5000"), nil},
		{"other UDP ports: only Initials start a flow",
			junk(3, "10.0.0.2:5000", "10.0.0.9:4433"), nil},
		{"DNS ports are left to DNS",
			[][]byte{udpPacket(t, "10.0.0.2:53", "10.0.0.9:443", []byte("x"))}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, _ := collect(t, Options{}, layers.LinkTypeRaw, tt.frames...)
			if got := short(recs); !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestQUICCaps(t *testing.T) {
	var st Stats
	x := newQUICExtractor(&st, func(*packet.Parsed) bool { return false })
	var p packet.Parsed
	emit := func(r Record) error { return nil }
	for i := range maxQUICFlows + 100 {
		src := fmt.Sprintf("10.%d.%d.%d:40000", i>>16&0xff, i>>8&0xff, i&0xff)
		p.Decode(udpPacket(t, src, "10.9.9.9:443", zeroRTT(t)))
		if err := x.packet(i+1, &p, emit); err != nil {
			t.Fatal(err)
		}
		if len(x.flows.m) > maxQUICFlows || x.held.len() > maxQUICReaders {
			t.Fatalf("after %d flows: %d followed (cap %d), %d readers (cap %d)", i+1, len(x.flows.m), maxQUICFlows, x.held.len(), maxQUICReaders)
		}
	}
	if st.Evicted == 0 {
		t.Error("nothing evicted")
	}
}
