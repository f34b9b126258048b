package inspect

import (
	"net/netip"
	"slices"

	"github.com/safeinternet/cpe/nfq/dns"
	"github.com/safeinternet/cpe/nfq/packet"
)

// dnsExtractor reads DNS messages over UDP and TCP on the DNS ports.
type dnsExtractor struct {
	st    *Stats
	ports []uint16
	tcp   streams
	q     dns.Question // reused for every message
}

func newDNSExtractor(st *Stats, ports []uint16) *dnsExtractor {
	if ports == nil {
		ports = []uint16{53}
	}
	return &dnsExtractor{st: st, ports: slices.Clone(ports)}
}

// isDNS reports whether p has a DNS port on either side.
func (x *dnsExtractor) isDNS(p *packet.Parsed) bool {
	return slices.Contains(x.ports, p.SrcPort) || slices.Contains(x.ports, p.DstPort)
}

func (x *dnsExtractor) finish(func(Record) error) error { return nil }

func (x *dnsExtractor) packet(frame int, p *packet.Parsed, emit func(Record) error) error {
	st := x.st
	if !x.isDNS(p) {
		return nil
	}
	f := flowOf(p)
	switch p.IPProto {
	case packet.UDP:
		if msg := p.Payload(); len(msg) > 0 {
			return x.message(frame, f, msg, st, emit)
		}
	case packet.TCP:
		return x.tcp.feed(f, p, func(data []byte) (int, error) {
			used := 0
			for {
				msg, rest, ok := dns.SplitTCP(data[used:])
				if !ok {
					return used, nil
				}
				if err := x.message(frame, f, msg, st, emit); err != nil {
					return used, err
				}
				used = len(data) - len(rest)
			}
		})
	}
	return nil
}

// message reads one DNS message and emits its first question's name.
func (x *dnsExtractor) message(frame int, f Flow, msg []byte, st *Stats, emit func(Record) error) error {
	if err := dns.Parse(msg, &x.q); err != nil {
		st.DNSErrors++
		return nil
	}
	st.DNSMessages++
	kind := KindDNSQuery
	if x.q.Response {
		kind = KindDNSResponse
	}
	return emit(Record{Frame: frame, Flow: f, Kind: kind, Name: string(x.q.Name())})
}

func flowOf(p *packet.Parsed) Flow {
	return Flow{
		Src:   netip.AddrPortFrom(p.Src, p.SrcPort),
		Dst:   netip.AddrPortFrom(p.Dst, p.DstPort),
		Proto: p.IPProto,
	}
}
