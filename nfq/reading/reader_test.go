package reading

import (
	"errors"
	"slices"
	"testing"

	"github.com/safeinternet/cpe/nfq/hello"
	"github.com/safeinternet/cpe/nfq/httphost"
)

// want is the expected form of a Result.
type want struct {
	kind  Kind
	name  string
	flags Flags
	amb   hello.Ambiguity
	done  bool
	used  int
	err   error // matched with errors.Is; nil: Err must be nil
}

func check(t *testing.T, got Result, w want) {
	t.Helper()
	if got.Kind != w.kind || string(got.Name) != w.name || got.Flags != w.flags || got.Ambiguity != w.amb ||
		got.Done != w.done || got.Used != w.used {
		t.Errorf("got {%v %q %v %v done=%v used=%d}, want {%v %q %v %v done=%v used=%d}",
			got.Kind, got.Name, got.Flags, got.Ambiguity, got.Done, got.Used,
			w.kind, w.name, w.flags, w.amb, w.done, w.used)
	}
	if (got.Err == nil) != (w.err == nil) || w.err != nil && !errors.Is(got.Err, w.err) {
		t.Errorf("err %v, want %v", got.Err, w.err)
	}
}

func TestStream(t *testing.T) {
	tiny := mustHex(t, tinyHello)
	noSNI := mustHex(t, noSNIHello)
	pq := goHello(t, "www.Example.com")
	twoRecords := recordSplit(pq, 1) // a 1-byte first record
	get := "GET /x HTTP/1.1\r\nUser-Agent: t\r\nHost: Example.COM:8080\r\n\r\n"
	tests := []struct {
		name  string
		data  []byte
		port  uint16
		final bool
		want  want
	}{
		{"nothing yet", nil, 443, false, want{}},
		{"nothing, final", nil, 443, true, want{flags: Unreadable, done: true, err: ErrIncomplete}},

		{"ClientHello in one record, name normalised", tiny, 443, false,
			want{kind: TLS, name: "a.test", done: true, used: len(tiny)}},
		{"post-quantum ClientHello", pq, 443, false,
			want{kind: TLS, name: "www.example.com", done: true, used: len(pq)}},
		{"ClientHello across records", twoRecords, 443, false,
			want{kind: TLS, name: "www.example.com", done: true, used: len(twoRecords)}},
		{"ClientHello without server_name", noSNI, 443, false,
			want{kind: TLS, done: true, used: len(noSNI)}},
		{"TLS on another port is read too", tiny, 8443, false,
			want{kind: TLS, name: "a.test", done: true, used: len(tiny)}},
		{"part of a ClientHello: need more", pq[:700], 443, false, want{kind: TLS}},
		{"part of a ClientHello, final: unreadable", pq[:700], 443, true,
			want{kind: TLS, flags: Unreadable, done: true, err: hello.ErrNeedMore}},
		{"a record header only: need more", tiny[:3], 443, false, want{kind: TLS}},
		{"change_cipher_spec after the ClientHello is no evasion", slices.Concat(tiny, mustHex(t, ccs)), 443, false,
			want{kind: TLS, name: "a.test", done: true, used: len(tiny)}},
		{"two ClientHellos in a row: evasion", slices.Concat(tiny, pq), 443, false,
			want{kind: TLS, name: "a.test", flags: Evasion, done: true, used: len(tiny)}},
		{"record version major not 3", mustHex(t, `16 0401 0004 01000000`), 443, false,
			want{kind: TLS, flags: Unreadable, done: true, err: hello.ErrNotTLS}},
		{"a server_hello, not a client_hello", mustHex(t, `
			16 0303 0006       # handshake record, 6 bytes
			02 000002 0303     # server_hello, 2 bytes: version only`), 443, false,
			want{kind: TLS, flags: Unreadable, done: true, err: hello.ErrMalformed}},
		{"ClientHello announcing more than MaxHello", mustHex(t, `16 0303 0004 01 004001`), 443, false,
			want{kind: TLS, flags: Unreadable, done: true, err: hello.ErrTooBig}},

		{"HTTP Host, port dropped, lowercased", []byte(get), 80, false,
			want{kind: HTTP, name: "example.com", done: true}},
		{"HTTP on port 443 is read", []byte(get), 443, false,
			want{kind: HTTP, name: "example.com", done: true}},
		{"part of a request head: need more", []byte(get[:20]), 80, false, want{kind: HTTP}},
		{"part of a request head, final: unreadable", []byte(get[:20]), 80, true,
			want{kind: HTTP, flags: Unreadable, done: true, err: httphost.ErrNeedMore}},
		{"two Host headers: ambiguous", []byte("GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n"), 80, false,
			want{kind: HTTP, name: "a.test", flags: Ambiguous, done: true}},
		{"an IP literal host: ambiguous", []byte("GET / HTTP/1.1\r\nHost: 10.0.0.1\r\n\r\n"), 80, false,
			want{kind: HTTP, name: "10.0.0.1", flags: Ambiguous, amb: hello.AmbIPLiteral, done: true}},
		{"HTTP/1.0 without Host: no name, ambiguous", []byte("GET / HTTP/1.0\r\n\r\n"), 80, false,
			want{kind: HTTP, flags: Ambiguous, amb: hello.AmbInvalid, done: true}},
		{"a malformed head", []byte("GET / HTTP/1.1\r\nno colon here\r\n\r\n"), 80, false,
			want{kind: HTTP, flags: Unreadable, done: true, err: httphost.ErrMalformed}},

		{"ssh on port 443: unreadable", []byte("SSH-2.0-OpenSSH_9.6\r\n"), 443, false,
			want{flags: Unreadable, done: true, err: ErrNotTLSOrHTTP}},
		{"HTTP/2 prior knowledge on port 80: unreadable", []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 80, false,
			want{flags: Unreadable, done: true, err: ErrNotTLSOrHTTP}},
		{"an SSL 2.0 ClientHello on port 443: unreadable", mustHex(t, `80 2e 01 0002`), 443, false,
			want{flags: Unreadable, done: true, err: ErrNotTLSOrHTTP}},
		{"ssh on port 22: another protocol, no name", []byte("SSH-2.0-OpenSSH_9.6\r\n"), 22, false,
			want{done: true}},
		{"one byte on port 25: another protocol", []byte("x"), 25, false, want{done: true}},
	}
	var r Reader
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, r.Stream(tt.data, tt.port, tt.final), tt.want)
		})
	}
}

