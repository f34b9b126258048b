package usage

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
	_ "time/tzdata"
)

const (
	minute    = time.Minute
	threshold = 1000 // bytes a period needs to count, in these tests
	layout    = "2006-01-02 15:04:05 -0700"
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// at reads an instant in layout and returns it in loc.
func at(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	u, err := time.Parse(layout, s)
	if err != nil {
		t.Fatal(err)
	}
	return u.In(loc)
}

type add struct {
	person   string
	category uint8
	bytes    uint64
}

// step is n consecutive periods of P = 1 minute, each with the same
// traffic; want is the events of the last one (the others must have none),
// used and cat3 anna's counters after it.
type step struct {
	n     int // default 1
	add   []add
	bonus time.Duration // anna's bonus from this step on
	limit *Limits       // anna's limits from this step on
	want  []Event
	used  time.Duration
	cat3  time.Duration
}

func busy(cat uint8) []add { return []add{{"anna", cat, 5000}} }

func TestMeter(t *testing.T) {
	tenMinutes := &Limits{Total: 10 * minute}
	for _, tc := range []struct {
		name  string
		start string // the first Close
		limit Limits // anna's, until a step changes it
		steps []step
	}{
		{"trickle below threshold not counted", "", Limits{}, []step{
			{n: 3, add: []add{{"anna", 0, threshold - 1}}},
		}},
		{"a period over the threshold counts", "", Limits{}, []step{
			{add: []add{{"anna", 0, threshold}}, used: minute},
			{add: busy(0), used: 2 * minute},
			{used: 2 * minute}, // idle
		}},
		{"two devices of one person count once", "", Limits{}, []step{
			{add: []add{{"anna", 0, 5000}, {"anna", 0, 7000}}, used: minute},
			{add: []add{{"anna", 0, 600}, {"anna", 0, 600}}, used: 2 * minute}, // together over the threshold
		}},
		{"per category with its own bytes", "", Limits{}, []step{
			{add: []add{{"anna", 3, 1500}, {"anna", 4, 500}}, used: minute, cat3: minute},
			{add: []add{{"anna", 4, 900}, {"anna", 3, 200}}, used: 2 * minute, cat3: minute}, // total counts, neither category
			{add: []add{{"anna", 0, 2000}, {"anna", 200, 2000}}, used: 3 * minute, cat3: minute},
		}},
		{"warning once five minutes before, then exhausted once", "", Limits{Total: 10 * minute}, []step{
			{n: 4, add: busy(0), used: 4 * minute},
			{add: busy(0), want: []Event{{"anna", Warning, 0, 5 * minute}}, used: 5 * minute},
			{n: 4, add: busy(0), used: 9 * minute},
			{add: busy(0), want: []Event{{"anna", Exhausted, 0, 0}}, used: 10 * minute},
			{n: 3, add: busy(0), used: 13 * minute},
		}},
		{"category exhausted, total not", "", Limits{Total: time.Hour, PerCategory: [32]time.Duration{3: 2 * minute}}, []step{
			{add: busy(3), want: []Event{{"anna", Warning, 3, minute}}, used: minute, cat3: minute},
			{add: busy(3), want: []Event{{"anna", Exhausted, 3, 0}}, used: 2 * minute, cat3: 2 * minute},
			{add: busy(5), used: 3 * minute, cat3: 2 * minute},
		}},
		{"bonus restores and re-arms the warning", "", Limits{Total: 3 * minute}, []step{
			{add: busy(0), want: []Event{{"anna", Warning, 0, 2 * minute}}, used: minute},
			{n: 2, add: busy(0), want: []Event{{"anna", Exhausted, 0, 0}}, used: 3 * minute},
			{bonus: 10 * minute, want: []Event{{"anna", Restored, 0, 10 * minute}}, used: 3 * minute},
			{n: 5, add: busy(0), want: []Event{{"anna", Warning, 0, 5 * minute}}, used: 8 * minute},
			{n: 5, add: busy(0), want: []Event{{"anna", Exhausted, 0, 0}}, used: 13 * minute},
		}},
		{"small bonus: restored stands for the warning", "", Limits{Total: 2 * minute}, []step{
			{add: busy(0), want: []Event{{"anna", Warning, 0, minute}}, used: minute},
			{add: busy(0), want: []Event{{"anna", Exhausted, 0, 0}}, used: 2 * minute},
			{bonus: minute, want: []Event{{"anna", Restored, 0, minute}}, used: 2 * minute},
			{add: busy(0), want: []Event{{"anna", Exhausted, 0, 0}}, used: 3 * minute},
		}},
		{"negative bonus takes time away", "", Limits{Total: 10 * minute}, []step{
			{add: busy(0), bonus: -9 * minute, want: []Event{{"anna", Exhausted, 0, 0}}, used: minute},
		}},
		{"limit removed", "", Limits{Total: minute}, []step{
			{add: busy(0), want: []Event{{"anna", Exhausted, 0, 0}}, used: minute},
			{limit: &Limits{}, want: []Event{{"anna", Restored, 0, Unlimited}}, used: minute},
			{limit: tenMinutes, add: busy(0), used: 2 * minute},
		}},
		{"rollover at local midnight restores", "2024-06-03 23:58:30 +0200", Limits{Total: 2 * minute}, []step{
			{add: busy(0), want: []Event{{"anna", Warning, 0, minute}}, used: minute},
			{add: busy(0), want: []Event{{"anna", Exhausted, 0, 0}}, used: 2 * minute}, // 23:59:30
			// 00:00:30: the period began before midnight, is charged to
			// the ending day, which is reset; Restored says 2m is left.
			{add: busy(0), want: []Event{{"anna", Restored, 0, 2 * minute}}, used: 0},
			{add: busy(0), want: []Event{{"anna", Exhausted, 0, 0}}, n: 2, used: 2 * minute},
		}},
		{"rollover: a period ending exactly at midnight is yesterday's", "2024-06-03 23:59:00 +0200", Limits{}, []step{
			{add: busy(0), used: minute},
			{add: busy(0), used: 0}, // 00:00:00
			{add: busy(0), used: minute},
		}},
		// America/Santiago 2024-09-07 24:00 -04 -> 2024-09-08 01:00 -03:
		// midnight does not exist.
		{"rollover when midnight is skipped", "2024-09-07 23:58:30 -0400", Limits{}, []step{
			{add: busy(0), used: minute},
			{add: busy(0), used: 2 * minute}, // 23:59:30 -04
			{add: busy(0), used: 0},          // 01:00:30 -03
			{add: busy(0), used: minute},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loc := zone(t, "Europe/Berlin")
			if tc.name == "rollover when midnight is skipped" {
				loc = zone(t, "America/Santiago")
			}
			now := at(t, loc, "2024-06-03 12:00:00 +0200")
			if tc.start != "" {
				now = at(t, loc, tc.start)
			}
			m := NewMeter(minute, threshold)
			limit, bonus := tc.limit, time.Duration(0)
			limits := func(p string) (Limits, time.Duration) {
				if p == "anna" {
					return limit, bonus
				}
				return Limits{}, 0
			}
			for i, s := range tc.steps {
				if s.bonus != 0 {
					bonus = s.bonus
				}
				if s.limit != nil {
					limit = *s.limit
				}
				for j := range max(s.n, 1) {
					for _, a := range s.add {
						m.Add(a.person, a.category, a.bytes)
					}
					got := m.Close(now, limits)
					var want []Event
					if j == max(s.n, 1)-1 {
						want = s.want
					}
					if !slices.Equal(got, want) {
						t.Fatalf("step %d period %d (%s): events %v, want %v", i, j, now.Format(layout), got, want)
					}
					now = now.Add(minute)
				}
				used, cats := m.Used("anna")
				if used != s.used || cats[3] != s.cat3 {
					t.Fatalf("step %d: used %v, category 3 %v; want %v, %v", i, used, cats[3], s.used, s.cat3)
				}
			}
		})
	}
}

// TestMeterDSTDay counts a whole day of use, every minute, across the
// autumn (25 h) and spring (23 h) changes in Berlin: one rollover a day,
// and the day's length on the clock is what counts.
func TestMeterDSTDay(t *testing.T) {
	loc := zone(t, "Europe/Berlin")
	for _, tc := range []struct {
		day        string // the DST day, from 00:00:30 local
		next       string // the first Close of the day after
		wantMinute int    // periods charged to the day (its first starts 00:00:30, its last 23:58:30)
	}{
		{"2024-10-27 00:00:30 +0200", "2024-10-28 00:00:30 +0100", 25*60 - 1},
		{"2024-03-31 00:00:30 +0100", "2024-04-01 00:00:30 +0200", 23*60 - 1},
	} {
		t.Run(tc.day, func(t *testing.T) {
			m := NewMeter(minute, threshold)
			start, next := at(t, loc, tc.day), at(t, loc, tc.next)
			var last time.Duration
			for now := start.Add(minute); now.Before(next); now = now.Add(minute) {
				m.Add("anna", 0, 5000)
				m.Close(now, nil)
				used, _ := m.Used("anna")
				if used < last {
					t.Fatalf("counter reset at %s", now.Format(layout))
				}
				last = used
			}
			if last != time.Duration(tc.wantMinute)*minute {
				t.Errorf("day's use %v, want %d minutes", last, tc.wantMinute)
			}
			m.Add("anna", 0, 5000)
			m.Close(next, nil)
			if used, _ := m.Used("anna"); used != 0 {
				t.Errorf("after midnight: used %v, want 0", used)
			}
		})
	}
}

func TestMeterExhausted(t *testing.T) {
	m := NewMeter(minute, threshold)
	now := time.Date(2024, 6, 3, 12, 0, 0, 0, time.UTC)
	for range 3 {
		m.Add("anna", 3, 5000)
		m.Add("anna", 4, 5000)
		m.Close(now, nil)
		now = now.Add(minute)
	}
	for _, tc := range []struct {
		name      string
		l         Limits
		bonus     time.Duration
		wantTotal bool
		wantCats  uint32
	}{
		{"no limits", Limits{}, 0, false, 0},
		{"total reached", Limits{Total: 3 * minute}, 0, true, 0},
		{"bonus lifts it", Limits{Total: 3 * minute}, minute, false, 0},
		{"bonus without a total limit", Limits{}, minute, false, 0},
		{"categories", Limits{PerCategory: [32]time.Duration{3: 3 * minute, 4: 4 * minute, 5: minute}}, 0, false, 1 << 3},
		{"bonus not for categories", Limits{PerCategory: [32]time.Duration{4: 2 * minute}}, time.Hour, false, 1 << 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			total, cats := m.Exhausted("anna", tc.l, tc.bonus)
			if total != tc.wantTotal || cats != tc.wantCats {
				t.Errorf("Exhausted = %v, %#b; want %v, %#b", total, cats, tc.wantTotal, tc.wantCats)
			}
		})
	}
	if total, cats := m.Exhausted("bob", Limits{Total: 1}, 0); total || cats != 0 {
		t.Error("an unknown person is exhausted")
	}
}

