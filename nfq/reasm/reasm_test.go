package reasm

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// text is the stream most cases carry: 36 distinct bytes, so a misplaced
// byte shows.
const text = "0123456789abcdefghijklmnopqrstuvwxyz"

// seg is one Add call: payload at start+off, and what Add must return.
type seg struct {
	off      int64 // from start; negative is before it, wraps at 2^32
	data     string
	wantGrew bool
	wantErr  error
}

// at is a segment of text at off, for tables.
func at(off, end int) string { return text[off:end] }

func TestAdd(t *testing.T) {
	tests := []struct {
		name       string
		start      uint32
		capacity   int // buffer length; 0 means 64
		maxSegs    int // 0 means MaxSegments
		segs       []seg
		wantContig string
		wantHoles  bool
		wantSegs   int
	}{
		{
			name: "in order",
			segs: []seg{
				{0, at(0, 10), true, nil},
				{10, at(10, 20), true, nil},
				{20, at(20, 36), true, nil},
			},
			wantContig: text, wantSegs: 3,
		},
		{
			name: "reversed",
			segs: []seg{
				{20, at(20, 36), false, nil},
				{10, at(10, 20), false, nil},
				{0, at(0, 10), true, nil},
			},
			wantContig: text, wantSegs: 3,
		},
		{
			name: "hole stays open",
			segs: []seg{
				{0, at(0, 10), true, nil},
				{20, at(20, 36), false, nil},
			},
			wantContig: at(0, 10), wantHoles: true, wantSegs: 2,
		},
		{
			name: "only a later segment",
			segs: []seg{
				{5, at(5, 9), false, nil},
			},
			wantContig: "", wantHoles: true, wantSegs: 1,
		},
		{
			name: "exact retransmit",
			segs: []seg{
				{0, at(0, 10), true, nil},
				{0, at(0, 10), false, nil},
				{10, at(10, 20), true, nil},
				{10, at(10, 20), false, nil},
			},
			wantContig: at(0, 20), wantSegs: 4,
		},
		{
			name: "consistent overlaps",
			segs: []seg{
				{0, at(0, 10), true, nil},
				{5, at(5, 15), true, nil},    // overlaps the prefix's tail
				{12, at(12, 14), false, nil}, // wholly inside
				{20, at(20, 30), false, nil},
				{14, at(14, 24), true, nil}, // bridges the hole, overlaps both sides
			},
			wantContig: at(0, 30), wantSegs: 5,
		},
		{
			name: "one segment covers several ranges",
			segs: []seg{
				{4, at(4, 6), false, nil},
				{10, at(10, 12), false, nil},
				{16, at(16, 18), false, nil},
				{30, at(30, 32), false, nil},
				{2, at(2, 20), false, nil},
				{0, at(0, 2), true, nil},
			},
			wantContig: at(0, 20), wantHoles: true, wantSegs: 6,
		},
		{
			name: "adjacent ranges merge",
			segs: []seg{
				{10, at(10, 20), false, nil},
				{20, at(20, 30), false, nil},
				{0, at(0, 10), true, nil},
			},
			wantContig: at(0, 30), wantSegs: 3,
		},
		{
			name: "overlap with different bytes",
			segs: []seg{
				{0, at(0, 10), true, nil},
				{5, "5678Xabcde", false, ErrConflict}, // 'X' where '9' was
				{10, at(10, 15), true, nil},
			},
			wantContig: at(0, 15), wantSegs: 3,
		},
		{
			name: "conflict in the last overlapped range leaves no trace",
			segs: []seg{
				{2, at(2, 4), false, nil},
				{8, at(8, 10), false, nil},
				{0, "0123456799", false, ErrConflict}, // 2-3 agree, '9' where '8' was
				{0, at(0, 2), true, nil},              // the gap 0-1 was not filled
			},
			wantContig: at(0, 4), wantHoles: true, wantSegs: 4,
		},
		{
			name: "conflicting retransmit of the first segment",
			segs: []seg{
				{0, "GET / HTTP/1.1\r\n", true, nil},
				{0, "GET /x HTTP/1.1\r", false, ErrConflict},
			},
			wantContig: "GET / HTTP/1.1\r\n", wantSegs: 2,
		},
		{
			name:  "wrap-around at 2^32",
			start: 0xFFFF_FFF0,
			segs: []seg{
				{20, at(20, 36), false, nil}, // seq 4
				{0, at(0, 10), true, nil},    // seq 0xFFFFFFF0
				{10, at(10, 20), true, nil},  // seq 0xFFFFFFFA, crosses 0
			},
			wantContig: text, wantSegs: 3,
		},
		{
			name:  "bytes before start are trimmed",
			start: 5,
			segs: []seg{
				{-3, "xyz" + at(0, 7), true, nil}, // seq 2
				{7, at(7, 10), true, nil},
			},
			wantContig: at(0, 10), wantSegs: 2,
		},
		{
			name:  "before start, across the wrap",
			start: 2,
			segs: []seg{
				{-4, "wxyz" + at(0, 4), true, nil}, // seq 0xFFFFFFFE
			},
			wantContig: at(0, 4), wantSegs: 1,
		},
		{
			name: "wholly before start",
			segs: []seg{
				{-10, "old bytes!", false, nil}, // ends right at start
				{-1 << 31, "far", false, nil},   // as far behind as can be
				{0, at(0, 3), true, nil},
			},
			wantContig: at(0, 3), wantSegs: 3,
		},
		{
			name: "zero-length payloads are not counted",
			segs: []seg{
				{0, "", false, nil},
				{100, "", false, nil},
				{0, at(0, 3), true, nil},
				{3, "", false, nil},
			},
			wantContig: at(0, 3), wantSegs: 1,
		},
		{
			name:     "capacity exceeded keeps what fits",
			capacity: 12,
			segs: []seg{
				{0, at(0, 8), true, nil},
				{8, at(8, 16), true, ErrTooBig},
				{12, at(12, 14), false, ErrTooBig},
			},
			wantContig: at(0, 12), wantSegs: 3,
		},
		{
			name:     "segment wholly beyond capacity",
			capacity: 12,
			segs: []seg{
				{20, at(20, 24), false, ErrTooBig},
				{1<<31 - 1, "x", false, ErrTooBig}, // the furthest ahead
			},
			wantContig: "", wantSegs: 2,
		},
		{
			name:     "conflict wins over too big",
			capacity: 12,
			segs: []seg{
				{0, at(0, 12), true, nil},
				{8, "89aBcdef", false, ErrConflict},
			},
			wantContig: at(0, 12), wantSegs: 2,
		},
		{
			name:    "too many segments",
			maxSegs: 3,
			segs: []seg{
				{0, at(0, 2), true, nil},
				{0, at(0, 2), false, nil}, // retransmits count
				{2, at(2, 4), true, nil},
				{4, at(4, 6), false, ErrTooManySegments},
				{6, "", false, nil}, // empty ones are still ignored
			},
			wantContig: at(0, 4), wantSegs: 3,
		},
		{
			name:    "maxSegs above MaxSegments is clamped",
			maxSegs: 1000,
			segs: func() []seg {
				var s []seg
				for i := range MaxSegments {
					s = append(s, seg{int64(i), at(i, i+1), true, nil})
				}
				return append(s, seg{MaxSegments, at(MaxSegments, MaxSegments+1), false, ErrTooManySegments})
			}(),
			wantContig: at(0, MaxSegments), wantSegs: MaxSegments,
		},
		{
			name:    "every other byte: the most ranges",
			maxSegs: MaxSegments,
			segs: func() []seg {
				var s []seg
				for i := 1; i < MaxSegments; i++ {
					s = append(s, seg{int64(2 * i), text[2*i%36 : 2*i%36+1], false, nil})
				}
				return s
			}(),
			wantContig: "", wantHoles: true, wantSegs: MaxSegments - 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			capacity := tt.capacity
			if capacity == 0 {
				capacity = 64
			}
			maxSegs := tt.maxSegs
			if maxSegs == 0 {
				maxSegs = MaxSegments
			}
			var s Stream
			s.Init(bytes.Repeat([]byte{0xEE}, capacity), tt.start, maxSegs)
			for i, sg := range tt.segs {
				grew, err := s.Add(tt.start+uint32(sg.off), []byte(sg.data))
				if grew != sg.wantGrew || err != sg.wantErr {
					t.Errorf("Add #%d (off %d, %q) = %v, %v; want %v, %v",
						i, sg.off, sg.data, grew, err, sg.wantGrew, sg.wantErr)
				}
			}
			if got := string(s.Contiguous()); got != tt.wantContig {
				t.Errorf("Contiguous = %q, want %q", got, tt.wantContig)
			}
			if got := s.Holes(); got != tt.wantHoles {
				t.Errorf("Holes = %v, want %v", got, tt.wantHoles)
			}
			if got := s.Segments(); got != tt.wantSegs {
				t.Errorf("Segments = %d, want %d", got, tt.wantSegs)
			}
		})
	}
}

