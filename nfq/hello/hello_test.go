package hello

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	long63 := strings.Repeat("a", 63)
	long64 := strings.Repeat("a", 64)
	// 4 labels of 63 and "com": 4*64+3 = 259 bytes, cut to the last 3
	// whole labels and "com" (3*64+3 = 195).
	tooLong := strings.Repeat(long63+".", 4) + "com"
	tests := []struct {
		name    string
		hello   chb
		sni     string // expected Name
		hasSNI  bool
		amb     Ambiguity
		ech     bool
		quic    bool
		pq      bool
		tls13   bool
		alpn    []string
		groups  []uint16
		numExts int
	}{
		{name: "plain", hello: chb{exts: []ext{sni("example.com")}}, sni: "example.com", hasSNI: true, numExts: 1},
		{name: "uppercase", hello: chb{exts: []ext{sni("WWW.Example.COM")}}, sni: "www.example.com", hasSNI: true, numExts: 1},
		{name: "trailing dot dropped", hello: chb{exts: []ext{sni("example.com.")}}, sni: "example.com", hasSNI: true, numExts: 1},
		{name: "idna stays as sent", hello: chb{exts: []ext{sni("xn--bcher-kva.EXAMPLE")}}, sni: "xn--bcher-kva.example", hasSNI: true, numExts: 1},
		{name: "underscore allowed", hello: chb{exts: []ext{sni("_dmarc.example.com")}}, sni: "_dmarc.example.com", hasSNI: true, numExts: 1},
		{name: "no sni", hello: chb{exts: []ext{alpn("h2")}}, alpn: []string{"h2"}, numExts: 1},
		{name: "no extensions block", hello: chb{noExts: true}},
		{name: "empty extensions block", hello: chb{}},
		{name: "only other name types", hello: chb{exts: []ext{sniEntries(sniEntry{1, "x"})}}, numExts: 1},
		{name: "ech", hello: chb{exts: []ext{sni("cloudflare-ech.com"), raw(extECH, 0, 1, 2)}}, sni: "cloudflare-ech.com", hasSNI: true, ech: true, numExts: 2},
		{name: "quic transport parameters", hello: chb{exts: []ext{sni("a.b"), raw(extQUICParams, 1, 2)}}, sni: "a.b", hasSNI: true, quic: true, numExts: 2},
		{name: "quic draft transport parameters", hello: chb{exts: []ext{raw(extQUICParamsDraft)}}, quic: true, numExts: 1},
		{name: "alpn", hello: chb{exts: []ext{alpn("h2", "http/1.1")}}, alpn: []string{"h2", "http/1.1"}, numExts: 1},
		{name: "alpn first 8 kept", hello: chb{exts: []ext{alpn("1", "2", "3", "4", "5", "6", "7", "8", "9")}}, alpn: []string{"1", "2", "3", "4", "5", "6", "7", "8"}, numExts: 1},
		{name: "alpn kept while 256 bytes fit", hello: chb{exts: []ext{alpn(strings.Repeat("x", 200), "h2", strings.Repeat("y", 60), "h3")}}, alpn: []string{strings.Repeat("x", 200), "h2"}, numExts: 1},
		{name: "groups with grease", hello: chb{exts: []ext{groups(0x0a0a, 29, 23)}}, groups: []uint16{0x0a0a, 29, 23}, numExts: 1},
		{name: "groups first 16 kept", hello: chb{exts: []ext{groups(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 0x11ec)}}, groups: []uint16{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, pq: true, numExts: 1},
		{name: "pq mlkem in groups", hello: chb{exts: []ext{groups(0x11ec, 29)}}, groups: []uint16{0x11ec, 29}, pq: true, numExts: 1},
		{name: "pq kyber draft in groups", hello: chb{exts: []ext{groups(0x6399)}}, groups: []uint16{0x6399}, pq: true, numExts: 1},
		{name: "pq only in key_share", hello: chb{exts: []ext{keyShare(0x11ec)}}, pq: true, numExts: 1},
		{name: "classical key_share", hello: chb{exts: []ext{keyShare(29), groups(29)}}, groups: []uint16{29}, numExts: 2},
		{name: "tls 1.3 offered", hello: chb{exts: []ext{versions(0x0304, 0x0303)}}, tls13: true, numExts: 1},
		{name: "chrome shaped", hello: chrome("www.Google.com"), sni: "www.google.com", hasSNI: true, ech: true, pq: true, tls13: true,
			alpn: []string{"h2", "http/1.1"}, groups: []uint16{0x4a4a, 0x11ec, 29, 23, 24}, numExts: 18},

		// Every Ambiguity bit.
		{name: "control NUL", hello: chb{exts: []ext{sni("good.com\x00.evil.com")}}, sni: "good.com\x00.evil.com", hasSNI: true, amb: AmbControl | AmbInvalid, numExts: 1},
		{name: "control space", hello: chb{exts: []ext{sni("a b.com")}}, sni: "a b.com", hasSNI: true, amb: AmbControl | AmbInvalid, numExts: 1},
		{name: "control non-ascii", hello: chb{exts: []ext{sni("b\xc3\xbccher.de")}}, sni: "b\xc3\xbccher.de", hasSNI: true, amb: AmbControl | AmbInvalid, numExts: 1},
		{name: "control DEL", hello: chb{exts: []ext{sni("a\x7f.com")}}, sni: "a\x7f.com", hasSNI: true, amb: AmbControl | AmbInvalid, numExts: 1},
		{name: "ipv4 literal", hello: chb{exts: []ext{sni("192.168.1.1")}}, sni: "192.168.1.1", hasSNI: true, amb: AmbIPLiteral, numExts: 1},
		{name: "ipv4 short form", hello: chb{exts: []ext{sni("127.1")}}, sni: "127.1", hasSNI: true, amb: AmbIPLiteral, numExts: 1},
		{name: "ipv4 hex number", hello: chb{exts: []ext{sni("0X7F000001")}}, sni: "0x7f000001", hasSNI: true, amb: AmbIPLiteral, numExts: 1},
		{name: "ipv6 literal", hello: chb{exts: []ext{sni("2001:DB8::1")}}, sni: "2001:db8::1", hasSNI: true, amb: AmbIPLiteral | AmbInvalid, numExts: 1},
		{name: "ipv6 bracketed", hello: chb{exts: []ext{sni("[::1]")}}, sni: "[::1]", hasSNI: true, amb: AmbIPLiteral | AmbInvalid, numExts: 1},
		{name: "digits in labels are no ip", hello: chb{exts: []ext{sni("1.2.3.4.nip.io")}}, sni: "1.2.3.4.nip.io", hasSNI: true, numExts: 1},
		{name: "multiple host names, first kept", hello: chb{exts: []ext{sni("good.com", "evil.com")}}, sni: "good.com", hasSNI: true, amb: AmbMultipleNames, numExts: 1},
		{name: "other name type then host name", hello: chb{exts: []ext{sniEntries(sniEntry{7, "evil.com"}, sniEntry{0, "good.com"})}}, sni: "good.com", hasSNI: true, amb: AmbMultipleNames, numExts: 1},
		{name: "server_name twice, first kept", hello: chb{exts: []ext{sni("good.com"), sni("evil.com")}}, sni: "good.com", hasSNI: true, amb: AmbDuplicateExt, numExts: 2},
		{name: "other extension twice", hello: chb{exts: []ext{sni("a.com"), alpn("h2"), alpn("evil")}}, sni: "a.com", hasSNI: true, amb: AmbDuplicateExt, alpn: []string{"h2"}, numExts: 3},
		{name: "grease extension twice", hello: chb{exts: []ext{raw(0x0a0a), sni("a.com"), raw(0x0a0a)}}, sni: "a.com", hasSNI: true, amb: AmbDuplicateExt, numExts: 3},
		{name: "invalid empty name", hello: chb{exts: []ext{sni("")}}, hasSNI: true, amb: AmbInvalid, numExts: 1},
		{name: "invalid dot only", hello: chb{exts: []ext{sni(".")}}, hasSNI: true, amb: AmbInvalid, numExts: 1},
		{name: "invalid empty label", hello: chb{exts: []ext{sni("a..com")}}, sni: "a..com", hasSNI: true, amb: AmbInvalid, numExts: 1},
		{name: "invalid leading dot", hello: chb{exts: []ext{sni(".a.com")}}, sni: ".a.com", hasSNI: true, amb: AmbInvalid, numExts: 1},
		{name: "invalid two trailing dots", hello: chb{exts: []ext{sni("a.com..")}}, sni: "a.com.", hasSNI: true, amb: AmbInvalid, numExts: 1},
		{name: "label of 63 ok", hello: chb{exts: []ext{sni(long63 + ".com")}}, sni: long63 + ".com", hasSNI: true, numExts: 1},
		{name: "invalid label of 64", hello: chb{exts: []ext{sni(long64 + ".com")}}, sni: long64 + ".com", hasSNI: true, amb: AmbInvalid, numExts: 1},
		{name: "invalid name over 253 cut to whole labels", hello: chb{exts: []ext{sni(tooLong)}}, sni: tooLong[64:], hasSNI: true, amb: AmbInvalid, numExts: 1},
		{name: "invalid characters", hello: chb{exts: []ext{sni("*.example.com/x")}}, sni: "*.example.com/x", hasSNI: true, amb: AmbInvalid, numExts: 1},
		{name: "several bits", hello: chb{exts: []ext{sni("1.2.3.4", "X\x01"), sni("y")}}, sni: "1.2.3.4", hasSNI: true, amb: AmbIPLiteral | AmbMultipleNames | AmbDuplicateExt, numExts: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := tt.hello.msg()
			var h Hello
			if err := Parse(msg, &h); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := string(h.Name()); got != tt.sni {
				t.Errorf("Name = %q, want %q", got, tt.sni)
			}
			if h.HasSNI() != tt.hasSNI {
				t.Errorf("HasSNI = %v, want %v", h.HasSNI(), tt.hasSNI)
			}
			if h.Ambiguous() != tt.amb {
				t.Errorf("Ambiguous = %v, want %v", h.Ambiguous(), tt.amb)
			}
			if h.ECH() != tt.ech || h.QUIC() != tt.quic || h.PostQuantum() != tt.pq || h.TLS13() != tt.tls13 {
				t.Errorf("ECH, QUIC, PostQuantum, TLS13 = %v %v %v %v, want %v %v %v %v",
					h.ECH(), h.QUIC(), h.PostQuantum(), h.TLS13(), tt.ech, tt.quic, tt.pq, tt.tls13)
			}
			if got := alpnList(&h); !slices.Equal(got, tt.alpn) {
				t.Errorf("ALPN = %q, want %q", got, tt.alpn)
			}
			if !slices.Equal(h.Groups(), tt.groups) {
				t.Errorf("Groups = %#x, want %#x", h.Groups(), tt.groups)
			}
			if h.NumExtensions() != tt.numExts {
				t.Errorf("NumExtensions = %d, want %d", h.NumExtensions(), tt.numExts)
			}
			if h.Version() != 0x0303 {
				t.Errorf("Version = %#x", h.Version())
			}
			if h.seen != ([seenBitWords]uint64{}) {
				t.Error("Parse left bits set in seen")
			}
		})
	}
}

