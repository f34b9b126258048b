package queue

import (
	"net/netip"
	"testing"

	"github.com/safeinternet/cpe/nfq/internal/nettest"
)

// Kernel-facing flow tests run in throwaway network namespaces named
// vm-<hash>-<role> (package nettest, subnet 98):
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

// needLab skips t unless it may create network namespaces and has the tools
// the lab uses.
func needLab(t *testing.T) {
	t.Helper()
	nettest.NeedKernel(t, "network namespaces, nftables, NFQUEUE")
}

// newFlowLab builds the topology with forwarding on in the router.
func newFlowLab(t *testing.T) *nettest.Lab {
	t.Helper()
	needLab(t)
	return nettest.NewLab(t, nettest.Prefix(t, "vm"), 98)
}
