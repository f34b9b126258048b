package packet

import (
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// tcpWithOptions builds an IPv4 TCP segment with the given options.
func tcpWithOptions(t testing.TB, opts []layers.TCPOption) []byte {
	t.Helper()
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP,
		SrcIP: net.IPv4(192, 168, 50, 10), DstIP: net.IPv4(10, 99, 0, 2)}
	tcp := &layers.TCP{SrcPort: 40000, DstPort: 443, ACK: true, PSH: true, Seq: 1, Ack: 1, Window: 502, Options: opts}
	tcp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		ip, tcp, gopacket.Payload("hello")); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestTCPOptions(t *testing.T) {
	ts := layers.TCPOption{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10,
		OptionData: []byte{0, 0, 0x12, 0x34, 0, 0, 0, 7}}
	nop := layers.TCPOption{OptionType: layers.TCPOptionKindNop}
	md5 := layers.TCPOption{OptionType: 19, OptionLength: 18, OptionData: make([]byte, 16)}
	ao := layers.TCPOption{OptionType: 29, OptionLength: 16, OptionData: make([]byte, 14)}
	for _, c := range []struct {
		name string
		opts []layers.TCPOption
		want TCPOptions
	}{
		{"none", nil, TCPOptions{}},
		{"timestamps after two NOPs, as Linux sends them", []layers.TCPOption{nop, nop, ts},
			TCPOptions{HasTimestamp: true, TSval: 0x1234, TSecr: 7}},
		{"MD5 signature", []layers.TCPOption{md5, nop, nop}, TCPOptions{Signed: true}},
		{"TCP-AO", []layers.TCPOption{nop, nop, ao}, TCPOptions{Signed: true}},
		{"MD5 and timestamps", []layers.TCPOption{nop, nop, ts, md5}, TCPOptions{Signed: true, HasTimestamp: true, TSval: 0x1234, TSecr: 7}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p Parsed
			p.Decode(tcpWithOptions(t, c.opts))
			if !p.Valid() {
				t.Fatal("not valid")
			}
			if got := p.TCPOptions(); got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
	// An option whose length runs past the header: malformed, what came
	// before it kept.
	b := tcpWithOptions(t, []layers.TCPOption{nop, nop, ts, nop, nop, nop, nop})
	var p Parsed
	p.Decode(b)
	b[p.L4Offset+20+12] = 8 // the first of the trailing NOPs becomes a timestamps option of 8 bytes: past the end
	b[p.L4Offset+20+13] = 10
	if got := p.TCPOptions(); !got.Malformed || !got.HasTimestamp {
		t.Errorf("option past the header: %+v", got)
	}
	if a := testing.AllocsPerRun(100, func() { _ = p.TCPOptions() }); a != 0 {
		t.Errorf("TCPOptions allocates %.0f times", a)
	}
}

func BenchmarkTCPOptions(b *testing.B) {
	var p Parsed
	p.Decode(tcpWithOptions(b, []layers.TCPOption{{OptionType: 1}, {OptionType: 1},
		{OptionType: 8, OptionLength: 10, OptionData: make([]byte, 8)}}))
	b.ReportAllocs()
	for b.Loop() {
		_ = p.TCPOptions()
	}
}
