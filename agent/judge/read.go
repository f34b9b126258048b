package judge

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"

	"github.com/safeinternet/cpe/agent/policy"
	"github.com/safeinternet/cpe/nfq/ctmark"
	"github.com/safeinternet/cpe/nfq/hello"
	"github.com/safeinternet/cpe/nfq/httphost"
	"github.com/safeinternet/cpe/nfq/packet"
	"github.com/safeinternet/cpe/nfq/queue"
	"github.com/safeinternet/cpe/nfq/quic"
	"github.com/safeinternet/cpe/nfq/reasm"
)

// nameRead is what the reading of a connection's first bytes found.
type nameRead struct {
	kind  policy.Kind
	name  []byte // normalised; nil when none
	flags policy.Flags
	// done says the reading is over: the flow is judged now. When false
	// the packet passes unmarked and the flow waits for more.
	done bool
}

// tcp reads the name of a TCP flow from its first payload segments and
// judges the flow once the name is complete: the SYN gives the stream's
// start, earlier segments pass unmarked, and the segment that completes the
// ClientHello or the HTTP request head is held for the verdict.
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
		h.recent.forget(k)
		f = h.tcpFlows.open(k, pp.Seq+1, now)
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
		read := h.readStream(payload, pp.DstPort, true)
		h.counters.NoStart.Add(1)
		return h.judgeFlow(p, r, read)
	}
	if len(payload) == 0 {
		return h.tcpQuiet(p, r, k, f)
	}
	read, ok := h.tcpData(f, seq, payload, pp.DstPort, now, r.Guard)
	if !ok {
		return queue.Verdict{Action: queue.Accept}
	}
	h.tcpFlows.drop(k, f)
	return h.judgeFlow(p, r, read)
}

// tcpQuiet handles a payload-less packet of a flow that has not spoken yet.
// A flow where the server speaks first (SMTP, SSH and IMAP banners) sends
// only ACKs, and each of them acknowledges more server bytes than the
// handshake ACK did. Once half the guard has gone by that way, the flow is
// judged with no name, before the kernel gives up on it. Repeated ACKs that
// acknowledge nothing new do not count, so a client cannot buy an unread
// flow by sending empty ACKs before its ClientHello.
func (h *handler) tcpQuiet(p *queue.Packet, r *Rules, k flowKey, f *tcpFlow) queue.Verdict {
	pp := &h.pkt
	switch {
	case !f.hasAck:
		f.ack, f.hasAck = pp.Ack, true
	case pp.Ack != f.ack && int32(pp.Ack-f.ack) > 0:
		f.ack = pp.Ack
		f.quiet++
	}
	if int(f.quiet) < quietLimit(r.Guard) {
		return queue.Verdict{Action: queue.Accept}
	}
	h.tcpFlows.drop(k, f)
	h.counters.QuietFlows.Add(1)
	return h.judgeFlow(p, r, nameRead{kind: policy.TLS, done: true})
}

// quietLimit is how many server-data acknowledgements make a flow quiet:
// half the guard, since the kernel's count also holds the SYN and the
// handshake ACK, and at least 1.
func quietLimit(guard int) int {
	return max(1, guard/2-1)
}

// tcpData adds one data segment to f and reads what the stream holds so
// far. ok is false while the name is incomplete.
func (h *handler) tcpData(f *tcpFlow, seq uint32, payload []byte, port uint16, now int64, guard int) (nameRead, bool) {
	if f.buf == nil && !f.data && seq == f.start {
		// The common case: the whole ClientHello or request head in the
		// first segment, read in place.
		f.data = true
		if read := h.readStream(payload, port, false); read.done {
			return read, true
		}
	}
	f.data = true
	if !h.tcpFlows.stream(f) {
		h.counters.NoBuffer.Add(1)
		return nameRead{kind: policy.TLS, flags: policy.FlagUnreadable, done: true}, true
	}
	_, err := f.stream.Add(seq, payload)
	switch {
	case errors.Is(err, reasm.ErrConflict):
		h.counters.Evasions.Add(1)
		return nameRead{kind: policy.TLS, flags: policy.FlagEvasion, done: true}, true
	case err != nil:
		h.counters.Unreadable.Add(1)
		return nameRead{kind: policy.TLS, flags: policy.FlagUnreadable, done: true}, true
	}
	read := h.readStream(f.stream.Contiguous(), port, false)
	if read.done {
		return read, true
	}
	if now-f.born > pendingFor || f.stream.Segments() >= segmentBound(guard) {
		h.counters.Unreadable.Add(1)
		read.flags |= policy.FlagUnreadable
		read.done = true
		return read, true
	}
	return read, false
}

