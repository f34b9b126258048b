// Package hello reads TLS ClientHellos for the packet path: Handshake
// reassembles the first handshake message of a TCP stream across TLS
// records, Parse reads a ClientHello (from TCP, or from QUIC CRYPTO frames)
// into a caller-owned Hello, and Normalize / NormalizeHost turn a server name
// or an HTTP Host value into the form policy is judged on, with the reasons
// it cannot be trusted as an Ambiguity.
//
// Everything here runs per queued packet: no function allocates (Handshake
// only when its dst is too small), every length read from the wire is
// checked against the bytes present before it is used, and nothing guesses:
// a ClientHello cut short says ErrNeedMore, never "no name". Multi-byte wire
// fields are read big-endian byte by byte, so behaviour is the same on
// big-endian MIPS. Errors are package-level values (sentinels, and
// ErrMalformed wrapped with a fixed detail), so failing costs no allocation
// either.
//
// The reader follows crypto/tls (clientHelloMsg.unmarshal) closely: every
// ClientHello crypto/tls accepts up to MaxHello bytes, Parse accepts, with
// the same server name (ASCII-lowercased). What crypto/tls refuses but a
// laxer server might take (duplicate extensions, several names, a trailing
// dot) is read rather than refused, and reported as an Ambiguity.
package hello

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"

	"github.com/safeinternet/cpe/internal/sentinel"
)

// MaxHello is the largest first handshake message (4-byte header included)
// that Handshake reassembles and Parse reads. Real ClientHellos are under 2
// KB (post-quantum key shares included); padded ones reach about 11 KB.
const MaxHello = 16 << 10

// Errors returned by Handshake and Parse. Branch on them with errors.Is:
// the ErrMalformed family is wrapped with a detail.
var (
	// ErrNeedMore reports that the bytes so far are a valid prefix and more
	// are needed.
	ErrNeedMore = errors.New("hello: need more bytes")
	// ErrNotTLS reports a stream that does not start with a TLS handshake
	// record.
	ErrNotTLS = errors.New("hello: not a TLS handshake record")
	// ErrMalformed reports bytes that no valid ClientHello (or record
	// stream) can start with; the error returned wraps it with a detail.
	ErrMalformed = errors.New("hello: malformed")
	// ErrTooBig reports a first handshake message longer than MaxHello.
	ErrTooBig = errors.New("hello: handshake message longer than MaxHello")
)

// Detailed forms of ErrMalformed, built once so that returning them does not
// allocate.
var (
	malformed = sentinel.Unprefixed(ErrMalformed) // names the package once

	errRecordType    = fmt.Errorf("hello: handshake: record type not handshake before the message is complete: %w", malformed)
	errRecordVersion = fmt.Errorf("hello: handshake: record version major not 3: %w", malformed)
	errEmptyRecord   = fmt.Errorf("hello: handshake: zero-length record: %w", malformed)
	errLongRecord    = fmt.Errorf("hello: handshake: record longer than 2^14 bytes: %w", malformed)
	errTrailing      = fmt.Errorf("hello: handshake: record carries bytes after the first message: %w", malformed)

	errNotClientHello = fmt.Errorf("hello: parse: handshake type not client_hello: %w", malformed)
	errMsgTrailing    = fmt.Errorf("hello: parse: bytes after the message: %w", malformed)
	errBody           = fmt.Errorf("hello: parse: truncated or inconsistent body: %w", malformed)
	errExtensions     = fmt.Errorf("hello: parse: bad extensions block: %w", malformed)
	errServerName     = fmt.Errorf("hello: parse: bad server_name extension: %w", malformed)
	errALPN           = fmt.Errorf("hello: parse: bad alpn extension: %w", malformed)
	errGroups         = fmt.Errorf("hello: parse: bad supported_groups extension: %w", malformed)
	errKeyShare       = fmt.Errorf("hello: parse: bad key_share extension: %w", malformed)
	errVersions       = fmt.Errorf("hello: parse: bad supported_versions extension: %w", malformed)
)

