package packet

import (
	"encoding/binary"
	"net/netip"
)

// Parsed is the decoded form of one IP packet. The zero value is an
// undecodable packet. Decode overwrites every field.
//
// Fields are filled in layers, each only when the one below it decoded:
//   - IPVersion 0: nothing else is set.
//   - IPVersion 4 or 6: Src, Dst, TTL, IPHeaderLen and Length are set;
//     IPProto is the transport protocol, or Unknown when an IPv6 extension
//     header chain could not be walked. When the IP header claims more bytes
//     than the buffer holds (a truncated copy), the transport header is not
//     decoded.
//   - Fragment: the packet is one piece of a fragmented datagram. For the
//     first piece the ports (and TCP fields) are read if present, but they
//     are not trusted and Valid is false; later pieces carry no transport
//     header at all.
//   - Valid: a whole TCP or UDP packet whose header lengths are consistent;
//     ports, TCP fields and Payload can be used.
type Parsed struct {
	b []byte // the packet, trimmed to its IP length; Payload slices it

	// IPVersion is 4, 6, or 0 when the IP header is not decodable.
	IPVersion uint8
	// IPProto is the transport protocol (after IPv6 extension headers).
	IPProto Proto
	// Src and Dst are the IP addresses (IPv4 addresses are 4-byte Addrs).
	Src, Dst netip.Addr
	// SrcPort and DstPort are set for TCP and UDP only.
	SrcPort, DstPort uint16
	// TCPFlags, Seq, Ack and Window are set for TCP only.
	TCPFlags uint8
	Seq, Ack uint32
	Window   uint16
	// TTL is the IPv4 TTL or the IPv6 hop limit.
	TTL uint8
	// Fragment is true for any piece of a fragmented datagram (first or
	// later); an IPv6 atomic fragment (offset 0, no more fragments) is not a
	// fragment.
	Fragment bool

	// IPHeaderLen is the IPv4 header length with options, or 40 for IPv6.
	IPHeaderLen int
	// L4Offset is where the transport header starts: IPHeaderLen for IPv4,
	// after the extension headers for IPv6. 0 when not decoded.
	L4Offset int
	// PayloadOffset and PayloadLen locate the TCP or UDP payload in the
	// buffer given to Decode. Set only when Valid.
	PayloadOffset, PayloadLen int
	// Length is the IP datagram length from the header (IPv4 total length,
	// IPv6 40 + payload length); bytes past it (link padding) are ignored.
	Length int

	valid   bool
	fragHdr int // IPv6: offset of the fragment header, when Fragment
}

// Decode decodes the IP packet in b into p, replacing all of p's previous
// contents. It never allocates and never panics.
//
// p keeps a reference to b until the next Decode: Payload returns a
// sub-slice of it. The caller must not modify b while it still uses p's
// payload, and b must not be reused for another packet before then.
func (p *Parsed) Decode(b []byte) {
	*p = Parsed{}
	if len(b) < 1 {
		return
	}
	switch b[0] >> 4 {
	case 4:
		p.decode4(b)
	case 6:
		p.decode6(b)
	}
}

func (p *Parsed) decode4(b []byte) {
	if len(b) < 20 {
		return
	}
	ihl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if ihl < 20 || ihl > len(b) || total < ihl {
		return
	}
	p.IPVersion = 4
	p.IPHeaderLen = ihl
	p.Length = total
	p.TTL = b[8]
	p.IPProto = Proto(b[9])
	p.Src = netip.AddrFrom4([4]byte(b[12:16]))
	p.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	if total > len(b) {
		return // truncated copy: no transport header
	}
	b = b[:total]
	p.b = b

	frag := binary.BigEndian.Uint16(b[6:8])
	moreFragments := frag&0x2000 != 0
	offset := frag & 0x1fff
	if moreFragments || offset != 0 {
		p.Fragment = true
		if offset != 0 {
			return // a later piece: no transport header here
		}
	}
	p.decodeL4(b, ihl)
}