// segmentBound is how many data segments of a flow are read before it is
// judged unreadable: maxSegments, but never more than the kernel queues
// (the guard counts the SYN and the handshake ACK too), so that the agent
// always judges the flow itself rather than leaving it to the fail mode.
func segmentBound(guard int) int { return max(1, min(maxSegments, guard-2)) }

// datagramBound is segmentBound for QUIC: the kernel queues the first guard
// datagrams of a flow.
func datagramBound(guard int) int { return max(1, min(maxDatagrams, guard)) }

// readStream reads the name at the start of a TCP client stream. With
// final, the bytes are all there will ever be (a flow whose start the
// agent missed), so "need more" becomes unreadable.
func (h *handler) readStream(data []byte, port uint16, final bool) nameRead {
	switch {
	case len(data) == 0:
		return nameRead{kind: policy.TLS}
	case data[0] == 0x16:
		return h.readTLS(data, final)
	}
	if read, ok := h.readHTTP(data, final); ok {
		return read
	}
	if port == 443 || port == 80 {
		// Port 443 carries TLS and port 80 HTTP/1. Anything else there
		// (a tunnel, HTTP/2 with prior knowledge) is something the agent
		// cannot read.
		return nameRead{kind: policy.TLS, flags: policy.FlagUnreadable, done: true}
	}
	// A protocol the agent does not read: there is no name to judge.
	return nameRead{kind: policy.TLS, done: true}
}

// readTLS reads a ClientHello from the start of a TCP stream.
func (h *handler) readTLS(data []byte, final bool) nameRead {
	read := nameRead{kind: policy.TLS}
	msg, used, err := hello.Handshake(h.hs[:0], data)
	switch {
	case errors.Is(err, hello.ErrNeedMore):
		if final {
			read.flags, read.done = policy.FlagUnreadable, true
		}
		return read
	case err != nil:
		read.flags, read.done = policy.FlagUnreadable, true
		return read
	}
	if err := hello.Parse(msg, &h.hello); err != nil {
		read.flags, read.done = policy.FlagUnreadable, true
		return read
	}
	read.done = true
	read.name = h.hello.Name()
	if h.hello.Ambiguous() != 0 {
		read.flags |= policy.FlagAmbiguous
	}
	if h.secondHello(data[used:]) {
		h.counters.Evasions.Add(1)
		read.flags |= policy.FlagEvasion
	}
	return read
}

// secondHello reports whether rest, the stream after the first ClientHello,
// starts another ClientHello. A client sends one ClientHello and then waits
// for the server (a HelloRetryRequest's second ClientHello comes after the
// server's answer, when the flow is judged already); two in a row are meant
// for two different readers.
func (h *handler) secondHello(rest []byte) bool {
	// A handshake record whose message starts with type client_hello (1).
	return len(rest) >= 6 && rest[0] == 0x16 && rest[1] == 3 && rest[5] == 1
}

// readHTTP reads the Host of an HTTP/1 request head; ok is false when the
// stream is not HTTP.
func (h *handler) readHTTP(data []byte, final bool) (read nameRead, ok bool) {
	read = nameRead{kind: policy.HTTP}
	err := httphost.Parse(data, &h.req)
	switch {
	case errors.Is(err, httphost.ErrNotHTTP):
		return read, false
	case errors.Is(err, httphost.ErrNeedMore):
		if final {
			read.flags, read.done = policy.FlagUnreadable, true
		}
		return read, true
	case err != nil:
		read.flags, read.done = policy.FlagUnreadable, true
		return read, true
	}
	read.done = true
	host, amb := hello.NormalizeHost(&h.name, h.req.Host())
	read.name = host
	// A head longer than the parser reads may hide a second Host.
	if amb != 0 || h.req.Ambiguous() || h.req.Truncated() {
		read.flags |= policy.FlagAmbiguous
	}
	return read, true
}

