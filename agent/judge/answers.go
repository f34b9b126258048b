package judge

import (
	"net/netip"

	"github.com/safeinternet/cpe/nfq/dns"
	"github.com/safeinternet/cpe/nfq/packet"
	"github.com/safeinternet/cpe/nfq/queue"
)

// dnsAnswer reads a DNS answer on its way to a device (queued only when the
// table queues answers): it learns which names the device resolved to which
// addresses and, for restricted devices, removes the ECH configurations from
// HTTPS and SVCB records, so that browsers send the real name in the clear.
// An answer the agent cannot read or rewrite passes as it is.
func (h *handler) dnsAnswer(r *Rules) queue.Verdict {
	pp := &h.pkt
	h.counters.DNSAnswers.Add(1)
	mac, known := h.devices.MAC(pp.Dst)
	restricted := r.Snap.Settings(mac, known).Restricted
	msg := pp.Payload()
	if pp.IPProto == packet.UDP {
		h.learn(pp.Dst, msg)
		if !restricted {
			return queue.Verdict{Action: queue.Accept}
		}
		out, n, err := dns.StripECH(h.answer[:0], msg)
		if err != nil {
			// Not safely shortened: rename the ech parameters in place
			// instead; an answer that cannot be read at all is dropped
			// rather than handed to a lenient client (it asks again).
			h.answer = append(h.answer[:0], msg...)
			if n, err = dns.NeutralizeECH(h.answer); err != nil {
				h.counters.Malformed.Add(1)
				return queue.Verdict{Action: queue.Drop}
			}
			out = h.answer
		}
		if n == 0 {
			return queue.Verdict{Action: queue.Accept}
		}
		h.answer = out
		h.rst = packet.AppendRewrite(h.rst[:0], pp, out)
		h.counters.ECHStripped.Add(1)
		return queue.Verdict{Action: queue.Accept, Payload: h.rst}
	}
	// TCP: the stream's length cannot change, so the ech parameters are
	// made unknown ones in place (dns.NeutralizeECH) in a copy of the
	// segment. Answers cut across segments are not rewritten.
	h.tcpMsg = append(h.tcpMsg[:0], msg...)
	changed := false
	for rest := h.tcpMsg; len(rest) > 0; {
		m, next, ok := dns.SplitTCP(rest)
		if !ok {
			break
		}
		h.learn(pp.Dst, m)
		if restricted {
			if n, err := dns.NeutralizeECH(m); err == nil && n > 0 {
				changed = true
			}
		}
		rest = next
	}
	if !changed {
		return queue.Verdict{Action: queue.Accept}
	}
	h.rst = packet.AppendRewrite(h.rst[:0], pp, h.tcpMsg)
	h.counters.ECHStripped.Add(1)
	return queue.Verdict{Action: queue.Accept, Payload: h.rst}
}

// learn records the addresses of the answer msg as resolved by device.
func (h *handler) learn(device netip.Addr, msg []byte) {
	if dns.ParseResponse(msg, &h.resp) != nil || h.resp.NumAddrs() == 0 {
		return
	}
	now := h.now()
	for i := range h.resp.NumAddrs() {
		addr, ttl := h.resp.Addr(i)
		h.names.learn(device, addr, h.resp.Name(), ttl, now)
	}
	h.counters.NamesLearned.Add(uint64(h.resp.NumAddrs()))
}