func TestZeroStream(t *testing.T) {
	var s Stream
	if grew, err := s.Add(0, []byte("x")); grew || err != ErrTooManySegments {
		t.Errorf("zero Stream: Add = %v, %v; want false, ErrTooManySegments", grew, err)
	}
	if len(s.Contiguous()) != 0 || s.Holes() || s.Segments() != 0 {
		t.Errorf("zero Stream not empty")
	}
	s.Init(nil, 0, 4)
	if grew, err := s.Add(0, []byte("x")); grew || err != ErrTooBig {
		t.Errorf("nil buffer: Add = %v, %v; want false, ErrTooBig", grew, err)
	}
}

func TestInitForgets(t *testing.T) {
	buf := make([]byte, 16)
	var s Stream
	s.Init(buf, 100, 2)
	s.Add(100, []byte("abc"))
	s.Add(110, []byte("xyz"))
	s.Init(buf, 7, 2)
	if len(s.Contiguous()) != 0 || s.Holes() || s.Segments() != 0 {
		t.Fatalf("after Init: %q holes %v segs %d", s.Contiguous(), s.Holes(), s.Segments())
	}
	// The old bytes are still in buf but were not received: no conflict.
	if grew, err := s.Add(7, []byte("ABC")); !grew || err != nil {
		t.Fatalf("Add after Init = %v, %v", grew, err)
	}
	if got := string(s.Contiguous()); got != "ABC" {
		t.Errorf("Contiguous = %q", got)
	}
}

