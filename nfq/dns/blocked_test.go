package dns

import (
	"bytes"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// queryChaosA asks for an A record in class CH: Page mode gives the page's
// address to class IN only.
const queryChaosA = `
00 09 01 00 00 01 00 00 00 00 00 00   # ID 9, RD, QDCOUNT 1
07 76 65 72 73 69 6f 6e 04 62 69 6e 64 00   # version.bind
00 01 00 03               # type A, class CH
`

func TestAppendBlocked(t *testing.T) {
	tests := []struct {
		name      string
		query     string
		mode      BlockMode
		rcode     dnsmessage.RCode
		answer    string // "A 0.0.0.0", "A 192.0.2.1", "AAAA ::" or "" for none
		soa       bool
		edns      bool
		dnssecOK  bool
		qname     string // echoed as sent, case included
		recursion bool
	}{
		{"nxdomain a", queryA, NXDomain, dnsmessage.RCodeNameError, "", true, false, false, "Example.COM.", true},
		{"null a", queryA, Null, dnsmessage.RCodeSuccess, "A 0.0.0.0", false, false, false, "Example.COM.", true},
		{"null aaaa with edns", queryAAAAEDNS, Null, dnsmessage.RCodeSuccess, "AAAA ::", false, true, true, "www.example.org.", true},
		{"nxdomain aaaa with edns", queryAAAAEDNS, NXDomain, dnsmessage.RCodeNameError, "", true, true, true, "www.example.org.", true},
		{"null https is nodata", queryHTTPS, Null, dnsmessage.RCodeSuccess, "", true, false, false, "www.google.com.", true},
		{"null root ns is nodata", queryRoot, Null, dnsmessage.RCodeSuccess, "", true, false, false, ".", false},
		{"two questions: first answered", queryTwoQuestions, Null, dnsmessage.RCodeSuccess, "A 0.0.0.0", false, false, false, "foo.com.", true},
		{"servfail has no records", queryA, ServFail, dnsmessage.RCodeServerFailure, "", false, false, false, "Example.COM.", true},
		{"compressed question echoed whole", queryPointerFirst, NXDomain, dnsmessage.RCodeNameError, "", true, false, false, "www.example.com.", true},
		{"nodata a", queryA, NoData, dnsmessage.RCodeSuccess, "", true, false, false, "Example.COM.", true},
		{"nodata aaaa with edns", queryAAAAEDNS, NoData, dnsmessage.RCodeSuccess, "", true, true, true, "www.example.org.", true},
		{"nodata https", queryHTTPS, NoData, dnsmessage.RCodeSuccess, "", true, false, false, "www.google.com.", true},
		{"page a", queryA, Page, dnsmessage.RCodeSuccess, "A 192.0.2.1", false, false, false, "Example.COM.", true},
		{"page a of two questions", queryTwoQuestions, Page, dnsmessage.RCodeSuccess, "A 192.0.2.1", false, false, false, "foo.com.", true},
		{"page aaaa with edns is nodata", queryAAAAEDNS, Page, dnsmessage.RCodeSuccess, "", true, true, true, "www.example.org.", true},
		{"page https is nodata", queryHTTPS, Page, dnsmessage.RCodeSuccess, "", true, false, false, "www.google.com.", true},
		{"page a of class ch is nodata", queryChaosA, Page, dnsmessage.RCodeSuccess, "", true, false, false, "version.bind.", true},
		{"page root ns is nodata", queryRoot, Page, dnsmessage.RCodeSuccess, "", true, false, false, ".", false},
	}
	const ttl = 300
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			query := mustHex(t, tt.query)
			prefix := []byte("keep")
			out, err := AppendBlocked(bytes.Clone(prefix), query, tt.mode, ttl)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(out, prefix) {
				t.Fatal("dst prefix overwritten")
			}
			var m dnsmessage.Message
			if err := m.Unpack(out[len(prefix):]); err != nil {
				t.Fatalf("dnsmessage cannot read the answer: %v", err)
			}
			var qid dnsmessage.Parser
			qh, _ := qid.Start(query)
			qq, _ := qid.Question()
			if m.ID != qh.ID || !m.Response || m.OpCode != 0 || m.Authoritative || !m.RecursionAvailable ||
				m.RecursionDesired != tt.recursion || m.RCode != tt.rcode {
				t.Errorf("header %+v", m.Header)
			}
			if len(m.Questions) != 1 || m.Questions[0].Name.String() != tt.qname ||
				m.Questions[0].Type != qq.Type || m.Questions[0].Class != qq.Class {
				t.Errorf("questions %+v, want %s %v", m.Questions, tt.qname, qq.Type)
			}
			switch tt.answer {
			case "":
				if len(m.Answers) != 0 {
					t.Errorf("answers %+v, want none", m.Answers)
				}
			case "A 0.0.0.0":
				if len(m.Answers) != 1 || m.Answers[0].Body.(*dnsmessage.AResource).A != [4]byte{} {
					t.Errorf("answers %+v", m.Answers)
				}
			case "A 192.0.2.1":
				if len(m.Answers) != 1 || m.Answers[0].Body.(*dnsmessage.AResource).A != [4]byte{192, 0, 2, 1} {
					t.Errorf("answers %+v", m.Answers)
				}
			case "AAAA ::":
				if len(m.Answers) != 1 || m.Answers[0].Body.(*dnsmessage.AAAAResource).AAAA != [16]byte{} {
					t.Errorf("answers %+v", m.Answers)
				}
			}
			for _, a := range m.Answers {
				if a.Header.TTL != ttl || a.Header.Name.String() != tt.qname || a.Header.Class != dnsmessage.ClassINET {
					t.Errorf("answer header %+v", a.Header)
				}
			}
			if tt.soa {
				if len(m.Authorities) != 1 {
					t.Fatalf("authorities %+v, want one SOA", m.Authorities)
				}
				soa, ok := m.Authorities[0].Body.(*dnsmessage.SOAResource)
				if !ok || soa.MinTTL != ttl || m.Authorities[0].Header.TTL != ttl || m.Authorities[0].Header.Name.String() != tt.qname {
					t.Errorf("authority %+v %+v", m.Authorities[0].Header, m.Authorities[0].Body)
				}
			} else if len(m.Authorities) != 0 {
				t.Errorf("authorities %+v, want none", m.Authorities)
			}
			var opts int
			for _, a := range m.Additionals {
				if a.Header.Type == dnsmessage.TypeOPT {
					opts++
					if a.Header.Class != 1232 || a.Header.DNSSECAllowed() != tt.dnssecOK || a.Header.ExtendedRCode(0) != 0 {
						t.Errorf("OPT %+v", a.Header)
					}
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tt.edns]; opts != want || len(m.Additionals) != want {
				t.Errorf("%d OPT records in %d additionals, want %d", opts, len(m.Additionals), want)
			}
			// The answer reads back through our own parser too.
			var q Question
			if err := Parse(out[len(prefix):], &q); err != nil || !q.Response || q.RCode != uint8(tt.rcode) {
				t.Errorf("Parse(answer) = %v, %+v", err, q)
			}
		})
	}
}

