// Package firewall owns the agent's nftables table, "inet safeinternet",
// and writes it to the kernel over netlink (no nft or iptables binary).
//
// The table sends the first packets of every LAN flow to NFQUEUE — every
// DNS packet, the first original-direction packets of TCP flows (the SYN
// included) and of UDP flows to port 443, the QUIC Initials of allowed
// UDP/443 flows (a new connection may reuse the addresses and ports), and
// with Config.Answers every DNS answer on its way to the LAN — and lets the
// kernel act alone on flows whose conntrack mark already carries a verdict:
// ALLOW is accepted, BLOCK is rejected (TCP reset, or ICMP administratively
// prohibited). A packet-count guard stops a flow from being queued beyond its
// first Guard original-direction packets; the guard reads the conntrack
// packet counters, which exist only when net.netfilter.nf_conntrack_acct is 1
// (see EnableConntrackAccounting). Unless Config.FailOpen is set, a TCP or
// UDP/443 flow past the guard that still has no verdict (the agent was down,
// the queue overflowed, the flow predates the table) is rejected, not let
// through uninspected.
//
// Devices can be stopped (bedtime, pause, an exhausted daily limit): the set
// "stopped" holds their MAC addresses (Table.SetStopped), and the forward
// chain sends their packets (matched by Ethernet source address, after the
// DNS rules, so DNS is still queued) through the chain "stopped_device".
// There a flow whose ct mark is ALLOW with category Config.Allowlist, and
// the first packets of a new TCP or UDP/443 flow, return to the forward
// chain and are accepted or queued as for any device (the agent then allows
// only allowlisted names); everything else — flows with another verdict,
// unjudged flows past the guard, a TCP packet that creates a conntrack entry
// without being a SYN (or a UDP/443 one without being a QUIC Initial), other
// UDP, ICMP, IPv4 and IPv6 alike — is rejected in the kernel with a TCP
// reset or ICMP administratively prohibited. Packets to the router itself
// (input) are not affected. To cut a stopped device's running flows at once,
// also those a flowtable offloads, the agent deletes their conntrack entries
// (package nfq/conntrack), keeping the allowlisted ones: their next packets
// hit the rules above.
//
// With Config.BlockPage set (the DNS block-page mode answers blocked names
// with that address, which is never routed), a nat chain "block_page"
// (prerouting, priority dstnat) redirects TCP port 80 from the LAN to that
// address to Config.BlockPagePort on the router's address of the incoming
// interface, where the web page answers; the flow then goes through the
// input chain, which queues only DNS. Everything else from the LAN to that
// address is rejected early in the forward chain, before any queueing: TCP
// with a reset, the rest with ICMP administratively prohibited, so clients
// fail at once instead of timing out. The redirect needs nf_nat,
// nft_chain_nat and nft_redir (OpenWrt kmod-nft-nat, which fw4 depends
// on); without them Install and Reconfigure fail and leave the table as it
// was.
//
// Two queue encodings exist (see Probe): the native nft queue expression and,
// on kernels without nft_queue, the xtables NFQUEUE target through nft_compat.
//
// Where the kernel cannot set the conntrack mark from a queue verdict
// (CONFIG_NETFILTER_NETLINK_GLUE_CT unset), Config.CopyMark adds chains at a
// later priority that copy the verdict from the packet mark into the
// conntrack mark. With CopyMark the agent gives its verdicts as follows:
//
//   - allow: accept with packet mark Layout.Apply(0, Allow, category);
//   - block: accept with packet mark Layout.Apply(0, Block, category) — the
//     mark-copy chain stores BLOCK in the conntrack mark and then rejects the
//     packet itself (TCP reset / ICMP), so nothing of the flow passes. A drop
//     verdict would lose the mark, as a dropped packet never reaches the
//     mark-copy chain.
//
// Without CopyMark the verdict sets the conntrack mark directly (drop for
// block); the next packet of a BLOCK flow is rejected by the main chain.
//
// Every write replaces the whole table in one netlink batch, so the kernel
// never holds half a table; SetStopped replaces the stopped set's members
// in one batch too.
package firewall

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"

	"github.com/safeinternet/cpe/nfq/ctmark"
)

// TableName is the name of the agent's table; its family is inet.
const TableName = "safeinternet"

// Chain priorities: the main chains run before fw4's filter chains
// (priority 0); the mark-copy chains run after the main chains, so a packet
// accepted from the queue (which resumes at the next hook entry) passes them.
const (
	Priority     = -5 // filter - 5
	CopyPriority = -4 // filter - 4
)

// NATPriority is the priority of the block-page chain: dstnat, as fw4's
// own port forwards.
const NATPriority = -100

