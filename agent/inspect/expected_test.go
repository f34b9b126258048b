package inspect

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/safeinternet/cpe/nfq/packet/pcaptest"
)

// The oracle is ../shared/data/pcap/EXPECTED.tsv: what tshark 4.0 shows for
// every capture (see the data README and oracle.sh). This test runs inspect
// over every capture and compares the names of every kind of the oracle
// (dns-query, dns-response, tls, quic, http), per file and kind, as
// multisets. Our records with an error carry no name and are left out;
// tshark prints nothing for the flows they are about.
//
// These rules bring both sides to one shape before comparing; they are
// about how oracle.sh prints, not about what either side reads:
//   - oracle.sh prints one line per frame and tshark joins the names of all
//     DNS messages and all questions in the frame with ','. Both sides'
//     DNS names are split on ',' (no name in the captures holds a comma).
//   - tshark prints the root name as "<root>"; we print "".
//   - ClientHello names: oracle.sh splits the frame's names on ',' and then
//     on blanks (bash word splitting of an unquoted ${sni//,/ }) and prints
//     "-" for a frame without one; both sides' tls and quic names are split
//     that way, and an empty name (server_name present but empty) is "-".
//   - HTTP hosts: oracle.sh drops ":port" and skips requests without a
//     host; we drop the port too (hello.NormalizeHost) and print "-" for no
//     host (listed below).
//   - oracle.sh lowercases with bash's ${q,,} in a UTF-8 locale, which also
//     folds non-ASCII letters (U+04BE to U+04BF in the iodine tunnel names);
//     DNS folds ASCII only (RFC 4343) and so do we. Both sides are compared
//     after Unicode lowercasing.
//   - Names that are not valid UTF-8 (DNS tunnels) are shown with U+FFFD.
//     We replace each maximal ill-formed subsequence (Unicode §3.9, as
//     Wireshark's own get_utf_8_string does); tshark 4.0 prints names
//     through format_text, which still decodes the pre-2003 5- and 6-byte
//     forms, so a byte F8-FD followed by a continuation byte is one U+FFFD
//     there and two here (checked byte by byte on the iodine capture: raw
//     "fb bd" gives one U+FFFD in EXPECTED.tsv). Both sides collapse runs of
//     U+FFFD before comparing.
//   How many of our names the last two rules changed is logged.
//
// Every remaining difference is in knownDiffs with its reason, or the test
// fails; a listed difference that no longer occurs fails too, so the table
// stays true. The counts per kind are logged (go test -v -run
// TestMatchesOracle).

// side says which way a difference goes.
type side string

const (
	onlyOracle side = "only-oracle" // tshark shows it, we do not
	onlyOurs   side = "only-ours"   // we show it, tshark does not
)

// knownDiff is a difference that is understood. With allNames, it covers
// every name of file, kind and side not covered by an exact entry, and count
// is their total.
type knownDiff struct {
	file     string
	kind     Kind
	side     side
	name     string
	allNames bool
	count    int
	reason   string
}

