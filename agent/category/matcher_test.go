package category

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func set(ids ...ID) Set {
	var s Set
	for _, id := range ids {
		s = s.With(id)
	}
	return s
}

// naive is the reference matcher: a map of names, probed at every suffix.
type naive map[string]Set

func (n naive) lookup(name string) Set {
	var s Set
	for {
		s |= n[name]
		i := strings.IndexByte(name, '.')
		if i < 0 {
			return s
		}
		name = name[i+1:]
	}
}

func (n naive) suffix(name string, id ID) int {
	for rest := name; ; {
		if n[rest].Has(id) {
			return len(rest)
		}
		i := strings.IndexByte(rest, '.')
		if i < 0 {
			return 0
		}
		rest = rest[i+1:]
	}
}

func build(entries map[string]Set) *Matcher {
	b := NewBuilder()
	for d, s := range entries {
		b.Add([]byte(d), s)
	}
	return b.Build()
}

var semantics = map[string]Set{
	"example.com":          set(Games),
	"ads.example.com":      set(Ads),
	"ample.com":            set(Adult),
	"bet.example.com":      set(Gambling, Crime),
	"deep.bet.example.com": set(Gambling),
	"org":                  set(News),
	"x.y":                  set(VPN),
}

func TestMatcherSemantics(t *testing.T) {
	m := build(semantics)
	if m.Len() != len(semantics) {
		t.Errorf("Len() = %d, want %d", m.Len(), len(semantics))
	}
	tests := []struct {
		name string
		want Set
		// suffix lengths for some IDs
		suffix map[ID]int
	}{
		{"example.com", set(Games), map[ID]int{Games: 11, Ads: 0}},
		{"www.example.com", set(Games), map[ID]int{Games: 11}},
		{"a.b.ads.example.com", set(Games, Ads), map[ID]int{Games: 11, Ads: 15}},
		{"ads.example.com", set(Games, Ads), map[ID]int{Ads: 15}},
		{"bet.example.com", set(Games, Gambling, Crime), map[ID]int{Gambling: 15, Crime: 15}},
		{"x.deep.bet.example.com", set(Games, Gambling, Crime), map[ID]int{Gambling: 20, Crime: 15, Games: 11}},
		{"example.com.evil.net", 0, map[ID]int{Games: 0}},
		{"ample.com", set(Adult), map[ID]int{Adult: 9}},
		{"sample.com", 0, map[ID]int{Adult: 0}},             // label boundary
		{"www.example.org", set(News), map[ID]int{News: 3}}, // a listed top-level label covers everything below
		{"y", 0, nil},
		{"x.y", set(VPN), map[ID]int{VPN: 3}},
		{"xx.y", 0, nil},
		{"notlisted.net", 0, map[ID]int{Games: 0}},
		{"", 0, map[ID]int{Games: 0}},
		{".", 0, nil},
		{"..example.com", set(Games), map[ID]int{Games: 11}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := m.Lookup([]byte(tt.name)); got != tt.want {
				t.Errorf("Lookup = %v, want %v", got, tt.want)
			}
			for id, n := range tt.suffix {
				if got := m.Suffix([]byte(tt.name), id); got != n {
					t.Errorf("Suffix(%v) = %d, want %d", id, got, n)
				}
			}
		})
	}
}

func TestBuilderMergesDuplicates(t *testing.T) {
	b := NewBuilder()
	b.Add([]byte("a.example"), set(Adult))
	b.Add([]byte("a.example"), set(VPN))
	b.Add([]byte("a.example"), set(Adult))
	b.Add([]byte(""), set(Adult))
	b.Add([]byte("b.example"), 0)
	m := b.Build()
	if m.Len() != 1 || m.Lookup([]byte("a.example")) != set(Adult, VPN) {
		t.Errorf("Len %d, Lookup %v", m.Len(), m.Lookup([]byte("a.example")))
	}
	if e := b.Build(); e.Len() != 0 || e.Lookup([]byte("a.example")) != 0 {
		t.Error("Build does not empty the builder")
	}
}

// randomNames returns n random names of 1 to 4 labels over a small alphabet,
// so that parents and children of listed names are common.
func randomNames(r *rand.Rand, n int) []string {
	const alpha = "abc-_0"
	names := make([]string, n)
	for i := range names {
		var sb strings.Builder
		for l := range 1 + r.IntN(4) {
			if l > 0 {
				sb.WriteByte('.')
			}
			for range 1 + r.IntN(3) {
				sb.WriteByte(alpha[r.IntN(len(alpha))])
			}
		}
		names[i] = sb.String()
	}
	return names
}

func randomEntries(r *rand.Rand, n int) naive {
	ref := naive{}
	for _, d := range randomNames(r, n) {
		ref[d] |= Set(1) << (1 + r.IntN(int(maxID)))
	}
	return ref
}

func TestMatcherDifferentialRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ref := randomEntries(r, 20000)
	m := build(ref)
	if m.Len() != len(ref) {
		t.Fatalf("Len() = %d, want %d", m.Len(), len(ref))
	}
	for _, q := range randomNames(r, 50000) {
		if got, want := m.Lookup([]byte(q)), ref.lookup(q); got != want {
			t.Fatalf("Lookup(%q) = %v, want %v", q, got, want)
		}
		id := ID(1 + r.IntN(int(maxID)))
		if got, want := m.Suffix([]byte(q), id), ref.suffix(q, id); got != want {
			t.Fatalf("Suffix(%q, %v) = %d, want %d", q, id, got, want)
		}
	}
}

