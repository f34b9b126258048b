package dns

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// responseCNAME: www.example.com → edge.cdn.net (TTL 300) → two addresses,
// plus a record for another name that must be ignored.
const responseCNAME = `
be ef 81 80               # ID 0xbeef, QR RD RA, NOERROR
00 01 00 04 00 00 00 00   # QDCOUNT 1, ANCOUNT 4
03 77 77 77 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00   # offset 12: www.example.com
00 01 00 01               # type A, class IN
c0 0c 00 05 00 01 00 00 01 2c 00 0e   # offset 33: www.example.com CNAME, TTL 300, 14 bytes
04 65 64 67 65 03 63 64 6e 03 6e 65 74 00             # offset 45: edge.cdn.net
c0 2d 00 01 00 01 00 00 00 3c 00 04 5d b8 d8 22       # edge.cdn.net A 93.184.216.34, TTL 60
c0 2d 00 01 00 01 00 00 0e 10 00 04 5d b8 d8 23       # edge.cdn.net A 93.184.216.35, TTL 3600
04 65 76 69 6c 00 00 01 00 01 00 00 00 3c 00 04 01 02 03 04   # "evil" A 1.2.3.4: not on the chain
`

// want is what a test expects of ParseResponse.
type want struct {
	err     error
	name    string
	addrs   []string // "addr/ttl"
	cnames  []string
	dropped int
}

func (w want) check(t *testing.T, msg []byte, r *Response, err error) {
	t.Helper()
	if err != w.err {
		t.Fatalf("ParseResponse = %v, want %v", err, w.err)
	}
	if got := string(r.Name()); got != w.name {
		t.Errorf("name %q, want %q", got, w.name)
	}
	if got := addrList(r); !slices.Equal(got, w.addrs) {
		t.Errorf("addrs %q, want %q", got, w.addrs)
	}
	if got := cnameList(r); !slices.Equal(got, w.cnames) {
		t.Errorf("cnames %q, want %q", got, w.cnames)
	}
	if r.Dropped != w.dropped {
		t.Errorf("dropped %d, want %d", r.Dropped, w.dropped)
	}
}

func addrList(r *Response) []string {
	var out []string
	for i := range r.NumAddrs() {
		a, ttl := r.Addr(i)
		out = append(out, fmt.Sprintf("%v/%d", a, ttl))
	}
	return out
}

func cnameList(r *Response) []string {
	var out []string
	for i := range r.NumCNAMEs() {
		out = append(out, string(r.CNAME(i)))
	}
	return out
}

// a4 and a16 are an address's RDATA.
func a4(s string) []byte  { return netip.MustParseAddr(s).AsSlice() }
func a16(s string) []byte { return netip.MustParseAddr(s).AsSlice() }

// pointerChain is a response whose one answer's owner name reaches the
// question's name through n compression pointers: its own, then n-1 more
// that sit after the answer (where no record is announced).
func pointerChain(n int) []byte {
	m := newResponse(1, wireName("www.example.com"), typeA)
	start := m.off() + 16 // past the answer: 2-byte owner, 10 fixed, 4 RDATA
	owner := ptr(12)
	if n > 1 {
		owner = ptr(start)
	}
	m.an(owner, typeA, 60, a4("192.0.2.1"))
	for i := range n - 1 {
		next := start + 2*(i+1)
		if i == n-2 {
			next = 12
		}
		m.b = append(m.b, ptr(next)...)
	}
	return m.b
}

