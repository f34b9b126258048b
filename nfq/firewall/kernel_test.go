package firewall

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeinternet/cpe/nfq/internal/nettest"
	"golang.org/x/sys/unix"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the kernel")

// expectNativeQueue says which queue encoding Probe must find: from
// SAFEINTERNET_EXPECT_NATIVE_QUEUE ("1": native, "0": xtables-compat; set by
// scripts/vmtest.sh from the booted kernel's configuration), else from
// CONFIG_NFT_QUEUE in /proc/config.gz or /boot/config-<release>. known is
// false when none of them says; source names the one used.
func expectNativeQueue(t *testing.T) (native, known bool, source string) {
	t.Helper()
	switch v := os.Getenv("SAFEINTERNET_EXPECT_NATIVE_QUEUE"); v {
	case "1", "0":
		return v == "1", true, "SAFEINTERNET_EXPECT_NATIVE_QUEUE=" + v
	case "":
	default:
		t.Fatalf("SAFEINTERNET_EXPECT_NATIVE_QUEUE=%q: want 1 or 0", v)
	}
	cfg, source, ok := kernelConfig()
	if !ok {
		return false, false, ""
	}
	for _, line := range strings.Split(cfg, "\n") {
		if line == "CONFIG_NFT_QUEUE=y" || line == "CONFIG_NFT_QUEUE=m" {
			return true, true, source
		}
	}
	return false, true, source
}

// kernelConfig returns the running kernel's configuration from
// /proc/config.gz, else /boot/config-<release>; ok is false when neither is
// readable.
func kernelConfig() (cfg, source string, ok bool) {
	if f, err := os.Open("/proc/config.gz"); err == nil {
		defer f.Close()
		if zr, err := gzip.NewReader(f); err == nil {
			if b, err := io.ReadAll(zr); err == nil {
				return string(b), "/proc/config.gz", true
			}
		}
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", "", false
	}
	path := "/boot/config-" + unix.ByteSliceToString(u.Release[:])
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", false
	}
	return string(b), path, true
}

// wantEncoding is the encoding expectNativeQueue asks for.
func wantEncoding(native bool) QueueEncoding {
	if native {
		return Native
	}
	return XtablesCompat
}

func TestProbe(t *testing.T) {
	nettest.NeedKernel(t, "network namespaces, nftables")
	ns := nettest.NewNetns(t, nettest.Prefix(t, "fw"))
	enc, err := probe(ns.FD, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if native, ok, source := expectNativeQueue(t); ok {
		if want := wantEncoding(native); enc != want {
			t.Errorf("Probe = %v, want %v (%s)", enc, want, source)
		} else {
			t.Logf("Probe = %v, as expected (%s)", enc, source)
		}
	} else {
		t.Logf("Probe = %v (the kernel's configuration is unknown: not checked)", enc)
	}
	if out := ns.NFT(t, "list", "tables"); bytes.Contains(out, []byte(probeTable)) {
		t.Errorf("probe table left behind:\n%s", out)
	}
}

// goldenConfig is the configuration of testdata/table-<encoding>.golden.
func goldenConfig(t *testing.T) Config {
	return Config{LAN: []string{"lan0", "lan9"}, Queue: 3, Layout: testLayout(t), CopyMark: true}
}

// goldenMACs are the stopped set's members in the golden tables.
var goldenMACs = [][6]byte{{0x02, 0, 0, 0, 0xbe, 0xd1}, {0x02, 0, 0, 0, 0xbe, 0xd2}}

// goldenTables are the configurations with a golden file,
// testdata/table-<encoding><suffix>.golden: with the mark-copy chains and
// no allowlist; without them with an allowlist (category 5), a guard and
// DNS answers; and with the mark-copy chains and the block page.
func goldenTables(t *testing.T) []struct {
	suffix string
	cfg    Config
} {
	allow := goldenConfig(t)
	allow.CopyMark, allow.Allowlist, allow.Guard, allow.Answers = false, 5, 4, true
	page := goldenConfig(t)
	page.BlockPage, page.BlockPagePort = testBlockPage, 8090
	return []struct {
		suffix string
		cfg    Config
	}{{"", goldenConfig(t)}, {"-allowlist", allow}, {"-blockpage", page}}
}

// render returns the listing as text, one line per chain, set and rule (in
// the kernel's order), for comparison with testdata/table-*.golden.
func (l listing) render(t *testing.T) string {
	var b strings.Builder
	for _, c := range l.chains {
		switch {
		case c.Hook == "":
			fmt.Fprintf(&b, "chain %s\n", c.Name)
		case c.Type != "filter":
			fmt.Fprintf(&b, "chain %s type=%s hook=%s prio=%d policy=%s\n", c.Name, c.Type, c.Hook, c.Prio, c.Policy)
		default:
			fmt.Fprintf(&b, "chain %s hook=%s prio=%d policy=%s\n", c.Name, c.Hook, c.Prio, c.Policy)
		}
	}
	names := make([]string, 0, len(l.sets))
	for n := range l.sets {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		elems := slices.Clone(l.sets[n])
		slices.Sort(elems)
		fmt.Fprintf(&b, "set %s = %s\n", n, strings.Join(elems, " "))
	}
	for _, r := range l.rules {
		var e bytes.Buffer
		enc := json.NewEncoder(&e)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r.Expr); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "rule %s %q %s", r.Chain, r.Comment, e.Bytes()) // Encode ends with \n
	}
	return b.String()
}

