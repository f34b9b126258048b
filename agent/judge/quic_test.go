package judge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/safeinternet/cpe/agent/config"
	"github.com/safeinternet/cpe/agent/policy"
	"github.com/safeinternet/cpe/nfq/packet"
	"github.com/safeinternet/cpe/nfq/queue"
	"github.com/safeinternet/cpe/nfq/quic"
	"github.com/safeinternet/cpe/nfq/quic/quictest"
	"github.com/safeinternet/cpe/nfq/reading"
)

// The ends of the test QUIC flows: a device on the LAN and a server.
const (
	quicDevice = "192.168.50.10"
	quicServer = "10.99.0.2"
)

// quicHello is the ClientHello of Go's QUIC client for name (post-quantum:
// it needs two Initials of common size).
func quicHello(t testing.TB, name string) []byte {
	t.Helper()
	h, err := quictest.Hello(name)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// initials seals hello into client Initial datagrams or fails the test.
func initials(t testing.TB, hello []byte, o quictest.Options) [][]byte {
	t.Helper()
	d, err := quictest.Initials(hello, o)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// udpFlow wraps datagrams into IP packets from the device's port sport to
// the server's port 443.
func udpFlow(t testing.TB, src, dst string, sport uint16, dgrams [][]byte) [][]byte {
	t.Helper()
	out := make([][]byte, len(dgrams))
	for i, d := range dgrams {
		out[i] = ipPacket(t, src, dst, &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: 443}, d)
	}
	return out
}

// playFlow gives h the packets of one flow from mac, in order, until one
// gets a verdict other than "accept unmarked": the verdict that settles
// the flow (in the kernel, later packets would not reach the queue). It
// returns that packet's index and verdict, or len(pkts) and accepted when
// no packet settled the flow.
func playFlow(h *handler, mac [6]byte, pkts [][]byte) (int, queue.Verdict) {
	for i, b := range pkts {
		if v := h.handle(pkt(b, mac)); !same(v, accepted) {
			return i, v
		}
	}
	return len(pkts), accepted
}

// completesAt returns the index of the datagram on which quic.Reader
// completes the ClientHello (len(dgrams) when it never does): where the
// handler must judge the flow.
func completesAt(dgrams [][]byte) int {
	var r quic.Reader
	for i, d := range dgrams {
		if h, err := r.Add(d); h != nil || err != nil {
			return i
		}
	}
	return len(dgrams)
}

// useConfig compiles text and makes it the handler's policy.
func useConfig(t testing.TB, h *handler, text string) {
	t.Helper()
	cfg, err := config.LoadBytes("quic", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := policy.Compile(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := *h.rules.Load()
	r.Snap = snap
	h.rules.Store(&r)
}

// TestQUICNames: a QUIC flow is judged by the ClientHello in its Initials,
// on the datagram that completes it; earlier datagrams pass unmarked. Both
// versions, 1 to 4 Initials, tidy and shuffled, IPv4 and IPv6.
func TestQUICNames(t *testing.T) {
	names := []struct {
		name string
		mac  [6]byte
		sni  string
		want queue.Verdict
	}{
		{"allowed", macA, "school.test", allowed},
		{"blocked", macA, "games.test", blocked},
		{"subdomain blocked", macA, "www.games.test", blocked},
		{"upper case blocked", macA, "CDN.Games.TEST", blocked},
		{"suffix is not a subdomain", macA, "notgames.test", allowed},
		{"unrestricted, blocked name", macB, "www.games.test", blocked},
		{"unrestricted, allowed name", macB, "school.test", allowed},
	}
	shapes := []struct {
		name  string
		opts  quictest.Options
		seeds int
	}{
		{"tidy", quictest.Options{Padding: true}, 0},
		{"shuffled", quictest.Options{Padding: true, Ping: true}, 4},
		{"shuffled, coalesced", quictest.Options{Padding: true, Coalesce: 2}, 4},
	}
	ends := []struct{ name, src, dst string }{
		{"IPv4", quicDevice, quicServer},
		{"IPv6", "fd50::10", "fd99::2"},
	}
	for _, c := range names {
		hello := quicHello(t, c.sni)
		t.Run(c.name, func(t *testing.T) {
			h, _ := newFlowHandler(t)
			sport := uint16(50000)
			for _, version := range []uint32{quic.Version1, quic.Version2} {
				for n := 1; n <= 4; n++ {
					for _, s := range shapes {
						for seed := range max(1, s.seeds) {
							o := s.opts
							o.Version, o.Initials = version, n
							if s.seeds > 0 {
								o.Shuffle = rand.New(rand.NewPCG(uint64(seed), uint64(n)))
							}
							dgrams := initials(t, hello, o)
							e := ends[int(sport)%2]
							sport++
							i, v := playFlow(h, c.mac, udpFlow(t, e.src, e.dst, sport, dgrams))
							if i != len(dgrams)-1 || !same(v, c.want) {
								t.Fatalf("v%#x, %d initials, %s seed %d, %s: datagram %d/%d got %+v; want %+v on the last",
									version, n, s.name, seed, e.name, i+1, len(dgrams), v, c.want)
							}
						}
					}
				}
			}
			if len(h.quicFlows.m) != 0 {
				t.Errorf("%d QUIC flows left in the table", len(h.quicFlows.m))
			}
		})
	}
}

// noQUICConfig has a restricted child and an unrestricted adult, both on
// profiles that do not allow QUIC.
const noQUICConfig = `
config agent 'main'
	list lan 'br-lan'

config profile 'child'
	option restricted '1'
	option quic '0'

config profile 'adult'
	option restricted '0'
	option quic '0'

config device 'a'
	option mac '02:00:00:00:00:0a'
	option profile 'child'

config device 'b'
	option mac '02:00:00:00:00:0b'
	option profile 'adult'
`

// TestQUICProfileWithoutQUIC: on a profile with option quic '0' the first
// datagram of every UDP/443 flow is dropped and the flow blocked (reason
// no_quic), whatever it holds, without reading it.
func TestQUICProfileWithoutQUIC(t *testing.T) {
	hello := quicHello(t, "school.test")
	for _, c := range []struct {
		name   string
		mac    [6]byte
		dgrams [][]byte
	}{
		{"restricted, allowed name", macA, initials(t, hello, quictest.Options{Initials: 2, Padding: true})},
		{"unrestricted, allowed name", macB, initials(t, hello, quictest.Options{Version: quic.Version2, Initials: 3, Padding: true})},
		{"unrestricted, not QUIC", macB, [][]byte{[]byte("not quic at all")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, _ := newFlowHandler(t)
			useConfig(t, h, noQUICConfig)
			var log bytes.Buffer
			h.log = slog.New(slog.NewJSONHandler(&log, nil))
			r := *h.rules.Load()
			r.LogDecisions = true
			h.rules.Store(&r)

			i, v := playFlow(h, c.mac, udpFlow(t, quicDevice, quicServer, 40000, c.dgrams))
			if i != 0 || !same(v, blocked) {
				t.Fatalf("datagram %d: %+v; want the first blocked", i, v)
			}
			var line struct{ Kind, Reason, Action string }
			if err := json.Unmarshal(log.Bytes(), &line); err != nil {
				t.Fatalf("decision log %q: %v", log.String(), err)
			}
			if line.Kind != "quic" || line.Reason != "no_quic" || line.Action != "block" {
				t.Errorf("logged %+v, want a quic block for no_quic", line)
			}
			if len(h.quicFlows.m) != 0 {
				t.Error("a flow was opened for a profile without QUIC")
			}
		})
	}
}

// TestQUICUnreadable: a UDP/443 flow whose first datagram is no Initial
// the agent can open is unreadable: blocked for the restricted device,
// allowed for the unrestricted one.
func TestQUICUnreadable(t *testing.T) {
	hello := quicHello(t, "school.test")
	good := initials(t, hello, quictest.Options{Initials: 2, Padding: true})[0]
	rng := rand.New(rand.NewPCG(3, 3))
	random := make([]byte, 1200)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	// The same Initial with the version of draft 29, which the agent does
	// not read.
	draft := slices.Clone(good)
	copy(draft[1:5], []byte{0xff, 0x00, 0x00, 0x1d})
	// An Initial sealed with keys of another DCID than its header's.
	wrongKeys, err := (&quictest.Packet{Version: quic.Version1, DCID: []byte{1, 2, 3, 4, 5, 6, 7, 8},
		KeyDCID: []byte{8, 7, 6, 5, 4, 3, 2, 1}, PNLen: 1,
		Frames: quictest.AppendPadding(quictest.AppendCrypto(nil, 0, hello[:900]), 400)}).Seal(nil)
	if err != nil {
		t.Fatal(err)
	}
	short := slices.Clone(random)
	short[0] = 0x40 | short[0]&0x3f // a short header (1-RTT) packet
	for _, c := range []struct {
		name  string
		dgram []byte
	}{
		{"random bytes", random},
		{"unsupported version", draft},
		{"version negotiation", append([]byte{0x80, 0, 0, 0, 0}, good[5:]...)},
		{"short header, no Initial seen", short},
		{"Initial that does not decrypt", wrongKeys},
		{"Initial cut short", good[:40]},
		{"empty datagram", []byte{}},
	} {
		for _, d := range []struct {
			mac  [6]byte
			want queue.Verdict
		}{{macA, blocked}, {macB, allowed}} {
			t.Run(fmt.Sprintf("%s/%x", c.name, d.mac[5]), func(t *testing.T) {
				h, _ := newFlowHandler(t)
				i, v := playFlow(h, d.mac, udpFlow(t, quicDevice, quicServer, 40000, [][]byte{c.dgram}))
				if i != 0 || !same(v, d.want) {
					t.Errorf("%+v, want %+v", v, d.want)
				}
				if h.counters.Unreadable.Load() != 1 || len(h.quicFlows.m) != 0 {
					t.Errorf("unreadable %d, %d flows left", h.counters.Unreadable.Load(), len(h.quicFlows.m))
				}
			})
		}
	}
}

// TestQUICEvasions: shapes of client traffic meant to show the agent
// another name than the server reads, or none, end blocked for the
// restricted device.
func TestQUICEvasions(t *testing.T) {
	bad, good := quicHello(t, "games.test"), quicHello(t, "school.test")
	badDCID := []byte{0xba, 0xdd, 0xc1, 0xd0, 0xba, 0xdd, 0xc1, 0xd0}
	goodDCID := []byte{0x90, 0x0d, 0xc1, 0xd0, 0x90, 0x0d, 0xc1, 0xd0}
	conflict := func(hello []byte) [][]byte {
		// The other hello's bytes over the middle of this one, where the
		// server_name and key shares are.
		return initials(t, hello, quictest.Options{Initials: 2, Padding: true, Overlap: good[300:900], OverlapAt: 300,
			Shuffle: rand.New(rand.NewPCG(1, 2))})
	}
	// Two connection attempts on one flow, their datagrams interleaved: the
	// blocked hello under one DCID, the allowed one under another.
	interleaved := func() [][]byte {
		a := initials(t, bad, quictest.Options{DCID: badDCID, Initials: 2, Padding: true})
		b := initials(t, good, quictest.Options{DCID: goodDCID, Initials: 2, Padding: true})
		return [][]byte{a[0], b[0], a[1], b[1]}
	}
	real := initials(t, bad, quictest.Options{DCID: badDCID, Initials: 2, Padding: true})
	for _, c := range []struct {
		name   string
		mac    [6]byte
		dgrams [][]byte
		want   queue.Verdict
	}{
		{"conflicting CRYPTO overlap, blocked name", macA, conflict(bad), blocked},
		{"conflicting CRYPTO overlap, allowed name", macA, conflict(slices.Concat(good[:300], bad[300:])), blocked},
		{"conflicting CRYPTO overlap, unrestricted: not read, allowed", macB, conflict(bad), allowed},
		{"two connection attempts interleaved", macA, interleaved(), blocked},
		{"blocked hello, then an allowed one under a new DCID", macA,
			slices.Concat(real, initials(t, good, quictest.Options{DCID: goodDCID, Initials: 2, Padding: true})), blocked},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, _ := newFlowHandler(t)
			_, v := playFlow(h, c.mac, udpFlow(t, quicDevice, quicServer, 40000, c.dgrams))
			if !same(v, c.want) {
				t.Errorf("flow ends %+v, want %+v", v, c.want)
			}
		})
	}
}

// discardedReadBug marks a known gap of the QUIC path, found by
// TestQUICDiscardedDatagrams: handler.quic (read.go) reads every UDP/443
// datagram, including those the server discards unread, so a client can
// settle its flow as ALLOW with an allowed ClientHello the server never
// sees and then send the blocked one, which the kernel no longer queues.
// While it is true that test skips instead of failing; set it to false
// with the fix.
const discardedReadBug = false

// TestQUICDiscardedDatagrams: datagrams a QUIC server discards unread must
// not settle the flow: an allowed ClientHello in them, followed by the
// blocked one the server does read, ends blocked for the restricted device.
// A server drops a datagram with a bad UDP checksum (its kernel does), a
// client Initial in a datagram under 1200 bytes (RFC 9000 §14.1) and a
// first Initial whose DCID is under 8 bytes (RFC 9000 §7.2; quic-go and
// quiche drop them).
func TestQUICDiscardedDatagrams(t *testing.T) {
	bad, good := quicHello(t, "games.test"), quicHello(t, "school.test")
	real := initials(t, bad, quictest.Options{Initials: 2, Padding: true})
	for _, c := range []struct {
		name string
		fake func(t *testing.T) [][]byte // IP packets
	}{
		{"bad UDP checksum", func(t *testing.T) [][]byte {
			pkts := udpFlow(t, quicDevice, quicServer, 40000, initials(t, good, quictest.Options{Initials: 2, Padding: true}))
			for _, p := range pkts {
				p[20+6] ^= 0xff // the UDP checksum field, after a 20-byte IPv4 header
				var pp packet.Parsed
				if pp.Decode(p); !pp.Valid() || pp.ChecksumOK() {
					t.Fatal("the fake datagram's checksum is not bad")
				}
			}
			return pkts
		}},
		{"datagrams under 1200 bytes", func(t *testing.T) [][]byte {
			return udpFlow(t, quicDevice, quicServer, 40000, initials(t, good, quictest.Options{Initials: 2}))
		}},
		{"DCID under 8 bytes", func(t *testing.T) [][]byte {
			return udpFlow(t, quicDevice, quicServer, 40000, initials(t, good, quictest.Options{Initials: 2, Padding: true, DCID: []byte{1, 2, 3, 4}}))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, _ := newFlowHandler(t)
			pkts := slices.Concat(c.fake(t), udpFlow(t, quicDevice, quicServer, 40000, real))
			i, v := playFlow(h, macA, pkts)
			if !same(v, blocked) {
				if discardedReadBug {
					t.Skipf("known gap (discardedReadBug): flow settled on packet %d/%d with %+v; want blocked by the hello the server reads", i+1, len(pkts), v)
				}
				t.Errorf("flow settled on packet %d/%d with %+v; want blocked by the hello the server reads", i+1, len(pkts), v)
			}
		})
	}
}

// guardGap marks a known gap of the QUIC path, found by
// TestQUICNeverCompletes: the agent judges a flow whose ClientHello never
// completes at reading.MaxDatagrams (12), but the kernel queues only the
// first guard packets of a flow (8 by default), so the agent never gets
// there. With fail mode "closed" the kernel then rejects the flow; with
// fail mode "open" it passes unread, for restricted devices too. While it
// is true that test skips instead of failing; set it to false with the fix.
const guardGap = false

// TestQUICNeverCompletes: a flow whose Initials decrypt but never complete
// a ClientHello (PING-only Initials, or part of a hello and then PINGs) is
// judged unreadable by the agent while the kernel still queues it: within
// the guard's count of datagrams.
func TestQUICNeverCompletes(t *testing.T) {
	hello := quicHello(t, "school.test")
	dcid := []byte{0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08}
	ping := func(pn int) []byte {
		d, err := (&quictest.Packet{Version: quic.Version1, DCID: dcid, PN: uint64(pn), PNLen: 2,
			Frames: quictest.AppendPadding([]byte{quictest.FramePing}, 1200)}).Seal(nil)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, c := range []struct {
		name  string
		first [][]byte
	}{
		{"PING only", nil},
		{"first half of a hello, then PING", initials(t, hello, quictest.Options{DCID: dcid, Initials: 2, Padding: true})[:1]},
	} {
		for _, d := range []struct {
			mac  [6]byte
			want queue.Verdict
		}{{macA, blocked}, {macB, allowed}} {
			t.Run(fmt.Sprintf("%s/%x", c.name, d.mac[5]), func(t *testing.T) {
				h, _ := newFlowHandler(t)
				guard := h.rules.Load().Guard
				dgrams := slices.Clone(c.first)
				for pn := 10; len(dgrams) < reading.MaxDatagrams+1; pn++ {
					dgrams = append(dgrams, ping(pn))
				}
				i, v := playFlow(h, d.mac, udpFlow(t, quicDevice, quicServer, 40000, dgrams))
				if i >= guard || !same(v, d.want) {
					if guardGap {
						t.Skipf("known gap (guardGap): settled on datagram %d with %+v; the kernel queues %d", i+1, v, guard)
					}
					t.Errorf("settled on datagram %d with %+v; want %+v within the guard of %d", i+1, v, d.want, guard)
				}
			})
		}
	}
}

// quicVariant is one adversarial client flight for hello, drawn from seed:
// version 1 or 2, a random DCID and SCID, 2 to 4 Initials with shuffled
// CRYPTO frames among PING and PADDING, packets coalesced, datagrams
// shuffled; then sometimes PING-only Initials among them, a retransmitted
// (equal) stretch of the CRYPTO stream, zero bytes after the packets, and
// duplicated datagrams.
func quicVariant(t testing.TB, hello []byte, seed uint64) [][]byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 0xad))
	version := []uint32{quic.Version1, quic.Version2}[rng.IntN(2)]
	cid := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	o := quictest.Options{Version: version, DCID: cid(8 + rng.IntN(13)), SCID: cid(rng.IntN(21)),
		// Always padded: a server discards client Initials in datagrams
		// under 1200 bytes, and so does the agent (the draw is kept so
		// that seeds give the same flights).
		Initials: 2 + rng.IntN(3), Shuffle: rng, Padding: rng.IntN(4) >= 0, Ping: rng.IntN(2) == 0,
		Coalesce: 1 + rng.IntN(3)}
	if rng.IntN(3) == 0 {
		a := rng.IntN(len(hello))
		b := min(len(hello), a+1+rng.IntN(400))
		o.Overlap, o.OverlapAt = hello[a:b], a
	}
	dgrams := initials(t, hello, o)
	for i := range rng.IntN(3) {
		p := quictest.Packet{Version: version, DCID: o.DCID, SCID: o.SCID, PN: uint64(10 + i), PNLen: 1 + rng.IntN(4),
			Frames: quictest.AppendPadding([]byte{quictest.FramePing}, 1200)}
		d, err := p.Seal(nil)
		if err != nil {
			t.Fatal(err)
		}
		dgrams = slices.Insert(dgrams, rng.IntN(len(dgrams)+1), d)
	}
	if rng.IntN(4) == 0 {
		i := rng.IntN(len(dgrams))
		dgrams[i] = append(slices.Clone(dgrams[i]), make([]byte, 1+rng.IntN(64))...)
	}
	for range rng.IntN(3) {
		i := rng.IntN(len(dgrams))
		dgrams = slices.Insert(dgrams, i+1+rng.IntN(len(dgrams)-i), dgrams[i])
	}
	return dgrams
}