func TestParseResponse(t *testing.T) {
	www := wireName("www.example.com")
	tests := []struct {
		name string
		msg  func() []byte
		want want
	}{
		{"cname chain, junk ignored", func() []byte { return mustHex(t, responseCNAME) },
			want{nil, "www.example.com", []string{"93.184.216.34/60", "93.184.216.35/300"}, []string{"edge.cdn.net"}, 0}},
		{"nxdomain response still read", func() []byte { return mustHex(t, responseA) },
			want{nil, "example.com", []string{"93.184.216.34/3600"}, nil, 0}},
		{"chain out of order, case ignored", func() []byte {
			m := newResponse(1, wireName("WWW.Example.COM"), typeAAAA)
			m.an(wireName("b.example.net"), typeAAAA, 50, a16("2001:db8::1"))
			m.an(wireName("A.EXAMPLE.NET"), typeCNAME, 100, wireName("b.example.net"))
			m.an(wireName("www.example.com"), typeCNAME, 200, wireName("a.example.net"))
			return m.b
		}, want{nil, "www.example.com", []string{"2001:db8::1/50"}, []string{"a.example.net", "b.example.net"}, 0}},
		{"least ttl along the chain", func() []byte {
			m := newResponse(1, www, typeA)
			m.an(ptr(12), typeCNAME, 30, wireName("x.example"))
			m.an(wireName("x.example"), typeA, 90, a4("192.0.2.1"))
			m.an(ptr(12), typeA, 90, a4("192.0.2.2")) // owned by the question's name itself
			return m.b
		}, want{nil, "www.example.com", []string{"192.0.2.1/30", "192.0.2.2/90"}, []string{"x.example"}, 0}},
		{"huge ttl counts as zero", func() []byte {
			m := newResponse(1, www, typeA)
			m.an(ptr(12), typeA, 0x80000000, a4("192.0.2.1"))
			return m.b
		}, want{nil, "www.example.com", []string{"192.0.2.1/0"}, nil, 0}},
		{"cname loop stops", func() []byte {
			m := newResponse(1, www, typeA)
			m.an(ptr(12), typeCNAME, 60, wireName("a.example"))
			m.an(wireName("a.example"), typeCNAME, 60, ptr(12))
			m.an(wireName("a.example"), typeA, 60, a4("192.0.2.9"))
			return m.b
		}, want{nil, "www.example.com", []string{"192.0.2.9/60"}, []string{"a.example"}, 0}},
		{"chain cut after MaxCNAMEs", func() []byte {
			m := newResponse(1, www, typeA)
			prev := ptr(12)
			for i := range MaxCNAMEs + 1 {
				next := wireName(fmt.Sprintf("c%d.example", i))
				m.an(prev, typeCNAME, 60, next)
				m.an(next, typeA, 60, a4(fmt.Sprintf("192.0.2.%d", i)))
				prev = next
			}
			return m.b
		}, want{nil, "www.example.com",
			[]string{"192.0.2.0/60", "192.0.2.1/60", "192.0.2.2/60", "192.0.2.3/60", "192.0.2.4/60", "192.0.2.5/60", "192.0.2.6/60", "192.0.2.7/60"},
			[]string{"c0.example", "c1.example", "c2.example", "c3.example", "c4.example", "c5.example", "c6.example", "c7.example"}, 0}},
		{"only the first 64 cname records count", func() []byte {
			m := newResponse(1, www, typeA)
			for i := range maxCNAMERecords {
				m.an(wireName(fmt.Sprintf("other%d.example", i)), typeCNAME, 60, wireName("x.example"))
			}
			m.an(ptr(12), typeCNAME, 60, wireName("late.example"))
			m.an(wireName("late.example"), typeA, 60, a4("192.0.2.1"))
			m.an(ptr(12), typeA, 60, a4("192.0.2.2"))
			return m.b
		}, want{nil, "www.example.com", []string{"192.0.2.2/60"}, nil, 0}},
		{"more than MaxAddrs dropped", func() []byte {
			m := newResponse(1, www, typeA)
			for i := range MaxAddrs + 3 {
				m.an(ptr(12), typeA, 60, a4(fmt.Sprintf("10.0.0.%d", i)))
			}
			return m.b
		}, want{nil, "www.example.com", func() []string {
			var s []string
			for i := range MaxAddrs {
				s = append(s, fmt.Sprintf("10.0.0.%d/60", i))
			}
			return s
		}(), nil, 3}},
		{"other classes and types ignored", func() []byte {
			m := newResponse(1, www, typeA)
			m.rr(secAnswer, ptr(12), typeA, 3, 60, a4("192.0.2.1"))        // class CH
			m.rr(secAnswer, ptr(12), typeA, 3, 60, []byte{1, 2, 3})        // class CH, odd length: not read
			m.rr(secAnswer, ptr(12), typeCNAME, 3, 60, []byte{0xc0, 0xff}) // class CH CNAME: not read
			m.an(ptr(12), 16, 60, []byte("\x03txt"))                       // TXT
			m.an(ptr(12), typeA, 60, a4("192.0.2.2"))
			return m.b
		}, want{nil, "www.example.com", []string{"192.0.2.2/60"}, nil, 0}},
		{"authority and additional not read", func() []byte {
			m := newResponse(1, www, typeA)
			m.an(ptr(12), typeA, 60, a4("192.0.2.1"))
			m.rr(secAdditional, ptr(12), typeA, classIN, 60, a4("192.0.2.66"))
			return append(m.b, 0xff) // and trailing garbage
		}, want{nil, "www.example.com", []string{"192.0.2.1/60"}, nil, 0}},
		{"ten pointers in a row", func() []byte { return pointerChain(10) },
			want{nil, "www.example.com", []string{"192.0.2.1/60"}, nil, 0}},
		{"eleven pointers in a row", func() []byte { return pointerChain(11) }, want{err: ErrMalformed}},
		{"query", func() []byte { return mustHex(t, queryA) }, want{err: ErrNotResponse}},
		{"no question", func() []byte {
			m := newResponse(1, nil, 0)
			m.b = m.b[:12]
			m.b[5] = 0
			return m.b
		}, want{err: ErrNoQuestion}},
		{"short A", func() []byte {
			m := newResponse(1, www, typeA)
			m.an(ptr(12), typeA, 60, []byte{1, 2, 3, 4, 5})
			return m.b
		}, want{err: ErrMalformed}},
		{"AAAA of 4 bytes", func() []byte {
			m := newResponse(1, www, typeAAAA)
			m.an(ptr(12), typeAAAA, 60, a4("192.0.2.1"))
			return m.b
		}, want{err: ErrMalformed}},
		{"owner pointer loop", func() []byte {
			m := newResponse(1, www, typeA)
			m.an(ptr(33), typeA, 60, a4("192.0.2.1")) // the owner at 33 points to itself
			return m.b
		}, want{err: ErrMalformed}},
		{"cname target out of the message", func() []byte {
			m := newResponse(1, www, typeA)
			m.an(ptr(12), typeCNAME, 60, ptr(0x3fff))
			return m.b
		}, want{err: ErrMalformed}},
		{"record past the end", func() []byte {
			m := newResponse(1, www, typeA)
			m.an(ptr(12), typeA, 60, a4("192.0.2.1"))
			return m.b[:len(m.b)-1]
		}, want{err: ErrMalformed}},
		{"more answers announced than present", func() []byte {
			m := newResponse(1, www, typeA)
			m.an(ptr(12), typeA, 60, a4("192.0.2.1"))
			m.b[7] = 2
			return m.b
		}, want{err: ErrMalformed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := tt.msg()
			var r Response
			r.nAddrs, r.nCNAMEs, r.nameLen = 5, 2, 9 // stale state must not survive
			err := ParseResponse(msg, &r)
			tt.want.check(t, msg, &r, err)
			compareResponse(t, msg)
			if n := testing.AllocsPerRun(20, func() { _ = ParseResponse(msg, &r) }); n != 0 {
				t.Errorf("ParseResponse allocates %v times", n)
			}
		})
	}
}