// TestContiguousStable checks that a slice from Contiguous is never changed
// by later Adds, conflicting ones included.
func TestContiguousStable(t *testing.T) {
	var s Stream
	s.Init(make([]byte, 32), 0, 8)
	s.Add(0, []byte("hello"))
	first := s.Contiguous()
	s.Add(0, []byte("jello"))
	s.Add(3, []byte("LO world"))
	s.Add(5, []byte(" world"))
	if string(first) != "hello" || string(s.Contiguous()) != "hello world" {
		t.Errorf("first %q, now %q", first, s.Contiguous())
	}
	if cap(s.Contiguous()) != len(s.Contiguous()) {
		t.Errorf("Contiguous leaves room to append into the buffer")
	}
}

// permutations calls f with every ordering of 0..n-1.
func permutations(n int, f func([]int)) {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	var rec func(k int)
	rec = func(k int) {
		if k == n {
			f(p)
			return
		}
		for i := k; i < n; i++ {
			p[k], p[i] = p[i], p[k]
			rec(k + 1)
			p[k], p[i] = p[i], p[k]
		}
	}
	rec(0)
}

// TestPermutations delivers segmentations of text in every order and checks
// each step against the reference: the prefix is the longest run of covered
// offsets from 0, and grew says it lengthened.
func TestPermutations(t *testing.T) {
	segmentations := []struct {
		name string
		cuts [][2]int // [lo, hi) of each segment
	}{
		{"3 disjoint", [][2]int{{0, 12}, {12, 24}, {24, 36}}},
		{"4 disjoint", [][2]int{{0, 5}, {5, 17}, {17, 30}, {30, 36}}},
		{"3 overlapping", [][2]int{{0, 15}, {10, 25}, {20, 36}}},
		{"4 overlapping", [][2]int{{0, 10}, {5, 20}, {15, 30}, {0, 36}}},
		{"4 with a duplicate", [][2]int{{0, 18}, {18, 36}, {0, 18}, {9, 27}}},
		{"4 nested", [][2]int{{10, 20}, {12, 14}, {0, 11}, {19, 36}}},
		{"4 with a hole", [][2]int{{0, 8}, {10, 20}, {20, 30}, {8, 9}}},
	}
	for _, sg := range segmentations {
		t.Run(sg.name, func(t *testing.T) {
			permutations(len(sg.cuts), func(order []int) {
				var s Stream
				s.Init(make([]byte, 64), 1000, MaxSegments)
				var covered [len(text)]bool
				prefix := 0
				for _, i := range order {
					c := sg.cuts[i]
					grew, err := s.Add(1000+uint32(c[0]), []byte(text[c[0]:c[1]]))
					for j := c[0]; j < c[1]; j++ {
						covered[j] = true
					}
					old := prefix
					for prefix < len(text) && covered[prefix] {
						prefix++
					}
					if err != nil || grew != (prefix > old) {
						t.Fatalf("order %v: Add %v = %v, %v; want %v, nil", order, c, grew, err, prefix > old)
					}
					if got := string(s.Contiguous()); got != text[:prefix] {
						t.Fatalf("order %v: after %v Contiguous = %q, want %q", order, c, got, text[:prefix])
					}
					holes := false
					for j := prefix; j < len(text); j++ {
						holes = holes || covered[j]
					}
					if s.Holes() != holes {
						t.Fatalf("order %v: after %v Holes = %v, want %v", order, c, s.Holes(), holes)
					}
				}
			})
		})
	}
}

