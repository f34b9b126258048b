package dns

import (
	"bytes"
	"errors"
	"github.com/safeinternet/cpe/nfq/packet/pcaptest"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// mustHex decodes a commented hex fixture (see pcaptest.Hex).
func mustHex(tb testing.TB, s string) []byte { tb.Helper(); return pcaptest.Hex(tb, s) }

// Fixtures: DNS messages as they travel over UDP.
const (
	queryA = `
ab cd                     # ID 0xabcd
01 00                     # flags: RD
00 01 00 00 00 00 00 00   # QDCOUNT 1, no records
07 45 78 61 6d 70 6c 65   # "Example" (mixed case, as with 0x20 randomisation)
03 43 4f 4d 00            # "COM", root
00 01 00 01               # type A, class IN
`
	queryAAAAEDNS = `
12 34                     # ID 0x1234
01 20                     # flags: RD, AD
00 01 00 00 00 00 00 01   # QDCOUNT 1, ARCOUNT 1
03 77 77 77 07 65 78 61 6d 70 6c 65 03 6f 72 67 00   # www.example.org
00 1c 00 01               # type AAAA, class IN
00 00 29 10 00            # OPT: root name, type 41, UDP size 4096
00 00 80 00               # extended RCODE 0, version 0, DO
00 00                     # no options
`
	queryHTTPS = `
00 07 01 00 00 01 00 00 00 00 00 00   # ID 7, RD, QDCOUNT 1
03 77 77 77 06 67 6f 6f 67 6c 65 03 63 6f 6d 00   # www.google.com
00 41 00 01               # type HTTPS (65), class IN
`
	responseA = `
ab cd                     # ID 0xabcd
81 83                     # flags: QR, RD, RA, RCODE 3 (NXDOMAIN)
00 01 00 01 00 00 00 00   # QDCOUNT 1, ANCOUNT 1
07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00 01   # example.com A IN
c0 0c 00 01 00 01 00 00 0e 10 00 04 5d b8 d8 22       # answer: example.com A 93.184.216.34
`
	queryRoot = `
00 01 00 00 00 01 00 00 00 00 00 00   # ID 1, QDCOUNT 1
00                        # the root
00 02 00 01               # type NS, class IN
`
	queryNoQuestion = `
00 02 01 00 00 00 00 00 00 00 00 00   # ID 2, RD, QDCOUNT 0 (a DNS cookie probe looks like this)
`
	queryTwoQuestions = `
00 03 01 00 00 02 00 00 00 00 00 00   # ID 3, QDCOUNT 2
03 66 6f 6f 03 63 6f 6d 00 00 01 00 01   # foo.com A IN
03 62 61 72 c0 10 00 01 00 01            # bar + pointer to "com" (offset 16)
`
	queryPointerFirst = `
00 04 01 00 00 01 00 00 00 00 00 00   # ID 4, QDCOUNT 1
03 77 77 77 c0 16         # "www" + pointer to offset 22 (past the question: illegal, seen in the wild)
00 01 00 01               # type A, class IN
07 65 78 61 6d 70 6c 65 03 63 6f 6d 00   # offset 22: example.com
`
	queryPointerLoop = `
00 05 01 00 00 01 00 00 00 00 00 00   # ID 5, QDCOUNT 1
c0 0c                     # pointer to itself
00 01 00 01
`
	queryReservedLabel = `
00 06 01 00 00 01 00 00 00 00 00 00
43 61 62 63 00            # label type 0x40 (reserved)
00 01 00 01
`
	queryDotInLabel = `
00 08 01 00 00 01 00 00 00 00 00 00
07 65 76 69 6c 2e 63 6f 00   # one label "evil.co": would read as two labels
00 01 00 01
`
	queryOddBytes = `
00 09 01 00 00 01 00 00 00 00 00 00
06 41 20 62 00 ff 2a 03 63 6f 6d 00   # label "A b\x00\xff*", "com"
00 10 00 01                           # type TXT
`
	queryNotQuery = `
00 0a 28 00 00 01 00 00 00 00 00 00   # ID 10, opcode 5 (UPDATE)
03 66 6f 6f 03 63 6f 6d 00 00 06 00 01
`
)

// nameOfLen returns a wire name whose presentation form (without the
// trailing dot) is n bytes long, in labels of up to 63 bytes.
func nameOfLen(n int) []byte {
	var w []byte
	for n > 0 {
		l := min(n, 63)
		w = append(w, byte(l))
		w = append(w, bytes.Repeat([]byte{'a'}, l)...)
		n -= l + 1 // the label and the dot after it
	}
	return append(w, 0)
}

func queryWithName(wire []byte) []byte {
	msg := []byte{0, 11, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0}
	msg = append(msg, wire...)
	return append(msg, 0, 1, 0, 1)
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		msg     []byte
		err     error
		id      uint16
		resp    bool
		opcode  uint8
		rcode   uint8
		count   uint16
		qname   string
		qtype   uint16
		qclass  uint16
		noAlloc bool
	}{
		{"a query lowercased", mustHex(t, queryA), nil, 0xabcd, false, 0, 0, 1, "example.com", 1, 1, true},
		{"aaaa with edns", mustHex(t, queryAAAAEDNS), nil, 0x1234, false, 0, 0, 1, "www.example.org", 28, 1, true},
		{"https", mustHex(t, queryHTTPS), nil, 7, false, 0, 0, 1, "www.google.com", 65, 1, true},
		{"response", mustHex(t, responseA), nil, 0xabcd, true, 0, 3, 1, "example.com", 1, 1, true},
		{"root", mustHex(t, queryRoot), nil, 1, false, 0, 0, 1, "", 2, 1, true},
		{"two questions: the first", mustHex(t, queryTwoQuestions), nil, 3, false, 0, 0, 2, "foo.com", 1, 1, true},
		{"compression pointer in question", mustHex(t, queryPointerFirst), nil, 4, false, 0, 0, 1, "www.example.com", 1, 1, true},
		{"odd bytes kept", mustHex(t, queryOddBytes), nil, 9, false, 0, 0, 1, "a b\x00\xff*.com", 16, 1, true},
		{"update opcode", mustHex(t, queryNotQuery), nil, 10, false, 5, 0, 1, "foo.com", 6, 1, true},
		{"longest name", queryWithName(nameOfLen(253)), nil, 11, false, 0, 0, 1, strings.TrimSuffix(strings.Repeat(strings.Repeat("a", 63)+".", 3)+strings.Repeat("a", 61), "."), 1, 1, true},
		{"no question", mustHex(t, queryNoQuestion), ErrNoQuestion, 2, false, 0, 0, 0, "", 0, 0, true},
		{"empty", nil, ErrMalformed, 0, false, 0, 0, 0, "", 0, 0, true},
		{"short header", mustHex(t, queryA)[:11], ErrMalformed, 0, false, 0, 0, 0, "", 0, 0, true},
		{"header only", mustHex(t, queryA)[:12], ErrMalformed, 0xabcd, false, 0, 0, 1, "", 0, 0, true},
		{"truncated in name", mustHex(t, queryA)[:20], ErrMalformed, 0xabcd, false, 0, 0, 1, "", 0, 0, true},
		{"truncated in class", mustHex(t, queryA)[:28], ErrMalformed, 0xabcd, false, 0, 0, 1, "", 0, 0, true},
		{"truncated pointer", mustHex(t, queryPointerFirst)[:17], ErrMalformed, 4, false, 0, 0, 1, "", 0, 0, true},
		{"name too long", queryWithName(nameOfLen(254)), ErrMalformed, 11, false, 0, 0, 1, "", 0, 0, true},
		{"reserved label type", mustHex(t, queryReservedLabel), ErrMalformed, 6, false, 0, 0, 1, "", 0, 0, true},
		{"dot inside a label", mustHex(t, queryDotInLabel), ErrMalformed, 8, false, 0, 0, 1, "", 0, 0, true},
		{"pointer loop", mustHex(t, queryPointerLoop), ErrMalformed, 5, false, 0, 0, 1, "", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var q Question
			q.nameLen = 3 // stale state must not survive
			err := Parse(tt.msg, &q)
			if err != tt.err {
				t.Fatalf("Parse error = %v, want %v", err, tt.err)
			}
			if q.ID != tt.id || q.Response != tt.resp || q.Opcode != tt.opcode || q.RCode != tt.rcode || q.Count != tt.count {
				t.Errorf("header = %d/%v/%d/%d/%d, want %d/%v/%d/%d/%d", q.ID, q.Response, q.Opcode, q.RCode, q.Count,
					tt.id, tt.resp, tt.opcode, tt.rcode, tt.count)
			}
			if string(q.Name()) != tt.qname || q.Type != tt.qtype || q.Class != tt.qclass {
				t.Errorf("question = %q %d %d, want %q %d %d", q.Name(), q.Type, q.Class, tt.qname, tt.qtype, tt.qclass)
			}
			if tt.noAlloc {
				if n := testing.AllocsPerRun(50, func() { _ = Parse(tt.msg, &q) }); n != 0 {
					t.Errorf("Parse allocates %v times", n)
				}
			}
		})
	}
}