func TestInstallListsExpectedRules(t *testing.T) {
	for _, g := range goldenTables(t) {
		t.Run("table"+g.suffix, func(t *testing.T) {
			testInstallListsExpectedRules(t, g.cfg, g.suffix)
		})
	}
}

// testInstallListsExpectedRules installs cfg with the golden stopped
// members and compares the kernel's listing with the golden file.
func testInstallListsExpectedRules(t *testing.T, cfg Config, suffix string) {
	if cfg.BlockPage.IsValid() {
		needRedirect(t)
	}
	l := newLab(t)
	tb := l.table(t, cfg)
	if err := tb.SetStopped(goldenMACs); err != nil {
		t.Fatal(err)
	}
	native, known, source := expectNativeQueue(t)
	if known && tb.Encoding() != wantEncoding(native) {
		t.Fatalf("table encoding %v, want %v (%s)", tb.Encoding(), wantEncoding(native), source)
	}
	ls := list(t, l.Router)
	got := ls.render(t)
	path := filepath.Join("testdata", "table-"+tb.Encoding().String()+suffix+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	switch want, err := os.ReadFile(path); {
	case errors.Is(err, fs.ErrNotExist) && known:
		// Both encodings have golden files; scripts/vmtest.sh runs the
		// native ones.
		t.Errorf("%s absent (create it with -update, review it, commit it); table:\n%s", path, got)
	case errors.Is(err, fs.ErrNotExist):
		t.Logf("%s absent, not compared (create it with -update, then review it); table:\n%s", path, got)
	case err != nil:
		t.Fatal(err)
	case got != string(want):
		t.Errorf("table differs from %s\ngot:\n%s", path, got)
	default:
		t.Logf("table (%v) matches %s", tb.Encoding(), path)
	}

	// Every queueing rule ends in the probed encoding's expression, as nft
	// reads it back from the kernel; the stopped chain never queues.
	key := map[QueueEncoding]string{Native: "queue", XtablesCompat: "xt"}[tb.Encoding()]
	queueingRules := []string{"dns udp", "dns tcp", "tcp first packets", "quic first packets", "quic initial of allowed flow", "dns answer udp", "dns answer tcp"}
	var queueing int
	for _, r := range ls.rules {
		var last map[string]json.RawMessage
		if err := json.Unmarshal(r.Expr[len(r.Expr)-1], &last); err != nil {
			t.Fatal(err)
		}
		_, queues := last[key]
		want := r.Chain != chainStopped && slices.Contains(queueingRules, r.Comment)
		if queues != want || (want && len(last) != 1) {
			t.Errorf("rule %s %q ends in %s; want a %q expression: %v (%v)", r.Chain, r.Comment, r.Expr[len(r.Expr)-1], key, want, tb.Encoding())
		}
		if queues {
			queueing++
		}
	}
	// forward: dns udp, dns tcp, quic initial, tcp, quic; input: dns udp,
	// dns tcp; with Answers: 2 in forward and 2 in output.
	if want := map[bool]int{false: 7, true: 11}[cfg.Answers]; queueing != want {
		t.Errorf("%d queueing rules, want %d", queueing, want)
	}

	// The order that matters, spelled out.
	var forward, stopped, page []string
	for _, r := range ls.rules {
		switch r.Chain {
		case chainForward:
			forward = append(forward, r.Comment)
		case chainStopped:
			stopped = append(stopped, r.Comment)
		case chainPage:
			page = append(page, r.Comment)
		}
	}
	if want := map[bool][]string{true: {"block page http"}}[cfg.BlockPage.IsValid()]; !slices.Equal(page, want) {
		t.Errorf("block_page rules = %q, want %q", page, want)
	}
	wantOrder := []string{"not from lan", "dns udp", "dns tcp", "stopped device", "quic initial of allowed flow", "allow", "block tcp", "block", "tcp first packets", "quic first packets", "unjudged tcp", "unjudged quic"}
	if cfg.BlockPage.IsValid() {
		wantOrder = slices.Insert(wantOrder, 1, "block page tcp", "block page")
	}
	if cfg.Answers {
		wantOrder = append([]string{"dns answer udp", "dns answer tcp"}, wantOrder...)
	}
	if !slices.Equal(forward, wantOrder) {
		t.Errorf("forward rules = %q, want %q", forward, wantOrder)
	}
	wantStopped := []string{"tcp mid-stream", "quic mid-stream", "tcp first packets", "quic first packets", "reject tcp", "reject"}
	if cfg.Allowlist != 0 {
		wantStopped = append([]string{"allowlisted"}, wantStopped...)
	}
	if !slices.Equal(stopped, wantStopped) {
		t.Errorf("stopped_device rules = %q, want %q", stopped, wantStopped)
	}
}

func TestInstallTwiceReplaces(t *testing.T) {
	l := newLab(t)
	cfg := goldenConfig(t)
	tb := l.table(t, cfg)
	before := list(t, l.Router)
	if err := tb.Install(); err != nil {
		t.Fatal(err)
	}
	again := list(t, l.Router)
	if len(again.rules) != len(before.rules) || len(again.chains) != len(before.chains) {
		t.Errorf("second Install: %d chains %d rules, first: %d chains %d rules",
			len(again.chains), len(again.rules), len(before.chains), len(before.rules))
	}

	cfg.LAN = []string{"lan0", "lan7", "lan8"}
	cfg.Guard = 4
	cfg.CopyMark = false
	if err := tb.Reconfigure(cfg); err != nil {
		t.Fatal(err)
	}
	after := list(t, l.Router)
	set := append([]string(nil), after.sets[lanSet]...)
	slices.Sort(set)
	if !slices.Equal(set, cfg.LAN) {
		t.Errorf("lan set = %q, want %q", set, cfg.LAN)
	}
	for _, c := range after.chains {
		if strings.HasPrefix(c.Name, chainCopy) {
			t.Errorf("chain %s left after replacing with CopyMark off", c.Name)
		}
	}
	var guards int
	for _, r := range after.rules {
		e, _ := json.Marshal(r.Expr)
		if bytes.Contains(e, []byte(`"op":"\u003c=","left":{"ct":{"key":"packets","dir":"original"}},"right":4`)) {
			guards++
		}
	}
	if guards != 4 { // tcp and quic first packets, in forward and in stopped_device
		t.Errorf("rules with ct original packets <= 4: %d, want 4", guards)
	}

	// A refused replacement leaves the installed table as it was.
	// (Install with the encoding the kernel refused in Probe.)
	good, refused := tb.enc, XtablesCompat
	if good == XtablesCompat {
		refused = Native
	}
	tb.enc = refused
	cfg.CopyMark = true
	if err := tb.Reconfigure(cfg); err == nil {
		t.Logf("kernel accepts both encodings; a refused batch is not checked")
	} else if now := list(t, l.Router); len(now.rules) != len(after.rules) || len(now.chains) != len(after.chains) {
		t.Errorf("refused Install changed the table: %d rules, want %d", len(now.rules), len(after.rules))
	}
	tb.enc = good
}

func TestRemove(t *testing.T) {
	l := newLab(t)
	tb := l.table(t, Config{})
	if ok, err := tb.Exists(); err != nil || !ok {
		t.Fatalf("Exists after Install = %v, %v; want true", ok, err)
	}
	if err := tb.Remove(); err != nil {
		t.Fatal(err)
	}
	if ok, err := tb.Exists(); err != nil || ok {
		t.Fatalf("Exists after Remove = %v, %v; want false", ok, err)
	}
	if err := tb.Remove(); err != nil {
		t.Fatalf("Remove of an absent table: %v", err)
	}
	// Watch must not bring back a removed table.
	tb.ensure("test")
	if ok, _ := tb.Exists(); ok {
		t.Error("ensure re-created a removed table")
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestWatchRecreates(t *testing.T) {
	tests := []struct {
		name      string
		noMonitor bool
		interval  time.Duration
		remove    []string // nft arguments
	}{
		{"events, delete table", false, time.Hour, []string{"delete", "table", "inet", TableName}},
		{"events, flush ruleset", false, time.Hour, []string{"flush", "ruleset"}},
		{"polling, delete table", true, 200 * time.Millisecond, []string{"delete", "table", "inet", TableName}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLab(t)
			tb := l.table(t, Config{CopyMark: true})
			want := len(list(t, l.Router).rules)
			var logs syncBuffer
			tb.log = slog.New(slog.NewTextHandler(&logs, nil))
			tb.noMonitor = tt.noMonitor

			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- tb.Watch(ctx, tt.interval) }()
			t.Cleanup(func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("Watch: %v", err)
				}
			})

			for round := range 2 {
				// With events, wait for the subscription: the first round
				// may be caught by the check at start instead.
				l.Router.NFT(t, tt.remove...)
				eventually(t, "table re-created", func() bool {
					ok, err := tb.Exists()
					return err == nil && ok
				})
				if got := len(list(t, l.Router).rules); got != want {
					t.Errorf("round %d: %d rules after re-creation, want %d", round, got, want)
				}
			}
			eventually(t, "re-creation logged", func() bool {
				return strings.Contains(logs.String(), "re-created")
			})
			t.Logf("log:\n%s", logs.String())
		})
	}
}

// TestWatchStopsWithContext checks that Watch returns once ctx is done and
// does not leave its reader goroutine behind.
func TestWatchStopsWithContext(t *testing.T) {
	l := newLab(t)
	tb := l.table(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tb.Watch(ctx, time.Hour) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Watch did not return within 10 s of cancel")
	}
}