// TestRandomSegmentations cuts a known stream into random segments, adds
// random consistent overlaps and duplicates, and delivers them in random
// order: Contiguous is always a prefix of the stream, and the whole stream
// once everything is delivered.
func TestRandomSegmentations(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 2000 {
		n := 1 + rng.IntN(3000)
		want := make([]byte, n)
		for i := range want {
			want[i] = byte(rng.IntN(256))
		}
		// A segmentation covering [0, n), then extra pieces.
		var cuts [][2]int
		for lo := 0; lo < n; {
			hi := min(n, lo+1+rng.IntN(max(1, n/4)))
			cuts = append(cuts, [2]int{lo, hi})
			lo = hi
		}
		for len(cuts) < MaxSegments && rng.IntN(3) > 0 {
			if rng.IntN(2) == 0 { // duplicate
				cuts = append(cuts, cuts[rng.IntN(len(cuts))])
			} else { // any consistent sub-range
				lo := rng.IntN(n)
				cuts = append(cuts, [2]int{lo, lo + 1 + rng.IntN(n-lo)})
			}
		}
		if len(cuts) > MaxSegments {
			continue // too fine a cut for one stream; the next round differs
		}
		rng.Shuffle(len(cuts), func(i, j int) { cuts[i], cuts[j] = cuts[j], cuts[i] })
		start := rng.Uint32()
		var s Stream
		s.Init(make([]byte, n), start, MaxSegments)
		prev := 0
		for _, c := range cuts {
			grew, err := s.Add(start+uint32(c[0]), want[c[0]:c[1]])
			if err != nil {
				t.Fatalf("round %d: Add %v: %v", round, c, err)
			}
			got := s.Contiguous()
			if !bytes.HasPrefix(want, got) {
				t.Fatalf("round %d: Contiguous is not a prefix of the stream", round)
			}
			if grew != (len(got) > prev) || len(got) < prev {
				t.Fatalf("round %d: grew %v, prefix %d -> %d", round, grew, prev, len(got))
			}
			prev = len(got)
		}
		if !bytes.Equal(s.Contiguous(), want) || s.Holes() {
			t.Fatalf("round %d: %d of %d bytes after all segments, holes %v", round, len(s.Contiguous()), n, s.Holes())
		}
	}
}

func TestNoAllocs(t *testing.T) {
	buf := make([]byte, 16<<10)
	hello := bytes.Repeat([]byte("clienthello."), 150) // 1800 bytes
	var s Stream
	start := uint32(0xFFFF_FF00)
	allocs := testing.AllocsPerRun(100, func() {
		s.Init(buf, start, MaxSegments)
		s.Add(start+1000, hello[1000:])       // out of order
		s.Add(start, hello[:1000])            // fills the hole, wraps
		s.Add(start, hello[:1000])            // retransmit
		s.Add(start+500, []byte("different")) // conflict
		s.Add(start+16<<10-1, hello[:2])      // too big
		s.Add(start-10, hello[:20])           // before start
		if len(s.Contiguous()) != len(hello) {
			panic("not reassembled")
		}
	})
	if allocs != 0 {
		t.Errorf("Init+Add allocate %v times per run, want 0", allocs)
	}
}

func BenchmarkAdd(b *testing.B) {
	hello := make([]byte, 1800) // a post-quantum ClientHello
	for i := range hello {
		hello[i] = byte(i)
	}
	buf := make([]byte, 16<<10)
	for _, bc := range []struct {
		name  string
		order []int // segment indices, each 150 bytes
	}{
		{"2 segments", nil},
		{"12 in order", []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
		{"12 reversed", []int{11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
		{"12 shuffled with retransmits", []int{3, 0, 7, 1, 1, 11, 2, 5, 9, 4, 8, 6, 10, 3, 0}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(hello)))
			var s Stream
			for b.Loop() {
				s.Init(buf, 12345, MaxSegments)
				if bc.order == nil {
					s.Add(12345, hello[:1400])
					s.Add(12345+1400, hello[1400:])
				}
				for _, i := range bc.order {
					s.Add(12345+uint32(150*i), hello[150*i:150*(i+1)])
				}
				if len(s.Contiguous()) != len(hello) {
					b.Fatal(fmt.Sprint("reassembled ", len(s.Contiguous())))
				}
			}
		})
	}
}
