package dns

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// httpsResponse starts a response to "example.com HTTPS"; the question's
// name sits at offset 12.
func httpsResponse() *testMsg { return newResponse(0x4242, wireName("example.com"), typeHTTPS) }

// echTest is a message for StripECH and NeutralizeECH with what each must
// do: the number of ech parameters removed (or renamed), or the error.
type echTest struct {
	name       string
	msg        func() []byte
	strip      int
	stripErr   error
	neutral    int
	neutralErr error
}

func echTests(tb testing.TB) []echTest {
	return []echTest{
		{"one record", func() []byte {
			m := httpsResponse()
			m.an(ptr(12), typeHTTPS, 300, svcb(1, wireName(""), pALPN, pV4, pECH, pV6))
			return m.b
		}, 1, nil, 1, nil},
		{"no ech", func() []byte {
			m := httpsResponse()
			m.an(ptr(12), typeHTTPS, 300, svcb(1, wireName(""), pALPN, pV4, pV6))
			return m.b
		}, 0, nil, 0, nil},
		{"not an https answer", func() []byte { return mustHex(tb, responseCNAME) }, 0, nil, 0, nil},
		{"every section, svcb too", func() []byte {
			m := httpsResponse()
			m.an(ptr(12), typeHTTPS, 300, svcb(1, wireName(""), pECH))
			m.an(ptr(12), typeHTTPS, 300, svcb(2, wireName("alt.example.com"), pALPN, pECH))
			m.rr(secAuthority, wireName("_dns.example.com"), typeSVCB, classIN, 300, svcb(1, wireName("dns.example.com"), pALPN, pECH, pV6))
			m.rr(secAdditional, wireName(""), 41, 1232, 0, nil) // OPT
			return m.b
		}, 3, nil, 3, nil},
		{"pointers after the cut follow the bytes", func() []byte {
			m := httpsResponse()
			m.an(ptr(12), typeHTTPS, 300, svcb(1, wireName(""), pALPN, pECH))
			rd := m.an(ptr(12), typeHTTPS, 300, svcb(2, wireName("svc.example.net"), pECH, pV6))
			target := rd + 2
			m.rr(secAdditional, ptr(target), typeA, classIN, 300, a4("192.0.2.7"))
			m.rr(secAdditional, cat([]byte("\x03www"), ptr(target+4)), typeCNAME, classIN, 300, ptr(target))
			return m.b
		}, 2, nil, 2, nil},
		{"forward pointer in the question", func() []byte {
			m := newResponse(7, nil, typeHTTPS)
			q := 12
			m.b = append(m.b[:q], 0xc0, 0, 0, typeHTTPS, 0, 1) // pointer patched below
			m.an(wireName("example.com"), typeHTTPS, 300, svcb(1, wireName(""), pECH))
			owner := m.off()
			m.an(wireName("b.example.com"), typeHTTPS, 300, svcb(1, wireName(""), pALPN))
			m.b[q+1] = byte(owner)
			return m.b
		}, 1, nil, 1, nil},
		{"pointer into the ech value", func() []byte {
			m := httpsResponse()
			rd := m.an(ptr(12), typeHTTPS, 300, svcb(1, wireName(""), pALPN, param{5, []byte("\x03abc\x00")}))
			m.rr(secAdditional, ptr(rd+3+4+len(pALPN.val)+4), typeA, classIN, 300, a4("192.0.2.7"))
			return m.b
		}, 0, ErrNotRewritable, 0, ErrNotRewritable},
		{"pointer into a param after ech", func() []byte {
			m := httpsResponse()
			rd := m.an(ptr(12), typeHTTPS, 300, svcb(1, wireName(""), pECH, param{7, []byte("\x01a\x00")}))
			m.rr(secAdditional, ptr(rd+3+4+len(pECH.val)+4), typeA, classIN, 300, a4("192.0.2.7"))
			return m.b
		}, 1, nil, 0, ErrNotRewritable},
		{"rare type with a pointer", func() []byte {
			m := httpsResponse()
			m.an(ptr(12), typeHTTPS, 300, svcb(1, wireName(""), pECH))
			m.rr(secAdditional, ptr(12), 14, classIN, 300, cat(ptr(12), ptr(12))) // MINFO
			return m.b
		}, 0, ErrNotRewritable, 1, nil},
		{"rare type without pointers", func() []byte {
			m := httpsResponse()
			m.an(ptr(12), typeHTTPS, 300, svcb(1, wireName(""), pECH))
			m.rr(secAdditional, ptr(12), 39, classIN, 300, wireName("example.org")) // DNAME
			return m.b
		}, 1, nil, 1, nil},
		{"short AAAA before it", func() []byte {
			m := httpsResponse()
			m.an(ptr(12), typeAAAA, 300, nil) // a lenient reader reads 16 bytes on
			m.an(wireName(""), typeHTTPS, 300, svcb(1, wireName(""), pECH, pV6))
			return m.b
		}, 0, ErrNotRewritable, 0, ErrNotRewritable},
		{"SOA without its numbers", func() []byte {
			m := httpsResponse()
			m.an(ptr(12), typeHTTPS, 300, svcb(1, wireName(""), pECH))
			m.rr(secAuthority, ptr(12), typeSOA, classIN, 300, cat(ptr(12), ptr(12)))
			return m.b
		}, 0, ErrNotRewritable, 0, ErrNotRewritable},
		{"too many ech params", func() []byte {
			m := httpsResponse()
			for i := range maxECH + 1 {
				m.an(ptr(12), typeHTTPS, 300, svcb(uint16(i+1), wireName(""), pECH))
			}
			return m.b
		}, 0, ErrNotRewritable, 0, ErrNotRewritable},
		{"key after the private range", func() []byte {
			m := httpsResponse()
			m.an(ptr(12), typeHTTPS, 300, svcb(1, wireName(""), pECH, param{65535, nil}))
			return m.b
		}, 1, nil, 0, ErrNotRewritable},
		{"ech last", func() []byte {
			m := httpsResponse()
			m.an(ptr(12), typeHTTPS, 300, svcb(1, wireName(""), pALPN, pECH))
			return m.b
		}, 1, nil, 1, nil},
		{"mandatory lists ech", func() []byte {
			m := httpsResponse()
			m.an(ptr(12), typeHTTPS, 300, svcb(1, wireName(""), param{0, []byte{0, 5}}, pECH))
			return m.b
		}, 1, nil, 1, nil},
		{"keys out of order", func() []byte {
			m := httpsResponse()
			m.an(ptr(12), typeHTTPS, 300, svcb(1, wireName(""), pECH, pALPN))
			return m.b
		}, 0, ErrMalformed, 0, ErrMalformed},
		{"param past its record", func() []byte {
			m := httpsResponse()
			rd := svcb(1, wireName(""), pALPN, pECH)
			m.an(ptr(12), typeHTTPS, 300, rd[:len(rd)-1])
			return m.b
		}, 0, ErrMalformed, 0, ErrMalformed},
		{"target past its record", func() []byte {
			m := httpsResponse()
			m.an(ptr(12), typeHTTPS, 300, []byte{0, 1, 3, 'a'})
			m.an(ptr(12), typeHTTPS, 300, svcb(1, wireName(""), pECH))
			return m.b
		}, 0, ErrMalformed, 0, ErrMalformed},
		{"record past the end", func() []byte {
			m := httpsResponse()
			m.an(ptr(12), typeHTTPS, 300, svcb(1, wireName(""), pECH))
			return m.b[:len(m.b)-1]
		}, 0, ErrMalformed, 0, ErrMalformed},
		{"short header", func() []byte { return []byte{1, 2, 3} }, 0, ErrMalformed, 0, ErrMalformed},
	}
}