func TestMeterEventsSorted(t *testing.T) {
	m := NewMeter(minute, threshold)
	for _, p := range []string{"carl", "anna", "bob"} {
		m.Add(p, 2, 5000)
		m.Add(p, 1, 5000)
	}
	l := Limits{Total: minute, PerCategory: [32]time.Duration{1: minute, 2: 2 * minute}}
	got := m.Close(time.Date(2024, 6, 3, 12, 0, 0, 0, time.UTC), func(string) (Limits, time.Duration) { return l, 0 })
	var want []Event
	for _, p := range []string{"anna", "bob", "carl"} {
		want = append(want, Event{p, Exhausted, 0, 0}, Event{p, Exhausted, 1, 0}, Event{p, Warning, 2, minute})
	}
	if !slices.Equal(got, want) {
		t.Errorf("events\n%v\nwant\n%v", got, want)
	}
}

func TestMeterPeopleCap(t *testing.T) {
	m := NewMeter(minute, threshold)
	for i := range MaxPeople + 44 {
		m.Add(fmt.Sprintf("p%d", i), 0, 5000)
	}
	m.Add("", 0, 5000)
	m.Add(string(make([]byte, MaxNameLen+1)), 0, 5000)
	m.Close(time.Date(2024, 6, 3, 12, 0, 0, 0, time.UTC), nil)
	if got := m.Dropped(); got != 46 {
		t.Errorf("Dropped %d, want 46", got)
	}
	if used, _ := m.Used(fmt.Sprintf("p%d", MaxPeople-1)); used != minute {
		t.Errorf("the last admitted person used %v", used)
	}
	if used, _ := m.Used(fmt.Sprintf("p%d", MaxPeople)); used != 0 {
		t.Errorf("a person past the cap used %v", used)
	}
}