// TestStreamDetails: what tools read besides the name, through Hello and
// Request.
func TestStreamDetails(t *testing.T) {
	var r Reader
	res := r.Stream(goHello(t, "a.test"), 443, false)
	if !res.Done || r.Hello().NumALPN() != 1 || string(r.Hello().ALPN(0)) != "h2" || !r.Hello().PostQuantum() {
		t.Errorf("TLS %+v: ALPN %d, post-quantum %v", res, r.Hello().NumALPN(), r.Hello().PostQuantum())
	}
	res = r.Stream([]byte("GET http://b.test/ HTTP/1.1\r\nHost: c.test\r\n\r\n"), 80, false)
	if string(res.Name) != "b.test" || res.Flags != Ambiguous || res.Ambiguity != 0 || !r.Request().Ambiguous() ||
		string(r.Request().HostHeader()) != "c.test" {
		t.Errorf("HTTP %+v, request ambiguous %v", res, r.Request().Ambiguous())
	}
}

func TestKindAndFlagsStrings(t *testing.T) {
	for k, s := range map[Kind]string{Other: "other", TLS: "tls", HTTP: "http", QUIC: "quic", 9: "kind?"} {
		if k.String() != s {
			t.Errorf("Kind(%d) = %q, want %q", k, k.String(), s)
		}
	}
	for f, s := range map[Flags]string{0: "", Ambiguous: "ambiguous", Evasion | Unreadable: "evasion|unreadable",
		Ambiguous | Evasion | Unreadable: "ambiguous|evasion|unreadable"} {
		if f.String() != s {
			t.Errorf("Flags(%d) = %q, want %q", f, f.String(), s)
		}
	}
}

// TestBounds pins the bounds derived from the kernel's guard (config
// allows 1 to 64; the default is 8), and the error texts built from the
// constants.
func TestBounds(t *testing.T) {
	for _, c := range []struct{ guard, seg, dgram, quiet int }{
		{1, 1, 1, 1}, {2, 1, 2, 1}, {3, 1, 3, 1}, {8, 6, 8, 3}, {12, 10, 12, 5}, {26, 24, 12, 12}, {64, 24, 12, 31},
	} {
		if s, d, q := SegmentBound(c.guard), DatagramBound(c.guard), QuietLimit(c.guard); s != c.seg || d != c.dgram || q != c.quiet {
			t.Errorf("guard %d: segments %d, datagrams %d, quiet %d; want %d, %d, %d", c.guard, s, d, q, c.seg, c.dgram, c.quiet)
		}
	}
	for err, s := range map[error]string{
		ErrNotTLSOrHTTP: "reading: port 443 or 80 flow starts with neither a TLS handshake nor an HTTP request",
		ErrSegments:     "reading: no whole ClientHello or request head within the segment bound (at most 24 data segments)",
		ErrDatagrams:    "reading: no whole ClientHello within the datagram bound (at most 12 datagrams)",
	} {
		if err.Error() != s {
			t.Errorf("%q, want %q", err, s)
		}
	}
	if StreamBuffer != 16<<10+512 {
		t.Errorf("StreamBuffer %d", StreamBuffer)
	}
}
