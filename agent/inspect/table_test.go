package inspect

import "testing"

func TestTableEvictsLeastRecentlyUsed(t *testing.T) {
	var dropped []int
	tb := table[int, string]{max: 16, dropped: func(k int, _ *string) { dropped = append(dropped, k) }}
	for k := range 16 {
		*tb.add(k) = "v"
	}
	// Use 0 and 1 again: 2 and 3 are now the least recently used.
	tb.get(0)
	tb.get(1)
	tb.peek(2) // peek does not count as a use
	*tb.add(100) = "new"
	if len(tb.m) > 16 {
		t.Fatalf("%d entries, cap 16", len(tb.m))
	}
	// One eighth of 16: the two least recently used.
	if len(dropped) != 2 || !(dropped[0] == 2 && dropped[1] == 3 || dropped[0] == 3 && dropped[1] == 2) {
		t.Errorf("dropped %v, want 2 and 3", dropped)
	}
	if tb.get(0) == nil || tb.get(1) == nil || *tb.get(100) != "new" {
		t.Error("recently used entries evicted")
	}
	// Replacing a key does not evict nor call dropped.
	dropped = nil
	*tb.add(100) = "again"
	tb.del(5)
	if len(dropped) != 0 || *tb.get(100) != "again" || tb.get(5) != nil {
		t.Errorf("replace/del: dropped %v", dropped)
	}
}

func TestHolders(t *testing.T) {
	var h holders[int]
	a, b, c := new(int), new(int), new(int)
	h.add(a)
	h.add(b)
	h.add(c)
	h.touch(a)
	if got := h.oldest(); got != b {
		t.Errorf("oldest is not b")
	}
	h.remove(b)
	h.touch(b) // not held: no effect
	if h.len() != 2 || h.oldest() != c {
		t.Errorf("after removing b: len %d", h.len())
	}
	h.remove(a)
	h.remove(c)
	if h.oldest() != nil {
		t.Error("oldest of nothing")
	}
}
