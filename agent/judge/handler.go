package judge

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/policy"
	"github.com/safeinternet/cpe/nfq/dns"
	"github.com/safeinternet/cpe/nfq/packet"
	"github.com/safeinternet/cpe/nfq/queue"
	"github.com/safeinternet/cpe/nfq/reading"
)

// handler decides the packets of one queue. Its scratch fields and flow
// tables are used by that queue's goroutine only; everything shared is
// atomic or locked.
type handler struct {
	rules    *atomic.Pointer[Rules]
	counters *Counters
	send     Sender
	log      *slog.Logger
	devices  Devices
	clock    Clock
	blocked  Blocked // nil: blocked attempts are not kept
	names    *learnedNames
	targets  *targets
	pageLink *pageLink // nil: blocked HTTP gets a plain 403
	// now reads the monotonic clock in nanoseconds; tests replace it.
	now func() int64
	// wall reads the wall clock for decisions; tests replace it.
	wall func() time.Time

	pkt         packet.Parsed
	q           dns.Question
	resp        dns.Response
	rd          reading.Reader // the names of TCP and QUIC flows
	answer      []byte         // DNS answer scratch
	tcpMsg      []byte         // the answer framed for TCP
	frame       []byte         // IP packet scratch
	rst         []byte         // rewritten-packet scratch
	page        []byte         // HTTP block answer scratch
	learnedName []byte         // a learned name, copied
	tcpFlows    tcpFlows
	quicFlows   quicFlows
	recent      recentFlows
	// lastSrc and lastMAC are the address pair this queue last gave to
	// devices.
	lastSrc netip.Addr
	lastMAC [6]byte
	// probe tells a new QUIC connection on a judged flow's addresses.
	probe reading.Probe
}

// monotonic returns a clock of nanoseconds since its creation, on the
// monotonic clock.
func monotonic() func() int64 {
	start := time.Now()
	return func() int64 { return int64(time.Since(start)) }
}

// handle is the queue.Handler: decode → extract → decide → verdict.
func (h *handler) handle(p *queue.Packet) queue.Verdict {
	r := h.rules.Load()
	pp := &h.pkt
	pp.Decode(p.Payload)
	if !pp.Valid() {
		h.counters.Malformed.Add(1)
		return r.Fallback
	}
	if pp.SrcPort == 53 {
		return h.dnsAnswer(r)
	}
	h.identify(p)
	switch {
	case pp.DstPort == 53:
		return h.dnsQuery(p, r)
	case pp.IPProto == packet.TCP:
		return h.tcp(p, r)
	case pp.IPProto == packet.UDP:
		return h.quic(p, r)
	}
	return queue.Verdict{Action: queue.Accept}
}

// identify makes sure p carries its sender's MAC address. The kernel
// reports it for most packets, but not for every one: segments that the
// receive path merged (GRO) and split again for the queue come without it.
// Packets that carry it teach the agent which address belongs to which MAC
// (only the SYN of a TCP flow and DNS queries, to keep the shared table's
// lock off the rest of the path); the others are given the MAC last seen
// sending from their address.
func (h *handler) identify(p *queue.Packet) {
	pp := &h.pkt
	if p.HasHwAddr {
		if pp.DstPort == 53 || (pp.IPProto == packet.TCP && pp.TCPFlags&packet.TCPSyn != 0) {
			// The shared table's lock only when this queue has not just
			// noted the same pair (a device's queries come in runs).
			if pp.Src != h.lastSrc || p.HwAddr != h.lastMAC {
				h.devices.Saw(pp.Src, p.HwAddr)
				h.lastSrc, h.lastMAC = pp.Src, p.HwAddr
			}
		}
		return
	}
	if mac, ok := h.devices.MAC(pp.Src); ok {
		p.HwAddr, p.HasHwAddr = mac, true
	}
}

// dnsQuery judges a DNS query. DNS flows are never marked: every query is
// seen, whatever socket it reuses.
func (h *handler) dnsQuery(p *queue.Packet, r *Rules) queue.Verdict {
	pp := &h.pkt
	msg := pp.Payload()
	if pp.IPProto == packet.TCP {
		return h.dnsTCP(p, r, msg)
	}
	q := &h.q
	if err := dns.Parse(msg, q); err != nil {
		h.counters.Malformed.Add(1)
		return r.Fallback
	}
	if q.Response {
		return queue.Verdict{Action: queue.Accept}
	}
	d := h.decide(p, r)
	if d.Action == policy.Allow {
		return queue.Verdict{Action: queue.Accept}
	}
	var err error
	if h.answer, err = h.appendAnswer(h.answer[:0], msg, d, r); err != nil {
		h.counters.Malformed.Add(1)
		return queue.Verdict{Action: queue.Drop}
	}
	h.frame = packet.AppendUDPReply(h.frame[:0], pp, h.answer)
	h.sendToDevice(p)
	return queue.Verdict{Action: queue.Drop}
}