// Reasons for known differences; how each was checked is said with it.
const (
	// tshark decodes DNS on UDP 443 (DNSCrypt certificate queries, and one
	// junk QUIC packet it takes for DNS); checked with `tshark -T fields -e
	// udp.port`. Only port 53 is DNS to the router; UDP 443 is QUIC to the
	// packet path.
	reasonPort443 = "DNS on UDP port 443: not a DNS port"
	// DNS over TCP port 5353 (unicast, not mDNS, which is UDP): tshark's
	// DNS dissector takes TCP 5353; we read port 53 only.
	reasonTCP5353 = "DNS on TCP port 5353: not a DNS port"
	// DNS carried in cleartext HTTP/2 (DoH test captures, ports 80/8080):
	// tshark decodes application/dns-message bodies; on a router DoH is TLS
	// and judged by its TLS name (a later issue).
	reasonDoH = "DNS inside HTTP/2 (DoH): not read as DNS"
	// Frames shorter than their IP length (cut by the capture, or forged
	// lengths): tshark reads the partial DNS message and flags it malformed
	// ("IPv4 total length exceeds packet length"); the packet path judges
	// whole packets only.
	reasonCut = "frame cut short of its IP length: not read"
	// A message with QDCOUNT > 1: tshark lists every question; we report the
	// first, which is what servers answer and what the packet path judges.
	reasonExtraQuestion = "second and later questions of one message: not read"
	// QDCOUNT 0 (inverse queries, a response without question): tshark
	// prints an empty name; there is no name to report.
	reasonNoQuestion = "message without a question: tshark prints an empty name"
	// A question name that cannot be read (label past the end, pointer
	// loop, reserved label type, SNMP sent to port 53): tshark prints ""
	// or a placeholder such as "<Name contains a pointer that loops>";
	// Parse rejects the message as malformed.
	reasonBadName = "unreadable question name: tshark prints a placeholder"

	// TLS after a plaintext exchange (SMTP, IMAP, POP3, FTP and XMPP
	// STARTTLS; tshark's ClientHello frames are on ports 25, 143, 110, 21,
	// 5222, 5269 after the commands). The packet path reads a flow's first
	// bytes only, which are the protocol's commands: no name.
	reasonSTARTTLS = "ClientHello after STARTTLS: not at the start of the stream"
	// TLS carried inside OpenVPN's control channel (frame.protocols
	// "…:openvpn:tls", port 1194 TCP and UDP): the stream starts with
	// OpenVPN's framing. On port 443 the packet path judges such a flow
	// unreadable (we print an error record).
	reasonOpenVPN = "TLS inside OpenVPN: the stream starts with OpenVPN framing"
	// TLS through a SOCKS proxy (frame.protocols "…:socks:tls", port 1080):
	// the stream starts with the SOCKS greeting, and the flow the router
	// sees is the one to the proxy.
	reasonSOCKS = "TLS inside a SOCKS proxy connection: the stream starts with SOCKS"
	// TLS inside a GTP-U tunnel (frame.protocols "…:udp:gtp:ip:tcp:tls",
	// UDP 2152): mobile-core encapsulation a home router never carries.
	reasonGTP = "TLS inside a GTP-U tunnel: not decapsulated"
	// An SSL 2.0-format ClientHello (tshark: tls.record.version 0x0002;
	// the format has no extensions, so no SNI). Not read; on port 443 the
	// packet path judges the flow unreadable (we print an error record).
	reasonSSLv2 = "SSL 2.0-format ClientHello: not read"
	// ClientHellos with inconsistent lengths: fed to crypto/tls's server
	// (tshark's tcp.payload of the frame, one segment each),
	// GetConfigForClient is never reached and the handshake fails with
	// "error decoding message". hello.Parse refuses them as crypto/tls
	// does; we print an error record. tshark shows what it dissected, no
	// SNI.
	reasonBadHello = "ClientHello crypto/tls refuses: an error record, no name"
	// TLS on TCP port 80 (only ours): tshark hands port 80 to its HTTP
	// dissector and finds no ClientHello; with `-d tcp.port==80,tls` it
	// shows the same ClientHellos (frames 12, 4 and 3: no SNI, no SNI,
	// vk.com). The oracle misses them.
	reasonTLSPort80 = "TLS on port 80: tshark does not look for it there"
	// QUIC versions other than 1 and 2 (tshark's quic.version of each
	// ClientHello frame: drafts 0xff000017-0xff000022, mvfst 0xfaceb001,
	// 0xfaceb002, 0xfaceb00e; Google QUIC T050, T051). The reader knows v1
	// and v2 only, as servers today do; the packet path judges such a flow
	// unreadable (we print an error record).
	reasonQUICVersion = "QUIC draft, mvfst or Google QUIC version: not read"
	// Initials of a reserved version 0x?a?a?a?a (tshark: "Forcing Version
	// Negotiation", 0x0a0a0a0a, three per flow): servers answer with
	// Version Negotiation without reading them; tshark decrypts them
	// anyway. Error records here; the client's next Initial, in a version
	// the server offers, is what is read (not in this capture).
	reasonForcedVN = "Initial of a version that forces version negotiation: not read"
	// The oracle is wrong (only ours): after the 0xbabababa Initial and the
	// server's Version Negotiation, tshark fails to decrypt the v1 Initial
	// of frame 3 ("Decryption (checktag) failed") because it keeps the
	// connection's state from the rejected attempt. The same frame alone
	// (editcap -r F out.pcapng 3) decodes to a ClientHello without SNI,
	// which is what we print. The second: frame 5, the client's Initial
	// after the server's Retry (frame 4), under a new DCID and with a
	// ClientHello of another random (checked with nfq/quic), which the
	// packet path reads as a new connection on the flow (reading.Probe);
	// EXPECTED.tsv has no quic name for the file at all.
	reasonTsharkVN = "tshark fails to decrypt the Initials sent after version negotiation"
	// QUIC on UDP port 853 (DNS over QUIC, only ours): tshark 4.0 does not
	// dissect port 853 as QUIC; with `-d udp.port==853,quic` it shows the
	// same v1 ClientHello (ALPN doq, no SNI).
	reasonDoQ = "QUIC on UDP 853 (DNS over QUIC): tshark does not look for it there"
	// Later requests on a kept-alive HTTP connection: the packet path
	// judges a connection on its first request head (the flow is marked
	// then), and so do we. Checked: these counts are exactly the
	// http.request frames after the first of each tcp.stream.
	reasonKeepAlive = "later request on a kept-alive connection: judged on the first"
	// SSDP (HTTP over UDP, M-SEARCH to 239.255.255.250:1900): link-local
	// multicast that never crosses the router, and not TCP.
	reasonSSDP = "SSDP over UDP multicast: not read"
	// OCSP requests in HTTP/1.0 without a Host header (only ours): we print
	// "-" for a request naming no host, oracle.sh skips an empty http.host.
	reasonNoHost = "HTTP request without Host: we print \"-\", the oracle skips it"
)

