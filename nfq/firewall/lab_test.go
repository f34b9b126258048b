package firewall

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	nfqueue "github.com/florianl/go-nfqueue/v2"
	"github.com/safeinternet/cpe/nfq/ctmark"
	"golang.org/x/sys/unix"
)

// Kernel-facing tests run in throwaway network namespaces named fw-<hash>-<role>:
//
//	client (eth0 10.99.1.2, fd99:1::2) ── lan0 router wan0 ── (eth0 10.99.2.2, fd99:2::2) server
//	                                (10.99.1.1, fd99:1::1 / 10.99.2.1, fd99:2::1)
//
// The agent's table is installed in the router namespace, with LAN = lan0.

// needKernel skips t unless it may create network namespaces and load
// nftables rules.
func needKernel(t *testing.T) {
	t.Helper()
	if os.Getenv("SAFEINTERNET_NO_KERNEL") == "1" {
		t.Skip("SAFEINTERNET_NO_KERNEL=1: kernel tests skipped")
	}
	if os.Geteuid() != 0 {
		t.Skip("kernel tests need root (network namespaces, nftables)")
	}
	for _, tool := range []string{"ip", "nft", "conntrack"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("kernel tests need %s: %v", tool, err)
		}
	}
}

// run runs a command and fails t with its output when it fails.
func run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// nsPrefix returns a namespace name prefix unique to the test.
func nsPrefix(t *testing.T) string {
	h := fnv.New32a()
	fmt.Fprintf(h, "%d/%s", os.Getpid(), t.Name())
	return fmt.Sprintf("fw-%08x", h.Sum32())
}

// netns is a named network namespace with an open fd.
type netns struct {
	name string
	fd   int
}

// newNetns creates the namespace name (removed in t.Cleanup) with lo up.
func newNetns(t *testing.T, name string) netns {
	t.Helper()
	_ = exec.Command("ip", "netns", "del", name).Run() // leftover of a killed run
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	f, err := os.Open("/var/run/netns/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	run(t, "ip", "-n", name, "link", "set", "lo", "up")
	return netns{name: name, fd: int(f.Fd())}
}

// do runs fn on a thread that is inside the namespace; sockets fn creates
// stay in it.
func (n netns) do(t *testing.T, fn func()) {
	t.Helper()
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		t.Fatal(err)
	}
	defer orig.Close()
	if err := unix.Setns(n.fd, unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		t.Fatalf("setns %s: %v", n.name, err)
	}
	fn()
	if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
		// Leave the thread locked: it dies with the goroutine.
		t.Fatalf("setns back: %v", err)
	}
	runtime.UnlockOSThread()
}

