package packet

import "strconv"

// Proto is an IP protocol number (IPv4 protocol field, IPv6 final next
// header). Numbers without a constant here are kept as they are.
type Proto uint8

// Protocols the package knows by name. Unknown (0) is what Decode reports
// when it cannot tell; IPv6 hop-by-hop (also 0 on the wire) is never reported,
// because it is walked past.
const (
	Unknown Proto = 0
	ICMP    Proto = 1
	TCP     Proto = 6
	UDP     Proto = 17
	ICMPv6  Proto = 58
)

// String returns the lowercase protocol name, or the number for protocols
// without a constant.
func (p Proto) String() string {
	switch p {
	case Unknown:
		return "unknown"
	case ICMP:
		return "icmp"
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	case ICMPv6:
		return "icmpv6"
	}
	return "proto-" + strconv.Itoa(int(p))
}

// TCP header flags, as in byte 13 of the TCP header.
const (
	TCPFin uint8 = 0x01
	TCPSyn uint8 = 0x02
	TCPRst uint8 = 0x04
	TCPPsh uint8 = 0x08
	TCPAck uint8 = 0x10
	TCPUrg uint8 = 0x20
	TCPEce uint8 = 0x40
	TCPCwr uint8 = 0x80
)

// IPv6 extension headers walked by Decode.
const (
	ipv6HopByHop = 0
	ipv6Routing  = 43
	ipv6Fragment = 44
	ipv6AH       = 51
	ipv6DestOpts = 60
)

// maxExtHeaders bounds the IPv6 extension header walk. A real packet carries
// at most a handful; a longer chain is treated as undecodable, so a crafted
// chain cannot hide the transport header or cost unbounded work.
const maxExtHeaders = 8