// TestQUICAdversarial: "QUIC frames shuffled and split across 2–4
// Initials. Every variant of a blocked name ends blocked." Many variants
// of a blocked name's flight end blocked for both devices, the same
// variants of allowed names end allowed, each on the datagram where the
// ClientHello completes. One handler serves every flow, so its pooled
// readers are reused across flows.
func TestQUICAdversarial(t *testing.T) {
	seeds := uint64(300)
	if testing.Short() {
		seeds = 40
	}
	blockedNames := []string{"games.test", "www.games.test", "Play.GAMES.test"}
	allowedNames := []string{"school.test", "notgames.test", "games.test.example"}
	hellos := map[string][]byte{}
	for _, n := range slices.Concat(blockedNames, allowedNames) {
		hellos[n] = quicHello(t, n)
	}
	h, _ := newFlowHandler(t)
	sport := uint16(20000)
	check := func(seed uint64, name string, mac [6]byte, want queue.Verdict) {
		t.Helper()
		dgrams := quicVariant(t, hellos[name], seed)
		sport++
		i, v := playFlow(h, mac, udpFlow(t, quicDevice, quicServer, sport, dgrams))
		if at := completesAt(dgrams); i != at || !same(v, want) {
			t.Errorf("seed %d, %s, device %x: datagram %d/%d got %+v; want %+v on datagram %d",
				seed, name, mac[5], i+1, len(dgrams), v, want, at+1)
		}
	}
	for seed := range seeds {
		b := blockedNames[seed%uint64(len(blockedNames))]
		check(seed, b, macA, blocked)
		check(seed, b, macB, blocked)
		check(seed, allowedNames[seed%uint64(len(allowedNames))], macA, allowed)
	}
	if len(h.quicFlows.m) != 0 {
		t.Errorf("%d QUIC flows left in the table", len(h.quicFlows.m))
	}
	if n := h.counters.QUICFlows.Load(); n != 3*seeds {
		t.Errorf("%d QUIC flows judged, want %d", n, 3*seeds)
	}
}

