package dns

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/safeinternet/cpe/nfq/packet/pcaptest"
)

// isResponse reports whether msg has a header with QR set.
func isResponse(msg []byte) bool { return len(msg) >= headerLen && msg[2]&0x80 != 0 }

// TestCaptureResponses compares ParseResponse with dnsmessage on every DNS
// response of the shared captures.
func TestCaptureResponses(t *testing.T) {
	pcaptest.DataDir(t)
	var responses, read, withAddrs, addrs, cnames int
	errs := map[error]int{}
	for _, msg := range captureMessages(t, -1) {
		if !isResponse(msg) {
			continue
		}
		responses++
		compareResponse(t, msg)
		var r Response
		if err := ParseResponse(msg, &r); err != nil {
			errs[err]++
			continue
		}
		read++
		if r.NumAddrs() > 0 {
			withAddrs++
		}
		addrs += r.NumAddrs()
		cnames += r.NumCNAMEs()
	}
	if responses == 0 {
		t.Fatal("no DNS responses in the captures")
	}
	t.Logf("%d responses: %d read (%d with addresses, %d addresses, %d CNAME targets), errors %v",
		responses, read, withAddrs, addrs, cnames, errs)
}

// TestCaptureECH strips and neutralizes the ech parameters of the captured
// HTTPS answers.
func TestCaptureECH(t *testing.T) {
	dir := pcaptest.DataDir(t)
	tests := []struct {
		file  string
		names []string // the HTTPS answers' question names, in order
		ech   []int    // ech params in each
	}{
		{"zeek/dns/ech.pcap", []string{"defo.ie", "cloudflare-ech.com"}, []int{1, 1}},
		{"zeek/dns-https.pcap", []string{"cloudflare.com"}, []int{0}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			var names []string
			var ech []int
			for _, msg := range fileMessages(t, filepath.Join(dir, tt.file), -1) {
				var r Response
				if ParseResponse(msg, &r) != nil || r.Type != typeHTTPS {
					continue
				}
				names = append(names, string(r.Name()))
				out, n, err := StripECH(make([]byte, 0, len(msg)), msg)
				if err != nil {
					t.Fatalf("%s: StripECH: %v", r.Name(), err)
				}
				ech = append(ech, n)
				if n == 0 {
					if &out[0] != &msg[0] {
						t.Errorf("%s: no ech, but out is not msg", r.Name())
					}
					continue
				}
				checkRewritten(t, msg, out, n, false)
				if bytes.Contains(out, []byte("\xfe\x0d")) {
					t.Errorf("%s: an ECHConfig version (0xfe0d) is still in the answer", r.Name())
				}
				t.Logf("%s: %d → %d bytes", r.Name(), len(msg), len(out))

				neutral := bytes.Clone(msg)
				if k, err := NeutralizeECH(neutral); err != nil || k != n {
					t.Fatalf("%s: NeutralizeECH = %d, %v", r.Name(), k, err)
				}
				checkRewritten(t, msg, neutral, n, true)
			}
			if !slices.Equal(names, tt.names) || !slices.Equal(ech, tt.ech) {
				t.Errorf("HTTPS answers %q with %v ech params, want %q %v", names, ech, tt.names, tt.ech)
			}
		})
	}
}

// TestCaptureRewriteAll runs StripECH and NeutralizeECH over every captured
// DNS message: what dnsmessage reads they must not call malformed, and
// what they change must check out.
func TestCaptureRewriteAll(t *testing.T) {
	pcaptest.DataDir(t)
	results := map[string]int{}
	for _, msg := range captureMessages(t, -1) {
		in, inErr := unpack(msg)
		readable := inErr == nil && framingOK(msg) && keysOrdered(&in)
		out, n, err := StripECH(nil, msg)
		results[fmt.Sprintf("strip %v n=%d", err, n)]++
		if err == ErrMalformed && readable {
			t.Errorf("StripECH(%x): ErrMalformed, but dnsmessage reads it", msg)
		}
		if err == nil && n > 0 {
			checkRewritten(t, msg, out, n, false)
		}
		neutral := bytes.Clone(msg)
		n, err = NeutralizeECH(neutral)
		results[fmt.Sprintf("neutralize %v n=%d", err, n)]++
		if err == ErrMalformed && readable {
			t.Errorf("NeutralizeECH(%x): ErrMalformed, but dnsmessage reads it", msg)
		}
		if err == nil && n > 0 {
			checkRewritten(t, msg, neutral, n, true)
		}
	}
	t.Logf("%v", results)
}

