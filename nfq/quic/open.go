package quic

import (
	"encoding/binary"
	"unsafe"
)

// Open removes header protection from and decrypts the first QUIC packet
// of dgram, a client Initial protected with k, and returns its plaintext
// frames, its packet number and rest, the coalesced remainder of dgram
// after this packet (possibly empty; the caller parses it with ParseHeader,
// remembering that trailing bytes may be padding or other packet types).
//
// dgram is only read, never modified. The plaintext is written to scratch,
// reused from its start: frames aliases scratch and is valid until scratch
// is reused; rest aliases dgram. Open does not allocate when cap(scratch) >=
// the packet's length (len(dgram) always suffices); with less it allocates
// a buffer that frames then aliases. scratch must not overlap dgram.
//
// The packet number is decoded as the first packets of a connection are
// (RFC 9000 §A.3 with no packet acknowledged: the truncated value itself).
//
// Errors: from ParseHeader (ErrNotInitial, ErrMalformed); ErrNotInitial
// when the version is not k's; ErrDecrypt when k holds no keys or the AEAD
// fails (rest is then still set, so the caller may skip the packet);
// ErrMalformed when the decrypted packet has reserved header bits set or no
// frames, or when scratch overlaps dgram.
func Open(k *Keys, dgram, scratch []byte) (frames []byte, pn uint64, rest []byte, err error) {
	var h Header
	if err := ParseHeader(dgram, &h); err != nil {
		return nil, 0, nil, err
	}
	frames, pn, err = open(k, &h, dgram, scratch, -1)
	return frames, pn, dgram[h.End():], err
}

// open is Open of a packet already parsed into h, decoding the packet
// number relative to largest, the largest packet number decrypted so far in
// this packet number space (-1 for none).
func open(k *Keys, h *Header, dgram, scratch []byte, largest int64) (frames []byte, pn uint64, err error) {
	if k.aead == nil {
		return nil, 0, errNoKeys
	}
	if k.version != h.Version {
		return nil, 0, errKeysVersion
	}
	end := h.End()
	if end > len(dgram) || h.Length < minPayload || h.PNOffset < 7 {
		return nil, 0, errHeaderFit
	}
	if cap(scratch) < end {
		scratch = make([]byte, end)
	}
	scratch = scratch[:end]
	if overlap(scratch, dgram) {
		return nil, 0, errOverlap
	}

	// Header protection (RFC 9001 §5.4): the mask is AES-ECB of the 16
	// bytes sampled 4 bytes after the start of the packet number. Compute
	// it into scratch, which is overwritten below.
	sample := dgram[h.PNOffset+4 : h.PNOffset+4+16]
	k.hp.Encrypt(scratch[:16], sample)
	var mask [5]byte
	copy(mask[:], scratch[:5])

	first := dgram[0] ^ mask[0]&0x0f
	pnLen := int(first&3) + 1
	hdrLen := h.PNOffset + pnLen

	// Layout of scratch: nonce (12 bytes), then the unprotected header (the
	// AEAD's associated data), then the plaintext. The plaintext is 16
	// bytes (the tag) shorter than the ciphertext, so everything fits in
	// the packet's length.
	nonce := scratch[:12]
	ad := scratch[12 : 12+hdrLen]
	copy(ad, dgram[:hdrLen])
	ad[0] = first
	var trunc uint64
	for i := range pnLen {
		b := dgram[h.PNOffset+i] ^ mask[1+i]
		ad[h.PNOffset+i] = b
		trunc = trunc<<8 | uint64(b)
	}
	pn = decodePN(largest, trunc, pnLen)
	copy(nonce, k.iv[:])
	var pnb [8]byte
	binary.BigEndian.PutUint64(pnb[:], pn)
	for i := range 8 {
		nonce[4+i] ^= pnb[i]
	}

	ct := dgram[hdrLen:end]
	out := scratch[12+hdrLen : 12+hdrLen : end]
	frames, err = k.aead.Open(out, nonce, ct, ad)
	if err != nil {
		return nil, 0, errAEAD
	}
	if first&0x0c != 0 {
		// RFC 9000 §17.2: reserved bits set after removing protection is
		// a PROTOCOL_VIOLATION.
		return nil, 0, errReserved
	}
	if len(frames) == 0 {
		return nil, 0, errNoFrames
	}
	return frames, pn, nil
}

// decodePN reconstructs a full packet number from its truncated encoding of
// pnLen bytes, given the largest packet number received so far (-1 for
// none), as in RFC 9000 §A.3.
func decodePN(largest int64, trunc uint64, pnLen int) uint64 {
	expected := uint64(largest + 1)
	win := uint64(1) << (8 * pnLen)
	hwin := win / 2
	candidate := expected&^(win-1) | trunc
	switch {
	case candidate+hwin <= expected && candidate < 1<<62-win:
		return candidate + win
	case candidate > expected+hwin && candidate >= win:
		return candidate - win
	}
	return candidate
}

// overlap reports whether a and b share memory (over their lengths), the
// condition under which the AEAD would refuse to work.
func overlap(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	pa, pb := uintptr(unsafe.Pointer(&a[0])), uintptr(unsafe.Pointer(&b[0]))
	return pa < pb+uintptr(len(b)) && pb < pa+uintptr(len(a))
}
