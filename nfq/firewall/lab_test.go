package firewall

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	nfqueue "github.com/florianl/go-nfqueue/v2"
	"github.com/safeinternet/cpe/nfq/ctmark"
	"github.com/safeinternet/cpe/nfq/internal/nettest"
	"golang.org/x/sys/unix"
)

// Kernel-facing tests run in throwaway network namespaces named fw-<hash>-<role>:
//
//	client (eth0 10.99.1.2, fd99:1::2) ── lan0 router wan0 ── (eth0 10.99.2.2, fd99:2::2) server
//	                                (10.99.1.1, fd99:1::1 / 10.99.2.1, fd99:2::1)
//
// The agent's table is installed in the router namespace, with LAN = lan0.

// lab is the client ─ router ─ server topology with a logger for the
// agent's table.
type lab struct {
	*nettest.Lab
	log *slog.Logger
}

// Addresses of the lab.
var (
	clientV4 = netip.MustParseAddr("10.99.1.2")
	routerV4 = netip.MustParseAddr("10.99.1.1")
	serverV4 = netip.MustParseAddr("10.99.2.2")
	serverV6 = netip.MustParseAddr("fd99:2::2")
	// testBlockPage is the block page's address, as package dns answers it.
	testBlockPage = netip.MustParseAddr("192.0.2.1")
)

// newLab builds the topology, with forwarding and conntrack accounting on
// in the router.
func newLab(t *testing.T) *lab {
	t.Helper()
	nettest.NeedKernel(t, "network namespaces, nftables")
	l := &lab{
		Lab: nettest.NewLab(t, nettest.Prefix(t, "fw"), 99),
		log: testLogger(t),
	}
	l.Router.Do(t, func() {
		if err := EnableConntrackAccounting(); err != nil {
			t.Fatal(err)
		}
	})
	return l
}

// testLayout is the default ct mark layout.
func testLayout(t *testing.T) ctmark.Layout {
	l, err := ctmark.New(ctmark.DefaultMask)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// testLogger logs through t.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testWriter forwards log lines to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// table probes the router and installs a table built from cfg there
// (LAN and Layout default to lan0 and the default layout).
func (l *lab) table(t *testing.T, cfg Config) *Table {
	t.Helper()
	if cfg.LAN == nil {
		cfg.LAN = []string{"lan0"}
	}
	if cfg.Layout.Mask() == 0 {
		cfg.Layout = testLayout(t)
	}
	enc, err := probe(l.Router.FD, l.log)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := New(cfg, enc, l.log)
	if err != nil {
		t.Fatal(err)
	}
	tb.netns = l.Router.FD
	if err := tb.Install(); err != nil {
		t.Fatal(err)
	}
	return tb
}

// nftRule is one rule of `nft -j list table`.
type nftRule struct {
	Chain   string            `json:"chain"`
	Comment string            `json:"comment"`
	Expr    []json.RawMessage `json:"expr"`
}

// nftChain is one chain of `nft -j list table`.
type nftChain struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Hook   string `json:"hook"`
	Prio   int    `json:"prio"`
	Policy string `json:"policy"`
}

// listing is the parsed `nft -j list table inet safeinternet`.
type listing struct {
	chains []nftChain
	rules  []nftRule
	sets   map[string][]string
}

// list lists the agent's table in the namespace.
func list(t *testing.T, n nettest.Netns) listing {
	t.Helper()
	var doc struct {
		Nftables []struct {
			Chain *nftChain `json:"chain"`
			Rule  *nftRule  `json:"rule"`
			Set   *struct {
				Name string   `json:"name"`
				Elem []string `json:"elem"`
			} `json:"set"`
		} `json:"nftables"`
	}
	if err := json.Unmarshal(n.NFT(t, "-j", "list", "table", "inet", TableName), &doc); err != nil {
		t.Fatal(err)
	}
	out := listing{sets: map[string][]string{}}
	for _, o := range doc.Nftables {
		switch {
		case o.Chain != nil:
			out.chains = append(out.chains, *o.Chain)
		case o.Rule != nil:
			out.rules = append(out.rules, *o.Rule)
		case o.Set != nil:
			out.sets[o.Set.Name] = o.Set.Elem
		}
	}
	return out
}

// queued is what the test reader saw of one queued packet.
type queued struct {
	proto   byte
	sport   uint16
	dport   uint16
	payload int  // transport payload length
	first   byte // first payload byte (UDP), 0 when none
}

