package category

import (
	"encoding/binary"
	"slices"
)

// Matcher is the compiled, immutable set of listed domains, each with a Set
// of categories. Matching is by suffix: a listed example.com covers
// a.b.example.com. Build one with a Builder, Rebuild or ReadMatcher; the zero
// value and nil are not usable. Safe for concurrent use.
//
// The matcher stores 48-bit fingerprints, not names (see the package doc for
// the false-positive probability). Its arrays hold no pointers, so the
// garbage collector does not scan them.
type Matcher struct {
	shards [Shards]*shard // never nil
	n      int
}

// shard holds the names whose hash starts with the shard's number, in
// buckets by the next bits; each bucket's entries sorted by fingerprint.
type shard struct {
	bits uint8    // log2 of the number of buckets
	off  []uint32 // bucket b holds entries off[b] to off[b+1]-1; len 1<<bits + 1
	// rec holds one 7-byte record per entry: the 48-bit fingerprint
	// (little-endian) and the index of its Set in sets, so that one memory
	// access reads both; plus one padding byte so that the last record can
	// be read as 8 bytes.
	rec []byte
	// sets is the table of the shard's distinct Sets when there are at most
	// 256 of them, as there always are in practice; otherwise sets is nil,
	// the index bytes are 0 and raw holds each entry's Set.
	sets []Set
	raw  []Set
}

const (
	recSize = 7
	fpMask  = 1<<fpBits - 1
)

var emptyShard = &shard{off: []uint32{0, 0}, rec: []byte{0}}

// len returns the number of entries.
func (s *shard) len() int { return len(s.rec) / recSize }

// bytes returns the size of the shard's arrays.
func (s *shard) bytes() int { return 4*len(s.off) + len(s.rec) + 4*len(s.sets) + 4*len(s.raw) }

// bucketBits returns the number of bucket bits for a shard of n entries: about
// four entries a bucket, so that the offsets cost one byte an entry.
func bucketBits(n int) uint8 {
	b := uint8(0)
	for b < 28 && 4<<b < n {
		b++
	}
	return b
}

// bucket returns the bucket of hash h: the bits after the shard's.
func (s *shard) bucket(h uint64) uint64 {
	return (h >> (64 - shardBits - uint64(s.bits))) & (1<<s.bits - 1)
}

// fingerprint returns the 48 bits of h after the shard and bucket bits (with
// zeros at the bottom when fewer than 48 remain). Sorting by h therefore
// sorts by bucket, then fingerprint.
func (s *shard) fingerprint(h uint64) uint64 {
	return h << (shardBits + uint64(s.bits)) >> (64 - fpBits)
}

// record returns entry i's record: fingerprint in the low 48 bits, Set
// index in the next 8.
func (s *shard) record(i uint32) uint64 {
	return binary.LittleEndian.Uint64(s.rec[i*recSize:])
}

// find returns the Set of the entry with hash h, or 0.
func (s *shard) find(h uint64) Set {
	b := s.bucket(h)
	fp := s.fingerprint(h)
	end := s.off[b+1]
	for i := s.off[b]; i < end; i++ {
		r := s.record(i)
		switch f := r & fpMask; {
		case f == fp:
			if s.raw != nil {
				return s.raw[i]
			}
			return s.sets[uint8(r>>fpBits)]
		case f > fp:
			return 0 // sorted
		}
	}
	return 0
}

// Lookup returns the union of the Sets of name and of every listed parent
// domain of it (its suffixes at label boundaries, down to the top-level
// label). name must be lowercase without a trailing dot; Lookup does not
// retain it and does not allocate. A name on no list gives 0.
func (m *Matcher) Lookup(name []byte) Set {
	var set Set
	h := uint64(fnvOffset)
	for i := len(name) - 1; i >= 0; i-- {
		h ^= uint64(name[i])
		h *= fnvPrime
		if i == 0 || name[i-1] == '.' {
			k := mix(h, len(name)-i)
			set |= m.shards[shardOf(k)].find(k)
		}
	}
	return set
}

// Suffix returns the length in bytes of the most specific listed suffix of
// name (name itself included) whose Set holds id, so that the listed entry is
// name[len(name)-n:]; 0 when there is none. Same contract as Lookup: no
// allocation, name not retained.
func (m *Matcher) Suffix(name []byte, id ID) int {
	best := 0
	h := uint64(fnvOffset)
	for i := len(name) - 1; i >= 0; i-- {
		h ^= uint64(name[i])
		h *= fnvPrime
		if i == 0 || name[i-1] == '.' {
			k := mix(h, len(name)-i)
			if m.shards[shardOf(k)].find(k).Has(id) {
				best = len(name) - i
			}
		}
	}
	return best
}

// Len returns the number of distinct listed domains (distinct fingerprints).
func (m *Matcher) Len() int { return m.n }

// Bytes returns the size of the matcher's arrays, the bulk of its memory.
func (m *Matcher) Bytes() int {
	n := 0
	for _, s := range m.shards {
		n += s.bytes()
	}
	return n
}

// entry is one (name, Set) pair given to a Builder: 12 bytes on 32-bit
// platforms, 16 on 64-bit ones.
type entry struct {
	h   uint64
	set Set
}

// Builder collects (domain, Set) pairs and compiles them into a Matcher. It
// keeps 12 to 16 bytes per Add (duplicates included) until Build. Not safe for
// concurrent use. The zero value is not usable: use NewBuilder.
type Builder struct {
	lo, hi int // the shards kept: lo to hi-1
	ents   [Shards][]entry
}

