package judge

import (
	"github.com/safeinternet/cpe/nfq/queue"
	"github.com/safeinternet/cpe/nfq/quic"
	"github.com/safeinternet/cpe/nfq/reading"
)

// quic reads the ClientHello of a QUIC flow from its Initial packets and
// judges the flow once it is complete; earlier datagrams pass unmarked. Its
// steps, each a rule of nfq/reading:
//
//  1. A profile without QUIC: the flow is judged at once, with no name.
//  2. A datagram the server discards unread (reading.Discarded) passes
//     unread.
//  3. A datagram of a flow judged moments ago gets that flow's verdict,
//     unless it starts a new connection on the same addresses
//     (reading.Probe).
//  4. A datagram that cannot start a flow, on a flow not being read: the
//     flow is unreadable.
//  5. Otherwise the datagram is read into the flow (reading.Datagram) and
//     the flow judged once the reading is done.
func (h *handler) quic(p *queue.Packet, r *Rules) queue.Verdict {
	pp := &h.pkt
	h.counters.VerdictsQUIC.Add(1)
	if r.Snap.Settings(p.HwAddr, p.HasHwAddr).NoQUIC {
		return h.judgeFlow(p, r, reading.Result{Kind: reading.QUIC, Done: true})
	}
	k := flowKey{pp.Src, pp.Dst, pp.SrcPort, pp.DstPort}
	now := h.now()
	dgram := pp.Payload()
	f := h.quicFlows.get(k, false, now)
	if h.discarded(dgram, f) {
		h.counters.BadChecksum.Add(1)
		return queue.Verdict{Action: queue.Accept}
	}
	if f == nil {
		if rv, ok := h.recent.verdict(k, now); ok {
			if !h.probe.NewConnection(dgram, rv.judgedRandom()) {
				return h.again(p, rv)
			}
			h.recent.forget(k)
		}
		if !startsFlow(dgram) {
			// QUIC whose start the agent missed, or another protocol on
			// port 443: nothing to read a name from.
			return h.judgeFlow(p, r, reading.Result{Kind: reading.QUIC, Flags: reading.Unreadable, Done: true})
		}
		f = h.quicFlows.get(k, true, now)
	}
	f.datagrams++
	final := now-f.born > int64(reading.PendingFor)
	res := h.rd.Datagram(&f.r, dgram, f.datagrams, reading.DatagramBound(r.Guard), final)
	if !res.Done {
		return queue.Verdict{Action: queue.Accept}
	}
	h.quicFlows.drop(k, f) // its reader, which res aliases, is reset only when reused
	return h.judgeFlow(p, r, res)
}

// discarded reports whether a server discards dgram unread (see
// reading.Discarded); f is the flow being read, nil when none.
func (h *handler) discarded(dgram []byte, f *quicFlow) bool {
	var q *quic.Reader
	if f != nil {
		q = &f.r
	}
	return reading.Discarded(dgram, h.pkt.ChecksumOK(), q)
}

// startsFlow reports whether dgram can be a QUIC flow's first datagram the
// agent reads: a client Initial, or a 0-RTT or Handshake packet that
// overtook it. Anything else would only take a table entry from a flow
// being read.
func startsFlow(dgram []byte) bool {
	var hdr quic.Header
	return quic.ParseHeader(dgram, &hdr) == nil || reading.NonInitialLongHeader(dgram)
}
