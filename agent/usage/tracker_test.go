package usage

import (
	"net/netip"
	"testing"
)

var (
	flowA = MakeFlowKey(7, 6, netip.MustParseAddrPort("192.168.1.10:50000"), 443)
	flowB = MakeFlowKey(8, 17, netip.MustParseAddrPort("[fd00::10]:50001"), 443)
	// flowA2 reuses flowA's conntrack id for another connection.
	flowA2 = MakeFlowKey(7, 6, netip.MustParseAddrPort("192.168.1.11:40000"), 443)
)

type obs struct {
	key   FlowKey
	bytes uint64
	want  uint64 // delta
}

func TestTracker(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cap     int
		passes  [][]obs
		wantLen int // flows remembered after the last End
		refused uint64
	}{
		{
			name: "first pass primes: no past traffic charged",
			passes: [][]obs{
				{{flowA, 5_000_000, 0}, {flowB, 100, 0}},
				{{flowA, 5_001_000, 1000}, {flowB, 100, 0}},
			},
			wantLen: 2,
		},
		{
			name: "a flow new since the last pass is charged its whole count",
			passes: [][]obs{
				{{flowA, 10, 0}},
				{{flowA, 10, 0}, {flowB, 3000, 3000}},
				{{flowB, 3500, 500}},
			},
			wantLen: 1,
		},
		{
			name: "a flow missing from a pass is forgotten, then new again",
			passes: [][]obs{
				{{flowA, 10, 0}},
				{},
				{{flowA, 20, 20}},
			},
			wantLen: 1,
		},
		{
			name: "counter going back is a new flow under a reused id",
			passes: [][]obs{
				{{flowA, 9000, 0}},
				{{flowA, 9500, 500}},
				{{flowA, 200, 200}},
				{{flowA, 300, 100}},
			},
			wantLen: 1,
		},
		{
			name: "reused id with another tuple is another key",
			passes: [][]obs{
				{{flowA, 9000, 0}},
				{{flowA2, 50, 50}},
			},
			wantLen: 1,
		},
		{
			name: "observed twice in a pass: only what is new",
			passes: [][]obs{
				{{flowA, 100, 0}},
				{{flowA, 150, 50}, {flowA, 150, 0}, {flowA, 170, 20}},
			},
			wantLen: 1,
		},
		{
			// flowA's slot is freed only at the End of the first pass
			// without it; flowB gets in at the pass after, charged whole.
			name: "full: new flows refused, known ones counted; admitted once room is made",
			cap:  1,
			passes: [][]obs{
				{{flowA, 100, 0}, {flowB, 100, 0}},
				{{flowA, 150, 50}, {flowB, 300, 0}},
				{{flowB, 400, 0}},
				{{flowB, 500, 500}},
				{{flowB, 600, 100}},
			},
			wantLen: 1,
			refused: 3,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewTracker(tc.cap)
			for i, pass := range tc.passes {
				tr.Begin()
				for j, o := range pass {
					if got := tr.Observe(o.key, o.bytes); got != o.want {
						t.Errorf("pass %d observation %d: delta %d, want %d", i, j, got, o.want)
					}
				}
				tr.End()
			}
			if tr.Len() != tc.wantLen || tr.Refused() != tc.refused {
				t.Errorf("Len %d, Refused %d; want %d, %d", tr.Len(), tr.Refused(), tc.wantLen, tc.refused)
			}
		})
	}
}

// TestTrackerAbortedPass checks that a pass without End evicts nothing.
func TestTrackerAbortedPass(t *testing.T) {
	tr := NewTracker(0)
	tr.Begin()
	tr.Observe(flowA, 10)
	tr.Observe(flowB, 10)
	tr.End()
	tr.Begin()
	tr.Observe(flowA, 20) // the dump fails here: no End
	tr.Begin()
	if d := tr.Observe(flowB, 30); d != 20 {
		t.Errorf("flowB delta %d after an aborted pass, want 20", d)
	}
	if d := tr.Observe(flowA, 25); d != 5 {
		t.Errorf("flowA delta %d after an aborted pass, want 5", d)
	}
	tr.End()
	if tr.Len() != 2 {
		t.Errorf("Len %d, want 2", tr.Len())
	}
}

// TestTrackerCapBound fills a small Tracker with many flows and checks that
// it never holds more than its capacity.
func TestTrackerCapBound(t *testing.T) {
	tr := NewTracker(100)
	for pass := range 5 {
		tr.Begin()
		for i := range 1000 {
			tr.Observe(FlowKey{ID: uint32(pass*1000 + i)}, 1)
			if tr.Len() > 100 {
				t.Fatalf("Len %d over the cap", tr.Len())
			}
		}
		tr.End()
	}
	// Each pass brings 1000 new flows. Passes 0, 2, 4 find the Tracker
	// empty and admit 100; passes 1, 3 find it full of the previous pass's
	// flows (freed only at End) and admit none.
	if want := uint64(900 + 1000 + 900 + 1000 + 900); tr.Refused() != want {
		t.Errorf("Refused %d, want %d", tr.Refused(), want)
	}
}

func TestTrackerObserveAllocs(t *testing.T) {
	tr := NewTracker(0)
	tr.Begin()
	tr.Observe(flowA, 1)
	tr.End()
	tr.Begin()
	n := uint64(1)
	if a := testing.AllocsPerRun(1000, func() { n++; tr.Observe(flowA, n) }); a != 0 {
		t.Errorf("Observe of a known flow: %v allocations, want 0", a)
	}
}

func BenchmarkObserve(b *testing.B) {
	tr := NewTracker(0)
	keys := make([]FlowKey, 4096)
	for i := range keys {
		keys[i] = FlowKey{ID: uint32(i), Src: flowA.Src, SrcPort: uint16(i), DstPort: 443, Proto: 6}
	}
	tr.Begin()
	for _, k := range keys {
		tr.Observe(k, 1)
	}
	tr.End()
	b.ReportAllocs()
	n := uint64(1)
	for b.Loop() {
		n++
		tr.Observe(keys[n%uint64(len(keys))], n)
	}
}