// appendAnswer appends the agent's own answer to the question in h.q (from
// msg): the block answer, or the SafeSearch CNAME with the addresses behind
// it (SERVFAIL while they are not known: the client asks again), or for an
// allowed question that the agent has to answer anyway, SERVFAIL.
func (h *handler) appendAnswer(dst, msg []byte, d policy.Decision, r *Rules) ([]byte, error) {
	switch d.Action {
	case policy.Allow:
		return dns.AppendBlocked(dst, msg, dns.ServFail, r.TTL)
	case policy.Redirect:
		typ := dnsmessage.Type(h.q.Type)
		if typ == dnsmessage.TypeA || typ == dnsmessage.TypeAAAA {
			addrs, ok := h.targets.addrs(d.Target, typ == dnsmessage.TypeAAAA)
			if !ok {
				h.counters.SafeSearchUnresolved.Add(1)
				return dns.AppendBlocked(dst, msg, dns.ServFail, r.TTL)
			}
			return dns.AppendCNAME(dst, msg, []byte(d.Target), r.TTL, addrs)
		}
		return dns.AppendCNAME(dst, msg, []byte(d.Target), r.TTL, nil)
	}
	mode := r.BlockMode
	switch d.Answer {
	case policy.AnswerNXDomain:
		mode = dns.NXDomain
	case policy.AnswerNoData:
		mode = dns.NoData
	}
	return dns.AppendBlocked(dst, msg, mode, r.TTL)
}

// dnsTCP judges every whole query in a TCP segment (clients may pipeline
// several). If all are allowed the segment passes. Otherwise the agent
// answers each query itself in one segment — blocked ones with the block
// answer, redirected ones with the CNAME, allowed ones with SERVFAIL ("try
// again"), since the resolver never sees them — and turns the query segment
// into a reset so that the resolver's end closes instead of waiting.
func (h *handler) dnsTCP(p *queue.Packet, r *Rules, stream []byte) queue.Verdict {
	if len(stream) == 0 {
		return queue.Verdict{Action: queue.Accept}
	}
	answer := false
	n := 0
	for rest := stream; len(rest) > 0; n++ {
		msg, next, ok := dns.SplitTCP(rest)
		if !ok {
			// A query cut across segments: whole queries only are judged.
			h.counters.DNSPartial.Add(1)
			return r.Fallback
		}
		if err := dns.Parse(msg, &h.q); err != nil {
			h.counters.Malformed.Add(1)
			return r.Fallback
		}
		if !h.q.Response && h.decide(p, r).Action != policy.Allow {
			answer = true
		}
		rest = next
	}
	if !answer {
		return queue.Verdict{Action: queue.Accept}
	}
	h.tcpMsg = h.tcpMsg[:0]
	for rest := stream; len(rest) > 0; {
		msg, next, _ := dns.SplitTCP(rest)
		rest = next
		dns.Parse(msg, &h.q) // parsed above already
		d := r.Snap.Decide(h.query(p))
		var err error
		if h.answer, err = h.appendAnswer(h.answer[:0], msg, d, r); err != nil {
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
	q := policy.Query{MAC: p.HwAddr, HasMAC: p.HasHwAddr, Name: h.q.Name(), Kind: policy.DNS}
	h.stamp(&q)
	return q
}

// stamp gives q what the household's time rules need: the time in the
// household's zone, whether the clock can be trusted, and the day's used-up
// limits.
func (h *handler) stamp(q *policy.Query) {
	q.Now = h.wall().In(h.clock.Zone())
	q.Unsynced = h.clock.Unsynced()
	q.Usage = h.clock.Usage()
}

// noteBlocked keeps a blocked attempt for the web page.
func (h *handler) noteBlocked(p *queue.Packet, name []byte, d policy.Decision) {
	if h.blocked != nil && p.HasHwAddr {
		h.blocked.Add(h.wall(), p.HwAddr, name, d.Reason, d.Category)
	}
}

// categoryName spells a category for the log; "" for none.
func categoryName(id category.ID) string {
	if id == 0 {
		return ""
	}
	return id.String()
}

// matched returns the entry that decided: the last n bytes of name.
func matched(name []byte, n int) string {
	if n <= 0 || n > len(name) {
		return ""
	}
	return string(name[len(name)-n:])
}

// decide judges the question in h.q, counts and logs the decision.
func (h *handler) decide(p *queue.Packet, r *Rules) policy.Decision {
	if !p.HasHwAddr {
		h.counters.NoMAC.Add(1)
	}
	d := r.Snap.Decide(h.query(p))
	if r.LogDecisions {
		h.logDecision(p, d)
	}
	switch d.Action {
	case policy.Block:
		h.counters.DNSBlocked.Add(1)
		h.noteBlocked(p, h.q.Name(), d)
	case policy.Redirect:
		h.counters.DNSRedirected.Add(1)
	default:
		h.counters.DNSAllowed.Add(1)
	}
	return d
}

// sendToDevice sends h.frame, an answer, straight to the device.
func (h *handler) sendToDevice(p *queue.Packet) {
	if !p.HasHwAddr {
		h.counters.InjectErrors.Add(1)
		return
	}
	if err := h.send.Send(int(p.InIndex), p.HwAddr, h.frame); err != nil {
		h.counters.InjectErrors.Add(1)
		h.log.Warn("send to device", "err", err)
	}
}

func (h *handler) logDecision(p *queue.Packet, d policy.Decision) {
	pp := &h.pkt
	proto := "udp"
	if pp.IPProto == packet.TCP {
		proto = "tcp"
	}
	h.log.LogAttrs(context.Background(), slog.LevelInfo, "decision",
		slog.String("mac", macString(p)),
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
		slog.String("target", d.Target),
		slog.String("person", d.Person),
		slog.String("category", categoryName(d.Category)),
		slog.String("entry", matched(h.q.Name(), d.Matched)),
	)
}

// macString spells the sender's MAC for the log; "" when unknown.
func macString(p *queue.Packet) string {
	if !p.HasHwAddr {
		return ""
	}
	return net.HardwareAddr(p.HwAddr[:]).String()
}
