package usage

import "net/netip"

// DefaultTrackerCap is the flow capacity NewTracker uses when given none.
// It matches nf_conntrack_max on the larger OpenWrt targets; the daemon
// should pass the router's own nf_conntrack_max so the cap is never reached.
const DefaultTrackerCap = 32768

// FlowKey identifies one conntrack flow. Conntrack ids are reused once a
// flow is gone, so the key also holds the original direction's source
// address and ports and the protocol: a reused id almost always comes with
// a different tuple. (When it does not, the byte counter going backwards
// still gives the new flow away; see Tracker.Observe.)
type FlowKey struct {
	ID      uint32   // conntrack id
	Src     [16]byte // original source address; IPv4 as IPv4-mapped IPv6
	SrcPort uint16
	DstPort uint16
	Proto   uint8 // IP protocol number
}

// MakeFlowKey returns the key of a flow from its conntrack id, protocol,
// original source and original destination port.
func MakeFlowKey(id uint32, proto uint8, src netip.AddrPort, dstPort uint16) FlowKey {
	return FlowKey{ID: id, Src: src.Addr().As16(), SrcPort: src.Port(), DstPort: dstPort, Proto: proto}
}

// flow is what a Tracker remembers of one flow.
type flow struct {
	bytes uint64 // the cumulative count at the last observation
	pass  uint32 // the pass of the last observation
}

// Tracker turns the cumulative per-flow byte counters of successive
// conntrack dumps into per-pass deltas.
//
// Use it in passes, one per accounting period: Begin, then Observe for each
// flow of the dump, then End. A Tracker is not safe for concurrent use: one
// goroutine (the accounting loop) owns it.
//
// Bounds: it remembers at most its capacity of flows, in a map keyed by
// FlowKey (some 60 bytes a flow, 2 MB at DefaultTrackerCap). Eviction: End
// drops every flow that was not observed during the pass, since conntrack
// no longer has it. When the map is full, a flow not yet known is refused:
// Observe returns 0 and does not remember it (Refused counts these). Flows
// already known keep being counted; a refused flow goes uncounted until an
// End has made room, and is then charged as a new flow (see Observe). So a
// full map costs missed or misplaced traffic, never unbounded memory; sized
// to the router's nf_conntrack_max, it never fills.
type Tracker struct {
	cap     int
	flows   map[FlowKey]flow
	pass    uint32
	primed  bool   // an End has run: unknown flows are new since then
	refused uint64 // Observe calls refused because the map was full
}

// NewTracker returns a Tracker that remembers at most capacity flows
// (DefaultTrackerCap if capacity <= 0).
func NewTracker(capacity int) *Tracker {
	if capacity <= 0 {
		capacity = DefaultTrackerCap
	}
	return &Tracker{cap: capacity, flows: make(map[FlowKey]flow, min(capacity, 1024)), pass: 1}
}

// Begin starts a pass. If a dump fails midway, do not call End: call Begin
// again for the next attempt, and nothing is evicted on the strength of an
// incomplete dump.
func (t *Tracker) Begin() { t.pass++ }

// Observe records that the flow k has carried bytes in total (both
// directions, as conntrack counts them) and returns the bytes it carried
// since it was last observed.
//
// A flow not yet known is charged its whole count if the Tracker is primed
// (an End has run): conntrack did not list it in the previous pass, so it
// began since. Until the first End, unknown flows are charged 0: when the
// agent starts, flows are met mid-life, and hours of past traffic must not
// land in one period. A count lower than the remembered one means conntrack
// reused the id for a new flow with the same tuple: the whole count is the
// delta. Observing a flow twice in one pass charges the second call only
// what is new.
//
// Observe does not allocate for known flows.
func (t *Tracker) Observe(k FlowKey, bytes uint64) (delta uint64) {
	f, ok := t.flows[k]
	switch {
	case ok && bytes >= f.bytes:
		delta = bytes - f.bytes
	case ok:
		delta = bytes // counter went back: a new flow under a reused key
	case len(t.flows) >= t.cap:
		t.refused++
		return 0
	case t.primed:
		delta = bytes
	}
	t.flows[k] = flow{bytes: bytes, pass: t.pass}
	return delta
}

// End ends the pass: flows not observed since Begin are forgotten, and the
// Tracker is primed.
func (t *Tracker) End() {
	for k, f := range t.flows {
		if f.pass != t.pass {
			delete(t.flows, k)
		}
	}
	t.primed = true
}

// Len returns the number of flows remembered.
func (t *Tracker) Len() int { return len(t.flows) }

// Refused returns how many observations of unknown flows were refused
// because the Tracker was full, since it was made. A growing value means
// the capacity is below the router's conntrack table size.
func (t *Tracker) Refused() uint64 { return t.refused }
