package judge

import (
	"context"
	"log/slog"
	"net/netip"

	"github.com/safeinternet/cpe/agent/policy"
	"github.com/safeinternet/cpe/nfq/ctmark"
	"github.com/safeinternet/cpe/nfq/packet"
	"github.com/safeinternet/cpe/nfq/queue"
	"github.com/safeinternet/cpe/nfq/reading"
)

// judgeFlow decides a TCP or QUIC flow on what was read of it and gives the
// packet in hand the verdict that settles the flow: ALLOW, or BLOCK with the
// client told at once (a TCP reset, or an HTTP answer saying so; QUIC
// datagrams are dropped).
func (h *handler) judgeFlow(p *queue.Packet, r *Rules, res reading.Result) queue.Verdict {
	pp := &h.pkt
	name, flags := res.Name, policyFlags(res.Flags)
	if len(name) == 0 && flags == 0 {
		// No name in the connection (a ClientHello without SNI, a
		// protocol the agent does not read): the name the device
		// resolved the address from, when it did.
		if learned, ok := h.names.name(pp.Src, pp.Dst, h.now()); ok {
			name = append(h.learnedName[:0], learned...)
			h.learnedName = name
		}
	}
	if res.Flags&reading.Evasion != 0 {
		h.counters.Evasions.Add(1)
	}
	if res.Flags&reading.Unreadable != 0 {
		h.counters.Unreadable.Add(1)
	}
	q := policy.Query{MAC: p.HwAddr, HasMAC: p.HasHwAddr, Name: name, Kind: policyKind(res.Kind),
		Flags: flags, Port: pp.DstPort}
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
		h.recent.judged(k, ctmark.Allow, uint32(d.Category), res.Random, h.now())
		return queue.Verdict{Action: queue.Accept, State: ctmark.Allow, Category: uint32(d.Category)}
	}
	h.counters.FlowsBlocked.Add(1)
	h.noteBlocked(p, name, d)
	h.recent.judged(k, ctmark.Block, uint32(d.Category), res.Random, h.now())
	if pp.IPProto == packet.TCP {
		if res.Kind == reading.HTTP && flags == 0 {
			h.frame = packet.AppendTCPReply(h.frame[:0], pp, blockedHTTP(h.page[:0], name, h.pageLink.get(pp.IPVersion == 6)),
				packet.TCPPsh|packet.TCPAck|packet.TCPFin)
		} else {
			h.frame = packet.AppendTCPReply(h.frame[:0], pp, nil, packet.TCPRst|packet.TCPAck)
		}
		h.sendToDevice(p)
	}
	return queue.Verdict{Action: queue.Drop, State: ctmark.Block, Category: uint32(d.Category)}
}

// policyKind is the policy's kind of a reading: a flow of a protocol the
// agent does not read is judged as TLS (by its port and learned name).
func policyKind(k reading.Kind) policy.Kind {
	switch k {
	case reading.HTTP:
		return policy.HTTP
	case reading.QUIC:
		return policy.QUIC
	}
	return policy.TLS
}

// policyFlags are the policy's flags of a reading's.
func policyFlags(f reading.Flags) policy.Flags {
	var out policy.Flags
	if f&reading.Ambiguous != 0 {
		out |= policy.FlagAmbiguous
	}
	if f&reading.Evasion != 0 {
		out |= policy.FlagEvasion
	}
	if f&reading.Unreadable != 0 {
		out |= policy.FlagUnreadable
	}
	return out
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