// quicFlights are the client flights of the allocation guard and the
// benchmark: Go's post-quantum ClientHello in n padded Initials, shuffled
// with seed unless it is 0.
var quicFlights = []struct {
	name    string
	sni     string
	version uint32
	n       int
	seed    uint64
}{
	{"v1-allowed-2-initials", "www.school.test", quic.Version1, 2, 0},
	{"v2-allowed-2-initials", "www.school.test", quic.Version2, 2, 0},
	{"v1-blocked-2-initials", "www.games.test", quic.Version1, 2, 0},
	{"v2-blocked-3-initials-shuffled", "www.games.test", quic.Version2, 3, 3},
	{"v1-allowed-1-initial", "www.school.test", quic.Version1, 1, 0},
	{"v1-allowed-4-initials-shuffled", "www.school.test", quic.Version1, 4, 4},
}

// quicFlowPackets returns the packets of flight i of quicFlights, from
// device A.
func quicFlowPackets(t testing.TB, i int) []*queue.Packet {
	t.Helper()
	c := quicFlights[i]
	o := quictest.Options{Version: c.version, Initials: c.n, Padding: true}
	if c.seed != 0 {
		o.Shuffle = rand.New(rand.NewPCG(c.seed, c.seed))
	}
	var out []*queue.Packet
	for _, b := range udpFlow(t, quicDevice, quicServer, 40000, initials(t, quicHello(t, c.sni), o)) {
		out = append(out, pkt(b, macA))
	}
	return out
}