// blockPageHTTPPort is the port redirected to the block page: plain HTTP.
const blockPageHTTPPort = 80

// DefaultGuard is the packet-count guard used when Config.Guard is zero.
const DefaultGuard = 8

// MaxGuard is the largest accepted Config.Guard.
const MaxGuard = 1024

// QueueEncoding says how the table sends packets to NFQUEUE.
type QueueEncoding uint8

// Queue encodings.
const (
	// Native is the nft queue expression (module nft_queue; OpenWrt
	// kmod-nft-queue).
	Native QueueEncoding = iota + 1
	// XtablesCompat is the xtables NFQUEUE target (revision 3) carried by
	// nft_compat, for kernels without nft_queue.
	XtablesCompat
)

// String returns "native" or "xtables-compat".
func (e QueueEncoding) String() string {
	switch e {
	case Native:
		return "native"
	case XtablesCompat:
		return "xtables-compat"
	}
	return fmt.Sprintf("encoding(%d)", uint8(e))
}

// Sentinel errors.
var (
	// ErrNoQueue reports a kernel that accepts neither queue encoding.
	ErrNoQueue = errors.New("firewall: kernel supports neither nft queue nor xtables NFQUEUE")
	// ErrConfig wraps every Config.Validate failure.
	ErrConfig = errors.New("firewall: invalid config")
)

// ifNameSize is IFNAMSIZ: names are at most 15 bytes plus the NUL.
const ifNameSize = 16

// Config describes the table. The zero value is not valid: LAN and Layout
// must be set.
type Config struct {
	// LAN lists the interfaces whose incoming packets are inspected
	// (e.g. "br-lan"); at least one.
	LAN []string
	// Queue is the first queue number.
	Queue uint16
	// QueueCount is the number of queues, Queue..Queue+QueueCount-1; 0 means
	// 1. With more than one, packets are spread over the queues by a hash of
	// their addresses (both directions of a flow, and every packet of it,
	// reach the same queue), or by CPU when CPUFanout is set.
	QueueCount uint16
	// CPUFanout picks the queue by the current CPU instead of the address
	// hash. Packets of one flow may then reach different queues; leave it off
	// unless every reader can reassemble across queues.
	CPUFanout bool
	// Layout places the verdict in the conntrack mark (and, with CopyMark, in
	// the packet mark). Built with ctmark.New.
	Layout ctmark.Layout
	// FailOpen sets the queue bypass flag: packets pass uninspected when no
	// program listens on the queue. Without it they are dropped, and TCP and
	// UDP/443 flows past the guard without a verdict are rejected.
	FailOpen bool
	// CopyMark adds the mark-copy chains (see the package comment). Needed
	// where the queue verdict can only set the packet mark.
	CopyMark bool
	// Answers also queues DNS answers (UDP and TCP source port 53) going to
	// the LAN: routed ones in the forward chain and the router's own in an
	// output chain, so that the agent can learn names and rewrite answers.
	Answers bool
	// Guard is the number of original-direction packets of a flow after which
	// it is never queued again; 0 means DefaultGuard. DNS packets are always
	// queued.
	Guard uint64
	// Allowlist is the category id (as in Layout.Value) of the allowlist
	// category: flows of a stopped device (see Table.SetStopped) whose ct
	// mark is ALLOW with this category go on. 0 means none: a stopped device
	// keeps only DNS and the first packets of new flows, which are queued.
	// At most Layout.MaxCategory().
	Allowlist uint32
	// BlockPage is the address the DNS block-page mode answers blocked
	// names with (package nfq/dns, PageV4). When set, TCP port 80 from the
	// LAN to it is redirected to BlockPagePort on the router, and anything
	// else from the LAN to it is rejected (see the package comment). The
	// zero Addr adds no chain and no rule. It must be an IPv4 unicast
	// address that the router does not own.
	BlockPage netip.Addr
	// BlockPagePort is the TCP port of the router's web page, which answers
	// the redirected connections; required (not 0, not 53) when BlockPage is
	// set, ignored otherwise.
	BlockPagePort uint16
}