func TestParseResponseHeader(t *testing.T) {
	msg := mustHex(t, responseCNAME)
	msg[2] |= 0x02 // TC
	var r Response
	if err := ParseResponse(msg, &r); err != nil || r.ID != 0xbeef || !r.Truncated || r.RCode != 0 || r.Type != 1 || r.Class != 1 {
		t.Errorf("ParseResponse = %v, %+v", err, r)
	}
	for cut := range len(msg) - 1 {
		if err := ParseResponse(msg[:cut], &r); err == nil {
			t.Errorf("ParseResponse of %d of %d bytes succeeded", cut, len(msg))
		}
		if r.NumAddrs() != 0 || r.NumCNAMEs() != 0 || len(r.Name()) != 0 {
			t.Errorf("cut %d: fields left set on error", cut)
		}
	}
}

// oracleResponse computes with dnsmessage what ParseResponse should find:
// the same walk (first question, answer section) and the same chain rules
// on dnsmessage's parse.
func oracleResponse(msg []byte) (w want) {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil {
		return want{err: ErrMalformed}
	}
	if !h.Response || h.OpCode != 0 {
		return want{err: ErrNotResponse}
	}
	q, err := p.Question()
	if errors.Is(err, dnsmessage.ErrSectionDone) {
		return want{err: ErrNoQuestion}
	}
	if err != nil || p.SkipAllQuestions() != nil {
		return want{err: ErrMalformed}
	}
	// Pass 1: every record within the message (dnsmessage checks that
	// only when skipping).
	bounds := p
	for {
		_, err := bounds.AnswerHeader()
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			break
		}
		if err != nil || bounds.SkipAnswer() != nil {
			return want{err: ErrMalformed}
		}
	}
	type answer struct {
		h      dnsmessage.ResourceHeader
		addr   netip.Addr
		target dnsmessage.Name
	}
	var answers []answer
	for {
		rh, err := p.AnswerHeader()
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			break
		}
		if err != nil {
			return want{err: ErrMalformed}
		}
		a := answer{h: rh}
		switch {
		case rh.Class != dnsmessage.ClassINET:
			err = p.SkipAnswer()
		case rh.Type == dnsmessage.TypeA:
			var r dnsmessage.AResource
			if r, err = p.AResource(); rh.Length != 4 {
				err = ErrMalformed
			}
			a.addr = netip.AddrFrom4(r.A)
		case rh.Type == dnsmessage.TypeAAAA:
			var r dnsmessage.AAAAResource
			if r, err = p.AAAAResource(); rh.Length != 16 {
				err = ErrMalformed
			}
			a.addr = netip.AddrFrom16(r.AAAA)
		case rh.Type == dnsmessage.TypeCNAME:
			var r dnsmessage.CNAMEResource
			r, err = p.CNAMEResource()
			a.target = r.CNAME
		default:
			err = p.SkipAnswer()
		}
		if err != nil {
			return want{err: ErrMalformed}
		}
		answers = append(answers, a)
	}
	norm := func(n dnsmessage.Name) string {
		return lowerASCII(strings.TrimSuffix(string(n.Data[:n.Length]), "."))
	}
	clamp := func(ttl uint32) uint32 { return clampTTL(ttl) }
	var cnames []answer // the first maxCNAMERecords class IN CNAME records
	for _, a := range answers {
		if a.h.Class == dnsmessage.ClassINET && a.h.Type == dnsmessage.TypeCNAME && len(cnames) < maxCNAMERecords {
			cnames = append(cnames, a)
		}
	}
	w.name = norm(q.Name)
	chain := []string{w.name}
	ttls := []uint32{^uint32(0)}
