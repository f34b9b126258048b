package inspect

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/safeinternet/cpe/nfq/packet/pcaptest"
)

// TestKnownCaptures checks the tls, quic and http records of captures
// whose contents were read by hand with tshark (frame numbers, names,
// ALPN, ECH and key share groups), one line per record as printed. The
// tls and quic names are also in EXPECTED.tsv (TestMatchesOracle); these
// cases pin the frame, the flow and the extra fields, and the http hosts
// and error records, which the oracle does not cover as closely.
func TestKnownCaptures(t *testing.T) {
	dir := pcaptest.DataDir(t)
	tests := []struct {
		file string
		want []string // the non-DNS lines
	}{
		// Real ECH: outer SNI cloudflare-ech.com, encrypted_client_hello present.
		{"zeek/tls/tls13-ech.pcap", []string{
			`{"frame":7,"flow":"192.168.20.65:51066>162.159.138.85:443/tcp","kind":"tls","name":"cloudflare-ech.com","alpn":["h2","http/1.1"],"ech":true,"pq":false}`,
			`{"frame":39,"flow":"192.168.20.65:51071>162.159.138.85:443/tcp","kind":"tls","name":"cloudflare-ech.com","alpn":["h2","http/1.1"],"ech":true,"pq":false}`,
		}},
		// Chrome 125 with X25519Kyber768 (0x6399) and GREASE ECH.
		{"zeek/tls/chrome-1250-tls-x25519-kyber.pcap", []string{
			`{"frame":4,"flow":"0.0.51.217:13783>142.250.200.14:443/tcp","kind":"tls","name":"lh3.google.com","alpn":["h2","http/1.1"],"ech":true,"pq":true}`,
		}},
		// ClientHello over 3 segments (MTU 300): completed by frame 6.
		{"suricata-verify/tls/tls-client-hello-frag-01/dump_mtu300.pcap", []string{
			`{"frame":6,"flow":"10.20.0.14:38576>142.251.111.105:443/tcp","kind":"tls","name":"www.google.com","alpn":["h2","http/1.1"],"ech":false,"pq":false}`,
		}},
		// An 11 KB ClientHello over 12 segments, no SNI.
		{"ndpi/tls_with_huge_ch.pcapng", []string{
			`{"frame":27,"flow":"172.30.84.193:40640>208.253.217.142:443/tcp","kind":"tls","name":"-","alpn":["h2","http/1.1"],"ech":false,"pq":false}`,
		}},
		// HelloRetryRequest (frame 6); the second ClientHello follows a
		// change_cipher_spec in frame 8.
		{"zeek/tls/hrr.pcap", []string{
			`{"frame":4,"flow":"10.192.48.168:63564>64.233.185.139:443/tcp","kind":"tls","name":"-","ech":false,"pq":false}`,
			`{"frame":8,"flow":"10.192.48.168:63564>64.233.185.139:443/tcp","kind":"tls","name":"-","ech":false,"pq":false,"hello":2}`,
		}},
		// The ClientHello's second segment (stream bytes 1025-1505) is not in
		// the capture; the client's later data waits behind the hole.
		{"ndpi/tls_missing_ch_frag.pcap", []string{
			`{"frame":12,"flow":"192.168.0.1:33063>10.10.10.1:443/tcp","kind":"tls","name":"","error":"capture ended before the ClientHello was complete"}`,
		}},
		// SSL 2.0-format ClientHello on port 443.
		{"zeek/tls/ssl-v2.pcap", []string{
			`{"frame":4,"flow":"192.168.4.149:59062>91.227.4.92:443/tcp","kind":"tls","name":"","error":"reading: port 443 or 80 flow starts with neither a TLS handshake nor an HTTP request"}`,
		}},
		// CRYPTO frames out of order across Initials.
		{"suricata-verify/quic-frag-unordered/input.pcap", []string{
			`{"frame":2,"flow":"192.168.0.5:52755>151.101.129.91:443/udp","kind":"quic","name":"mastodon.social","alpn":["h3"],"ech":true,"pq":true}`,
		}},
		// QUIC version 2.
		{"zeek/quic/quicv2-echo-443.pcap", []string{
			`{"frame":1,"flow":"127.0.0.1:49320>127.0.0.1:443/udp","kind":"quic","name":"localhost","alpn":["quic-echo-example"],"ech":false,"pq":false}`,
		}},
		// Three 0-RTT datagrams captured before the Initials (frames 1-3);
		// the ClientHello is complete at frame 9.
		{"zeek/quic/quic-decrypt-fail-google-de-51833.pcap", []string{
			`{"frame":9,"flow":"[2a0a:4587:2030:817:656b:fb57:5125:cb8f]:51883>[2a00:1450:4001:831::2003]:443/udp","kind":"quic","name":"www.google.de","alpn":["h3"],"ech":true,"pq":true}`,
		}},
		// Draft-28 on port 4443 (not read, and no Initial of v1/v2 there),
		// then v1 on 443 with 0-RTT packets (frames 3, 4) before the Initial.
		{"ndpi/quic_0RTT.pcap", []string{
			`{"frame":5,"flow":"192.168.2.100:51972>142.250.181.227:443/udp","kind":"quic","name":"ssl.gstatic.com","alpn":["h3"],"ech":false,"pq":false}`,
		}},
		// QUIC on a custom port, found by its Initial header.
		{"zeek/quic/chromium-dpd-custom-port-4433.pcap", []string{
			`{"frame":1,"flow":"82.239.54.117:53727>110.213.53.115:4433/udp","kind":"quic","name":"api.cirrus-ci.com","alpn":["h3"],"ech":false,"pq":false}`,
		}},
		// OCSP over HTTP/1.0 without Host: no name, and a request without a
		// host is ambiguous to the packet path (as hello.NormalizeHost says
		// of an empty host).
		{"zeek/tls/ocsp-revoked.pcap", []string{
			`{"frame":4,"flow":"192.168.6.109:41812>23.5.251.27:80/tcp","kind":"http","name":"-","ambiguous":"invalid"}`,
			`{"frame":16,"flow":"192.168.6.109:41813>23.5.251.27:80/tcp","kind":"http","name":"-","ambiguous":"invalid"}`,
			`{"frame":29,"flow":"192.168.6.109:41814>23.5.251.27:80/tcp","kind":"http","name":"-","ambiguous":"invalid"}`,
			`{"frame":42,"flow":"192.168.6.109:41815>23.5.251.27:80/tcp","kind":"http","name":"-","ambiguous":"invalid"}`,
		}},
		// A WebDAV SEARCH whose head spans segments, one lost and later
		// retransmitted with different bytes: an evasion to the packet path.
		{"zeek/tcp/reassembly.pcap", []string{
			`{"frame":50,"flow":"63.193.213.194:2564>128.3.97.175:80/tcp","kind":"http","name":"","evasion":true,"error":"reasm: overlap with different bytes"}`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(dir, tt.file)
			if _, err := os.Stat(path); err != nil {
				t.Skipf("%s absent", path)
			}
			var got []string
			for _, r := range runRecords(t, path) {
				if r.Kind == KindDNSQuery || r.Kind == KindDNSResponse {
					continue
				}
				got = append(got, r.line)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got\n%s\nwant\n%s", join(got), join(tt.want))
			}
		})
	}
}

