package conntrack

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/safeinternet/cpe/nfq/internal/nettest"
)

// Kernel tests run in throwaway namespaces ct-<hash>-{c,r,s} (nettest.Lab,
// subnet 97). The client holds two addresses per family: device A
// (10.97.1.2, fd97:1::2) and device B (10.97.1.3, fd97:1::3); the flows
// are read and deleted in the router.
var (
	devA4   = netip.MustParseAddr("10.97.1.2")
	devA6   = netip.MustParseAddr("fd97:1::2")
	devB4   = netip.MustParseAddr("10.97.1.3")
	devB6   = netip.MustParseAddr("fd97:1::3")
	server4 = netip.MustParseAddr("10.97.2.2")
	server6 = netip.MustParseAddr("fd97:2::2")
)

// keepMark is the ct mark the router's test table gives flows to port
// keepPort; DeleteFrom's keep function spares them.
const (
	keepMark = 0x42
	keepPort = 81
)

// newLab builds the namespaces, device B's addresses, conntrack accounting
// and a router table that makes conntrack track forwarded flows (a netns
// tracks nothing until a rule needs it) and marks flows to keepPort.
func newLab(t *testing.T) *nettest.Lab {
	t.Helper()
	nettest.NeedKernel(t, "network namespaces, conntrack")
	l := nettest.NewLab(t, nettest.Prefix(t, "ct"), 97)
	nettest.Run(t, "ip", "-n", l.Client.Name, "addr", "add", devB4.String()+"/24", "dev", "eth0")
	nettest.Run(t, "ip", "-n", l.Client.Name, "addr", "add", devB6.String()+"/64", "dev", "eth0", "nodad")
	nettest.Run(t, "ip", "netns", "exec", l.Router.Name, "sysctl", "-q", "-w", "net.netfilter.nf_conntrack_acct=1")
	l.Router.NFTScript(t, fmt.Sprintf(`
table inet cttest {
	chain routed {
		type filter hook forward priority 0;
		ct state new th dport %d ct mark set %#x
	}
}`, keepPort, keepMark))
	return l
}

