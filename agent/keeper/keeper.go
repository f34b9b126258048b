// Package keeper is the household keeper: once a second, on the agent's
// main goroutine, it applies the household's time rules. It follows the
// clock (NTP synced or not, jumps), evaluates every person's state (pause,
// bedtime, allowed windows, focus, used-up limits) from the current policy
// snapshot, writes the devices of stopped persons into the kernel's
// stopped set, cuts the running connections of a person who has just been
// stopped or whose categories have just been blocked, and counts each
// person's daily time from conntrack's byte counters (usage.Meter),
// saving it — and the activity history — in the persist folder rarely and
// atomically.
//
// It publishes the household's time (Clock: zone, NTP state, used-up
// limits) for the queues' decisions and the persons' states (States, Used)
// for whoever shows them. What it needs from the rest of the agent it
// declares itself (StoppedSet, Flows, Devices, Blocked) or gets as
// functions (the current configuration and snapshot); it knows nothing of
// the packet judge or the web page.
package keeper

import (
	"bytes"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"

	"github.com/safeinternet/cpe/agent/activity"
	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/clock"
	"github.com/safeinternet/cpe/agent/config"
	"github.com/safeinternet/cpe/agent/policy"
	"github.com/safeinternet/cpe/agent/usage"
	"github.com/safeinternet/cpe/internal/atomicfile"
	"github.com/safeinternet/cpe/nfq/conntrack"
	"github.com/safeinternet/cpe/nfq/ctmark"
)

// Clock is the household's time as every decision needs it: the zone,
// whether the clock can be trusted, and the day's used-up limits. The
// keeper writes it; the queues read it. Safe for concurrent use.
type Clock struct {
	loc      atomic.Pointer[time.Location]
	unsynced atomic.Bool
	usage    atomic.Pointer[policy.Usage]
}

// NewClock returns a clock in UTC, synced, with no limit used up, until a
// keeper sets it.
func NewClock() *Clock {
	c := &Clock{}
	c.loc.Store(time.UTC)
	return c
}

// Zone returns the household's time zone.
func (c *Clock) Zone() *time.Location { return c.loc.Load() }

// Unsynced reports whether the clock has not been set by NTP yet.
func (c *Clock) Unsynced() bool { return c.unsynced.Load() }

// Usage returns the day's used-up limits; nil when none.
func (c *Clock) Usage() *policy.Usage { return c.usage.Load() }

// StoppedSet is the kernel's set of stopped devices (firewall.Table).
type StoppedSet interface {
	SetStopped(macs [][6]byte) error
}

// Flows is conntrack as the keeper uses it (*conntrack.Conn).
type Flows interface {
	Dump(fn func(*conntrack.Flow)) error
	DeleteFrom(src []netip.Addr, keep func(*conntrack.Flow) bool) (int, error)
}

// Devices is the device inventory as the keeper uses it
// (*inventory.Table).
type Devices interface {
	MAC(addr netip.Addr) ([6]byte, bool)
	Touch(mac [6]byte, now time.Time)
	Unknown(known func([6]byte) bool) [][6]byte
	AddrsOf(macs [][6]byte) []netip.Addr
}

// Blocked is the source of blocked attempts the keeper counts into the
// history (*activity.Log).
type Blocked interface {
	Since(seq uint64) ([]activity.Entry, uint64)
}

// Sync judges the clock (*clock.Sync).
type Sync interface {
	Synced(now time.Time) bool
}

// Config is what a Keeper is built from.
type Config struct {
	Log *slog.Logger
	// Persist is the folder for usage.json and the activity history; ""
	// keeps nothing.
	Persist string
	// System is the system's root, where the zone is read from
	// (etc/config/system, etc/TZ).
	System fs.FS
	// NTPMarker is the file the NTP hotplug script writes when the clock
	// is synced; BuildTime is when the binary was built (a clock before it
	// is stale). See clock.NewSync.
	NTPMarker string
	BuildTime time.Time
	// Sync says whether the clock can be trusted at a moment; nil is
	// clock.NewSync over the root file system, NTPMarker and BuildTime.
	Sync Sync
	// Config and Snapshot return the current configuration and policy.
	Config   func() *config.Config
	Snapshot func() *policy.Snapshot
	Clock    *Clock
	Stopped  StoppedSet
	Flows    Flows // nil: time is not counted and connections are not cut
	Devices  Devices
	Blocked  Blocked
	History  *activity.History
}

