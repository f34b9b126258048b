package packet

import (
	"encoding/binary"
	"slices"
)

// replyTTL is the IPv4 TTL and IPv6 hop limit of built packets.
const replyTTL = 64

// replyWindow is the TCP window advertised by built segments (0 on resets).
const replyWindow = 65535

// AppendUDPReply appends to dst an IP packet going back to p's sender: same
// IP version, addresses and ports swapped, carrying payload, TTL (hop limit)
// 64, with a valid IPv4 header checksum and UDP checksum. The IPv4 header has
// DF set and ID 0 (RFC 6864) and no options.
//
// p must be Valid and UDP, and the reply must fit in 65535 bytes; otherwise
// dst is returned unchanged. payload is copied; dst may be nil.
func AppendUDPReply(dst []byte, p *Parsed, payload []byte) []byte {
	if !p.valid || p.IPProto != UDP {
		return dst
	}
	out, pkt, ipLen, ok := appendIP(dst, p, UDP, 8+len(payload), true)
	if !ok {
		return dst
	}
	l4 := pkt[ipLen:]
	binary.BigEndian.PutUint16(l4[0:2], p.DstPort)
	binary.BigEndian.PutUint16(l4[2:4], p.SrcPort)
	binary.BigEndian.PutUint16(l4[4:6], uint16(8+len(payload)))
	l4[6], l4[7] = 0, 0
	copy(l4[8:], payload)
	finishL4(pkt, ipLen, UDP, 6)
	return out
}

// AppendTCPReply appends to dst a TCP segment going back to p's sender: same
// IP version, addresses and ports swapped, seq = p.Ack, ack = p.Seq plus the
// sequence space p occupies (payload length, +1 for SYN, +1 for FIN), the
// given flags (for example TCPPsh|TCPAck, or TCPRst|TCPAck), window 65535 (0
// when flags has RST), no options, TTL (hop limit) 64, valid checksums.
//
// p must be Valid and TCP, and the reply must fit in 65535 bytes; otherwise
// dst is returned unchanged. payload is copied; dst may be nil.
func AppendTCPReply(dst []byte, p *Parsed, payload []byte, flags uint8) []byte {
	if !p.valid || p.IPProto != TCP {
		return dst
	}
	return appendTCP(dst, p, true, p.Ack, p.Seq+p.seqSpan(), flags, payload)
}

// AppendTCPReset appends to dst a reset going the same way as p, to p's
// destination, for use when p is dropped: seq = p.Seq (the receiver's next
// expected sequence number, since it never saw p, so RFC 5961 receivers
// accept it at once), ack = p.Ack and flags RST|ACK when p carries ACK,
// else RST alone with ack 0.
//
// p must be Valid and TCP; otherwise dst is returned unchanged.
func AppendTCPReset(dst []byte, p *Parsed) []byte {
	if !p.valid || p.IPProto != TCP {
		return dst
	}
	if p.TCPFlags&TCPAck != 0 {
		return appendTCP(dst, p, false, p.Seq, p.Ack, TCPRst|TCPAck, nil)
	}
	return appendTCP(dst, p, false, p.Seq, 0, TCPRst, nil)
}

func appendTCP(dst []byte, p *Parsed, back bool, seq, ack uint32, flags uint8, payload []byte) []byte {
	out, pkt, ipLen, ok := appendIP(dst, p, TCP, 20+len(payload), back)
	if !ok {
		return dst
	}
	l4 := pkt[ipLen:]
	sport, dport := p.SrcPort, p.DstPort
	if back {
		sport, dport = dport, sport
	}
	binary.BigEndian.PutUint16(l4[0:2], sport)
	binary.BigEndian.PutUint16(l4[2:4], dport)
	binary.BigEndian.PutUint32(l4[4:8], seq)
	binary.BigEndian.PutUint32(l4[8:12], ack)
	l4[12] = 5 << 4 // data offset: 20 bytes, no options
	l4[13] = flags
	win := uint16(replyWindow)
	if flags&TCPRst != 0 {
		win = 0
	}
	binary.BigEndian.PutUint16(l4[14:16], win)
	clear(l4[16:20]) // checksum, urgent pointer
	copy(l4[20:], payload)
	finishL4(pkt, ipLen, TCP, 16)
	return out
}

// appendIP grows dst by a packet of l4Len transport bytes after an IP
// header like p's (addresses swapped when back), writes that header and
// returns the grown slice, the new packet within it and the header length.
// ok is false, and dst untouched, when the packet would exceed 65535 bytes.
func appendIP(dst []byte, p *Parsed, proto Proto, l4Len int, back bool) (out, pkt []byte, ipLen int, ok bool) {
	ipLen = ipHeaderLen(p.IPVersion)
	n := ipLen + l4Len
	if n > 0xffff {
		return dst, nil, 0, false
	}
	start := len(dst)
	out = slices.Grow(dst, n)[:start+n]
	pkt = out[start:]
	writeIP(pkt, p, proto, l4Len, back)
	return out, pkt, ipLen, true
}

