package firewall

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	nfqueue "github.com/florianl/go-nfqueue/v2"
	"github.com/safeinternet/cpe/nfq/conntrack"
	"github.com/safeinternet/cpe/nfq/ctmark"
	"github.com/safeinternet/cpe/nfq/internal/nettest"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// stoppedMembers returns the stopped set's members as nft lists them, sorted.
func stoppedMembers(t *testing.T, n nettest.Netns) []string {
	t.Helper()
	m := slices.Clone(list(t, n).sets[stoppedSet])
	slices.Sort(m)
	return m
}

// TestSetStoppedKernel: SetStopped replaces the members in one transaction
// (a reader listing the set concurrently only ever sees the old or the new
// list), a repeated list is not written again, and the members survive a
// Reconfigure, a re-creation by Watch and Remove + Install.
func TestSetStoppedKernel(t *testing.T) {
	l := newLab(t)
	tb := l.table(t, Config{})
	a, b, c := [6]byte{2, 0, 0, 0, 0, 0xa}, [6]byte{2, 0, 0, 0, 0, 0xb}, [6]byte{2, 0, 0, 0, 0, 0xc}
	ab := []string{"02:00:00:00:00:0a", "02:00:00:00:00:0b"}
	bc := []string{"02:00:00:00:00:0b", "02:00:00:00:00:0c"}
	if got := stoppedMembers(t, l.Router); len(got) != 0 {
		t.Fatalf("new table: stopped = %q, want empty", got)
	}
	if err := tb.SetStopped([][6]byte{b, a}); err != nil {
		t.Fatal(err)
	}
	if got := stoppedMembers(t, l.Router); !slices.Equal(got, ab) {
		t.Fatalf("stopped = %q, want %q", got, ab)
	}

	// Alternate {a,b} and {b,c} while nft lists the set.
	var (
		wg     sync.WaitGroup
		done   atomic.Bool
		seen   sync.Map // listing → true
		listed atomic.Int64
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !done.Load() {
			seen.Store(fmt.Sprint(stoppedMembers(t, l.Router)), true)
			listed.Add(1)
		}
	}()
	for i := 0; i < 200 && (i < 20 || listed.Load() < 20); i++ {
		next := [][6]byte{b, c}
		if i%2 == 1 {
			next = [][6]byte{a, b}
		}
		if err := tb.SetStopped(next); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	done.Store(true)
	wg.Wait()
	seen.Range(func(k, _ any) bool {
		if s := k.(string); s != fmt.Sprint(ab) && s != fmt.Sprint(bc) {
			t.Errorf("a concurrent listing saw %s: neither the old nor the new list", s)
		}
		return true
	})
	t.Logf("%d concurrent listings, all whole lists", listed.Load())

	if err := tb.SetStopped([][6]byte{c, b}); err != nil {
		t.Fatal(err)
	}
	// A repeated list is not written: a member removed behind the table's
	// back stays removed (documented: the list is compared, not the kernel).
	l.Router.NFT(t, "delete", "element", "inet", TableName, stoppedSet, "{", "02:00:00:00:00:0c", "}")
	if err := tb.SetStopped([][6]byte{b, c}); err != nil {
		t.Fatal(err)
	}
	if got := stoppedMembers(t, l.Router); !slices.Equal(got, []string{"02:00:00:00:00:0b"}) {
		t.Errorf("after a repeated SetStopped: %q, want it unwritten", got)
	}

	// Reconfigure writes the remembered list with the new table.
	cfg := tb.cfg
	cfg.Guard, cfg.Allowlist = 4, 2
	if err := tb.Reconfigure(cfg); err != nil {
		t.Fatal(err)
	}
	if got := stoppedMembers(t, l.Router); !slices.Equal(got, bc) {
		t.Errorf("after Reconfigure: %q, want %q", got, bc)
	}

	// Watch re-creates a deleted table with the members.
	ctx, cancel := context.WithCancel(context.Background())
	watched := make(chan error, 1)
	go func() { watched <- tb.Watch(ctx, 200*time.Millisecond) }()
	l.Router.NFT(t, "delete", "table", "inet", TableName)
	eventually(t, "table re-created with its members", func() bool {
		ok, err := tb.Exists()
		return err == nil && ok && slices.Equal(stoppedMembers(t, l.Router), bc)
	})
	cancel()
	if err := <-watched; err != nil {
		t.Fatal(err)
	}

	// After Remove the list is only remembered; Install writes it.
	if err := tb.Remove(); err != nil {
		t.Fatal(err)
	}
	if err := tb.SetStopped([][6]byte{a}); err != nil {
		t.Fatalf("SetStopped with no table: %v", err)
	}
	if ok, _ := tb.Exists(); ok {
		t.Fatal("SetStopped created the removed table")
	}
	if err := tb.Install(); err != nil {
		t.Fatal(err)
	}
	if got := stoppedMembers(t, l.Router); !slices.Equal(got, ab[:1]) {
		t.Errorf("after Install: %q, want %q", got, ab[:1])
	}
	if err := tb.SetStopped(nil); err != nil {
		t.Fatal(err)
	}
	if got := stoppedMembers(t, l.Router); len(got) != 0 {
		t.Errorf("after SetStopped(nil): %q, want empty", got)
	}
}

// Device B of the stopped-device tests: a second LAN port of the router.
var (
	deviceBV4 = netip.MustParseAddr("10.99.3.2")
	deviceBV6 = netip.MustParseAddr("fd99:3::2")
	clientV6  = netip.MustParseAddr("fd99:1::2")
	macA      = [6]byte{0x02, 0, 0, 0, 0, 0xa1}
)

// addDeviceB gives the lab a second device, <prefix>-d, behind the router's
// lan1 (10.99.3.0/24, fd99:3::/64), and fixes device A's (the client's) MAC
// address to macA.
func (l *lab) addDeviceB(t *testing.T) nettest.Netns {
	t.Helper()
	d := nettest.NewNetns(t, l.Client.Name[:len(l.Client.Name)-1]+"d")
	r := l.Router.Name
	nettest.Run(t, "ip", "netns", "exec", d.Name, "sysctl", "-q", "-w", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
	for _, cmd := range [][]string{
		{"ip", "-n", l.Client.Name, "link", "set", "eth0", "address", net.HardwareAddr(macA[:]).String()},
		{"ip", "-n", r, "link", "add", "lan1", "type", "veth", "peer", "name", "eth0", "netns", d.Name},
		{"ip", "-n", r, "addr", "add", "10.99.3.1/24", "dev", "lan1"},
		{"ip", "-n", r, "addr", "add", "fd99:3::1/64", "dev", "lan1", "nodad"},
		{"ip", "-n", d.Name, "addr", "add", deviceBV4.String() + "/24", "dev", "eth0"},
		{"ip", "-n", d.Name, "addr", "add", deviceBV6.String() + "/64", "dev", "eth0", "nodad"},
		{"ip", "-n", r, "link", "set", "lan1", "up"},
		{"ip", "-n", d.Name, "link", "set", "eth0", "up"},
		{"ip", "-n", d.Name, "route", "add", "default", "via", "10.99.3.1"},
		{"ip", "-n", d.Name, "-6", "route", "add", "default", "via", "fd99:3::1"},
	} {
		nettest.Run(t, cmd...)
	}
	return d
}

// Ports of the stopped-device test: what the simulated agent decides by.
const (
	portAllowlisted = 8443 // an allowlisted name: ALLOW, category testAllowlist
	portDownload    = 8080 // a download judged before the stop: ALLOW, category 3
	portWeb         = 80   // allowed (category 3) until the stop, then BLOCK
	portOther       = 81   // another name, device B's: ALLOW, category 3
	testAllowlist   = 5
)

// TestStoppedDevice: device A is stopped while it downloads and holds an
// allowlisted flow; device B goes on. The reader plays the agent: a flow's
// first payload packet gets ALLOW with category testAllowlist for
// portAllowlisted, ALLOW with category 3 otherwise — and, once A is stopped,
// BLOCK for portWeb (a name that is not allowlisted; B uses portOther). After SetStopped and
// the agent's conntrack delete (every flow of A but the allowlisted ones),
// A's download is reset, a new connection of A to portWeb is reset, other
// UDP and ICMP of A are rejected with ICMP; A's allowlisted flow, a new
// allowlisted connection, A's DNS and A's traffic to the router itself go
// on, and so does everything of device B.
func TestStoppedDevice(t *testing.T) {
	for _, fam := range []struct {
		name             string
		server, a, b     netip.Addr
		router           netip.Addr
		udpRejected      error
		icmpNet, icmpDst string
	}{
		{"ipv4", serverV4, clientV4, deviceBV4, routerV4, syscall.EHOSTUNREACH, "ip4:icmp", serverV4.String()},
		{"ipv6", serverV6, clientV6, deviceBV6, netip.MustParseAddr("fd99:1::1"), syscall.EACCES, "ip6:ipv6-icmp", serverV6.String()},
	} {
		t.Run(fam.name, func(t *testing.T) {
			l := newLab(t)
			devB := l.addDeviceB(t)
			layout := testLayout(t)
			var stopped atomic.Bool
			l.startReader(t, testQueue, func(p queued) (int, *uint32) {
				if p.payload == 0 || p.dport == 53 {
					return nfqueue.NfAccept, nil
				}
				var v uint32
				switch {
				case p.dport == portAllowlisted:
					v = layout.Value(ctmark.Allow, testAllowlist)
				case p.dport == portWeb && stopped.Load():
					v = layout.Value(ctmark.Block, 3)
				default:
					v = layout.Value(ctmark.Allow, 3)
				}
				return nfqueue.NfAccept, &v
			})
			tb := l.table(t, Config{LAN: []string{"lan0", "lan1"}, Queue: testQueue, CopyMark: true, Allowlist: testAllowlist})
			nettest.Download(t, l.Server, portDownload)
			l.Server.Echo(t, "tcp", portAllowlisted)
			l.Server.Echo(t, "tcp", portWeb)
			l.Server.Echo(t, "tcp", portOther)
			l.Server.Echo(t, "udp", 5353)
			l.Server.Echo(t, "udp", 53)
			l.Router.Echo(t, "tcp", 22)

			dl := l.Client.Dial(t, "tcp", netip.AddrPortFrom(fam.server, portDownload))
			if _, err := dl.Write([]byte("G")); err != nil {
				t.Fatal(err)
			}
			if n, err := nettest.ReadFor(dl, 300*time.Millisecond); err != nil || n < 64<<10 {
				t.Fatalf("download before the stop: %d bytes, %v", n, err)
			}
			allowlisted := l.Client.Dial(t, "tcp", netip.AddrPortFrom(fam.server, portAllowlisted))
			bWeb := devB.Dial(t, "tcp", netip.AddrPortFrom(fam.server, portOther))
			for _, c := range []net.Conn{allowlisted, bWeb} {
				if err := nettest.RoundTrip(c, "before", nettest.IOTimeout); err != nil {
					t.Fatal(err)
				}
			}

			// The agent stops device A: set and verdicts; the kernel resets
			// the download (ALLOW, but not allowlisted) by itself.
			if err := tb.SetStopped([][6]byte{macA}); err != nil {
				t.Fatal(err)
			}
			stopped.Store(true)
			start := time.Now()
			if n, err := nettest.ReadFor(dl, 3*time.Second); !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("A's download after the stop: %d more bytes, %v; want ECONNRESET", n, err)
			} else {
				t.Logf("A's download reset %v after the stop (%d bytes in flight read first)", time.Since(start).Round(time.Millisecond), n)
			}
			// Then it deletes A's flows but the allowlisted ones (offloaded
			// flows would bypass the rules otherwise).
			ct := openConntrack(t, l.Router)
			allow := layout.Value(ctmark.Allow, testAllowlist)
			n, err := ct.DeleteFrom([]netip.Addr{clientV4, clientV6}, func(f *conntrack.Flow) bool {
				return f.Mark&layout.Mask() == allow
			})
			if err != nil || n == 0 {
				t.Fatalf("DeleteFrom = %d, %v; want the download's flow deleted", n, err)
			}
			web := l.Client.Dial(t, "tcp", netip.AddrPortFrom(fam.server, portWeb))
			if err := nettest.RoundTrip(web, "GET", nettest.IOTimeout); !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("A's new web connection: %v, want ECONNRESET", err)
			}
			udp := l.Client.Dial(t, "udp", netip.AddrPortFrom(fam.server, 5353))
			err = nettest.RoundTrip(udp, "other udp", nettest.IOTimeout)
			if err != nil && !errors.Is(err, fam.udpRejected) {
				err = nettest.RoundTrip(udp, "again", nettest.IOTimeout) // ICMP errors show on the next call
			}
			if !errors.Is(err, fam.udpRejected) {
				t.Errorf("A's other UDP: %v, want %v (ICMP administratively prohibited)", err, fam.udpRejected)
			}
			if got := pingFrom(t, l.Client, fam.icmpNet, fam.icmpDst); got != "admin-prohibited" {
				t.Errorf("A's ping: %s, want an ICMP administratively prohibited", got)
			}

			for name, c := range map[string]net.Conn{
				"A's allowlisted flow":           allowlisted,
				"A's new allowlisted connection": l.Client.Dial(t, "tcp", netip.AddrPortFrom(fam.server, portAllowlisted)),
				"A's DNS":                        l.Client.Dial(t, "udp", netip.AddrPortFrom(fam.server, 53)),
				"A's connection to the router":   l.Client.Dial(t, "tcp", netip.AddrPortFrom(fam.router, 22)),
				"B's web flow":                   bWeb,
				"B's new web connection":         devB.Dial(t, "tcp", netip.AddrPortFrom(fam.server, portOther)),
			} {
				for i := range 3 {
					if err := nettest.RoundTrip(c, "after "+strconv.Itoa(i), nettest.IOTimeout); err != nil {
						t.Errorf("%s, trip %d: %v", name, i, err)
						break
					}
				}
			}
			if got := pingFrom(t, devB, fam.icmpNet, fam.icmpDst); got != "reply" {
				t.Errorf("B's ping: %s, want a reply", got)
			}
		})
	}
}