// Where the keeper keeps what must survive a reboot, and how often it
// writes there (flash wears out).
const (
	usageFile  = "usage.json"
	saveEvery  = 10 * time.Minute
	maxFlowsCT = 32768 // flows whose byte counters are remembered between periods
)

// Keeper runs the household's time rules. Tick, Reconfigure, Status and
// Close are for the agent's main goroutine only; States and Used are safe
// for concurrent use.
type Keeper struct {
	c       Config
	log     *slog.Logger
	sync    Sync
	jumps   *clock.JumpDetector
	meter   *usage.Meter
	tracker *usage.Tracker
	// stopped holds the persons stopped at the last tick, with why;
	// blocked the categories (focus, used-up limits) blocked for each.
	stopped map[string]policy.Reason
	blocked map[string]category.Set
	// macs is the stopped set last written to the kernel.
	macs     [][6]byte
	wroteSet bool
	// nextPeriod is when the current accounting period ends; lastSave when
	// usage was last written.
	nextPeriod time.Time
	lastSave   time.Time
	// states is the last tick's persons, for the status file.
	states []policy.PersonState
	// blockedSeq is how many blocked attempts the history has counted.
	blockedSeq uint64
	// published is the last tick's persons and time used, for other
	// goroutines.
	published atomic.Pointer[published]
}

// published is what one tick leaves for other goroutines; never changed
// once stored.
type published struct {
	states []policy.PersonState
	used   map[string]time.Duration
}

// New prepares the keeper: the zone from the system configuration, the
// NTP marker, the usage counters saved before. It does not tick.
func New(c Config, cfg *config.Config) *Keeper {
	k := &Keeper{c: c, log: c.Log,
		sync:    c.Sync,
		jumps:   clock.NewJumpDetector(2 * time.Second),
		meter:   usage.NewMeter(cfg.Period, cfg.Threshold),
		tracker: usage.NewTracker(maxFlowsCT),
		stopped: map[string]policy.Reason{},
		blocked: map[string]category.Set{},
	}
	if k.sync == nil {
		k.sync = clock.NewSync(os.DirFS("/"), c.NTPMarker, c.BuildTime)
	}
	k.loadZone()
	if c.Flows == nil {
		k.log.Error("conntrack: daily time is not counted and connections are not cut")
	}
	if c.Persist != "" {
		k.load()
	}
	return k
}

// States returns the persons as the last tick evaluated them; the slice is
// shared: do not change it.
func (k *Keeper) States() []policy.PersonState {
	if p := k.published.Load(); p != nil {
		return p.states
	}
	return nil
}

// Used returns person's time used today as of the last tick.
func (k *Keeper) Used(person string) time.Duration {
	if p := k.published.Load(); p != nil {
		return p.used[person]
	}
	return 0
}

// Reconfigure follows a reloaded configuration: a new accounting period or
// threshold gets a new meter that starts from the old one's counters.
func (k *Keeper) Reconfigure(old, cfg *config.Config) {
	if old.HistoryDomains && !cfg.HistoryDomains {
		k.c.History.ForgetDomains()
	}
	if cfg.Period == old.Period && cfg.Threshold == old.Threshold {
		return
	}
	m := usage.NewMeter(cfg.Period, cfg.Threshold)
	var b bytes.Buffer
	now := time.Now().In(k.c.Clock.Zone())
	if err := k.meter.Save(&b); err == nil {
		err = m.Load(&b, now)
		if err != nil {
			k.log.Warn("usage counters not carried over", "err", err)
		}
	}
	k.meter = m
	k.nextPeriod = time.Time{}
	k.log.Info("accounting", "period", cfg.Period.String(), "threshold", cfg.Threshold)
}

