package inspect

import (
	"slices"

	"github.com/safeinternet/cpe/nfq/packet"
	"github.com/safeinternet/cpe/nfq/reading"
	"github.com/safeinternet/cpe/nfq/reasm"
)

// Caps of the TCP client flows, each with its rule (see the package
// comment). The per-flow bounds are the packet path's (package reading).
const (
	// maxTCPFlows caps the flow directions remembered: client flows being
	// read or read already, and sides of flows seen mid-way that were
	// passed over. When full, the least recently used eighth is dropped; a
	// dropped flow being read is counted in Stats.Evicted.
	maxTCPFlows = 4096
	// maxTCPBuffers caps the flows reassembling at once (a flow whose first
	// segment held its whole ClientHello or request head needs none). When
	// all are in use, the flow that least recently used its buffer is
	// given up (Stats.Evicted) and its buffer taken. 256 buffers of
	// reading.StreamBuffer bytes: about 4 MiB.
	maxTCPBuffers = 256
	// maxHellos is how many ClientHellos of one connection are read: the
	// first, which the packet path judges, and the one a client sends after
	// the server's HelloRetryRequest (at most one, RFC 8446 §4.1.4).
	maxHellos = 2
	// maxSYNData is how far past a client's sequence number a SYN-ACK may
	// acknowledge and still belong to the connection already followed
	// (data sent with the SYN, TCP Fast Open); farther, it starts another.
	maxSYNData = 1 << 16
)

// tcpState is where a flow direction stands.
type tcpState uint8

const (
	tcpReading tcpState = iota // a client flow whose name is not read yet
	tcpDone                    // a client flow read (or with nothing to read)
	tcpPassed                  // a side of a flow seen mid-way whose first payload was no request
)

// tcpConn is one flow direction the TCP extractor knows.
type tcpConn struct {
	state  tcpState
	first  uint32    // sequence number of the connection's first payload byte
	start  uint32    // sequence number of the first byte of what is being read: first, or the byte after a ClientHello
	hellos uint8     // ClientHellos read
	seen   bool      // a data segment was seen on the connection
	data   bool      // a data segment was offered for what is being read
	last   int       // frame of the last data segment
	kind   Kind      // what the bytes being read look like so far (KindTLS, KindHTTP or "")
	rb     *reasmBuf // nil until what is being read spans segments
}

// reasmBuf is a reassembly stream with its buffer, pooled.
type reasmBuf struct {
	s   reasm.Stream
	buf [reading.StreamBuffer]byte
}

// tcpExtractor reads the ClientHello or HTTP request head at the start of
// every TCP client flow (DNS ports excepted). Not safe for concurrent use.
type tcpExtractor struct {
	st      *Stats
	skip    func(*packet.Parsed) bool // flows left to another extractor
	flows   table[Flow, tcpConn]      // at most maxTCPFlows entries
	free    []*reasmBuf               // unused buffers
	held    holders[tcpConn]          // flows holding a buffer, at most maxTCPBuffers
	names   nameReader
	scratch []byte // rebase's copy
}

func newTCPExtractor(st *Stats, skip func(*packet.Parsed) bool) *tcpExtractor {
	x := &tcpExtractor{st: st, skip: skip}
	x.flows.max = maxTCPFlows
	x.flows.dropped = func(_ Flow, c *tcpConn) {
		if c.state == tcpReading && c.seen {
			x.st.Evicted++
		}
		x.release(c)
	}
	return x
}

func (x *tcpExtractor) packet(frame int, p *packet.Parsed, emit func(Record) error) error {
	if p.IPProto != packet.TCP || x.skip(p) {
		return nil
	}
	f := flowOf(p)
	payload := p.Payload()
	seq := p.Seq
	var c *tcpConn
	switch syn, ack := p.TCPFlags&packet.TCPSyn != 0, p.TCPFlags&packet.TCPAck != 0; {
	case syn && !ack: // the client's SYN: a new connection, unless a copy
		seq++ // the SYN takes one sequence number; data (TCP Fast Open) follows
		c = x.flows.get(f)
		if c == nil || c.state == tcpPassed || c.first != seq || !c.seen {
			c = x.open(f, seq)
		}
	case syn && ack: // the server's SYN-ACK: the client starts at its ack
		rev := f.reverse()
		if rc := x.flows.get(rev); rc == nil || rc.state == tcpPassed || p.Ack-rc.first > maxSYNData {
			x.open(rev, p.Ack)
		}
		return nil
	default:
		c = x.flows.get(f)
	}
	if len(payload) == 0 {
		return nil
	}
	if c == nil {
		// No SYN seen for this direction: the server's side of a known
		// flow, or a flow the capture starts in the middle of.
		if rc := x.flows.peek(f.reverse()); rc != nil && rc.state != tcpPassed {
			return nil
		}
		if !x.names.looksLikeRequest(payload) {
			x.flows.add(f).state = tcpPassed
			return nil
		}
		c = x.open(f, seq)
	}
	if c.state != tcpReading {
		return nil
	}
	return x.data(frame, f, c, seq, payload, emit)
}

