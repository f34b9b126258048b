package inspect

import (
	"crypto/tls"
	"encoding/hex"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/safeinternet/cpe/nfq/packet/pcaptest"

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

// tcpPacket builds an IP/TCP segment (no link layer) acknowledging 1.
// flags holds S (SYN), A (ACK), F, R and P; every segment but a lone SYN
// carries ACK.
func tcpPacket(tb testing.TB, src, dst string, seq uint32, flags string, payload []byte) []byte {
	tb.Helper()
	return tcpAck(tb, src, dst, seq, 1, flags, payload)
}

// tcpAck is tcpPacket with the acknowledgement number ack.
func tcpAck(tb testing.TB, src, dst string, seq, ack uint32, flags string, payload []byte) []byte {
	tb.Helper()
	s, d := netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst)
	ip := ipLayer(s.Addr(), d.Addr(), layers.IPProtocolTCP)
	syn := strings.Contains(flags, "S")
	t := &layers.TCP{SrcPort: layers.TCPPort(s.Port()), DstPort: layers.TCPPort(d.Port()), Seq: seq, Window: 1000,
		SYN: syn, FIN: strings.Contains(flags, "F"), RST: strings.Contains(flags, "R"),
		PSH: strings.Contains(flags, "P"), ACK: !syn || strings.Contains(flags, "A")}
	if t.ACK {
		t.Ack = ack
	}
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

// collect walks frames (already with their link layer) through a walker,
// ends the walk as the end of a capture does, and returns the records.
func collect(tb testing.TB, opts Options, lt layers.LinkType, frames ...[]byte) ([]Record, Stats) {
	tb.Helper()
	var recs []Record
	w := newWalker(opts, func(r Record) error { recs = append(recs, r); return nil })
	for i, f := range frames {
		if err := w.frame(i+1, f, lt); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.finish(); err != nil {
		tb.Fatal(err)
	}
	return recs, w.st
}

// short renders records as "frame kind name", followed by " #N" for a
// later ClientHello of a connection and " !error" for an error.
func short(recs []Record) []string {
	var out []string
	for _, r := range recs {
		s := strings.Join([]string{itoa(r.Frame), string(r.Kind), r.Name}, " ")
		if r.Nth > 1 {
			s += " #" + itoa(r.Nth)
		}
		if r.Err != "" {
			s += " !" + r.Err
		}
		out = append(out, s)
	}
	return out
}

// clientHello returns the first flight of a crypto/tls client for
// serverName (one handshake record holding its ClientHello; about 1.8 KB
// with the post-quantum key share Go offers by default), offering alpn.
func clientHello(tb testing.TB, serverName string, alpn ...string) []byte {
	tb.Helper()
	cc, sc := net.Pipe()
	defer sc.Close()
	go func() {
		c := tls.Client(cc, &tls.Config{ServerName: serverName, NextProtos: alpn, InsecureSkipVerify: true})
		c.Handshake() // fails once sc is closed
		cc.Close()
	}()
	var hdr [5]byte
	if _, err := io.ReadFull(sc, hdr[:]); err != nil {
		tb.Fatal(err)
	}
	rec := make([]byte, 5+(int(hdr[3])<<8|int(hdr[4])))
	copy(rec, hdr[:])
	if _, err := io.ReadFull(sc, rec[5:]); err != nil {
		tb.Fatal(err)
	}
	return rec
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}