// nft runs nft in the namespace and returns stdout (libxtables complains on
// stderr about the compat target in an inet table; that is only display).
func (n netns) nft(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", n.name, "nft"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nft %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// lab is the client ─ router ─ server topology.
type lab struct {
	client, router, server netns
	log                    *slog.Logger
}

// Addresses of the lab.
var (
	clientV4 = netip.MustParseAddr("10.99.1.2")
	routerV4 = netip.MustParseAddr("10.99.1.1")
	serverV4 = netip.MustParseAddr("10.99.2.2")
	serverV6 = netip.MustParseAddr("fd99:2::2")
)

// newLab builds the topology, with forwarding and conntrack accounting on
// in the router.
func newLab(t *testing.T) *lab {
	t.Helper()
	needKernel(t)
	p := nsPrefix(t)
	l := &lab{
		client: newNetns(t, p+"-c"),
		router: newNetns(t, p+"-r"),
		server: newNetns(t, p+"-s"),
		log:    testLogger(t),
	}
	r, c, s := l.router.name, l.client.name, l.server.name
	for _, n := range []string{r, c, s} {
		// No duplicate address detection: addresses are usable at once.
		run(t, "ip", "netns", "exec", n, "sysctl", "-q", "-w",
			"net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
	}
	for _, cmd := range [][]string{
		{"ip", "-n", r, "link", "add", "lan0", "type", "veth", "peer", "name", "eth0", "netns", c},
		{"ip", "-n", r, "link", "add", "wan0", "type", "veth", "peer", "name", "eth0", "netns", s},
		{"ip", "-n", r, "addr", "add", "10.99.1.1/24", "dev", "lan0"},
		{"ip", "-n", r, "addr", "add", "fd99:1::1/64", "dev", "lan0", "nodad"},
		{"ip", "-n", r, "addr", "add", "10.99.2.1/24", "dev", "wan0"},
		{"ip", "-n", r, "addr", "add", "fd99:2::1/64", "dev", "wan0", "nodad"},
		{"ip", "-n", c, "addr", "add", "10.99.1.2/24", "dev", "eth0"},
		{"ip", "-n", c, "addr", "add", "fd99:1::2/64", "dev", "eth0", "nodad"},
		{"ip", "-n", s, "addr", "add", "10.99.2.2/24", "dev", "eth0"},
		{"ip", "-n", s, "addr", "add", "fd99:2::2/64", "dev", "eth0", "nodad"},
		{"ip", "-n", r, "link", "set", "lan0", "up"},
		{"ip", "-n", r, "link", "set", "wan0", "up"},
		{"ip", "-n", c, "link", "set", "eth0", "up"},
		{"ip", "-n", s, "link", "set", "eth0", "up"},
		{"ip", "-n", c, "route", "add", "default", "via", "10.99.1.1"},
		{"ip", "-n", c, "-6", "route", "add", "default", "via", "fd99:1::1"},
		{"ip", "-n", s, "route", "add", "default", "via", "10.99.2.1"},
		{"ip", "-n", s, "-6", "route", "add", "default", "via", "fd99:2::1"},
		{"ip", "netns", "exec", r, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"},
	} {
		run(t, cmd...)
	}
	l.router.do(t, func() {
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
	enc, err := probe(l.router.fd, l.log)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := New(cfg, enc, l.log)
	if err != nil {
		t.Fatal(err)
	}
	tb.netns = l.router.fd
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
func (n netns) list(t *testing.T) listing {
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
	if err := json.Unmarshal(n.nft(t, "-j", "list", "table", "inet", TableName), &doc); err != nil {
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

// conntrackMarks returns the ct mark of every flow in the router namespace
// matching the conntrack filter args (e.g. "-p", "tcp", "--dport", "80").
func (l *lab) conntrackMarks(t *testing.T, args ...string) []uint32 {
	t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", l.router.name, "conntrack", "-L"}, args...)...)
	out, err := cmd.Output() // the summary line goes to stderr
	if err != nil {
		t.Fatalf("conntrack -L %v: %v", args, err)
	}
	var marks []uint32
	for _, m := range regexp.MustCompile(`mark=(\d+)`).FindAllSubmatch(out, -1) {
		v, err := strconv.ParseUint(string(m[1]), 10, 32)
		if err != nil {
			t.Fatal(err)
		}
		marks = append(marks, uint32(v))
	}
	return marks
}

// queued is what the test reader saw of one queued packet.
type queued struct {
	proto   byte
	dport   uint16
	payload int // transport payload length
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
		NetNS:        l.router.fd,
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
			verr = nf.SetVerdictWithMark(*a.PacketID, v, int(*mark))
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
		p.dport, p.payload = binary.BigEndian.Uint16(l4[2:]), len(l4)-8
	case p.proto == unix.IPPROTO_TCP && len(l4) >= 20:
		off := int(l4[12]>>4) * 4
		if off <= len(l4) {
			p.dport, p.payload = binary.BigEndian.Uint16(l4[2:]), len(l4)-off
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

// ioTimeout bounds every socket operation of the lab.
const ioTimeout = 5 * time.Second

// echoTCP serves a TCP echo on port (both families) in the namespace until
// the test ends.
func (n netns) echoTCP(t *testing.T, port int) {
	t.Helper()
	var ln net.Listener
	n.do(t, func() {
		var err error
		if ln, err = net.Listen("tcp", fmt.Sprintf(":%d", port)); err != nil {
			t.Fatal(err)
		}
	})
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(3 * ioTimeout))
				_, _ = io.Copy(c, c)
			}()
		}
	}()
}

// echoUDP serves a UDP echo on port (both families) in the namespace until
// the test ends.
func (n netns) echoUDP(t *testing.T, port int) {
	t.Helper()
	var pc net.PacketConn
	n.do(t, func() {
		var err error
		if pc, err = net.ListenPacket("udp", fmt.Sprintf(":%d", port)); err != nil {
			t.Fatal(err)
		}
	})
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			k, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = pc.WriteTo(buf[:k], from)
		}
	}()
}

// dial connects from the namespace to addr ("tcp" or "udp").
func (n netns) dial(t *testing.T, network string, addr netip.AddrPort) net.Conn {
	t.Helper()
	var c net.Conn
	n.do(t, func() {
		var err error
		d := net.Dialer{Timeout: ioTimeout}
		if c, err = d.Dial(network, addr.String()); err != nil {
			t.Fatal(err)
		}
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip writes msg on c and reads the echo back.
func roundTrip(c net.Conn, msg string) error {
	if err := c.SetDeadline(time.Now().Add(ioTimeout)); err != nil {
		return err
	}
	if _, err := c.Write([]byte(msg)); err != nil {
		return err
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil {
		return err
	}
	if string(buf) != msg {
		return fmt.Errorf("echo %q, want %q", buf, msg)
	}
	return nil
}

// nftScript loads an nft script in the namespace (test tables only).
func nftScript(t *testing.T, n netns, script string) {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", n.name, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft -f: %v\n%s\n%s", err, out, script)
	}
}

// counter returns the packet count of the rule with comment in inet table.
func counter(t *testing.T, n netns, table, comment string) uint64 {
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
	if err := json.Unmarshal(n.nft(t, "-j", "list", "table", "inet", table), &doc); err != nil {
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