func alpnList(h *Hello) []string {
	var out []string
	for i := range h.NumALPN() {
		out = append(out, string(h.ALPN(i)))
	}
	return out
}

func TestParseErrors(t *testing.T) {
	good := chb{exts: []ext{sni("example.com")}}.msg()
	withExts := func(exts ...ext) []byte { return chb{exts: exts}.msg() }
	// setLen rewrites the uint24 message length.
	setLen := func(m []byte, n int) []byte {
		m = bytes.Clone(m)
		m[1], m[2], m[3] = byte(n>>16), byte(n>>8), byte(n)
		return m
	}
	// body returns a message with the given body.
	body := func(b ...byte) []byte { return append([]byte{1, 0, byte(len(b) >> 8), byte(len(b))}, b...) }
	head := make([]byte, 2+32) // version and random
	tests := []struct {
		name string
		msg  []byte
		want error // ErrNeedMore, ErrTooBig, or the detailed ErrMalformed
	}{
		{"empty", nil, ErrNeedMore},
		{"type only", []byte{1}, ErrNeedMore},
		{"header only", []byte{1, 0, 0}, ErrNeedMore},
		{"wrong type", []byte{2, 0, 0, 0}, errNotClientHello},
		{"wrong type, one byte", []byte{11}, errNotClientHello},
		{"body cut short", good[:len(good)-1], ErrNeedMore},
		{"bytes after the message", append(bytes.Clone(good), 0), errMsgTrailing},
		{"too big", setLen(good, MaxHello-3), ErrTooBig},
		{"largest length short of data", setLen(good, MaxHello-4), ErrNeedMore},
		{"empty body", body(), errBody},
		{"no random", body(3, 3), errBody},
		{"no session id length", body(head...), errBody},
		{"session id past the end", body(append(head, 5, 1)...), errBody},
		{"odd cipher suites", body(append(head, 0, 0, 1, 0x13, 1, 0)...), errBody},
		{"no compression methods", body(append(head, 0, 0, 2, 0x13, 1)...), errBody},
		{"extensions length past the end", body(append(head, 0, 0, 2, 0x13, 1, 1, 0, 0, 5, 0)...), errExtensions},
		{"one byte after compression", body(append(head, 0, 0, 2, 0x13, 1, 1, 0, 0)...), errExtensions},
		{"bytes after extensions", body(append(head, 0, 0, 2, 0x13, 1, 1, 0, 0, 0, 9)...), errExtensions},
		{"extension header cut", body(append(head, 0, 0, 2, 0x13, 1, 1, 0, 0, 2, 0, 0)...), errExtensions},
		{"extension data past the block", body(append(head, 0, 0, 2, 0x13, 1, 1, 0, 0, 4, 0, 0, 0, 9)...), errExtensions},
		{"sni empty list", withExts(raw(extServerName, 0, 0)), errServerName},
		{"sni no list", withExts(raw(extServerName)), errServerName},
		{"sni list past data", withExts(raw(extServerName, 0, 9, 0, 0, 1, 'a')), errServerName},
		{"sni entry cut", withExts(raw(extServerName, 0, 3, 0, 0, 5)), errServerName},
		{"sni bytes after list", withExts(raw(extServerName, 0, 4, 0, 0, 1, 'a', 0)), errServerName},
		{"alpn empty list", withExts(raw(extALPN, 0, 0)), errALPN},
		{"alpn empty protocol", withExts(raw(extALPN, 0, 1, 0)), errALPN},
		{"alpn protocol past list", withExts(raw(extALPN, 0, 2, 5, 'h')), errALPN},
		{"groups empty", withExts(raw(extSupportedGroups, 0, 0)), errGroups},
		{"groups odd", withExts(raw(extSupportedGroups, 0, 3, 0, 29, 0)), errGroups},
		{"key_share empty key", withExts(raw(extKeyShare, 0, 4, 0, 29, 0, 0)), errKeyShare},
		{"key_share cut", withExts(raw(extKeyShare, 0, 3, 0, 29, 0)), errKeyShare},
		{"supported_versions empty", withExts(raw(extSupportedVers, 0)), errVersions},
		{"supported_versions odd", withExts(raw(extSupportedVers, 1, 3)), errVersions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Hello
			err := Parse(tt.msg, &h)
			if err != tt.want {
				t.Fatalf("Parse = %v, want %v", err, tt.want)
			}
			if tt.want != ErrNeedMore && tt.want != ErrTooBig && !errors.Is(err, ErrMalformed) {
				t.Errorf("%v does not wrap ErrMalformed", err)
			}
			if h.HasSNI() || len(h.Name()) != 0 || h.NumExtensions() != 0 {
				t.Error("h not left empty on error")
			}
			if h.seen != ([seenBitWords]uint64{}) {
				t.Error("Parse left bits set in seen")
			}
		})
	}
}