func ipHeaderLen(version uint8) int {
	if version == 6 {
		return 40
	}
	return 20
}

// writeIP writes into pkt an IP header of p's version for a transport
// segment of l4Len bytes: from p's destination back to p's source when back
// is true, else from p's source to p's destination.
func writeIP(pkt []byte, p *Parsed, proto Proto, l4Len int, back bool) {
	src, dst := p.Src, p.Dst
	if back {
		src, dst = dst, src
	}
	if p.IPVersion == 6 {
		pkt[0], pkt[1], pkt[2], pkt[3] = 0x60, 0, 0, 0 // version, class, flow
		binary.BigEndian.PutUint16(pkt[4:6], uint16(l4Len))
		pkt[6] = uint8(proto)
		pkt[7] = replyTTL
		s, d := src.As16(), dst.As16()
		copy(pkt[8:24], s[:])
		copy(pkt[24:40], d[:])
		return
	}
	pkt[0], pkt[1] = 0x45, 0 // version 4, IHL 5; TOS
	binary.BigEndian.PutUint16(pkt[2:4], uint16(20+l4Len))
	pkt[4], pkt[5] = 0, 0    // ID
	pkt[6], pkt[7] = 0x40, 0 // DF, offset 0
	pkt[8], pkt[9] = replyTTL, uint8(proto)
	pkt[10], pkt[11] = 0, 0 // checksum, below
	s, d := src.As4(), dst.As4()
	copy(pkt[12:16], s[:])
	copy(pkt[16:20], d[:])
	binary.BigEndian.PutUint16(pkt[10:12], Checksum(pkt[:20]))
}

// finishL4 computes the transport checksum of the segment at pkt[ipLen:] and
// stores it at offset csumOff within the segment. The checksum field must be
// zero on entry.
func finishL4(pkt []byte, ipLen int, proto Proto, csumOff int) {
	seg := pkt[ipLen:]
	var src, dst []byte
	if ipLen == 40 {
		src, dst = pkt[8:24], pkt[24:40]
	} else {
		src, dst = pkt[12:16], pkt[16:20]
	}
	c := ^fold(sum(seg, pseudoSum(src, dst, proto, len(seg))))
	if c == 0 && proto == UDP {
		c = 0xffff // zero means "no checksum" in UDP (RFC 768)
	}
	binary.BigEndian.PutUint16(seg[csumOff:csumOff+2], c)
}

// AppendRewrite appends to dst a copy of p with its transport payload
// replaced by payload: the same IP header (options and IPv6 extension
// headers included) and transport header, with the IP length fields, the UDP
// length and the checksums recomputed. It serves answers the agent rewrites
// in passing (an HTTPS record without its ech parameter).
//
// p must be Valid, TCP or UDP and not a fragment, and the result must fit in
// 65535 bytes; otherwise dst is returned unchanged. payload is copied and
// may alias p's packet.
func AppendRewrite(dst []byte, p *Parsed, payload []byte) []byte {
	if !p.valid || p.Fragment || (p.IPProto != TCP && p.IPProto != UDP) {
		return dst
	}
	head := p.b[:p.PayloadOffset]
	n := len(head) + len(payload)
	if n > 0xffff {
		return dst
	}
	start := len(dst)
	out := slices.Grow(dst, n)[:start+n]
	pkt := out[start:]
	copy(pkt, head)
	copy(pkt[len(head):], payload)
	if p.IPVersion == 6 {
		binary.BigEndian.PutUint16(pkt[4:6], uint16(n-40))
	} else {
		binary.BigEndian.PutUint16(pkt[2:4], uint16(n))
		pkt[10], pkt[11] = 0, 0
		binary.BigEndian.PutUint16(pkt[10:12], Checksum(pkt[:p.IPHeaderLen]))
	}
	seg := pkt[p.L4Offset:]
	csumOff := 16
	if p.IPProto == UDP {
		binary.BigEndian.PutUint16(seg[4:6], uint16(len(seg)))
		csumOff = 6
	}
	seg[csumOff], seg[csumOff+1] = 0, 0
	var src, dstAddr []byte
	if p.IPVersion == 6 {
		src, dstAddr = pkt[8:24], pkt[24:40]
	} else {
		src, dstAddr = pkt[12:16], pkt[16:20]
	}
	c := ^fold(sum(seg, pseudoSum(src, dstAddr, p.IPProto, len(seg))))
	if c == 0 && p.IPProto == UDP {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(seg[csumOff:csumOff+2], c)
	return out
}
