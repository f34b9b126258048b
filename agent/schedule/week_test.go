package schedule

import (
	"testing"
	"time"
	_ "time/tzdata"
)

// layout is how the fixtures write instants: the wall clock and the offset,
// so that each instant of a repeated hour can be named.
const layout = "Mon 2006-01-02 15:04:05 -0700"

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// at reads an instant in layout (the weekday is checked) and returns it in
// loc; the offset must be one loc uses at that instant.
func at(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	u, err := time.Parse(layout, s)
	if err != nil {
		t.Fatal(err)
	}
	in := u.In(loc)
	if in.Format(layout) != s {
		t.Fatalf("fixture %q is %q in %s", s, in.Format(layout), loc)
	}
	return in
}

func mkWeek(t testing.TB, windows ...string) Week {
	t.Helper()
	var wk Week
	for _, s := range windows {
		w, err := ParseWindow(s)
		if err != nil {
			t.Fatal(err)
		}
		wk = append(wk, w)
	}
	return wk
}

func TestActive(t *testing.T) {
	for _, tc := range []struct {
		name    string
		zone    string
		windows []string
		at      string
		want    bool
	}{
		// A bedtime crossing midnight, Sunday night to Monday morning.
		{"before sun night", "Europe/Berlin", []string{"sun 22:00-07:00"}, "Sun 2024-06-02 21:59:59 +0200", false},
		{"sun night starts", "Europe/Berlin", []string{"sun 22:00-07:00"}, "Sun 2024-06-02 22:00:00 +0200", true},
		{"past midnight", "Europe/Berlin", []string{"sun 22:00-07:00"}, "Mon 2024-06-03 00:00:00 +0200", true},
		{"last second", "Europe/Berlin", []string{"sun 22:00-07:00"}, "Mon 2024-06-03 06:59:59 +0200", true},
		{"end is exclusive", "Europe/Berlin", []string{"sun 22:00-07:00"}, "Mon 2024-06-03 07:00:00 +0200", false},
		{"not monday night", "Europe/Berlin", []string{"sun 22:00-07:00"}, "Mon 2024-06-03 23:00:00 +0200", false},
		{"not sunday morning", "Europe/Berlin", []string{"sun 22:00-07:00"}, "Sun 2024-06-02 06:00:00 +0200", false},
		// Saturday night into Sunday: the week wraps.
		{"sat into sun", "America/New_York", []string{"sat 22:00-07:00"}, "Sun 2024-06-09 03:00:00 -0400", true},
		{"sat into sun ends", "America/New_York", []string{"sat 22:00-07:00"}, "Sun 2024-06-09 07:00:00 -0400", false},
		{"fri night to sat", "Asia/Baku", []string{"mon-fri 21:00-07:00"}, "Sat 2024-06-08 06:59:59 +0400", true},
		{"sat night free", "Asia/Baku", []string{"mon-fri 21:00-07:00"}, "Sat 2024-06-08 21:00:00 +0400", false},
		// Whole days.
		{"start==end runs 24h", "Europe/Berlin", []string{"mon 08:00-08:00"}, "Tue 2024-06-04 07:59:59 +0200", true},
		{"start==end ends", "Europe/Berlin", []string{"mon 08:00-08:00"}, "Tue 2024-06-04 08:00:00 +0200", false},
		{"start==end before", "Europe/Berlin", []string{"mon 08:00-08:00"}, "Mon 2024-06-03 07:59:59 +0200", false},
		{"00:00-24:00", "Europe/Berlin", []string{"sat 00:00-24:00"}, "Sat 2024-06-08 23:59:59 +0200", true},
		{"00:00-24:00 ends at midnight", "Europe/Berlin", []string{"sat 00:00-24:00"}, "Sun 2024-06-09 00:00:00 +0200", false},
		{"00:00-00:00 is the day", "Europe/Berlin", []string{"sat 00:00-00:00"}, "Sun 2024-06-09 00:00:00 +0200", false},
		// Several windows a day.
		{"adjacent first", "Europe/Berlin", []string{"mon 16:00-18:00", "mon 18:00-20:00"}, "Mon 2024-06-03 17:59:59 +0200", true},
		{"adjacent second", "Europe/Berlin", []string{"mon 16:00-18:00", "mon 18:00-20:00"}, "Mon 2024-06-03 18:00:00 +0200", true},
		{"gap between", "Europe/Berlin", []string{"mon 07:00-08:00", "mon 16:00-18:00"}, "Mon 2024-06-03 12:00:00 +0200", false},
		{"overlap", "Europe/Berlin", []string{"mon 16:00-18:00", "mon 17:00-19:00"}, "Mon 2024-06-03 18:30:00 +0200", true},
		// Spring forward, Berlin 2024-03-31 02:00 CET -> 03:00 CEST.
		{"gap start: before", "Europe/Berlin", []string{"sun 02:30-04:00"}, "Sun 2024-03-31 01:59:59 +0100", false},
		{"gap start: first instant", "Europe/Berlin", []string{"sun 02:30-04:00"}, "Sun 2024-03-31 03:00:00 +0200", true},
		{"gap window never", "Europe/Berlin", []string{"sun 02:00-03:00"}, "Sun 2024-03-31 03:00:00 +0200", false},
		// Fall back, Berlin 2024-10-27 03:00 CEST -> 02:00 CET.
		{"overlap first", "Europe/Berlin", []string{"sun 02:30-02:45"}, "Sun 2024-10-27 02:35:00 +0200", true},
		{"overlap second", "Europe/Berlin", []string{"sun 02:30-02:45"}, "Sun 2024-10-27 02:35:00 +0100", true},
		{"overlap between", "Europe/Berlin", []string{"sun 02:30-02:45"}, "Sun 2024-10-27 02:50:00 +0200", false},
		// 30-minute DST, Lord Howe 2024-10-06 02:00 +1030 -> 02:30 +1100.
		{"lord howe gap", "Australia/Lord_Howe", []string{"sun 02:15-03:00"}, "Sun 2024-10-06 02:30:00 +1100", true},
		{"lord howe before", "Australia/Lord_Howe", []string{"sun 02:15-03:00"}, "Sun 2024-10-06 01:59:59 +1030", false},
		// Midnight DST, Santiago 2024-09-07 24:00 -04 -> 2024-09-08 01:00 -03.
		{"santiago gap", "America/Santiago", []string{"sun 00:00-08:00"}, "Sun 2024-09-08 01:00:00 -0300", true},
		{"santiago sat night", "America/Santiago", []string{"sat 23:00-00:30"}, "Sat 2024-09-07 23:59:59 -0400", true},
		{"santiago sat night ends in gap", "America/Santiago", []string{"sat 23:00-00:30"}, "Sun 2024-09-08 01:00:00 -0300", false},
		// Santiago 2024-04-06 24:00 -03 -> 23:00 -04: Saturday's last hour twice.
		{"santiago sat twice", "America/Santiago", []string{"sat 23:30-23:45"}, "Sat 2024-04-06 23:40:00 -0400", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loc := zone(t, tc.zone)
			wk := mkWeek(t, tc.windows...)
			when := at(t, loc, tc.at)
			if got := wk.Active(when); got != tc.want {
				t.Errorf("Active(%s) = %v, want %v", tc.at, got, tc.want)
			}
			if got := oracleActive(wk, when); got != tc.want {
				t.Errorf("oracle(%s) = %v, want %v (fixture wrong?)", tc.at, got, tc.want)
			}
			if tc.want && !wk.Active(when.Add(999*time.Millisecond)) {
				t.Error("the sub-second part matters")
			}
		})
	}
}