// NewBuilder returns a builder that keeps every domain.
func NewBuilder() *Builder { return &Builder{lo: 0, hi: Shards} }

// newShardBuilder returns a builder that keeps only the domains of shards lo
// to hi-1, with room for about hint of them.
func newShardBuilder(lo, hi, hint int) *Builder {
	b := &Builder{lo: lo, hi: hi}
	for i := lo; i < hi; i++ {
		b.ents[i] = make([]entry, 0, hint/(hi-lo))
	}
	return b
}

// Add records domain with the categories s. domain must be lowercase, without
// a trailing dot (as the loaders give it); it is not retained. Adding the
// same domain again ORs the Sets. An empty domain or Set is ignored.
func (b *Builder) Add(domain []byte, s Set) {
	if len(domain) == 0 || s == 0 {
		return
	}
	h := hashName(domain)
	i := shardOf(h)
	if i < b.lo || i >= b.hi {
		return
	}
	b.ents[i] = append(b.ents[i], entry{h: h, set: s})
}

// Build compiles the domains added so far into a Matcher and empties the
// builder, releasing each shard's pairs as soon as that shard is built.
func (b *Builder) Build() *Matcher {
	m := &Matcher{}
	for i := range m.shards {
		m.shards[i] = emptyShard
		if i >= b.lo && i < b.hi {
			m.shards[i] = buildShard(b.ents[i])
			b.ents[i] = nil
			m.n += m.shards[i].len()
		}
	}
	return m
}

// buildShard sorts and merges ents (which it reorders) into a shard.
func buildShard(ents []entry) *shard {
	if len(ents) == 0 {
		return emptyShard
	}
	slices.SortFunc(ents, func(a, b entry) int {
		switch {
		case a.h < b.h:
			return -1
		case a.h > b.h:
			return 1
		}
		return 0
	})
	// Merge duplicates in place, ORing their Sets.
	n := 0
	for _, e := range ents {
		if n > 0 && ents[n-1].h == e.h {
			ents[n-1].set |= e.set
			continue
		}
		ents[n] = e
		n++
	}
	ents = ents[:n]
	s := &shard{bits: bucketBits(n)}
	// Distinct hashes that agree on every stored bit are one entry: merge
	// them too (rare: about n² / 2^(53+bits)). They are adjacent.
	n = 0
	for _, e := range ents {
		if n > 0 && s.bucket(ents[n-1].h) == s.bucket(e.h) && s.fingerprint(ents[n-1].h) == s.fingerprint(e.h) {
			ents[n-1].set |= e.set
			continue
		}
		ents[n] = e
		n++
	}
	ents = ents[:n]
	s.rec = make([]byte, n*recSize+1)
	s.off = make([]uint32, 1<<s.bits+1)
	index := make(map[Set]uint8)
	for _, e := range ents {
		if _, ok := index[e.set]; !ok && len(s.sets) <= 256 {
			index[e.set] = uint8(len(s.sets))
			s.sets = append(s.sets, e.set)
		}
	}
	if len(s.sets) > 256 {
		s.sets, s.raw = nil, make([]Set, n)
	}
	for i, e := range ents {
		s.off[s.bucket(e.h)+1]++
		r := s.fingerprint(e.h)
		if s.raw != nil {
			s.raw[i] = e.set
		} else {
			r |= uint64(index[e.set]) << fpBits
		}
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], r)
		copy(s.rec[i*recSize:], b[:recSize])
	}
	for b := 1; b < len(s.off); b++ {
		s.off[b] += s.off[b-1]
	}
	return s
}

// Rebuild makes the matcher for the names that load gives, replacing the
// shards of old a group at a time so that it never holds a second full
// matcher: it calls load once per group of perGroup shards (perGroup from 1
// to Shards; 1 gives the lowest peak, Shards a single pass and about twice
// the memory), keeps only that group's names, and after each group calls
// publish with a new Matcher made of the new shards so far and old's others.
// The caller publishes it (an atomic.Pointer swap) so that the old shards can
// be freed before the next group is built.
//
// Until the last publish, lookups may see a mix: a name's suffixes in rebuilt
// shards answer from the new lists, the others from the old ones. Each
// intermediate matcher is itself consistent and immutable. load must give the
// same names at every call (read the same files); it is called with the
// Builder's Add. old may be nil (every shard starts empty).
//
// Rebuild returns the final matcher (the last one published). On an error
// from load it stops and returns the last matcher published (or old) with
// the error: that one may mix old and new shards until Rebuild is run again.
func Rebuild(old *Matcher, perGroup int, load func(add func(domain []byte, s Set)) error, publish func(*Matcher)) (*Matcher, error) {
	perGroup = min(max(perGroup, 1), Shards)
	cur := old
	old = nil // cur holds it until its first shard is replaced
	if cur == nil {
		cur = &Matcher{}
		for i := range cur.shards {
			cur.shards[i] = emptyShard
		}
	}
	for lo := 0; lo < Shards; lo += perGroup {
		hi := min(lo+perGroup, Shards)
		hint := 0
		for i := lo; i < hi; i++ {
			hint += cur.shards[i].len()
		}
		b := newShardBuilder(lo, hi, hint+hint/4+64)
		if err := load(b.Add); err != nil {
			return cur, err
		}
		next := &Matcher{shards: cur.shards}
		for i := lo; i < hi; i++ {
			next.shards[i] = buildShard(b.ents[i])
			b.ents[i] = nil
		}
		for _, s := range next.shards {
			next.n += s.len()
		}
		publish(next)
		cur = next
	}
	return cur, nil
}
