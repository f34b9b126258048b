package hello

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// The differential oracle: crypto/tls as a server reads the same bytes, and
// its ClientHelloInfo (seen in GetConfigForClient, which then aborts the
// handshake) must agree with what Handshake and Parse read.
//
// crypto/tls does not change the case of ServerName (it lowercases only to
// match certificates), refuses a trailing dot, several host names and
// duplicate extensions, and reads messages up to 64 KB; Parse lowercases
// ASCII, keeps those ambiguous hellos (flagged), and stops at MaxHello. So
// names are compared after ASCII lowercasing, and only where crypto/tls
// accepts the hello.

// errAbort stops the server handshake once the ClientHello has been seen.
var errAbort = errors.New("oracle: abort after ClientHello")

// goHello is what crypto/tls saw, when it got as far as GetConfigForClient.
type goHello struct {
	ok     bool
	name   string
	protos []string
	curves []tls.CurveID
}

// goServer runs a crypto/tls server handshake over stream (client bytes)
// and returns what GetConfigForClient saw; ok is false when crypto/tls
// refused the bytes before.
func goServer(stream []byte) goHello {
	var got goHello
	conf := &tls.Config{
		GetConfigForClient: func(chi *tls.ClientHelloInfo) (*tls.Config, error) {
			got = goHello{ok: true, name: chi.ServerName, protos: chi.SupportedProtos, curves: chi.SupportedCurves}
			return nil, errAbort
		},
	}
	c := tls.Server(&fakeConn{r: bytes.NewReader(stream)}, conf)
	_ = c.Handshake()
	return got
}

// goClientHello returns the bytes a crypto/tls client with its default
// settings (X25519MLKEM768 first: a ~1.5 KB hello) writes for serverName,
// before it would wait for the server.
func goClientHello(tb testing.TB, serverName string, alpn ...string) []byte {
	tb.Helper()
	fc := &fakeConn{r: bytes.NewReader(nil)}
	c := tls.Client(fc, &tls.Config{ServerName: serverName, NextProtos: alpn, InsecureSkipVerify: true})
	if err := c.Handshake(); err == nil {
		tb.Fatal("client handshake succeeded against nothing")
	}
	if fc.w.Len() == 0 {
		tb.Fatal("client wrote nothing")
	}
	return fc.w.Bytes()
}

// fakeConn is a net.Conn that reads from r (EOF after it) and records what
// is written.
type fakeConn struct {
	r *bytes.Reader
	w bytes.Buffer
}

func (c *fakeConn) Read(b []byte) (int, error)       { return c.r.Read(b) }
func (c *fakeConn) Write(b []byte) (int, error)      { return c.w.Write(b) }
func (c *fakeConn) Close() error                     { return nil }
func (c *fakeConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *fakeConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *fakeConn) SetDeadline(time.Time) error      { return nil }
func (c *fakeConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fakeConn) SetWriteDeadline(time.Time) error { return nil }

var _ io.Reader = (*fakeConn)(nil)

// asciiLower lowercases ASCII letters only, as Normalize does (not
// strings.ToLower, which also folds non-ASCII letters).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// stricterThanGo lists the errors Handshake may return for a stream that
// crypto/tls accepts, each a documented choice: a message over MaxHello,
// bytes after the hello in its record, a warning alert between fragments
// (crypto/tls skips it), and record versions crypto/tls lets through before
// negotiation (anything below 0x1000; Handshake wants major 3).
func stricterThanGo(err error) bool {
	return err == ErrTooBig || err == errTrailing || err == errRecordType ||
		err == ErrNotTLS || err == errRecordVersion
}

// compareWithGo checks Handshake and Parse on stream against crypto/tls.
// It returns whether crypto/tls accepted the hello.
func compareWithGo(t *testing.T, stream []byte) bool {
	t.Helper()
	g := goServer(stream)
	msg, _, err := Handshake(nil, stream)
	if !g.ok {
		return false
	}
	if err != nil {
		if !stricterThanGo(err) {
			t.Fatalf("crypto/tls accepts the stream (name %q), Handshake: %v", g.name, err)
		}
		return true
	}
	var h Hello
	if err := Parse(msg, &h); err != nil {
		t.Fatalf("crypto/tls accepts the hello (name %q), Parse: %v", g.name, err)
	}
	want := asciiLower(g.name)
	if h.HasSNI() != (g.name != "") {
		t.Fatalf("HasSNI %v, crypto/tls name %q", h.HasSNI(), g.name)
	}
	got := string(h.Name())
	if h.Ambiguous()&AmbInvalid != 0 && len(want) > maxNameLen {
		// Cut to whole labels: a suffix of what crypto/tls saw.
		if !strings.HasSuffix(want, got) || (got != "" && want[len(want)-len(got)-1] != '.') {
			t.Fatalf("long name cut to %q, not a label suffix of %q", got, want)
		}
	} else if got != want {
		t.Fatalf("Name %q, crypto/tls %q", got, g.name)
	}
	// AmbMultipleNames is also set for entries of other name types, which
	// crypto/tls skips; a second host_name it refuses.
	if h.Ambiguous()&AmbDuplicateExt != 0 {
		t.Fatalf("crypto/tls accepted a hello flagged %v", h.Ambiguous())
	}
	for i := range h.NumALPN() {
		if i >= len(g.protos) || string(h.ALPN(i)) != g.protos[i] {
			t.Fatalf("ALPN %d %q, crypto/tls %q", i, h.ALPN(i), g.protos)
		}
	}
	if h.NumALPN() < min(len(g.protos), maxALPN) && alpnBytes(g.protos, h.NumALPN()+1) <= alpnBufLen {
		t.Fatalf("ALPN kept %d of %q", h.NumALPN(), g.protos)
	}
	gr := h.Groups()
	if len(gr) != min(len(g.curves), maxGroups) {
		t.Fatalf("groups %#x, crypto/tls %#x", gr, g.curves)
	}
	for i, c := range gr {
		if tls.CurveID(c) != g.curves[i] {
			t.Fatalf("groups %#x, crypto/tls %#x", gr, g.curves)
		}
	}
	return true
}

