package packet

import "encoding/binary"

// Checksum returns the Internet checksum (RFC 1071) of b: the ones'
// complement of the ones' complement sum of b's 16-bit big-endian words, an
// odd last byte padded with zero.
func Checksum(b []byte) uint16 {
	return ^fold(sum(b, 0))
}

// sum adds b's 16-bit big-endian words to acc without folding. Summing 32-bit
// words into 64 bits gives the same folded result (end-around carry is
// associative) with half the loop iterations.
func sum(b []byte, acc uint64) uint64 {
	for len(b) >= 4 {
		acc += uint64(binary.BigEndian.Uint32(b))
		b = b[4:]
	}
	if len(b) >= 2 {
		acc += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint64(b[0]) << 8
	}
	return acc
}

// fold reduces acc to 16 bits with end-around carry.
func fold(acc uint64) uint16 {
	for acc>>16 != 0 {
		acc = acc&0xffff + acc>>16
	}
	return uint16(acc)
}

// pseudoSum is the sum of the TCP/UDP pseudo-header for a segment of length
// n: both addresses, the protocol and the length.
func pseudoSum(src, dst []byte, proto Proto, n int) uint64 {
	acc := sum(src, 0)
	acc = sum(dst, acc)
	return acc + uint64(proto) + uint64(n)
}

// ChecksumOK reports whether the IP packet b carries correct checksums: the
// IPv4 header checksum, and the TCP or UDP checksum over the pseudo-header
// when the transport header is decodable. A UDP checksum of zero means "none"
// over IPv4 and is accepted; over IPv6 it is rejected (RFC 8200). For a
// fragment only the IPv4 header can be checked. An undecodable or truncated
// packet is not OK. Packets generated on the router itself may carry partial
// (offloaded) checksums and fail this check; forwarded packets do not.
func ChecksumOK(b []byte) bool {
	var p Parsed
	p.Decode(b)
	return p.ChecksumOK()
}

// ChecksumOK is ChecksumOK for the packet last given to Decode.
func (p *Parsed) ChecksumOK() bool {
	b := p.b
	if b == nil {
		return false
	}
	if p.IPVersion == 4 && fold(sum(b[:p.IPHeaderLen], 0)) != 0xffff {
		return false
	}
	if p.Fragment {
		return true
	}
	if !p.valid {
		return p.IPProto != TCP && p.IPProto != UDP
	}
	seg := b[p.L4Offset : p.PayloadOffset+p.PayloadLen]
	if p.IPProto == UDP && binary.BigEndian.Uint16(seg[6:8]) == 0 {
		return p.IPVersion == 4
	}
	src, dst := p.addrBytes(b)
	return fold(sum(seg, pseudoSum(src, dst, p.IPProto, len(seg)))) == 0xffff
}

// addrBytes returns the source and destination address bytes within b.
func (p *Parsed) addrBytes(b []byte) (src, dst []byte) {
	if p.IPVersion == 4 {
		return b[12:16], b[16:20]
	}
	return b[8:24], b[24:40]
}