func TestStripECH(t *testing.T) {
	for _, tt := range echTests(t) {
		t.Run(tt.name, func(t *testing.T) {
			msg := tt.msg()
			orig := bytes.Clone(msg)
			dst := append(make([]byte, 0, len(msg)+8), "pre"...)
			out, n, err := StripECH(dst, msg)
			if err != tt.stripErr || n != tt.strip {
				t.Fatalf("StripECH = %d, %v; want %d, %v", n, err, tt.strip, tt.stripErr)
			}
			if !bytes.Equal(msg, orig) {
				t.Fatal("StripECH modified msg")
			}
			switch {
			case err != nil:
				if string(out) != "pre" {
					t.Fatalf("dst changed on error: %q", out)
				}
			case n == 0:
				if &out[0] != &msg[0] || len(out) != len(msg) {
					t.Fatal("n = 0 but out is not msg")
				}
			default:
				if !bytes.HasPrefix(out, []byte("pre")) {
					t.Fatal("dst prefix lost")
				}
				checkRewritten(t, msg, out[3:], n, false)
				if len(out)-3 >= len(msg) {
					t.Errorf("not shorter: %d → %d", len(msg), len(out)-3)
				}
				if a := testing.AllocsPerRun(20, func() { _, _, _ = StripECH(dst, msg) }); a != 0 {
					t.Errorf("StripECH allocates %v times", a)
				}
			}
		})
	}
}