// openConntrack opens a conntrack socket in namespace n until the test ends.
func openConntrack(t *testing.T, n nettest.Netns) *conntrack.Conn {
	t.Helper()
	var c *conntrack.Conn
	n.Do(t, func() {
		var err error
		if c, err = conntrack.Open(); err != nil {
			t.Fatal(err)
		}
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// TestStoppedPickupRejected: a flow of a stopped device still within its
// first packets and unjudged (here: fail-open with no agent, so the queue
// lets it pass) goes on until the agent deletes its conntrack entry; the
// device's next packet then creates an entry without being a SYN and is
// reset at once, not queued as a new flow's first packet.
func TestStoppedPickupRejected(t *testing.T) {
	for _, fam := range families {
		t.Run(fam.name, func(t *testing.T) {
			l := newLab(t)
			l.addDeviceB(t) // fixes A's MAC
			tb := l.table(t, Config{Queue: testQueue, FailOpen: true, Guard: 64})
			l.Server.Echo(t, "tcp", portWeb)
			conn := l.Client.Dial(t, "tcp", netip.AddrPortFrom(fam.server, portWeb))
			if err := tb.SetStopped([][6]byte{macA}); err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				if err := nettest.RoundTrip(conn, "unjudged "+strconv.Itoa(i), nettest.IOTimeout); err != nil {
					t.Fatalf("trip %d before the delete: %v (an unjudged flow within its guard passes)", i, err)
				}
			}
			src := clientV4
			if fam.server.Is6() {
				src = clientV6
			}
			if n, err := openConntrack(t, l.Router).DeleteFrom([]netip.Addr{src}, nil); n != 1 || err != nil {
				t.Fatalf("DeleteFrom = %d, %v; want 1, nil", n, err)
			}
			if err := nettest.RoundTrip(conn, "picked up", nettest.IOTimeout); !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("trip after the delete: %v, want ECONNRESET", err)
			}
		})
	}
}

// pingFrom sends one ICMP echo request from namespace n to dst over network
// ("ip4:icmp" or "ip6:ipv6-icmp") and says what came back within 2 s:
// "reply", "admin-prohibited" (ICMP 3/13, ICMPv6 1/1), "timeout" or the
// type and code of another answer.
func pingFrom(t *testing.T, n nettest.Netns, network, dst string) string {
	t.Helper()
	v6 := network == "ip6:ipv6-icmp"
	var pc *icmp.PacketConn
	n.Do(t, func() {
		var err error
		local := map[bool]string{false: "0.0.0.0", true: "::"}[v6]
		if pc, err = icmp.ListenPacket(network, local); err != nil {
			t.Fatal(err)
		}
	})
	defer pc.Close()
	var echo, reply, unreach icmp.Type = ipv4.ICMPTypeEcho, ipv4.ICMPTypeEchoReply, ipv4.ICMPTypeDestinationUnreachable
	proto, adminCode := 1, 13
	if v6 {
		echo, reply, unreach = ipv6.ICMPTypeEchoRequest, ipv6.ICMPTypeEchoReply, ipv6.ICMPTypeDestinationUnreachable
		proto, adminCode = 58, 1
	}
	msg := icmp.Message{Type: echo, Body: &icmp.Echo{ID: 0x5a5a, Seq: 1, Data: []byte("stopped?")}}
	b, err := msg.Marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.WriteTo(b, &net.IPAddr{IP: net.ParseIP(dst)}); err != nil {
		t.Fatal(err)
	}
	end := time.Now().Add(2 * time.Second)
	_ = pc.SetReadDeadline(end)
	buf := make([]byte, 1500)
	for time.Now().Before(end) {
		k, _, err := pc.ReadFrom(buf)
		if err != nil {
			return "timeout"
		}
		m, err := icmp.ParseMessage(proto, buf[:k])
		if err != nil {
			continue
		}
		switch {
		case m.Type == reply:
			return "reply"
		case m.Type == unreach && m.Code == adminCode:
			return "admin-prohibited"
		case m.Type == unreach:
			return fmt.Sprintf("unreachable code %d", m.Code)
		}
	}
	return "timeout"
}