follow:
	for len(chain) <= MaxCNAMEs {
		for _, a := range cnames {
			if norm(a.h.Name) != chain[len(chain)-1] {
				continue
			}
			next := norm(a.target)
			if slices.Contains(chain, next) {
				break follow
			}
			ttls = append(ttls, min(ttls[len(ttls)-1], clamp(a.h.TTL)))
			chain = append(chain, next)
			w.cnames = append(w.cnames, next)
			continue follow
		}
		break
	}
	for _, a := range answers {
		if a.h.Class != dnsmessage.ClassINET || (a.h.Type != dnsmessage.TypeA && a.h.Type != dnsmessage.TypeAAAA) {
			continue
		}
		if k := slices.Index(chain, norm(a.h.Name)); k >= 0 {
			if len(w.addrs) == MaxAddrs {
				w.dropped++
				continue
			}
			w.addrs = append(w.addrs, fmt.Sprintf("%v/%d", a.addr, min(ttls[k], clamp(a.h.TTL))))
		}
	}
	return w
}

// compareResponse checks ParseResponse against oracleResponse.
func compareResponse(t *testing.T, msg []byte) {
	t.Helper()
	var r Response
	err := ParseResponse(msg, &r)
	w := oracleResponse(msg)
	if err != w.err {
		t.Fatalf("ParseResponse(%x) = %v, dnsmessage says %v", msg, err, w.err)
	}
	if err != nil {
		return
	}
	if string(r.Name()) != w.name || !slices.Equal(addrList(&r), w.addrs) ||
		!slices.Equal(cnameList(&r), w.cnames) || r.Dropped != w.dropped {
		t.Fatalf("ParseResponse(%x) = %q %q %q %d; dnsmessage %q %q %q %d", msg,
			r.Name(), addrList(&r), cnameList(&r), r.Dropped, w.name, w.addrs, w.cnames, w.dropped)
	}
}

