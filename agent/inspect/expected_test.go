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
// over every capture and compares the DNS names, per file and kind, as
// multisets.
//
// Three rules bring both sides to one shape before comparing; they are
// about how oracle.sh prints, not about what either side reads:
//   - oracle.sh prints one line per frame and tshark joins the names of all
//     DNS messages and all questions in the frame with ','. Both sides'
//     names are split on ',' (no name in the captures holds a comma).
//   - tshark prints the root name as "<root>"; we print "".
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
// stays true.

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
	matched, folded := 0, 0
	for _, path := range files {
		rel, _ := filepath.Rel(dir, path)
		ours, f := runFile(t, path)
		folded += f
		for _, kind := range []Kind{KindDNSQuery, KindDNSResponse} {
			want, got := oracle[rel][kind], ours[kind]
			for name := range union(want, got) {
				w, g := want[name], got[name]
				matched += min(w, g)
				if w > g {
					diffs[diffKey{rel, kind, onlyOracle, name}] += w - g
				} else if g > w {
					diffs[diffKey{rel, kind, onlyOurs, name}] += g - w
				}
			}
		}
	}

	// Exact entries first, then per-group entries take what is left.
	var problems []string
	byReason := make(map[string]int)
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
			byReason[k.reason] += n
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
		byReason[k.reason] += left[g]
	}
	slices.Sort(problems)
	for _, p := range problems {
		t.Error(p)
	}
	total := 0
	for _, n := range byReason {
		total += n
	}
	t.Logf("%d captures, %d DNS names matched, %d known differences (%d of our names compared after non-ASCII lowercasing or U+FFFD collapsing)",
		len(files), matched, total, folded)
	for r, n := range byReason {
		t.Logf("  %4d  %s", n, r)
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

// readOracle reads EXPECTED.tsv into file → kind → names, DNS kinds only,
// normalised as the package comment says.
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
		if kind != KindDNSQuery && kind != KindDNSResponse {
			continue
		}
		if out[parts[0]] == nil {
			out[parts[0]] = make(map[Kind]names)
		}
		if out[parts[0]][kind] == nil {
			out[parts[0]][kind] = make(names)
		}
		for _, n := range strings.Split(parts[2], ",") {
			if n == "<root>" {
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

// runFile runs inspect over one capture and returns its DNS names by kind,
// read back from the JSON output and normalised as the package comment says,
// and how many names Unicode lowercasing changed.
func runFile(t *testing.T, path string) (got map[Kind]names, folded int) {
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
	got = make(map[Kind]names)
	for _, line := range bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var r struct {
			Frame int    `json:"frame"`
			Flow  string `json:"flow"`
			Kind  Kind   `json:"kind"`
			Name  string `json:"name"`
		}
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("%s: bad output line %q: %v", path, line, err)
		}
		if got[r.Kind] == nil {
			got[r.Kind] = make(names)
		}
		for _, n := range strings.Split(r.Name, ",") {
			n, changed := canon(n)
			if changed {
				folded++
			}
			got[r.Kind][n]++
		}
	}
	return got, folded
}