func alpnBytes(protos []string, n int) int {
	total := 0
	for _, p := range protos[:n] {
		total += len(p)
	}
	return total
}

// TestGoClientHellos parses hellos written by a real crypto/tls client
// (default settings: post-quantum key share, ~1.5 KB) for many server
// names, whole and re-cut into records, and compares with crypto/tls.
func TestGoClientHellos(t *testing.T) {
	names := []string{
		"example.com", "WWW.Example.COM", "a.b.c.d.e.f.g", "xn--bcher-kva.example",
		"localhost", "_acme-challenge.example.org", "cloudflare-ech.com", "x",
		strings.Repeat("a", 63) + ".example", "with-trailing-dot.example.",
		strings.Repeat("label.", 41) + "com", // 249 bytes
		"",                                   // no SNI
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			stream := goClientHello(t, name, "h2", "http/1.1")
			msg, used, err := Handshake(nil, stream)
			if err != nil {
				t.Fatalf("Handshake: %v", err)
			}
			if used != len(stream) {
				t.Errorf("used %d of %d", used, len(stream))
			}
			var h Hello
			if err := Parse(msg, &h); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := asciiLower(strings.TrimSuffix(name, "."))
			if string(h.Name()) != want || h.HasSNI() != (want != "") || h.Ambiguous() != 0 {
				t.Errorf("Name %q HasSNI %v amb %v, want %q", h.Name(), h.HasSNI(), h.Ambiguous(), want)
			}
			if !h.PostQuantum() || !h.TLS13() || len(msg) < 1400 || h.NumALPN() != 2 {
				t.Errorf("PQ %v TLS13 %v %d bytes ALPN %d: want a PQ TLS 1.3 hello with 2 protocols", h.PostQuantum(), h.TLS13(), len(msg), h.NumALPN())
			}
			if !compareWithGo(t, stream) {
				t.Fatal("crypto/tls refused its own client's hello")
			}
			for _, cut := range []int{1, 5, 100, len(msg) / 2, len(msg) - 1} {
				re := records(msg, cut)
				if !compareWithGo(t, re) {
					t.Fatalf("crypto/tls refused the hello cut at %d", cut)
				}
			}
		})
	}
}

// TestAgreesWithGo runs the hand-built hellos through crypto/tls: whatever
// it accepts, Parse reads the same way; the ones it refuses are the
// ambiguous ones.
func TestAgreesWithGo(t *testing.T) {
	hellos := map[string]chb{
		"plain":             {exts: []ext{sni("Example.COM")}},
		"chrome":            chrome("www.google.com"),
		"non-ascii":         {exts: []ext{sni("b\xc3\xbccher.DE")}},
		"control":           {exts: []ext{sni("a\x00b")}},
		"ip":                {exts: []ext{sni("10.0.0.1")}},
		"other name type":   {exts: []ext{sniEntries(sniEntry{5, "x"}, sniEntry{0, "y.example"})}},
		"long name":         {exts: []ext{sni(strings.Repeat("abcdefg.", 40) + "com")}},
		"many alpn":         {exts: []ext{alpn("a", "b", "c", "d", "e", "f", "g", "h", "i", "j")}},
		"many groups":       {exts: []ext{groups(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18)}},
		"no extensions":     {noExts: true},
		"several names":     {exts: []ext{sni("a.com", "b.com")}},
		"duplicate sni ext": {exts: []ext{sni("a.com"), sni("b.com")}},
		"trailing dot":      {exts: []ext{sni("a.com.")}},
	}
	refused := map[string]bool{"several names": true, "duplicate sni ext": true, "trailing dot": true}
	for name, c := range hellos {
		t.Run(name, func(t *testing.T) {
			accepted := compareWithGo(t, records(c.msg()))
			if accepted == refused[name] {
				t.Errorf("crypto/tls accepted: %v, want %v", accepted, !refused[name])
			}
		})
	}
}
