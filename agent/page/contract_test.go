package page_test

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/safeinternet/cpe/agent/activity"
	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/config"
	"github.com/safeinternet/cpe/agent/inventory"
	"github.com/safeinternet/cpe/agent/page"
	"github.com/safeinternet/cpe/agent/policy"
	"github.com/safeinternet/cpe/ui"
	"github.com/safeinternet/cpe/ui/uitest"
)

// household is an implementation under the contract.
type household interface {
	ui.Agent
	ui.Editor
}

// contractFile is the fake's seed household (uitest.NewFake) as a UCI
// file: its people, configured devices, schedules and ISP baseline, and
// the profiles' schedules.
const contractFile = `config agent 'main'
	option dns_block 'page'
	option fail_mode 'closed'

config isp 'isp'
	list block_category 'malware'
	list child_block_category 'adult'
	list child_block_category 'gambling'
	list block 'casino-royal.example'
	option safesearch '1'
	option youtube 'moderate'

config schedule 'school_nights'
	option name 'School nights'
	option kind 'bedtime'
	list window 'sun-thu 21:00-07:00'

config schedule 'homework'
	option name 'Homework'
	option kind 'focus'
	list window 'mon-fri 15:00-17:00'
	list block_category 'games'
	list block_category 'social'

config schedule 'weekend_days'
	option name 'Weekend days'
	option kind 'allowed'
	list window 'sat,sun 09:00-22:00'

config profile 'under6'
	list schedule 'school_nights'
	option daily_limit '60'

config profile 'child'
	list schedule 'school_nights'

config profile 'preteen'
	list schedule 'school_nights'

config profile 'unassigned'
	list schedule 'school_nights'

config person 'ali'
	option name 'Ali'
	option profile 'child'
	list schedule 'homework'
	list allow 'khanacademy.org'
	list block 'roblox.com'
	option daily_limit '120'
	list category_limit 'games 60'

config person 'leyla'
	option name 'Leyla'
	option profile 'teen'
	option daily_limit '180'
	list block_category 'dating'

config person 'mom'
	option name 'Mom'
	option profile 'adult'

config device 'dev_02000000000a'
	option mac '02:00:00:00:00:0a'
	option name 'Ali'\''s tablet'
	option kind 'tablet'
	option person 'ali'

config device 'dev_8cf5a34e2107'
	option mac '8c:f5:a3:4e:21:07'
	option name 'Leyla'\''s phone'
	option kind 'phone'
	option person 'leyla'

config device 'dev_3c22fb901c5e'
	option mac '3c:22:fb:90:1c:5e'
	option name 'Mom'\''s laptop'
	option kind 'laptop'
	option person 'mom'
`

// fakeHousehold is the fake at now, its clock stopped.
func fakeHousehold(t *testing.T, now time.Time) household {
	f := uitest.NewFake(now)
	f.SetClock(func() time.Time { return now })
	return f
}

// pageHousehold is the page's adapter on contractFile in a temporary
// folder, reloaded from the file after every change, at now.
func pageHousehold(t *testing.T, now time.Time) household {
	path := filepath.Join(t.TempDir(), config.Package)
	if err := os.WriteFile(path, []byte(contractFile), 0o600); err != nil {
		t.Fatal(err)
	}
	var cfg atomic.Pointer[config.Config]
	var snap atomic.Pointer[policy.Snapshot]
	reload := func() error {
		c, err := config.LoadFile(path)
		if err != nil {
			return err
		}
		s, err := policy.Compile(c, nil)
		if err != nil {
			return err
		}
		cfg.Store(c)
		snap.Store(s)
		return nil
	}
	if err := reload(); err != nil {
		t.Fatal(err)
	}
	return page.New(page.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), ConfigPath: path,
		System: fstest.MapFS{}, Config: cfg.Load, Snapshot: snap.Load, Lists: func() *category.Matcher { return nil },
		Clock: fixedZone{now.Location()}, People: nobody{}, Devices: inventory.New(), Blocked: &activity.Log{},
		History: &activity.History{}, Reload: reload, Now: func() time.Time { return now }})
}

// fixedZone is a synced clock in one zone.
type fixedZone struct{ loc *time.Location }

func (z fixedZone) Zone() *time.Location { return z.loc }
func (fixedZone) Unsynced() bool         { return false }

// nobody is a keeper that has evaluated nobody yet.
type nobody struct{}

func (nobody) States() []policy.PersonState { return nil }
func (nobody) Used(string) time.Duration    { return 0 }

// refusal names the refusal err is: its field, "not found", or "" for
// none.
func refusal(err error) string {
	var fe *ui.FieldError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ui.ErrNotFound):
		return "not found"
	case errors.As(err, &fe):
		return fe.Field
	}
	return "error " + err.Error()
}

// TestContract runs the same changes against the in-memory household the
// page is developed with (uitest.Fake) and against the page's adapter on a
// UCI file (page.Agent), and wants the same visible result from both: what
// Household and Settings show after a change that is accepted, the field
// (or ErrNotFound) of a change that is refused, and a household that a
// refusal left as it was. Where they disagree, the configuration's
// validation is the truth of what is accepted, ui/API.md of the shapes.
// Not compared: the order of category lists (the router shows its own,
// the fake keeps the given one) and Overview, which the router takes from
// the keeper.
func TestContract(t *testing.T) {
	// A Monday afternoon in Baku.
	now := time.Date(2026, 3, 2, 16, 0, 0, 0, time.FixedZone("+04", 4*3600))
	impls := []struct {
		name string
		make func(*testing.T, time.Time) household
	}{{"fake", fakeHousehold}, {"page", pageHousehold}}
	for _, sc := range scenarios(now) {
		for _, impl := range impls {
			t.Run(sc.name+"/"+impl.name, func(t *testing.T) {
				h := impl.make(t, now)
				if sc.setup != nil {
					if err := sc.setup(h, now); err != nil {
						t.Fatalf("setup: %v", err)
					}
				}
				before := h.Household()
				err := sc.do(h, now)
				if got := refusal(err); got != sc.refused {
					t.Fatalf("refused %q (%v), want %q", got, err, sc.refused)
				}
				after := h.Household()
				if sc.refused != "" {
					if !reflect.DeepEqual(after, before) {
						t.Errorf("a refused change changed the household:\n%+v\n%+v", before, after)
					}
					return
				}
				sc.check(t, after, h.Settings(now))
			})
		}
	}
}