// TestParseAgreesWithDNSMessage compares Parse with a full dnsmessage parse
// of every fixture and of every truncation of each.
func TestParseAgreesWithDNSMessage(t *testing.T) {
	for _, msg := range fixtureMessages(t) {
		for cut := 0; cut <= len(msg); cut++ {
			compareWithDNSMessage(t, msg[:cut])
		}
	}
}

func fixtureMessages(tb testing.TB) [][]byte {
	var out [][]byte
	for _, fx := range []string{queryA, queryAAAAEDNS, queryHTTPS, responseA, queryRoot, queryNoQuestion,
		queryTwoQuestions, queryPointerFirst, queryPointerLoop, queryReservedLabel, queryDotInLabel,
		queryOddBytes, queryNotQuery} {
		out = append(out, mustHex(tb, fx))
	}
	return append(out, queryWithName(nameOfLen(253)), queryWithName(nameOfLen(254)))
}

// compareWithDNSMessage checks Parse against dnsmessage: a message dnsmessage
// fully unpacks (with a question) must parse to the same header and first
// question; a first question dnsmessage can read must not be refused; and
// whatever Parse accepts, dnsmessage's own Question reads the same.
func compareWithDNSMessage(t *testing.T, msg []byte) {
	t.Helper()
	var q Question
	err := Parse(msg, &q)

	var m dnsmessage.Message
	if m.Unpack(msg) == nil && len(m.Questions) > 0 {
		if err != nil {
			t.Fatalf("Parse(%x) = %v; dnsmessage unpacks it", msg, err)
		}
		sameAs(t, msg, &q, m.Header, m.Questions[0])
	}

	var p dnsmessage.Parser
	h, herr := p.Start(msg)
	if herr != nil {
		if err != ErrMalformed {
			t.Fatalf("Parse(%x) = %v; dnsmessage cannot read the header", msg, err)
		}
		return
	}
	dq, qerr := p.Question()
	switch {
	case qerr == nil:
		if err != nil {
			t.Fatalf("Parse(%x) = %v; dnsmessage reads the first question", msg, err)
		}
		sameAs(t, msg, &q, h, dq)
	case errors.Is(qerr, dnsmessage.ErrSectionDone):
		if err != ErrNoQuestion {
			t.Fatalf("Parse(%x) = %v, want ErrNoQuestion", msg, err)
		}
	default:
		if err != ErrMalformed {
			t.Fatalf("Parse(%x) = %v; dnsmessage: %v", msg, err, qerr)
		}
	}
}

