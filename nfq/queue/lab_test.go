package queue

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Kernel-facing flow tests run in throwaway network namespaces named
// vm-<hash>-<role>:
//
//	client (eth0 10.98.1.2, fd98:1::2) ── lan0 router wan0 ── (eth0 10.98.2.2, fd98:2::2) server
//	                                (10.98.1.1, fd98:1::1 / 10.98.2.1, fd98:2::1)
//
// The agent's table (package firewall) is installed in the router namespace,
// with LAN = lan0, and the queues are bound there.

// Server addresses of the lab.
var (
	labServerV4 = netip.MustParseAddr("10.98.2.2")
	labServerV6 = netip.MustParseAddr("fd98:2::2")
)

// labIOTimeout bounds every socket operation of the lab.
const labIOTimeout = 5 * time.Second

// needLab skips t unless it may create network namespaces and has the tools
// the lab uses.
func needLab(t *testing.T) {
	t.Helper()
	if os.Getenv("SAFEINTERNET_NO_KERNEL") == "1" {
		t.Skip("SAFEINTERNET_NO_KERNEL=1: kernel tests skipped")
	}
	if os.Geteuid() != 0 {
		t.Skip("kernel tests need root (network namespaces, nftables, NFQUEUE)")
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

// labNetns is a named network namespace with an open fd.
type labNetns struct {
	name string
	fd   int
}

// newLabNetns creates the namespace name (removed in t.Cleanup) with lo up.
func newLabNetns(t *testing.T, name string) labNetns {
	t.Helper()
	_ = exec.Command("ip", "netns", "del", name).Run() // leftover of a killed run
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	f, err := os.Open("/run/netns/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	run(t, "ip", "-n", name, "link", "set", "lo", "up")
	return labNetns{name: name, fd: int(f.Fd())}
}

// do runs fn on a thread inside the namespace; sockets fn creates stay in
// it.
func (n labNetns) do(t *testing.T, fn func()) {
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

// nftScript loads an nft script in the namespace (test tables only).
func (n labNetns) nftScript(t *testing.T, script string) {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", n.name, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft -f: %v\n%s\n%s", err, out, script)
	}
}

// conntrackMarks returns the ct mark of every flow in the namespace matching
// the conntrack filter args (e.g. "-p", "tcp", "--dport", "80").
func (n labNetns) conntrackMarks(t *testing.T, args ...string) []uint32 {
	t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", n.name, "conntrack", "-L"}, args...)...)
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

// flowLab is the client ─ router ─ server topology.
type flowLab struct {
	client, router, server labNetns
}

// newFlowLab builds the topology with forwarding on in the router.
func newFlowLab(t *testing.T) *flowLab {
	t.Helper()
	needLab(t)
	h := fnv.New32a()
	fmt.Fprintf(h, "%d/%s", os.Getpid(), t.Name())
	p := fmt.Sprintf("vm-%08x", h.Sum32())
	l := &flowLab{
		client: newLabNetns(t, p+"-c"),
		router: newLabNetns(t, p+"-r"),
		server: newLabNetns(t, p+"-s"),
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
		{"ip", "-n", r, "addr", "add", "10.98.1.1/24", "dev", "lan0"},
		{"ip", "-n", r, "addr", "add", "fd98:1::1/64", "dev", "lan0", "nodad"},
		{"ip", "-n", r, "addr", "add", "10.98.2.1/24", "dev", "wan0"},
		{"ip", "-n", r, "addr", "add", "fd98:2::1/64", "dev", "wan0", "nodad"},
		{"ip", "-n", c, "addr", "add", "10.98.1.2/24", "dev", "eth0"},
		{"ip", "-n", c, "addr", "add", "fd98:1::2/64", "dev", "eth0", "nodad"},
		{"ip", "-n", s, "addr", "add", "10.98.2.2/24", "dev", "eth0"},
		{"ip", "-n", s, "addr", "add", "fd98:2::2/64", "dev", "eth0", "nodad"},
		{"ip", "-n", r, "link", "set", "lan0", "up"},
		{"ip", "-n", r, "link", "set", "wan0", "up"},
		{"ip", "-n", c, "link", "set", "eth0", "up"},
		{"ip", "-n", s, "link", "set", "eth0", "up"},
		{"ip", "-n", c, "route", "add", "default", "via", "10.98.1.1"},
		{"ip", "-n", c, "-6", "route", "add", "default", "via", "fd98:1::1"},
		{"ip", "-n", s, "route", "add", "default", "via", "10.98.2.1"},
		{"ip", "-n", s, "-6", "route", "add", "default", "via", "fd98:2::1"},
		{"ip", "netns", "exec", r, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"},
	} {
		run(t, cmd...)
	}
	return l
}

// echoServer echoes TCP or UDP on one port of a namespace until the test
// ends, counting the bytes it received.
type echoServer struct {
	received atomic.Int64
}

// serveEcho starts an echo server for network ("tcp" or "udp", both
// families) on port in n.
func serveEcho(t *testing.T, n labNetns, network string, port int) *echoServer {
	t.Helper()
	e := &echoServer{}
	addr := fmt.Sprintf(":%d", port)
	if network == "udp" {
		var pc net.PacketConn
		n.do(t, func() {
			var err error
			if pc, err = net.ListenPacket("udp", addr); err != nil {
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
				e.received.Add(int64(k))
				_, _ = pc.WriteTo(buf[:k], from)
			}
		}()
		return e
	}
	var ln net.Listener
	n.do(t, func() {
		var err error
		if ln, err = net.Listen("tcp", addr); err != nil {
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
				_ = c.SetDeadline(time.Now().Add(3 * labIOTimeout))
				buf := make([]byte, 2048)
				for {
					k, err := c.Read(buf)
					if err != nil {
						return
					}
					e.received.Add(int64(k))
					if _, err := c.Write(buf[:k]); err != nil {
						return
					}
				}
			}()
		}
	}()
	return e
}

// dialFrom connects from the namespace to addr ("tcp" or "udp").
func dialFrom(t *testing.T, n labNetns, network string, addr netip.AddrPort) net.Conn {
	t.Helper()
	var c net.Conn
	n.do(t, func() {
		var err error
		d := net.Dialer{Timeout: labIOTimeout}
		if c, err = d.Dial(network, addr.String()); err != nil {
			t.Fatal(err)
		}
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip writes msg on c and reads the echo back within timeout.
func roundTrip(c net.Conn, msg string, timeout time.Duration) error {
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
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

// isTimeout reports a deadline error.
func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}
