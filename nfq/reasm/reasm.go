// Package reasm reassembles the client-to-server bytes at the beginning of one
// TCP flow, for the packet path: the router sees a flow's SYN and then its
// first few payload segments from the LAN device, possibly out of order,
// retransmitted or overlapping, and needs the in-order byte prefix to read a
// ClientHello or an HTTP request head from.
//
// A Stream works in a buffer the caller owns (typically pooled) and never
// allocates. It keeps at most MaxSegments received byte ranges in a fixed
// array, and it bounds the work spent on one flow by counting every data
// segment offered to it, retransmits included.
//
// Overlaps are where evasion lives: a sender can send two segments that cover
// the same sequence numbers with different bytes, hoping that the filter reads
// one and the server the other. Add compares every overlap with what is
// already stored and reports a difference as ErrConflict, so the caller can
// refuse the flow instead of guessing which copy the server will keep.
package reasm

import (
	"bytes"
	"errors"
)

// Errors returned by Stream.Add. They are returned as they are (not wrapped),
// so that failing costs no allocation.
var (
	// ErrConflict reports a segment that overlaps bytes already received with
	// different content: the sender is trying to make the filter and the
	// server see different streams. Nothing of that segment is stored.
	ErrConflict = errors.New("reasm: overlap with different bytes")
	// ErrTooBig reports a segment carrying bytes at or beyond the buffer's
	// capacity (offset len(buf) from start or later). Its bytes within the
	// capacity are still stored, unless they conflict with stored bytes:
	// then Add reports ErrConflict instead.
	ErrTooBig = errors.New("reasm: data beyond the buffer's capacity")
	// ErrTooManySegments reports a data segment offered after maxSegs of them
	// have already been offered. Nothing of it is stored.
	ErrTooManySegments = errors.New("reasm: too many segments")
)

// MaxSegments is the most segments a Stream accepts, whatever Init is given.
// It sizes the fixed array of received ranges: every accepted segment adds at
// most one range, so the array cannot overflow.
const MaxSegments = 32

// MaxCapacity is the largest buffer a Stream uses. Offsets are kept in 32
// bits, and sequence numbers more than 2^31 ahead of start count as behind it.
const MaxCapacity = 1 << 30

// span is a received byte range [lo, hi) as offsets from the stream's start.
type span struct{ lo, hi int32 }

// Stream is the beginning of one direction of a TCP flow, reassembled in a
// caller-owned buffer. The zero value accepts no segment (Add reports
// ErrTooManySegments); call Init first.
//
// A Stream is not safe for concurrent use. It keeps a reference to the buffer
// given to Init until the next Init; the caller must not write to that buffer
// or hand it to anyone else (back to a pool, for instance) while it still uses
// the Stream or a slice returned by Contiguous.
type Stream struct {
	buf     []byte
	start   uint32
	maxSegs int
	segs    int // data segments offered since Init, up to maxSegs

	// ranges are the received byte ranges, sorted, disjoint and not
	// touching (adjacent ranges are merged). When the contiguous prefix is
	// not empty it is ranges[0], with lo 0.
	ranges  [MaxSegments]span
	nranges int
}

// Init starts a stream whose first payload byte has sequence number start
// (the SYN's sequence number plus one), with buf as its storage: len(buf) is
// the capacity, bytes at offsets len(buf) and beyond are refused with
// ErrTooBig. buf's previous contents do not matter and need not be cleared;
// only bytes received since Init are ever read back.
//
// At most maxSegs data segments are accepted: every non-empty payload offered
// to Add counts, retransmits and segments wholly before start included, so
// maxSegs bounds the work spent on one flow. maxSegs is clamped to
// [0, MaxSegments].
//
// Init forgets everything the stream held before. A buffer longer than
// MaxCapacity is used up to MaxCapacity only.
func (s *Stream) Init(buf []byte, start uint32, maxSegs int) {
	maxSegs = max(0, min(maxSegs, MaxSegments))
	if len(buf) > MaxCapacity {
		buf = buf[:MaxCapacity]
	}
	*s = Stream{buf: buf, start: start, maxSegs: maxSegs}
}

