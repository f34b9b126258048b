package corpus

import (
	"bytes"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync/atomic"
	"time"

	"github.com/safeinternet/cpe/agent/category"
)

// LoadFunc streams the corpus into add.
type LoadFunc = func(add func([]byte, category.Set)) (category.Stats, error)

// LiveHeap runs two garbage collections and returns the live heap in bytes.
func LiveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// Retained holds the retained heap of the two representations of the same
// domains.
type Retained struct {
	Matcher      *category.Matcher
	Map          map[string]uint64 // nil once MapBytes is measured and dropped
	Domains      int               // distinct domains (len of the map)
	MatcherBytes uint64            // live heap the matcher adds
	MapBytes     uint64            // live heap a map[string]uint64 of the same domains adds
}

// PerDomain returns the bytes per domain of the matcher and of the map.
func (r Retained) PerDomain() (ours, plain float64) {
	return float64(r.MatcherBytes) / float64(r.Matcher.Len()), float64(r.MapBytes) / float64(r.Domains)
}

// MeasureRetained builds the matcher and a map[string]uint64 (Set bits) from
// the corpus, each alone on a collected heap, and returns the live heap each
// adds. keepMap keeps the map in the result (for lookups against it).
func MeasureRetained(load LoadFunc, keepMap bool) (Retained, error) {
	var r Retained
	base := LiveHeap()
	b := category.NewBuilder()
	if _, err := load(b.Add); err != nil {
		return r, err
	}
	r.Matcher = b.Build()
	b = nil
	r.MatcherBytes = LiveHeap() - base

	base = LiveHeap()
	mp := make(map[string]uint64)
	if _, err := load(func(d []byte, s category.Set) { mp[string(d)] |= uint64(s) }); err != nil {
		return r, err
	}
	r.MapBytes = LiveHeap() - base
	r.Domains = len(mp)
	if keepMap {
		r.Map = mp
	}
	return r, nil
}

// GCTime returns the median duration of runtime.GC over n calls.
func GCTime(n int) time.Duration {
	d := make([]time.Duration, n)
	for i := range d {
		t := time.Now()
		runtime.GC()
		d[i] = time.Since(t)
	}
	slices.Sort(d)
	return d[n/2]
}

// RebuildPeak rebuilds m from the corpus with category.Rebuild, perGroup
// shards a pass, publishing into an atomic.Pointer as the agent does, and
// returns the highest live heap (after a forced collection, sampled every
// 64 Ki names and after every publish) above base. It consumes m: the
// caller must hold no other reference to it, or its shards cannot be freed.
func RebuildPeak(m *category.Matcher, base uint64, perGroup int, load LoadFunc) (peak uint64, final *category.Matcher, err error) {
	var cur atomic.Pointer[category.Matcher]
	cur.Store(m)
	m = nil
	probe := func() {
		if h := LiveHeap() - base; h > peak {
			peak = h
		}
	}
	n := 0
	final, err = category.Rebuild(cur.Load(), perGroup, func(add func([]byte, category.Set)) error {
		_, err := load(func(d []byte, s category.Set) {
			if n++; n%(64<<10) == 0 {
				probe()
			}
			add(d, s)
		})
		return err
	}, func(next *category.Matcher) {
		cur.Store(next)
		probe()
	})
	return peak, final, err
}

// LoadTime writes m's compiled form and returns its size and the best of
// three ReadMatcher durations.
func LoadTime(m *category.Matcher) (int, time.Duration, error) {
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		return 0, 0, err
	}
	best := time.Duration(1 << 62)
	for range 3 {
		t := time.Now()
		if _, err := category.ReadMatcher(bytes.NewReader(buf.Bytes())); err != nil {
			return 0, 0, err
		}
		best = min(best, time.Since(t))
	}
	return buf.Len(), best, nil
}

// Queries returns n lookup names drawn from the corpus: hits are listed
// names under a "www." label (so the lookup walks to the listed suffix),
// misses are listed names with their top-level label changed (same shape,
// on no list).
func Queries(load LoadFunc, n int, seed uint64) (hits, misses [][]byte, err error) {
	var all [][]byte
	r := rand.New(rand.NewPCG(seed, seed))
	seen := 0
	_, err = load(func(d []byte, _ category.Set) {
		seen++
		if len(all) < n {
			all = append(all, bytes.Clone(d))
		} else if j := r.IntN(seen); j < n {
			all[j] = bytes.Clone(d) // reservoir sample
		}
	})
	for _, d := range all {
		hits = append(hits, append([]byte("www."), d...))
		misses = append(misses, append(bytes.Clone(d), "zq"...))
	}
	return hits, misses, err
}
