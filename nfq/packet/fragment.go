package packet

import "encoding/binary"

// FragmentInfo describes one piece of a fragmented IP datagram, for tools
// that reassemble (the netfilter queue sees datagrams after the kernel has
// reassembled them, so the packet path never needs this).
type FragmentInfo struct {
	// ID is the datagram's identification (16 bits for IPv4, 32 for IPv6).
	ID uint32
	// Offset is the piece's byte offset in the datagram's fragmentable part.
	Offset int
	// More is true unless this is the last piece.
	More bool
	// Next is the protocol of what the reassembled data starts with: the
	// IPv4 protocol, or the IPv6 fragment header's next header.
	Next Proto
	// Data is the piece's bytes; it aliases the buffer given to Decode.
	Data []byte
}

// FragmentInfo returns the fragment fields of the packet last given to
// Decode. ok is false unless p.Fragment is true.
func (p *Parsed) FragmentInfo() (f FragmentInfo, ok bool) {
	if !p.Fragment || p.b == nil {
		return FragmentInfo{}, false
	}
	b := p.b
	if p.IPVersion == 4 {
		fo := binary.BigEndian.Uint16(b[6:8])
		return FragmentInfo{
			ID:     uint32(binary.BigEndian.Uint16(b[4:6])),
			Offset: int(fo&0x1fff) * 8,
			More:   fo&0x2000 != 0,
			Next:   Proto(b[9]),
			Data:   b[p.IPHeaderLen:],
		}, true
	}
	h := b[p.fragHdr : p.fragHdr+8] // checked by decode6
	fo := binary.BigEndian.Uint16(h[2:4])
	return FragmentInfo{
		ID:     binary.BigEndian.Uint32(h[4:8]),
		Offset: int(fo &^ 7),
		More:   fo&1 != 0,
		Next:   Proto(h[0]),
		Data:   b[p.fragHdr+8:],
	}, true
}