// verdictFunc decides a queued packet: the verdict and, when mark is not
// nil, the packet mark to set.
type verdictFunc func(p queued) (verdict int, mark *uint32)

// reader is a minimal queue reader for tests.
type reader struct {
	mu   sync.Mutex // guards seen
	seen []queued
}

// packets returns a copy of what the reader has seen.
func (r *reader) packets() []queued {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]queued(nil), r.seen...)
}

// count returns how many seen packets match f.
func (r *reader) count(f func(queued) bool) int {
	n := 0
	for _, p := range r.packets() {
		if f(p) {
			n++
		}
	}
	return n
}

// startReader listens on queue num in the router namespace until the test
// ends, deciding each packet with decide.
func (l *lab) startReader(t *testing.T, num uint16, decide verdictFunc) *reader {
	t.Helper()
	nf, err := nfqueue.Open(&nfqueue.Config{
		NetNS:        l.Router.FD,
		NfQueue:      num,
		MaxPacketLen: 0xffff,
		MaxQueueLen:  256,
		Copymode:     nfqueue.NfQnlCopyPacket,
		WriteTimeout: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); nf.Close() })
	r := &reader{}
	err = nf.RegisterWithErrorFunc(ctx, func(a nfqueue.Attribute) int {
		if a.PacketID == nil || a.Payload == nil {
			return 0
		}
		p := decode(*a.Payload)
		r.mu.Lock()
		r.seen = append(r.seen, p)
		r.mu.Unlock()
		v, mark := decide(p)
		var verr error
		if mark != nil {
			verr = nf.SetVerdictWithOption(*a.PacketID, v, nfqueue.WithMark(*mark))
		} else {
			verr = nf.SetVerdict(*a.PacketID, v)
		}
		if verr != nil {
			t.Logf("verdict: %v", verr)
		}
		return 0
	}, func(err error) int {
		if ctx.Err() != nil {
			return 1
		}
		t.Logf("queue reader: %v", err)
		return 0
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// acceptAll accepts every packet without a mark.
func acceptAll(queued) (int, *uint32) { return nfqueue.NfAccept, nil }

// decode reads protocol, destination port and payload length of an IPv4 or
// IPv6 packet (no extension headers: the lab sends none).
func decode(b []byte) queued {
	var p queued
	var l4 []byte
	switch {
	case len(b) >= 20 && b[0]>>4 == 4:
		ihl := int(b[0]&0x0f) * 4
		total := int(binary.BigEndian.Uint16(b[2:]))
		if ihl < 20 || total > len(b) || total < ihl {
			return p
		}
		p.proto, l4 = b[9], b[ihl:total]
	case len(b) >= 40 && b[0]>>4 == 6:
		total := 40 + int(binary.BigEndian.Uint16(b[4:]))
		if total > len(b) {
			return p
		}
		p.proto, l4 = b[6], b[40:total]
	default:
		return p
	}
	switch {
	case p.proto == unix.IPPROTO_UDP && len(l4) >= 8:
		p.sport, p.dport, p.payload = binary.BigEndian.Uint16(l4), binary.BigEndian.Uint16(l4[2:]), len(l4)-8
		if p.payload > 0 {
			p.first = l4[8]
		}
	case p.proto == unix.IPPROTO_TCP && len(l4) >= 20:
		off := int(l4[12]>>4) * 4
		if off <= len(l4) {
			p.sport, p.dport, p.payload = binary.BigEndian.Uint16(l4), binary.BigEndian.Uint16(l4[2:]), len(l4)-off
		}
	}
	return p
}

// eventually polls cond every 50 ms until it holds or 10 s have passed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10 s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// counter returns the packet count of the rule with comment in inet table.
func counter(t *testing.T, n nettest.Netns, table, comment string) uint64 {
	t.Helper()
	var doc struct {
		Nftables []struct {
			Rule *struct {
				Comment string `json:"comment"`
				Expr    []struct {
					Counter *struct {
						Packets uint64 `json:"packets"`
					} `json:"counter"`
				} `json:"expr"`
			} `json:"rule"`
		} `json:"nftables"`
	}
	if err := json.Unmarshal(n.NFT(t, "-j", "list", "table", "inet", table), &doc); err != nil {
		t.Fatal(err)
	}
	for _, o := range doc.Nftables {
		if o.Rule == nil || o.Rule.Comment != comment {
			continue
		}
		for _, e := range o.Rule.Expr {
			if e.Counter != nil {
				return e.Counter.Packets
			}
		}
	}
	t.Fatalf("no counter rule %q in table %s", comment, table)
	return 0
}
