package nettest

import (
	"fmt"
	"testing"
)

// Lab is the client ─ router ─ server topology, in namespaces
// <prefix>-c, <prefix>-r and <prefix>-s, for a subnet number k (1..255):
//
//	client (eth0 10.k.1.2, fdk:1::2) ── lan0 router wan0 ── (eth0 10.k.2.2, fdk:2::2) server
//	                              (10.k.1.1, fdk:1::1 / 10.k.2.1, fdk:2::1)
//
// (in the IPv6 addresses k is written in decimal digits, e.g. fd99:1::2).
// The client's and the server's default routes point at the router, which
// forwards both families. All three live until the test ends.
type Lab struct {
	Client, Router, Server Netns
}

// NewLab builds the topology with forwarding on in the router and no
// duplicate address detection anywhere (addresses are usable at once). It
// does not skip: call NeedKernel first.
func NewLab(t testing.TB, prefix string, k int) *Lab {
	t.Helper()
	l := &Lab{
		Client: NewNetns(t, prefix+"-c"),
		Router: NewNetns(t, prefix+"-r"),
		Server: NewNetns(t, prefix+"-s"),
	}
	r, c, s := l.Router.Name, l.Client.Name, l.Server.Name
	for _, n := range []string{r, c, s} {
		// No duplicate address detection: addresses are usable at once.
		Run(t, "ip", "netns", "exec", n, "sysctl", "-q", "-w",
			"net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
	}
	v4 := func(sub, host int) string { return fmt.Sprintf("10.%d.%d.%d", k, sub, host) }
	v6 := func(sub, host int) string { return fmt.Sprintf("fd%d:%d::%d", k, sub, host) }
	for _, cmd := range [][]string{
		{"ip", "-n", r, "link", "add", "lan0", "type", "veth", "peer", "name", "eth0", "netns", c},
		{"ip", "-n", r, "link", "add", "wan0", "type", "veth", "peer", "name", "eth0", "netns", s},
		{"ip", "-n", r, "addr", "add", v4(1, 1) + "/24", "dev", "lan0"},
		{"ip", "-n", r, "addr", "add", v6(1, 1) + "/64", "dev", "lan0", "nodad"},
		{"ip", "-n", r, "addr", "add", v4(2, 1) + "/24", "dev", "wan0"},
		{"ip", "-n", r, "addr", "add", v6(2, 1) + "/64", "dev", "wan0", "nodad"},
		{"ip", "-n", c, "addr", "add", v4(1, 2) + "/24", "dev", "eth0"},
		{"ip", "-n", c, "addr", "add", v6(1, 2) + "/64", "dev", "eth0", "nodad"},
		{"ip", "-n", s, "addr", "add", v4(2, 2) + "/24", "dev", "eth0"},
		{"ip", "-n", s, "addr", "add", v6(2, 2) + "/64", "dev", "eth0", "nodad"},
		{"ip", "-n", r, "link", "set", "lan0", "up"},
		{"ip", "-n", r, "link", "set", "wan0", "up"},
		{"ip", "-n", c, "link", "set", "eth0", "up"},
		{"ip", "-n", s, "link", "set", "eth0", "up"},
		{"ip", "-n", c, "route", "add", "default", "via", v4(1, 1)},
		{"ip", "-n", c, "-6", "route", "add", "default", "via", v6(1, 1)},
		{"ip", "-n", s, "route", "add", "default", "via", v4(2, 1)},
		{"ip", "-n", s, "-6", "route", "add", "default", "via", v6(2, 1)},
		{"ip", "netns", "exec", r, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"},
	} {
		Run(t, cmd...)
	}
	return l
}