// Extension types and group ids read by Parse.
const (
	extServerName       = 0x0000
	extSupportedGroups  = 0x000a
	extALPN             = 0x0010
	extSupportedVers    = 0x002b
	extKeyShare         = 0x0033
	extQUICParams       = 0x0039
	extQUICParamsDraft  = 0xffa5
	extECH              = 0xfe0d
	groupX25519MLKEM768 = 0x11ec
	groupX25519Kyber768 = 0x6399
	versionTLS13        = 0x0304
	typeClientHello     = 1
)

// Limits of what a Hello keeps; the rest is counted or skipped.
const (
	maxALPN      = 8
	alpnBufLen   = 256
	maxGroups    = 16
	maxNameLen   = 253
	flagSNI      = 1 << 0
	flagECH      = 1 << 1
	flagPQ       = 1 << 2
	flagQUIC     = 1 << 3
	flagTLS13    = 1 << 4
	seenBitWords = 65536 / 64
)

// Hello is what Parse keeps of a ClientHello. Everything is stored in the
// struct itself: a Hello holds no reference to the message it was parsed
// from, and the slices its methods return alias the Hello and stay valid
// until the next Parse into it. The zero value is an empty Hello (no name).
// A Hello is about 9 KB (8 KB of it the set of extension types seen, kept so
// that duplicates are found in linear time without clearing 8 KB per call):
// keep one per worker and reuse it. It is not safe for concurrent use.
type Hello struct {
	version uint16
	flags   uint8
	amb     Ambiguity
	nameLen uint8
	nALPN   uint8
	nGroups uint8
	nExt    uint16

	name    [maxNameLen]byte
	alpnEnd [maxALPN]uint16
	alpn    [alpnBufLen]byte
	groups  [maxGroups]uint16

	// seen has one bit per extension type met by the running Parse; it is
	// all zero between calls (Parse clears the bits it set before it
	// returns), so that the zero Hello is ready and no call pays for
	// clearing it whole.
	seen [seenBitWords]uint64
}

// Name returns the server name, normalised by Normalize (ASCII lowercased,
// one trailing dot dropped), or an empty slice when there is none. With
// several host_name entries it is the first (the one OpenSSL uses); with
// the server_name extension twice, the first extension's. The slice aliases
// h. Check Ambiguous before trusting it.
func (h *Hello) Name() []byte { return h.name[:h.nameLen] }

// HasSNI reports whether the ClientHello carried a host_name entry in a
// server_name extension. It can be true with an empty Name (an empty or
// dot-only name, or one whose last label is longer than the name limit),
// and then Ambiguous has AmbInvalid.
func (h *Hello) HasSNI() bool { return h.flags&flagSNI != 0 }

// Ambiguous returns why the name cannot be trusted as it stands; 0 means it
// can. See Ambiguity.
func (h *Hello) Ambiguous() Ambiguity { return h.amb }

// ECH reports whether the outer encrypted_client_hello extension (0xfe0d)
// is present. GREASE ECH (on every Chrome connection) and real ECH look the
// same from outside, so this is information, not a block reason: the name
// to judge is the outer SNI.
func (h *Hello) ECH() bool { return h.flags&flagECH != 0 }

// NumALPN returns how many ALPN protocols were kept: the first up to 8,
// stopping early if their bytes together pass 256.
func (h *Hello) NumALPN() int { return int(h.nALPN) }

// ALPN returns the i-th kept ALPN protocol (0 <= i < NumALPN), aliasing h;
// it panics when i is out of range.
func (h *Hello) ALPN(i int) []byte {
	if i < 0 || i >= int(h.nALPN) {
		panic("hello: ALPN index out of range")
	}
	start := uint16(0)
	if i > 0 {
		start = h.alpnEnd[i-1]
	}
	return h.alpn[start:h.alpnEnd[i]]
}

// Groups returns the first up to 16 supported_groups entries as sent,
// GREASE values included, aliasing h.
func (h *Hello) Groups() []uint16 { return h.groups[:h.nGroups] }

// PostQuantum reports whether a post-quantum hybrid group is offered,
// X25519MLKEM768 (0x11ec) or X25519Kyber768Draft00 (0x6399), in
// supported_groups or key_share (every entry is looked at, not only the 16
// kept).
func (h *Hello) PostQuantum() bool { return h.flags&flagPQ != 0 }