// loadZone reads the household's time zone from the system configuration.
func (k *Keeper) loadZone() {
	loc, src, err := clock.LoadZone(k.c.System)
	if err != nil {
		k.log.Warn("time zone", "err", err)
	}
	k.c.Clock.loc.Store(loc)
	k.log.Info("time zone", "zone", loc.String(), "source", src.String())
}

// load reads the usage counters saved before a restart or a reboot.
func (k *Keeper) load() {
	f, err := os.Open(filepath.Join(k.c.Persist, usageFile))
	if os.IsNotExist(err) {
		return
	}
	if err != nil {
		k.log.Warn("usage counters not read", "err", err)
		return
	}
	defer f.Close()
	if err := k.meter.Load(f, time.Now().In(k.c.Clock.Zone())); err != nil {
		k.log.Warn("usage counters not read", "err", atomicfile.SetAside(f.Name(), err))
	}
}

// save writes the usage counters atomically.
func (k *Keeper) save(now time.Time) {
	if k.c.Persist == "" {
		return
	}
	var b bytes.Buffer
	if err := k.meter.Save(&b); err != nil {
		k.log.Warn("usage counters not saved", "err", err)
		return
	}
	if err := os.MkdirAll(k.c.Persist, 0o755); err != nil {
		k.log.Warn("usage counters not saved", "err", err)
		return
	}
	if err := atomicfile.WriteFile(filepath.Join(k.c.Persist, usageFile), b.Bytes(), 0o644); err != nil {
		k.log.Warn("usage counters not saved", "err", err)
		return
	}
	if err := k.c.History.Save(k.c.Persist); err != nil {
		k.log.Warn("activity history not saved", "err", err)
	}
	k.lastSave = now
}

// Close saves the usage counters and the history.
func (k *Keeper) Close() {
	if k.meter.Dirty() {
		k.save(time.Now())
	} else if k.c.Persist != "" {
		if err := k.c.History.Save(k.c.Persist); err != nil {
			k.log.Warn("activity history not saved", "err", err)
		}
	}
}

// Tick runs the time rules at now (from time.Now: with its monotonic
// reading).
func (k *Keeper) Tick(now time.Time) {
	ts := k.c.Clock
	if jumped, delta := k.jumps.Observe(now); jumped {
		k.log.Warn("clock jumped: schedules re-evaluated", "by", delta.String())
		k.nextPeriod = time.Time{}
	}
	unsynced := !k.sync.Synced(now)
	if ts.unsynced.Swap(unsynced) != unsynced {
		k.log.Info("clock", "synced", !unsynced)
	}
	local := now.In(ts.loc.Load())
	snap := k.c.Snapshot()
	cfg := k.c.Config()
	if k.nextPeriod.IsZero() || !now.Before(k.nextPeriod) {
		k.account(local, snap, cfg)
		k.nextPeriod = now.Add(cfg.Period)
	}
	k.countBlocked(snap, cfg)
	k.states = snap.People(local, unsynced, ts.usage.Load())
	k.apply(k.states, cfg.Layout)
	used := make(map[string]time.Duration, len(k.states))
	for _, ps := range k.states {
		used[ps.ID], _ = k.meter.Used(ps.ID)
	}
	k.published.Store(&published{states: k.states, used: used})
}

