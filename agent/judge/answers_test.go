package judge

import (
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/safeinternet/cpe/nfq/queue"
)

// TestDNSProtections: for a restricted device the agent answers SafeSearch
// hosts with a CNAME to the restricted host and its addresses, and turns
// DNS bypass discovery off; an unrestricted device's questions pass.
func TestDNSProtections(t *testing.T) {
	h, f := newFlowHandler(t)
	safe := map[string]targetAddrs{
		"forcesafesearch.google.com":   {v4: []netip.Addr{netip.MustParseAddr("10.99.0.50")}, v6: []netip.Addr{netip.MustParseAddr("fd99::50")}},
		"restrictmoderate.youtube.com": {v4: []netip.Addr{netip.MustParseAddr("10.99.0.51")}},
	}
	h.targets.cur.Store(&safe)
	for _, c := range []struct {
		name   string
		mac    [6]byte
		q      string
		typ    dnsmessage.Type
		rcode  dnsmessage.RCode
		cname  string
		addrs  []string
		passed bool
	}{
		{"google A", macA, "www.google.com.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, "forcesafesearch.google.com.", []string{"10.99.0.50"}, false},
		{"google AAAA", macA, "www.google.az.", dnsmessage.TypeAAAA, dnsmessage.RCodeSuccess, "forcesafesearch.google.com.", []string{"fd99::50"}, false},
		{"youtube AAAA: known host, no IPv6", macA, "www.youtube.com.", dnsmessage.TypeAAAA, dnsmessage.RCodeSuccess, "restrictmoderate.youtube.com.", nil, false},
		{"bing: address not known yet", macA, "www.bing.com.", dnsmessage.TypeA, dnsmessage.RCodeServerFailure, "", nil, false},
		{"canary", macA, "use-application-dns.net.", dnsmessage.TypeA, dnsmessage.RCodeNameError, "", nil, false},
		{"private relay", macA, "mask.icloud.com.", dnsmessage.TypeAAAA, dnsmessage.RCodeNameError, "", nil, false},
		{"resolver discovery", macA, "_dns.resolver.arpa.", dnsmessage.TypeSVCB, dnsmessage.RCodeSuccess, "", nil, false},
		{"adult: google passes", macB, "www.google.com.", dnsmessage.TypeA, 0, "", nil, true},
		{"adult: canary passes", macB, "use-application-dns.net.", dnsmessage.TypeA, 0, "", nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			f.got = nil
			v := h.handle(pkt(udpQuery(t, "192.168.50.10", "192.168.50.1", c.q, c.typ), c.mac))
			if c.passed {
				if v.Action != queue.Accept || len(f.got) != 0 {
					t.Fatalf("%+v, %d sent; want passed", v, len(f.got))
				}
				return
			}
			if v.Action != queue.Drop || len(f.got) != 1 {
				t.Fatalf("%+v, %d sent; want dropped and answered", v, len(f.got))
			}
			_, m := answerOf(t, f.got[0].pkt)
			if m.RCode != c.rcode {
				t.Errorf("rcode %v, want %v", m.RCode, c.rcode)
			}
			var cname string
			var addrs []string
			for _, a := range m.Answers {
				switch r := a.Body.(type) {
				case *dnsmessage.CNAMEResource:
					cname = r.CNAME.String()
				case *dnsmessage.AResource:
					addrs = append(addrs, netip.AddrFrom4(r.A).String())
				case *dnsmessage.AAAAResource:
					addrs = append(addrs, netip.AddrFrom16(r.AAAA).String())
				}
			}
			if cname != c.cname || len(addrs) != len(c.addrs) || (len(addrs) > 0 && addrs[0] != c.addrs[0]) {
				t.Errorf("answer cname %q addrs %v, want %q %v", cname, addrs, c.cname, c.addrs)
			}
			if c.name == "resolver discovery" && (len(m.Answers) != 0 || len(m.Authorities) == 0) {
				t.Errorf("NODATA answer has %d answers, %d authorities", len(m.Answers), len(m.Authorities))
			}
		})
	}
}