// quic reads the ClientHello of a QUIC flow from its Initial packets and
// judges the flow once it is complete; earlier datagrams pass unmarked.
func (h *handler) quic(p *queue.Packet, r *Rules) queue.Verdict {
	pp := &h.pkt
	h.counters.VerdictsQUIC.Add(1)
	if r.Snap.Settings(p.HwAddr, p.HasHwAddr).NoQUIC {
		return h.judgeFlow(p, r, nameRead{kind: policy.QUIC, done: true})
	}
	k := flowKey{pp.Src, pp.Dst, pp.SrcPort, pp.DstPort}
	now := h.now()
	dgram := pp.Payload()
	var hdr quic.Header
	initial := quic.ParseHeader(dgram, &hdr) == nil
	f := h.quicFlows.get(k, false, now)
	if !pp.ChecksumOK() || (initial && (len(dgram) < minInitialDatagram || f == nil && len(hdr.DCID) < minFirstDCID)) {
		// A datagram the server discards unread (a bad checksum, a client
		// Initial under 1200 bytes, a first Initial whose DCID is under 8
		// bytes) must not decide what the filter believes: a client could
		// settle its flow with an allowed ClientHello the server never
		// reads. It passes unread.
		h.counters.BadChecksum.Add(1)
		return queue.Verdict{Action: queue.Accept}
	}
	if f == nil {
		if rv, ok := h.recent.verdict(k, now); ok {
			if !initial || !h.newConnection(&hdr, dgram, &rv) {
				return h.again(p, rv)
			}
			h.recent.forget(k)
		}
	}
	// A v1/v2 long-header packet that is not an Initial (0-RTT or
	// Handshake) may overtake the flow's first Initial; it carries no name
	// and a server cannot use it without the Initial, so it passes unread
	// while the flow waits for its Initial, within the datagram bound.
	other := !initial && quicLongHeader(dgram)
	if f == nil && (initial || other) {
		f = h.quicFlows.get(k, true, now)
	}
	if f != nil && other {
		f.datagrams++
		if now-f.born <= pendingFor && f.datagrams < datagramBound(r.Guard) {
			return queue.Verdict{Action: queue.Accept}
		}
		h.quicFlows.drop(k, f)
		h.counters.Unreadable.Add(1)
		return h.judgeFlow(p, r, nameRead{kind: policy.QUIC, flags: policy.FlagUnreadable, done: true})
	}
	if f == nil {
		// Not an Initial, and no Initial seen on this flow: QUIC whose
		// start the agent missed, or another protocol on port 443.
		h.counters.Unreadable.Add(1)
		return h.judgeFlow(p, r, nameRead{kind: policy.QUIC, flags: policy.FlagUnreadable, done: true})
	}
	f.datagrams++
	msg, err := f.r.Add(dgram)
	read := nameRead{kind: policy.QUIC}
	switch {
	case errors.Is(err, quic.ErrConflict):
		h.counters.Evasions.Add(1)
		read.flags, read.done = policy.FlagEvasion, true
	case err != nil:
		// Not decryptable (not QUIC v1/v2, or not an Initial of this
		// flow), or malformed: restricted profiles drop it, and browsers
		// fall back to TCP, where the name is read.
		h.counters.Unreadable.Add(1)
		read.flags, read.done = policy.FlagUnreadable, true
	case msg != nil:
		read.done = true
		if len(msg) >= 38 {
			h.random = msg[6:38] // after the message header and legacy_version
		}
		if err := hello.Parse(msg, &h.hello); err != nil {
			read.flags = policy.FlagUnreadable
			break
		}
		read.name = h.hello.Name()
		if h.hello.Ambiguous() != 0 {
			read.flags |= policy.FlagAmbiguous
		}
	case now-f.born > pendingFor || f.datagrams >= datagramBound(r.Guard):
		h.counters.Unreadable.Add(1)
		read.flags, read.done = policy.FlagUnreadable, true
	}
	if !read.done {
		return queue.Verdict{Action: queue.Accept}
	}
	h.quicFlows.drop(k, f)
	v := h.judgeFlow(p, r, read)
	h.random = nil
	return v
}

// newConnection reports whether dgram, a client Initial on a flow judged
// moments ago, starts another connection: it decrypts with keys of its own
// DCID (a new connection's first Initial; the Initials that follow a
// connection's first use the server's connection ID and the first DCID's
// keys) and its CRYPTO data at offset 0 is a ClientHello with another
// random than the judged one (a retransmission repeats it).
func (h *handler) newConnection(hdr *quic.Header, dgram []byte, rv *recentVerdict) bool {
	if err := h.probeKeys.Derive(hdr.Version, hdr.DCID); err != nil {
		return false
	}
	frames, _, _, err := quic.Open(&h.probeKeys, dgram, h.probeScratch[:0])
	if err != nil {
		return false
	}
	h.probeCrypto.Reset()
	if h.probeCrypto.AddFrames(frames) != nil {
		return true // not a clean retransmission: read it as a new flow
	}
	start := h.probeCrypto.Prefix()
	if len(start) == 0 {
		return false // no ClientHello bytes (ACK, PING)
	}
	if len(start) < 38 || !rv.hasRandom {
		return true
	}
	return string(start[6:38]) != string(rv.random[:])
}

// quicLongHeader reports whether dgram starts with a QUIC long header of
// version 1 or 2 whose type is not Initial (0-RTT, Handshake, Retry).
func quicLongHeader(dgram []byte) bool {
	if len(dgram) < 5 || dgram[0]&0x80 == 0 {
		return false
	}
	v := uint32(dgram[1])<<24 | uint32(dgram[2])<<16 | uint32(dgram[3])<<8 | uint32(dgram[4])
	typ := dgram[0] >> 4 & 3
	switch v {
	case quic.Version1:
		return typ != 0
	case quic.Version2:
		return typ != 1
	}
	return false
}

