package hello

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/safeinternet/cpe/nfq/packet/pcaptest"
)

// captureStreams returns the beginnings (up to 4 KB: the fuzzer minimizes
// new inputs byte by byte, slowly for big ones) of the TCP streams
// of the shared captures that start with a handshake record, at most
// perFile from each; none when the captures are absent.
func captureStreams(tb testing.TB, perFile int) [][]byte {
	var out [][]byte
	for _, path := range pcaptest.Files(tb) {
		n := 0
		for _, s := range tcpStreams(tb, path) {
			if n == perFile {
				break
			}
			if s[0] == recordTypeHandshake {
				out = append(out, s[:min(len(s), 4<<10)])
				n++
			}
		}
	}
	return out
}

// seedHellos are hand-built ClientHello messages for the fuzzers.
func seedHellos() [][]byte {
	return [][]byte{
		chrome("www.example.com").msg(),
		chb{noExts: true}.msg(),
		chb{exts: []ext{sni("a.b", "c.d"), sni("e"), alpn("h2", "h3"), groups(0x11ec, 29), keyShare(29), versions(0x0304)}}.msg(),
		chb{exts: []ext{sniEntries(sniEntry{1, "x"}, sniEntry{0, "Y.Example."}), raw(extQUICParams, 1, 2, 3), raw(extECH)}}.msg(),
		chb{exts: []ext{sni(strings.Repeat("abc.", 70) + "com"), padding(512)}}.msg(),
	}
}

func FuzzHandshake(f *testing.F) {
	for _, m := range seedHellos() {
		f.Add(records(m))
		f.Add(records(m, 1, 3, 50))
		f.Add(cat(records(m, 7), record(20, 0x0303, []byte{1}), records(m)))
	}
	f.Add([]byte("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"))
	for _, s := range captureStreams(f, 2) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, stream []byte) {
		orig := bytes.Clone(stream)
		dst := make([]byte, 0, MaxHello)
		msg, used, err := Handshake(dst, stream)
		if !bytes.Equal(stream, orig) {
			t.Fatal("Handshake modified stream")
		}
		switch {
		case err == nil:
		case err == ErrNeedMore, err == ErrNotTLS, err == ErrTooBig, errors.Is(err, ErrMalformed):
			if msg != nil || used != 0 {
				t.Fatalf("error %v with msg %d bytes, used %d", err, len(msg), used)
			}
		default:
			t.Fatalf("unexpected error %v", err)
		}
		// What is decided on a prefix stays decided: an error other than
		// ErrNeedMore on a prefix is the error on the whole stream.
		for _, k := range []int{1, 5, 6, 9, len(stream) / 2, len(stream) - 1} {
			if k <= 0 || k >= len(stream) {
				continue
			}
			if _, _, perr := Handshake(dst, stream[:k]); perr != ErrNeedMore && perr != err {
				t.Fatalf("prefix of %d bytes: %v; whole stream: %v", k, perr, err)
			}
		}
		if err == nil {
			checkReassembly(t, stream, msg, used)
			if _, _, perr := Handshake(dst, stream[:used-1]); perr != ErrNeedMore {
				t.Fatalf("stream cut one byte short of the message: %v", perr)
			}
			var h Hello
			if perr := Parse(msg, &h); perr == nil {
				checkHello(t, &h)
			}
		}
		compareWithGo(t, stream)
	})
}

// checkReassembly recomputes what Handshake returned: msg is the
// concatenated payloads of the handshake records in stream[:used], and
// its header announces exactly its length.
func checkReassembly(t *testing.T, stream, msg []byte, used int) {
	t.Helper()
	if used <= 0 || used > len(stream) {
		t.Fatalf("used %d of %d", used, len(stream))
	}
	var want []byte
	for p := 0; p < used; {
		if p+recordHeaderLen > used || stream[p] != recordTypeHandshake {
			t.Fatalf("record at %d not a whole handshake record within used", p)
		}
		n := int(stream[p+3])<<8 | int(stream[p+4])
		want = append(want, stream[p+recordHeaderLen:p+recordHeaderLen+n]...)
		p += recordHeaderLen + n
	}
	if !bytes.Equal(msg, want) {
		t.Fatalf("msg is not the records' payloads")
	}
	if len(msg) < handshakeHeaderLen || len(msg) > MaxHello ||
		len(msg) != handshakeHeaderLen+(int(msg[1])<<16|int(msg[2])<<8|int(msg[3])) {
		t.Fatalf("msg of %d bytes, header % x", len(msg), msg[:min(4, len(msg))])
	}
}

