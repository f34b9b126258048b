package hello

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/safeinternet/cpe/nfq/packet/pcaptest"
)

// chromePQ returns the client stream of a real Chrome post-quantum
// ClientHello (zeek/tls/chrome-1250-tls-x25519-kyber.pcap, ~1.8 KB, one
// record over two TCP segments) and where in it the server name starts;
// without the shared captures, the hello a crypto/tls client writes (also
// post-quantum, ~1.5 KB).
func chromePQ(tb testing.TB) (stream []byte, nameAt int, what string) {
	tb.Helper()
	if dir, err := pcaptest.Dir(); err == nil {
		path := filepath.Join(dir, "zeek", "tls", "chrome-1250-tls-x25519-kyber.pcap")
		if _, err := os.Stat(path); err == nil {
			for _, s := range tcpStreams(tb, path) {
				if msg, used, err := Handshake(nil, s); err == nil && msg[0] == typeClientHello {
					return s[:used], bytes.Index(s, []byte("lh3.google.com")), "chrome capture"
				}
			}
		}
	}
	s := goClientHello(tb, "lh3.google.com", "h2", "http/1.1")
	return s, bytes.Index(s, []byte("lh3.google.com")), "crypto/tls client"
}

// TestNoAllocs guards the hot path: reassembly (in one record and across
// records into a big enough dst), parsing, normalising, and the usual
// failures allocate nothing.
func TestNoAllocs(t *testing.T) {
	stream, nameAt, _ := chromePQ(t)
	msg, _, err := Handshake(nil, stream)
	if err != nil {
		t.Fatal(err)
	}
	split := records(msg, nameAt-recordHeaderLen+3) // second record starts inside the name
	dst := make([]byte, 0, MaxHello)
	var h Hello
	var name [253]byte
	host := []byte("WWW.Example.COM.:8443")
	bad := chb{exts: []ext{sni("x"), raw(extALPN, 0, 1, 0)}}.msg()
	tests := []struct {
		name string
		fn   func()
	}{
		{"handshake in one record and parse", func() {
			m, _, err := Handshake(dst, stream)
			if err != nil || Parse(m, &h) != nil {
				panic("failed")
			}
		}},
		{"handshake across records and parse", func() {
			m, _, err := Handshake(dst[:0], split)
			if err != nil || Parse(m, &h) != nil {
				panic("failed")
			}
		}},
		{"handshake need more", func() { _, _, _ = Handshake(dst, stream[:len(stream)-1]) }},
		{"handshake not tls", func() { _, _, _ = Handshake(dst, host) }},
		{"parse malformed", func() { _ = Parse(bad, &h) }},
		{"parse need more", func() { _ = Parse(msg[:100], &h) }},
		{"normalize", func() { _, _ = Normalize(&name, host[:16]) }},
		{"normalize host", func() { _, _ = NormalizeHost(&name, host) }},
		{"parse and accessors", func() {
			if Parse(msg, &h) != nil || h.NumALPN() == 0 {
				panic("failed")
			}
			_, _, _, _ = h.Name(), h.Groups(), h.ALPN(0), h.Ambiguous()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, tt.fn); n != 0 {
				t.Errorf("%v allocations per run, want 0", n)
			}
		})
	}
}

// BenchmarkParse reads a real Chrome post-quantum hello: Parse alone, and
// Handshake+Parse on the stream as sent (one record) and re-cut into two
// records split inside the server name (the reassembly copy into dst).
func BenchmarkParse(b *testing.B) {
	stream, nameAt, what := chromePQ(b)
	msg, _, err := Handshake(nil, stream)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: %d-byte hello", what, len(msg))
	split := records(msg, nameAt-recordHeaderLen+3)
	dst := make([]byte, 0, MaxHello)
	var h Hello
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(msg)))
		for b.Loop() {
			if err := Parse(msg, &h); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, c := range []struct {
		name   string
		stream []byte
	}{{"handshake-one-record", stream}, {"handshake-two-records", split}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				m, _, err := Handshake(dst[:0], c.stream)
				if err != nil {
					b.Fatal(err)
				}
				if err := Parse(m, &h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkNormalize(b *testing.B) {
	var dst [253]byte
	for _, c := range []struct{ name, raw string }{
		{"short", "WWW.Example.COM"},
		{"cdn", "rr4---sn-5hne6nzy.googlevideo.com."},
		{"host-header", "Api.Example.org:8443"},
	} {
		b.Run(c.name, func(b *testing.B) {
			raw := []byte(c.raw)
			b.ReportAllocs()
			for b.Loop() {
				if c.name == "host-header" {
					NormalizeHost(&dst, raw)
				} else {
					Normalize(&dst, raw)
				}
			}
		})
	}
}