// judgeFlow decides a TCP or QUIC flow on what was read of it and gives the
// packet in hand the verdict that settles the flow: ALLOW, or BLOCK with the
// client told at once (a TCP reset, or an HTTP answer saying so; QUIC
// datagrams are dropped).
func (h *handler) judgeFlow(p *queue.Packet, r *Rules, read nameRead) queue.Verdict {
	pp := &h.pkt
	if len(read.name) == 0 && read.flags == 0 {
		// No name in the connection (a ClientHello without SNI, a
		// protocol the agent does not read): the name the device
		// resolved the address from, when it did.
		if name, ok := h.names.name(pp.Src, pp.Dst, h.now()); ok {
			read.name = append(h.learnedName[:0], name...)
			h.learnedName = read.name
		}
	}
	q := policy.Query{MAC: p.HwAddr, HasMAC: p.HasHwAddr, Name: read.name, Kind: read.kind,
		Flags: read.flags, Port: pp.DstPort}
	h.stamp(&q)
	d := r.Snap.Decide(q)
	if r.LogDecisions {
		h.logFlow(p, q, d)
	}
	if pp.IPProto == packet.TCP {
		h.counters.TCPFlows.Add(1)
	} else {
		h.counters.QUICFlows.Add(1)
	}
	k := flowKey{pp.Src, pp.Dst, pp.SrcPort, pp.DstPort}
	if d.Action != policy.Block {
		h.counters.FlowsAllowed.Add(1)
		h.recent.judged(k, ctmark.Allow, uint32(d.Category), h.random, h.now())
		return queue.Verdict{Action: queue.Accept, State: ctmark.Allow, Category: uint32(d.Category)}
	}
	h.counters.FlowsBlocked.Add(1)
	h.noteBlocked(p, read.name, d)
	h.recent.judged(k, ctmark.Block, uint32(d.Category), h.random, h.now())
	if pp.IPProto == packet.TCP {
		if read.kind == policy.HTTP && read.flags == 0 {
			h.frame = packet.AppendTCPReply(h.frame[:0], pp, blockedHTTP(h.page[:0], read.name, h.pageLink.get(pp.IPVersion == 6)),
				packet.TCPPsh|packet.TCPAck|packet.TCPFin)
		} else {
			h.frame = packet.AppendTCPReply(h.frame[:0], pp, nil, packet.TCPRst|packet.TCPAck)
		}
		h.sendToDevice(p)
	}
	return queue.Verdict{Action: queue.Drop, State: ctmark.Block, Category: uint32(d.Category)}
}

// again gives a packet of a recently judged flow that flow's verdict: one
// queued before the verdict's mark took effect.
func (h *handler) again(p *queue.Packet, rv recentVerdict) queue.Verdict {
	h.counters.Late.Add(1)
	if rv.state == ctmark.Block {
		return queue.Verdict{Action: queue.Drop, State: ctmark.Block, Category: rv.category}
	}
	return queue.Verdict{Action: queue.Accept, State: ctmark.Allow, Category: rv.category}
}

// logFlow logs a flow decision as a JSON line.
func (h *handler) logFlow(p *queue.Packet, q policy.Query, d policy.Decision) {
	pp := &h.pkt
	h.log.LogAttrs(context.Background(), slog.LevelInfo, "decision",
		slog.String("mac", macString(p)),
		slog.String("device", d.Device),
		slog.String("kind", q.Kind.String()),
		slog.String("name", string(q.Name)),
		slog.String("flags", flagNames(q.Flags)),
		slog.String("src", netip.AddrPortFrom(pp.Src, pp.SrcPort).String()),
		slog.String("dst", netip.AddrPortFrom(pp.Dst, pp.DstPort).String()),
		slog.String("action", d.Action.String()),
		slog.String("reason", d.Reason.String()),
		slog.String("rule", d.Rule),
		slog.String("person", d.Person),
		slog.String("category", categoryName(d.Category)),
		slog.String("entry", matched(q.Name, d.Matched)),
	)
}

// flagNames spells query flags for the log.
func flagNames(f policy.Flags) string {
	var b []byte
	for _, x := range []struct {
		f    policy.Flags
		name string
	}{{policy.FlagAmbiguous, "ambiguous"}, {policy.FlagEvasion, "evasion"}, {policy.FlagUnreadable, "unreadable"}} {
		if f&x.f != 0 {
			if len(b) > 0 {
				b = append(b, '|')
			}
			b = append(b, x.name...)
		}
	}
	return string(b)
}
