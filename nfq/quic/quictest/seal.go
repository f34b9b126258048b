package quictest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/safeinternet/cpe/internal/sentinel"
)

// The QUIC versions this package seals for, the values of quic.Version1
// and quic.Version2 (kept here so that the sealer shares no code with the
// reader it tests).
const (
	version1 uint32 = 0x00000001 // RFC 9000
	version2 uint32 = 0x6b3343cf // RFC 9369
)

// maxCIDLen is the longest connection ID QUIC versions 1 and 2 allow.
const maxCIDLen = 20

// ErrOptions is wrapped by every error about a Packet or Options that
// cannot be built (an unsupported version, a connection ID over 20 bytes, a
// packet number length outside 1..4, a count out of range).
var ErrOptions = errors.New("quictest: invalid initial packet options")

// badOptions is ErrOptions as it reads inside this package's errors, which
// name the package already ("quictest: seal: invalid initial packet options:
// packet number length 0").
var badOptions = sentinel.Unprefixed(ErrOptions)

// Packet is one client Initial packet before protection. The zero value is
// not valid: Version must be set.
type Packet struct {
	// Version is quic.Version1 or quic.Version2.
	Version uint32
	// DCID, SCID and Token go into the header as they are; each may be
	// empty and the connection IDs are at most 20 bytes.
	DCID, SCID, Token []byte
	// KeyDCID is the connection ID the Initial keys are derived from (the
	// client's original DCID); nil means DCID. A KeyDCID other than DCID
	// makes a packet a reader that derives from DCID cannot open, or one
	// sent after the client switched to the server's connection ID.
	KeyDCID []byte
	// PN is the packet number, written in its low PNLen bytes.
	PN uint64
	// PNLen is the packet number length on the wire, 1 to 4.
	PNLen int
	// Frames is the plaintext payload. When it is too short for header
	// protection's sample, Seal appends PADDING (RFC 9001 §5.4.2) to the
	// copy it encrypts; Frames itself is not modified.
	Frames []byte
}

// Seal appends p, protected with the client Initial keys of (p.Version,
// KeyDCID or DCID) as RFC 9001 §5 (RFC 9369 §3.3 for version 2) says, to dst
// and returns the extended slice. The Length field is written in 2 bytes
// (4 when the packet is 16 KiB or more). It fails with ErrOptions when p is
// not a valid packet.
func (p *Packet) Seal(dst []byte) ([]byte, error) {
	k, err := deriveKeys(p.Version, p.keyDCID())
	if err != nil {
		return dst, err
	}
	return k.seal(dst, p)
}

func (p *Packet) keyDCID() []byte {
	if p.KeyDCID != nil {
		return p.KeyDCID
	}
	return p.DCID
}

// keys are the client Initial keys of one (version, DCID).
type keys struct {
	version uint32
	aead    cipher.AEAD
	hp      cipher.Block
	iv      []byte
}

// deriveKeys derives the client Initial keys with crypto/hkdf, from the
// salts and labels of RFC 9001 §5.2 and RFC 9369 §3.3.
func deriveKeys(version uint32, dcid []byte) (*keys, error) {
	var salt []byte
	var prefix string // of the key, iv and hp labels
	switch version {
	case version1:
		salt = []byte{0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
			0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a}
		prefix = "quic "
	case version2:
		salt = []byte{0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
			0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9}
		prefix = "quicv2 "
	default:
		return nil, fmt.Errorf("quictest: derive keys: %w: version %#08x", badOptions, version)
	}
	if len(dcid) > maxCIDLen {
		return nil, fmt.Errorf("quictest: derive keys: %w: dcid of %d bytes", badOptions, len(dcid))
	}
	initial, err := hkdf.Extract(sha256.New, dcid, salt)
	if err != nil {
		return nil, fmt.Errorf("quictest: derive keys: %w", err)
	}
	secret, err := expandLabel(initial, "client in", 32)
	if err != nil {
		return nil, err
	}
	key, err := expandLabel(secret, prefix+"key", 16)
	if err != nil {
		return nil, err
	}
	iv, err := expandLabel(secret, prefix+"iv", 12)
	if err != nil {
		return nil, err
	}
	hpKey, err := expandLabel(secret, prefix+"hp", 16)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("quictest: derive keys: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("quictest: derive keys: %w", err)
	}
	hp, err := aes.NewCipher(hpKey)
	if err != nil {
		return nil, fmt.Errorf("quictest: derive keys: %w", err)
	}
	return &keys{version: version, aead: aead, hp: hp, iv: iv}, nil
}

