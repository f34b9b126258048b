package hello

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/safeinternet/cpe/nfq/packet"
	"github.com/safeinternet/cpe/nfq/packet/pcaptest"
)

// maxStream bounds how much of each direction of a captured flow the test
// helper keeps: the beginning is all that matters here.
const maxStream = 64 << 10

// tcpStreams returns the payload of each direction of each TCP flow in the
// capture at path, concatenated in sequence order from its first byte, in
// order of first appearance. It is the simple reassembly a test needs, not
// the product's: retransmitted bytes are dropped, and a direction stops at
// its first gap (a segment ahead of the next expected byte).
func tcpStreams(tb testing.TB, path string) [][]byte {
	tb.Helper()
	type dir struct {
		next    uint32
		started bool
		gap     bool
		data    []byte
	}
	type key struct{ src, dst netip.AddrPort }
	dirs := map[key]*dir{}
	var order []key
	for _, b := range pcaptest.IPPackets(tb, path, 0) {
		var p packet.Parsed
		p.Decode(b)
		if !p.Valid() || p.IPProto != packet.TCP {
			continue
		}
		k := key{netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort)}
		d := dirs[k]
		if d == nil {
			d = &dir{}
			dirs[k] = d
			order = append(order, k)
		}
		const syn = 0x02
		if p.TCPFlags&syn != 0 {
			if !d.started {
				d.next, d.started = p.Seq+1, true
			}
			continue
		}
		pl := p.Payload()
		if len(pl) == 0 || d.gap {
			continue
		}
		if !d.started {
			d.next, d.started = p.Seq, true
		}
		ahead := int32(p.Seq - d.next)
		switch {
		case ahead > 0:
			d.gap = true
		case int(-ahead) < len(pl):
			if room := maxStream - len(d.data); room > 0 {
				add := pl[-ahead:]
				d.data = append(d.data, add[:min(len(add), room)]...)
			}
			d.next = p.Seq + uint32(len(pl))
		}
	}
	var out [][]byte
	for _, k := range order {
		if d := dirs[k]; len(d.data) > 0 {
			out = append(out, d.data)
		}
	}
	return out
}

// captureHellos returns the ClientHello messages of the capture: the first
// handshake message of every client→server stream, when it is a
// client_hello, and a second one when the client sent it (after a
// HelloRetryRequest: change_cipher_spec records, then a client_hello).
// Streams that are not TLS, or whose first message cannot be reassembled,
// are left out; the messages are copies.
func captureHellos(tb testing.TB, path string) [][]byte {
	tb.Helper()
	var out [][]byte
	dst := make([]byte, 0, MaxHello)
	for _, s := range tcpStreams(tb, path) {
		msg, used, err := Handshake(dst, s)
		if err != nil || msg[0] != typeClientHello {
			continue
		}
		out = append(out, bytes.Clone(msg))
		rest := skipCCS(s[used:])
		if msg, _, err := Handshake(dst, rest); err == nil && msg[0] == typeClientHello {
			var h Hello
			if Parse(msg, &h) == nil {
				out = append(out, bytes.Clone(msg))
			}
		}
	}
	return out
}

// skipCCS skips whole change_cipher_spec records at the start of b.
func skipCCS(b []byte) []byte {
	for len(b) >= recordHeaderLen && b[0] == 20 {
		n := recordHeaderLen + int(b[3])<<8 + int(b[4])
		if n > len(b) {
			break
		}
		b = b[n:]
	}
	return b
}

// helloNames parses each message and returns the names as EXPECTED.tsv
// writes them (lowercased, "-" for none), and how many messages Parse
// refused.
func helloNames(msgs [][]byte) (names []string, refused int) {
	var h Hello
	for _, m := range msgs {
		if err := Parse(m, &h); err != nil {
			refused++
			continue
		}
		n := string(h.Name())
		if !h.HasSNI() {
			n = "-"
		}
		names = append(names, n)
	}
	return names, refused
}

