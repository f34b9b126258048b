package dns

import (
	"bytes"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// queryWWWGoogleA: a query for www.google.com A with EDNS, as a browser's
// stub resolver sends it.
const queryWWWGoogleA = `
4a 4b 01 00               # ID 0x4a4b, RD
00 01 00 00 00 00 00 01   # QDCOUNT 1, ARCOUNT 1
03 57 77 57 06 67 6f 6f 67 6c 65 03 63 6f 6d 00   # "WwW.google.com" (0x20 randomised)
00 01 00 01               # type A, class IN
00 00 29 04 d0 00 00 00 00 00 00   # OPT: UDP 1232, no DO, no options
`

func TestAppendCNAME(t *testing.T) {
	safe := []byte("forcesafesearch.google.com")
	mixed := []netip.Addr{netip.MustParseAddr("216.239.38.120"), netip.MustParseAddr("2001:4860:4802:32::78"),
		netip.MustParseAddr("::ffff:216.239.38.121")}
	tests := []struct {
		name   string
		query  string
		target []byte
		addrs  []netip.Addr
		qname  string
		want   []string // answer records: "owner TYPE data"
		edns   bool
	}{
		{"a with edns", queryWWWGoogleA, safe, mixed, "WwW.google.com.",
			[]string{"WwW.google.com. CNAME forcesafesearch.google.com.",
				"forcesafesearch.google.com. A 216.239.38.120", "forcesafesearch.google.com. A 216.239.38.121"}, true},
		{"aaaa", queryAAAAEDNS, []byte("restrict.youtube.com."), mixed, "www.example.org.",
			[]string{"www.example.org. CNAME restrict.youtube.com.", "restrict.youtube.com. AAAA 2001:4860:4802:32::78"}, true},
		{"https gets only the cname", queryHTTPS, safe, mixed, "www.google.com.",
			[]string{"www.google.com. CNAME forcesafesearch.google.com."}, false},
		{"no addresses", queryA, []byte("safe.example"), nil, "Example.COM.",
			[]string{"Example.COM. CNAME safe.example."}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			query := mustHex(t, tt.query)
			out, err := AppendCNAME([]byte("pre"), query, tt.target, 300, tt.addrs)
			if err != nil {
				t.Fatal(err)
			}
			m, err := unpack(out[3:])
			if err != nil {
				t.Fatalf("answer does not parse: %v", err)
			}
			var qp dnsmessage.Parser
			qh, _ := qp.Start(query)
			if m.ID != qh.ID || !m.Response || m.RCode != dnsmessage.RCodeSuccess || m.Authoritative ||
				!m.RecursionAvailable || m.RecursionDesired != qh.RecursionDesired {
				t.Errorf("header %+v", m.Header)
			}
			if len(m.Questions) != 1 || m.Questions[0].Name.String() != tt.qname {
				t.Errorf("questions %+v", m.Questions)
			}
			var got []string
			for _, a := range m.Answers {
				if a.Header.TTL != 300 || a.Header.Class != dnsmessage.ClassINET {
					t.Errorf("record header %+v", a.Header)
				}
				s := a.Header.Name.String() + " "
				switch b := a.Body.(type) {
				case *dnsmessage.CNAMEResource:
					s += "CNAME " + b.CNAME.String()
				case *dnsmessage.AResource:
					s += "A " + netip.AddrFrom4(b.A).String()
				case *dnsmessage.AAAAResource:
					s += "AAAA " + netip.AddrFrom16(b.AAAA).String()
				}
				got = append(got, s)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("answers\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if len(m.Authorities) != 0 || len(m.Additionals) != map[bool]int{true: 1}[tt.edns] {
				t.Errorf("authorities %d, additionals %d", len(m.Authorities), len(m.Additionals))
			}
			// ParseResponse follows the synthesized chain.
			var r Response
			if err := ParseResponse(out[3:], &r); err != nil || r.NumCNAMEs() != 1 ||
				string(r.CNAME(0)) != strings.ToLower(strings.TrimSuffix(string(tt.target), ".")) || r.NumAddrs() != len(tt.want)-1 {
				t.Errorf("ParseResponse = %v, %q %q", err, cnameList(&r), addrList(&r))
			}
			dst := make([]byte, 0, 512)
			if n := testing.AllocsPerRun(20, func() {
				_, _ = AppendCNAME(dst, query, tt.target, 300, tt.addrs)
			}); n != 0 {
				t.Errorf("AppendCNAME allocates %v times", n)
			}
		})
	}
}

func TestAppendCNAMERefuses(t *testing.T) {
	tests := []struct {
		name   string
		query  []byte
		target string
		err    error
	}{
		{"empty target", mustHex(t, queryA), "", ErrBadName},
		{"root target", mustHex(t, queryA), ".", ErrBadName},
		{"empty label", mustHex(t, queryA), "a..b", ErrBadName},
		{"leading dot", mustHex(t, queryA), ".a.b", ErrBadName},
		{"label of 64", mustHex(t, queryA), strings.Repeat("a", 64) + ".com", ErrBadName},
		{"name of 254", mustHex(t, queryA), strings.Repeat(strings.Repeat("a", 62)+".", 4) + "ab", ErrBadName},
		{"space", mustHex(t, queryA), "a b.com", ErrBadName},
		{"to itself", mustHex(t, queryA), "example.com", ErrBadName},
		{"response", mustHex(t, responseA), "safe.example", ErrNotQuery},
		{"no question", mustHex(t, queryNoQuestion), "safe.example", ErrNoQuestion},
		{"truncated", mustHex(t, queryA)[:20], "safe.example", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := AppendCNAME([]byte("x"), tt.query, []byte(tt.target), 60, nil)
			if err != tt.err || string(out) != "x" {
				t.Errorf("AppendCNAME = %q, %v; want dst unchanged, %v", out, err, tt.err)
			}
		})
	}
	longest := strings.Repeat(strings.Repeat("a", 62)+".", 4) + "a" // 253 bytes
	if _, err := AppendCNAME(nil, mustHex(t, queryA), []byte(longest), 60, nil); err != nil {
		t.Errorf("253-byte target: %v", err)
	}
}

