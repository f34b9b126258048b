package inspect

import "slices"

// table is a map with a cap on its entries and a least-recently-used
// eviction rule: adding to a full table first drops the least recently
// used eighth of its entries (at least one), so a capture with many flows
// costs O(log n) per new flow rather than a scan of the table per flow.
// Values are kept by pointer, stable until the entry is dropped. It is not
// safe for concurrent use.
type table[K comparable, V any] struct {
	max     int                 // cap on len(m); at least 1
	m       map[K]*tableItem[V] // at most max entries
	tick    uint64              // use counter
	dropped func(K, *V)         // called for every entry evicted (not for del); may be nil
}

type tableItem[V any] struct {
	v    V
	used uint64
}

// get returns k's value, marking it used, or nil.
func (t *table[K, V]) get(k K) *V {
	it := t.m[k]
	if it == nil {
		return nil
	}
	t.tick++
	it.used = t.tick
	return &it.v
}

// peek returns k's value without marking it used, or nil.
func (t *table[K, V]) peek(k K) *V {
	if it := t.m[k]; it != nil {
		return &it.v
	}
	return nil
}

// add returns a zero value stored under k (replacing what k held, without
// calling dropped for it), evicting first when the table is full.
func (t *table[K, V]) add(k K) *V {
	if t.m == nil {
		t.m = make(map[K]*tableItem[V])
	}
	if _, ok := t.m[k]; !ok && len(t.m) >= max(t.max, 1) {
		t.evict()
	}
	t.tick++
	it := &tableItem[V]{used: t.tick}
	t.m[k] = it
	return &it.v
}

// del forgets k.
func (t *table[K, V]) del(k K) { delete(t.m, k) }

// evict drops the least recently used eighth of the entries.
func (t *table[K, V]) evict() {
	ticks := make([]uint64, 0, len(t.m))
	for _, it := range t.m {
		ticks = append(ticks, it.used)
	}
	slices.Sort(ticks)
	cut := ticks[max(1, len(ticks)/8)-1]
	for k, it := range t.m {
		if it.used <= cut {
			if t.dropped != nil {
				t.dropped(k, &it.v)
			}
			delete(t.m, k)
		}
	}
}

// holders lists the values that hold one of a pool's resources (a
// reassembly buffer, a QUIC reader), with the time of their last use, so
// that the least recently used holder is found by scanning the holders
// only: their number is the pool's cap, far below the table's. It is not
// safe for concurrent use.
type holders[T any] struct {
	hs   []holder[T]
	tick uint64
}

type holder[T any] struct {
	p    *T
	used uint64
}

// len returns how many values hold a resource.
func (h *holders[T]) len() int { return len(h.hs) }

// add records that p holds a resource, used now.
func (h *holders[T]) add(p *T) {
	h.tick++
	h.hs = append(h.hs, holder[T]{p, h.tick})
}

// touch marks p used now; nothing when p holds no resource.
func (h *holders[T]) touch(p *T) {
	for i := range h.hs {
		if h.hs[i].p == p {
			h.tick++
			h.hs[i].used = h.tick
			return
		}
	}
}

// remove forgets p; nothing when p holds no resource.
func (h *holders[T]) remove(p *T) {
	for i := range h.hs {
		if h.hs[i].p == p {
			last := len(h.hs) - 1
			h.hs[i] = h.hs[last]
			h.hs = h.hs[:last]
			return
		}
	}
}

// oldest returns the least recently used holder, or nil when there is none.
func (h *holders[T]) oldest() *T {
	var best *holder[T]
	for i := range h.hs {
		if best == nil || h.hs[i].used < best.used {
			best = &h.hs[i]
		}
	}
	if best == nil {
		return nil
	}
	return best.p
}