func TestNeutralizeECH(t *testing.T) {
	for _, tt := range echTests(t) {
		t.Run(tt.name, func(t *testing.T) {
			msg := tt.msg()
			orig := bytes.Clone(msg)
			n, err := NeutralizeECH(msg)
			if err != tt.neutralErr || n != tt.neutral {
				t.Fatalf("NeutralizeECH = %d, %v; want %d, %v", n, err, tt.neutral, tt.neutralErr)
			}
			if n == 0 {
				if !bytes.Equal(msg, orig) {
					t.Fatal("msg changed")
				}
				return
			}
			if len(msg) != len(orig) {
				t.Fatal("length changed")
			}
			checkRewritten(t, orig, msg, n, true)
			buf := make([]byte, len(orig))
			if a := testing.AllocsPerRun(20, func() {
				copy(buf, orig)
				_, _ = NeutralizeECH(buf)
			}); a != 0 {
				t.Errorf("NeutralizeECH allocates %v times", a)
			}
		})
	}
}

// TestStripECHPointers checks by name that records behind a shortened one
// still read right through their compression pointers.
func TestStripECHPointers(t *testing.T) {
	var msg []byte
	for _, tt := range echTests(t) {
		if tt.name == "pointers after the cut follow the bytes" {
			msg = tt.msg()
		}
	}
	out, n, err := StripECH(nil, msg)
	if err != nil || n != 2 {
		t.Fatalf("StripECH = %d, %v", n, err)
	}
	m, err := unpack(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Additionals[0].Header.Name.String(); got != "svc.example.net." {
		t.Errorf("A owner %q", got)
	}
	if got := m.Additionals[1].Header.Name.String(); got != "www.example.net." {
		t.Errorf("CNAME owner %q", got)
	}
	if got := m.Additionals[1].Body.(*dnsmessage.CNAMEResource).CNAME.String(); got != "svc.example.net." {
		t.Errorf("CNAME target %q", got)
	}
}

// checkRewritten checks that out is in with n ech parameters removed (or,
// when neutral, renamed to NeutralECHKey and moved last) and nothing else
// changed, as dnsmessage reads them.
func checkRewritten(t *testing.T, in, out []byte, n int, neutral bool) {
	t.Helper()
	min, err := unpack(in)
	if err != nil {
		t.Fatalf("input does not parse: %v", err)
	}
	mout, err := unpack(out)
	if err != nil {
		t.Fatalf("output does not parse: %v", err)
	}
	if got := withoutECH(&min, neutral); got != n {
		t.Errorf("%d ech params in the input, n = %d", got, n)
	}
	if got := withoutECH(&mout, false); got != 0 && !neutral {
		t.Errorf("%d ech params left", got)
	}
	if !reflect.DeepEqual(min, mout) {
		t.Errorf("records differ:\n in %+v\nout %+v", min, mout)
	}
}

// withoutECH changes m as the rewriters should: every ech SvcParam removed
// (or, when neutral, moved last as NeutralECHKey), every record's Length
// cleared. It returns how many it found.
func withoutECH(m *dnsmessage.Message, neutral bool) int {
	n := 0
	for _, sec := range [][]dnsmessage.Resource{m.Answers, m.Authorities, m.Additionals} {
		for i := range sec {
			sec[i].Header.Length = 0
			var r *dnsmessage.SVCBResource
			switch b := sec[i].Body.(type) {
			case *dnsmessage.SVCBResource:
				r = b
			case *dnsmessage.HTTPSResource:
				r = &b.SVCBResource
			default:
				continue
			}
			if v, ok := r.GetParam(echKey); ok {
				n++
				r.DeleteParam(echKey)
				if neutral {
					r.Params = append(r.Params, dnsmessage.SVCParam{Key: NeutralECHKey, Value: v})
				}
			}
		}
	}
	return n
}

func BenchmarkStripECH(b *testing.B) {
	m := httpsResponse()
	m.an(ptr(12), typeHTTPS, 300, svcb(1, wireName(""), pALPN, pV4, param{5, make([]byte, 70)}, pV6))
	m.rr(secAdditional, ptr(12), typeA, classIN, 300, a4("192.0.2.1"))
	noECH := httpsResponse()
	noECH.an(ptr(12), typeHTTPS, 300, svcb(1, wireName(""), pALPN, pV4, pV6))
	dst := make([]byte, 0, 512)
	for _, c := range []struct {
		name string
		msg  []byte
	}{{"ech", m.b}, {"none", noECH.b}, {"a-answer", mustHex(b, responseCNAME)}} {
		b.Run("strip-"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _, _ = StripECH(dst[:0], c.msg)
			}
		})
		b.Run("neutralize-"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, len(c.msg))
			for b.Loop() {
				copy(buf, c.msg)
				_, _ = NeutralizeECH(buf)
			}
		})
	}
}

