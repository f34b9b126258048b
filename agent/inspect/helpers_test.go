package inspect

import (
	"encoding/hex"
	"github.com/safeinternet/cpe/nfq/packet/pcaptest"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/dns/dnsmessage"
)

// mustHex decodes a commented hex fixture (see pcaptest.Hex).
func mustHex(tb testing.TB, s string) []byte { tb.Helper(); return pcaptest.Hex(tb, s) }

// dnsMsg builds a DNS message with one question for name (type A).
func dnsMsg(tb testing.TB, id uint16, response bool, name string) []byte {
	tb.Helper()
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, Response: response, RecursionDesired: true})
	if err := b.StartQuestions(); err != nil {
		tb.Fatal(err)
	}
	if err := b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(name + "."), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}); err != nil {
		tb.Fatal(err)
	}
	msg, err := b.Finish()
	if err != nil {
		tb.Fatal(err)
	}
	return msg
}

// tcpFrame is the 2-byte length prefix DNS over TCP puts before a message.
func tcpFrame(msg []byte) []byte {
	return append([]byte{byte(len(msg) >> 8), byte(len(msg))}, msg...)
}

// ipLayer builds the IP layer for a packet from src to dst.
func ipLayer(src, dst netip.Addr, proto layers.IPProtocol) gopacket.NetworkLayer {
	if src.Is4() {
		return &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: net.IP(src.AsSlice()), DstIP: net.IP(dst.AsSlice())}
	}
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: net.IP(src.AsSlice()), DstIP: net.IP(dst.AsSlice())}
}

func serialize(tb testing.TB, ls ...gopacket.SerializableLayer) []byte {
	tb.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		tb.Fatalf("serialize: %v", err)
	}
	return buf.Bytes()
}

// udpPacket builds an IP/UDP packet (no link layer) from "addr:port" strings.
func udpPacket(tb testing.TB, src, dst string, payload []byte) []byte {
	tb.Helper()
	s, d := netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst)
	ip := ipLayer(s.Addr(), d.Addr(), layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: layers.UDPPort(s.Port()), DstPort: layers.UDPPort(d.Port())}
	u.SetNetworkLayerForChecksum(ip)
	return serialize(tb, ip.(gopacket.SerializableLayer), u, gopacket.Payload(payload))
}

// tcpPacket builds an IP/TCP segment (no link layer).
func tcpPacket(tb testing.TB, src, dst string, seq uint32, flags string, payload []byte) []byte {
	tb.Helper()
	s, d := netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst)
	ip := ipLayer(s.Addr(), d.Addr(), layers.IPProtocolTCP)
	t := &layers.TCP{SrcPort: layers.TCPPort(s.Port()), DstPort: layers.TCPPort(d.Port()), Seq: seq, Window: 1000,
		SYN: strings.Contains(flags, "S"), FIN: strings.Contains(flags, "F"), RST: strings.Contains(flags, "R"),
		PSH: strings.Contains(flags, "P"), ACK: true, Ack: 1}
	t.SetNetworkLayerForChecksum(ip)
	return serialize(tb, ip.(gopacket.SerializableLayer), t, gopacket.Payload(payload))
}

// ether prefixes an IP packet with an Ethernet header.
func ether(ip []byte) []byte {
	et := []byte{0x08, 0x00}
	if ip[0]>>4 == 6 {
		et = []byte{0x86, 0xdd}
	}
	h := mustHexNoTB("02 00 00 00 00 02  02 00 00 00 00 01") // destination, source MAC
	return append(append(h, et...), ip...)
}

func mustHexNoTB(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

// collect walks frames (already with their link layer) through a walker and
// returns the records.
func collect(tb testing.TB, opts Options, lt layers.LinkType, frames ...[]byte) ([]Record, Stats) {
	tb.Helper()
	var recs []Record
	w := newWalker(opts, func(r Record) error { recs = append(recs, r); return nil })
	for i, f := range frames {
		if err := w.frame(i+1, f, lt); err != nil {
			tb.Fatal(err)
		}
	}
	return recs, w.st
}

// short renders records as "frame kind name" for comparison.
func short(recs []Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, strings.Join([]string{itoa(r.Frame), string(r.Kind), r.Name}, " "))
	}
	return out
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}