// TestMeterConcurrent runs Add, Close and the readers at once, for the race
// detector, and checks that no bytes are lost: every period had traffic.
func TestMeterConcurrent(t *testing.T) {
	m := NewMeter(minute, 1)
	now := time.Date(2024, 6, 3, 12, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					m.Add("anna", 3, 10)
					m.Used("anna")
					m.Exhausted("anna", Limits{Total: time.Hour}, 0)
					m.Dirty()
				}
			}
		})
	}
	for range 50 {
		m.Add("anna", 3, 10)
		m.Close(now, nil)
		now = now.Add(minute)
	}
	close(stop)
	wg.Wait()
	if used, _ := m.Used("anna"); used != 50*minute {
		t.Errorf("used %v, want 50m", used)
	}
}

func TestMeterAddAllocs(t *testing.T) {
	m := NewMeter(minute, threshold)
	m.Add("anna", 3, 1)
	name := string([]byte("anna")) // not the same string header as the key
	if a := testing.AllocsPerRun(1000, func() { m.Add(name, 3, 100) }); a != 0 {
		t.Errorf("Add for a known person: %v allocations, want 0", a)
	}
	l := Limits{Total: time.Hour}
	if a := testing.AllocsPerRun(1000, func() { m.Exhausted(name, l, 0); m.Used(name) }); a != 0 {
		t.Errorf("Exhausted and Used: %v allocations, want 0", a)
	}
}

func BenchmarkAdd(b *testing.B) {
	m := NewMeter(minute, threshold)
	names := make([]string, 8)
	for i := range names {
		names[i] = fmt.Sprintf("person-%d", i)
		m.Add(names[i], 1, 1)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		m.Add(names[i&7], uint8(i&31), 1500)
	}
}

// BenchmarkClose measures closing a period for eight busy people with
// limits that send no events.
func BenchmarkClose(b *testing.B) {
	m := NewMeter(minute, threshold)
	names := make([]string, 8)
	for i := range names {
		names[i] = fmt.Sprintf("person-%d", i)
	}
	l := Limits{Total: 1000 * time.Hour, PerCategory: [32]time.Duration{3: 1000 * time.Hour}}
	limits := func(string) (Limits, time.Duration) { return l, 0 }
	now := time.Date(2024, 6, 3, 12, 0, 30, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		for _, n := range names {
			m.Add(n, 3, 5000)
		}
		m.Close(now, limits)
	}
}
