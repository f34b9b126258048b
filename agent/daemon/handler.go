package daemon

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/safeinternet/cpe/agent/policy"
	"github.com/safeinternet/cpe/nfq/ctmark"
	"github.com/safeinternet/cpe/nfq/dns"
	"github.com/safeinternet/cpe/nfq/packet"
	"github.com/safeinternet/cpe/nfq/queue"
)

// Counters are the agent's per-packet counters, reported in the status file.
type Counters struct {
	DNSAllowed   atomic.Uint64 // queries let through
	DNSBlocked   atomic.Uint64 // queries answered by the agent
	DNSPartial   atomic.Uint64 // TCP DNS segments without a whole query (default verdict)
	Malformed    atomic.Uint64 // undecodable packets or DNS messages (default verdict)
	TCPFlows     atomic.Uint64 // TCP flows marked after their first payload
	TCPVerdicts  atomic.Uint64 // verdicts on non-DNS TCP packets
	UDPFlows     atomic.Uint64 // UDP/443 flows marked
	InjectErrors atomic.Uint64 // blocked answers that could not be sent
	NoMAC        atomic.Uint64 // packets without a sender MAC
	QuietFlows   atomic.Uint64 // TCP flows allowed after only payload-less packets
}

// sender sends a made-up IP packet to a device; *inject.Sender is one.
type sender interface {
	Send(ifindex int, dst [6]byte, ipPacket []byte) error
}

// rules is what the handler needs from the current configuration, swapped
// as a whole on reload.
type rules struct {
	snap         *policy.Snapshot
	blockMode    dns.BlockMode
	ttl          uint32
	logDecisions bool
	fallback     queue.Verdict // the default verdict: fail mode's answer
	guard        int           // packets per flow the kernel queues
}

// handler decides the packets of one queue. Its scratch fields are used by
// that queue's goroutine only; everything shared is atomic.
type handler struct {
	rules    *atomic.Pointer[rules]
	counters *Counters
	send     sender
	log      *slog.Logger

	pkt    packet.Parsed
	q      dns.Question
	answer []byte // DNS answer scratch
	tcpMsg []byte // the answer framed for TCP
	frame  []byte // IP packet scratch
	rst    []byte // rewritten-packet scratch
	quiet  quietFlows
}

// handle is the queue.Handler: decode → extract → decide → verdict.
func (h *handler) handle(p *queue.Packet) queue.Verdict {
	r := h.rules.Load()
	pp := &h.pkt
	pp.Decode(p.Payload)
	if !pp.Valid() {
		h.counters.Malformed.Add(1)
		return r.fallback
	}
	if pp.DstPort == 53 {
		return h.dnsQuery(p, r)
	}
	switch pp.IPProto {
	case packet.TCP:
		h.counters.TCPVerdicts.Add(1)
		k := flowKey{pp.Src, pp.Dst, pp.SrcPort, pp.DstPort}
		if pp.PayloadLen == 0 {
			if h.quiet.quiet(k, quietLimit(r.guard)) {
				h.counters.QuietFlows.Add(1)
				return queue.Verdict{Action: queue.Accept, State: ctmark.Allow}
			}
			return queue.Verdict{Action: queue.Accept} // handshake ACK: wait for data
		}
		h.quiet.spoke(k)
		// Names in TLS and HTTP are read from the next issue on; until then
		// the first payload settles the flow so it leaves the queue.
		h.counters.TCPFlows.Add(1)
		return queue.Verdict{Action: queue.Accept, State: ctmark.Allow}
	case packet.UDP:
		h.counters.UDPFlows.Add(1)
		return queue.Verdict{Action: queue.Accept, State: ctmark.Allow}
	}
	return queue.Verdict{Action: queue.Accept}
}

// dnsQuery judges a DNS query. DNS flows are never marked: every query is
// seen, whatever socket it reuses.
func (h *handler) dnsQuery(p *queue.Packet, r *rules) queue.Verdict {
	pp := &h.pkt
	msg := pp.Payload()
	if pp.IPProto == packet.TCP {
		return h.dnsTCP(p, r, msg)
	}
	q := &h.q
	if err := dns.Parse(msg, q); err != nil {
		h.counters.Malformed.Add(1)
		return r.fallback
	}
	if q.Response {
		return queue.Verdict{Action: queue.Accept}
	}
	if h.decide(p, r) != policy.Block {
		return queue.Verdict{Action: queue.Accept}
	}
	var err error
	if h.answer, err = dns.AppendBlocked(h.answer[:0], msg, r.blockMode, r.ttl); err != nil {
		h.counters.Malformed.Add(1)
		return queue.Verdict{Action: queue.Drop}
	}
	h.frame = packet.AppendUDPReply(h.frame[:0], pp, h.answer)
	h.sendToDevice(p)
	return queue.Verdict{Action: queue.Drop}
}

