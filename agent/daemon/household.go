package daemon

import (
	"bytes"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"

	"github.com/safeinternet/cpe/agent/atomicfile"
	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/clock"
	"github.com/safeinternet/cpe/agent/config"
	"github.com/safeinternet/cpe/agent/policy"
	"github.com/safeinternet/cpe/agent/usage"
	"github.com/safeinternet/cpe/nfq/conntrack"
	"github.com/safeinternet/cpe/nfq/ctmark"
)

// timeState is what every decision needs of the household's time: the
// zone, whether the clock can be trusted, and the day's used-up limits.
// Each field is atomic; the keeper writes them, the queues read them.
type timeState struct {
	loc      atomic.Pointer[time.Location]
	unsynced atomic.Bool
	usage    atomic.Pointer[policy.Usage]
}

func newTimeState() *timeState {
	t := &timeState{}
	t.loc.Store(time.UTC)
	return t
}

// Where the keeper keeps what must survive a reboot, and how often it
// writes there (flash wears out).
const (
	usageFile  = "usage.json"
	saveEvery  = 10 * time.Minute
	maxFlowsCT = 32768 // flows whose byte counters are remembered between periods
)

// keeper runs the household's time rules once a second: the clock's state,
// the persons' states (pause, bedtime, allowed windows, used-up time), the
// kernel's set of stopped devices, the cutting of their connections, and
// the accounting of daily time from conntrack's byte counters. It runs on
// the daemon's main goroutine only; its fields need no lock.
type keeper struct {
	d       *Daemon
	log     *slog.Logger
	sync    *clock.Sync
	jumps   *clock.JumpDetector
	meter   *usage.Meter
	tracker *usage.Tracker
	// ct is the conntrack connection; nil when it could not be opened (time
	// is then not counted and connections not cut: logged at start).
	ct *conntrack.Conn
	// persist is the folder for usage.json; "" keeps nothing.
	persist string
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
	// blockedSeq is how many blocked attempts the activity has counted.
	blockedSeq uint64
}

// newKeeper prepares the keeper: the zone from the system configuration,
// the NTP marker, conntrack, and the usage counters saved before.
func newKeeper(d *Daemon, cfg *config.Config) *keeper {
	k := &keeper{d: d, log: d.log,
		sync:    clock.NewSync(os.DirFS("/"), d.opts.NTPMarker, d.opts.BuildTime),
		jumps:   clock.NewJumpDetector(2 * time.Second),
		meter:   usage.NewMeter(cfg.Period, cfg.Threshold),
		tracker: usage.NewTracker(maxFlowsCT),
		persist: d.opts.PersistDir,
		stopped: map[string]policy.Reason{},
		blocked: map[string]category.Set{},
	}
	k.loadZone()
	ct, err := conntrack.Open()
	if err != nil {
		k.log.Error("conntrack: daily time is not counted and connections are not cut", "err", err)
	}
	k.ct = ct
	if k.persist != "" {
		k.load()
	}
	return k
}

