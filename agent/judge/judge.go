// Package judge is the agent's packet judge: the handler of every queue.
// For each queued packet it decodes the headers (nfq/packet), reads the
// name the device asks for — a DNS question, a ClientHello's SNI over TCP
// (reassembled across segments and records) or QUIC (Initials decrypted,
// CRYPTO frames reassembled), an HTTP Host —, asks the current policy
// snapshot, and returns the verdict that settles the flow: accept with the
// ALLOW mark, or drop with the BLOCK mark and the device told at once (its
// own DNS answer, a TCP reset, a redirect to the page's child view). DNS
// answers on their way to the LAN are read too: names are learned per
// device, and ECH configurations stripped for restricted devices.
//
// A Judge holds what every queue shares: the current Rules (swapped
// atomically on reload), the counters, the names learned from answers, the
// SafeSearch hosts' addresses and the page's link. Each queue gets its own
// handler (Judge.Handler), whose scratch buffers and flow tables belong to
// that queue's goroutine: the path from decode to verdict does not
// allocate. What the judge needs from the rest of the agent it declares
// here (Devices, Clock, Blocked, Sender); it knows nothing of the keeper or
// the page.
package judge

import (
	"context"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/policy"
	"github.com/safeinternet/cpe/nfq/dns"
	"github.com/safeinternet/cpe/nfq/queue"
)

// Devices is the device inventory as the queues use it: they report which
// MAC sent from which address, and find the MAC of an address whose
// packets come without one. Safe for concurrent use.
type Devices interface {
	Saw(addr netip.Addr, mac [6]byte)
	MAC(addr netip.Addr) ([6]byte, bool)
}

// Clock is the household's time as decisions need it: the zone, whether
// the clock can be trusted yet, and the day's used-up limits (nil: none).
// Safe for concurrent use; read on every decision, so it must not block.
type Clock interface {
	Zone() *time.Location
	Unsynced() bool
	Usage() *policy.Usage
}

// Blocked keeps blocked attempts for the parents' page. Add must not keep
// name and must not allocate; it is called on block decisions only.
type Blocked interface {
	Add(now time.Time, mac [6]byte, name []byte, r policy.Reason, cat category.ID)
}

// Sender sends a made-up IP packet straight to a device (an answer, a
// reset); *inject.Sender is one. It must not keep ipPacket.
type Sender interface {
	Send(ifindex int, dst [6]byte, ipPacket []byte) error
}

// Rules is what the handlers need from the current configuration, swapped
// as a whole on reload. A Rules is never changed once given to SetRules.
type Rules struct {
	Snap         *policy.Snapshot
	BlockMode    dns.BlockMode
	TTL          uint32 // of the agent's own DNS answers
	LogDecisions bool
	Fallback     queue.Verdict // the default verdict: the fail mode's answer
	Guard        int           // packets per flow the kernel queues
}

// Config is what a Judge is built from. Every field but Blocked is
// required.
type Config struct {
	Send    Sender
	Devices Devices
	Clock   Clock
	Blocked Blocked // nil: blocked attempts are not kept
	Log     *slog.Logger
}

// Judge is the state every queue's handler shares. Build it with New.
type Judge struct {
	cfg      Config
	rules    atomic.Pointer[Rules]
	counters Counters
	names    *learnedNames
	targets  *targets
	link     pageLink
}

// New returns a judge deciding by r until SetRules replaces it.
func New(c Config, r *Rules) *Judge {
	j := &Judge{cfg: c, names: newLearnedNames(), targets: &targets{}}
	j.rules.Store(r)
	return j
}

// SetRules makes r the rules of every queue's next packet.
func (j *Judge) SetRules(r *Rules) { j.rules.Store(r) }

// Rules returns the current rules.
func (j *Judge) Rules() *Rules { return j.rules.Load() }

// Handler returns the handler of one more queue. Each queue's goroutine
// needs its own: a handler is not safe for concurrent use.
func (j *Judge) Handler() queue.Handler { return j.newHandler().handle }

// Counters returns the judge's counters, for the status file.
func (j *Judge) Counters() *Counters { return &j.counters }

// NamesKnown returns how many address → name pairs are held, expired ones
// included.
func (j *Judge) NamesKnown() int { return j.names.len() }

// RunTargets keeps the SafeSearch hosts' addresses current until ctx ends,
// asking the resolver that resolver returns at each round (a reload may
// change it). Run it in a goroutine of its own.
func (j *Judge) RunTargets(ctx context.Context, resolver func() netip.AddrPort) {
	j.targets.run(ctx, policy.Targets(), resolver)
}

// SetPageLink sets the start of the page's child-view URL for devices of
// one address family ("http://192.168.1.1:8090/#/blocked?name="); a
// blocked plain-HTTP request is redirected there with its host appended.
// The first link set for a family stays; until one is set, such requests
// get a plain 403.
func (j *Judge) SetPageLink(v6 bool, link string) {
	slot := &j.link.v4
	if v6 {
		slot = &j.link.v6
	}
	slot.CompareAndSwap(nil, &link)
}

func (j *Judge) newHandler() *handler {
	return &handler{
		rules: &j.rules, counters: &j.counters, send: j.cfg.Send, log: j.cfg.Log,
		devices: j.cfg.Devices, clock: j.cfg.Clock, blocked: j.cfg.Blocked,
		names: j.names, targets: j.targets, pageLink: &j.link,
		now:       monotonic(),
		wall:      time.Now,
		tcpFlows:  newTCPFlows(),
		quicFlows: newQUICFlows(),
		recent:    newRecentFlows(),
	}
}