// open opens a Conn in the router namespace.
func open(t *testing.T, n nettest.Netns) *Conn {
	t.Helper()
	var c *Conn
	n.Do(t, func() {
		var err error
		if c, err = Open(); err != nil {
			t.Fatal(err)
		}
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// dialFrom connects from local (an address of the client namespace) to
// dst over network and returns the connection; t.Cleanup closes it.
func dialFrom(t *testing.T, n nettest.Netns, network string, local netip.Addr, dst netip.AddrPort) net.Conn {
	t.Helper()
	var c net.Conn
	n.Do(t, func() {
		d := net.Dialer{Timeout: nettest.IOTimeout}
		if network == "tcp" {
			d.LocalAddr = &net.TCPAddr{IP: local.AsSlice()}
		} else {
			d.LocalAddr = &net.UDPAddr{IP: local.AsSlice()}
		}
		var err error
		if c, err = d.Dial(network, dst.String()); err != nil {
			t.Fatal(err)
		}
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// flows returns every flow the router's conntrack holds (copies).
func flows(t *testing.T, c *Conn) []Flow {
	t.Helper()
	var out []Flow
	if err := c.Dump(func(f *Flow) { out = append(out, *f) }); err != nil {
		t.Fatal(err)
	}
	return out
}

// find returns the flow with the connection's addresses and ports as its
// original direction.
func find(fs []Flow, conn net.Conn) (Flow, bool) {
	local := conn.LocalAddr().(interface{ AddrPort() netip.AddrPort })
	remote := conn.RemoteAddr().(interface{ AddrPort() netip.AddrPort })
	l, r := local.AddrPort(), remote.AddrPort()
	for _, f := range fs {
		if f.Src == l.Addr().Unmap() && f.SrcPort == l.Port() && f.Dst == r.Addr().Unmap() && f.DstPort == r.Port() {
			return f, true
		}
	}
	return Flow{}, false
}

func TestDumpSeesFlowsWithCounters(t *testing.T) {
	l := newLab(t)
	c := open(t, l.Router)
	l.Server.Echo(t, "tcp", 80)
	l.Server.Echo(t, "tcp", keepPort)
	l.Server.Echo(t, "udp", 5353)
	const msg = "0123456789abcdef0123456789abcdef" // 32 bytes each way per trip
	type want struct {
		name  string
		conn  net.Conn
		proto uint8
		mark  uint32
	}
	var wants []want
	for _, src := range []netip.Addr{devA4, devA6} {
		dst := server4
		if src.Is6() {
			dst = server6
		}
		wants = append(wants,
			want{"tcp " + src.String(), dialFrom(t, l.Client, "tcp", src, netip.AddrPortFrom(dst, 80)), syscall.IPPROTO_TCP, 0},
			want{"tcp marked " + src.String(), dialFrom(t, l.Client, "tcp", src, netip.AddrPortFrom(dst, keepPort)), syscall.IPPROTO_TCP, keepMark},
			want{"udp " + src.String(), dialFrom(t, l.Client, "udp", src, netip.AddrPortFrom(dst, 5353)), syscall.IPPROTO_UDP, 0})
	}
	for _, w := range wants {
		for i := range 4 {
			if err := nettest.RoundTrip(w.conn, msg, nettest.IOTimeout); err != nil {
				t.Fatalf("%s trip %d: %v", w.name, i, err)
			}
		}
	}
	all := flows(t, c)
	for _, w := range wants {
		f, ok := find(all, w.conn)
		if !ok {
			t.Errorf("%s: no flow in the dump (%d flows)", w.name, len(all))
			continue
		}
		if f.Proto != w.proto || f.Mark != w.mark || f.ID == 0 {
			t.Errorf("%s: flow %+v, want proto %d mark %#x and an id", w.name, f, w.proto, w.mark)
		}
		// 4 trips of 32 bytes of payload each way, plus headers.
		if f.OrigBytes < 4*32 || f.ReplyBytes < 4*32 || f.OrigPackets < 4 || f.ReplyPackets < 4 {
			t.Errorf("%s: counters orig %d B / %d pkts, reply %d B / %d pkts; want at least 128 B and 4 packets each way",
				w.name, f.OrigBytes, f.OrigPackets, f.ReplyBytes, f.ReplyPackets)
		}
	}
}

func TestDeleteFrom(t *testing.T) {
	l := newLab(t)
	c := open(t, l.Router)
	l.Server.Echo(t, "tcp", 80)
	l.Server.Echo(t, "tcp", keepPort)
	l.Server.Echo(t, "udp", 5353)
	var a, b, kept []net.Conn // device A's deletable flows, device B's, A's kept
	for _, src := range []netip.Addr{devA4, devA6, devB4, devB6} {
		dst := server4
		if src.Is6() {
			dst = server6
		}
		conns := []net.Conn{
			dialFrom(t, l.Client, "tcp", src, netip.AddrPortFrom(dst, 80)),
			dialFrom(t, l.Client, "udp", src, netip.AddrPortFrom(dst, 5353)),
		}
		keep := dialFrom(t, l.Client, "tcp", src, netip.AddrPortFrom(dst, keepPort))
		for _, conn := range append(conns, keep) {
			if err := nettest.RoundTrip(conn, "hello", nettest.IOTimeout); err != nil {
				t.Fatal(err)
			}
		}
		if src == devA4 || src == devA6 {
			a, kept = append(a, conns...), append(kept, keep)
		} else {
			b = append(b, append(conns, keep)...)
		}
	}

	n, err := c.DeleteFrom([]netip.Addr{devA4, netip.AddrFrom16(devA4.As16()), devA6},
		func(f *Flow) bool { return f.Mark == keepMark })
	if err != nil {
		t.Fatal(err)
	}
	if n != len(a) {
		t.Errorf("DeleteFrom deleted %d flows, want %d (A's tcp and udp, both families)", n, len(a))
	}
	all := flows(t, c)
	for i, conn := range a {
		if f, ok := find(all, conn); ok {
			t.Errorf("A's flow %d still there: %+v", i, f)
		}
	}
	for i, conn := range append(b, kept...) {
		if _, ok := find(all, conn); !ok {
			t.Errorf("flow %d of B or kept by mark is gone", i)
		}
	}
	// Nothing left to delete: no error, nothing counted.
	if n, err := c.DeleteFrom([]netip.Addr{devA4, devA6}, func(f *Flow) bool { return f.Mark == keepMark }); n != 0 || err != nil {
		t.Errorf("second DeleteFrom = %d, %v; want 0, nil", n, err)
	}
	if n, err := c.DeleteFrom(nil, nil); n != 0 || err != nil {
		t.Errorf("DeleteFrom(nil) = %d, %v; want 0, nil", n, err)
	}
}

// TestDeleteVanishedFlow: a deletion request for a flow that is gone
// (here: deleted already; in life: ended between the dump and the delete)
// is answered ENOENT, which DeleteFrom neither reports nor counts.
func TestDeleteVanishedFlow(t *testing.T) {
	l := newLab(t)
	c := open(t, l.Router)
	l.Server.Echo(t, "tcp", 80)
	conn := dialFrom(t, l.Client, "tcp", devA4, netip.AddrPortFrom(server4, 80))
	if err := nettest.RoundTrip(conn, "hello", nettest.IOTimeout); err != nil {
		t.Fatal(err)
	}
	stale, err := c.victims([]netip.Addr{devA4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(stale) != 1 {
		t.Fatalf("%d deletion requests, want 1", len(stale))
	}
	if n, err := c.DeleteFrom([]netip.Addr{devA4}, nil); n != 1 || err != nil {
		t.Fatalf("DeleteFrom = %d, %v; want 1, nil", n, err)
	}
	if _, err := c.query(stale[0]); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("deletion of a vanished flow = %v, want ENOENT", err)
	}
	if n, err := c.deleteAll(stale); n != 0 || err != nil {
		t.Errorf("deleteAll of a vanished flow = %d, %v; want 0, nil", n, err)
	}
}

// TestDeleteCutsRunningDownload: with a router rule that rejects packets of
// the device that do not belong to a tracked flow it opened (a new entry
// without SYN, or the device's side of an entry the server's packet
// re-created), a running download goes on until DeleteFrom removes its
// flow, and is then reset within a second.
func TestDeleteCutsRunningDownload(t *testing.T) {
	for _, fam := range []struct {
		name        string
		src, server netip.Addr
		ip          string
	}{{"ipv4", devA4, server4, "ip"}, {"ipv6", devA6, server6, "ip6"}} {
		t.Run(fam.name, func(t *testing.T) {
			l := newLab(t)
			c := open(t, l.Router)
			l.Router.NFTScript(t, fmt.Sprintf(`
table inet cut {
	chain routed {
		type filter hook forward priority 0;
		iifname "lan0" %[1]s saddr %[2]s ct state new tcp flags & syn != syn reject with tcp reset
		iifname "lan0" %[1]s saddr %[2]s ct direction reply reject with tcp reset
	}
}`, fam.ip, fam.src))
			const port = 8080
			nettest.Download(t, l.Server, port)
			conn := dialFrom(t, l.Client, "tcp", fam.src, netip.AddrPortFrom(fam.server, port))
			if _, err := conn.Write([]byte("G")); err != nil {
				t.Fatal(err)
			}
			n, err := nettest.ReadFor(conn, 500*time.Millisecond)
			if err != nil || n < 64<<10 {
				t.Fatalf("download before the delete: %d bytes, %v; want it running", n, err)
			}
			deleted, err := c.DeleteFrom([]netip.Addr{fam.src}, nil)
			if err != nil || deleted != 1 {
				t.Fatalf("DeleteFrom = %d, %v; want 1, nil", deleted, err)
			}
			start := time.Now()
			n, err = nettest.ReadFor(conn, 3*time.Second)
			if !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("download after the delete: %d more bytes, %v; want ECONNRESET", n, err)
			}
			t.Logf("download reset %v after the delete (%d bytes in flight read first)", time.Since(start).Round(time.Millisecond), n)
		})
	}
}