// Add offers one segment's payload at sequence number seq. Sequence numbers
// wrap around at 2^32: a seq up to 2^31-1 after start is ahead of it, any
// other is behind it. Bytes before start are trimmed (a SYN that carries data
// is handled by the caller passing the SYN's payload at start). Exact
// retransmits and overlaps that repeat the stored bytes are accepted.
//
// Add reports whether the contiguous prefix (Contiguous) grew. An empty
// payload is ignored and not counted. Errors:
//   - ErrTooManySegments: maxSegs data segments were already offered; the
//     segment is ignored.
//   - ErrConflict: the segment differs from bytes already stored where they
//     overlap; the segment is ignored (it still counts towards maxSegs).
//   - ErrTooBig: the segment reaches offset len(buf) or beyond; the part
//     below len(buf) is stored as if it were the whole segment, and grew says
//     whether that extended the prefix.
//
// Add copies payload into the stream's buffer and keeps no reference to it.
// It does not allocate.
func (s *Stream) Add(seq uint32, payload []byte) (grew bool, err error) {
	if len(payload) == 0 {
		return false, nil
	}
	if s.segs >= s.maxSegs {
		return false, ErrTooManySegments
	}
	s.segs++

	// Offset of payload[0] from start, negative when it is behind start.
	off := int64(int32(seq - s.start))
	if off < 0 {
		if int64(len(payload)) <= -off {
			return false, nil // wholly before start: an old retransmit
		}
		payload = payload[-off:]
		off = 0
	}
	capacity := int64(len(s.buf))
	if off >= capacity {
		return false, ErrTooBig
	}
	if off+int64(len(payload)) > capacity {
		payload = payload[:capacity-off]
		err = ErrTooBig
	}
	lo, hi := int32(off), int32(off)+int32(len(payload))

	// Every overlap must repeat the stored bytes; check them all before
	// storing anything, so a conflicting segment leaves no trace.
	for _, r := range s.ranges[:s.nranges] {
		if r.lo >= hi {
			break
		}
		a, b := max(lo, r.lo), min(hi, r.hi)
		if a < b && !bytes.Equal(s.buf[a:b], payload[a-lo:b-lo]) {
			return false, ErrConflict
		}
	}
	copy(s.buf[lo:hi], payload)

	before := s.contiguous()
	s.insert(lo, hi)
	return s.contiguous() > before, err
}

// insert records [lo, hi) as received, merging it with every range it
// overlaps or touches.
func (s *Stream) insert(lo, hi int32) {
	// Ranges [i, j) are the ones merged with the new one.
	i := 0
	for i < s.nranges && s.ranges[i].hi < lo {
		i++
	}
	j := i
	for j < s.nranges && s.ranges[j].lo <= hi {
		lo = min(lo, s.ranges[j].lo)
		hi = max(hi, s.ranges[j].hi)
		j++
	}
	switch {
	case j == i: // no merge: make room at i
		copy(s.ranges[i+1:s.nranges+1], s.ranges[i:s.nranges])
		s.nranges++
	case j > i+1: // several merged into one: close the gap
		copy(s.ranges[i+1:], s.ranges[j:s.nranges])
		s.nranges -= j - i - 1
	}
	s.ranges[i] = span{lo, hi}
}

// contiguous returns the length of the in-order prefix.
func (s *Stream) contiguous() int32 {
	if s.nranges == 0 || s.ranges[0].lo != 0 {
		return 0
	}
	return s.ranges[0].hi
}

// Contiguous returns the bytes received in order from start, with no hole
// before them; empty (not nil only when a buffer was given) until the first
// byte at start arrives. The result aliases the buffer given to Init: it is
// valid until the next Init, and later Adds only extend it, never change it.
func (s *Stream) Contiguous() []byte {
	n := s.contiguous()
	return s.buf[:n:n]
}

// Segments returns how many data segments were offered since Init and counted
// (every non-empty payload, up to maxSegs).
func (s *Stream) Segments() int { return s.segs }

// Holes reports whether bytes were received beyond the contiguous prefix,
// after a gap: the stream is waiting for a missing segment.
func (s *Stream) Holes() bool {
	return s.nranges > 1 || (s.nranges == 1 && s.ranges[0].lo != 0)
}