var knownDiffs = []knownDiff{
	{file: "ndpi/avast_securedns.pcapng", kind: KindDNSQuery, side: onlyOracle, name: "2.securedns.avast.com", count: 39, reason: reasonPort443},
	{file: "ndpi/avast_securedns.pcapng", kind: KindDNSResponse, side: onlyOracle, name: "2.securedns.avast.com", count: 38, reason: reasonPort443},
	{file: "ndpi/dnscrypt-v1-and-resolver-pings.pcap", kind: KindDNSQuery, side: onlyOracle, allNames: true, count: 240, reason: reasonPort443},
	{file: "ndpi/dnscrypt-v1-and-resolver-pings.pcap", kind: KindDNSResponse, side: onlyOracle, allNames: true, count: 226, reason: reasonPort443},
	{file: "zeek/quic/vector-max-size-crash.pcap", kind: KindDNSQuery, side: onlyOracle, name: "<unknown extended label>", count: 1, reason: reasonPort443},
	{file: "suricata-verify/dns/dns-incomplete/input.pcap", kind: KindDNSQuery, side: onlyOracle, name: "google.com", count: 1, reason: reasonTCP5353},
	{file: "suricata-verify/dns/dns-incomplete/input.pcap", kind: KindDNSQuery, side: onlyOracle, name: "google.net", count: 1, reason: reasonTCP5353},
	{file: "suricata-verify/dns/dns-incomplete/input.pcap", kind: KindDNSResponse, side: onlyOracle, name: "google.com", count: 2, reason: reasonTCP5353},
	{file: "suricata-verify/dns-over-http2-post/dns_over_https_POST.pcap", kind: KindDNSQuery, side: onlyOracle, allNames: true, count: 34, reason: reasonDoH},
	{file: "suricata-verify/dns-over-http2-post/dns_over_https_POST.pcap", kind: KindDNSResponse, side: onlyOracle, allNames: true, count: 34, reason: reasonDoH},
	{file: "suricata-verify/dns-over-http2/dns_over_https.pcap", kind: KindDNSResponse, side: onlyOracle, name: "nav-edge.smartscreen.microsoft.com", count: 2, reason: reasonDoH},
	{file: "suricata-verify/dns-over-http2/dns_over_https.pcap", kind: KindDNSResponse, side: onlyOracle, name: "www.gstatic.com", count: 2, reason: reasonDoH},
	{file: "suricata-verify/dns-over-http2-limit/input.pcap", kind: KindDNSQuery, side: onlyOracle, name: "", count: 1, reason: reasonDoH},
	{file: "ndpi/badpackets.pcap", kind: KindDNSResponse, side: onlyOracle, allNames: true, count: 91, reason: reasonCut},
	{file: "zeek/dns-edns-ecs-bad.pcap", kind: KindDNSResponse, side: onlyOracle, name: "txtpadding_32\x00", count: 1, reason: reasonCut},
	{file: "ndpi/malformed_dns.pcap", kind: KindDNSResponse, side: onlyOracle, name: "<name too long>", count: 4, reason: reasonExtraQuestion},
	{file: "suricata-verify/dns/dns-forward-pointer/input.pcap", kind: KindDNSQuery, side: onlyOracle, name: "codemonkey.net", count: 1, reason: reasonExtraQuestion},
	{file: "zeek/dns/conn-count-too-large.pcap", kind: KindDNSQuery, side: onlyOracle, name: "example.com", count: 9, reason: reasonExtraQuestion},
	{file: "zeek/dns-inverse-query.pcap", kind: KindDNSQuery, side: onlyOracle, name: "", count: 1, reason: reasonNoQuestion},
	{file: "ndpi/dns_invert_query.pcapng", kind: KindDNSQuery, side: onlyOracle, name: "", count: 1, reason: reasonNoQuestion},
	{file: "ndpi/dns_invert_query.pcapng", kind: KindDNSResponse, side: onlyOracle, name: "", count: 1, reason: reasonNoQuestion},
	{file: "suricata-verify/dns-udp-junkrequest-first/input.pcap", kind: KindDNSResponse, side: onlyOracle, name: "", count: 1, reason: reasonNoQuestion},
	{file: "suricata-verify/dns-udp-junkrequest-first/input.pcap", kind: KindDNSQuery, side: onlyOracle, name: "", count: 1, reason: reasonBadName},
	{file: "zeek/dns/dns-invalid-names.pcap", kind: KindDNSQuery, side: onlyOracle, name: "", count: 2, reason: reasonBadName},
	{file: "zeek/dns/dns-invalid-names.pcap", kind: KindDNSQuery, side: onlyOracle, name: "<name contains a pointer that loops>", count: 1, reason: reasonBadName},

	{file: "ndpi/ftp-start-tls.pcap", kind: KindTLS, side: onlyOracle, name: "-", count: 1, reason: reasonSTARTTLS},
	{file: "ndpi/imap-starttls.pcap", kind: KindTLS, side: onlyOracle, name: "-", count: 1, reason: reasonSTARTTLS},
	{file: "ndpi/pop3_stls.pcap", kind: KindTLS, side: onlyOracle, name: "pop.lavabit.com", count: 1, reason: reasonSTARTTLS},
	{file: "ndpi/smtp-starttls.pcap", kind: KindTLS, side: onlyOracle, name: "-", count: 1, reason: reasonSTARTTLS},
	{file: "ndpi/smtp-starttls.pcap", kind: KindTLS, side: onlyOracle, name: "dovecot.weberlab.de", count: 1, reason: reasonSTARTTLS},
	{file: "zeek/tls/imap-starttls.pcap", kind: KindTLS, side: onlyOracle, name: "-", count: 1, reason: reasonSTARTTLS},
	{file: "zeek/tls/pop3-starttls.pcap", kind: KindTLS, side: onlyOracle, name: "-", count: 1, reason: reasonSTARTTLS},
	{file: "zeek/tls/smtp-starttls.pcap", kind: KindTLS, side: onlyOracle, name: "-", count: 1, reason: reasonSTARTTLS},
	{file: "zeek/tls/xmpp-dialback-starttls.pcap", kind: KindTLS, side: onlyOracle, name: "-", count: 1, reason: reasonSTARTTLS},
	{file: "zeek/tls/xmpp-starttls.pcap", kind: KindTLS, side: onlyOracle, name: "-", count: 1, reason: reasonSTARTTLS},
	{file: "ndpi/443-opvn.pcap", kind: KindTLS, side: onlyOracle, name: "-", count: 1, reason: reasonOpenVPN},
	{file: "ndpi/openvpn.pcap", kind: KindTLS, side: onlyOracle, name: "-", count: 3, reason: reasonOpenVPN},
	{file: "ndpi/openvpn_nohmac.pcapng", kind: KindTLS, side: onlyOracle, name: "-", count: 2, reason: reasonOpenVPN},
	{file: "ndpi/openvpn_nohmac_tcp.pcapng", kind: KindTLS, side: onlyOracle, name: "-", count: 1, reason: reasonOpenVPN},
	{file: "ndpi/tls_heur__shadowsocks-tcp.pcapng", kind: KindTLS, side: onlyOracle, name: "www.youtube.com", count: 1, reason: reasonSOCKS},
	{file: "ndpi/tls_heur__trojan-tcp-tls.pcapng", kind: KindTLS, side: onlyOracle, name: "www.youtube.com", count: 1, reason: reasonSOCKS},
	{file: "ndpi/tls_heur__vmess-tcp-tls.pcapng", kind: KindTLS, side: onlyOracle, name: "www.youtube.com", count: 1, reason: reasonSOCKS},
	{file: "ndpi/tls_heur__vmess-tcp.pcapng", kind: KindTLS, side: onlyOracle, name: "www.youtube.com", count: 1, reason: reasonSOCKS},
	{file: "ndpi/tls_heur__vmess-websocket.pcapng", kind: KindTLS, side: onlyOracle, name: "www.youtube.com", count: 1, reason: reasonSOCKS},
	{file: "ndpi/tls_invalid_reads.pcap", kind: KindTLS, side: onlyOracle, name: "e.crashlytics.com", count: 1, reason: reasonGTP},
	{file: "suricata-verify/tls/tls-altname-zero/input.pcap", kind: KindTLS, side: onlyOracle, name: "-", count: 1, reason: reasonSSLv2},
	{file: "suricata-verify/tls/tls-glupteba-mb/input.pcap", kind: KindTLS, side: onlyOracle, name: "-", count: 1, reason: reasonSSLv2},
	{file: "suricata-verify/tls/tls-glupteba/input.pcap", kind: KindTLS, side: onlyOracle, name: "-", count: 1, reason: reasonSSLv2},
	{file: "zeek/tls/ssl-v2.pcap", kind: KindTLS, side: onlyOracle, name: "-", count: 1, reason: reasonSSLv2},
	{file: "zeek/tls/ssl.v3.pcap", kind: KindTLS, side: onlyOracle, name: "-", count: 1, reason: reasonSSLv2},
	{file: "ndpi/tls_cipher_lens.pcap", kind: KindTLS, side: onlyOracle, name: "-", count: 3, reason: reasonBadHello},
	{file: "ndpi/tls_invalid_reads.pcap", kind: KindTLS, side: onlyOracle, name: "-", count: 1, reason: reasonBadHello},
	{file: "ndpi/tls_port_80.pcapng", kind: KindTLS, side: onlyOurs, name: "-", count: 1, reason: reasonTLSPort80},
	{file: "zeek/tls/https-to-http.pcap", kind: KindTLS, side: onlyOurs, name: "-", count: 1, reason: reasonTLSPort80},
	{file: "zeek/tls/ssl-to-http-server.pcap", kind: KindTLS, side: onlyOurs, name: "vk.com", count: 1, reason: reasonTLSPort80},

	{file: "ndpi/quic-23.pcap", kind: KindQUIC, side: onlyOracle, name: "quic.aiortc.org", count: 1, reason: reasonQUICVersion},
	{file: "ndpi/quic-24.pcap", kind: KindQUIC, side: onlyOracle, name: "localhost", count: 2, reason: reasonQUICVersion},
	{file: "ndpi/quic-27.pcap", kind: KindQUIC, side: onlyOracle, name: "play.google.com", count: 1, reason: reasonQUICVersion},
	{file: "ndpi/quic-28.pcap", kind: KindQUIC, side: onlyOracle, name: "www.wireshark.org", count: 1, reason: reasonQUICVersion},
	{file: "ndpi/quic-29.pcap", kind: KindQUIC, side: onlyOracle, name: "localhost", count: 2, reason: reasonQUICVersion},
	{file: "ndpi/quic-34.pcap", kind: KindQUIC, side: onlyOracle, name: "-", count: 1, reason: reasonQUICVersion},
	{file: "ndpi/quic-mvfst-22.pcap", kind: KindQUIC, side: onlyOracle, name: "graph.facebook.com", count: 1, reason: reasonQUICVersion},
	{file: "ndpi/quic-mvfst-27.pcapng", kind: KindQUIC, side: onlyOracle, name: "graph.facebook.com", count: 1, reason: reasonQUICVersion},
	{file: "ndpi/quic-mvfst-exp.pcap", kind: KindQUIC, side: onlyOracle, name: "video.fmct2-3.fna.fbcdn.net", count: 1, reason: reasonQUICVersion},
	{file: "ndpi/quic_0RTT.pcap", kind: KindQUIC, side: onlyOracle, name: "abcd", count: 1, reason: reasonQUICVersion},
	{file: "ndpi/quic_t50.pcap", kind: KindQUIC, side: onlyOracle, name: "fonts.googleapis.com", count: 1, reason: reasonQUICVersion},
	{file: "ndpi/quic_t51.pcap", kind: KindQUIC, side: onlyOracle, name: "www.google.com", count: 1, reason: reasonQUICVersion},
	{file: "ndpi/quic_frags_ch_out_of_order_same_packet_craziness.pcapng", kind: KindQUIC, side: onlyOracle, allNames: true, count: 113, reason: reasonQUICVersion},
	{file: "ndpi/quic_interop_V.pcapng", kind: KindQUIC, side: onlyOracle, allNames: true, count: 63, reason: reasonForcedVN},
	{file: "ndpi/quic-forcing-vn-with-data.pcapng", kind: KindQUIC, side: onlyOurs, name: "-", count: 2, reason: reasonTsharkVN},
	{file: "zeek/quic/quicdoq.pcap", kind: KindQUIC, side: onlyOurs, name: "-", count: 1, reason: reasonDoQ},

	{file: "ndpi/anyconnect-vpn.pcap", kind: KindHTTP, side: onlyOracle, name: "detectportal.firefox.com", count: 5, reason: reasonKeepAlive},
	{file: "ndpi/quickplay.pcap", kind: KindHTTP, side: onlyOracle, name: "api-singtelhawk.quickplay.com", count: 2, reason: reasonKeepAlive},
	{file: "ndpi/quickplay.pcap", kind: KindHTTP, side: onlyOracle, name: "vod-singtelhawk.quickplay.com", count: 59, reason: reasonKeepAlive},
	{file: "suricata-verify/tls/tls-subjectaltname/input.pcap", kind: KindHTTP, side: onlyOracle, name: "madmaskiner.dk", count: 1, reason: reasonKeepAlive},
	{file: "suricata-verify/tls/tls-subjectaltname/input.pcap", kind: KindHTTP, side: onlyOracle, name: "ocsp.digicert.com", count: 2, reason: reasonKeepAlive},
	{file: "suricata-verify/tls/tls-subjectaltname/input.pcap", kind: KindHTTP, side: onlyOracle, name: "ocsp.pki.goog", count: 5, reason: reasonKeepAlive},
	{file: "suricata-verify/tls/tls-subjectaltname/input.pcap", kind: KindHTTP, side: onlyOracle, name: "r3.o.lencr.org", count: 2, reason: reasonKeepAlive},
	{file: "suricata-verify/tls/tls-subjectaltname/input.pcap", kind: KindHTTP, side: onlyOracle, name: "subca.ocsp-certum.com", count: 1, reason: reasonKeepAlive},
	{file: "ndpi/anyconnect-vpn.pcap", kind: KindHTTP, side: onlyOracle, name: "239.255.255.250", count: 5, reason: reasonSSDP},
	{file: "zeek/tls/ocsp-revoked.pcap", kind: KindHTTP, side: onlyOurs, name: "-", count: 4, reason: reasonNoHost},
}