// TestCaptureOddDNS pins what the odd captures of zeek's DNS tests give. Not
// all of them are malformed for these readers: see the notes.
func TestCaptureOddDNS(t *testing.T) {
	dir := pcaptest.DataDir(t)
	tests := []struct {
		file                  string
		parse, strip, neutral error
		addrs                 []string
		note                  string
	}{
		{"zeek/dns/max-compression-depth.pcap", nil, nil, nil,
			[]string{"127.0.0.1/300", "127.0.0.2/300", "127.0.0.3/300", "127.0.0.4/300", "127.0.0.5/300", "127.0.0.6/300", "127.0.0.7/300"},
			"the deepest owner name follows 6 pointers: zeek flags it only with dns_max_compression_chain_depth=5 " +
				"(its default is 20); dnsmessage and these readers allow 10"},
		{"zeek/dns/svcb-alpn-malformed-len-too-long.pcap", nil, nil, nil, nil,
			"the alpn value's inner lengths are wrong; SvcParam framing is intact and values are not checked: " +
				"an ech param beside it would still be removed"},
		{"zeek/dns/svcb-alpn-malformed-len-too-short.pcap", nil, nil, nil, nil, "as above"},
		{"zeek/dns/svcb-port-malformed.pcap", nil, nil, nil, nil, "port value of 3 bytes; framing intact, as above"},
		{"zeek/dns-svcb-rdlength-mismatch.pcap", nil, ErrMalformed, ErrMalformed, nil,
			"SVCB RDATA of 2 bytes: its target name runs past it"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			var resp []byte
			for _, msg := range fileMessages(t, filepath.Join(dir, tt.file), -1) {
				if isResponse(msg) {
					resp = msg
				}
			}
			if resp == nil {
				t.Fatal("no response in the capture")
			}
			var r Response
			err := ParseResponse(resp, &r)
			_, sn, serr := StripECH(nil, resp)
			nn, nerr := NeutralizeECH(bytes.Clone(resp))
			if err != tt.parse || serr != tt.strip || nerr != tt.neutral || sn != 0 || nn != 0 {
				t.Errorf("ParseResponse %v, StripECH %d %v, NeutralizeECH %d %v; want %v, %v, %v",
					err, sn, serr, nn, nerr, tt.parse, tt.strip, tt.neutral)
			}
			if got := addrList(&r); !slices.Equal(got, tt.addrs) {
				t.Errorf("addresses %q, want %q", got, tt.addrs)
			}
			compareResponse(t, resp)
			t.Log(tt.note)
		})
	}
}

// TestCaptureTruncations feeds every prefix of every DNS message of zeek's
// DNS captures (odd ones among them) to the readers: errors, never panics,
// and ParseResponse agrees with dnsmessage on each.
func TestCaptureTruncations(t *testing.T) {
	dir := pcaptest.DataDir(t)
	var msgs, prefixes int
	for _, path := range pcaptest.Files(t) {
		rel, _ := filepath.Rel(dir, path)
		if !strings.HasPrefix(rel, "zeek/dns") {
			continue
		}
		for _, msg := range fileMessages(t, path, 20) {
			msgs++
			for cut := range len(msg) {
				prefixes++
				p := msg[:cut]
				compareResponse(t, p)
				_, _, _ = StripECH(nil, p)
				_, _ = NeutralizeECH(bytes.Clone(p))
			}
		}
	}
	t.Logf("%d messages, %d prefixes", msgs, prefixes)
}