func TestAppendBlockedRefuses(t *testing.T) {
	withBadAdditional := append(mustHex(t, queryAAAAEDNS)[:len(mustHex(t, queryAAAAEDNS))-2], 0, 9) // OPT claims 9 bytes of options
	tests := []struct {
		name string
		msg  []byte
		err  error
	}{
		{"response", mustHex(t, responseA), ErrNotQuery},
		{"update opcode", mustHex(t, queryNotQuery), ErrNotQuery},
		{"no question", mustHex(t, queryNoQuestion), ErrNoQuestion},
		{"truncated", mustHex(t, queryA)[:20], ErrMalformed},
		{"short", []byte{1, 2, 3}, ErrMalformed},
		{"bad additional section", withBadAdditional, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte("x")
			out, err := AppendBlocked(dst, tt.msg, NXDomain, 60)
			if err != tt.err || len(out) != 1 {
				t.Errorf("AppendBlocked = %d bytes, %v; want dst unchanged, %v", len(out), err, tt.err)
			}
		})
	}
}

func TestAppendBlockedNoAllocs(t *testing.T) {
	dst := make([]byte, 0, 512)
	for _, fx := range []string{queryA, queryAAAAEDNS, queryHTTPS} {
		query := mustHex(t, fx)
		for _, mode := range []BlockMode{NXDomain, Null, NoData, ServFail, Page} {
			n := testing.AllocsPerRun(50, func() {
				var err error
				if dst, err = AppendBlocked(dst[:0], query, mode, 60); err != nil {
					t.Fatal(err)
				}
			})
			if n != 0 {
				t.Errorf("AppendBlocked(%v) allocates %v times", mode, n)
			}
		}
	}
}

func TestBlockModeString(t *testing.T) {
	for mode, want := range map[BlockMode]string{NXDomain: "nxdomain", Null: "null", ServFail: "servfail", NoData: "nodata", Page: "page", 9: "blockmode(9)"} {
		if got := mode.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", mode, got, want)
		}
	}
}

func BenchmarkAppendBlocked(b *testing.B) {
	query := mustHex(b, queryAAAAEDNS)
	dst := make([]byte, 0, 512)
	for _, mode := range []BlockMode{NXDomain, Null, Page} {
		b.Run(mode.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				dst, _ = AppendBlocked(dst[:0], query, mode, 60)
			}
		})
	}
}
