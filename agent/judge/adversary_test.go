package judge

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/safeinternet/cpe/nfq/ctmark"
	"github.com/safeinternet/cpe/nfq/hello"
	"github.com/safeinternet/cpe/nfq/queue"
	"github.com/safeinternet/cpe/nfq/reading"
)

// The adversarial generator: from real ClientHellos (Go's post-quantum one,
// and Chrome's from the shared captures when present) it makes the
// variants a child could send to hide a blocked name — split at every
// offset around the SNI, segments reversed, overlaps with different bytes,
// fake segments with bad checksums, TLS records cut to 1 byte or inside the
// SNI, duplicate SNI, case tricks, a trailing dot — and runs each through
// the handler as a new flow of restricted device A. Every variant of a
// blocked name must end blocked, with no packet before marked ALLOW; the
// harmless variants of an allowed name must end allowed, so that the test
// can fail.

// variant is one way of sending a ClientHello record stream.
type variant struct {
	name    string
	harmful bool // meant to deceive: blocked whatever the name
	steps   []step
}

// step is one segment: payload at stream offset off, optionally with a
// broken checksum.
type step struct {
	off     int
	data    []byte
	badCsum bool
}

// inOrder cuts stream at the given offsets.
func inOrder(stream []byte, cuts ...int) []step {
	var out []step
	prev := 0
	for _, c := range append(cuts, len(stream)) {
		if c <= prev || c > len(stream) {
			continue
		}
		out = append(out, step{off: prev, data: stream[prev:c]})
		prev = c
	}
	return out
}

func reversed(s []step) []step {
	out := make([]step, len(s))
	for i := range s {
		out[len(s)-1-i] = s[i]
	}
	return out
}

// records re-frames the handshake message of a single-record hello into
// records of the given payload sizes (the last takes the rest).
func records(rec []byte, sizes ...int) []byte {
	body := rec[5:]
	var out []byte
	for _, n := range sizes {
		if n >= len(body) {
			break
		}
		out = append(out, 0x16, 3, 1, byte(n>>8), byte(n))
		out = append(out, body[:n]...)
		body = body[n:]
	}
	out = append(out, 0x16, 3, 1, byte(len(body)>>8), byte(len(body)))
	return append(out, body...)
}

// sniOffset returns where the SNI host name's bytes start in the record.
func sniOffset(t testing.TB, rec []byte, name string) int {
	i := bytes.Index(rec, []byte(name))
	if i < 0 {
		t.Fatalf("SNI %q not found in the hello", name)
	}
	return i
}

