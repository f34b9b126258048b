package httphost

import (
	"fmt"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/safeinternet/cpe/nfq/packet"
	"github.com/safeinternet/cpe/nfq/packet/pcaptest"
	"github.com/safeinternet/cpe/nfq/reasm"
)

// flowKey is one direction of a TCP flow.
type flowKey struct{ src, dst netip.AddrPort }

// captureFlow is the client side of one TCP flow to port 80 in a capture.
type captureFlow struct {
	key    flowKey
	syn    bool
	isn    uint32
	firstS uint32 // sequence number of the first data segment
	segs   []captureSeg
}

type captureSeg struct {
	seq  uint32
	data []byte
}

// ipPackets returns the IP packets of the capture at path. pcaptest reads
// them through gopacket, which has no decoder for the raw-IP link types 228
// and 229 (LINKTYPE_IPV4, LINKTYPE_IPV6); those captures are read here.
func ipPackets(t testing.TB, path string) [][]byte {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil || (r.LinkType() != layers.LinkTypeIPv4 && r.LinkType() != 229) {
		return pcaptest.IPPackets(t, path, 0)
	}
	var out [][]byte
	for {
		data, _, err := r.ReadPacketData()
		if err != nil {
			return out
		}
		out = append(out, data)
	}
}

// clientStream is the beginning of a client's side of a TCP flow: the bytes
// reassembled in order, and the first reassembly error that is not about
// the stream's length.
type clientStream struct {
	bytes []byte
	err   error // reasm.ErrConflict or nil
}

// clientStreams returns, for every TCP flow to port 80 in the capture at
// path, the client's first bytes as a router sees them: reassembled in
// order with package reasm from the flow's SYN (or its first data segment
// when the capture missed the SYN), at most reasm.MaxSegments segments, and
// up to the first conflicting overlap.
func clientStreams(t testing.TB, path string) map[flowKey]clientStream {
	flows := map[flowKey]*captureFlow{}
	var order []flowKey
	for _, b := range ipPackets(t, path) {
		var p packet.Parsed
		p.Decode(b)
		if !p.Valid() || p.IPProto != packet.TCP || p.DstPort != 80 {
			continue
		}
		k := flowKey{netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort)}
		f := flows[k]
		if f == nil {
			f = &captureFlow{key: k}
			flows[k] = f
			order = append(order, k)
		}
		if p.TCPFlags&packet.TCPSyn != 0 && !f.syn {
			f.syn, f.isn = true, p.Seq
		}
		if pl := p.Payload(); len(pl) > 0 {
			if len(f.segs) == 0 {
				f.firstS = p.Seq
			}
			seq := p.Seq
			if p.TCPFlags&packet.TCPSyn != 0 {
				seq++ // SYN+data: the payload starts after the SYN
			}
			f.segs = append(f.segs, captureSeg{seq, slices.Clone(pl)})
		}
	}
	out := map[flowKey]clientStream{}
	buf := make([]byte, 16<<10)
	for _, k := range order {
		f := flows[k]
		if len(f.segs) == 0 {
			continue
		}
		start := f.firstS
		if f.syn {
			start = f.isn + 1
		}
		var s reasm.Stream
		s.Init(buf, start, reasm.MaxSegments)
		var failed error
		for _, sg := range f.segs {
			_, err := s.Add(sg.seq, sg.data)
			if err == reasm.ErrConflict {
				failed = err
			}
			if err != nil && err != reasm.ErrTooBig {
				break
			}
		}
		out[k] = clientStream{slices.Clone(s.Contiguous()), failed}
	}
	return out
}

