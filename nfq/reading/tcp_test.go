package reading

import (
	"bytes"
	"slices"
	"testing"

	"github.com/safeinternet/cpe/nfq/hello"
	"github.com/safeinternet/cpe/nfq/reasm"
)

// seg is one data segment at a stream offset.
type seg struct {
	off  int
	data []byte
}

// inOrder gives the pieces as consecutive segments from offset 0.
func inOrder(pieces ...[]byte) []seg {
	var out []seg
	off := 0
	for _, p := range pieces {
		out = append(out, seg{off, p})
		off += len(p)
	}
	return out
}

var isn uint32 = 0xfffffff0 // the stream's first sequence number: wraps within the hello

func TestSegment(t *testing.T) {
	ch := goHello(t, "www.Example.com")
	if len(ch) < 1200 {
		t.Fatalf("ClientHello of %d bytes: want one that spans segments", len(ch))
	}
	p := cut(ch, 500, 1000)
	conflict := slices.Clone(ch[300:900])
	conflict[100] ^= 0xff
	get := []byte("GET /x HTTP/1.1\r\nHost: Example.COM\r\n\r\n")
	var ones []seg // the hello from its second byte, one byte a segment: never contiguous
	for i := 1; i <= MaxSegments; i++ {
		ones = append(ones, seg{i, ch[i : i+1]})
	}
	const name = "www.example.com"
	tests := []struct {
		name  string
		segs  []seg
		port  uint16
		bound int
		final bool // with the last segment
		want  []want
	}{
		{"three segments: the last completes it", inOrder(p...), 443, MaxSegments, false,
			[]want{{kind: TLS}, {kind: TLS}, {kind: TLS, name: name, done: true, used: len(ch)}}},
		{"out of order", []seg{{1000, p[2]}, {0, p[0]}, {500, p[1]}}, 443, MaxSegments, false,
			[]want{{}, {kind: TLS}, {kind: TLS, name: name, done: true, used: len(ch)}}},
		{"retransmissions are read once", []seg{{0, p[0]}, {0, p[0]}, {0, ch[:700]}, {500, ch[500:]}}, 443, MaxSegments, false,
			[]want{{kind: TLS}, {kind: TLS}, {kind: TLS}, {kind: TLS, name: name, done: true, used: len(ch)}}},
		{"an overlap with different bytes: evasion", []seg{{0, p[0]}, {300, conflict}}, 443, MaxSegments, false,
			[]want{{kind: TLS}, {flags: Evasion, done: true, err: reasm.ErrConflict}}},
		{"an equal overlap is fine", []seg{{0, p[0]}, {300, ch[300:900]}, {900, ch[900:]}}, 443, MaxSegments, false,
			[]want{{kind: TLS}, {kind: TLS}, {kind: TLS, name: name, done: true, used: len(ch)}}},
		{"the bound reached: unreadable", ones, 443, MaxSegments, false,
			append(make([]want, MaxSegments-1), want{flags: Unreadable, done: true, err: ErrSegments})},
		{"the guard's bound: unreadable sooner", ones[:SegmentBound(8)], 443, SegmentBound(8), false,
			append(make([]want, SegmentBound(8)-1), want{flags: Unreadable, done: true, err: ErrSegments})},
		{"part of a hello at the bound keeps its kind", inOrder(p[:2]...), 443, 2, false,
			[]want{{kind: TLS}, {kind: TLS, flags: Unreadable, done: true, err: ErrSegments}}},
		{"final (time up) with part of a hello", inOrder(p[:2]...), 443, MaxSegments, true,
			[]want{{kind: TLS}, {kind: TLS, flags: Unreadable, done: true, err: hello.ErrNeedMore}}},
		{"final with a hole at the start", []seg{{500, p[1]}}, 443, MaxSegments, true,
			[]want{{flags: Unreadable, done: true, err: ErrIncomplete}}},
		{"bytes beyond the buffer", []seg{{0, p[0]}, {StreamBuffer - 10, make([]byte, 20)}}, 443, MaxSegments, false,
			[]want{{kind: TLS}, {flags: Unreadable, done: true, err: reasm.ErrTooBig}}},
		{"HTTP head across segments", inOrder(get[:20], get[20:]), 80, MaxSegments, false,
			[]want{{kind: HTTP}, {kind: HTTP, name: "example.com", done: true}}},
		{"not TLS on 443 after a first piece", inOrder([]byte("SS"), []byte("H-2.0\r\n")), 443, MaxSegments, false,
			[]want{{flags: Unreadable, done: true, err: ErrNotTLSOrHTTP}}},
	}
	var r Reader
	buf := make([]byte, StreamBuffer)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s reasm.Stream
			s.Init(buf, isn, MaxSegments)
			for i, sg := range tt.segs {
				res := r.Segment(&s, isn+uint32(sg.off), sg.data, tt.port, tt.bound, tt.final && i == len(tt.segs)-1)
				check(t, res, tt.want[i])
				if res.Done {
					if i != len(tt.want)-1 {
						t.Fatalf("done at segment %d of %d", i+1, len(tt.want))
					}
					return
				}
			}
		})
	}
}

// TestInPlaceIsSegment: a first segment read in place with Stream gives
// the Result that Segment gives for it, for every fixture: the shortcut
// changes no reading.
func TestInPlaceIsSegment(t *testing.T) {
	fixtures := [][]byte{mustHex(t, tinyHello), mustHex(t, noSNIHello), goHello(t, "a.test"),
		slices.Concat(mustHex(t, tinyHello), mustHex(t, tinyHello)), []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
		[]byte("GET / HTTP/1.0\r\n\r\n"), []byte("SSH-2.0-x\r\n"), mustHex(t, `16 0303 0006 02 000002 0303`)}
	var a, b Reader
	buf := make([]byte, StreamBuffer)
	for _, f := range fixtures {
		for _, port := range []uint16{443, 80, 25} {
			var s reasm.Stream
			s.Init(buf, isn, MaxSegments)
			in, seg := a.Stream(f, port, false), b.Segment(&s, isn, f, port, MaxSegments, false)
			if in.Kind != seg.Kind || !bytes.Equal(in.Name, seg.Name) || in.Flags != seg.Flags || in.Done != seg.Done ||
				in.Used != seg.Used || in.Err != seg.Err || in.Ambiguity != seg.Ambiguity {
				t.Errorf("%q to %d: in place %+v, through Segment %+v", f[:min(len(f), 16)], port, in, seg)
			}
		}
	}
}
