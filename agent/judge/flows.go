package judge

import (
	"net/netip"

	"github.com/safeinternet/cpe/nfq/ctmark"
	"github.com/safeinternet/cpe/nfq/quic"
	"github.com/safeinternet/cpe/nfq/reading"
	"github.com/safeinternet/cpe/nfq/reasm"
)

// flowKey names a flow by its original-direction addresses and ports; the
// table it is used in says the protocol.
type flowKey struct {
	src, dst         netip.Addr
	srcPort, dstPort uint16
}

// The bounds of the reading of one flow's name (the buffer, the segments
// and datagrams read, how long a flow may take) are nfq/reading's.

// Caps of the flow tables, per queue goroutine. Evicting an entry costs the
// flow its reading: its next packet finds no state and is judged alone.
const (
	// maxTCPFlows caps the TCP table: about 120 bytes an entry without a
	// buffer, so under 0.5 MB.
	maxTCPFlows = 4096
	// maxBuffers caps the TCP reassembly buffers in use: flows whose name
	// spans several segments at the same moment. 64 × 16.5 KiB ≈ 1 MiB.
	maxBuffers = 64
	// maxQUICFlows caps the QUIC table; every entry owns a quic.Reader of
	// about 19 KiB, so 32 entries ≈ 0.6 MiB.
	maxQUICFlows = 32
)

// tcpFlow is what the agent knows of one TCP flow whose name is not read
// yet.
type tcpFlow struct {
	start  uint32 // sequence number of the first payload byte
	born   int64  // monotonic nanoseconds of the SYN
	ack    uint32 // acknowledgement number of the first payload-less ACK
	hasAck bool
	quiet  uint8        // payload-less packets after the handshake ACK
	stream reasm.Stream // in use when buf is not nil
	buf    []byte       // the stream's storage, from the pool; nil until the name spans segments
	data   bool         // a data segment was seen
	// What the SYN said of the client's segments, against which a segment
	// the server would drop is told (see handler.serverDrops): its TTL or
	// hop limit, whether it was signed (TCP MD5 / TCP-AO), and the newest
	// timestamp read on the flow.
	synTTL uint8
	signed bool
	hasTS  bool
	tsval  uint32
}

// tcpFlows is one queue goroutine's TCP flow table, with its pool of
// reassembly buffers. Not safe for concurrent use.
type tcpFlows struct {
	m       map[flowKey]*tcpFlow
	free    []*tcpFlow
	buffers [][]byte // unused buffers
	inUse   int      // buffers handed out
}

func newTCPFlows() tcpFlows {
	return tcpFlows{m: make(map[flowKey]*tcpFlow, 64)}
}

// open starts (or restarts) the flow k at its SYN.
func (t *tcpFlows) open(k flowKey, start uint32, now int64) *tcpFlow {
	if f := t.m[k]; f != nil {
		t.release(f)
		*f = tcpFlow{start: start, born: now}
		return f
	}
	if len(t.m) >= maxTCPFlows {
		for old, f := range t.m {
			t.drop(old, f)
			break
		}
	}
	var f *tcpFlow
	if n := len(t.free); n > 0 {
		f, t.free = t.free[n-1], t.free[:n-1]
	} else {
		f = new(tcpFlow)
	}
	*f = tcpFlow{start: start, born: now}
	t.m[k] = f
	return f
}

// get returns the flow k, or nil.
func (t *tcpFlows) get(k flowKey) *tcpFlow { return t.m[k] }

// drop forgets flow k, returning its buffer to the pool.
func (t *tcpFlows) drop(k flowKey, f *tcpFlow) {
	t.release(f)
	delete(t.m, k)
	if len(t.free) < 64 {
		t.free = append(t.free, f)
	}
}

// stream gives f a reassembly stream; false when every buffer is in use.
func (t *tcpFlows) stream(f *tcpFlow) bool {
	if f.buf != nil {
		return true
	}
	var buf []byte
	if n := len(t.buffers); n > 0 {
		buf, t.buffers = t.buffers[n-1], t.buffers[:n-1]
	} else if t.inUse < maxBuffers {
		buf = make([]byte, reading.StreamBuffer)
	} else {
		return false
	}
	t.inUse++
	f.buf = buf
	f.stream.Init(buf, f.start, reading.MaxSegments)
	return true
}