// tsharkHosts are the Host headers of the first request of every port-80 flow
// of the shared captures, as tshark 4.0 reads them:
//
//	tshark -r FILE -Y 'http.request && tcp.dstport==80' -T fields -e tcp.stream -e http.host |
//	awk -F'\t' '!seen[$1]++ {print $2}' | sort | uniq -c
//
// host → number of flows; "" is a request without Host (HTTP/1.0 OCSP).
//
// Two kinds of entry are this package's, for flows where tshark reads no
// HTTP request: "!conflict" is a flow that reassembly refuses
// (zeek/tcp/reassembly.pcap retransmits segments of a WebDAV "SEARCH /AAAA…"
// attack, a 30 KB request line, with different bytes); "!not-http" is a
// flow to port 80 that Parse calls ErrNotHTTP (TLS ClientHellos sent to port
// 80, and DNS over HTTP/2 with prior knowledge, "PRI * HTTP/2.0").
var tsharkHosts = map[string]map[string]int{
	"ndpi/anyconnect-vpn.pcap": {"detectportal.firefox.com": 2},
	"ndpi/dotenv.pcap":         {"sevenpitaly.com": 1},
	"ndpi/quickplay.pcap": {
		"api-singtelhawk.quickplay.com": 3, "api.account.xiaomi.com": 1, "clients3.google.com": 1,
		"hkextshort.weixin.qq.com": 4, "hkminorshort.weixin.qq.com": 1, // absolute-form POSTs
		"play-singtelhawk.quickplay.com": 1, "vod-singtelhawk.quickplay.com": 7, "www.facebook.com": 3,
	},
	"ndpi/tls_certificate_too_long.pcap": {"www.microsoft.com": 2},
	"suricata-verify/tls/tls-subjectaltname/input.pcap": {
		"api.tretti.com": 1, "bedreboligliv.dk": 1, "ctldl.windowsupdate.com": 2, "kaffetildig.dk": 1,
		"madmaskiner.dk": 3, "media3.bsh-group.com": 1, "ocsp.digicert.com": 2, "ocsp.pki.goog": 3,
		"primabolig.dk": 1, "r3.o.lencr.org": 1, "statusd.digitalcertvalidation.com": 1,
		"subca.ocsp-certum.com": 1, "www.befro.dk": 1, "www.coffeecircle.com": 2, "www.ereviews.dk": 1,
		"www.havenyt.dk": 1, "www.svane.com": 1, "x1.c.lencr.org": 1, "yandex.ocsp-responder.com": 1,
	},
	"zeek/tls/ocsp-empty-responderid.pcap": {"ocsp.evil.test": 1},
	"zeek/tls/ocsp-http-get.pcap":          {"clients1.google.com": 1},
	"zeek/tls/ocsp-request-only.pcap":      {"ocsp.godaddy.com": 1},
	"zeek/tls/ocsp-request-response.pcap":  {"ocsp.godaddy.com": 1},
	"zeek/tls/ocsp-revoked.pcap":           {"": 4},
	"zeek/tcp/reassembly.pcap":             {"!conflict": 1},

	"ndpi/tls_port_80.pcapng":                                      {"!not-http": 1},
	"zeek/tls/https-to-http.pcap":                                  {"!not-http": 1},
	"zeek/tls/ssl-to-http-server.pcap":                             {"!not-http": 1},
	"suricata-verify/dns-over-http2/dns_over_https.pcap":           {"!not-http": 1},
	"suricata-verify/dns-over-http2-post/dns_over_https_POST.pcap": {"!not-http": 1},
}

// plausibleHost reports whether h looks like a host[:port]: name bytes,
// dots, colons and brackets only.
func plausibleHost(h []byte) bool {
	for _, c := range h {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte(".-_:[]", c) >= 0:
		default:
			return false
		}
	}
	return len(h) > 0
}

// TestCaptures reads the first request of every port-80 flow of the shared
// captures: each one that starts with a method parses, names a plausible
// host (or none, for HTTP/1.0), is not ambiguous, and the hosts per capture
// are the ones tshark reads; the flows that are not HTTP are the expected
// ones.
func TestCaptures(t *testing.T) {
	dir := pcaptest.DataDir(t)
	seen := map[string]bool{}
	for _, path := range pcaptest.Files(t) {
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		got := map[string]int{}
		for k, cs := range clientStreams(t, path) {
			if cs.err != nil { // only reasm.ErrConflict is kept
				got["!conflict"]++
				continue
			}
			stream := cs.bytes
			var r Request
			err := Parse(stream, &r)
			if err == ErrNotHTTP {
				got["!not-http"]++
				continue
			}
			if err != nil {
				t.Errorf("%s %v: Parse(%.60q…) = %v", rel, k, stream, err)
				continue
			}
			if r.Ambiguous() || r.Truncated() {
				t.Errorf("%s %v: ambiguous %v truncated %v in a real request", rel, k, r.Ambiguous(), r.Truncated())
			}
			if !plausibleHost(r.Host()) && !(len(r.Host()) == 0 && strings.Contains(string(stream[:min(len(stream), 200)]), " HTTP/1.0\r\n")) {
				t.Errorf("%s %v: implausible host %q", rel, k, r.Host())
			}
			got[string(r.Host())]++
		}
		if len(got) == 0 {
			continue
		}
		seen[rel] = true
		if want := tsharkHosts[rel]; !maps.Equal(got, want) {
			t.Errorf("%s: hosts %v, tshark says %v", rel, got, want)
		}
		t.Logf("%s: %s", rel, fmt.Sprint(got))
	}
	for rel := range tsharkHosts {
		if !seen[rel] {
			t.Errorf("%s: no HTTP request found, tshark reads %v", rel, tsharkHosts[rel])
		}
	}
}
