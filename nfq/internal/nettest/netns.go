package nettest

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// NeedKernel skips t unless it may create network namespaces and load
// nftables rules: it skips when env SAFEINTERNET_NO_KERNEL is "1" (tests
// under qemu-user), when not root ("kernel tests need root (uses)", uses
// naming what the test needs root for), and when ip, nft or conntrack is
// missing.
func NeedKernel(t testing.TB, uses string) {
	t.Helper()
	if os.Getenv("SAFEINTERNET_NO_KERNEL") == "1" {
		t.Skip("SAFEINTERNET_NO_KERNEL=1: kernel tests skipped")
	}
	if os.Geteuid() != 0 {
		t.Skip("kernel tests need root (" + uses + ")")
	}
	for _, tool := range []string{"ip", "nft", "conntrack"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("kernel tests need %s: %v", tool, err)
		}
	}
}

// Run runs a command and returns its combined output; it fails t with the
// output when the command fails.
func Run(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Prefix returns a namespace name prefix unique to the test and process:
// owner (the owning helper's short name, e.g. "fw"), a dash and 8 hex
// digits.
func Prefix(t testing.TB, owner string) string {
	h := fnv.New32a()
	fmt.Fprintf(h, "%d/%s", os.Getpid(), t.Name())
	return fmt.Sprintf("%s-%08x", owner, h.Sum32())
}

// Netns is a named network namespace with an open fd. The zero value is
// not usable; get one from NewNetns. FD stays open until the test ends.
type Netns struct {
	Name string // name under /run/netns
	FD   int    // open fd of the namespace, for setns and netlink
}

// NewNetns creates the namespace name (deleting a leftover of a killed run
// first) with lo up; t.Cleanup closes the fd and deletes the namespace.
func NewNetns(t testing.TB, name string) Netns {
	t.Helper()
	_ = exec.Command("ip", "netns", "del", name).Run() // leftover of a killed run
	Run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	f, err := os.Open("/run/netns/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	Run(t, "ip", "-n", name, "link", "set", "lo", "up")
	return Netns{Name: name, FD: int(f.Fd())}
}

// Do runs fn on a locked OS thread that is inside the namespace; sockets fn
// creates stay in it. fn must not start goroutines that expect to be in the
// namespace. If switching back fails, the thread stays locked (it dies with
// the goroutine) and t fails.
func (n Netns) Do(t testing.TB, fn func()) {
	t.Helper()
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		t.Fatal(err)
	}
	defer orig.Close()
	if err := unix.Setns(n.FD, unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		t.Fatalf("setns %s: %v", n.Name, err)
	}
	fn()
	if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
		// Leave the thread locked: it dies with the goroutine.
		t.Fatalf("setns back: %v", err)
	}
	runtime.UnlockOSThread()
}

// NFT runs nft with args in the namespace and returns stdout; it fails t
// with stderr when nft fails (libxtables complains on stderr about the
// compat target in an inet table; that is only display, so a successful
// run's stderr is dropped).
func (n Netns) NFT(t testing.TB, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", n.Name, "nft"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nft %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// NFTScript loads an nft script (`nft -f -`) in the namespace; use it for
// test tables only.
func (n Netns) NFTScript(t testing.TB, script string) {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", n.Name, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft -f: %v\n%s\n%s", err, out, script)
	}
}

// ConntrackMarks returns the ct mark of every flow in the namespace
// matching the conntrack filter args (e.g. "-p", "tcp", "--dport", "80"),
// in conntrack's order; nil when none match.
func (n Netns) ConntrackMarks(t testing.TB, args ...string) []uint32 {
	t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", n.Name, "conntrack", "-L"}, args...)...)
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
