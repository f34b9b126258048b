package quic

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/safeinternet/cpe/nfq/packet"
	"github.com/safeinternet/cpe/nfq/packet/pcaptest"
)

// endpoint is one side of a UDP conversation.
type endpoint struct {
	addr netip.Addr
	port uint16
}

// flow is the client's side of one UDP conversation in a capture: the
// client is whoever sent the conversation's first long header packet.
type flow struct {
	client, server endpoint
	dgrams         [][]byte // client to server UDP payloads, in capture order
}

// captureFlows returns the UDP flows of the capture at path that start
// with a long header packet from the client, in order of their first
// packet.
func captureFlows(tb testing.TB, path string) []*flow {
	tb.Helper()
	type convKey struct{ a, b endpoint } // a < b
	var (
		flows []*flow
		byKey = map[convKey]*flow{}
		seen  = map[convKey]bool{} // conversations already classified
		p     packet.Parsed
	)
	for _, ip := range pcaptest.IPPackets(tb, path, 0) {
		p.Decode(ip)
		if !p.Valid() || p.IPProto != packet.UDP {
			continue
		}
		payload := p.Payload()
		src, dst := endpoint{p.Src, p.SrcPort}, endpoint{p.Dst, p.DstPort}
		k := convKey{src, dst}
		if less(dst, src) {
			k = convKey{dst, src}
		}
		f := byKey[k]
		if f == nil {
			if seen[k] || len(payload) == 0 {
				continue
			}
			if payload[0]&0x80 == 0 {
				seen[k] = true // starts with a short header or is not QUIC
				continue
			}
			f = &flow{client: src, server: dst}
			byKey[k] = f
			flows = append(flows, f)
		}
		if src == f.client {
			f.dgrams = append(f.dgrams, payload)
		}
	}
	return flows
}

func less(a, b endpoint) bool {
	if c := a.addr.Compare(b.addr); c != 0 {
		return c < 0
	}
	return a.port < b.port
}

// flowResult is what a Reader made of one flow.
type flowResult struct {
	hellos [][]byte // each ClientHello completed (a copy), in order
	errs   []error  // every error Add returned, in order
}

// readFlow runs a Reader over the flow's datagrams. A hello is recorded
// once per connection attempt: when Add first returns one under the current
// keys (a new connection attempt on the same flow, as after a Retry,
// switches the keys and restarts the assembly).
func readFlow(f *flow) flowResult {
	var (
		r       Reader
		res     flowResult
		doneFor []byte // DCID of the keys the last hello was recorded under
	)
	for _, d := range f.dgrams {
		hello, err := r.Add(d)
		if err != nil {
			res.errs = append(res.errs, err)
		}
		if hello != nil && (doneFor == nil || !bytes.Equal(doneFor, r.Keys().DCID())) {
			res.hellos = append(res.hellos, slices.Clone(hello))
			doneFor = slices.Clone(r.Keys().DCID())
		}
	}
	return res
}

// sniOf returns the oracle's spelling of a hello's server name: lowercased,
// "-" when absent.
func sniOf(hello []byte) (string, error) {
	name, err := serverName(hello)
	if err != nil {
		return "", err
	}
	if name == "" {
		return "-", nil
	}
	return strings.ToLower(name), nil
}

