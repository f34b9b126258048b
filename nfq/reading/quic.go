package reading

import (
	"errors"

	"github.com/safeinternet/cpe/nfq/hello"
	"github.com/safeinternet/cpe/nfq/quic"
)

// Discarded reports whether a QUIC server discards the client datagram
// dgram (the UDP payload) unread, so that the reader must not read it
// either: otherwise a client could settle its flow with an allowed
// ClientHello the server never reads, and then send the blocked one. Such a
// datagram passes unread. A server discards
//
//   - a datagram with a bad UDP checksum (checksumOK false: its kernel drops
//     it; a capture tool whose checksums were never filled passes true);
//   - a client Initial in a datagram under MinInitialDatagram bytes
//     (RFC 9000 §14.1);
//   - the flow's first Initial when its DCID is under MinFirstDCID bytes
//     (RFC 9000 §7.2; quic-go and quiche drop it). q is the flow's
//     quic.Reader, nil when it has none yet: an Initial is the first while q
//     has opened none (holds no keys). Later Initials carry the server's
//     connection ID, of any length.
//
// It does not allocate.
func Discarded(dgram []byte, checksumOK bool, q *quic.Reader) bool {
	if !checksumOK {
		return true
	}
	var hdr quic.Header
	if quic.ParseHeader(dgram, &hdr) != nil {
		return false // not an Initial: Datagram says what it is
	}
	first := q == nil || !q.Keys().Valid()
	return len(dgram) < MinInitialDatagram || first && len(hdr.DCID) < MinFirstDCID
}

// NonInitialLongHeader reports whether dgram starts with a QUIC long header
// of version 1 or 2 whose type is not Initial (0-RTT, Handshake, Retry).
// Such a packet carries no name, and a server cannot use it without the
// flow's Initial, which it may overtake: Datagram passes it unread, within
// the bound. It does not allocate.
func NonInitialLongHeader(dgram []byte) bool {
	if len(dgram) < 5 || dgram[0]&0x80 == 0 {
		return false
	}
	v := uint32(dgram[1])<<24 | uint32(dgram[2])<<16 | uint32(dgram[3])<<8 | uint32(dgram[4])
	typ := dgram[0] >> 4 & 3
	switch v {
	case quic.Version1:
		return typ != 0
	case quic.Version2:
		return typ != 1
	}
	return false
}

// Datagram reads one client datagram of a QUIC flow (the UDP payload, which
// Discarded let through) with q, the flow's reader (Reset for a new flow).
// n counts the flow's datagrams so far, this one included; bound is how many
// it may send: MaxDatagrams, or DatagramBound of the kernel's guard. With
// final the flow's time is up. The rules, in order:
//
//   - A long header packet that is not an Initial (NonInitialLongHeader: a
//     0-RTT or Handshake packet overtaking the Initial): need more, unread,
//     q unchanged; at the bound or with final, Unreadable (ErrDatagrams,
//     ErrIncomplete).
//   - CRYPTO data conflicting with what was received, or two connection
//     attempts interleaved (quic.ErrConflict): Evasion.
//   - Anything q cannot read (not a v1 or v2 Initial, as a flow's first
//     datagram or later; not decryptable; malformed frames): Unreadable.
//     Browsers fall back to TCP, where the name is read.
//   - The ClientHello complete: its server name, read as Stream reads a
//     TLS one (Unreadable when it does not parse), and its Random.
//   - Otherwise need more, until the bound (Unreadable, ErrDatagrams) or
//     final (Unreadable, ErrIncomplete).
//
// The Result's Name and Random alias r and q.
func (r *Reader) Datagram(q *quic.Reader, dgram []byte, n, bound int, final bool) Result {
	res := Result{Kind: QUIC}
	if NonInitialLongHeader(dgram) {
		switch {
		case n >= bound:
			return res.end(Unreadable, ErrDatagrams)
		case final:
			return res.end(Unreadable, ErrIncomplete)
		}
		return res
	}
	msg, err := q.Add(dgram)
	switch {
	case errors.Is(err, quic.ErrConflict):
		return res.end(Evasion, err)
	case err != nil:
		return res.end(Unreadable, err)
	case msg != nil:
		if err := hello.Parse(msg, &r.h); err != nil {
			return res.end(Unreadable, err)
		}
		res.Done, res.Name, res.Random = true, r.h.Name(), Random(msg)
		if res.Ambiguity = r.h.Ambiguous(); res.Ambiguity != 0 {
			res.Flags |= Ambiguous
		}
		return res
	case n >= bound:
		return res.end(Unreadable, ErrDatagrams)
	case final:
		return res.end(Unreadable, ErrIncomplete)
	}
	return res
}

// Random returns the 32-byte random of the ClientHello handshake message
// msg (after its 4-byte header and the 2-byte legacy_version), aliasing
// msg; nil when msg is too short. A client's retransmitted Initial repeats
// it; a new connection has another. It does not allocate.
func Random(msg []byte) []byte {
	if len(msg) < 38 {
		return nil
	}
	return msg[6:38:38]
}

// Probe tells a client Initial that starts a new connection on the
// addresses and ports of a flow judged moments ago (to be read as a new
// flow) from one of the judged connection (which keeps its verdict). The
// zero value is ready to use; it holds Initial keys, a quic.Crypto (about
// 18 KiB) and a scratch buffer sized on first use. Not safe for concurrent
// use.
type Probe struct {
	keys    quic.Keys
	crypto  quic.Crypto
	scratch []byte
}

// NewConnection reports whether dgram, a client datagram on a flow judged
// moments ago, starts another connection: it is an Initial that decrypts
// with the keys of its own DCID (a new connection's first Initial; the
// Initials that follow a connection's first carry the server's connection
// ID and use the first DCID's keys), and its CRYPTO data at offset 0 starts
// a ClientHello with another random than judged, the random of the
// ClientHello the flow was judged on (see Random; nil when none was read,
// and then any ClientHello start is new). A retransmitted Initial repeats
// the random; an Initial without CRYPTO data at offset 0 (ACK, PING) is not
// new; one whose frames do not parse is, so that it is read as a flow.
//
// Deriving the keys of a DCID not probed just before allocates (3
// allocations); dgram is only read.
func (p *Probe) NewConnection(dgram, judged []byte) bool {
	var hdr quic.Header
	if quic.ParseHeader(dgram, &hdr) != nil {
		return false
	}
	if !p.keys.Matches(hdr.Version, hdr.DCID) {
		if err := p.keys.Derive(hdr.Version, hdr.DCID); err != nil {
			return false
		}
	}
	if cap(p.scratch) < len(dgram) {
		p.scratch = make([]byte, 0, max(len(dgram), 1500))
	}
	frames, _, _, err := quic.Open(&p.keys, dgram, p.scratch[:0])
	if err != nil {
		return false
	}
	p.crypto.Reset()
	if p.crypto.AddFrames(frames) != nil {
		return true
	}
	start := p.crypto.Prefix()
	switch {
	case len(start) == 0:
		return false
	case len(start) < 38 || judged == nil:
		return true
	}
	return string(Random(start)) != string(judged)
}