type diffKey struct {
	file string
	kind Kind
	side side
	name string
}

type groupKey struct {
	file string
	kind Kind
	side side
}

func TestMatchesOracle(t *testing.T) {
	dir := pcaptest.DataDir(t)
	oracle := readOracle(t, filepath.Join(dir, "EXPECTED.tsv"))
	files := pcaptest.Files(t)
	if len(files) == 0 {
		t.Skip("no captures")
	}

	diffs := make(map[diffKey]int)
	matched := make(map[Kind]int)
	folded := 0
	for _, path := range files {
		rel, _ := filepath.Rel(dir, path)
		ours, f := runFile(t, path)
		folded += f
		for _, kind := range comparedKinds {
			want, got := oracle[rel][kind], ours[kind]
			for name := range union(want, got) {
				w, g := want[name], got[name]
				matched[kind] += min(w, g)
				if w > g {
					diffs[diffKey{rel, kind, onlyOracle, name}] += w - g
				} else if g > w {
					diffs[diffKey{rel, kind, onlyOurs, name}] += g - w
				}
			}
		}
	}

	// Exact entries first, then per-group entries take what is left.
	type kindReason struct {
		kind   Kind
		reason string
	}
	var problems []string
	byReason := make(map[kindReason]int)
	left := make(map[groupKey]int)
	exact := make(map[diffKey]knownDiff)
	for _, k := range knownDiffs {
		if !k.allNames {
			exact[diffKey{k.file, k.kind, k.side, k.name}] = k
		}
	}
	for d, n := range diffs {
		if k, ok := exact[d]; ok {
			if k.count != n {
				problems = append(problems, fmt.Sprintf("known difference %+v occurs %d times", k, n))
			}
			byReason[kindReason{k.kind, k.reason}] += n
			delete(exact, d)
			continue
		}
		left[groupKey{d.file, d.kind, d.side}] += n
		if !coveredByGroup(d) {
			problems = append(problems, fmt.Sprintf("unexplained: %s %s %s %q ×%d", d.file, d.kind, d.side, d.name, n))
		}
	}
	for _, k := range exact {
		problems = append(problems, fmt.Sprintf("stale known difference (no longer occurs): %+v", k))
	}
	for _, k := range knownDiffs {
		if !k.allNames {
			continue
		}
		g := groupKey{k.file, k.kind, k.side}
		if left[g] != k.count {
			problems = append(problems, fmt.Sprintf("known differences %s %s %s: %d names, listed %d", k.file, k.kind, k.side, left[g], k.count))
		}
		byReason[kindReason{k.kind, k.reason}] += left[g]
	}
	slices.Sort(problems)
	for _, p := range problems {
		t.Error(p)
	}
	t.Logf("%d captures; names compared after non-ASCII lowercasing or U+FFFD collapsing: %d", len(files), folded)
	for _, kind := range comparedKinds {
		total := 0
		var lines []string
		for kr, n := range byReason {
			if kr.kind == kind {
				total += n
				lines = append(lines, fmt.Sprintf("    %4d  %s", n, kr.reason))
			}
		}
		slices.Sort(lines)
		t.Logf("%-12s %4d matched, %4d known differences", kind, matched[kind], total)
		for _, l := range lines {
			t.Log(l)
		}
	}
}