// TestParseResets checks that a Parse leaves nothing of the previous one.
func TestParseResets(t *testing.T) {
	var h Hello
	if err := Parse(chrome("first.example").msg(), &h); err != nil {
		t.Fatal(err)
	}
	if err := Parse(chb{exts: []ext{alpn("h3")}}.msg(), &h); err != nil {
		t.Fatal(err)
	}
	if h.HasSNI() || len(h.Name()) != 0 || h.ECH() || h.PostQuantum() || h.TLS13() || len(h.Groups()) != 0 || h.NumALPN() != 1 || h.Ambiguous() != 0 {
		t.Errorf("state left over: name %q ech %v pq %v groups %v alpn %d", h.Name(), h.ECH(), h.PostQuantum(), h.Groups(), h.NumALPN())
	}
	// A duplicate in a failed parse must not leak into the next one.
	bad := chb{exts: []ext{alpn("h2"), sni("x"), raw(extKeyShare, 0, 4, 0, 29, 0, 0)}}.msg()
	if err := Parse(bad, &h); err == nil {
		t.Fatal("bad key_share accepted")
	}
	if err := Parse(chb{exts: []ext{alpn("h2"), sni("x")}}.msg(), &h); err != nil || h.Ambiguous() != 0 {
		t.Fatalf("after a failed parse: err %v, amb %v", err, h.Ambiguous())
	}
}

func TestALPNOutOfRange(t *testing.T) {
	var h Hello
	defer func() {
		if recover() == nil {
			t.Error("ALPN(0) on an empty Hello did not panic")
		}
	}()
	h.ALPN(0)
}