// Validate reports every problem of c at once (joined with errors.Join);
// each wraps ErrConfig.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...))
	}
	if len(c.LAN) == 0 {
		bad("lan: at least one interface is required")
	}
	seen := make(map[string]bool, len(c.LAN))
	for i, name := range c.LAN {
		switch {
		case name == "":
			bad("lan[%d]: empty interface name", i)
		case len(name) >= ifNameSize:
			bad("lan[%d]: interface name %q longer than %d bytes", i, name, ifNameSize-1)
		case strings.ContainsAny(name, "/ \t\n\x00"):
			bad("lan[%d]: interface name %q has a forbidden character", i, name)
		case seen[name]:
			bad("lan[%d]: interface %q listed twice", i, name)
		}
		seen[name] = true
	}
	if last := uint32(c.Queue) + uint32(c.queueCount()) - 1; last > 0xffff {
		bad("queue: queues %d..%d exceed 65535", c.Queue, last)
	}
	if c.Layout.Mask() == 0 {
		bad("layout: not set (use ctmark.New)")
	}
	if c.Guard > MaxGuard {
		bad("guard: %d exceeds %d", c.Guard, MaxGuard)
	}
	if c.Layout.Mask() != 0 && c.Allowlist > c.Layout.MaxCategory() {
		bad("allowlist: category %d exceeds the layout's %d", c.Allowlist, c.Layout.MaxCategory())
	}
	if a := c.BlockPage; a.IsValid() {
		if !a.Is4() || a.IsUnspecified() || a.IsLoopback() || a.IsMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			bad("block_page: %s is not an IPv4 unicast address", a)
		}
		switch c.BlockPagePort {
		case 0:
			bad("block_page_port: required with block_page")
		case 53:
			bad("block_page_port: 53 is DNS, which the input chain queues")
		}
	}
	return errors.Join(errs...)
}

// queueCount returns QueueCount with 0 read as 1.
func (c Config) queueCount() uint16 {
	if c.QueueCount == 0 {
		return 1
	}
	return c.QueueCount
}

// guard returns Guard with 0 read as DefaultGuard.
func (c Config) guard() uint64 {
	if c.Guard == 0 {
		return DefaultGuard
	}
	return c.Guard
}

// Table installs and guards the agent's table. Its methods are safe for
// concurrent use.
type Table struct {
	enc   QueueEncoding
	log   *slog.Logger
	netns int // network namespace fd for netlink; 0 is the caller's

	// noMonitor makes Watch poll only (tests of the polling path).
	noMonitor bool

	// mu serialises writes to the kernel and guards the fields below.
	mu        sync.Mutex
	cfg       Config
	installed bool // Install succeeded and Remove has not run since
	// stopped is the members of the stopped set (sorted, no duplicates),
	// written with every table; stoppedSynced says the kernel's set holds
	// them (the last write of the set or of the table succeeded).
	stopped       [][6]byte
	stoppedSynced bool
}

// New returns a Table for cfg, using enc (from Probe). It does not touch the
// kernel. log must not be nil.
func New(cfg Config, enc QueueEncoding, log *slog.Logger) (*Table, error) {
	if enc != Native && enc != XtablesCompat {
		return nil, fmt.Errorf("%w: unknown queue encoding %d", ErrConfig, enc)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.LAN = append([]string(nil), cfg.LAN...)
	return &Table{enc: enc, log: log, cfg: cfg}, nil
}

// Encoding returns the queue encoding the table uses.
func (t *Table) Encoding() QueueEncoding { return t.enc }

// Install creates the table, or atomically replaces it when it exists, in
// one netlink batch; the stopped set holds the members last given to
// SetStopped. After Install, Watch re-creates the table if it disappears.
func (t *Table) Install() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.installLocked()
}

// installLocked installs t.cfg. t.mu must be held.
func (t *Table) installLocked() error {
	msgs, err := tableMessages(t.cfg, t.enc, t.stopped)
	if err != nil {
		return fmt.Errorf("firewall: install: %w", err)
	}
	if err := sendBatch(t.netns, msgs); err != nil {
		return fmt.Errorf("firewall: install: %w", err)
	}
	t.installed, t.stoppedSynced = true, true
	return nil
}

// Reconfigure validates cfg and, when it is valid, replaces the table with
// one built from it (atomically, as Install, so the stopped set is never
// empty in between: the new table carries the members last given to
// SetStopped). The table is installed even if it was not before.
func (t *Table) Reconfigure(cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	cfg.LAN = append([]string(nil), cfg.LAN...)
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.cfg
	t.cfg = cfg
	if err := t.installLocked(); err != nil {
		t.cfg = old
		return err
	}
	return nil
}

// Remove deletes the table; it is not an error when the table is absent.
// After Remove, Watch no longer re-creates the table.
func (t *Table) Remove() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.installed = false
	if err := sendBatch(t.netns, removeMessages(TableName)); err != nil {
		return fmt.Errorf("firewall: remove: %w", err)
	}
	return nil
}

// Exists reports whether the table is present in the kernel.
func (t *Table) Exists() (bool, error) {
	ok, err := tableExists(t.netns, TableName)
	if err != nil {
		return false, fmt.Errorf("firewall: exists: %w", err)
	}
	return ok, nil
}
