package httphost

import (
	"bytes"
	"testing"
	"unsafe"

	"github.com/safeinternet/cpe/nfq/packet/pcaptest"
)

// within reports whether sub is a slice of s's bytes (or empty).
func within(sub, s []byte) bool {
	if len(sub) == 0 {
		return true
	}
	if len(s) == 0 {
		return false
	}
	p, lo := uintptr(unsafe.Pointer(&sub[0])), uintptr(unsafe.Pointer(&s[0]))
	return p >= lo && p+uintptr(len(sub)) <= lo+uintptr(len(s))
}

// result is everything Parse hands out, for comparing two parses.
type result struct {
	err                             error
	method, host, header            string
	headerNil, ambiguous, truncated bool
}

func parseResult(stream []byte) (result, Request) {
	var r Request
	err := Parse(stream, &r)
	return result{err, string(r.Method()), string(r.Host()), string(r.HostHeader()),
		r.HostHeader() == nil, r.Ambiguous(), r.Truncated()}, r
}

// FuzzParse checks Parse on any bytes: it never panics or writes to the
// stream, returns one of its errors, hands out slices of the stream, and a
// decision on a prefix (anything but ErrNeedMore) is the decision on the
// whole stream.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add([]byte(tc.head+tc.more), uint16(len(tc.head)/2))
	}
	for _, path := range pcaptest.Files(f) {
		for _, cs := range clientStreams(f, path) {
			if len(cs.bytes) > 0 {
				f.Add(cs.bytes[:min(len(cs.bytes), 2048)], uint16(100))
			}
		}
	}
	f.Fuzz(func(t *testing.T, stream []byte, cut uint16) {
		orig := bytes.Clone(stream)
		res, r := parseResult(stream)
		if !bytes.Equal(stream, orig) {
			t.Fatal("Parse modified the stream")
		}
		switch res.err {
		case nil, ErrNeedMore, ErrNotHTTP, ErrMalformed, ErrTooLong:
		default:
			t.Fatalf("unexpected error %v", res.err)
		}
		if res.err == nil {
			if !isMethod(r.Method()) {
				t.Fatalf("method %q", r.Method())
			}
			for _, b := range [][]byte{r.Method(), r.Host(), r.HostHeader()} {
				if !within(b, stream) {
					t.Fatalf("%q is not a slice of the stream", b)
				}
			}
			if bytes.ContainsAny(r.Host(), "\n") || bytes.ContainsAny(r.HostHeader(), "\n") {
				t.Fatalf("host %q / %q spans lines", r.Host(), r.HostHeader())
			}
			if hasControl(r.Host()) && !r.Ambiguous() {
				t.Fatalf("host %q has control bytes but is not ambiguous", r.Host())
			}
			if r.Truncated() && len(stream) <= MaxHead {
				t.Fatal("truncated a stream within MaxHead")
			}
		}
		n := int(cut) % (len(stream) + 1)
		if pre, _ := parseResult(stream[:n:n]); pre.err != ErrNeedMore && pre != res {
			t.Fatalf("prefix of %d bytes decided %+v, whole stream %+v", n, pre, res)
		}
	})
}
