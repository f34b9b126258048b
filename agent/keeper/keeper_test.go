package keeper

import (
	"io"
	"log/slog"
	"net/netip"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/safeinternet/cpe/agent/activity"
	"github.com/safeinternet/cpe/agent/config"
	"github.com/safeinternet/cpe/agent/inventory"
	"github.com/safeinternet/cpe/agent/policy"
	"github.com/safeinternet/cpe/nfq/conntrack"
)

const household = `
config agent 'main'
	list lan 'br-lan'

config schedule 'night'
	option kind 'bedtime'
	list window 'mon-sun 21:00-07:00'

config person 'ali'
	option name 'Ali'
	option profile 'child'
	list schedule 'night'
	option daily_limit '2'

config device 'tab'
	option mac '02:00:00:00:00:0a'
	option person 'ali'
`

var (
	macTab  = [6]byte{2, 0, 0, 0, 0, 0x0a}
	addrTab = netip.MustParseAddr("192.168.50.10")
)

// stoppedSet is the kernel's set, as written.
type stoppedSet struct{ writes [][][6]byte }

func (s *stoppedSet) SetStopped(macs [][6]byte) error {
	s.writes = append(s.writes, slices.Clone(macs))
	return nil
}

func (s *stoppedSet) now() [][6]byte { return s.writes[len(s.writes)-1] }

// flows is conntrack: one flow of the tablet whose bytes grow by step at
// every dump; cuts are recorded.
type flows struct {
	bytes, step uint64
	cuts        [][]netip.Addr
}

func (f *flows) Dump(fn func(*conntrack.Flow)) error {
	f.bytes += f.step
	fn(&conntrack.Flow{ID: 1, Proto: 6, Src: addrTab, SrcPort: 40000, Dst: netip.MustParseAddr("203.0.113.5"), DstPort: 443,
		OrigBytes: f.bytes})
	return nil
}

func (f *flows) DeleteFrom(src []netip.Addr, keep func(*conntrack.Flow) bool) (int, error) {
	f.cuts = append(f.cuts, src)
	return 1, nil
}

type synced bool

func (s synced) Synced(time.Time) bool { return bool(s) }

func newKeeper(t *testing.T, step uint64) (*Keeper, *stoppedSet, *flows) {
	t.Helper()
	cfg, err := config.LoadBytes("safeinternet", []byte(household))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := policy.Compile(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	devices := inventory.New()
	devices.Saw(addrTab, macTab)
	set, ct := &stoppedSet{}, &flows{step: step}
	k := New(Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), System: fstest.MapFS{}, Sync: synced(true),
		Config: func() *config.Config { return cfg }, Snapshot: func() *policy.Snapshot { return snap },
		Clock: NewClock(), Stopped: set, Flows: ct, Devices: devices, Blocked: &activity.Log{}, History: &activity.History{}}, cfg)
	return k, set, ct
}

func TestKeeperBedtime(t *testing.T) {
	k, set, ct := newKeeper(t, 0)
	evening := time.Date(2026, 12, 7, 20, 59, 0, 0, time.UTC)
	k.Tick(evening)
	if got := set.now(); len(got) != 0 || k.States()[0].Stopped != policy.ReasonNone {
		t.Fatalf("before bedtime: stopped set %x, state %v", got, k.States()[0].Stopped)
	}
	k.Tick(evening.Add(time.Minute))
	if got := set.now(); len(got) != 1 || got[0] != macTab {
		t.Fatalf("at bedtime the stopped set is %x, want the tablet", got)
	}
	if len(ct.cuts) != 1 || len(ct.cuts[0]) != 1 || ct.cuts[0][0] != addrTab {
		t.Errorf("at bedtime the tablet's connections were cut %v times: %v", len(ct.cuts), ct.cuts)
	}
	if st := k.Status(); len(st) == 0 || st[0].ID != "ali" || st[0].State != "bedtime" {
		t.Errorf("status %+v", st)
	}
	writes := len(set.writes)
	k.Tick(evening.Add(2 * time.Minute))
	if len(set.writes) != writes || len(ct.cuts) != 1 {
		t.Errorf("an unchanged state wrote the set again (%d writes) or cut again (%d cuts)", len(set.writes)-writes, len(ct.cuts))
	}
	k.Tick(time.Date(2026, 12, 8, 7, 0, 0, 0, time.UTC))
	if got := set.now(); len(got) != 0 {
		t.Errorf("in the morning the stopped set is %x", got)
	}
}

func TestKeeperDailyLimit(t *testing.T) {
	k, set, _ := newKeeper(t, 1<<20) // a megabyte a minute: every minute counts
	noon := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for i := range 5 {
		k.Tick(noon.Add(time.Duration(i) * time.Minute))
	}
	if used := k.Used("ali"); used < 2*time.Minute {
		t.Fatalf("ali used %v after 4 busy minutes", used)
	}
	if k.c.Clock.Usage() == nil {
		t.Fatal("no used-up limit published for decisions")
	}
	if got := set.now(); len(got) != 1 || got[0] != macTab || k.States()[0].Stopped != policy.ReasonTimeLimit {
		t.Errorf("the daily limit is used up: stopped set %x, state %v", got, k.States()[0].Stopped)
	}
	if st := k.Status(); st[0].State != "time_limit" {
		t.Errorf("status %+v", st[0])
	}
}

func TestKeeperUnsynced(t *testing.T) {
	k, _, _ := newKeeper(t, 0)
	k.sync = synced(false)
	k.Tick(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC))
	if !k.c.Clock.Unsynced() {
		t.Error("an unsynced clock is not published")
	}
	// Restricted profiles follow their strictest schedule state.
	if k.States()[0].Stopped == policy.ReasonNone {
		t.Errorf("ali is open at noon on an untrusted clock")
	}
}