func FuzzParseResponse(f *testing.F) {
	for _, m := range fixtureMessages(f) {
		f.Add(m)
	}
	f.Add(mustHex(f, responseCNAME))
	for _, m := range captureMessages(f, 50) {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		orig := bytes.Clone(msg)
		compareResponse(t, msg)
		if !bytes.Equal(msg, orig) {
			t.Fatal("ParseResponse modified its input")
		}
	})
}

// craftedResponse is a 64 KB response built to make ParseResponse work
// hard: a chain of MaxCNAMEs long names, then answers until the message is
// full whose owners are near misses of those names (same length, same
// labels but the last). owner says how each owner is written, given the
// offsets of the near-miss names and the record's index. The long names'
// first label is 60 bytes, so near+61 is the rest of a near-miss name.
func craftedResponse(owner func(near []int, i int) []byte) []byte {
	long := strings.Repeat(strings.Repeat("a", 60)+".", 3) + "q0"
	m := newResponse(1, wireName(long), typeA)
	prev := ptr(12)
	for i := range MaxCNAMEs {
		next := wireName(strings.Replace(long, "q0", fmt.Sprintf("q%d", i+1), 1))
		m.an(prev, typeCNAME, 60, next)
		prev = next
	}
	var near []int
	for i := range 4 {
		near = append(near, m.off())
		m.an(wireName(strings.Replace(long, "q0", fmt.Sprintf("z%d", i), 1)), 16, 60, []byte{0})
	}
	for i := 0; len(m.b)+40 < 65535; i++ {
		m.an(owner(near, i), typeA, 60, a4("192.0.2.1"))
	}
	return m.b
}

func BenchmarkParseResponse(b *testing.B) {
	chain := newResponse(1, wireName("www.example.com"), typeA)
	prev := ptr(12)
	for i := range 4 {
		next := wireName(fmt.Sprintf("c%d.cdn.example", i))
		chain.an(prev, typeCNAME, 60, next)
		prev = next
	}
	for i := range 8 {
		chain.an(prev, typeA, 60, a4(fmt.Sprintf("192.0.2.%d", i)))
	}
	for _, c := range []struct {
		name string
		msg  []byte
	}{
		{"a", mustHex(b, responseA)},
		{"cname", mustHex(b, responseCNAME)},
		{"chain4-addrs8", chain.b},
		{"crafted-64k-same-pointer", craftedResponse(func(near []int, i int) []byte { return ptr(near[0]) })},
		{"crafted-64k-alternating-pointers", craftedResponse(func(near []int, i int) []byte { return ptr(near[i%len(near)]) })},
		{"crafted-64k-label-and-pointer", craftedResponse(func(near []int, i int) []byte { return cat([]byte("\x01x"), ptr(near[0]+61)) })},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var r Response
			if err := ParseResponse(c.msg, &r); err != nil || r.NumCNAMEs() == 0 && strings.HasPrefix(c.name, "crafted") {
				b.Fatalf("ParseResponse = %v, %d CNAMEs", err, r.NumCNAMEs())
			}
			for b.Loop() {
				_ = ParseResponse(c.msg, &r)
			}
		})
	}
}
