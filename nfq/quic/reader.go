package quic

import (
	"bytes"
	"errors"
)

// Reader reads the ClientHello of one flow (one client UDP 5-tuple) from
// the client's datagrams, given one at a time with Add: several Initial
// packets, coalesced or not, in any order, with CRYPTO frames in any order.
//
// Keys: the first Initial that decrypts with the keys of its own
// Destination Connection ID sets the connection's keys. Later Initials are
// opened with those keys first, even when the client has switched its DCID
// to the server's Source Connection ID (RFC 9001 §5.2). When they fail and
// the packet's DCID differs, the keys of the packet's own DCID are tried; if
// they work, a new connection attempt has begun on the flow (the client's
// Initial after a Retry uses a new DCID and resends the ClientHello from
// offset 0), so the keys are switched and the assembler restarts; unless
// the current ClientHello is incomplete but not empty, which is reported as
// ErrConflict (two connection attempts interleaved on one flow). A packet
// of the other supported version is first tried with keys of that version
// and the connection's original DCID (compatible version negotiation,
// RFC 9368), keeping the assembler. Each failed attempt with a new DCID
// costs one key derivation (3 allocations); the most recent candidate
// keys are cached, and the caller bounds how many datagrams a flow may send.
//
// The zero value is ready to use. A Reader holds a Crypto (about 18 KiB)
// and a scratch buffer sized on the first Add (at least 1500 bytes, at
// most the largest packet seen), kept across Reset, so a pooled Reader
// decrypts and reassembles without allocating once its keys are derived.
// Not safe for concurrent use.
type Reader struct {
	keys    Keys // of the connection being read
	alt     Keys // candidate keys, last derived for a packet the keys failed
	crypto  Crypto
	scratch []byte
	nextPN  uint64 // largest packet number opened with keys, plus one (0: none)
	err     error  // first stream error (frames, early restart); sticky until Reset
}

// Reset forgets the flow: keys, CRYPTO data and error. The scratch buffer
// is kept.
func (r *Reader) Reset() {
	r.keys = Keys{}
	r.alt = Keys{}
	r.crypto.Reset()
	r.nextPN = 0
	r.err = nil
}

// Keys returns the keys of the connection being read (not derived before
// the first Initial has been opened). The result aliases r.
func (r *Reader) Keys() *Keys { return &r.keys }

// Add reads one datagram of the flow (the UDP payload, client to server);
// dgram is only read and not retained.
//
// It returns the ClientHello handshake message (4-byte header and body) once
// it is complete, and nil, nil while more is needed. hello aliases r and is
// valid until the next Add or Reset. Once complete, further datagrams are
// still checked (a conflicting retransmission is reported; a new connection
// attempt on the flow restarts the assembly, and hello is then nil until the
// new ClientHello is complete).
//
// Every QUIC packet of the datagram is processed as a server would: packets
// after the first are ignored from the first one that is not an Initial of
// the first packet's DCID (padding, 0-RTT or Handshake packets, garbage),
// and a packet that does not decrypt is skipped. Errors:
//
//   - When no packet of the datagram could be opened and the ClientHello
//     is not complete: the first packet's error (wrapping ErrNotInitial,
//     ErrDecrypt or ErrMalformed). The Reader is unchanged; later datagrams
//     may still succeed. Once the ClientHello is complete, such datagrams
//     (0-RTT, Handshake and 1-RTT packets follow it) return hello, nil.
//   - When the frames of an opened packet are invalid (ErrMalformed,
//     ErrTooBig, ErrConflict), or a new connection attempt starts while
//     the current ClientHello is partly received (ErrConflict): that error,
//     which is sticky: every later Add returns it until Reset. A client
//     that sends these is not one a filter should give the benefit of the
//     doubt.
func (r *Reader) Add(dgram []byte) (hello []byte, err error) {
	if r.err != nil {
		return nil, r.err
	}
	var (
		firstErr error
		dcid     []byte
		opened   bool
	)
	for n := 0; len(dgram) > 0; n++ {
		var h Header
		if err := ParseHeader(dgram, &h); err != nil {
			if n == 0 {
				firstErr = err
			}
			break
		}
		if n > 0 && !bytes.Equal(h.DCID, dcid) {
			break // RFC 9000 §12.2: SHOULD ignore
		}
		dcid = h.DCID
		frames, err := r.open(&h, dgram)
		dgram = dgram[h.End():]
		if errors.Is(err, ErrConflict) {
			r.err = err
			return nil, err
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		opened = true
		if err := r.crypto.AddFrames(frames); err != nil {
			r.err = err
			return nil, err
		}
	}
	hello, done := r.crypto.Hello()
	if !opened && firstErr != nil && !done {
		return nil, firstErr
	}
	return hello, nil
}

// open opens the packet parsed into h, choosing keys as the type comment
// says, and returns its frames (in r.scratch).
func (r *Reader) open(h *Header, dgram []byte) ([]byte, error) {
	if end := h.End(); cap(r.scratch) < end {
		r.scratch = make([]byte, max(end, 1500))
	}
	if !r.keys.Valid() {
		return r.openAlt(h, dgram, h.DCID, false)
	}
	var err error
	if r.keys.version == h.Version {
		var frames []byte
		var pn uint64
		if frames, pn, err = open(&r.keys, h, dgram, r.scratch, int64(r.nextPN)-1); err == nil {
			r.nextPN = max(r.nextPN, pn+1)
			return frames, nil
		}
		if !errors.Is(err, ErrDecrypt) {
			return nil, err
		}
	} else {
		var frames []byte
		if frames, err = r.openAlt(h, dgram, r.keys.DCID(), false); err == nil {
			return frames, nil
		}
	}
	if bytes.Equal(h.DCID, r.keys.DCID()) {
		return nil, err
	}
	return r.openAlt(h, dgram, h.DCID, true)
}

// openAlt opens the packet with the keys of (h.Version, dcid), deriving
// them into r.alt unless cached there; on success they become the
// connection's keys, and with restart the assembler starts over.
//
// A restart while the current connection's ClientHello is partly received
// fails with errEarlyRestart (ErrConflict): a client that sends part of a
// ClientHello under one DCID and a whole one under another has two
// connection attempts on one flow, and the server may complete the first
// one with bytes the flow's verdict then lets through unread. A real
// client resends its ClientHello under a new DCID (after a Retry) only once
// it has sent the whole of it.
func (r *Reader) openAlt(h *Header, dgram, dcid []byte, restart bool) ([]byte, error) {
	if !r.alt.Matches(h.Version, dcid) {
		if err := r.alt.Derive(h.Version, dcid); err != nil {
			return nil, err
		}
	}
	largest := int64(r.nextPN) - 1
	if restart || !r.keys.Valid() {
		largest = -1
	}
	frames, pn, err := open(&r.alt, h, dgram, r.scratch, largest)
	if err != nil {
		return nil, err
	}
	if restart {
		if _, done := r.crypto.Hello(); !done && !r.crypto.empty() {
			return nil, errEarlyRestart
		}
		r.crypto.Reset()
		r.nextPN = 0
	}
	r.keys, r.alt = r.alt, r.keys
	r.nextPN = max(r.nextPN, pn+1)
	return frames, nil
}