// TestQUICFlowAllocs: once warm, the whole QUIC path of a flow (decode,
// Initial decryption, CRYPTO reassembly, ClientHello parse, decision,
// verdict, for every datagram) allocates no more than deriving one set of
// Initial keys does: the flow's reader comes from the pool, its scratch
// buffer is kept, and only the keys of the new DCID are new. Derive
// allocates the AES block of the packet key (aes.NewCipher), its GCM
// (cipher.NewGCM) and the AES block of the header protection key
// (aes.NewCipher): 3 allocations, the bound asserted here.
func TestQUICFlowAllocs(t *testing.T) {
	const deriveBound = 3
	for i, c := range quicFlights {
		t.Run(c.name, func(t *testing.T) {
			h, _ := newFlowHandler(t)
			h.send = discard{}
			pkts := quicFlowPackets(t, i)
			flow := func() {
				// The same datagrams again would be a retransmission of a
				// judged flow; forget the verdict so that each run is read.
				clear(h.recent.m)
				for _, p := range pkts {
					h.handle(p)
				}
			}
			flow()
			if h.counters.QUICFlows.Load() != 1 {
				t.Fatal("the warm-up flow was not judged")
			}
			got := testing.AllocsPerRun(100, flow)
			var k quic.Keys
			dcid := []byte{0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08}
			derive := testing.AllocsPerRun(100, func() { k.Derive(c.version, dcid) })
			if derive > deriveBound {
				t.Errorf("Derive: %v allocations, want at most %d", derive, deriveBound)
			}
			if got > derive {
				t.Errorf("%v allocations per flow, want at most one key derivation's %v", got, derive)
			}
			if h.counters.QUICFlows.Load() != 102 {
				t.Errorf("%d flows judged, want one per run", h.counters.QUICFlows.Load())
			}
		})
	}
}

