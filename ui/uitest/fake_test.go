package uitest

import (
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeinternet/cpe/ui"
)

// monday4pm is a school day in Ali's homework time, before bedtime.
var monday4pm = time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC)

func state(t *testing.T, f *Fake, now time.Time, id string) ui.Person {
	t.Helper()
	for _, p := range f.Overview(now).People {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("no person %q", id)
	return ui.Person{}
}

func TestStates(t *testing.T) {
	f := NewFake(monday4pm)
	for _, tc := range []struct {
		name string
		at   time.Time
		id   string
		want ui.State
		rule string
		next time.Time
	}{
		{"afternoon", monday4pm, "ali", ui.StateOpen, "", time.Date(2026, 3, 2, 21, 0, 0, 0, time.UTC)},
		{"bedtime", monday4pm.Add(6 * time.Hour), "ali", ui.StateBedtime, "school_nights", time.Date(2026, 3, 3, 7, 0, 0, 0, time.UTC)},
		{"teen has no bedtime", monday4pm.Add(6 * time.Hour), "leyla", ui.StateOpen, "", time.Time{}},
		{"friday night is no school night", time.Date(2026, 3, 6, 23, 0, 0, 0, time.UTC), "ali", ui.StateOpen, "", time.Date(2026, 3, 8, 21, 0, 0, 0, time.UTC)},
	} {
		p := state(t, f, tc.at, tc.id)
		if p.State != tc.want || p.Rule != tc.rule || !p.Next.Equal(tc.next) {
			t.Errorf("%s: %s %q next %v, want %s %q next %v", tc.name, p.State, p.Rule, p.Next, tc.want, tc.rule, tc.next)
		}
	}
	f.SetUsed("ali", 2*time.Hour)
	if p := state(t, f, monday4pm, "ali"); p.State != ui.StateTimeLimit || p.Limit != 2*time.Hour {
		t.Errorf("used up: %+v", p)
	}
}

func TestUpdateRefusals(t *testing.T) {
	f := NewFake(monday4pm)
	f.SetClock(func() time.Time { return monday4pm })
	child := f.Household().Profiles[1]
	noMalware := child
	noMalware.BlockCategory = []string{"adult", "gambling"}
	noGambling := child
	noGambling.BlockCategory = []string{"adult", "malware"}
	for _, tc := range []struct {
		name  string
		u     ui.Update
		field string
		msg   string
	}{
		{"unknown profile", ui.Update{Person: &ui.PersonConfig{Name: "Zara", Profile: "nope"}}, "profile", "unknown profile"},
		{"name over 64 characters", ui.Update{Person: &ui.PersonConfig{Name: strings.Repeat("Ə", 65), Profile: "child"}}, "name", "longer than 64 characters"},
		{"ISP-blocked domain", ui.Update{Person: &ui.PersonConfig{ID: "ali", Name: "Ali", Profile: "child",
			Allow: []string{"www.casino-royal.example"}}}, "allow", "blocked by the ISP baseline"},
		{"multicast MAC", ui.Update{Device: &ui.DeviceConfig{MAC: "01:00:5e:00:00:01", Name: "x"}}, "mac", "not the MAC address of a device"},
		{"locked for all", ui.Update{Profile: &noMalware}, "block_category", "malware is locked by the ISP baseline (isp)"},
		{"locked for children", ui.Update{Profile: &noGambling}, "block_category", "gambling is locked"},
		{"bad window", ui.Update{Schedule: &ui.ScheduleConfig{Name: "x", Kind: "bedtime",
			Windows: []ui.Window{{Days: []string{"mon"}, Start: "25:00", End: "07:00"}}}}, "windows", "HH:MM"},
		{"bad day", ui.Update{Schedule: &ui.ScheduleConfig{Name: "x", Kind: "bedtime",
			Windows: []ui.Window{{Days: []string{"monday"}, Start: "21:00", End: "07:00"}}}}, "windows", "not a day"},
		{"negative extra time", ui.Update{Extra: &ui.Extra{Person: "ali", Minutes: -1}}, "minutes", "negative"},
	} {
		before := f.Household()
		err := f.Update(tc.u)
		fe, ok := errors.AsType[*ui.FieldError](err)
		if !ok || fe.Field != tc.field || !strings.Contains(fe.Msg, tc.msg) {
			t.Errorf("%s: %v, want %s: …%s…", tc.name, err, tc.field, tc.msg)
		}
		if len(f.Household().People) != len(before.People) || len(f.Household().Schedules) != len(before.Schedules) {
			t.Errorf("%s: a refused update changed the household", tc.name)
		}
	}
	if err := f.Update(ui.Update{DeletePerson: "nobody"}); !errors.Is(err, ui.ErrNotFound) {
		t.Errorf("delete unknown: %v", err)
	}
}

func TestUpdatesChangeState(t *testing.T) {
	f := NewFake(monday4pm)
	f.SetClock(func() time.Time { return monday4pm })
	var id string
	// Ids are made as the router makes them: ASCII letters and digits.
	if err := f.Update(ui.Update{Person: &ui.PersonConfig{Name: "Zəhra", Profile: "preteen"}, Created: &id}); err != nil || id != "zhra" {
		t.Fatalf("create: %q %v", id, err)
	}
	if err := f.Update(ui.Update{Pause: &ui.Pause{Person: "ali", Forever: true}}); err != nil {
		t.Fatal(err)
	}
	if p := state(t, f, monday4pm, "ali"); p.State != ui.StatePaused || !p.Next.IsZero() {
		t.Errorf("paused forever: %+v", p)
	}
	f.Update(ui.Update{Pause: &ui.Pause{Person: "ali", Resume: true}})
	f.Update(ui.Update{Extra: &ui.Extra{Person: "ali", Minutes: 30}})
	if p := state(t, f, monday4pm, "ali"); p.State != ui.StateOpen || p.Limit != 150*time.Minute {
		t.Errorf("extra: %+v", p)
	}
	if err := f.Update(ui.Update{DeleteSchedule: "school_nights"}); err != nil {
		t.Fatal(err)
	}
	if p := state(t, f, monday4pm.Add(6*time.Hour), "ali"); p.State != ui.StateOpen {
		t.Errorf("bedtime after deleting its schedule: %+v", p)
	}
	if err := f.Update(ui.Update{ForgetDevice: MACAliTablet}); err != nil {
		t.Fatal(err)
	}
	d, _ := f.DeviceFor(netip.MustParseAddr("192.168.1.20"))
	if d.Person != "@unassigned" || d.Name != "ali-tab" {
		t.Errorf("a forgotten device: %+v", d)
	}
}

func TestAskAndAnswer(t *testing.T) {
	f := NewFake(monday4pm)
	f.SetUsed("ali", 2*time.Hour)
	tab, ok := f.DeviceFor(netip.MustParseAddr("127.0.0.1"))
	if !ok || tab.MAC != MACAliTablet {
		t.Fatalf("loopback is %+v %v, want Ali's tablet", tab, ok)
	}
	if _, err := f.Ask(tab, ui.AskTime, "", monday4pm); !errors.Is(err, ui.ErrRateLimited) {
		t.Errorf("a second pending time request: %v", err)
	}
	r, err := f.Answer(PendingRequest, true, ui.Grant{Minutes: 30}, monday4pm)
	if err != nil || r.State != "approved" || !r.Until.Equal(monday4pm.Add(30*time.Minute)) {
		t.Fatalf("approve: %+v %v", r, err)
	}
	if p := state(t, f, monday4pm, "ali"); p.State != ui.StateOpen || p.Limit != 150*time.Minute {
		t.Errorf("after approval: %+v", p)
	}
	if _, err := f.Answer(PendingRequest, false, ui.Grant{}, monday4pm); !errors.Is(err, ui.ErrAnswered) {
		t.Errorf("answer twice: %v", err)
	}
	if _, err := f.Answer("r99", false, ui.Grant{}, monday4pm); !errors.Is(err, ui.ErrNotFound) {
		t.Errorf("unknown request: %v", err)
	}
	if _, err := f.Ask(tab, ui.AskUnblock, "not a domain", monday4pm); err == nil {
		t.Error("a bad name was accepted")
	}
	// At most 5 an hour: r1 (seeded, 7 min ago) and four more.
	names := []string{"a.example", "b.example", "c.example", "d.example"}
	for i, n := range names {
		r, err := f.Ask(tab, ui.AskUnblock, n, monday4pm.Add(time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatalf("ask %d: %v", i, err)
		}
		f.Answer(r.ID, false, ui.Grant{}, monday4pm)
	}
	_, err = f.Ask(tab, ui.AskUnblock, "e.example", monday4pm.Add(5*time.Minute))
	rl, ok := errors.AsType[*ui.RateLimitError](err)
	if !ok || rl.RetryAfter != 48*time.Minute {
		t.Errorf("sixth in an hour: %v (%+v)", err, rl)
	}
	if got := f.Requests(); got[0].Name != "d.example" {
		t.Errorf("requests not newest first: %+v", got[0])
	}
}

func TestActivity(t *testing.T) {
	f := NewFake(monday4pm)
	days := f.Activity(monday4pm, 7)
	if len(days) != 7 || days[6].Date != "2026-03-02" || days[0].Date != "2026-02-24" {
		t.Fatalf("days %d, %s … %s", len(days), days[0].Date, days[len(days)-1].Date)
	}
	for _, p := range days[6].People {
		if p.Used != f.Overview(monday4pm).People[0].Used && p.Person == "ali" {
			t.Errorf("today's usage %v differs from the overview", p.Used)
		}
		var sum time.Duration
		for _, d := range p.Categories {
			sum += d
		}
		if sum != p.Used {
			t.Errorf("%s: categories sum to %v, used %v", p.Person, sum, p.Used)
		}
		if len(p.Categories) < 2 {
			t.Errorf("%s: today's time is in %v only", p.Person, p.Categories)
		}
	}
	if again := f.Activity(monday4pm, 7); again[2].People[0].Used != days[2].People[0].Used {
		t.Error("a past day changed")
	}
}

func TestConcurrent(t *testing.T) {
	f := NewFake(monday4pm)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 50 {
				f.Overview(monday4pm)
				f.Update(ui.Update{Extra: &ui.Extra{Person: "leyla", Minutes: 1}})
				f.Household()
				f.Activity(monday4pm, 14)
				f.Ask(ui.Device{MAC: MACSwitch}, ui.AskTime, "", monday4pm.Add(time.Duration(i)*time.Hour))
			}
		})
	}
	wg.Wait()
}