// framingOK reports whether dnsmessage can skip through every section of
// msg, which checks names in place and that every record lies within msg.
func framingOK(msg []byte) bool {
	var p dnsmessage.Parser
	if _, err := p.Start(msg); err != nil {
		return false
	}
	return p.SkipAllQuestions() == nil && p.SkipAllAnswers() == nil &&
		p.SkipAllAuthorities() == nil && p.SkipAllAdditionals() == nil
}

// keysOrdered reports whether every SVCB and HTTPS record of m has its
// SvcParamKeys in strictly increasing order. RFC 9460 §2.2 makes records
// without it malformed, but dnsmessage (x/net v0.55) does not check: its
// unpackSVCBResource never updates previousKey.
func keysOrdered(m *dnsmessage.Message) bool {
	for _, sec := range [][]dnsmessage.Resource{m.Answers, m.Authorities, m.Additionals} {
		for _, r := range sec {
			var params []dnsmessage.SVCParam
			switch b := r.Body.(type) {
			case *dnsmessage.SVCBResource:
				params = b.Params
			case *dnsmessage.HTTPSResource:
				params = b.Params
			}
			for i := 1; i < len(params); i++ {
				if params[i].Key <= params[i-1].Key {
					return false
				}
			}
		}
	}
	return true
}

// responseSummary is what ParseResponse reads from msg, as a string.
func responseSummary(msg []byte) string {
	var r Response
	err := ParseResponse(msg, &r)
	return fmt.Sprintf("%v %q %q %q %d", err, r.Name(), addrList(&r), cnameList(&r), r.Dropped)
}

func echSeeds(f *testing.F) {
	for _, tt := range echTests(f) {
		f.Add(tt.msg())
	}
	for _, m := range captureMessages(f, 50) {
		f.Add(m)
	}
}

