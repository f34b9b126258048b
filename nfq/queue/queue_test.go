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

// expectGlueCT says whether the kernel can set a ct mark from a verdict:
// from SAFEINTERNET_EXPECT_GLUE_CT ("1" or "0"; scripts/vmtest.sh sets it from
// the booted kernel's configuration), else from
// CONFIG_NETFILTER_NETLINK_GLUE_CT in /proc/config.gz or
// /boot/config-<release>. It skips t when none of them says; source names the
// one used.
func expectGlueCT(t *testing.T) (glue bool, source string) {
	t.Helper()
	switch v := os.Getenv("SAFEINTERNET_EXPECT_GLUE_CT"); v {
	case "1", "0":
		return v == "1", "SAFEINTERNET_EXPECT_GLUE_CT=" + v
	case "":
	default:
		t.Fatalf("SAFEINTERNET_EXPECT_GLUE_CT=%q: want 1 or 0", v)
	}
	var r io.Reader
	if f, err := os.Open("/proc/config.gz"); err == nil {
		defer f.Close()
		z, err := gzip.NewReader(f)
		if err != nil {
			t.Skipf("/proc/config.gz: %v", err)
		}
		r, source = z, "/proc/config.gz"
	} else {
		var u unix.Utsname
		if err := unix.Uname(&u); err != nil {
			t.Skip(err)
		}
		source = "/boot/config-" + unix.ByteSliceToString(u.Release[:])
		f, err := os.Open(source)
		if err != nil {
			t.Skipf("cannot tell the kernel's configuration: no /proc/config.gz, %v", err)
		}
		defer f.Close()
		r = f
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if sc.Text() == "CONFIG_NETFILTER_NETLINK_GLUE_CT=y" {
			return true, source
		}
	}
	if err := sc.Err(); err != nil {
		t.Skipf("%s: %v", source, err)
	}
	return false, source
}

// TestOpenProbesMarkMode binds a queue in a throwaway network namespace and
// checks that the probe picks the mark mode the kernel supports.
func TestOpenProbesMarkMode(t *testing.T) {
	if os.Geteuid() != 0 || os.Getenv("SAFEINTERNET_NO_KERNEL") != "" {
		t.Skip("needs root and a real kernel (network namespaces)")
	}
	want := MarkPacket
	glue, source := expectGlueCT(t)
	if glue {
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
		t.Errorf("Mode = %v, want %v (%s)", s.Mode(), want, source)
	} else {
		t.Logf("Mode = %v, as expected (%s)", s.Mode(), source)
	}
	if len(s.conns) != 2 {
		t.Errorf("%d queues bound, want 2", len(s.conns))
	}
}
