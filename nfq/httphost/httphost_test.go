package httphost

import (
	"bytes"
	"strings"
	"testing"
)

// parseCase is one request head and what Parse must make of it.
type parseCase struct {
	name string
	head string // the request head; every shorter prefix must be ErrNeedMore or wantErr
	more string // bytes after the head that must not change the result

	wantErr        error
	wantMethod     string
	wantHost       string
	wantHostHeader string // "" means the same as wantHost
	noHostHeader   bool   // HostHeader must be nil
	wantAmbiguous  bool
	wantTruncated  bool
}

// chrome is a real browser request head, as Chrome 120 sends it.
const chrome = "GET /success.txt?ipv4 HTTP/1.1\r\n" +
	"Host: detectportal.firefox.com\r\n" +
	"Connection: keep-alive\r\n" +
	"Upgrade-Insecure-Requests: 1\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\r\n" +
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n" +
	"Accept-Encoding: gzip, deflate\r\n" +
	"Accept-Language: en-GB,en;q=0.9\r\n" +
	"\r\n"

var parseCases = []parseCase{
	{name: "browser GET", head: chrome, wantMethod: "GET", wantHost: "detectportal.firefox.com"},
	{name: "minimal", head: "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", wantMethod: "GET", wantHost: "example.com"},
	{name: "port kept", head: "GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n", wantMethod: "GET", wantHost: "example.com:8080"},
	{name: "IPv6 literal", head: "GET / HTTP/1.1\r\nHost: [2001:db8::1]:80\r\n\r\n", wantMethod: "GET", wantHost: "[2001:db8::1]:80"},
	{name: "case kept", head: "GET / HTTP/1.1\r\nHost: ExAmple.COM\r\n\r\n", wantMethod: "GET", wantHost: "ExAmple.COM"},
	{name: "header name upper", head: "GET / HTTP/1.1\r\nHOST: example.com\r\n\r\n", wantMethod: "GET", wantHost: "example.com"},
	{name: "header name lower", head: "GET / HTTP/1.1\r\nhost: example.com\r\n\r\n", wantMethod: "GET", wantHost: "example.com"},
	{name: "header name mixed", head: "GET / HTTP/1.1\r\nhOsT: example.com\r\n\r\n", wantMethod: "GET", wantHost: "example.com"},
	{name: "value whitespace trimmed", head: "GET / HTTP/1.1\r\nHost:  \texample.com \t \r\n\r\n", wantMethod: "GET", wantHost: "example.com"},
	{name: "no space after colon", head: "GET / HTTP/1.1\r\nHost:example.com\r\n\r\n", wantMethod: "GET", wantHost: "example.com"},
	{name: "Host after other headers", head: "POST /api HTTP/1.1\r\nContent-Length: 2\r\nX-Host: other.example\r\nHostname: other.example\r\nHost: example.com\r\nAccept: */*\r\n\r\n", more: "{}", wantMethod: "POST", wantHost: "example.com"},
	{name: "LF-only line ends", head: "GET / HTTP/1.1\nHost: example.com\nAccept: */*\n\n", wantMethod: "GET", wantHost: "example.com"},
	{name: "mixed line ends", head: "GET / HTTP/1.1\r\nHost: example.com\nAccept: */*\r\n\n", wantMethod: "GET", wantHost: "example.com"},
	{name: "empty lines before the request line", head: "\r\n\r\n\nGET / HTTP/1.1\r\nHost: example.com\r\n\r\n", wantMethod: "GET", wantHost: "example.com"},
	{name: "runs of spaces in the request line", head: "GET   /  HTTP/1.1  \r\nHost: example.com\r\n\r\n", wantMethod: "GET", wantHost: "example.com"},
	{name: "HTTP/1.0 without Host", head: "POST / HTTP/1.0\r\nContent-Type: application/ocsp-request\r\nContent-Length: 3\r\n\r\n", more: "0v0", wantMethod: "POST", wantHost: "", noHostHeader: true},
	{name: "HTTP/1.1 without Host", head: "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", wantMethod: "GET", wantHost: "", noHostHeader: true},
	{name: "empty Host", head: "GET / HTTP/1.1\r\nHost:\r\n\r\n", wantMethod: "GET", wantHost: ""},
	{name: "body and pipelined request ignored", head: "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", more: "GET / HTTP/1.1\r\nHost: blocked.example\r\n\r\n", wantMethod: "GET", wantHost: "example.com"},
	{name: "other methods", head: "PROPFIND /dav/ HTTP/1.1\r\nHost: dav.example\r\nDepth: 1\r\n\r\n", wantMethod: "PROPFIND", wantHost: "dav.example"},
	{name: "M-SEARCH", head: "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\n\r\n", wantMethod: "M-SEARCH", wantHost: "239.255.255.250:1900"},
	{name: "OPTIONS asterisk", head: "OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n", wantMethod: "OPTIONS", wantHost: "example.com"},
	{name: "authority-form outside CONNECT is no authority", head: "GET example.com:80 HTTP/1.1\r\nHost: other.example\r\n\r\n", wantMethod: "GET", wantHost: "other.example"},
	{name: "origin-form starting with //", head: "GET //evil.example/x HTTP/1.1\r\nHost: example.com\r\n\r\n", wantMethod: "GET", wantHost: "example.com"},

	// Request-targets that carry the authority.
	{name: "absolute URI", head: "GET http://example.com/path?q HTTP/1.1\r\nHost: example.com\r\n\r\n", wantMethod: "GET", wantHost: "example.com"},
	{name: "absolute URI, Host in other case", head: "GET http://Example.com/ HTTP/1.1\r\nHost: example.COM\r\n\r\n", wantMethod: "GET", wantHost: "Example.com", wantHostHeader: "example.COM"},
	{name: "absolute URI without path", head: "POST http://hkextshort.weixin.qq.com HTTP/1.1\r\nHost: hkextshort.weixin.qq.com\r\n\r\n", wantMethod: "POST", wantHost: "hkextshort.weixin.qq.com"},
	{name: "absolute URI with query right after authority", head: "GET http://example.com?x=1 HTTP/1.1\r\n\r\n", wantMethod: "GET", wantHost: "example.com", noHostHeader: true},
	{name: "absolute URI with userinfo and port", head: "GET http://user:p@ss@example.com:81/ HTTP/1.1\r\nHost: example.com:81\r\n\r\n", wantMethod: "GET", wantHost: "example.com:81", wantAmbiguous: true},
	{name: "absolute URI with a backslash", head: "GET http://allowed.example\\@blocked.example/ HTTP/1.1\r\n\r\n", wantMethod: "GET", wantHost: "blocked.example", noHostHeader: true, wantAmbiguous: true},
	{name: "absolute URI with a backslash, no userinfo", head: "GET http://blocked.example\\.allowed.example/ HTTP/1.1\r\n\r\n", wantMethod: "GET", wantHost: "blocked.example\\.allowed.example", noHostHeader: true, wantAmbiguous: true},
	{name: "absolute URI, other scheme", head: "GET ws+x.1://example.com/ HTTP/1.1\r\n\r\n", wantMethod: "GET", wantHost: "example.com", noHostHeader: true},
	{name: "absolute URI differs from Host", head: "GET http://blocked.example/ HTTP/1.1\r\nHost: allowed.example\r\n\r\n", wantMethod: "GET", wantHost: "blocked.example", wantHostHeader: "allowed.example", wantAmbiguous: true},
	{name: "absolute URI differs by port", head: "GET http://example.com:80/ HTTP/1.1\r\nHost: example.com\r\n\r\n", wantMethod: "GET", wantHost: "example.com:80", wantHostHeader: "example.com", wantAmbiguous: true},
	{name: "absolute URI without authority", head: "GET http:///x HTTP/1.1\r\nHost: example.com\r\n\r\n", wantErr: ErrMalformed},
	{name: "CONNECT", head: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", wantMethod: "CONNECT", wantHost: "example.com:443"},
	{name: "CONNECT without Host", head: "CONNECT example.com:443 HTTP/1.0\r\n\r\n", wantMethod: "CONNECT", wantHost: "example.com:443", noHostHeader: true},
	{name: "CONNECT differs from Host", head: "CONNECT blocked.example:443 HTTP/1.1\r\nHost: allowed.example:443\r\n\r\n", wantMethod: "CONNECT", wantHost: "blocked.example:443", wantHostHeader: "allowed.example:443", wantAmbiguous: true},

	// Ambiguous requests: the host is read, the doubt is reported.
	{name: "duplicate Host, same value", head: "GET / HTTP/1.1\r\nHost: example.com\r\nHost: example.com\r\n\r\n", wantMethod: "GET", wantHost: "example.com", wantAmbiguous: true},
	{name: "duplicate Host, other value", head: "GET / HTTP/1.1\r\nHost: allowed.example\r\nAccept: */*\r\nhost: blocked.example\r\n\r\n", wantMethod: "GET", wantHost: "allowed.example", wantAmbiguous: true},
	{name: "empty Host then another", head: "GET / HTTP/1.1\r\nHost:\r\nHost: blocked.example\r\n\r\n", wantMethod: "GET", wantHost: "", wantAmbiguous: true},
	{name: "obs-fold on Host", head: "GET / HTTP/1.1\r\nHost: allowed.example\r\n blocked.example\r\n\r\n", wantMethod: "GET", wantHost: "allowed.example", wantAmbiguous: true},
	{name: "obs-fold hiding a Host", head: "GET / HTTP/1.1\r\nX-A: b\r\n\tHost: blocked.example\r\nHost: allowed.example\r\n\r\n", wantMethod: "GET", wantHost: "allowed.example", wantAmbiguous: true},
	{name: "whitespace line before the first header", head: "GET / HTTP/1.1\r\n Host: blocked.example\r\nHost: allowed.example\r\n\r\n", wantMethod: "GET", wantHost: "allowed.example", wantAmbiguous: true},
	{name: "space before colon", head: "GET / HTTP/1.1\r\nHost : blocked.example\r\n\r\n", wantMethod: "GET", wantHost: "blocked.example", wantAmbiguous: true},
	{name: "tab before colon", head: "GET / HTTP/1.1\r\nHost\t: blocked.example\r\n\r\n", wantMethod: "GET", wantHost: "blocked.example", wantAmbiguous: true},
	{name: "NUL in Host", head: "GET / HTTP/1.1\r\nHost: allowed.example\x00.blocked.example\r\n\r\n", wantMethod: "GET", wantHost: "allowed.example\x00.blocked.example", wantAmbiguous: true},
	{name: "bare CR in a header", head: "GET / HTTP/1.1\r\nX-A: 1\rHost: blocked.example\r\nHost: allowed.example\r\n\r\n", wantMethod: "GET", wantHost: "allowed.example", wantAmbiguous: true},
	{name: "control byte in the target", head: "GET /\x01 HTTP/1.1\r\nHost: example.com\r\n\r\n", wantMethod: "GET", wantHost: "example.com", wantAmbiguous: true},
	{name: "DEL in a header", head: "GET / HTTP/1.1\r\nX-A: \x7f\r\nHost: example.com\r\n\r\n", wantMethod: "GET", wantHost: "example.com", wantAmbiguous: true},
	{name: "space inside the target", head: "GET /a b HTTP/1.1\r\nHost: example.com\r\n\r\n", wantMethod: "GET", wantHost: "example.com", wantAmbiguous: true},

	// Not HTTP/1.
	{name: "TLS ClientHello", head: "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", wantErr: ErrNotHTTP},
	{name: "lowercase method", head: "get / HTTP/1.1\r\nHost: example.com\r\n\r\n", wantErr: ErrNotHTTP},
	{name: "HTTP/2 preface", head: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", wantErr: ErrNotHTTP},
	{name: "unknown method", head: "GETS / HTTP/1.1\r\nHost: example.com\r\n\r\n", wantErr: ErrNotHTTP},
	{name: "method with a tab", head: "GET\t/ HTTP/1.1\r\n", wantErr: ErrNotHTTP},
	{name: "leading space", head: " GET / HTTP/1.1\r\n", wantErr: ErrNotHTTP},
	{name: "SSH", head: "SSH-2.0-OpenSSH_9.2\r\n", wantErr: ErrNotHTTP},

	// Malformed.
	{name: "HTTP/0.9", head: "GET /\r\n", wantErr: ErrMalformed},
	{name: "no target", head: "GET  \r\nHost: example.com\r\n\r\n", wantErr: ErrMalformed},
	{name: "HTTP/2.0 version", head: "GET / HTTP/2.0\r\nHost: example.com\r\n\r\n", wantErr: ErrMalformed},
	{name: "lowercase version", head: "GET / http/1.1\r\nHost: example.com\r\n\r\n", wantErr: ErrMalformed},
	{name: "version too long", head: "GET / HTTP/1.11\r\nHost: example.com\r\n\r\n", wantErr: ErrMalformed},
	{name: "header without colon", head: "GET / HTTP/1.1\r\nHost example.com\r\n\r\n", wantErr: ErrMalformed},
	{name: "header with empty name", head: "GET / HTTP/1.1\r\n: example.com\r\n\r\n", wantErr: ErrMalformed},
}

// tooLongCases are heads longer than MaxHead.
func tooLongCases() []parseCase {
	pad := "X-Pad: " + strings.Repeat("a", 1000) + "\r\n"
	pads := strings.Repeat(pad, MaxHead/len(pad)+1)
	return []parseCase{
		{name: "Host after MaxHead", head: "GET / HTTP/1.1\r\n" + pads + "Host: blocked.example\r\n\r\n", wantErr: ErrTooLong},
		{name: "request line longer than MaxHead", head: "GET /" + strings.Repeat("a", MaxHead) + " HTTP/1.1\r\nHost: example.com\r\n\r\n", wantErr: ErrTooLong},
		{name: "only empty lines", head: strings.Repeat("\r\n", MaxHead), wantErr: ErrTooLong},
		{name: "Host then padding beyond MaxHead", head: "GET / HTTP/1.1\r\nHost: example.com\r\n" + pads + "Host: blocked.example\r\n\r\n", wantMethod: "GET", wantHost: "example.com", wantTruncated: true},
		{name: "absolute URI then padding", head: "GET http://example.com/ HTTP/1.1\r\n" + pads + "\r\n", wantMethod: "GET", wantHost: "example.com", noHostHeader: true, wantTruncated: true},
		{name: "head within MaxHead, long body", head: "POST / HTTP/1.1\r\nHost: example.com\r\n\r\n", more: pads, wantMethod: "POST", wantHost: "example.com"},
		{name: "head of exactly MaxHead", head: "GET / HTTP/1.1\r\nHost: example.com\r\nX: " + strings.Repeat("a", MaxHead-42) + "\r\n\r\n", wantMethod: "GET", wantHost: "example.com"},
		{name: "head one byte over MaxHead", head: "GET / HTTP/1.1\r\nHost: example.com\r\nX: " + strings.Repeat("a", MaxHead-41) + "\r\n\r\n", wantMethod: "GET", wantHost: "example.com", wantTruncated: true},
	}
}

func checkParse(t *testing.T, tc parseCase, stream []byte) {
	t.Helper()
	var r Request
	err := Parse(stream, &r)
	if err != tc.wantErr {
		t.Fatalf("Parse = %v, want %v", err, tc.wantErr)
	}
	if err != nil {
		return
	}
	wantHeader := tc.wantHostHeader
	if wantHeader == "" {
		wantHeader = tc.wantHost
	}
	if got := string(r.Method()); got != tc.wantMethod {
		t.Errorf("Method = %q, want %q", got, tc.wantMethod)
	}
	if got := string(r.Host()); got != tc.wantHost {
		t.Errorf("Host = %q, want %q", got, tc.wantHost)
	}
	if got := r.HostHeader(); tc.noHostHeader != (got == nil) || string(got) != wantHeader && !tc.noHostHeader {
		t.Errorf("HostHeader = %q (nil %v), want %q (nil %v)", got, got == nil, wantHeader, tc.noHostHeader)
	}
	if got := r.Ambiguous(); got != tc.wantAmbiguous {
		t.Errorf("Ambiguous = %v, want %v", got, tc.wantAmbiguous)
	}
	if got := r.Truncated(); got != tc.wantTruncated {
		t.Errorf("Truncated = %v, want %v", got, tc.wantTruncated)
	}
}

func TestParse(t *testing.T) {
	for _, tc := range append(parseCases, tooLongCases()...) {
		t.Run(tc.name, func(t *testing.T) {
			checkParse(t, tc, []byte(tc.head+tc.more))
		})
	}
}

// TestParseSplit cuts every head at every offset: a prefix is never a
// success, only "need more" or, once the error shows, the head's own error.
func TestParseSplit(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			for n := range len(tc.head) {
				var r Request
				// A copy sized to the prefix, so reading past it would panic.
				prefix := bytes.Clone([]byte(tc.head[:n]))
				err := Parse(prefix, &r)
				if err != ErrNeedMore && (err != tc.wantErr || err == nil) {
					t.Fatalf("Parse(%q) = %v, want ErrNeedMore or %v", prefix, err, tc.wantErr)
				}
			}
			checkParse(t, tc, []byte(tc.head))
		})
	}
}