// release takes f's buffer back.
func (t *tcpFlows) release(f *tcpFlow) {
	if f.buf == nil {
		return
	}
	t.buffers = append(t.buffers, f.buf)
	t.inUse--
	f.buf = nil
}

// quicFlow is one QUIC flow whose ClientHello is not complete yet.
type quicFlow struct {
	r         quic.Reader
	born      int64
	datagrams int
}

// quicFlows is one queue goroutine's QUIC flow table. Not safe for
// concurrent use.
type quicFlows struct {
	m    map[flowKey]*quicFlow
	free []*quicFlow
}

func newQUICFlows() quicFlows {
	return quicFlows{m: make(map[flowKey]*quicFlow, maxQUICFlows)}
}

// get returns the flow k, creating it when create is set; nil when absent
// and not created.
func (q *quicFlows) get(k flowKey, create bool, now int64) *quicFlow {
	if f := q.m[k]; f != nil || !create {
		return f
	}
	if len(q.m) >= maxQUICFlows {
		// Evict the oldest: a flood of new flows must not keep a slow one
		// from ever completing, but a flow older than reading.PendingFor is
		// judged on its next datagram anyway.
		var oldK flowKey
		var oldF *quicFlow
		for k, f := range q.m {
			if oldF == nil || f.born < oldF.born {
				oldK, oldF = k, f
			}
		}
		q.drop(oldK, oldF)
	}
	var f *quicFlow
	if n := len(q.free); n > 0 {
		f, q.free = q.free[n-1], q.free[:n-1]
	} else {
		f = new(quicFlow)
	}
	f.r.Reset()
	f.born, f.datagrams = now, 0
	q.m[k] = f
	return f
}

// drop forgets flow k and keeps its reader for the next flow.
func (q *quicFlows) drop(k flowKey, f *quicFlow) {
	delete(q.m, k)
	q.free = append(q.free, f)
}

// recentFlows remembers the verdicts of flows judged in the last
// recentFor nanoseconds. A packet of the flow that was queued before the
// verdict's mark took effect (a retransmission sent while the segment that
// completed the name waited in the queue) then gets the same verdict,
// instead of being judged alone as a flow without a start. Cap: maxRecent
// entries; when full, expired entries go first, else an arbitrary one.
type recentFlows struct {
	m map[flowKey]recentVerdict
}

type recentVerdict struct {
	state ctmark.State
	at    int64 // monotonic nanoseconds
	// random is the judged QUIC ClientHello's random, which tells a
	// retransmitted Initial from a new connection on the same addresses.
	random    [32]byte
	hasRandom bool
	// category is the verdict's category, carried in the mark again.
	category uint32
}

const (
	maxRecent = 1024
	recentFor = 10e9
)

func newRecentFlows() recentFlows {
	return recentFlows{m: make(map[flowKey]recentVerdict, 64)}
}

// judged records the verdict of flow k; random is the ClientHello's random
// for QUIC flows, nil otherwise.
func (r *recentFlows) judged(k flowKey, s ctmark.State, category uint32, random []byte, now int64) {
	if _, ok := r.m[k]; !ok && len(r.m) >= maxRecent {
		n := 0
		for old, v := range r.m {
			if now-v.at > recentFor || n == 0 {
				delete(r.m, old)
			}
			if n++; n >= 8 {
				break
			}
		}
	}
	v := recentVerdict{state: s, at: now, category: category}
	if len(random) == 32 {
		copy(v.random[:], random)
		v.hasRandom = true
	}
	r.m[k] = v
}

// judgedRandom is the random of the QUIC ClientHello the flow was judged
// on; nil when none was read.
func (v *recentVerdict) judgedRandom() []byte {
	if !v.hasRandom {
		return nil
	}
	return v.random[:]
}

// verdict returns the recent verdict of flow k, if any.
func (r *recentFlows) verdict(k flowKey, now int64) (recentVerdict, bool) {
	v, ok := r.m[k]
	if !ok {
		return recentVerdict{}, false
	}
	if now-v.at > recentFor {
		delete(r.m, k)
		return recentVerdict{}, false
	}
	return v, true
}

// forget drops flow k: a new connection reuses its addresses and ports.
func (r *recentFlows) forget(k flowKey) { delete(r.m, k) }
