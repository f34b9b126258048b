package quic

import "fmt"

// The errors of the per-packet paths are built once, so that turning a
// packet away (a short header, an unknown version, a failed decryption) does
// not allocate: these are what a flood of junk on UDP/443 produces. Each
// wraps one of the exported sentinels; the version or type that was
// rejected stays readable from the Header.
var (
	errShortHeader = fmt.Errorf("quic: parse header: %w: short header", ErrNotInitial)
	errVersion     = fmt.Errorf("quic: parse header: %w: unsupported version", ErrNotInitial)
	errPacketType  = fmt.Errorf("quic: parse header: %w: long header of another type", ErrNotInitial)
	errTruncated   = fmt.Errorf("quic: parse header: %w: truncated long header", ErrMalformed)
	errDCID        = fmt.Errorf("quic: parse header: %w: destination connection id", ErrMalformed)
	errSCID        = fmt.Errorf("quic: parse header: %w: source connection id", ErrMalformed)
	errToken       = fmt.Errorf("quic: parse header: %w: token beyond datagram", ErrMalformed)
	errLength      = fmt.Errorf("quic: parse header: %w: length beyond datagram", ErrMalformed)
	errLengthShort = fmt.Errorf("quic: parse header: %w: length too short for header protection", ErrMalformed)

	errNoKeys      = fmt.Errorf("quic: open: %w: no keys", ErrDecrypt)
	errAEAD        = fmt.Errorf("quic: open: %w", ErrDecrypt)
	errKeysVersion = fmt.Errorf("quic: open: %w: keys of another version", ErrNotInitial)
	errHeaderFit   = fmt.Errorf("quic: open: %w: header does not fit the datagram", ErrMalformed)
	errOverlap     = fmt.Errorf("quic: open: %w: scratch overlaps the datagram", ErrMalformed)
	errReserved    = fmt.Errorf("quic: open: %w: reserved header bits set", ErrMalformed)
	errNoFrames    = fmt.Errorf("quic: open: %w: packet without frames", ErrMalformed)

	errEarlyRestart = fmt.Errorf("quic: reader: %w: new connection attempt before the client hello was complete", ErrConflict)
)
