package judge

import (
	"github.com/safeinternet/cpe/nfq/packet"
	"github.com/safeinternet/cpe/nfq/queue"
	"github.com/safeinternet/cpe/nfq/reading"
)

// tcp reads the name of a TCP flow from its first payload segments and
// judges the flow once the name is complete: the SYN gives the stream's
// start, earlier segments pass unmarked, and the segment that completes the
// ClientHello or the HTTP request head is held for the verdict. The reading
// rules are nfq/reading's.
func (h *handler) tcp(p *queue.Packet, r *Rules) queue.Verdict {
	pp := &h.pkt
	h.counters.VerdictsTCP.Add(1)
	if !pp.ChecksumOK() {
		// Never fed to the reader: a segment the server will discard must
		// not decide what the filter believes (the evasion with a fake
		// ClientHello). It passes; the server drops it.
		h.counters.BadChecksum.Add(1)
		return queue.Verdict{Action: queue.Accept}
	}
	k := flowKey{pp.Src, pp.Dst, pp.SrcPort, pp.DstPort}
	now := h.now()
	payload := pp.Payload()
	var f *tcpFlow
	seq := pp.Seq
	switch {
	case pp.TCPFlags&packet.TCPSyn != 0:
		if f = h.tcpFlows.get(k); f != nil && now-f.born <= int64(reading.PendingFor) {
			if pp.Seq+1 != f.start {
				// A SYN inside a flow being read, with another sequence
				// number: a server takes it for no new connection (it
				// answers with a challenge ACK), but it would restart
				// the reading, so that the flow's real bytes land
				// before the new start and pass unread.
				h.tcpFlows.drop(k, f)
				return h.judgeFlow(p, r, reading.Result{Kind: reading.TLS, Flags: reading.Evasion, Done: true})
			}
			if len(payload) == 0 {
				return queue.Verdict{Action: queue.Accept} // the SYN again: the reading goes on
			}
			seq++
			break
		}
		h.recent.forget(k)
		f = h.tcpFlows.open(k, pp.Seq+1, now)
		opts := pp.TCPOptions()
		f.synTTL, f.signed, f.hasTS, f.tsval = pp.TTL, opts.Signed, opts.HasTimestamp, opts.TSval
		seq++
		if len(payload) == 0 {
			return queue.Verdict{Action: queue.Accept}
		}
	default:
		f = h.tcpFlows.get(k)
	}
	if f == nil {
		if rv, ok := h.recent.verdict(k, now); ok {
			return h.again(p, rv)
		}
		// The SYN was not seen (the flow predates the agent, or its
		// entry was evicted): this segment alone is all there is.
		if len(payload) == 0 {
			return queue.Verdict{Action: queue.Accept}
		}
		h.counters.NoStart.Add(1)
		return h.judgeFlow(p, r, h.rd.Stream(payload, pp.DstPort, true))
	}
	if len(payload) == 0 {
		return h.tcpQuiet(p, r, k, f)
	}
	if h.serverDrops(f) {
		// Never read: a segment the server drops must not decide what the
		// filter believes (a fake ClientHello sent first, the "desync").
		// It passes; the server drops it, and the real one is read.
		h.counters.Desync.Add(1)
		return queue.Verdict{Action: queue.Accept}
	}
	res := h.tcpData(f, seq, payload, pp.DstPort, now, r.Guard)
	if !res.Done {
		return queue.Verdict{Action: queue.Accept}
	}
	h.tcpFlows.drop(k, f)
	return h.judgeFlow(p, r, res)
}

// tcpQuiet handles a payload-less packet of a flow that has not spoken yet.
// A flow where the server speaks first (SMTP, SSH and IMAP banners) sends
// only ACKs, and each of them acknowledges more server bytes than the
// handshake ACK did. Once reading.QuietLimit of them have gone by, the flow
// is judged with no name, before the kernel gives up on it. Repeated ACKs
// that acknowledge nothing new do not count, so a client cannot buy an
// unread flow by sending empty ACKs before its ClientHello.
func (h *handler) tcpQuiet(p *queue.Packet, r *Rules, k flowKey, f *tcpFlow) queue.Verdict {
	pp := &h.pkt
	switch {
	case !f.hasAck:
		f.ack, f.hasAck = pp.Ack, true
	case pp.Ack != f.ack && int32(pp.Ack-f.ack) > 0:
		f.ack = pp.Ack
		f.quiet++
	}
	if int(f.quiet) < reading.QuietLimit(r.Guard) {
		return queue.Verdict{Action: queue.Accept}
	}
	h.tcpFlows.drop(k, f)
	h.counters.QuietFlows.Add(1)
	return h.judgeFlow(p, r, reading.Result{Kind: reading.TLS, Done: true})
}

// tcpData adds one data segment to f and reads what the stream holds so
// far; the Result is not Done while the name is incomplete. The first
// segment, when it starts the stream, is read in place (the common case:
// the whole ClientHello or request head in one segment); otherwise the
// flow takes a reassembly buffer from the pool, and a flow that finds none
// is unreadable.
func (h *handler) tcpData(f *tcpFlow, seq uint32, payload []byte, port uint16, now int64, guard int) reading.Result {
	if f.buf == nil && !f.data && seq == f.start {
		f.data = true
		if res := h.rd.Stream(payload, port, false); res.Done {
			return res
		}
	}
	f.data = true
	if !h.tcpFlows.stream(f) {
		h.counters.NoBuffer.Add(1)
		return reading.Result{Kind: reading.TLS, Flags: reading.Unreadable, Done: true}
	}
	final := now-f.born > int64(reading.PendingFor)
	return h.rd.Segment(&f.stream, seq, payload, port, reading.SegmentBound(guard), final)
}

// serverDrops reports whether the server drops the data segment in h.pkt,
// a segment of flow f, unread:
//
//   - it carries a TCP MD5 signature or a TCP-AO MAC on a flow whose SYN
//     had none: the server has no key for this peer (RFC 2385, RFC 5925);
//   - its timestamp is older than the newest the flow has sent, on a flow
//     whose SYN offered timestamps (PAWS, RFC 7323 §5);
//   - its TTL or hop limit is lower than the SYN's: every segment of one
//     socket leaves the device with the same one, and a lower one is meant
//     to expire on the way, before the server.
//
// A segment it lets through moves the flow's newest timestamp on.
func (h *handler) serverDrops(f *tcpFlow) bool {
	pp := &h.pkt
	opts := pp.TCPOptions()
	switch {
	case opts.Signed && !f.signed:
		return true
	case f.hasTS && opts.HasTimestamp && int32(opts.TSval-f.tsval) < 0:
		return true
	case pp.TTL < f.synTTL:
		return true
	}
	if f.hasTS && opts.HasTimestamp {
		f.tsval = opts.TSval
	}
	return false
}
