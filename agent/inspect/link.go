package inspect

import (
	"encoding/binary"

	"github.com/gopacket/gopacket/layers"
)

// Link types not named in gopacket's layers.
const (
	linkTypeRawOpenBSD = 12 // DLT_RAW as OpenBSD numbers it
	linkTypeRawBSDOS   = 14 // DLT_RAW as BSD/OS numbers it
)

// EtherTypes and PPP protocol numbers followed to an IP header.
const (
	etherIPv4    = 0x0800
	etherIPv6    = 0x86dd
	etherVLAN    = 0x8100
	etherQinQ    = 0x88a8
	etherQinQOld = 0x9100
	etherPPPoE   = 0x8864
	etherMPLS    = 0x8847
	pppIPv4      = 0x0021
	pppIPv6      = 0x0057
)

// maxTags bounds the VLAN tags and MPLS labels walked in one frame.
const maxTags = 8

// networkLayer returns the bytes of frame from its IPv4 or IPv6 header on,
// for the link types a home network capture uses: Ethernet (VLAN and QinQ
// tags, PPPoE sessions, MPLS), raw IP (101, 12, 14, 228, 229), Linux SLL and
// SLL2, BSD null and loopback, PPP and FDDI. ok is false for other link
// types and for frames that carry something other than IP.
func networkLayer(frame []byte, lt layers.LinkType) (ip []byte, ok bool) {
	switch lt {
	case layers.LinkTypeEthernet:
		if len(frame) < 14 {
			return nil, false
		}
		return etherPayload(binary.BigEndian.Uint16(frame[12:14]), frame[14:])
	case layers.LinkTypeRaw, linkTypeRawOpenBSD, linkTypeRawBSDOS, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		return ipByVersion(frame)
	case layers.LinkTypeLinuxSLL: // 16-byte cooked header, protocol last
		if len(frame) < 16 {
			return nil, false
		}
		return etherPayload(binary.BigEndian.Uint16(frame[14:16]), frame[16:])
	case layers.LinkTypeLinuxSLL2: // 20-byte cooked header, protocol first
		if len(frame) < 20 {
			return nil, false
		}
		return etherPayload(binary.BigEndian.Uint16(frame[0:2]), frame[20:])
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		return loopbackPayload(frame)
	case layers.LinkTypePPP, layers.LinkTypePPP_HDLC:
		return pppPayload(frame)
	case layers.LinkTypeFDDI:
		// 13-byte FDDI header, then 802.2 LLC SNAP: AA AA 03, OUI, EtherType.
		if len(frame) < 21 || frame[13] != 0xaa || frame[14] != 0xaa || frame[15] != 0x03 {
			return nil, false
		}
		return etherPayload(binary.BigEndian.Uint16(frame[19:21]), frame[21:])
	}
	return nil, false
}

// supported reports whether networkLayer understands link type lt.
func supported(lt layers.LinkType) bool {
	switch lt {
	case layers.LinkTypeEthernet, layers.LinkTypeRaw, linkTypeRawOpenBSD, linkTypeRawBSDOS,
		layers.LinkTypeIPv4, layers.LinkTypeIPv6, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2,
		layers.LinkTypeNull, layers.LinkTypeLoop, layers.LinkTypePPP, layers.LinkTypePPP_HDLC, layers.LinkTypeFDDI:
		return true
	}
	return false
}

// etherPayload follows an EtherType through tags and encapsulations to IP.
func etherPayload(et uint16, b []byte) ([]byte, bool) {
	for i := 0; i < maxTags; i++ {
		switch et {
		case etherIPv4, etherIPv6:
			return b, len(b) > 0
		case etherVLAN, etherQinQ, etherQinQOld:
			if len(b) < 4 {
				return nil, false
			}
			et, b = binary.BigEndian.Uint16(b[2:4]), b[4:]
		case etherPPPoE: // 6-byte PPPoE header, then a 2-byte PPP protocol
			if len(b) < 8 {
				return nil, false
			}
			return pppProtocol(binary.BigEndian.Uint16(b[6:8]), b[8:])
		case etherMPLS:
			for j := 0; j < maxTags; j++ {
				if len(b) < 4 {
					return nil, false
				}
				bottom := b[2]&1 != 0
				b = b[4:]
				if bottom {
					return ipByVersion(b)
				}
			}
			return nil, false
		default:
			return nil, false
		}
	}
	return nil, false
}

// loopbackPayload reads the BSD null/loopback header: a 4-byte address
// family, in the capturing host's byte order for null (0) and in network
// order for loop (108). Both orders are tried: the family is small.
func loopbackPayload(b []byte) ([]byte, bool) {
	if len(b) < 4 {
		return nil, false
	}
	fam := binary.LittleEndian.Uint32(b[0:4])
	if fam > 0xffff {
		fam = binary.BigEndian.Uint32(b[0:4])
	}
	switch fam {
	case 2: // AF_INET
	case 10, 24, 28, 30: // AF_INET6: Linux, NetBSD/OpenBSD, FreeBSD, Darwin
	default:
		return nil, false
	}
	return ipByVersion(b[4:])
}

// pppPayload reads a PPP frame: optional FF 03 address and control bytes,
// then a 1- or 2-byte protocol field.
func pppPayload(b []byte) ([]byte, bool) {
	if len(b) >= 2 && b[0] == 0xff && b[1] == 0x03 {
		b = b[2:]
	}
	if len(b) < 1 {
		return nil, false
	}
	if b[0]&1 != 0 { // compressed (1-byte) protocol field
		return pppProtocol(uint16(b[0]), b[1:])
	}
	if len(b) < 2 {
		return nil, false
	}
	return pppProtocol(binary.BigEndian.Uint16(b[0:2]), b[2:])
}

func pppProtocol(proto uint16, b []byte) ([]byte, bool) {
	switch proto {
	case pppIPv4, pppIPv6:
		return b, len(b) > 0
	}
	return nil, false
}

// ipByVersion returns b when its first nibble says IPv4 or IPv6.
func ipByVersion(b []byte) ([]byte, bool) {
	if len(b) == 0 {
		return nil, false
	}
	switch b[0] >> 4 {
	case 4, 6:
		return b, true
	}
	return nil, false
}
