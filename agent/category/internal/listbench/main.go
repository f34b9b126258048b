// Command listbench measures the category matcher on the real corpus
// (../shared/data next to the module root): retained heap per domain against
// a map[string]uint64 of the same domains, what the matcher adds to a GC
// cycle, the peak live heap while it is rebuilt shard by shard, the time to
// load its compiled form, and lookup speed. scripts/bench-lists.sh runs it
// natively and on 32-bit MIPS under qemu.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/internal/corpus"
)

func main() {
	group := flag.Int("group", 1, "shards rebuilt per pass over the sources (1 to 16)")
	lookups := flag.Int("lookups", 1_000_000, "lookups to time for each of hits and misses")
	mapGC := flag.Bool("map-gc", true, "also time a GC cycle with the map alive")
	flag.Parse()
	if err := run(*group, *lookups, *mapGC); err != nil {
		fmt.Fprintln(os.Stderr, "listbench:", err)
		os.Exit(1)
	}
}

func run(group, lookups int, mapGC bool) error {
	dir, err := corpus.Dir()
	if err != nil {
		return err
	}
	load, err := corpus.Load(dir)
	if err != nil {
		return err
	}
	fmt.Printf("platform            %s/%s %s, %d-bit\n", runtime.GOOS, runtime.GOARCH, runtime.Version(), 32<<(^uint(0)>>63))

	t := time.Now()
	st, err := load(func([]byte, category.Set) {})
	if err != nil {
		return err
	}
	fmt.Printf("corpus              %d lines, %d names added, %d skipped, %d comments; one pass %v\n",
		st.Lines, st.Added, st.Invalid, st.Comments, time.Since(t).Round(time.Millisecond))

	r, err := corpus.MeasureRetained(load, false)
	if err != nil {
		return err
	}
	ours, plain := r.PerDomain()
	m := r.Matcher
	r.Matcher = nil
	fmt.Printf("domains             %d distinct (map: %d)\n", m.Len(), r.Domains)
	fmt.Printf("retained heap       matcher %d B = %.2f B/domain (arrays %.2f B/domain); map[string]uint64 %d B = %.2f B/domain\n",
		r.MatcherBytes, ours, float64(m.Bytes())/float64(m.Len()), r.MapBytes, plain)

	hits, misses, err := corpus.Queries(load, 4096, 1)
	if err != nil {
		return err
	}
	for _, c := range []struct {
		name string
		q    [][]byte
	}{{"hits", hits}, {"misses", misses}} {
		var sink category.Set
		t := time.Now()
		for i := range lookups {
			sink |= m.Lookup(c.q[i%len(c.q)])
		}
		d := time.Since(t)
		allocs := testingAllocs(func() { sink |= m.Lookup(c.q[0]) })
		fmt.Printf("lookup %-12s %.0f ns/op, %.0f allocs/op (%d names from the corpus)\n", c.name, float64(d.Nanoseconds())/float64(lookups), allocs, len(c.q))
		_ = sink
	}

	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		return err
	}
	gcWith := corpus.GCTime(11)
	m = nil
	corpus.LiveHeap()
	gcWithout := corpus.GCTime(11)
	fmt.Printf("gc cycle            %v with the matcher, %v without: +%v\n", gcWith, gcWithout, gcWith-gcWithout)

	best := time.Duration(1 << 62)
	for range 3 {
		m = nil
		corpus.LiveHeap()
		t := time.Now()
		m, err = category.ReadMatcher(bytes.NewReader(buf.Bytes()))
		if err != nil {
			return err
		}
		best = min(best, time.Since(t))
	}
	fmt.Printf("load compiled form  %d bytes in %v (best of 3)\n", buf.Len(), best)
	buf = bytes.Buffer{}

	if mapGC {
		mp := make(map[string]uint64)
		if _, err := load(func(d []byte, s category.Set) { mp[string(d)] |= uint64(s) }); err != nil {
			return err
		}
		corpus.LiveHeap()
		gcMap := corpus.GCTime(11)
		fmt.Printf("gc cycle with map   %v (+%v over the matcher alone)\n", gcMap, gcMap-gcWith)
		runtime.KeepAlive(mp)
	}

	steadyHeap := corpus.LiveHeap()
	t = time.Now()
	peak, final, err := corpus.RebuildPeak(m, steadyHeap-r.MatcherBytes, group, load)
	m = nil
	if err != nil {
		return err
	}
	fmt.Printf("rebuild             %d shards a pass: peak live heap %d B = %.2f × steady (%d B), %v\n",
		group, peak, float64(peak)/float64(r.MatcherBytes), r.MatcherBytes, time.Since(t).Round(time.Millisecond))
	fmt.Printf("rebuilt             %d domains\n", final.Len())
	return nil
}

// testingAllocs returns the mallocs per call of f over 100 calls.
func testingAllocs(f func()) float64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	for range 100 {
		f()
	}
	runtime.ReadMemStats(&b)
	return float64(b.Mallocs-a.Mallocs) / 100
}