// TestParseKeepsInput checks that Parse does not write to the stream, and
// that what it returns aliases the stream.
func TestParseKeepsInput(t *testing.T) {
	stream := []byte("GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n")
	orig := bytes.Clone(stream)
	var r Request
	if err := Parse(stream, &r); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stream, orig) {
		t.Fatal("Parse modified the stream")
	}
	if &r.Host()[0] != &stream[11] || &r.Method()[0] != &stream[0] {
		t.Error("results do not alias the stream")
	}
	if cap(r.Host()) != len(r.Host()) || cap(r.Method()) != len(r.Method()) || cap(r.HostHeader()) != len(r.HostHeader()) {
		t.Error("results leave room to append into the stream")
	}
}

func TestParseResets(t *testing.T) {
	var r Request
	if err := Parse([]byte("GET http://a.example/ HTTP/1.1\r\nHost: b.example\r\nHost: c\r\n\r\n"), &r); err != nil || !r.Ambiguous() {
		t.Fatalf("first Parse: %v, ambiguous %v", err, r.Ambiguous())
	}
	if err := Parse([]byte("GET / HTTP/1.0\r\n\r\n"), &r); err != nil {
		t.Fatal(err)
	}
	if r.Host() != nil || r.HostHeader() != nil || r.Ambiguous() || r.Truncated() {
		t.Errorf("state left from the first request: %q %q %v %v", r.Host(), r.HostHeader(), r.Ambiguous(), r.Truncated())
	}
	if err := Parse(nil, &r); err != ErrNeedMore {
		t.Errorf("Parse(nil) = %v, want ErrNeedMore", err)
	}
}

