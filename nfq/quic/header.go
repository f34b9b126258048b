package quic

import (
	"encoding/binary"
	"errors"
)

// Supported QUIC versions.
const (
	// Version1 is QUIC version 1 (RFC 9000).
	Version1 uint32 = 0x00000001
	// Version2 is QUIC version 2 (RFC 9369).
	Version2 uint32 = 0x6b3343cf
)

// MaxCrypto is the capacity of a Crypto assembler: the largest CRYPTO
// stream offset (exclusive) it keeps. A ClientHello is at most this long,
// header included.
const MaxCrypto = 16 << 10

// MaxCIDLen is the longest connection ID QUIC versions 1 and 2 allow.
const MaxCIDLen = 20

// Sentinel errors. Functions of this package return them wrapped (test with
// errors.Is), with the operation and a detail.
var (
	// ErrNotInitial: the bytes are not a long header Initial packet of a
	// supported version (a short header, another long header type, version
	// negotiation, an unknown version, or nothing at all). A caller treats
	// it as "not QUIC this package can read".
	ErrNotInitial = errors.New("quic: not a quic v1/v2 initial packet")
	// ErrDecrypt: header protection and AEAD failed with the keys tried:
	// the packet was not protected with Initial keys of this DCID (or is
	// corrupt).
	ErrDecrypt = errors.New("quic: initial packet does not decrypt")
	// ErrMalformed: a length, field or frame is invalid.
	ErrMalformed = errors.New("quic: malformed initial packet")
	// ErrTooBig: CRYPTO data (or the declared first handshake message)
	// reaches beyond MaxCrypto.
	ErrTooBig = errors.New("quic: crypto data beyond capacity")
	// ErrConflict: CRYPTO bytes overlap bytes received earlier with
	// different content. A server keeps one of them, a middlebox cannot
	// know which: treat as evasion.
	ErrConflict = errors.New("quic: conflicting crypto data")
)

// Header is the long header of one Initial packet. ParseHeader fills it;
// DCID, SCID and Token alias the datagram given to ParseHeader and are valid
// as long as it is.
type Header struct {
	// Version is Version1 or Version2 (after ErrNotInitial for a long
	// header: the version read).
	Version uint32
	// DCID, SCID and Token alias the datagram; each may be empty.
	DCID, SCID, Token []byte
	// Length is the Length field: bytes of packet number and protected
	// payload (AEAD tag included) that follow the header.
	Length int
	// PNOffset is the offset of the (protected) packet number in the
	// datagram: the end of the Length field.
	PNOffset int
}

// End returns the offset in the datagram just past this packet; the bytes
// from End on are the coalesced remainder.
func (h *Header) End() int { return h.PNOffset + h.Length }

// minPayload is the least Length a protected Initial can have: header
// protection samples 16 bytes starting 4 bytes after the packet number
// offset (RFC 9001 §5.4.2), and the AEAD tag alone is 16 bytes.
const minPayload = 4 + 16

// ParseHeader checks, without keys, that dgram starts with a long header
// Initial packet of QUIC version 1 or 2 and fills h with its fields (h is
// overwritten in any case).
//
// It returns an error wrapping ErrNotInitial when dgram does not start with
// such a packet (empty, short header, version negotiation, other version,
// other long header type), and ErrMalformed when it does but a field is
// truncated or invalid (a connection ID over 20 bytes, a Length beyond the
// datagram or too short to hold a header protection sample).
//
// On ErrNotInitial for a long header, h.Version holds the version read (so
// the caller can log it); otherwise h is only meaningful on success. It
// allocates nothing, errors included.
//
// Client and server Initials share the format; the caller knows the
// direction. The fixed bit is not checked (RFC 9287 lets peers grease it).
func ParseHeader(dgram []byte, h *Header) error {
	*h = Header{}
	if len(dgram) == 0 || dgram[0]&0x80 == 0 {
		return errShortHeader
	}
	if len(dgram) < 5 {
		return errTruncated
	}
	v := binary.BigEndian.Uint32(dgram[1:5])
	typ := dgram[0] >> 4 & 3
	switch {
	case v == Version1 && typ == 0, v == Version2 && typ == 1:
	case v == Version1 || v == Version2:
		h.Version = v
		return errPacketType
	default:
		h.Version = v
		return errVersion
	}
	h.Version = v
	p := 5
	var ok bool
	if h.DCID, p, ok = cid(dgram, p); !ok {
		return errDCID
	}
	if h.SCID, p, ok = cid(dgram, p); !ok {
		return errSCID
	}
	tl, n := varint(dgram[p:])
	if n == 0 || tl > uint64(len(dgram)-p-n) {
		return errToken
	}
	p += n
	h.Token = dgram[p : p+int(tl) : p+int(tl)]
	p += int(tl)
	l, n := varint(dgram[p:])
	if n == 0 || l > uint64(len(dgram)-p-n) {
		return errLength
	}
	if l < minPayload {
		return errLengthShort
	}
	h.PNOffset = p + n
	h.Length = int(l)
	return nil
}

// cid reads a connection ID (one length byte, up to MaxCIDLen bytes) at
// b[p:]; it returns the ID (capacity clipped), the offset after it and
// whether it fit.
func cid(b []byte, p int) ([]byte, int, bool) {
	if p >= len(b) {
		return nil, p, false
	}
	l := int(b[p])
	p++
	if l > MaxCIDLen || l > len(b)-p {
		return nil, p, false
	}
	return b[p : p+l : p+l], p + l, true
}

// varint decodes a QUIC variable-length integer (RFC 9000 §16) at the start
// of b and returns it with the bytes it took; n is 0 when b is too short.
func varint(b []byte) (v uint64, n int) {
	if len(b) == 0 {
		return 0, 0
	}
	n = 1 << (b[0] >> 6)
	if len(b) < n {
		return 0, 0
	}
	v = uint64(b[0] & 0x3f)
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
	}
	return v, n
}