// apply makes the kernel follow the persons' states: the stopped set holds
// the devices of every stopped person, and a person who has just been
// stopped, or whose categories have just been blocked, loses their running
// connections (but those of allowlisted names).
func (k *Keeper) apply(states []policy.PersonState, l ctmark.Layout) {
	var macs [][6]byte
	for _, ps := range states {
		if ps.ID == policy.Unassigned {
			// Devices nobody assigned: the unknown MACs seen sending.
			ps.MACs = k.unknownMACs()
		}
		was := k.stopped[ps.ID]
		if ps.Stopped != policy.ReasonNone {
			macs = append(macs, ps.MACs...)
			if was == policy.ReasonNone && len(ps.MACs) > 0 {
				k.log.Info("person stopped", "person", ps.ID, "reason", ps.Stopped.String(), "rule", ps.Rule)
				k.cut(ps.MACs, func(f *conntrack.Flow) bool {
					return l.State(f.Mark) == ctmark.Allow && l.Category(f.Mark) == uint32(category.Allowlist)
				})
			}
			k.stopped[ps.ID] = ps.Stopped
		} else if was != policy.ReasonNone {
			k.log.Info("person resumed", "person", ps.ID)
			delete(k.stopped, ps.ID)
		}
		blocked := ps.Focus | ps.Exhausted.Categories
		if fresh := blocked &^ k.blocked[ps.ID]; fresh != 0 && len(ps.MACs) > 0 && ps.Stopped == policy.ReasonNone {
			k.log.Info("categories blocked", "person", ps.ID, "categories", fresh.String())
			k.cut(ps.MACs, func(f *conntrack.Flow) bool {
				return !fresh.Has(category.ID(l.Category(f.Mark)))
			})
		}
		if blocked == 0 {
			delete(k.blocked, ps.ID)
		} else {
			k.blocked[ps.ID] = blocked
		}
	}
	slices.SortFunc(macs, func(a, b [6]byte) int { return bytes.Compare(a[:], b[:]) })
	macs = slices.Compact(macs)
	if k.wroteSet && slices.Equal(macs, k.macs) {
		return
	}
	if err := k.c.Stopped.SetStopped(macs); err != nil {
		k.log.Error("stopped devices not written to the kernel", "err", err)
		return
	}
	k.macs, k.wroteSet = macs, true
}

// unknownMACs returns the MAC addresses seen sending that no device section
// names.
func (k *Keeper) unknownMACs() [][6]byte {
	return k.c.Devices.Unknown(k.c.Config().HasDevice)
}

// cut deletes the conntrack entries of the devices' addresses, but those
// keep returns true for: their next packets meet the table afresh.
func (k *Keeper) cut(macs [][6]byte, keep func(*conntrack.Flow) bool) {
	if k.c.Flows == nil {
		return
	}
	addrs := k.c.Devices.AddrsOf(macs)
	if len(addrs) == 0 {
		return
	}
	n, err := k.c.Flows.DeleteFrom(addrs, keep)
	if err != nil {
		k.log.Warn("connections not cut", "err", err)
		return
	}
	k.log.Info("connections cut", "count", n, "addresses", len(addrs))
}

// account ends an accounting period at now: every flow's bytes since the
// last period go to its device's person and its category, the meter counts
// the period for those over the threshold, and the used-up limits are
// published for decisions.
func (k *Keeper) account(now time.Time, snap *policy.Snapshot, cfg *config.Config) {
	if k.c.Flows != nil {
		k.tracker.Begin()
		err := k.c.Flows.Dump(func(f *conntrack.Flow) {
			mac, ok := k.c.Devices.MAC(f.Src)
			if !ok {
				return
			}
			key := usage.MakeFlowKey(f.ID, f.Proto, netip.AddrPortFrom(f.Src, f.SrcPort), f.DstPort)
			delta := k.tracker.Observe(key, f.OrigBytes+f.ReplyBytes)
			if delta == 0 {
				return
			}
			k.c.Devices.Touch(mac, now)
			k.meter.Add(snap.PersonOf(mac), uint8(cfg.Layout.Category(f.Mark)), delta)
		})
		k.tracker.End()
		if err != nil {
			k.log.Warn("conntrack dump", "err", err)
		}
	}
	limits := map[string]policy.PersonState{}
	for _, ps := range snap.People(now, k.c.Clock.unsynced.Load(), nil) {
		limits[ps.ID] = ps
	}
	limitsOf := func(person string) (usage.Limits, time.Duration) {
		ps, ok := limits[person]
		if !ok {
			return usage.Limits{}, 0
		}
		return usageLimits(ps.Limits), ps.Bonus
	}
	for _, ev := range k.meter.Close(now, limitsOf) {
		k.log.Info("time", "person", ev.Person, "event", ev.Kind.String(),
			"category", categoryName(category.ID(ev.Category)), "remaining", ev.Remaining.String())
	}
	used := map[string]policy.Exhausted{}
	for id, ps := range limits {
		l, bonus := usageLimits(ps.Limits), ps.Bonus
		total, cats := k.meter.Exhausted(id, l, bonus)
		if total || cats != 0 {
			used[id] = policy.Exhausted{Total: total, Categories: category.Set(cats)}
		}
	}
	k.c.Clock.usage.Store(policy.NewUsage(used))
	date := now.Format(time.DateOnly)
	for id := range limits {
		total, perCat := k.meter.Used(id)
		if total > 0 {
			k.c.History.SetUsed(date, id, total, perCat[:])
		}
	}
	if k.meter.Dirty() && (k.lastSave.IsZero() || now.Sub(k.lastSave) >= saveEvery ||
		now.Format(time.DateOnly) != k.lastSave.In(now.Location()).Format(time.DateOnly)) {
		k.save(now)
	}
}