// open starts (or restarts) reading the client flow f whose first payload
// byte is at start, forgetting its other direction.
func (x *tcpExtractor) open(f Flow, start uint32) *tcpConn {
	if c := x.flows.peek(f); c != nil {
		x.release(c)
	}
	if rc := x.flows.peek(f.reverse()); rc != nil {
		x.release(rc)
		x.flows.del(f.reverse())
	}
	c := x.flows.add(f)
	c.first, c.start = start, start
	return c
}

// data adds one data segment of the client flow f, as the packet path
// does: a segment that starts what is to be read is read in place, and
// reassembly begins when that is not enough (reading.Reader.Segment, within
// reading.MaxSegments segments). What follows a first ClientHello, which the
// packet path does not read, is reassembled here alone, within the same
// number of segments.
func (x *tcpExtractor) data(frame int, f Flow, c *tcpConn, seq uint32, payload []byte, emit func(Record) error) error {
	c.last, c.seen = frame, true
	x.held.touch(c)
	if c.rb == nil && !c.data && seq == c.start {
		c.data = true
		rest, consumed, err := x.consume(frame, f, c, payload, nil, emit)
		switch {
		case err != nil || c.state != tcpReading:
			return err
		case consumed > 0 && len(rest) == 0:
			c.data = false // wait for the next message, in place again
			return nil
		}
		return x.rebase(frame, f, c, rest, emit)
	}
	c.data = true
	if c.rb == nil {
		x.take(c)
	}
	var first *reading.Result
	if c.hellos == 0 {
		res := x.names.rd.Segment(&c.rb.s, seq, payload, f.Dst.Port(), reading.MaxSegments, false)
		first = &res
	} else if _, err := c.rb.s.Add(seq, payload); err != nil {
		return x.fail(frame, f, c, err.Error(), emit)
	}
	rest, consumed, err := x.consume(frame, f, c, c.rb.s.Contiguous(), first, emit)
	switch {
	case err != nil || c.state != tcpReading:
		return err
	case consumed > 0 && len(rest) == 0:
		x.release(c)
		c.data = false
		return nil
	case consumed > 0:
		return x.rebase(frame, f, c, rest, emit)
	case c.rb.s.Segments() >= reading.MaxSegments:
		return x.fail(frame, f, c, reading.ErrSegments.Error(), emit)
	}
	return nil
}

// consume reads the messages data holds, data being c's stream from
// c.start on, and emits their records; first, when not nil, is the Result
// of the first of them, read already. It returns the bytes left unread when
// more are needed (c stays tcpReading, c.start is where rest begins) and
// how many bytes whole ClientHellos took.
func (x *tcpExtractor) consume(frame int, f Flow, c *tcpConn, data []byte, first *reading.Result, emit func(Record) error) (rest []byte, consumed int, err error) {
	for {
		var (
			st      streamRead
			res     reading.Result
			skipped int
		)
		switch {
		case first != nil:
			st, res = state(*first), *first
			first = nil
		case c.hellos == 0:
			st, res = x.names.stream(data, f.Dst.Port())
		default:
			st, res, skipped = x.names.afterHello(data)
		}
		switch st {
		case readMore:
			c.kind = soFar(res.Kind)
			return data, consumed, nil
		case readOther:
			x.end(c)
			return nil, consumed, nil
		}
		rec := Record{Frame: frame, Flow: f}
		x.names.record(res, &rec)
		if res.Kind == reading.Other && c.kind != "" {
			rec.Kind = c.kind // an overlap ended what looked like this so far
		}
		if rec.Kind == KindTLS {
			rec.Nth = int(c.hellos) + 1
		}
		used := 0
		if res.Used > 0 {
			used = skipped + res.Used
		}
		if used == 0 || int(c.hellos)+1 >= maxHellos {
			x.end(c)
			return nil, consumed, x.emit(rec, emit)
		}
		if err := x.emit(rec, emit); err != nil {
			return nil, consumed, err
		}
		c.hellos++
		c.start += uint32(used)
		c.kind = ""
		data, consumed = data[used:], consumed+used
	}
}