// reconfigure follows a reloaded configuration: a new accounting period or
// threshold gets a new meter that starts from the old one's counters.
func (k *keeper) reconfigure(old, cfg *config.Config) {
	if old.HistoryDomains && !cfg.HistoryDomains {
		k.d.activity.forgetDomains()
	}
	if cfg.Period == old.Period && cfg.Threshold == old.Threshold {
		return
	}
	m := usage.NewMeter(cfg.Period, cfg.Threshold)
	var b bytes.Buffer
	now := time.Now().In(k.d.shared.time.loc.Load())
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
func (k *keeper) loadZone() {
	root := k.d.opts.SystemRoot
	if root == "" {
		root = "/"
	}
	loc, src, err := clock.LoadZone(os.DirFS(root))
	if err != nil {
		k.log.Warn("time zone", "err", err)
	}
	k.d.shared.time.loc.Store(loc)
	k.log.Info("time zone", "zone", loc.String(), "source", src.String())
}

// load reads the usage counters saved before a restart or a reboot.
func (k *keeper) load() {
	f, err := os.Open(filepath.Join(k.persist, usageFile))
	if os.IsNotExist(err) {
		return
	}
	if err != nil {
		k.log.Warn("usage counters not read", "err", err)
		return
	}
	defer f.Close()
	if err := k.meter.Load(f, time.Now().In(k.d.shared.time.loc.Load())); err != nil {
		k.log.Warn("usage counters not read", "err", setAside(f.Name(), err))
	}
}

// save writes the usage counters atomically.
func (k *keeper) save(now time.Time) {
	if k.persist == "" {
		return
	}
	var b bytes.Buffer
	if err := k.meter.Save(&b); err != nil {
		k.log.Warn("usage counters not saved", "err", err)
		return
	}
	if err := os.MkdirAll(k.persist, 0o755); err != nil {
		k.log.Warn("usage counters not saved", "err", err)
		return
	}
	if err := atomicfile.WriteFile(filepath.Join(k.persist, usageFile), b.Bytes(), 0o644); err != nil {
		k.log.Warn("usage counters not saved", "err", err)
		return
	}
	if err := k.d.activity.save(k.persist); err != nil {
		k.log.Warn("activity history not saved", "err", err)
	}
	k.lastSave = now
}

// close saves the counters and releases conntrack.
func (k *keeper) close() {
	if k.meter.Dirty() {
		k.save(time.Now())
	} else if k.persist != "" {
		if err := k.d.activity.save(k.persist); err != nil {
			k.log.Warn("activity history not saved", "err", err)
		}
	}
	if k.ct != nil {
		k.ct.Close()
	}
}

// tick runs the time rules at now (from time.Now: with its monotonic
// reading).
func (k *keeper) tick(now time.Time) {
	ts := k.d.shared.time
	if jumped, delta := k.jumps.Observe(now); jumped {
		k.log.Warn("clock jumped: schedules re-evaluated", "by", delta.String())
		k.nextPeriod = time.Time{}
	}
	unsynced := !k.sync.Synced(now)
	if ts.unsynced.Swap(unsynced) != unsynced {
		k.log.Info("clock", "synced", !unsynced)
	}
	local := now.In(ts.loc.Load())
	snap := k.d.rules.Load().snap
	cfg := k.d.cfg.Load()
	if k.nextPeriod.IsZero() || !now.Before(k.nextPeriod) {
		k.account(local, snap, cfg)
		k.nextPeriod = now.Add(cfg.Period)
	}
	k.countBlocked(snap, cfg)
	k.states = snap.People(local, unsynced, ts.usage.Load())
	k.apply(k.states, cfg.Layout)
	seen := k.d.shared.neighbours.snapshot()
	people := pagePeople(k.states, func(id string) time.Duration {
		used, _ := k.meter.Used(id)
		return used
	}, func(ps policy.PersonState) []string {
		macs := ps.MACs
		if ps.ID == policy.Unassigned {
			macs = k.unknownMACs()
		}
		var names []string
		for _, mac := range macs {
			if s, ok := seen[mac]; ok && now.Sub(s.last) < onlineWithin {
				names = append(names, deviceName(cfg, mac))
			}
		}
		return names
	})
	k.d.page.Store(&people)
}

// apply makes the kernel follow the persons' states: the stopped set holds
// the devices of every stopped person, and a person who has just been
// stopped, or whose categories have just been blocked, loses their running
// connections (but those of allowlisted names).
func (k *keeper) apply(states []policy.PersonState, l ctmark.Layout) {
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
	if err := k.d.table.SetStopped(macs); err != nil {
		k.log.Error("stopped devices not written to the kernel", "err", err)
		return
	}
	k.macs, k.wroteSet = macs, true
}

// unknownMACs returns the MAC addresses seen sending that no device section
// names.
func (k *keeper) unknownMACs() [][6]byte {
	known := map[[6]byte]bool{}
	for _, d := range k.d.cfg.Load().Devices {
		known[d.MAC] = true
	}
	var out [][6]byte
	for _, mac := range k.d.shared.neighbours.macs() {
		if !known[mac] {
			out = append(out, mac)
		}
	}
	return out
}

// cut deletes the conntrack entries of the devices' addresses, but those
// keep returns true for: their next packets meet the table afresh.
func (k *keeper) cut(macs [][6]byte, keep func(*conntrack.Flow) bool) {
	if k.ct == nil {
		return
	}
	addrs := k.d.shared.neighbours.addrsOf(macs)
	if len(addrs) == 0 {
		return
	}
	n, err := k.ct.DeleteFrom(addrs, keep)
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
func (k *keeper) account(now time.Time, snap *policy.Snapshot, cfg *config.Config) {
	if k.ct != nil {
		k.tracker.Begin()
		err := k.ct.Dump(func(f *conntrack.Flow) {
			mac, ok := k.d.shared.neighbours.mac(f.Src)
			if !ok {
				return
			}
			key := usage.MakeFlowKey(f.ID, f.Proto, netip.AddrPortFrom(f.Src, f.SrcPort), f.DstPort)
			delta := k.tracker.Observe(key, f.OrigBytes+f.ReplyBytes)
			if delta == 0 {
				return
			}
			k.d.shared.neighbours.touch(mac, now)
			k.meter.Add(snap.PersonOf(mac), uint8(cfg.Layout.Category(f.Mark)), delta)
		})
		k.tracker.End()
		if err != nil {
			k.log.Warn("conntrack dump", "err", err)
		}
	}
	limits := map[string]policy.PersonState{}
	for _, ps := range snap.People(now, k.d.shared.time.unsynced.Load(), nil) {
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
	k.d.shared.time.usage.Store(policy.NewUsage(used))
	date := now.Format(time.DateOnly)
	for id := range limits {
		total, perCat := k.meter.Used(id)
		if total > 0 {
			k.d.activity.setUsed(date, id, total, perCat[:])
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

// status describes the persons for the status file.
func (k *keeper) status() []PersonStatus {
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

// macs returns every MAC address seen sending.
func (n *neighbours) macs() [][6]byte {
	n.mu.Lock()
	defer n.mu.Unlock()
	seen := make(map[[6]byte]bool, len(n.m))
	out := make([][6]byte, 0, len(n.m))
	for _, mac := range n.m {
		if !seen[mac] {
			seen[mac] = true
			out = append(out, mac)
		}
	}
	return out
}

// addrsOf returns the addresses last seen sending from any of macs.
func (n *neighbours) addrsOf(macs [][6]byte) []netip.Addr {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []netip.Addr
	for addr, mac := range n.m {
		if slices.Contains(macs, mac) {
			out = append(out, addr)
		}
	}
	return out
}

// countBlocked adds the blocked attempts since the last tick to the
// activity history, by person and local day (names only when the household
// keeps them). More than maxBlocked attempts in one second lose the oldest.
func (k *keeper) countBlocked(snap *policy.Snapshot, cfg *config.Config) {
	entries, seq := k.d.shared.blocked.since(k.blockedSeq)
	k.blockedSeq = seq
	loc := k.d.shared.time.loc.Load()
	for _, e := range entries {
		k.d.activity.addBlocked(e.at.In(loc).Format(time.DateOnly), snap.PersonOf(e.mac), e.cat,
			string(e.name[:e.nlen]), cfg.HistoryDomains)
	}
}