// QUIC reports whether the quic_transport_parameters extension (0x39, or the
// draft 0xffa5) is present.
func (h *Hello) QUIC() bool { return h.flags&flagQUIC != 0 }

// TLS13 reports whether supported_versions offers TLS 1.3.
func (h *Hello) TLS13() bool { return h.flags&flagTLS13 != 0 }

// Version returns the legacy_version field (0x0303 for TLS 1.2 and 1.3).
func (h *Hello) Version() uint16 { return h.version }

// NumExtensions returns how many extensions the ClientHello carried.
func (h *Hello) NumExtensions() int { return int(h.nExt) }

// reset empties h's visible fields; buffers are left as they are, since the
// lengths say how much of them counts. seen is already clear.
func (h *Hello) reset() {
	h.version, h.flags, h.amb = 0, 0, 0
	h.nameLen, h.nALPN, h.nGroups, h.nExt = 0, 0, 0, 0
}

// Parse reads a ClientHello handshake message — type 1 with its 4-byte
// header, as Handshake returns it or as QUIC CRYPTO frames carry it — into
// h, which it resets first. msg is not modified nor retained. Parse does
// not allocate.
//
// It returns nil, ErrNeedMore when msg is shorter than its header announces
// (a prefix of a message: for QUIC, read more CRYPTO data), ErrTooBig when
// the announced length passes MaxHello, or ErrMalformed wrapped with a
// detail: a handshake type other than client_hello, bytes after the
// announced length, a truncated or inconsistent field, or a malformed
// server_name, alpn, supported_groups, key_share or supported_versions
// extension (the checks crypto/tls makes). Other extensions are skipped
// unread. On error h is left empty.
func Parse(msg []byte, h *Hello) error {
	h.reset()
	if len(msg) < handshakeHeaderLen {
		if len(msg) >= 1 && msg[0] != typeClientHello {
			return errNotClientHello
		}
		return ErrNeedMore
	}
	if msg[0] != typeClientHello {
		return errNotClientHello
	}
	n := handshakeHeaderLen + (int(msg[1])<<16 | int(msg[2])<<8 | int(msg[3]))
	switch {
	case n > MaxHello:
		return ErrTooBig
	case len(msg) < n:
		return ErrNeedMore
	case len(msg) > n:
		return errMsgTrailing
	}
	err := h.body(cryptobyte.String(msg[handshakeHeaderLen:]))
	if err != nil {
		h.reset()
	}
	return err
}

// body reads the ClientHello body after the handshake header.
func (h *Hello) body(s cryptobyte.String) error {
	var sessionID, suites, compression cryptobyte.String
	if !s.ReadUint16(&h.version) || !s.Skip(32) ||
		!s.ReadUint8LengthPrefixed(&sessionID) ||
		!s.ReadUint16LengthPrefixed(&suites) || len(suites)%2 != 0 ||
		!s.ReadUint8LengthPrefixed(&compression) {
		return errBody
	}
	if s.Empty() {
		return nil // extensions are optional
	}
	var exts cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&exts) || !s.Empty() {
		return errExtensions
	}
	err := h.extensions(exts)
	h.clearSeen(exts)
	return err
}