func sameAs(t *testing.T, msg []byte, q *Question, h dnsmessage.Header, dq dnsmessage.Question) {
	t.Helper()
	want := lowerASCII(strings.TrimSuffix(dq.Name.String(), "."))
	if want != string(q.Name()) {
		t.Errorf("Parse(%x) name %q, dnsmessage %q", msg, q.Name(), dq.Name.String())
	}
	if q.ID != h.ID || q.Response != h.Response || q.Opcode != uint8(h.OpCode) || q.RCode != uint8(h.RCode&0xf) ||
		q.Type != uint16(dq.Type) || q.Class != uint16(dq.Class) {
		t.Errorf("Parse(%x) = %+v, dnsmessage %+v %+v", msg, q, h, dq)
	}
}

// lowerASCII lowercases ASCII letters byte by byte, leaving other bytes
// (including invalid UTF-8) alone, unlike strings.ToLower.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func TestSplitTCP(t *testing.T) {
	two := mustHex(t, `
00 03 61 62 63   # message "abc"
00 00            # empty message
00 05 64 65      # message of 5, only 2 bytes here
`)
	msg, rest, ok := SplitTCP(two)
	if !ok || string(msg) != "abc" || len(rest) != 6 {
		t.Fatalf("first: %q %x %v", msg, rest, ok)
	}
	msg, rest, ok = SplitTCP(rest)
	if !ok || msg == nil || len(msg) != 0 || len(rest) != 4 {
		t.Fatalf("second: %q %x %v", msg, rest, ok)
	}
	if msg, rest, ok = SplitTCP(rest); ok || msg != nil || rest != nil {
		t.Fatalf("incomplete: %q %x %v", msg, rest, ok)
	}
	for _, b := range [][]byte{nil, {0}} {
		if _, _, ok := SplitTCP(b); ok {
			t.Errorf("SplitTCP(%x) ok", b)
		}
	}
	framed, err := AppendTCPFrame([]byte("x"), []byte("abc"))
	if err != nil || string(framed) != "x\x00\x03abc" {
		t.Errorf("AppendTCPFrame = %q, %v", framed, err)
	}
	if out, err := AppendTCPFrame([]byte("x"), make([]byte, 65536)); err != ErrTooLong || len(out) != 1 {
		t.Errorf("AppendTCPFrame of 64 KiB = %d bytes, %v", len(out), err)
	}
}

func BenchmarkParse(b *testing.B) {
	for _, c := range []struct {
		name string
		msg  []byte
	}{
		{"query-a", mustHex(b, queryA)},
		{"query-edns", mustHex(b, queryAAAAEDNS)},
		{"truncated", mustHex(b, queryA)[:20]},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var q Question
			for b.Loop() {
				_ = Parse(c.msg, &q)
			}
		})
	}
}
