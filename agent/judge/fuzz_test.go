package judge

import (
	"testing"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/safeinternet/cpe/nfq/dns"
	"github.com/safeinternet/cpe/nfq/packet"
	"github.com/safeinternet/cpe/nfq/packet/pcaptest"
	"github.com/safeinternet/cpe/nfq/queue"
)

// FuzzHandle feeds arbitrary packets through the whole per-packet path
// (decode → DNS → decide → answer) without the queue's panic recovery: any
// panic is a bug. Answers the handler sends must decode as IP packets.
func FuzzHandle(f *testing.F) {
	f.Add(udpQuery(f, "192.168.50.10", "192.168.50.1", "www.games.test.", dnsmessage.TypeA))
	f.Add(tcpQuery(f, "fd50::10", "fd50::1", "games.test."))
	for _, path := range pcaptest.Files(f) {
		for _, p := range pcaptest.IPPackets(f, path, 20) {
			f.Add(p)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, mode := range []dns.BlockMode{dns.NXDomain, dns.Null} {
			h, sent := newTestHandler(t, mode)
			v := h.handle(&queue.Packet{Payload: b, HwAddr: macA, HasHwAddr: true, InIndex: 1})
			for _, s := range sent.got {
				var p packet.Parsed
				p.Decode(s.pkt)
				if !p.Valid() || !p.ChecksumOK() {
					t.Fatalf("sent an invalid packet % x", s.pkt)
				}
			}
			if v.Payload != nil {
				var p packet.Parsed
				p.Decode(v.Payload)
				if !p.Valid() || !p.ChecksumOK() {
					t.Fatalf("rewrote into an invalid packet % x", v.Payload)
				}
			}
		}
	})
}
