package quic

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
)

// Keys are the client's Initial packet protection keys (AES-128-GCM AEAD
// and AES-128 header protection) for one (version, Destination Connection
// ID), as in RFC 9001 §5.2 and RFC 9369 §3.3. The zero value holds no keys:
// Matches reports false and Open fails.
//
// Derive allocates (AES and GCM state, HKDF); Open with derived Keys does
// not. Derived Keys are not modified by Open, so one Keys may serve
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
	salt               []byte
	keyInfo, ivInfo    string
	hpInfo, clientInfo string
}

// clientInfo is HkdfLabel(32, "client in", "").
const clientInfo = "\x00\x20\x0ftls13 client in\x00"

func versionParams(version uint32) (params, bool) {
	switch version {
	case Version1: // RFC 9001 §5.2
		return params{
			salt: []byte{0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
				0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a},
			clientInfo: clientInfo,
			keyInfo:    "\x00\x10\x0etls13 quic key\x00",
			ivInfo:     "\x00\x0c\x0dtls13 quic iv\x00",
			hpInfo:     "\x00\x10\x0dtls13 quic hp\x00",
		}, true
	case Version2: // RFC 9369 §3.3.1, §3.3.2
		return params{
			salt: []byte{0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
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
		return fmt.Errorf("quic: derive keys: %w: version %#08x", ErrNotInitial, version)
	}
	if len(dcid) > MaxCIDLen {
		return fmt.Errorf("quic: derive keys: %w: dcid of %d bytes", ErrMalformed, len(dcid))
	}
	_, key, iv, hpKey, err := p.secrets(dcid)
	if err != nil {
		return fmt.Errorf("quic: derive keys: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return fmt.Errorf("quic: derive keys: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return fmt.Errorf("quic: derive keys: %w", err)
	}
	hp, err := aes.NewCipher(hpKey)
	if err != nil {
		return fmt.Errorf("quic: derive keys: %w", err)
	}
	k.aead, k.hp = aead, hp
	copy(k.iv[:], iv)
	k.version = version
	k.dcidLen = uint8(copy(k.dcid[:], dcid))
	return nil
}

// secrets derives the client Initial secret and from it the AEAD key, IV
// and header protection key.
func (p params) secrets(dcid []byte) (secret, key, iv, hp []byte, err error) {
	initial, err := hkdf.Extract(sha256.New, dcid, p.salt)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	secret, err = hkdf.Expand(sha256.New, initial, p.clientInfo, 32)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if key, err = hkdf.Expand(sha256.New, secret, p.keyInfo, 16); err != nil {
		return nil, nil, nil, nil, err
	}
	if iv, err = hkdf.Expand(sha256.New, secret, p.ivInfo, 12); err != nil {
		return nil, nil, nil, nil, err
	}
	if hp, err = hkdf.Expand(sha256.New, secret, p.hpInfo, 16); err != nil {
		return nil, nil, nil, nil, err
	}
	return secret, key, iv, hp, nil
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