func FuzzAppendCNAME(f *testing.F) {
	for _, m := range fixtureMessages(f) {
		f.Add(m, "forcesafesearch.google.com", uint8(2))
	}
	f.Add(mustHex(f, queryWWWGoogleA), "restrict.youtube.com.", uint8(3))
	for _, m := range captureMessages(f, 20) {
		f.Add(m, "safe.example", uint8(1))
	}
	all := []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1"),
		netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("::ffff:192.0.2.3")}
	f.Fuzz(func(t *testing.T, query []byte, target string, naddrs uint8) {
		addrs := all[:int(naddrs)%(len(all)+1)]
		out, err := AppendCNAME([]byte("x"), query, []byte(target), 60, addrs)
		if err != nil {
			if string(out) != "x" {
				t.Fatalf("error %v but dst changed", err)
			}
			return
		}
		m, err := unpack(out[1:])
		if err != nil {
			t.Fatalf("answer to %x unreadable: %v", query, err)
		}
		var p dnsmessage.Parser
		h, _ := p.Start(query)
		q, _ := p.Question()
		if m.ID != h.ID || !m.Response || len(m.Questions) != 1 || m.Questions[0] != q || len(m.Answers) == 0 {
			t.Fatalf("answer %+v does not match query %+v %+v", m, h, q)
		}
		cname, ok := m.Answers[0].Body.(*dnsmessage.CNAMEResource)
		if !ok || m.Answers[0].Header.Name != q.Name ||
			!strings.EqualFold(strings.TrimSuffix(cname.CNAME.String(), "."), strings.TrimSuffix(target, ".")) {
			t.Fatalf("first answer %+v, want a CNAME to %q", m.Answers[0], target)
		}
		var r Response
		if err := ParseResponse(out[1:], &r); err != nil || r.NumCNAMEs() != 1 || r.NumAddrs() != len(m.Answers)-1 {
			t.Fatalf("ParseResponse = %v, %q %q", err, cnameList(&r), addrList(&r))
		}
		if !bytes.Equal(out[1:13][:2], query[:2]) {
			t.Fatal("ID not echoed")
		}
	})
}

func BenchmarkAppendCNAME(b *testing.B) {
	query := mustHex(b, queryWWWGoogleA)
	target := []byte("forcesafesearch.google.com")
	addrs := []netip.Addr{netip.MustParseAddr("216.239.38.120")}
	dst := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		dst, _ = AppendCNAME(dst[:0], query, target, 300, addrs)
	}
}