func TestNext(t *testing.T) {
	for _, tc := range []struct {
		name    string
		zone    string
		windows []string
		from    string
		want    string // "" for never
	}{
		{"empty week", "Europe/Berlin", nil, "Mon 2024-06-03 12:00:00 +0200", ""},
		{"always", "Europe/Berlin", []string{"daily 00:00-24:00"}, "Mon 2024-06-03 12:00:00 +0200", ""},
		{"always start==end", "America/Santiago", []string{"daily 05:00-05:00"}, "Sat 2024-04-06 23:30:00 -0300", ""},
		{"always pieces", "Europe/Berlin", []string{"daily 12:00-00:00", "daily 00:00-12:00"}, "Sun 2024-03-31 01:00:00 +0100", ""},
		{"starts", "Europe/Berlin", []string{"sun 22:00-07:00"}, "Sun 2024-06-02 12:00:00 +0200", "Sun 2024-06-02 22:00:00 +0200"},
		{"strictly after", "Europe/Berlin", []string{"sun 22:00-07:00"}, "Sun 2024-06-02 22:00:00 +0200", "Mon 2024-06-03 07:00:00 +0200"},
		{"from last ns", "Europe/Berlin", []string{"sun 22:00-07:00"}, "Mon 2024-06-03 06:59:59 +0200", "Mon 2024-06-03 07:00:00 +0200"},
		{"a week on", "Europe/Berlin", []string{"sun 22:00-07:00"}, "Mon 2024-06-03 07:00:00 +0200", "Sun 2024-06-09 22:00:00 +0200"},
		{"sat into sun", "America/New_York", []string{"sat 22:00-07:00"}, "Sat 2024-06-08 23:00:00 -0400", "Sun 2024-06-09 07:00:00 -0400"},
		{"adjacent merge", "Europe/Berlin", []string{"mon 16:00-18:00", "mon 18:00-20:00"}, "Mon 2024-06-03 16:30:00 +0200", "Mon 2024-06-03 20:00:00 +0200"},
		{"overlap merge", "Europe/Berlin", []string{"mon 16:00-18:00", "mon 17:00-19:00"}, "Mon 2024-06-03 16:30:00 +0200", "Mon 2024-06-03 19:00:00 +0200"},
		{"all day", "Europe/Berlin", []string{"mon 08:00-08:00"}, "Mon 2024-06-03 09:00:00 +0200", "Tue 2024-06-04 08:00:00 +0200"},
		{"daily chain across midnight", "Europe/Berlin", []string{"daily 21:00-24:00", "daily 00:00-07:00"}, "Mon 2024-06-03 22:00:00 +0200", "Tue 2024-06-04 07:00:00 +0200"},
		// Berlin spring forward 2024-03-31 02:00 CET -> 03:00 CEST.
		{"start in gap", "Europe/Berlin", []string{"sun 02:30-04:00"}, "Sun 2024-03-31 01:00:00 +0100", "Sun 2024-03-31 03:00:00 +0200"},
		{"window in gap skipped", "Europe/Berlin", []string{"sun 02:00-03:00"}, "Sat 2024-03-30 12:00:00 +0100", "Sun 2024-04-07 02:00:00 +0200"},
		{"end in gap", "Europe/Berlin", []string{"sat 23:00-02:30"}, "Sun 2024-03-31 01:30:00 +0100", "Sun 2024-03-31 03:00:00 +0200"},
		{"across gap unchanged", "Europe/Berlin", []string{"sat 22:00-07:00"}, "Sun 2024-03-31 01:00:00 +0100", "Sun 2024-03-31 07:00:00 +0200"},
		// Berlin fall back 2024-10-27 03:00 CEST -> 02:00 CET.
		{"overlap ends first", "Europe/Berlin", []string{"sun 02:30-02:45"}, "Sun 2024-10-27 02:40:00 +0200", "Sun 2024-10-27 02:45:00 +0200"},
		{"overlap starts again", "Europe/Berlin", []string{"sun 02:30-02:45"}, "Sun 2024-10-27 02:50:00 +0200", "Sun 2024-10-27 02:30:00 +0100"},
		{"clock goes back out", "Europe/Berlin", []string{"daily 02:30-07:00"}, "Sun 2024-10-27 02:40:00 +0200", "Sun 2024-10-27 02:00:00 +0100"},
		{"and in again", "Europe/Berlin", []string{"daily 02:30-07:00"}, "Sun 2024-10-27 02:00:00 +0100", "Sun 2024-10-27 02:30:00 +0100"},
		// New York 2024-11-03 02:00 EDT -> 01:00 EST; 2024-03-10 02:00 EST -> 03:00 EDT.
		{"ny back out", "America/New_York", []string{"daily 01:30-07:00"}, "Sun 2024-11-03 01:45:00 -0400", "Sun 2024-11-03 01:00:00 -0500"},
		{"ny 01:30 again", "America/New_York", []string{"daily 01:30-07:00"}, "Sun 2024-11-03 01:00:00 -0500", "Sun 2024-11-03 01:30:00 -0500"},
		{"ny spring", "America/New_York", []string{"sun 02:30-03:30"}, "Sun 2024-03-10 01:59:00 -0500", "Sun 2024-03-10 03:00:00 -0400"},
		// Baku had DST until 2016: 2015-03-29 04:00 -> 05:00.
		{"baku gap skipped", "Asia/Baku", []string{"sun 04:15-04:45"}, "Sun 2015-03-29 03:00:00 +0400", "Sun 2015-04-05 04:15:00 +0500"},
		{"baku 2024", "Asia/Baku", []string{"mon-fri 21:00-07:00"}, "Fri 2024-06-07 20:00:00 +0400", "Fri 2024-06-07 21:00:00 +0400"},
		// Lord Howe: 30-minute changes at 02:00.
		{"lord howe gap", "Australia/Lord_Howe", []string{"sun 02:15-03:00"}, "Sun 2024-10-06 01:59:59 +1030", "Sun 2024-10-06 02:30:00 +1100"},
		{"lord howe gap window", "Australia/Lord_Howe", []string{"sun 02:10-02:20"}, "Sun 2024-10-06 01:00:00 +1030", "Sun 2024-10-13 02:10:00 +1100"},
		{"lord howe twice", "Australia/Lord_Howe", []string{"sun 01:40-01:50"}, "Sun 2024-04-07 01:55:00 +1100", "Sun 2024-04-07 01:40:00 +1030"},
		// Santiago: changes at midnight.
		{"santiago spring start", "America/Santiago", []string{"sun 00:00-08:00"}, "Sat 2024-09-07 22:00:00 -0400", "Sun 2024-09-08 01:00:00 -0300"},
		{"santiago spring end", "America/Santiago", []string{"sat 23:00-00:30"}, "Sat 2024-09-07 23:30:00 -0400", "Sun 2024-09-08 01:00:00 -0300"},
		{"santiago fall start", "America/Santiago", []string{"sun 00:00-08:00"}, "Sat 2024-04-06 23:50:00 -0300", "Sun 2024-04-07 00:00:00 -0400"},
		{"santiago fall no change", "America/Santiago", []string{"sat 23:00-00:00"}, "Sat 2024-04-06 23:30:00 -0300", "Sun 2024-04-07 00:00:00 -0400"},
		{"santiago sat twice", "America/Santiago", []string{"sat 23:30-23:45"}, "Sat 2024-04-06 23:50:00 -0300", "Sat 2024-04-06 23:30:00 -0400"},
		// Beirut: 2024-03-30 24:00 -> 2024-03-31 01:00; 2024-10-26 24:00 -> 23:00.
		{"beirut spring", "Asia/Beirut", []string{"sun 00:00-00:30"}, "Sat 2024-03-30 23:00:00 +0200", "Sun 2024-04-07 00:00:00 +0300"},
		{"beirut fall", "Asia/Beirut", []string{"sat 23:15-23:20"}, "Sat 2024-10-26 23:30:00 +0300", "Sat 2024-10-26 23:15:00 +0200"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loc := zone(t, tc.zone)
			wk := mkWeek(t, tc.windows...)
			from := at(t, loc, tc.from)
			got, ok := wk.Next(from)
			if tc.want == "" {
				if ok {
					t.Fatalf("Next = %s, want never", got.Format(layout))
				}
				return
			}
			if !ok || !got.Equal(at(t, loc, tc.want)) || got.Location() != loc {
				t.Fatalf("Next = %s %v (%s), want %s", got.Format(layout), ok, got.Location(), tc.want)
			}
			checkNext(t, wk, from, got)
			// A nanosecond before the change Next gives the same answer.
			if again, _ := wk.Next(got.Add(-time.Nanosecond)); !again.Equal(got) {
				t.Errorf("Next(next-1ns) = %s", again.Format(layout))
			}
		})
	}
}