func coveredByGroup(d diffKey) bool {
	for _, k := range knownDiffs {
		if k.allNames && k.file == d.file && k.kind == d.kind && k.side == d.side {
			return true
		}
	}
	return false
}

// canon applies the Unicode lowercasing and U+FFFD-run rules of the
// package comment, and reports whether they changed name.
func canon(name string) (string, bool) {
	s := strings.ToLower(name)
	for strings.Contains(s, "\uFFFD\uFFFD") {
		s = strings.ReplaceAll(s, "\uFFFD\uFFFD", "\uFFFD")
	}
	return s, s != name
}

// names is a multiset of names.
type names map[string]int

func union(a, b names) names {
	u := make(names, len(a)+len(b))
	for k := range a {
		u[k] = 1
	}
	for k := range b {
		u[k] = 1
	}
	return u
}

// comparedKinds are the kinds of EXPECTED.tsv compared.
var comparedKinds = []Kind{KindDNSQuery, KindDNSResponse, KindTLS, KindQUIC, KindHTTP}

// splitNames splits one printed name of kind as oracle.sh splits a frame's
// names: DNS names on ',' (tshark's separator between messages and
// questions); ClientHello names on ',' and then on blanks (bash word
// splitting of the unquoted ${sni//,/ }), "-" when nothing is left.
func splitNames(kind Kind, name string) []string {
	if kind != KindTLS && kind != KindQUIC {
		return strings.Split(name, ",")
	}
	f := strings.FieldsFunc(name, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
	if len(f) == 0 {
		return []string{NoName}
	}
	return f
}

// readOracle reads EXPECTED.tsv into file → kind → names, compared kinds
// only, normalised as the package comment says.
func readOracle(t *testing.T, path string) map[string]map[Kind]names {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("oracle not available: %v", err)
	}
	defer f.Close()
	out := make(map[string]map[Kind]names)
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), "\t", 3)
		if len(parts) != 3 {
			t.Fatalf("bad oracle line %q", sc.Text())
		}
		kind := Kind(parts[1])
		if !slices.Contains(comparedKinds, kind) {
			continue
		}
		if out[parts[0]] == nil {
			out[parts[0]] = make(map[Kind]names)
		}
		if out[parts[0]][kind] == nil {
			out[parts[0]][kind] = make(names)
		}
		for _, n := range splitNames(kind, parts[2]) {
			if n == "<root>" && (kind == KindDNSQuery || kind == KindDNSResponse) {
				n = ""
			}
			n, _ = canon(n)
			out[parts[0]][kind][n]++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// runFile runs inspect over one capture and returns its names by kind, read
// back from the JSON output and normalised as the package comment says, and
// how many names Unicode lowercasing changed. Records with an error carry
// no name and are left out.
func runFile(t *testing.T, path string) (got map[Kind]names, folded int) {
	t.Helper()
	got = make(map[Kind]names)
	for _, r := range runRecords(t, path) {
		if r.Err != "" {
			continue
		}
		if got[r.Kind] == nil {
			got[r.Kind] = make(names)
		}
		for _, n := range splitNames(r.Kind, r.Name) {
			n, changed := canon(n)
			if changed {
				folded++
			}
			got[r.Kind][n]++
		}
	}
	return got, folded
}

// outRecord is one printed line read back.
type outRecord struct {
	Frame     int      `json:"frame"`
	Flow      string   `json:"flow"`
	Kind      Kind     `json:"kind"`
	Name      string   `json:"name"`
	ALPN      []string `json:"alpn"`
	ECH       *bool    `json:"ech"`
	PQ        *bool    `json:"pq"`
	Ambiguous string   `json:"ambiguous"`
	Err       string   `json:"error"`
	line      string   // as printed
}

// runRecords runs inspect over one capture and reads its output back.
func runRecords(t *testing.T, path string) []outRecord {
	t.Helper()
	f, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	if _, err := Run(&out, f, Options{}); err != nil {
		t.Errorf("%s: %v", path, err)
	}
	var recs []outRecord
	for _, line := range bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var r outRecord
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("%s: bad output line %q: %v", path, line, err)
		}
		r.line = string(line)
		recs = append(recs, r)
	}
	return recs
}