// rebase restarts c's reassembly at c.start, which rest begins.
func (x *tcpExtractor) rebase(frame int, f Flow, c *tcpConn, rest []byte, emit func(Record) error) error {
	x.scratch = append(x.scratch[:0], rest...) // rest may alias c's buffer
	if c.rb == nil {
		x.take(c)
	} else {
		c.rb.s.Init(c.rb.buf[:], c.start, reading.MaxSegments)
	}
	if _, err := c.rb.s.Add(c.start, x.scratch); err != nil {
		return x.fail(frame, f, c, err.Error(), emit)
	}
	return nil
}

// fail ends c with an error record saying why, when what c was reading is
// known: the first message of a flow always (the packet path judges the
// flow unreadable, as TLS when nothing else is known), a later one only
// once it began a ClientHello.
func (x *tcpExtractor) fail(frame int, f Flow, c *tcpConn, why string, emit func(Record) error) error {
	x.end(c)
	rec := Record{Frame: frame, Flow: f, Kind: c.kind, Err: why}
	switch {
	case c.hellos > 0 && c.kind == "":
		return nil
	case rec.Kind == "":
		rec.Kind = KindTLS
	}
	if rec.Kind == KindTLS {
		rec.Nth = int(c.hellos) + 1
	}
	return x.emit(rec, emit)
}

// end ends the reading of c.
func (x *tcpExtractor) end(c *tcpConn) {
	c.state = tcpDone
	x.release(c)
}

// emit counts rec and emits it.
func (x *tcpExtractor) emit(rec Record, emit func(Record) error) error {
	x.count(rec)
	return emit(rec)
}

// count adds rec to the stats.
func (x *tcpExtractor) count(rec Record) {
	switch {
	case rec.Err != "":
		x.st.Unreadable++
	case rec.Kind == KindTLS:
		x.st.TLSHellos++
	default:
		x.st.HTTPHeads++
	}
}

// take gives c a reassembly buffer, from the pool, new while fewer than
// maxTCPBuffers are in use, or else taken from the flow that least recently
// used its own (which is given up), and starts the stream at c.start.
func (x *tcpExtractor) take(c *tcpConn) {
	switch n := len(x.free); {
	case n > 0:
		c.rb, x.free = x.free[n-1], x.free[:n-1]
	case x.held.len() < maxTCPBuffers:
		c.rb = new(reasmBuf)
	default:
		old := x.held.oldest()
		x.held.remove(old)
		c.rb, old.rb = old.rb, nil
		old.state = tcpDone
		x.st.Evicted++
	}
	x.held.add(c)
	c.rb.s.Init(c.rb.buf[:], c.start, reading.MaxSegments)
}

// release takes c's buffer back into the pool.
func (x *tcpExtractor) release(c *tcpConn) {
	if c.rb == nil {
		return
	}
	x.free = append(x.free, c.rb)
	c.rb = nil
	x.held.remove(c)
}

// finish reports the client flows the capture ended in the middle of,
// whose bytes so far began a ClientHello or a request head.
func (x *tcpExtractor) finish(emit func(Record) error) error {
	var recs []Record
	for f, it := range x.flows.m {
		c := &it.v
		if c.state != tcpReading || c.kind == "" {
			continue
		}
		rec := Record{Frame: c.last, Flow: f, Kind: c.kind, Err: errHelloCut}
		if c.kind == KindHTTP {
			rec.Err = errHeadCut
		} else {
			rec.Nth = int(c.hellos) + 1
		}
		recs = append(recs, rec)
	}
	return emitSorted(recs, x.count, emit)
}

// emitSorted emits recs in frame order (flow order within a frame), after
// counting each.
func emitSorted(recs []Record, count func(Record), emit func(Record) error) error {
	slices.SortFunc(recs, func(a, b Record) int {
		if a.Frame != b.Frame {
			return a.Frame - b.Frame
		}
		if a.Flow.String() < b.Flow.String() {
			return -1
		}
		return 1
	})
	for _, rec := range recs {
		count(rec)
		if err := emit(rec); err != nil {
			return err
		}
	}
	return nil
}