// checkNext asserts the contract of Next at its edges.
func checkNext(t *testing.T, wk Week, from, next time.Time) {
	t.Helper()
	a := wk.Active(from)
	if !next.After(from) {
		t.Fatalf("Next(%s) = %s, not after", from.Format(layout), next.Format(layout))
	}
	if wk.Active(next.Add(-time.Nanosecond)) != a {
		t.Fatalf("Active changes before Next(%s) = %s", from.Format(layout), next.Format(layout))
	}
	if wk.Active(next) == a {
		t.Fatalf("Active does not change at Next(%s) = %s", from.Format(layout), next.Format(layout))
	}
}

func TestAllocs(t *testing.T) {
	loc := zone(t, "Europe/Berlin")
	wk := mkWeek(t, "mon-fri 21:00-07:00", "sat,sun 22:30-08:00", "wed 14:00-16:00")
	when := at(t, loc, "Sun 2024-03-31 01:00:00 +0100")
	for name, f := range map[string]func(){
		"Active": func() { wk.Active(when) },
		"Next":   func() { wk.Next(when) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocations, want 0", name, n)
		}
	}
}

func BenchmarkActive(b *testing.B) {
	loc := zone(b, "Europe/Berlin")
	wk := mkWeek(b, "mon-fri 21:00-07:00", "sat,sun 22:30-08:00", "wed 14:00-16:00")
	when := at(b, loc, "Wed 2024-06-05 12:00:00 +0200")
	b.ReportAllocs()
	for b.Loop() {
		wk.Active(when)
	}
}

// BenchmarkNext measures a Next that crosses the spring-forward change.
func BenchmarkNext(b *testing.B) {
	loc := zone(b, "Europe/Berlin")
	wk := mkWeek(b, "mon-fri 21:00-07:00", "sat,sun 22:30-08:00", "wed 14:00-16:00")
	for _, bc := range []struct{ name, at string }{
		{"same-day", "Wed 2024-06-05 12:00:00 +0200"},
		{"over-dst", "Sun 2024-03-31 01:00:00 +0100"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			when := at(b, loc, bc.at)
			b.ReportAllocs()
			for b.Loop() {
				wk.Next(when)
			}
		})
	}
}
