package inspect

import (
	"encoding/binary"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/safeinternet/cpe/nfq/packet/pcaptest"
)

// fuzzLinkTypes are the link types FuzzFrames picks from.
var fuzzLinkTypes = []layers.LinkType{layers.LinkTypeRaw, layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL,
	layers.LinkTypeLinuxSLL2, layers.LinkTypeNull, layers.LinkTypeLoop, layers.LinkTypePPP, layers.LinkTypeFDDI}

// FuzzFrames feeds a sequence of frames through one walker, so that TCP
// reassembly (DNS, and ClientHellos and HTTP heads), QUIC flows and
// fragment reassembly see related input, and ends the walk. The input is a
// series of frames, each preceded by its 2-byte length.
func FuzzFrames(f *testing.F) {
	add := func(lt uint8, frames ...[]byte) {
		var in []byte
		for _, fr := range frames {
			in = binary.BigEndian.AppendUint16(in, uint16(len(fr)))
			in = append(in, fr...)
		}
		f.Add(lt, in)
	}
	a := tcpFrame(dnsMsg(f, 1, false, "a.test"))
	add(0, udpPacket(f, "192.0.2.1:4000", "192.0.2.53:53", dnsMsg(f, 1, false, "x.test")))
	add(0, tcpPacket(f, "10.0.0.2:5000", "10.0.0.1:53", 1, "P", a[:5]), tcpPacket(f, "10.0.0.2:5000", "10.0.0.1:53", 6, "P", a[5:]))
	add(0, fragments4(f, udpPacket(f, "192.0.2.53:53", "192.0.2.1:4000", dnsMsg(f, 2, true, "frag.test")), 16)...)
	add(1, ether(udpPacket(f, "[2001:db8::1]:4000", "[2001:db8::53]:53", dnsMsg(f, 3, false, "v6.test"))))
	ch := clientHello(f, "fuzz.test", "h2")
	add(0, segFrames(f, cat(handshake(cli, srv, isn), client(data, ch[:300], ch[300:]), client(data+uint32(len(ch)), []byte{20, 3, 3, 0, 1, 1}, ch)))...)
	add(0, segFrames(f, cat(handshake(cli, web, isn), []seg{{src: cli, dst: web, seq: data, flags: "P", payload: []byte("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")}}))...)
	add(0, udpPacket(f, "10.0.0.2:5000", "10.0.0.9:443", zeroRTT(f)))
	for _, path := range pcaptest.Files(f) {
		pkts := pcaptest.IPPackets(f, path, 8)
		if len(pkts) > 0 {
			add(0, pkts...)
		}
	}
	f.Fuzz(func(t *testing.T, lt uint8, in []byte) {
		w := newWalker(Options{}, func(r Record) error {
			if r.Frame < 1 || !r.Flow.Src.IsValid() || !r.Flow.Dst.IsValid() {
				t.Fatalf("bad record %+v", r)
			}
			if r.Err != "" && (r.Name != "" || r.Hello != nil) {
				t.Fatalf("error record with a name %+v", r)
			}
			if _, err := r.MarshalJSON(); err != nil {
				t.Fatal(err)
			}
			return nil
		})
		link := fuzzLinkTypes[int(lt)%len(fuzzLinkTypes)]
		for n := 1; len(in) >= 2; n++ {
			l := min(int(binary.BigEndian.Uint16(in)), len(in)-2)
			if err := w.frame(n, in[2:2+l], link); err != nil {
				t.Fatal(err)
			}
			in = in[2+l:]
		}
		if err := w.finish(); err != nil {
			t.Fatal(err)
		}
		if len(w.frags.m) > maxDatagrams {
			t.Fatalf("%d datagrams pending", len(w.frags.m))
		}
		for _, x := range w.extractors {
			switch x := x.(type) {
			case *tcpExtractor:
				if len(x.flows.m) > maxTCPFlows || x.held.len() > maxTCPBuffers {
					t.Fatalf("tcp: %d flows, %d buffers", len(x.flows.m), x.held.len())
				}
			case *quicExtractor:
				if len(x.flows.m) > maxQUICFlows || x.held.len() > maxQUICReaders {
					t.Fatalf("quic: %d flows, %d readers", len(x.flows.m), x.held.len())
				}
			}
		}
	})
}