// expandLabel is HKDF-Expand-Label (RFC 8446 §7.1) with an empty context.
func expandLabel(secret []byte, label string, n int) ([]byte, error) {
	full := "tls13 " + label
	info := []byte{byte(n >> 8), byte(n), byte(len(full))}
	info = append(info, full...)
	info = append(info, 0) // empty context
	out, err := hkdf.Expand(sha256.New, secret, string(info), n)
	if err != nil {
		return nil, fmt.Errorf("quictest: expand %q: %w", label, err)
	}
	return out, nil
}

// seal appends p protected with k to dst.
func (k *keys) seal(dst []byte, p *Packet) ([]byte, error) {
	switch {
	case p.Version != k.version:
		return dst, fmt.Errorf("quictest: seal: %w: keys of version %#08x for a packet of %#08x", badOptions, k.version, p.Version)
	case len(p.DCID) > maxCIDLen || len(p.SCID) > maxCIDLen:
		return dst, fmt.Errorf("quictest: seal: %w: connection id over %d bytes", badOptions, maxCIDLen)
	case p.PNLen < 1 || p.PNLen > 4:
		return dst, fmt.Errorf("quictest: seal: %w: packet number length %d", badOptions, p.PNLen)
	}
	frames := p.Frames
	if need := 4 - p.PNLen; len(frames) < need {
		// The sample starts 4 bytes after the packet number and takes 16
		// bytes: with the 16-byte tag, pnLen + len(frames) >= 4 suffices.
		frames = append(append([]byte(nil), frames...), make([]byte, need-len(frames))...)
	}
	typ := byte(0) // Initial: 0b00 in version 1, 0b01 in version 2
	if p.Version == version2 {
		typ = 1
	}
	start := len(dst)
	dst = append(dst, 0xc0|typ<<4|byte(p.PNLen-1))
	dst = binary.BigEndian.AppendUint32(dst, p.Version)
	dst = append(dst, byte(len(p.DCID)))
	dst = append(dst, p.DCID...)
	dst = append(dst, byte(len(p.SCID)))
	dst = append(dst, p.SCID...)
	dst = AppendVarint(dst, uint64(len(p.Token)))
	dst = append(dst, p.Token...)
	length := p.PNLen + len(frames) + k.aead.Overhead()
	if length < 1<<14 {
		dst = binary.BigEndian.AppendUint16(dst, 0x4000|uint16(length))
	} else {
		dst = binary.BigEndian.AppendUint32(dst, 0x80000000|uint32(length))
	}
	pnOff := len(dst) - start
	for i := p.PNLen - 1; i >= 0; i-- {
		dst = append(dst, byte(p.PN>>(8*i)))
	}
	hdr := dst[start:]

	// AEAD (RFC 9001 §5.3): the nonce is the IV xor the packet number,
	// the associated data the unprotected header.
	var nonce [12]byte
	copy(nonce[:], k.iv)
	for i := range 8 {
		nonce[4+i] ^= byte(p.PN >> (56 - 8*i))
	}
	dst = k.aead.Seal(dst, nonce[:], frames, hdr)

	// Header protection (RFC 9001 §5.4): a mask from the 16 bytes sampled
	// 4 bytes after the start of the packet number hides the low 4 bits
	// of the first byte and the packet number.
	pkt := dst[start:]
	var mask [16]byte
	k.hp.Encrypt(mask[:], pkt[pnOff+4:pnOff+4+16])
	pkt[0] ^= mask[0] & 0x0f
	for i := range p.PNLen {
		pkt[pnOff+i] ^= mask[1+i]
	}
	return dst, nil
}

// AppendVarint appends v as a QUIC variable-length integer (RFC 9000 §16)
// in its shortest encoding. v must be below 2^62.
func AppendVarint(b []byte, v uint64) []byte {
	switch {
	case v < 1<<6:
		return append(b, byte(v))
	case v < 1<<14:
		return binary.BigEndian.AppendUint16(b, 0x4000|uint16(v))
	case v < 1<<30:
		return binary.BigEndian.AppendUint32(b, 0x80000000|uint32(v))
	}
	return binary.BigEndian.AppendUint64(b, 0xc0<<56|v)
}

// Frame types a client Initial carries.
const (
	FramePadding byte = 0x00
	FramePing    byte = 0x01
	FrameCrypto  byte = 0x06
)

// AppendCrypto appends a CRYPTO frame carrying data at stream offset off.
func AppendCrypto(b []byte, off uint64, data []byte) []byte {
	b = append(b, FrameCrypto)
	b = AppendVarint(b, off)
	b = AppendVarint(b, uint64(len(data)))
	return append(b, data...)
}

// AppendPadding appends n PADDING frames (n zero bytes).
func AppendPadding(b []byte, n int) []byte {
	for range n {
		b = append(b, FramePadding)
	}
	return b
}