func TestNoAllocs(t *testing.T) {
	streams := [][]byte{
		[]byte(chrome),
		[]byte("GET http://blocked.example/ HTTP/1.1\r\nHost: allowed.example\r\nHost: x\r\n\r\n"),
		[]byte("GET / HTTP/1.1\r\nHost: exa"),
		[]byte("\x16\x03\x01\x02\x00"),
		[]byte("GET / HTTP/1.1\r\nHost example.com\r\n\r\n"),
		[]byte("GET / HTTP/1.1\r\n" + strings.Repeat("X: y\r\n", MaxHead/6+1)),
	}
	var r Request
	for _, s := range streams {
		allocs := testing.AllocsPerRun(100, func() { Parse(s, &r) })
		if allocs != 0 {
			t.Errorf("Parse(%.30q…) allocates %v times, want 0", s, allocs)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct {
		name   string
		stream string
	}{
		{"browser GET", chrome},
		{"minimal", "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"},
		{"absolute URI, duplicate Host", "GET http://blocked.example/ HTTP/1.1\r\nHost: allowed.example\r\nHost: x\r\n\r\n"},
		{"not HTTP", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"},
		{"8 KiB of headers", "GET / HTTP/1.1\r\nHost: example.com\r\n" + strings.Repeat("Cookie: "+strings.Repeat("c", 90)+"\r\n", 80) + "\r\n"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			stream := []byte(bc.stream)
			b.ReportAllocs()
			b.SetBytes(int64(len(stream)))
			var r Request
			for b.Loop() {
				Parse(stream, &r)
			}
		})
	}
}

// TestMethods checks the method list against the bounds Parse relies on.
func TestMethods(t *testing.T) {
	longest := 0
	for _, m := range strings.Fields(methods) {
		longest = max(longest, len(m))
		for i := range len(m) {
			if !isMethodByte(m[i]) {
				t.Errorf("method %q: byte %q not allowed by isMethodByte", m, m[i])
			}
		}
		var r Request
		if err := Parse([]byte(m+" / HTTP/1.1\r\nHost: example.com\r\n\r\n"), &r); err != nil || string(r.Method()) != m {
			t.Errorf("Parse with method %q: %v, method %q", m, err, r.Method())
		}
	}
	if longest != maxMethodLen {
		t.Errorf("longest method has %d bytes, maxMethodLen is %d", longest, maxMethodLen)
	}
	if !strings.HasSuffix(methods, " ") || strings.Contains(methods, "  ") {
		t.Error("methods must be single-space separated and end with a space")
	}
}