// usageLimits converts a person's limits for the meter.
func usageLimits(l config.Limits) usage.Limits {
	var u usage.Limits
	if l.HasDaily {
		u.Total = l.Daily
	}
	for _, id := range l.HasCategory.IDs() {
		u.PerCategory[id] = l.Category[id]
	}
	return u
}

// PersonStatus is one person's line in the status file.
type PersonStatus struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Profile   string   `json:"profile"`
	State     string   `json:"state"`
	Rule      string   `json:"rule,omitempty"`
	Focus     []string `json:"focus,omitempty"`
	Exhausted []string `json:"exhausted,omitempty"`
	UsedToday string   `json:"used_today"`
	Limit     string   `json:"limit,omitempty"`
	Next      string   `json:"next_change,omitempty"`
}

// Status describes the persons for the status file.
func (k *Keeper) Status() []PersonStatus {
	var out []PersonStatus
	for _, ps := range k.states {
		st := PersonStatus{ID: ps.ID, Name: ps.Name, Profile: ps.Profile, State: "allowed", Rule: ps.Rule}
		if ps.Stopped != policy.ReasonNone {
			st.State = ps.Stopped.String()
		}
		for _, id := range ps.Focus.IDs() {
			st.Focus = append(st.Focus, id.String())
		}
		if ps.Exhausted.Total {
			st.Exhausted = append(st.Exhausted, "total")
		}
		for _, id := range ps.Exhausted.Categories.IDs() {
			st.Exhausted = append(st.Exhausted, id.String())
		}
		total, _ := k.meter.Used(ps.ID)
		st.UsedToday = total.String()
		if ps.Limits.HasDaily {
			st.Limit = (ps.Limits.Daily + ps.Bonus).String()
		}
		if !ps.Next.IsZero() {
			st.Next = ps.Next.Format(time.RFC3339)
		}
		out = append(out, st)
	}
	return out
}

// countBlocked adds the blocked attempts since the last tick to the
// activity history, by person and local day (names only when the household
// keeps them). More than activity.MaxBlocked attempts in one second lose the oldest.
func (k *Keeper) countBlocked(snap *policy.Snapshot, cfg *config.Config) {
	entries, seq := k.c.Blocked.Since(k.blockedSeq)
	k.blockedSeq = seq
	loc := k.c.Clock.Zone()
	for _, e := range entries {
		k.c.History.AddBlocked(e.At.In(loc).Format(time.DateOnly), snap.PersonOf(e.MAC), e.Category,
			e.Name(), cfg.HistoryDomains)
	}
}

// categoryName spells a category for the log; "" for none.
func categoryName(id category.ID) string {
	if id == 0 {
		return ""
	}
	return id.String()
}