// TestKnownHTTPCapture checks the first request of each connection of a
// capture that starts in the middle of some of them (tshark:
// http.request frames 1, 3, 5, 7, 9, 10 are the first of their tcp.stream).
func TestKnownHTTPCapture(t *testing.T) {
	path := filepath.Join(pcaptest.DataDir(t), "ndpi", "quickplay.pcap")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s absent", path)
	}
	var got []string
	for _, r := range runRecords(t, path) {
		if r.Kind == KindHTTP && r.Frame <= 10 {
			got = append(got, itoa(r.Frame)+" "+r.Name)
		}
	}
	want := []string{"1 api-singtelhawk.quickplay.com", "3 api-singtelhawk.quickplay.com", "5 api-singtelhawk.quickplay.com",
		"7 www.facebook.com", "9 www.facebook.com", "10 clients3.google.com"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func join(lines []string) string {
	s := ""
	for _, l := range lines {
		s += "  " + l + "\n"
	}
	return s
}

// BenchmarkWalkTLSAndQUIC walks captures rich in ClientHellos (segmented,
// post-quantum, QUIC Initials out of order), read into memory first.
func BenchmarkWalkTLSAndQUIC(b *testing.B) {
	dir := pcaptest.DataDir(b)
	var caps [][]byte
	for _, f := range []string{"ndpi/tls_with_huge_ch.pcapng", "zeek/tls/chrome-1250-tls-x25519-kyber.pcap",
		"suricata-verify/quic-frag-unordered/input.pcap", "ndpi/quickplay.pcap"} {
		c, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			b.Skipf("%s: %v", f, err)
		}
		caps = append(caps, c)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, c := range caps {
			if _, err := Walk(bytes.NewReader(c), Options{}, func(Record) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	}
}