// TestManySets covers a shard with more than 256 distinct Sets (raw form).
func TestManySets(t *testing.T) {
	ref := naive{}
	for i := range 40000 {
		ref[fmt.Sprintf("n%d.example", i)] = Set(i%4000+1) << 1
	}
	m := build(ref)
	for d, s := range ref {
		if got := m.Lookup([]byte(d)); got != s {
			t.Fatalf("Lookup(%q) = %v, want %v", d, got, s)
		}
	}
	m2 := roundTrip(t, m)
	for d, s := range ref {
		if got := m2.Lookup([]byte(d)); got != s {
			t.Fatalf("after round trip: Lookup(%q) = %v, want %v", d, got, s)
		}
	}
}

func TestRebuild(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	oldRef, newRef := randomEntries(r, 5000), randomEntries(r, 8000)
	old := build(oldRef)
	load := func(add func([]byte, Set)) error {
		for d, s := range newRef {
			add([]byte(d), s)
		}
		return nil
	}
	for _, per := range []int{1, 3, Shards, 0} {
		var published []*Matcher
		m, err := Rebuild(old, per, load, func(m *Matcher) { published = append(published, m) })
		if err != nil {
			t.Fatal(err)
		}
		wantGroups := (Shards + max(per, 1) - 1) / max(per, 1)
		if len(published) != wantGroups || published[len(published)-1] != m {
			t.Errorf("perGroup %d: %d publishes, want %d ending with the result", per, len(published), wantGroups)
		}
		if m.Len() != len(newRef) {
			t.Errorf("perGroup %d: Len() = %d, want %d", per, m.Len(), len(newRef))
		}
		for _, q := range randomNames(r, 5000) {
			if got, want := m.Lookup([]byte(q)), newRef.lookup(q); got != want {
				t.Fatalf("perGroup %d: Lookup(%q) = %v, want %v", per, q, got, want)
			}
		}
		// The old matcher is untouched.
		for d, s := range oldRef {
			if old.Lookup([]byte(d))&s != s {
				t.Fatalf("old matcher changed at %q", d)
			}
		}
	}
	// From nothing.
	m, err := Rebuild(nil, 4, load, func(*Matcher) {})
	if err != nil || m.Len() != len(newRef) {
		t.Errorf("from nil: Len %d, err %v", m.Len(), err)
	}
	// A failing load stops the rebuild and returns what was published.
	calls := 0
	failing := func(add func([]byte, Set)) error {
		if calls++; calls == 2 {
			return fmt.Errorf("boom")
		}
		return load(add)
	}
	var last *Matcher
	m, err = Rebuild(old, 1, failing, func(m *Matcher) { last = m })
	if err == nil || m != last || m == nil {
		t.Errorf("failing load: err %v, returned %p, last published %p", err, m, last)
	}
}

func TestLookupAllocs(t *testing.T) {
	m := build(semantics)
	names := [][]byte{[]byte("a.b.ads.example.com"), []byte("notlisted.net"), []byte("")}
	for _, name := range names {
		if a := testing.AllocsPerRun(100, func() { m.Lookup(name) }); a != 0 {
			t.Errorf("Lookup(%q): %v allocations", name, a)
		}
		if a := testing.AllocsPerRun(100, func() { m.Suffix(name, Ads) }); a != 0 {
			t.Errorf("Suffix(%q): %v allocations", name, a)
		}
	}
}

func roundTrip(t *testing.T, m *Matcher) *Matcher {
	t.Helper()
	var buf bytes.Buffer
	n, err := m.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo: %d, %v (buffer %d)", n, err, buf.Len())
	}
	m2, err := ReadMatcher(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if m2.Len() != m.Len() || m2.Bytes() != m.Bytes() {
		t.Fatalf("round trip: Len %d→%d, Bytes %d→%d", m.Len(), m2.Len(), m.Bytes(), m2.Bytes())
	}
	return m2
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	ref := randomEntries(r, 30000)
	m := roundTrip(t, build(ref))
	for _, q := range randomNames(r, 30000) {
		if got, want := m.Lookup([]byte(q)), ref.lookup(q); got != want {
			t.Fatalf("Lookup(%q) = %v, want %v", q, got, want)
		}
	}
	e := roundTrip(t, NewBuilder().Build())
	if e.Lookup([]byte("a.example")) != 0 {
		t.Error("empty matcher matches")
	}
}

// TestCompiledGolden pins the compiled form's bytes for a tiny matcher: the
// hash and the byte order must not change silently (it runs on big-endian
// MIPS too, see scripts/bench-lists.sh).
func TestCompiledGolden(t *testing.T) {
	m := build(map[string]Set{"example.com": set(Games), "ads.example.com": set(Ads)})
	var buf bytes.Buffer
	m.WriteTo(&buf)
	if got, want := hashName([]byte("example.com")), uint64(0xcd35aa3057e56039); got != want {
		t.Errorf("hash(example.com) = %#x, want %#x: the hash changed: bump formatVersion", got, want)
	}
	b := buf.Bytes()
	sum := crcOf(b[:len(b)-4]) // the body's checksum (the whole file's is CRC-32C's constant residue)
	const want uint32 = 0x3618e5eb
	if sum != want || len(b) != 298 {
		t.Errorf("compiled form checksum %#08x, size %d; want %#08x, 298: the format changed: bump formatVersion", sum, len(b), want)
	}
}
