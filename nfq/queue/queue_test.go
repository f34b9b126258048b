package queue

import (
	"bufio"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/safeinternet/cpe/nfq/ctmark"
)

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestPanicGetsDefaultVerdict: a handler panic is recovered, counted and
// answered with the configured default verdict.
func TestPanicGetsDefaultVerdict(t *testing.T) {
	for _, def := range []Verdict{{Action: Drop}, {Action: Accept}} {
		s := &Set{log: discardLog(), cfg: Config{Default: def}}
		w := &worker{set: s, h: func(*Packet) Verdict { panic("boom") }}
		if got := w.decide(&Packet{Payload: []byte{0x45}}); got.Action != def.Action {
			t.Errorf("verdict %v, want the default %v", got.Action, def.Action)
		}
		if s.Stats.Panics.Load() != 1 {
			t.Errorf("panics = %d, want 1", s.Stats.Panics.Load())
		}
	}
}

func TestEmptyPayloadGetsDefaultVerdict(t *testing.T) {
	s := &Set{log: discardLog(), cfg: Config{Default: Verdict{Action: Drop}}}
	called := false
	w := &worker{set: s, h: func(*Packet) Verdict { called = true; return Verdict{} }}
	if got := w.decide(&Packet{}); got.Action != Drop || called {
		t.Errorf("verdict %v (handler called: %v), want drop without the handler", got.Action, called)
	}
}

// kernelHasGlueCT reads the running kernel's configuration.
func kernelHasGlueCT(t *testing.T) bool {
	f, err := os.Open("/proc/config.gz")
	if err != nil {
		t.Skipf("cannot tell the kernel's configuration: %v", err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Skip(err)
	}
	sc := bufio.NewScanner(z)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "CONFIG_NETFILTER_NETLINK_GLUE_CT=y") {
			return true
		}
	}
	return false
}

// TestOpenProbesMarkMode binds a queue in a throwaway network namespace and
// checks that the probe picks the mark mode the kernel supports.
func TestOpenProbesMarkMode(t *testing.T) {
	if os.Geteuid() != 0 || os.Getenv("SAFEINTERNET_NO_KERNEL") != "" {
		t.Skip("needs root and a real kernel (network namespaces)")
	}
	want := MarkPacket
	if kernelHasGlueCT(t) {
		want = MarkConntrack
	}
	ns := "q-probe-" + strconv.Itoa(os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })

	layout, _ := ctmark.New(ctmark.DefaultMask)
	var s *Set
	var err error
	func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		self, _ := os.Open("/proc/thread-self/ns/net")
		defer self.Close()
		target, _ := os.Open("/run/netns/" + ns)
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err != nil {
				panic(err)
			}
		}()
		s, err = Open(context.Background(), Config{First: 7, Count: 2, Layout: layout},
			func(uint16) Handler { return func(*Packet) Verdict { return Verdict{} } }, discardLog())
	}()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Mode() != want {
		t.Errorf("mode %v, want %v for this kernel", s.Mode(), want)
	}
	if len(s.conns) != 2 {
		t.Errorf("%d queues bound, want 2", len(s.conns))
	}
}
