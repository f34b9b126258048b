package quic

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"fmt"
)

// Keys are the client's Initial packet protection keys (AES-128-GCM AEAD
// and AES-128 header protection) for one (version, Destination Connection
// ID), as in RFC 9001 §5.2 and RFC 9369 §3.3. The zero value holds no keys:
// Matches reports false and Open fails.
//
// Derive allocates the AES and GCM state (3 allocations); Open with derived
// Keys allocates nothing. Open does not modify Keys, so one Keys may serve
// concurrent Opens; Derive must not race with them.
type Keys struct {
	aead    cipher.AEAD  // nil until derived
	hp      cipher.Block // header protection
	iv      [12]byte
	version uint32
	dcid    [MaxCIDLen]byte
	dcidLen uint8
}

// params of one version: the Initial salt and the HKDF-Expand-Label info
// strings (RFC 8446 §7.1 HkdfLabel: uint16 length, opaque label<7..255>
// prefixed "tls13 ", empty context), written out as constants so that
// deriving builds no strings.
type params struct {
	salt               [20]byte
	keyInfo, ivInfo    string
	hpInfo, clientInfo string
}

// clientInfo is HkdfLabel(32, "client in", "").
const clientInfo = "\x00\x20\x0ftls13 client in\x00"

// versionParams returns the parameters of version, false when it is not
// Version1 or Version2.
func versionParams(version uint32) (params, bool) {
	switch version {
	case Version1: // RFC 9001 §5.2
		return params{
			salt: [20]byte{0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
				0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a},
			clientInfo: clientInfo,
			keyInfo:    "\x00\x10\x0etls13 quic key\x00",
			ivInfo:     "\x00\x0c\x0dtls13 quic iv\x00",
			hpInfo:     "\x00\x10\x0dtls13 quic hp\x00",
		}, true
	case Version2: // RFC 9369 §3.3.1, §3.3.2
		return params{
			salt: [20]byte{0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
				0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9},
			clientInfo: clientInfo,
			keyInfo:    "\x00\x10\x10tls13 quicv2 key\x00",
			ivInfo:     "\x00\x0c\x0ftls13 quicv2 iv\x00",
			hpInfo:     "\x00\x10\x0ftls13 quicv2 hp\x00",
		}, true
	}
	return params{}, false
}

// Derive sets k to the client Initial keys of version and dcid (the
// Destination Connection ID of the client's first Initial, or of the
// Initial after a Retry). dcid is copied. It fails with ErrNotInitial for an
// unsupported version and ErrMalformed for a dcid over MaxCIDLen bytes; on
// failure k holds no keys.
func (k *Keys) Derive(version uint32, dcid []byte) error {
	*k = Keys{}
	p, ok := versionParams(version)
	if !ok {
		return fmt.Errorf("quic: derive keys: %w: version %#08x", notInitial, version)
	}
	if len(dcid) > MaxCIDLen {
		return fmt.Errorf("quic: derive keys: %w: dcid of %d bytes", malformed, len(dcid))
	}
	_, key, iv, hpKey := p.secrets(dcid)
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return fmt.Errorf("quic: derive keys: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return fmt.Errorf("quic: derive keys: %w", err)
	}
	hp, err := aes.NewCipher(hpKey[:])
	if err != nil {
		return fmt.Errorf("quic: derive keys: %w", err)
	}
	k.aead, k.hp = aead, hp
	k.iv = iv
	k.version = version
	k.dcidLen = uint8(copy(k.dcid[:], dcid))
	return nil
}

// secrets derives the client Initial secret (HKDF-Extract with the
// version's salt, then HKDF-Expand-Label "client in") and from it the AEAD
// key, IV and header protection key (RFC 9001 §5.2). Every HMAC here has a
// key of at most 32 bytes and a message of at most 27, so each is two
// one-shot SHA-256 sums over stack buffers: no allocation, unlike
// crypto/hkdf (about 46 per derivation), which the tests use as the
// reference.
func (p *params) secrets(dcid []byte) (secret [32]byte, key [16]byte, iv [12]byte, hp [16]byte) {
	initial := hmacSHA256(p.salt[:], dcid)
	secret = expand(initial[:], p.clientInfo)
	k := expand(secret[:], p.keyInfo)
	i := expand(secret[:], p.ivInfo)
	h := expand(secret[:], p.hpInfo)
	copy(key[:], k[:])
	copy(iv[:], i[:])
	copy(hp[:], h[:])
	return secret, key, iv, hp
}

// expand is HKDF-Expand(prk, info) for outputs of one hash block (at most
// 32 bytes; the caller takes its prefix): T(1) = HMAC(prk, info || 0x01).
func expand(prk []byte, info string) [32]byte {
	var msg [64]byte
	n := copy(msg[:], info)
	msg[n] = 0x01
	return hmacSHA256(prk, msg[:n+1])
}

// hmacSHA256 is HMAC-SHA256 (RFC 2104) for a key and a message of at most
// 64 bytes each (the lengths used here; longer inputs are cut, which
// secrets never passes).
func hmacSHA256(key, msg []byte) [32]byte {
	const block = 64
	var in [2 * block]byte
	var out [block + sha256.Size]byte
	copy(in[:block], key)
	copy(out[:block], key)
	for i := range block {
		in[i] ^= 0x36
		out[i] ^= 0x5c
	}
	n := copy(in[block:], msg)
	inner := sha256.Sum256(in[:block+n])
	copy(out[block:], inner[:])
	return sha256.Sum256(out[:])
}

// Matches reports whether k holds derived keys of version and dcid.
func (k *Keys) Matches(version uint32, dcid []byte) bool {
	return k.aead != nil && k.version == version && bytes.Equal(k.dcid[:k.dcidLen], dcid)
}

// Valid reports whether k holds derived keys.
func (k *Keys) Valid() bool { return k.aead != nil }

// Version returns the version k was derived for (0 when not derived).
func (k *Keys) Version() uint32 { return k.version }

// DCID returns the connection ID k was derived from, a slice of k (valid
// while k is not derived again; do not modify).
func (k *Keys) DCID() []byte { return k.dcid[:k.dcidLen] }