// FuzzStripECH holds StripECH to its contract: msg untouched; on error dst
// untouched, ErrMalformed only for what dnsmessage cannot read either,
// ErrNotRewritable only when there is an ech param to move; without ech
// params msg itself; otherwise a message that dnsmessage reads exactly when
// it reads msg, with the same records but for the ech params, and the same
// addresses for ParseResponse.
func FuzzStripECH(f *testing.F) {
	echSeeds(f)
	f.Fuzz(func(t *testing.T, msg []byte) {
		orig := bytes.Clone(msg)
		in, inErr := unpack(orig)
		out, n, err := StripECH([]byte("x"), msg)
		if !bytes.Equal(msg, orig) {
			t.Fatal("msg modified")
		}
		switch {
		case err != nil && string(out) != "x":
			t.Fatalf("error %v but dst changed", err)
		case err == ErrMalformed:
			if inErr == nil && framingOK(msg) && keysOrdered(&in) {
				t.Fatal("ErrMalformed, but dnsmessage reads the message")
			}
		case err == ErrNotRewritable:
			if k, nerr := NeutralizeECH(bytes.Clone(msg)); nerr == ErrMalformed || (nerr == nil && k == 0) {
				t.Fatalf("ErrNotRewritable, but NeutralizeECH = %d, %v", k, nerr)
			}
		case err != nil:
			t.Fatalf("unexpected error %v", err)
		case n == 0:
			if len(out) != len(msg) || (len(msg) > 0 && &out[0] != &msg[0]) {
				t.Fatal("n = 0 but out is not msg")
			}
			if inErr == nil && withoutECH(&in, false) != 0 {
				t.Fatal("ech params left in")
			}
		default:
			body := out[1:]
			mout, outErr := unpack(body)
			if (inErr == nil) != (outErr == nil) {
				t.Fatalf("dnsmessage reads input: %v, output: %v", inErr, outErr)
			}
			if inErr == nil {
				if k := withoutECH(&in, false); k != n {
					t.Fatalf("n = %d, input has %d", n, k)
				}
				withoutECH(&mout, false)
				if !reflect.DeepEqual(in, mout) {
					t.Fatalf("records differ:\n in %+v\nout %+v", in, mout)
				}
			}
			if a, b := responseSummary(msg), responseSummary(body); a != b {
				t.Fatalf("ParseResponse reads %s, then %s", a, b)
			}
		}
	})
}

// FuzzNeutralizeECH holds NeutralizeECH to its contract: same length; on
// error or n = 0 msg untouched; ErrMalformed only for what dnsmessage
// cannot read either; otherwise a message dnsmessage reads exactly when it
// reads the input, with the same records but for the ech params renamed and
// moved last, and the same addresses for ParseResponse.
func FuzzNeutralizeECH(f *testing.F) {
	echSeeds(f)
	f.Fuzz(func(t *testing.T, msg []byte) {
		orig := bytes.Clone(msg)
		in, inErr := unpack(orig)
		n, err := NeutralizeECH(msg)
		if len(msg) != len(orig) {
			t.Fatal("length changed")
		}
		switch {
		case (err != nil || n == 0) && !bytes.Equal(msg, orig):
			t.Fatalf("msg changed, n = %d, err = %v", n, err)
		case err == ErrMalformed:
			if inErr == nil && framingOK(orig) && keysOrdered(&in) {
				t.Fatal("ErrMalformed, but dnsmessage reads the message")
			}
		case err == ErrNotRewritable, err == nil && n == 0:
		case err != nil:
			t.Fatalf("unexpected error %v", err)
		default:
			out, outErr := unpack(msg)
			if (inErr == nil) != (outErr == nil) {
				t.Fatalf("dnsmessage reads input: %v, output: %v", inErr, outErr)
			}
			if inErr == nil {
				if k := withoutECH(&in, true); k != n {
					t.Fatalf("n = %d, input has %d", n, k)
				}
				if k := withoutECH(&out, false); k != 0 {
					t.Fatalf("%d ech params left", k)
				}
				if !reflect.DeepEqual(in, out) {
					t.Fatalf("records differ:\n in %+v\nout %+v", in, out)
				}
			}
			if a, b := responseSummary(orig), responseSummary(msg); a != b {
				t.Fatalf("ParseResponse reads %s, then %s", a, b)
			}
		}
	})
}