// httpsAnswer is an answer with one HTTPS record carrying alpn and ech.
func httpsAnswer(t testing.TB, tcp bool) []byte {
	t.Helper()
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: 7, Response: true, RecursionAvailable: true})
	b.StartQuestions()
	n := dnsmessage.MustNewName("ech.test.")
	b.Question(dnsmessage.Question{Name: n, Type: dnsmessage.TypeHTTPS, Class: dnsmessage.ClassINET})
	b.StartAnswers()
	b.HTTPSResource(dnsmessage.ResourceHeader{Name: n, Class: dnsmessage.ClassINET, TTL: 300}, dnsmessage.HTTPSResource{SVCBResource: dnsmessage.SVCBResource{
		Priority: 1, Target: dnsmessage.MustNewName("."),
		Params: []dnsmessage.SVCParam{
			{Key: dnsmessage.SVCParamALPN, Value: []byte{2, 'h', '2'}},
			{Key: dnsmessage.SVCParamECH, Value: []byte{0, 4, 0xfe, 0x0d, 0, 0}},
		}}})
	msg, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if tcp {
		framed := append([]byte{byte(len(msg) >> 8), byte(len(msg))}, msg...)
		return ipPacket(t, "192.168.50.1", "192.168.50.10", &layers.TCP{SrcPort: 53, DstPort: 40000, ACK: true, PSH: true, Seq: 9, Ack: 9}, framed)
	}
	return ipPacket(t, "192.168.50.1", "192.168.50.10", &layers.UDP{SrcPort: 53, DstPort: 40000}, msg)
}

// TestECHStripped: HTTPS answers to a restricted device lose their ech
// parameter (UDP: removed; TCP: renamed in place, same length); answers to
// other devices pass untouched.
func TestECHStripped(t *testing.T) {
	for _, tcp := range []bool{false, true} {
		for _, restricted := range []bool{true, false} {
			h, _ := newFlowHandler(t)
			mac := macA
			if !restricted {
				mac = macB
			}
			// The device's query teaches the agent its MAC.
			h.handle(pkt(udpQuery(t, "192.168.50.10", "192.168.50.1", "ech.test.", dnsmessage.TypeHTTPS), mac))
			in := httpsAnswer(t, tcp)
			v := h.handle(pkt(in, [6]byte{}))
			if v.Action != queue.Accept {
				t.Fatalf("tcp=%v restricted=%v: %+v", tcp, restricted, v)
			}
			if !restricted {
				if v.Payload != nil {
					t.Errorf("tcp=%v: unrestricted answer rewritten", tcp)
				}
				continue
			}
			if v.Payload == nil {
				t.Fatalf("tcp=%v: restricted answer not rewritten", tcp)
			}
			first := layers.LayerTypeIPv4
			p := gopacket.NewPacket(v.Payload, first, gopacket.Default)
			if p.ErrorLayer() != nil {
				t.Fatalf("rewritten packet: %v", p.ErrorLayer().Error())
			}
			payload := p.TransportLayer().LayerPayload()
			if tcp {
				if len(v.Payload) != len(in) {
					t.Errorf("TCP answer changed length %d → %d", len(in), len(v.Payload))
				}
				payload = payload[2:]
			}
			var m dnsmessage.Message
			if err := m.Unpack(payload); err != nil {
				t.Fatal(err)
			}
			r := m.Answers[0].Body.(*dnsmessage.HTTPSResource)
			for _, prm := range r.Params {
				if prm.Key == dnsmessage.SVCParamECH {
					t.Errorf("tcp=%v: ech still there: %+v", tcp, r.Params)
				}
			}
			if h.counters.ECHStripped.Load() != 1 {
				t.Errorf("ech_stripped = %d", h.counters.ECHStripped.Load())
			}
		}
	}
}