// errKinds summarises errors by sentinel, for logs.
func errKinds(errs []error) string {
	counts := map[string]int{}
	for _, err := range errs {
		k := "other"
		for _, s := range []struct {
			name string
			err  error
		}{{"not-initial", ErrNotInitial}, {"decrypt", ErrDecrypt}, {"malformed", ErrMalformed},
			{"too-big", ErrTooBig}, {"conflict", ErrConflict}} {
			if errors.Is(err, s.err) {
				k = s.name
				break
			}
		}
		counts[k]++
	}
	var parts []string
	for k, n := range counts {
		parts = append(parts, fmt.Sprintf("%s×%d", k, n))
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

// Reasons shared by several captures.
const (
	whyDraft = "a pre-RFC draft version (0xff0000xx): Reader returns ErrNotInitial, " +
		"so the caller's rule for unreadable UDP/443 applies; tshark knows the draft salts"
	whyVendor = "a vendor version (mvfst 0xfaceb00x, gQUIC T050/T051): ErrNotInitial, " +
		"the caller's rule for unreadable UDP/443 applies; tshark decodes these"
	whyRetry = "after the server's Retry the client resends the same ClientHello under a new " +
		"DCID; Reader restarts and reads it again (same name twice), tshark reports it once"
)

// captureDiffs lists every capture where Reader's names differ from the
// oracle's (EXPECTED.tsv, tshark 4.0), with our names (sorted, one per
// ClientHello, "-" for none) and the reason. A capture not listed here must
// agree with the oracle exactly (as a multiset).
var captureDiffs = map[string]struct{ got, why string }{
	"ndpi/quic-23.pcap":         {"", whyDraft + " (draft-23)"},
	"ndpi/quic-24.pcap":         {"", whyDraft + " (draft-24)"},
	"ndpi/quic-27.pcap":         {"", whyDraft + " (draft-27)"},
	"ndpi/quic-28.pcap":         {"", whyDraft + " (draft-28)"},
	"ndpi/quic-29.pcap":         {"", whyDraft + " (draft-29)"},
	"ndpi/quic-34.pcap":         {"", whyDraft + " (draft-34)"},
	"ndpi/quic_0RTT.pcap":       {"ssl.gstatic.com", whyDraft + " (the abcd connection is draft-28; the v1 one agrees)"},
	"ndpi/quic-mvfst-22.pcap":   {"", whyVendor},
	"ndpi/quic-mvfst-27.pcapng": {"", whyVendor},
	"ndpi/quic-mvfst-exp.pcap":  {"", whyVendor},
	"ndpi/quic_t50.pcap":        {"", whyVendor},
	"ndpi/quic_t51.pcap":        {"", whyVendor},
	"ndpi/quic_frags_ch_out_of_order_same_packet_craziness.pcapng": {"", whyDraft +
		" (all 113 flows are draft-29)"},
	"ndpi/quic_interop_V.pcapng": {"", "interop test V: every Initial carries the reserved " +
		"version 0x0a0a0a0a to force version negotiation, so no server reads it; ErrNotInitial. " +
		"tshark decrypts them with the draft-29 salt (they do open with it)"},
	"ndpi/quic-forcing-vn-with-data.pcapng": {"- -", "after a 0xbabababa Initial and the server's " +
		"Version Negotiation the client sends v1 Initials (a ClientHello without server_name, " +
		"crypto/tls agrees), then a new attempt under a new DCID: two ClientHellos; tshark " +
		"reports no ClientHello in this conversation"},
	"suricata-verify/quic-retry/input.pcap":          {"www.gravatar.com www.gravatar.com", whyRetry},
	"suricata-verify/quic-retry-multiple/input.pcap": {"public-api.wordpress.com public-api.wordpress.com", whyRetry},
	"zeek/quic/interop/quic-go_quic-go/retry.pcap":   {"server4:443 server4:443", whyRetry},
	"zeek/quic/quicdoq.pcap": {"-", "DNS over QUIC on UDP/853, which tshark does not decode " +
		"as QUIC; the ClientHello has no server_name (crypto/tls agrees)"},
}

// TestCaptures runs a Reader over every UDP flow of the shared captures
// that starts with a long header packet, reads the server name of every
// ClientHello it completes and compares the names with the oracle; every
// ClientHello also goes through crypto/tls, which must read the same name.
func TestCaptures(t *testing.T) {
	dir := pcaptest.DataDir(t)
	want := pcaptest.Expected(t, dir, "quic")
	seen := map[string]bool{}
	var files, hellos int
	for _, path := range pcaptest.Files(t) {
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			t.Fatal(err)
		}
		rel = filepath.ToSlash(rel)
		var got []string
		var notes []string
		for _, f := range captureFlows(t, path) {
			res := readFlow(f)
			for _, h := range res.hellos {
				name, err := sniOf(h)
				if err != nil {
					t.Errorf("%s: flow %v: hello: %v", rel, f.client, err)
					continue
				}
				tlsName, ok := tlsServerName(t, h)
				if !ok || strings.ToLower(tlsName) != strings.TrimPrefix(name, "-") {
					t.Errorf("%s: flow %v: crypto/tls read %q (%v), we %q", rel, f.client, tlsName, ok, name)
				}
				got = append(got, name)
			}
			if len(res.errs) > 0 {
				notes = append(notes, fmt.Sprintf("%v:%d→%d: %d datagrams, %d hellos, errors %s",
					f.client.addr, f.client.port, f.server.port, len(f.dgrams), len(res.hellos), errKinds(res.errs)))
			}
		}
		w := slices.Clone(want[rel])
		if len(got) == 0 && len(w) == 0 {
			continue
		}
		files++
		hellos += len(got)
		slices.Sort(got)
		slices.Sort(w)
		gotS, wantS := strings.Join(got, " "), strings.Join(w, " ")
		d, listed := captureDiffs[rel]
		seen[rel] = true
		switch {
		case listed && gotS == wantS:
			t.Errorf("%s: agrees with the oracle now; drop it from captureDiffs", rel)
		case listed && gotS != d.got:
			t.Errorf("%s: got %q, captureDiffs says %q (oracle %q)", rel, gotS, d.got, wantS)
		case !listed && gotS != wantS:
			t.Errorf("%s: got %q, oracle %q\n%s", rel, gotS, wantS, strings.Join(notes, "\n"))
		case listed:
			t.Logf("%s: differs as listed: %s", rel, d.why)
		default:
			t.Logf("%s: %d names agree with the oracle", rel, len(got))
		}
	}
	for rel := range captureDiffs {
		if !seen[rel] {
			t.Errorf("captureDiffs lists %s, which has no QUIC ClientHello on either side", rel)
		}
	}
	t.Logf("%d captures with QUIC ClientHellos, %d read by Reader", files, hellos)
}

// TestCaptureDecryptFail is zeek/quic/quic-decrypt-fail-google-de-51833:
// after the server's first Initial the client addresses its Initials to the
// server's SCID, still protected with the keys of its first DCID. Keys of
// the packet's own DCID (what Zeek once tried) fail with ErrDecrypt; Reader
// keeps the first keys and reads www.google.de, which is what the oracle
// (tshark) says too.
func TestCaptureDecryptFail(t *testing.T) {
	dir := pcaptest.DataDir(t)
	const rel = "zeek/quic/quic-decrypt-fail-google-de-51833.pcap"
	flows := captureFlows(t, filepath.Join(dir, rel))
	if len(flows) != 1 {
		t.Fatalf("%d flows, want 1", len(flows))
	}
	var (
		first  []byte
		own    Keys
		failed int
	)
	for _, d := range flows[0].dgrams {
		var h Header
		if ParseHeader(d, &h) != nil {
			continue // the 0-RTT packets that arrived first
		}
		if first == nil {
			first = slices.Clone(h.DCID)
		}
		if bytes.Equal(h.DCID, first) {
			continue
		}
		if err := own.Derive(h.Version, h.DCID); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := Open(&own, d, nil); !errors.Is(err, ErrDecrypt) {
			t.Errorf("Initial to DCID %x opened with its own keys: %v, want ErrDecrypt", h.DCID, err)
		}
		failed++
	}
	if failed == 0 {
		t.Fatal("no Initial with a switched DCID in the capture")
	}
	res := readFlow(flows[0])
	if len(res.hellos) != 1 {
		t.Fatalf("%d hellos, want 1 (errors %s)", len(res.hellos), errKinds(res.errs))
	}
	name, err := sniOf(res.hellos[0])
	if want := pcaptest.Expected(t, dir, "quic")[rel]; err != nil || len(want) != 1 || name != want[0] {
		t.Errorf("name %q (%v), oracle %q", name, err, want)
	}
	t.Logf("%d Initials to the server's SCID: ErrDecrypt with their own DCID's keys; Reader read %s, as tshark does", failed, name)
}
