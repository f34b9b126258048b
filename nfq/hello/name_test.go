package hello

import (
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	l63 := strings.Repeat("b", 63)
	// 253 bytes exactly: 3 labels of 63, one of 61.
	max253 := l63 + "." + l63 + "." + l63 + "." + strings.Repeat("c", 61)
	tests := []struct {
		name string
		raw  string
		want string
		amb  Ambiguity
	}{
		{"plain", "example.com", "example.com", 0},
		{"uppercase", "ExAmPlE.CoM", "example.com", 0},
		{"one trailing dot dropped", "example.com.", "example.com", 0},
		{"two trailing dots", "example.com..", "example.com.", AmbInvalid},
		{"single label", "localhost", "localhost", 0},
		{"idna kept", "XN--Mnchen-3ya.de", "xn--mnchen-3ya.de", 0},
		{"hyphen and underscore", "_sip._tcp.my-host.example", "_sip._tcp.my-host.example", 0},
		{"empty", "", "", AmbInvalid},
		{"dot only", ".", "", AmbInvalid},
		{"leading dot", ".example.com", ".example.com", AmbInvalid},
		{"empty label", "a..b", "a..b", AmbInvalid},
		{"label 63", l63 + ".com", l63 + ".com", 0},
		{"label 64", l63 + "b.com", l63 + "b.com", AmbInvalid},
		{"253 bytes", max253, max253, 0},
		{"253 bytes and a trailing dot", max253 + ".", max253, 0},
		{"254 bytes cut to whole labels", "a" + max253, l63 + "." + l63 + "." + strings.Repeat("c", 61), AmbInvalid},
		{"last label alone too long", strings.Repeat("x", 300), "", AmbInvalid},
		{"cut never starts at an empty label", strings.Repeat("d", 190) + ".." + strings.Repeat("e", 62), strings.Repeat("e", 62), AmbInvalid},
		{"NUL", "a\x00b", "a\x00b", AmbControl | AmbInvalid},
		{"tab", "a\tb", "a\tb", AmbControl | AmbInvalid},
		{"space", "a b", "a b", AmbControl | AmbInvalid},
		{"DEL", "\x7f", "\x7f", AmbControl | AmbInvalid},
		{"utf-8 kept as sent", "Ünï.com", "Ünï.com", AmbControl | AmbInvalid},
		{"star", "*.example.com", "*.example.com", AmbInvalid},
		{"slash", "example.com/evil", "example.com/evil", AmbInvalid},
		{"at sign", "user@example.com", "user@example.com", AmbInvalid},
		{"percent", "ex%61mple.com", "ex%61mple.com", AmbInvalid},
		{"ipv4", "10.0.0.1", "10.0.0.1", AmbIPLiteral},
		{"ipv4 trailing dot", "10.0.0.1.", "10.0.0.1", AmbIPLiteral},
		{"ipv4 one number", "3232235777", "3232235777", AmbIPLiteral},
		{"ipv4 hex part", "10.0.0.0x1", "10.0.0.0x1", AmbIPLiteral},
		{"ipv4 bare 0x", "a.0x", "a.0x", AmbIPLiteral},
		{"numeric tld", "example.123", "example.123", AmbIPLiteral},
		{"digits before a name", "1.1.1.1.example", "1.1.1.1.example", 0},
		{"hex-looking tld is a name", "example.0xg", "example.0xg", 0},
		{"ipv6", "FE80::1", "fe80::1", AmbIPLiteral | AmbInvalid},
		{"ipv6 mapped", "::ffff:10.0.0.1", "::ffff:10.0.0.1", AmbIPLiteral | AmbInvalid},
		{"ipv6 bracketed", "[::1]", "[::1]", AmbIPLiteral | AmbInvalid},
		{"colon name is not ipv6", "host:name", "host:name", AmbInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dst [253]byte
			got, amb := Normalize(&dst, []byte(tt.raw))
			if string(got) != tt.want || amb != tt.amb {
				t.Errorf("Normalize(%q) = %q, %v; want %q, %v", tt.raw, got, amb, tt.want, tt.amb)
			}
			if len(got) > 0 && &got[0] != &dst[0] {
				t.Error("name does not alias dst")
			}
		})
	}
}

func TestNormalizeHost(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string
		amb  Ambiguity
	}{
		{"plain", "Example.COM", "example.com", 0},
		{"port", "example.com:8080", "example.com", 0},
		{"empty port", "example.com:", "example.com", 0},
		{"trailing dot and port", "example.com.:443", "example.com", 0},
		{"spaces trimmed", " \texample.com \t", "example.com", 0},
		{"bad port", "example.com:80x", "example.com", AmbInvalid},
		{"ipv4 and port", "192.0.2.1:80", "192.0.2.1", AmbIPLiteral},
		{"bracketed ipv6", "[2001:DB8::1]", "2001:db8::1", AmbIPLiteral},
		{"bracketed ipv6 and port", "[::1]:8443", "::1", AmbIPLiteral},
		{"bracketed ipv6 bad port", "[::1]8443", "::1", AmbIPLiteral | AmbInvalid},
		{"bracketed name", "[example.com]", "example.com", AmbIPLiteral | AmbInvalid},
		{"bracket never closed", "[::1", "[::1", AmbIPLiteral | AmbInvalid},
		{"bracketed control", "[::1\x00]", "::1\x00", AmbIPLiteral | AmbControl | AmbInvalid},
		{"bare ipv6", "::1", "::1", AmbIPLiteral | AmbInvalid},
		{"empty", "", "", AmbInvalid},
		{"port only", ":80", "", AmbInvalid},
		{"userinfo", "user@example.com", "user@example.com", AmbInvalid},
		{"inner space", "exa mple.com", "exa mple.com", AmbControl | AmbInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dst [253]byte
			got, amb := NormalizeHost(&dst, []byte(tt.raw))
			if string(got) != tt.want || amb != tt.amb {
				t.Errorf("NormalizeHost(%q) = %q, %v; want %q, %v", tt.raw, got, amb, tt.want, tt.amb)
			}
		})
	}
}

func TestAmbiguityString(t *testing.T) {
	tests := []struct {
		a    Ambiguity
		want string
	}{
		{0, "none"},
		{AmbControl, "control"},
		{AmbControl | AmbIPLiteral, "control|ip-literal"},
		{AmbMultipleNames | AmbDuplicateExt | AmbInvalid, "multiple-names|duplicate-ext|invalid"},
		{AmbInvalid | 0x80, "invalid|0x80"},
		{0x40, "0x40"},
	}
	for _, tt := range tests {
		if got := tt.a.String(); got != tt.want {
			t.Errorf("Ambiguity(%#x).String() = %q, want %q", uint8(tt.a), got, tt.want)
		}
	}
}
