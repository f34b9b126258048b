package quic

import (
	"fmt"

	"github.com/safeinternet/cpe/internal/sentinel"
)

// The sentinels as they read inside this package's errors, which name the
// package already: "quic: parse header: not a quic v1/v2 initial packet:
// short header".
var (
	notInitial    = sentinel.Unprefixed(ErrNotInitial)
	undecryptable = sentinel.Unprefixed(ErrDecrypt)
	malformed     = sentinel.Unprefixed(ErrMalformed)
	tooBig        = sentinel.Unprefixed(ErrTooBig)
	conflict      = sentinel.Unprefixed(ErrConflict)
)

// The errors of the per-packet paths are built once, so that turning a
// packet away (a short header, an unknown version, a failed decryption) does
// not allocate: these are what a flood of junk on UDP/443 produces. Each
// wraps one of the exported sentinels; the version or type that was
// rejected stays readable from the Header.
var (
	errShortHeader = fmt.Errorf("quic: parse header: %w: short header", notInitial)
	errVersion     = fmt.Errorf("quic: parse header: %w: unsupported version", notInitial)
	errPacketType  = fmt.Errorf("quic: parse header: %w: long header of another type", notInitial)
	errTruncated   = fmt.Errorf("quic: parse header: %w: truncated long header", malformed)
	errDCID        = fmt.Errorf("quic: parse header: %w: destination connection id", malformed)
	errSCID        = fmt.Errorf("quic: parse header: %w: source connection id", malformed)
	errToken       = fmt.Errorf("quic: parse header: %w: token beyond datagram", malformed)
	errLength      = fmt.Errorf("quic: parse header: %w: length beyond datagram", malformed)
	errLengthShort = fmt.Errorf("quic: parse header: %w: length too short for header protection", malformed)

	errNoKeys      = fmt.Errorf("quic: open: %w: no keys", undecryptable)
	errAEAD        = fmt.Errorf("quic: open: %w", undecryptable)
	errKeysVersion = fmt.Errorf("quic: open: %w: keys of another version", notInitial)
	errHeaderFit   = fmt.Errorf("quic: open: %w: header does not fit the datagram", malformed)
	errOverlap     = fmt.Errorf("quic: open: %w: scratch overlaps the datagram", malformed)
	errReserved    = fmt.Errorf("quic: open: %w: reserved header bits set", malformed)
	errNoFrames    = fmt.Errorf("quic: open: %w: packet without frames", malformed)

	errEarlyRestart = fmt.Errorf("quic: reader: %w: new connection attempt before the client hello was complete", conflict)
)