// extensions reads the extensions block. It marks every type it meets in
// h.seen; the caller clears them with clearSeen on the same block.
func (h *Hello) extensions(exts cryptobyte.String) error {
	for !exts.Empty() {
		var typ uint16
		var data cryptobyte.String
		if !exts.ReadUint16(&typ) || !exts.ReadUint16LengthPrefixed(&data) {
			return errExtensions
		}
		h.nExt++
		w, bit := typ/64, uint64(1)<<(typ%64)
		dup := h.seen[w]&bit != 0
		h.seen[w] |= bit
		if dup {
			h.amb |= AmbDuplicateExt
		}
		var err error
		switch typ {
		case extServerName:
			err = h.serverName(data, dup)
		case extALPN:
			err = h.readALPN(data, dup)
		case extSupportedGroups:
			err = h.readGroups(data, dup)
		case extKeyShare:
			err = h.keyShare(data)
		case extSupportedVers:
			err = h.versions(data)
		case extECH:
			h.flags |= flagECH
		case extQUICParams, extQUICParamsDraft:
			h.flags |= flagQUIC
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// clearSeen clears the bits extensions set for the types in exts. It walks
// the same bytes with the same checks, so it stops where extensions
// stopped, and clears every bit that was set.
func (h *Hello) clearSeen(exts cryptobyte.String) {
	for !exts.Empty() {
		var typ uint16
		var data cryptobyte.String
		if !exts.ReadUint16(&typ) || !exts.ReadUint16LengthPrefixed(&data) {
			return
		}
		h.seen[typ/64] &^= uint64(1) << (typ % 64)
	}
}

// serverName reads a server_name extension (RFC 6066 §3): a non-empty list
// of (name_type, opaque name<1..2^16-1>). Entries of other name types are
// skipped, as crypto/tls does. The first host_name entry of the first
// server_name extension is the name; a later one only adds ambiguity.
func (h *Hello) serverName(data cryptobyte.String, dup bool) error {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) || list.Empty() || !data.Empty() {
		return errServerName
	}
	entries := 0
	for !list.Empty() {
		var typ uint8
		var name cryptobyte.String
		if !list.ReadUint8(&typ) || !list.ReadUint16LengthPrefixed(&name) {
			return errServerName
		}
		entries++
		if entries > 1 {
			h.amb |= AmbMultipleNames
		}
		if typ != 0 || dup || h.flags&flagSNI != 0 {
			continue
		}
		h.flags |= flagSNI
		out, amb := Normalize(&h.name, name)
		h.nameLen = uint8(len(out))
		h.amb |= amb
	}
	return nil
}

// readALPN reads application_layer_protocol_negotiation (RFC 7301 §3.1): a
// non-empty list of non-empty protocol names. The first extension's
// protocols are kept.
func (h *Hello) readALPN(data cryptobyte.String, dup bool) error {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) || list.Empty() || !data.Empty() {
		return errALPN
	}
	full := dup
	used := uint16(0)
	for !list.Empty() {
		var proto cryptobyte.String
		if !list.ReadUint8LengthPrefixed(&proto) || proto.Empty() {
			return errALPN
		}
		if full || h.nALPN == maxALPN || int(used)+len(proto) > alpnBufLen {
			full = true
			continue
		}
		used += uint16(copy(h.alpn[used:], proto))
		h.alpnEnd[h.nALPN] = used
		h.nALPN++
	}
	return nil
}

// readGroups reads supported_groups (RFC 8446 §4.2.7): a non-empty list of
// uint16 group ids. The first extension's first 16 entries are kept.
func (h *Hello) readGroups(data cryptobyte.String, dup bool) error {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) || list.Empty() || len(list)%2 != 0 || !data.Empty() {
		return errGroups
	}
	for !list.Empty() {
		var g uint16
		list.ReadUint16(&g)
		if isPostQuantum(g) {
			h.flags |= flagPQ
		}
		if !dup && h.nGroups < maxGroups {
			h.groups[h.nGroups] = g
			h.nGroups++
		}
	}
	return nil
}

// keyShare reads key_share (RFC 8446 §4.2.8): a list of (group, non-empty
// key_exchange) entries, for the post-quantum flag.
func (h *Hello) keyShare(data cryptobyte.String) error {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) || !data.Empty() {
		return errKeyShare
	}
	for !list.Empty() {
		var g uint16
		var key cryptobyte.String
		if !list.ReadUint16(&g) || !list.ReadUint16LengthPrefixed(&key) || key.Empty() {
			return errKeyShare
		}
		if isPostQuantum(g) {
			h.flags |= flagPQ
		}
	}
	return nil
}

// versions reads supported_versions (RFC 8446 §4.2.1): a non-empty list of
// uint16 versions.
func (h *Hello) versions(data cryptobyte.String) error {
	var list cryptobyte.String
	if !data.ReadUint8LengthPrefixed(&list) || list.Empty() || len(list)%2 != 0 || !data.Empty() {
		return errVersions
	}
	for !list.Empty() {
		var v uint16
		list.ReadUint16(&v)
		if v == versionTLS13 {
			h.flags |= flagTLS13
		}
	}
	return nil
}

func isPostQuantum(g uint16) bool {
	return g == groupX25519MLKEM768 || g == groupX25519Kyber768
}
