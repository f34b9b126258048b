package reading

import (
	"errors"

	"github.com/safeinternet/cpe/nfq/reasm"
)

// Segment adds one data segment of a TCP flow's client stream (payload at
// sequence number seq) to s, the flow's reassembly, and reads the stream's
// in-order start with Stream. s was started with
// s.Init(buf, start, MaxSegments), buf of StreamBuffer bytes and start the
// sequence number of the stream's first byte (the SYN's plus one). bound is
// how many data segments the flow may take: MaxSegments, or SegmentBound of
// the kernel's guard. port and final are Stream's. The rules, in order:
//
//   - An overlap with bytes different from those received
//     (reasm.ErrConflict): done, Evasion: the server may read the other copy.
//   - Bytes beyond StreamBuffer, or a segment past s's own count: done,
//     Unreadable.
//   - A name complete, or final: done, as Stream says.
//   - Otherwise, once the flow has taken bound segments: done, Unreadable
//     (ErrSegments), with the Kind read so far.
//   - Otherwise need more.
//
// The common case, the whole ClientHello or request head in the flow's
// first data segment, needs no copy: a caller reads a first segment that
// starts the stream in place with Stream(payload, port, false) before any
// reassembly has begun, and gives it to Segment (as every later segment)
// only when that Result is not done.
//
// Segment does not allocate. Its Result aliases s's buffer or r.
func (r *Reader) Segment(s *reasm.Stream, seq uint32, payload []byte, port uint16, bound int, final bool) Result {
	_, err := s.Add(seq, payload)
	switch {
	case errors.Is(err, reasm.ErrConflict):
		return Result{}.end(Evasion, err)
	case errors.Is(err, reasm.ErrTooManySegments):
		return Result{}.end(Unreadable, ErrSegments)
	case err != nil:
		return Result{}.end(Unreadable, err)
	}
	res := r.Stream(s.Contiguous(), port, final)
	if !res.Done && s.Segments() >= bound {
		return res.end(Unreadable, ErrSegments)
	}
	return res
}
