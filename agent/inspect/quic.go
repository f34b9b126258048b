package inspect

import (
	"github.com/safeinternet/cpe/nfq/packet"
	"github.com/safeinternet/cpe/nfq/quic"
	"github.com/safeinternet/cpe/nfq/reading"
)

// Caps of the QUIC client flows, each with its rule (see the package
// comment). The per-flow bounds are the packet path's (package reading).
const (
	// maxQUICFlows caps the UDP flow directions remembered, read or being
	// read. When full, the least recently used eighth is dropped; a
	// dropped flow being read is counted in Stats.Evicted.
	maxQUICFlows = 4096
	// maxQUICReaders caps the flows being read at once, each with a
	// quic.Reader of about 20 KiB (64 ≈ 1.3 MiB). When all are in use, the
	// flow that least recently sent a datagram is given up
	// (Stats.Evicted) and its reader taken.
	maxQUICReaders = 64
)

// quicFlow is one client UDP flow the QUIC extractor knows.
type quicFlow struct {
	r         *quic.Reader // nil once the flow is read
	datagrams int          // datagrams read, of the current connection
	last      int          // frame of the last datagram
	random    [32]byte     // the read ClientHello's random, when hasRandom
	hasRandom bool
}

// judged returns the random of the ClientHello the flow was read as, nil
// when none was read.
func (fl *quicFlow) judged() []byte {
	if !fl.hasRandom {
		return nil
	}
	return fl.random[:]
}

// quicExtractor reads the ClientHello of every QUIC client flow: UDP
// datagrams to port 443, or to another port when they start with a QUIC
// v1/v2 Initial header (DNS ports excepted). Not safe for concurrent use.
type quicExtractor struct {
	st    *Stats
	skip  func(*packet.Parsed) bool
	flows table[Flow, quicFlow] // at most maxQUICFlows entries
	free  []*quic.Reader        // unused readers
	held  holders[quicFlow]     // flows holding a reader, at most maxQUICReaders
	hdr   quic.Header
	names nameReader
	probe reading.Probe
}

func newQUICExtractor(st *Stats, skip func(*packet.Parsed) bool) *quicExtractor {
	x := &quicExtractor{st: st, skip: skip}
	x.flows.max = maxQUICFlows
	x.flows.dropped = func(_ Flow, fl *quicFlow) {
		if fl.r != nil {
			x.st.Evicted++
		}
		x.release(fl)
	}
	return x
}

// packet reads one UDP datagram with the packet path's QUIC steps
// (package reading): the discard rule, then the flow's reader within
// reading.MaxDatagrams datagrams; on a flow read already, only an Initial
// that starts another connection is read, as a new reading of the flow.
func (x *quicExtractor) packet(frame int, p *packet.Parsed, emit func(Record) error) error {
	if p.IPProto != packet.UDP || x.skip(p) {
		return nil
	}
	f := flowOf(p)
	dgram := p.Payload()
	fl := x.flows.get(f)
	if fl == nil && (x.flows.peek(f.reverse()) != nil || p.SrcPort == 443 && p.DstPort != 443) {
		return nil // the server's side of a known flow, or of one whose client the capture missed
	}
	var q *quic.Reader
	if fl != nil {
		q = fl.r
	}
	// Checksums are not checked: captures taken on the sending host carry
	// unfilled ones (checksum offload).
	if reading.Discarded(dgram, true, q) {
		x.st.Discarded++
		return nil
	}
	switch {
	case fl == nil:
		if p.DstPort != 443 && quic.ParseHeader(dgram, &x.hdr) != nil {
			return nil // another protocol on another port
		}
		fl = x.flows.add(f)
		x.take(fl)
	case fl.r == nil:
		// Read already: the kernel queues the client Initials of an
		// allowed flow, and the packet path reads one that starts another
		// connection; the connection's own later Initials (retransmissions,
		// ACKs) keep its verdict.
		if !x.probe.NewConnection(dgram, fl.judged()) {
			return nil
		}
		fl.datagrams = 0
		x.take(fl)
	}
	fl.datagrams++
	fl.last = frame
	x.held.touch(fl)
	res := x.names.rd.Datagram(fl.r, dgram, fl.datagrams, reading.MaxDatagrams, false)
	if !res.Done {
		return nil
	}
	rec := Record{Frame: frame, Flow: f}
	x.names.record(res, &rec)
	fl.hasRandom = len(res.Random) == len(fl.random)
	copy(fl.random[:], res.Random)
	x.release(fl)
	x.count(rec)
	return emit(rec)
}

// count adds rec to the stats.
func (x *quicExtractor) count(rec Record) {
	if rec.Err != "" {
		x.st.Unreadable++
	} else {
		x.st.QUICHellos++
	}
}

// take gives fl a reader, from the pool, new while fewer than
// maxQUICReaders are in use, or else taken from the flow that least
// recently sent a datagram (which is given up).
func (x *quicExtractor) take(fl *quicFlow) {
	switch n := len(x.free); {
	case n > 0:
		fl.r, x.free = x.free[n-1], x.free[:n-1]
	case x.held.len() < maxQUICReaders:
		fl.r = new(quic.Reader)
	default:
		old := x.held.oldest()
		x.held.remove(old)
		fl.r, old.r = old.r, nil
		x.st.Evicted++
	}
	x.held.add(fl)
	fl.r.Reset()
}

// release takes fl's reader back into the pool; fl is done.
func (x *quicExtractor) release(fl *quicFlow) {
	if fl.r == nil {
		return
	}
	x.free = append(x.free, fl.r)
	fl.r = nil
	x.held.remove(fl)
}

// finish reports the flows the capture ended in the middle of.
func (x *quicExtractor) finish(emit func(Record) error) error {
	var recs []Record
	for f, it := range x.flows.m {
		if fl := &it.v; fl.r != nil && fl.datagrams > 0 {
			recs = append(recs, Record{Frame: fl.last, Flow: f, Kind: KindQUIC, Err: errHelloCut})
			x.release(fl)
		}
	}
	return emitSorted(recs, x.count, emit)
}