func (p *Parsed) decode6(b []byte) {
	if len(b) < 40 {
		return
	}
	total := 40 + int(binary.BigEndian.Uint16(b[4:6]))
	p.IPVersion = 6
	p.IPHeaderLen = 40
	p.Length = total
	p.TTL = b[7]
	p.Src = netip.AddrFrom16([16]byte(b[8:24]))
	p.Dst = netip.AddrFrom16([16]byte(b[24:40]))
	next := b[6]
	if total > len(b) {
		p.IPProto = Proto(next)
		if isExtHeader(next) {
			p.IPProto = Unknown
		}
		return // truncated copy: no transport header
	}
	b = b[:total]
	p.b = b

	off := 40
	for i := 0; ; i++ {
		if !isExtHeader(next) {
			break
		}
		if i == maxExtHeaders || off+8 > len(b) {
			return // IPProto stays Unknown
		}
		var n int
		switch next {
		case ipv6Fragment:
			n = 8
			fo := binary.BigEndian.Uint16(b[off+2 : off+4])
			offset, more := fo>>3, fo&1 != 0
			if offset != 0 || more {
				p.Fragment = true
				p.fragHdr = off
			}
			if offset != 0 {
				p.IPProto = Proto(b[off])
				if isExtHeader(b[off]) {
					p.IPProto = Unknown
				}
				return // a later piece: no transport header here
			}
		case ipv6AH:
			n = (int(b[off+1]) + 2) * 4
		default: // hop-by-hop, routing, destination options
			n = (int(b[off+1]) + 1) * 8
		}
		next = b[off]
		off += n
		if off > len(b) {
			return
		}
	}
	p.IPProto = Proto(next)
	p.decodeL4(b, off)
}

func isExtHeader(next uint8) bool {
	switch next {
	case ipv6HopByHop, ipv6Routing, ipv6Fragment, ipv6AH, ipv6DestOpts:
		return true
	}
	return false
}

// decodeL4 decodes the TCP or UDP header at b[off:]; b is trimmed to the IP
// length.
func (p *Parsed) decodeL4(b []byte, off int) {
	p.L4Offset = off
	l4 := b[off:]
	switch p.IPProto {
	case TCP:
		if len(l4) < 20 {
			return
		}
		p.SrcPort = binary.BigEndian.Uint16(l4[0:2])
		p.DstPort = binary.BigEndian.Uint16(l4[2:4])
		p.Seq = binary.BigEndian.Uint32(l4[4:8])
		p.Ack = binary.BigEndian.Uint32(l4[8:12])
		p.TCPFlags = l4[13]
		p.Window = binary.BigEndian.Uint16(l4[14:16])
		doff := int(l4[12]>>4) * 4
		if p.Fragment || doff < 20 || doff > len(l4) {
			return
		}
		p.PayloadOffset = off + doff
		p.PayloadLen = len(l4) - doff
		p.valid = true
	case UDP:
		if len(l4) < 8 {
			return
		}
		p.SrcPort = binary.BigEndian.Uint16(l4[0:2])
		p.DstPort = binary.BigEndian.Uint16(l4[2:4])
		ulen := int(binary.BigEndian.Uint16(l4[4:6]))
		if p.Fragment || ulen < 8 || ulen > len(l4) {
			return
		}
		p.PayloadOffset = off + 8
		p.PayloadLen = ulen - 8
		p.valid = true
	}
}

// Valid reports whether p holds a whole (not fragmented), consistent TCP or
// UDP packet: its ports, TCP fields and Payload can be trusted.
func (p *Parsed) Valid() bool { return p.valid }

// Payload returns the TCP or UDP payload, or nil when p is not Valid or the
// payload is empty. The result aliases the buffer given to Decode (its
// capacity ends with the payload, so appending to it copies).
func (p *Parsed) Payload() []byte {
	if !p.valid || p.PayloadLen == 0 {
		return nil
	}
	end := p.PayloadOffset + p.PayloadLen
	return p.b[p.PayloadOffset:end:end]
}

// Bytes returns the decoded packet trimmed to its IP length (link padding
// removed), or nil when the IP header was not decodable or the copy was
// truncated. It aliases the buffer given to Decode.
func (p *Parsed) Bytes() []byte { return p.b }

// seqSpan is how much sequence space p occupies: payload bytes, plus one
// each for SYN and FIN.
func (p *Parsed) seqSpan() uint32 {
	n := uint32(p.PayloadLen)
	if p.TCPFlags&TCPSyn != 0 {
		n++
	}
	if p.TCPFlags&TCPFin != 0 {
		n++
	}
	return n
}
