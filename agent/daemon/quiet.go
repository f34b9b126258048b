package daemon

import "net/netip"

// flowKey names a TCP flow by its original-direction 5-tuple (the protocol
// is always TCP here).
type flowKey struct {
	src, dst         netip.Addr
	srcPort, dstPort uint16
}

// maxQuietFlows caps quietFlows: about 100 bytes an entry, so at most
// ~400 KB. When full, an arbitrary entry is evicted; the evicted flow only
// starts counting again, so the cost of eviction is a flow judged later.
const maxQuietFlows = 4096

// quietFlows counts, per TCP flow, the payload-less packets the agent saw
// before the flow's first payload. A flow where the server speaks first
// (SMTP, SSH banners, server push) may send only ACKs for a long time; the
// kernel queues its first guard packets and, fail-closed, resets it after
// that unless it has a verdict. Once a flow has been quiet for half its
// guard, it is allowed with nothing to judge, before the kernel gives up on
// it. Used by one queue goroutine only.
type quietFlows struct {
	m map[flowKey]uint8
}

func newQuietFlows() quietFlows {
	return quietFlows{m: make(map[flowKey]uint8, maxQuietFlows)}
}

// quiet records one payload-less packet of k and reports whether the flow
// has now been quiet for limit packets; it then forgets the flow.
func (q *quietFlows) quiet(k flowKey, limit int) bool {
	n, ok := q.m[k]
	if !ok && len(q.m) >= maxQuietFlows {
		for old := range q.m {
			delete(q.m, old)
			break
		}
	}
	n++
	if int(n) >= limit {
		delete(q.m, k)
		return true
	}
	q.m[k] = n
	return false
}

// spoke forgets k: its first payload arrived.
func (q *quietFlows) spoke(k flowKey) {
	delete(q.m, k)
}

// quietLimit is how many payload-less packets make a flow quiet: half the
// guard, since the kernel's count also holds the SYN and any retransmitted
// one, and at least 2, since every flow sends one ACK before its data.
func quietLimit(guard int) int {
	return max(2, guard/2)
}
