package inspect

import (
	"errors"

	"github.com/safeinternet/cpe/nfq/packet"
	"github.com/safeinternet/cpe/nfq/quic"
)

// Caps of the QUIC client flows, each with its rule (see the package
// comment). The per-flow one is the packet path's.
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
	// minInitialDatagram and minFirstDCID: servers discard a client
	// Initial in a datagram under 1200 bytes, and a first Initial whose
	// DCID is under 8 bytes (RFC 9000 §14.1, §7.2), so such a datagram is
	// not read (Stats.Discarded), as the packet path does.
	minInitialDatagram = 1200
	minFirstDCID       = 8
	// maxQUICDatagrams is how many datagrams of a flow are read before it is
	// judged unreadable (errQUICDatagrams says so).
	maxQUICDatagrams = 12
)

// quicFlow is one client UDP flow the QUIC extractor knows.
type quicFlow struct {
	r         *quic.Reader // nil once the flow is done
	datagrams int
	last      int    // frame of the last datagram
	firstErr  string // the first datagram error, "" when none
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

func (x *quicExtractor) packet(frame int, p *packet.Parsed, emit func(Record) error) error {
	if p.IPProto != packet.UDP || x.skip(p) {
		return nil
	}
	f := flowOf(p)
	dgram := p.Payload()
	fl := x.flows.get(f)
	if fl != nil && fl.r == nil {
		return nil // read already
	}
	if fl == nil && (x.flows.peek(f.reverse()) != nil || p.SrcPort == 443 && p.DstPort != 443) {
		return nil // the server's side of a known flow, or of one whose client the capture missed
	}
	initial := quic.ParseHeader(dgram, &x.hdr) == nil
	if initial && (len(dgram) < minInitialDatagram || (fl == nil || !fl.r.Keys().Valid()) && len(x.hdr.DCID) < minFirstDCID) {
		// The packet path's rule: a client Initial the server discards
		// unread must not decide what the filter believes.
		x.st.Discarded++
		return nil
	}
	if fl == nil {
		if p.DstPort != 443 && !initial {
			return nil // another protocol on another port
		}
		fl = x.flows.add(f)
		x.take(fl)
	}
	fl.datagrams++
	fl.last = frame
	x.held.touch(fl)
	rec := Record{Frame: frame, Flow: f, Kind: KindQUIC}
	msg, err := fl.r.Add(dgram)
	switch {
	case errors.Is(err, quic.ErrNotInitial) || errors.Is(err, quic.ErrDecrypt):
		// Not an Initial this flow's keys open (a 0-RTT packet captured
		// before its Initial, a short header packet of a flow the capture
		// starts in the middle of, another protocol): the reader is
		// unchanged, so the flow is read on.
		if fl.firstErr == "" {
			fl.firstErr = err.Error()
		}
		if fl.datagrams < maxQUICDatagrams {
			return nil
		}
		rec.Err = x.giveUp(fl, errQUICDatagrams)
	case err != nil:
		// Invalid frames, CRYPTO data too long or conflicting: sticky in
		// the reader, and the end of the flow.
		rec.Err = err.Error()
	case msg != nil:
		x.names.hello(msg, &rec)
	case fl.datagrams >= maxQUICDatagrams:
		rec.Err = x.giveUp(fl, errQUICDatagrams)
	default:
		return nil
	}
	x.release(fl)
	x.count(rec)
	return emit(rec)
}

// giveUp returns the error of a flow given up for why: the first
// datagram's error when no Initial of the flow opened, else why.
func (x *quicExtractor) giveUp(fl *quicFlow, why string) string {
	if fl.firstErr != "" && !fl.r.Keys().Valid() {
		return fl.firstErr
	}
	return why
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
			recs = append(recs, Record{Frame: fl.last, Flow: f, Kind: KindQUIC, Err: x.giveUp(fl, errHelloCut)})
			x.release(fl)
		}
	}
	return emitSorted(recs, x.count, emit)
}