// editExtensions rebuilds a single-record ClientHello with its extensions
// list changed by f (each element a whole extension: type, length, data).
func editExtensions(t testing.TB, rec []byte, f func([][]byte) [][]byte) []byte {
	t.Helper()
	msg := rec[5:]
	p := 4 + 2 + 32
	p += 1 + int(msg[p])
	p += 2 + int(binary.BigEndian.Uint16(msg[p:]))
	p += 1 + int(msg[p])
	extLen := int(binary.BigEndian.Uint16(msg[p:]))
	exts := msg[p+2 : p+2+extLen]
	var list [][]byte
	for len(exts) >= 4 {
		n := 4 + int(binary.BigEndian.Uint16(exts[2:]))
		list = append(list, exts[:n])
		exts = exts[n:]
	}
	var newExts []byte
	for _, e := range f(list) {
		newExts = append(newExts, e...)
	}
	body := append(append([]byte{}, msg[4:p]...), byte(len(newExts)>>8), byte(len(newExts)))
	body = append(body, newExts...)
	hs := append([]byte{1, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
	return append([]byte{0x16, 3, 1, byte(len(hs) >> 8), byte(len(hs))}, hs...)
}

// sniExt builds a server_name extension with the given host names.
func sniExt(names ...string) []byte {
	var list []byte
	for _, n := range names {
		list = append(list, 0, byte(len(n)>>8), byte(len(n)))
		list = append(list, n...)
	}
	data := append([]byte{byte(len(list) >> 8), byte(len(list))}, list...)
	return append([]byte{0, 0, byte(len(data) >> 8), byte(len(data))}, data...)
}

// withSNI replaces the hello's server_name extension by ext (several
// extensions for duplicates).
func withSNI(t testing.TB, rec []byte, ext ...[]byte) []byte {
	return editExtensions(t, rec, func(list [][]byte) [][]byte {
		var out [][]byte
		for _, e := range list {
			if e[0] == 0 && e[1] == 0 {
				out = append(out, ext...)
				continue
			}
			out = append(out, e)
		}
		return out
	})
}

// variants makes every variant of the hello rec for name; decoy is an
// allowed name of the same length used in the deceiving variants.
func variants(t testing.TB, rec []byte, name, decoy string) []variant {
	var vs []variant
	sni := sniOffset(t, rec, name)
	for cut := sni - 40; cut <= sni+len(name)+40; cut++ {
		if cut <= 0 || cut >= len(rec) {
			continue
		}
		two := inOrder(rec, cut)
		vs = append(vs, variant{name: fmt.Sprintf("split at %d", cut), steps: two},
			variant{name: fmt.Sprintf("split at %d, reversed", cut), steps: reversed(two)})
	}
	for _, mss := range []int{536, 100, 7} {
		s := inOrder(rec, cuts(len(rec), mss)...)
		// Tiny segments pass the reading's segment bound: blocked as
		// unreadable, whatever the name.
		tiny := len(s) > reading.SegmentBound(8) // flowConfig's guard
		vs = append(vs, variant{name: fmt.Sprintf("mss %d", mss), steps: s, harmful: tiny},
			variant{name: fmt.Sprintf("mss %d reversed", mss), steps: reversed(s), harmful: tiny})
	}
	// TLS record fragmentation.
	hsLen := len(rec) - 5
	inSNI := sni - 5 + len(name)/2
	for _, sizes := range [][]int{{1}, {inSNI}, {1, 1, 1, 1}, {hsLen / 3, hsLen / 3}} {
		r := records(rec, sizes...)
		vs = append(vs, variant{name: fmt.Sprintf("records %v", sizes), steps: inOrder(r)},
			variant{name: fmt.Sprintf("records %v over segments cut inside the SNI", sizes), steps: reversed(inOrder(r, sniOffset(t, r, name[:len(name)/2])+2))})
	}
	// Case tricks and a trailing dot: the same name, normalised.
	vs = append(vs,
		variant{name: "upper case", steps: inOrder(withSNI(t, rec, sniExt(strings.ToUpper(name))))},
		variant{name: "trailing dot", steps: inOrder(withSNI(t, rec, sniExt(name+".")))},
		variant{name: "mixed case, trailing dot, split", steps: inOrder(withSNI(t, rec, sniExt(mixed(name)+".")), sni+2)},
	)
	// Deceptions.
	decoyRec := withSNI(t, rec, sniExt(decoy))
	realRec := withSNI(t, rec, sniExt(name))
	at := sniOffset(t, realRec, name)
	vs = append(vs,
		variant{name: "duplicate SNI, decoy first", harmful: true, steps: inOrder(withSNI(t, rec, sniExt(decoy), sniExt(name)))},
		variant{name: "duplicate SNI, decoy last", harmful: true, steps: inOrder(withSNI(t, rec, sniExt(name), sniExt(decoy)))},
		variant{name: "two names in one SNI list", harmful: true, steps: inOrder(withSNI(t, rec, sniExt(decoy, name)))},
		// The decoy's bytes overlap the start of the SNI already received:
		// the server keeps the first copy, a filter that keeps the last would
		// read the decoy.
		variant{name: "overlap with the decoy's bytes", harmful: true, steps: []step{
			{off: 0, data: realRec[:at+5]}, {off: at, data: decoyRec[at:]}, {off: at + 5, data: realRec[at+5:]}}},
		variant{name: "overlap with the decoy's bytes, out of order", harmful: true, steps: []step{
			{off: at + 5, data: realRec[at+5:]}, {off: at, data: decoyRec[at : at+8]}, {off: 0, data: realRec[:at+5]}}},
		variant{name: "decoy segment with a bad checksum first", harmful: true, steps: []step{
			{off: 0, data: decoyRec, badCsum: true}, {off: 0, data: realRec}}},
		variant{name: "decoy hello after the real one", harmful: true, steps: inOrder(append(append([]byte{}, realRec...), decoyRec...))},
		variant{name: "decoy hello before the real one", harmful: true, steps: inOrder(append(append([]byte{}, decoyRec...), realRec...))},
	)
	return vs
}

func cuts(n, mss int) []int {
	var c []int
	for i := mss; i < n; i += mss {
		c = append(c, i)
	}
	return c
}

func mixed(s string) string {
	b := []byte(s)
	for i := range b {
		if i%2 == 0 {
			b[i] = bytes.ToUpper(b[i : i+1])[0]
		}
	}
	return string(b)
}

// run sends the variant as a new flow of device mac and returns the last
// verdict, failing if an earlier packet was already marked.
func (v variant) run(t *testing.T, h *handler, sport uint16, mac [6]byte) queue.Verdict {
	t.Helper()
	fl := newSeg(t, 443)
	fl.sport = sport
	h.handle(pkt(fl.syn(nil), mac))
	var last queue.Verdict
	for i, s := range v.steps {
		b := fl.at(s.off, s.data)
		if s.badCsum {
			b[len(b)-1] ^= 0x5a
		}
		last = h.handle(pkt(b, mac))
		if i < len(v.steps)-1 && last.State != ctmark.Unclassified {
			if last.State == ctmark.Allow {
				t.Errorf("%s: segment %d of %d marked ALLOW before the end", v.name, i+1, len(v.steps))
			}
			return last
		}
	}
	return last
}

// realHellos returns real single-record ClientHellos with their SNI: Go's,
// and the ones in the shared captures that name a host.
func realHellos(t *testing.T) map[string][]byte {
	out := map[string][]byte{"go post-quantum": goHello(t, "games.test")}
	dir := filepath.Join("..", "..", "..", "shared", "data", "pcap", "zeek", "tls")
	for _, f := range []string{"chrome-1250-tls-x25519-kyber.pcap", "tls13-ech.pcap"} {
		rec := firstHello(t, filepath.Join(dir, f))
		if rec == nil {
			t.Logf("adversary: %s absent: its hello is not used (../shared/data)", f)
			continue
		}
		out[f] = rec
	}
	return out
}

// firstHello returns the first client stream's ClientHello record of a
// capture, concatenating the first segments in capture order.
func firstHello(t *testing.T, path string) []byte {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		return nil
	}
	var stream []byte
	for {
		data, _, err := r.ReadPacketData()
		if err != nil {
			return nil
		}
		p := gopacket.NewPacket(data, r.LinkType(), gopacket.NoCopy)
		tc, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if !ok || tc.DstPort != 443 || len(tc.Payload) == 0 {
			continue
		}
		stream = append(stream, tc.Payload...)
		if len(stream) >= 5 && len(stream) >= 5+int(binary.BigEndian.Uint16(stream[3:])) {
			rec := stream[:5+int(binary.BigEndian.Uint16(stream[3:]))]
			if rec[0] != 0x16 || rec[5] != 1 {
				return nil
			}
			return rec
		}
	}
}

func TestAdversarialVariants(t *testing.T) {
	for label, rec := range realHellos(t) {
		var hl hello.Hello
		if err := hello.Parse(rec[5:], &hl); err != nil || !hl.HasSNI() {
			t.Fatalf("%s: %v", label, err)
		}
		orig := string(hl.Name())
		t.Run(label, func(t *testing.T) {
			// The blocked name is the hello's own (put on device A's list);
			// the decoy, an allowed name of the same length.
			blockedName := "games.test"
			decoy := strings.Repeat("x", len(blockedName)-5) + ".test"
			base := withSNI(t, rec, sniExt(blockedName))
			if orig == blockedName {
				base = rec
			}
			allowedBase := withSNI(t, rec, sniExt(decoy))
			h, _ := newFlowHandler(t)
			sport := uint16(1024)
			n := 0
			for _, v := range variants(t, base, blockedName, decoy) {
				sport++
				n++
				if got := v.run(t, h, sport, macA); !same(got, blocked) {
					t.Errorf("%s: blocked name ends %+v, want blocked", v.name, got)
				}
			}
			for _, v := range variants(t, allowedBase, decoy, "zz"+decoy[2:]) {
				if v.harmful {
					continue
				}
				sport++
				if got := v.run(t, h, sport, macA); !same(got, allowed) {
					t.Errorf("%s: allowed name ends %+v, want allowed", v.name, got)
				}
			}
			t.Logf("%s (SNI %s, %d bytes): %d variants of the blocked name, all blocked", label, orig, len(rec), n)
		})
	}
}