// TestCaptures reads the ClientHellos of the hard captures named in the
// shared data README and compares their names with tshark's (EXPECTED.tsv).
func TestCaptures(t *testing.T) {
	dir := pcaptest.DataDir(t)
	expected := pcaptest.Expected(t, dir, "tls")
	tests := []struct {
		file    string
		resplit bool // the capture has one big segment; re-cut it into 1-byte records too
		check   func(t *testing.T, h *Hello, msg []byte)
	}{
		{file: "zeek/tls/chrome-1250-tls-x25519-kyber.pcap", check: func(t *testing.T, h *Hello, msg []byte) {
			if !h.PostQuantum() || len(msg) < 1500 {
				t.Errorf("post-quantum %v, %d bytes: want a PQ hello over 1500 bytes", h.PostQuantum(), len(msg))
			}
		}},
		{file: "suricata-verify/tls/tls-client-hello-frag-01/dump_mtu300.pcap"},
		{file: "ndpi/tls_with_huge_ch.pcapng", check: func(t *testing.T, h *Hello, msg []byte) {
			if len(msg) < 11000 {
				t.Errorf("hello of %d bytes, want the 11 KB one", len(msg))
			}
		}},
		{file: "zeek/tls/tls13-ech.pcap", check: func(t *testing.T, h *Hello, msg []byte) {
			if !h.ECH() {
				t.Error("ECH not seen")
			}
		}},
		{file: "ndpi/tls_ech.pcapng", check: func(t *testing.T, h *Hello, msg []byte) {
			if !h.ECH() {
				t.Error("ECH not seen")
			}
		}},
		{file: "suricata-verify/tls/tls-fin-close-data-01/debug-s13.pcap", resplit: true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(dir, tt.file)
			if _, err := os.Stat(path); err != nil {
				t.Skipf("capture absent: %v", err)
			}
			msgs := captureHellos(t, path)
			got, refused := helloNames(msgs)
			if refused > 0 {
				t.Errorf("Parse refused %d hellos", refused)
			}
			want := expected[tt.file]
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("names %q, tshark %q", got, want)
			}
			// Every prefix of the real stream (however it was segmented) is
			// a valid prefix: ErrNeedMore.
			dst := make([]byte, 0, MaxHello)
			for _, s := range tcpStreams(t, path) {
				msg, used, err := Handshake(dst, s)
				if err != nil || msg[0] != typeClientHello {
					continue
				}
				for n := range used {
					if _, _, err := Handshake(dst, s[:n]); err != ErrNeedMore {
						t.Fatalf("stream cut at %d of %d: %v", n, used, err)
					}
				}
			}
			for _, m := range msgs {
				var h Hello
				if err := Parse(m, &h); err != nil {
					continue
				}
				if h.Ambiguous() != 0 {
					t.Errorf("%q: ambiguous %v", h.Name(), h.Ambiguous())
				}
				if tt.check != nil {
					tt.check(t, &h, m)
				}
				if tt.resplit {
					stream := records(m, ones(len(m)-1)...)
					got, _, err := Handshake(make([]byte, 0, MaxHello), stream)
					if err != nil || !bytes.Equal(got, m) {
						t.Errorf("re-cut into 1-byte records: %v", err)
					}
				}
			}
		})
	}
}

// notTLSPortForTshark are captures where tshark does not dissect TLS (it
// runs on a port tshark maps to HTTP), so EXPECTED.tsv has no line for the
// ClientHello that Handshake rightly finds.
var notTLSPortForTshark = map[string]bool{
	"ndpi/tls_port_80.pcapng":          true,
	"zeek/tls/https-to-http.pcap":      true,
	"zeek/tls/ssl-to-http-server.pcap": true,
}

// TestAllCaptures reads every stream of every shared capture that starts
// with a handshake record. Each one goes through the crypto/tls oracle, and
// every name read must be one tshark reports for that capture. tshark
// finds more than this: ClientHellos after STARTTLS or inside OpenVPN and
// proxy tunnels (not at the start of a stream), SSLv2-format hellos, and
// malformed hellos (tshark says "-", Parse says ErrMalformed, and crypto/tls
// refuses them too).
func TestAllCaptures(t *testing.T) {
	dir := pcaptest.DataDir(t)
	expected := pcaptest.Expected(t, dir, "tls")
	streams, accepted := 0, 0
	for _, path := range pcaptest.Files(t) {
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range tcpStreams(t, path) {
			if s[0] != recordTypeHandshake {
				continue
			}
			streams++
			if compareWithGo(t, s) {
				accepted++
			}
		}
		if notTLSPortForTshark[rel] {
			continue
		}
		left := slices.Clone(expected[rel])
		names, _ := helloNames(captureHellos(t, path))
		for _, n := range names {
			i := slices.Index(left, n)
			if i < 0 {
				t.Errorf("%s: name %q not in tshark's %q", rel, n, expected[rel])
				continue
			}
			left = slices.Delete(left, i, i+1)
		}
	}
	t.Logf("%d streams start with a handshake record; crypto/tls took %d as ClientHellos, all read alike", streams, accepted)
}
