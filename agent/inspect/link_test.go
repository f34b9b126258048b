package inspect

import (
	"bytes"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

func TestNetworkLayer(t *testing.T) {
	ip4 := udpPacket(t, "192.0.2.1:40000", "192.0.2.53:53", []byte("x"))
	ip6 := udpPacket(t, "[2001:db8::1]:40000", "[2001:db8::35]:53", []byte("x"))
	tests := []struct {
		name string
		lt   layers.LinkType
		hdr  string // link header, hex with comments
		ip   []byte // what follows it
		ok   bool
	}{
		{"ethernet ipv4", layers.LinkTypeEthernet, `02 00 00 00 00 02 02 00 00 00 00 01  08 00`, ip4, true},
		{"ethernet ipv6", layers.LinkTypeEthernet, `02 00 00 00 00 02 02 00 00 00 00 01  86 dd`, ip6, true},
		{"ethernet vlan", layers.LinkTypeEthernet, `
02 00 00 00 00 02 02 00 00 00 00 01
81 00 00 64   # 802.1Q, VLAN 100
08 00         # IPv4`, ip4, true},
		{"ethernet qinq", layers.LinkTypeEthernet, `
02 00 00 00 00 02 02 00 00 00 00 01
88 a8 00 0a   # 802.1ad outer tag, VLAN 10
81 00 00 64   # 802.1Q inner tag, VLAN 100
86 dd         # IPv6`, ip6, true},
		{"ethernet pppoe", layers.LinkTypeEthernet, `
02 00 00 00 00 02 02 00 00 00 00 01
88 64         # PPPoE session
11 00 00 01 00 20   # version/type, code 0, session 1, length
00 21         # PPP: IPv4`, ip4, true},
		{"ethernet mpls", layers.LinkTypeEthernet, `
02 00 00 00 00 02 02 00 00 00 00 01
88 47         # MPLS unicast
00 01 00 40   # label 16, not bottom of stack
00 01 11 40   # label 17, bottom of stack`, ip4, true},
		{"ethernet arp", layers.LinkTypeEthernet, `02 00 00 00 00 02 02 00 00 00 00 01  08 06`, ip4, false},
		{"ethernet short", layers.LinkTypeEthernet, `02 00 00 00 00 02 02 00 00 00 00`, nil, false},
		{"raw 101 ipv4", layers.LinkTypeRaw, ``, ip4, true},
		{"raw 12 ipv6", linkTypeRawOpenBSD, ``, ip6, true},
		{"raw 14 ipv4", linkTypeRawBSDOS, ``, ip4, true},
		{"ipv4 228", layers.LinkTypeIPv4, ``, ip4, true},
		{"ipv6 229", layers.LinkTypeIPv6, ``, ip6, true},
		{"raw garbage", layers.LinkTypeRaw, `ff`, nil, false},
		{"linux sll", layers.LinkTypeLinuxSLL, `
00 00 00 01 00 06   # outgoing, ARPHRD_ETHER, address length 6
02 00 00 00 00 01 00 00   # address, padded
08 00               # IPv4`, ip4, true},
		{"linux sll2", layers.LinkTypeLinuxSLL2, `
86 dd 00 00         # IPv6, reserved
00 00 00 02         # interface index
00 01 00 06         # ARPHRD_ETHER, packet type, address length
02 00 00 00 00 01 00 00`, ip6, true},
		{"null little-endian ipv4", layers.LinkTypeNull, `02 00 00 00`, ip4, true},
		{"null big-endian ipv6 (darwin)", layers.LinkTypeNull, `00 00 00 1e`, ip6, true},
		{"loop ipv6 (freebsd)", layers.LinkTypeLoop, `00 00 00 1c`, ip6, true},
		{"null unknown family", layers.LinkTypeNull, `07 00 00 00`, ip4, false},
		{"ppp with address and control", layers.LinkTypePPP, `ff 03 00 21`, ip4, true},
		{"ppp without", layers.LinkTypePPP, `00 57`, ip6, true},
		{"ppp compressed protocol", layers.LinkTypePPP, `21`, ip4, true},
		{"ppp hdlc", layers.LinkTypePPP_HDLC, `ff 03 00 21`, ip4, true},
		{"ppp lcp", layers.LinkTypePPP, `ff 03 c0 21`, ip4, false},
		{"fddi snap", layers.LinkTypeFDDI, `
50                  # frame control: LLC
02 00 00 00 00 02 02 00 00 00 00 01
aa aa 03 00 00 00   # 802.2 SNAP, OUI 0
08 00               # IPv4`, ip4, true},
		{"fddi not snap", layers.LinkTypeFDDI, `50 02 00 00 00 00 02 02 00 00 00 00 01 42 42 03 00 00 00 08 00`, ip4, false},
		{"802.11 not understood", layers.LinkTypeIEEE802_11, ``, ip4, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frame := append(mustHex(t, tt.hdr), tt.ip...)
			got, ok := networkLayer(frame, tt.lt)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if ok && !bytes.Equal(got, tt.ip) {
				t.Errorf("network layer = %x\nwant %x", got, tt.ip)
			}
			if ok != supported(tt.lt) && tt.ok {
				t.Errorf("supported(%d) = false for a link type read", tt.lt)
			}
		})
	}
}