// BenchmarkQUICFlow reports the agent's cost of one QUIC flow's first
// datagrams (Go's post-quantum ClientHello in padded Initials): Initial key
// derivation, decryption, CRYPTO reassembly, ClientHello parse, decision
// and verdict, per flow.
func BenchmarkQUICFlow(b *testing.B) {
	for i, c := range quicFlights {
		b.Run(c.name, func(b *testing.B) {
			h, _ := newFlowHandler(b)
			h.send = discard{}
			pkts := quicFlowPackets(b, i)
			size := 0
			for _, p := range pkts {
				size += len(p.Payload)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				clear(h.recent.m) // each run a new flow, not a retransmission
				for _, p := range pkts {
					h.handle(p)
				}
			}
		})
	}
}

// TestQUICSecondConnectionOnAllowedFlow: the kernel queues Initials of an
// ALLOW flow; a new connection on the same addresses and ports (a new DCID,
// a new ClientHello) is read and judged, while the first connection's own
// later Initials (ACKs under the server's connection ID, a retransmission
// of its first Initial) keep its verdict.
func TestQUICSecondConnectionOnAllowedFlow(t *testing.T) {
	h, _ := newFlowHandler(t)
	dcid := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	first := initials(t, quicHello(t, "school.test"), quictest.Options{DCID: dcid, Initials: 2, Padding: true})
	if _, v := playFlow(h, macA, udpFlow(t, quicDevice, quicServer, 40000, first)); !same(v, allowed) {
		t.Fatalf("first connection: %+v, want allowed", v)
	}
	// The client's Initial acknowledging the server's: the server's
	// connection ID in the header, the first DCID's keys, no CRYPTO data.
	ack, err := (&quictest.Packet{Version: quic.Version1, DCID: []byte{9, 9, 9, 9, 9, 9, 9, 9}, KeyDCID: dcid, PN: 5, PNLen: 2,
		Frames: quictest.AppendPadding([]byte{0x02, 0, 0, 0, 0}, 1200)}).Seal(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		dgram []byte
		want  queue.Verdict
	}{
		{"its ACK Initial", ack, allowed},
		{"its first Initial again", first[0], allowed},
	} {
		if v := h.handle(pkt(udpFlow(t, quicDevice, quicServer, 40000, [][]byte{c.dgram})[0], macA)); !same(v, c.want) {
			t.Errorf("%s: %+v, want %+v", c.name, v, c.want)
		}
	}
	second := initials(t, quicHello(t, "games.test"), quictest.Options{DCID: []byte{7, 7, 7, 7, 7, 7, 7, 7}, Initials: 2, Padding: true})
	if _, v := playFlow(h, macA, udpFlow(t, quicDevice, quicServer, 40000, second)); !same(v, blocked) {
		t.Errorf("second connection with a blocked name: %+v, want blocked", v)
	}
}