// checkHello checks the invariants of a successfully parsed Hello.
func checkHello(t *testing.T, h *Hello) {
	t.Helper()
	name := h.Name()
	if len(name) > maxNameLen {
		t.Fatalf("name of %d bytes", len(name))
	}
	for _, c := range name {
		if 'A' <= c && c <= 'Z' {
			t.Fatalf("name %q not lowercased", name)
		}
	}
	if !h.HasSNI() && (len(name) != 0 || h.Ambiguous()&(AmbControl|AmbIPLiteral|AmbInvalid) != 0) {
		t.Fatalf("no SNI, but name %q and %v", name, h.Ambiguous())
	}
	if h.NumALPN() > maxALPN || len(h.Groups()) > maxGroups {
		t.Fatalf("%d ALPN, %d groups kept", h.NumALPN(), len(h.Groups()))
	}
	for i := range h.NumALPN() {
		if len(h.ALPN(i)) == 0 {
			t.Fatalf("empty ALPN %d", i)
		}
	}
	if h.seen != ([seenBitWords]uint64{}) {
		t.Fatal("Parse left bits set in seen")
	}
}

func FuzzParse(f *testing.F) {
	for _, m := range seedHellos() {
		f.Add(m)
	}
	for _, s := range captureStreams(f, 2) {
		if msg, _, err := Handshake(nil, s); err == nil {
			f.Add(bytes.Clone(msg))
		}
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		orig := bytes.Clone(msg)
		var h Hello
		err := Parse(msg, &h)
		if !bytes.Equal(msg, orig) {
			t.Fatal("Parse modified msg")
		}
		switch {
		case err == nil:
			checkHello(t, &h)
			if perr := Parse(msg[:len(msg)-1], &h); perr != ErrNeedMore {
				t.Fatalf("message cut one byte short: %v", perr)
			}
		case err == ErrNeedMore, err == ErrTooBig, errors.Is(err, ErrMalformed):
			if h.HasSNI() || h.NumExtensions() != 0 || h.seen != ([seenBitWords]uint64{}) {
				t.Fatalf("h not left empty after %v", err)
			}
		default:
			t.Fatalf("unexpected error %v", err)
		}
		if len(msg) > 0 && len(msg) <= MaxHello {
			compareWithGo(t, records(msg))
		}
	})
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"example.com", "WWW.Example.COM.", "a..b", ".", "", "10.0.0.1", "0x7f.1", "[::1]:443",
		"::ffff:1.2.3.4", "a\x00b", "xn--bcher-kva.example", strings.Repeat("a.", 130) + "com",
		"host:80", " host ", "[v6", "b\xc3\xbccher.de",
	} {
		f.Add([]byte(s))
	}
	for _, m := range seedHellos() {
		var h Hello
		if Parse(m, &h) == nil {
			f.Add(bytes.Clone(h.Name()))
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		orig := bytes.Clone(raw)
		var dst [253]byte
		name, amb := Normalize(&dst, raw)
		if !bytes.Equal(raw, orig) {
			t.Fatal("Normalize modified raw")
		}
		trimmed := strings.TrimSuffix(string(raw), ".")
		lower := asciiLower(trimmed)
		if len(name) > maxNameLen || !strings.HasSuffix(lower, string(name)) {
			t.Fatalf("Normalize(%q) = %q: not a suffix of %q", raw, name, lower)
		}
		cut := len(trimmed) > maxNameLen
		if cut != (len(name) < len(lower)) {
			t.Fatalf("Normalize(%q) = %q: cut %v", raw, name, cut)
		}
		if cut && (amb&AmbInvalid == 0 || (len(name) > 0 && lower[len(lower)-len(name)-1] != '.')) {
			t.Fatalf("Normalize(%q) = %q, %v: cut not at a label", raw, name, amb)
		}
		if amb == 0 {
			for _, label := range strings.Split(string(name), ".") {
				if len(label) == 0 || len(label) > 63 || strings.Trim(label, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
					t.Fatalf("Normalize(%q) = %q with no ambiguity", raw, name)
				}
			}
		}
		if !cut && !bytes.HasSuffix(name, []byte(".")) {
			var dst2 [253]byte
			if again, amb2 := Normalize(&dst2, name); !bytes.Equal(again, name) || amb2 != amb {
				t.Fatalf("Normalize not idempotent: %q %v → %q %v", name, amb, again, amb2)
			}
		}
		host, _ := NormalizeHost(&dst, raw)
		if len(host) > maxNameLen || string(host) != asciiLower(string(host)) {
			t.Fatalf("NormalizeHost(%q) = %q", raw, host)
		}
	})
}