// dnsTCP judges every whole query in a TCP segment (clients may pipeline
// several). If none is blocked the segment passes. Otherwise the agent
// answers each query itself in one segment — blocked ones with the block
// answer, allowed ones with SERVFAIL ("try again"), since the resolver never
// sees them — and turns the query segment into a reset so that the
// resolver's end closes instead of waiting.
func (h *handler) dnsTCP(p *queue.Packet, r *rules, stream []byte) queue.Verdict {
	if len(stream) == 0 {
		return queue.Verdict{Action: queue.Accept}
	}
	blocked := false
	n := 0
	for rest := stream; len(rest) > 0; n++ {
		msg, next, ok := dns.SplitTCP(rest)
		if !ok {
			// A query cut across segments is read whole from the next
			// issue's TCP reassembly on; until then it cannot be judged.
			h.counters.DNSPartial.Add(1)
			return r.fallback
		}
		if err := dns.Parse(msg, &h.q); err != nil {
			h.counters.Malformed.Add(1)
			return r.fallback
		}
		if !h.q.Response && h.decide(p, r) == policy.Block {
			blocked = true
		}
		rest = next
	}
	if !blocked {
		return queue.Verdict{Action: queue.Accept}
	}
	h.tcpMsg = h.tcpMsg[:0]
	for rest := stream; len(rest) > 0; {
		msg, next, _ := dns.SplitTCP(rest)
		rest = next
		dns.Parse(msg, &h.q) // parsed above already
		mode := dns.ServFail
		if r.snap.Decide(h.query(p)).Action == policy.Block {
			mode = r.blockMode
		}
		var err error
		if h.answer, err = dns.AppendBlocked(h.answer[:0], msg, mode, r.ttl); err != nil {
			h.counters.Malformed.Add(1)
			return queue.Verdict{Action: queue.Drop}
		}
		// An answer is far below the 64 KiB frame limit.
		h.tcpMsg, _ = dns.AppendTCPFrame(h.tcpMsg, h.answer)
	}
	pp := &h.pkt
	h.frame = packet.AppendTCPReply(h.frame[:0], pp, h.tcpMsg, packet.TCPPsh|packet.TCPAck)
	h.sendToDevice(p)
	h.rst = packet.AppendTCPReset(h.rst[:0], pp)
	return queue.Verdict{Action: queue.Accept, Payload: h.rst}
}

// query is the policy query for the question in h.q.
func (h *handler) query(p *queue.Packet) policy.Query {
	return policy.Query{MAC: p.HwAddr, HasMAC: p.HasHwAddr, Name: h.q.Name(), Kind: policy.DNS}
}

// decide judges the question in h.q, counts and logs the decision.
func (h *handler) decide(p *queue.Packet, r *rules) policy.Action {
	if !p.HasHwAddr {
		h.counters.NoMAC.Add(1)
	}
	d := r.snap.Decide(h.query(p))
	if r.logDecisions {
		h.logDecision(p, d)
	}
	if d.Action == policy.Block {
		h.counters.DNSBlocked.Add(1)
	} else {
		h.counters.DNSAllowed.Add(1)
	}
	return d.Action
}

// sendToDevice sends h.frame, an answer, straight to the device.
func (h *handler) sendToDevice(p *queue.Packet) {
	if !p.HasHwAddr {
		h.counters.InjectErrors.Add(1)
		return
	}
	if err := h.send.Send(int(p.InIndex), p.HwAddr, h.frame); err != nil {
		h.counters.InjectErrors.Add(1)
		h.log.Warn("dns: send blocked answer", "err", err)
	}
}

func (h *handler) logDecision(p *queue.Packet, d policy.Decision) {
	pp := &h.pkt
	proto := "udp"
	if pp.IPProto == packet.TCP {
		proto = "tcp"
	}
	mac := ""
	if p.HasHwAddr {
		mac = net.HardwareAddr(p.HwAddr[:]).String()
	}
	h.log.LogAttrs(context.Background(), slog.LevelInfo, "decision",
		slog.String("mac", mac),
		slog.String("device", d.Device),
		slog.String("kind", "dns"),
		slog.String("name", string(h.q.Name())),
		slog.String("qtype", strings.TrimPrefix(dnsmessage.Type(h.q.Type).String(), "Type")),
		slog.String("proto", proto),
		slog.String("src", pp.Src.String()),
		slog.String("dst", pp.Dst.String()),
		slog.String("action", d.Action.String()),
		slog.String("reason", d.Reason.String()),
		slog.String("rule", d.Rule),
	)
}
