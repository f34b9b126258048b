package clock

import (
	"archive/zip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mustLocation parses tz and builds its Location, failing the test on error.
func mustLocation(t testing.TB, tz string) (*Rule, *time.Location) {
	t.Helper()
	r, err := ParsePOSIX(tz)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := r.Location(tz)
	if err != nil {
		t.Fatalf("Location(%q): %v", tz, err)
	}
	return r, loc
}

// sameZone fails the test unless both locations give the same designation
// and offset at at.
func sameZone(t *testing.T, what string, at time.Time, got, want *time.Location) bool {
	t.Helper()
	gn, go_ := at.In(got).Zone()
	wn, wo := at.In(want).Zone()
	if gn != wn || go_ != wo {
		t.Errorf("%s at %s: got %s %+d, want %s %+d", what, at.UTC().Format(time.RFC3339), gn, go_, wn, wo)
		return false
	}
	return true
}

// goPOSIX returns a Location whose zone after 1970 comes from Go's own POSIX
// evaluator: TZif data with a single transition at 1970 and tz as the footer.
// It is the oracle for rules no tzdata zone has.
func goPOSIX(t *testing.T, r *Rule, tz string) *time.Location {
	t.Helper()
	data := encodeTZif([]tzType{{offset: r.StdOffset, name: r.StdName}}, []tzTransition{{when: 0}})
	data = append(data[:len(data)-1], tz+"\n"...)
	loc, err := time.LoadLocationFromTZData("go:"+tz, data)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// compareYears compares got with want hourly from the first year to the last,
// and at every transition of want (walked with ZoneBounds) one second before,
// at, and one second after.
func compareYears(t *testing.T, got, want *time.Location, first, last int) {
	t.Helper()
	start := time.Date(first, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(last+1, 1, 1, 0, 0, 0, 0, time.UTC)
	fails := 0
	for at := start; at.Before(end) && fails < 5; at = at.Add(time.Hour) {
		if !sameZone(t, "hourly", at, got, want) {
			fails++
		}
	}
	for at := start; at.Before(end) && fails < 5; {
		_, next := at.In(want).ZoneBounds()
		if next.IsZero() {
			break
		}
		if !next.After(at) {
			// Go's own POSIX evaluator can report a bound that does not
			// advance (negative switch times); walk on by the hour.
			at = at.Add(time.Hour)
			continue
		}
		for _, d := range []time.Duration{-time.Second, 0, time.Second} {
			if !sameZone(t, "transition", next.Add(d), got, want) {
				fails++
			}
		}
		at = next
	}
}

// The POSIX strings that OpenWrt writes for these zones give the same times as
// Go's tzdata.
func TestLocationMatchesTZData(t *testing.T) {
	tests := []struct {
		tz   string
		zone string
	}{
		{"CET-1CEST,M3.5.0,M10.5.0/3", "Europe/Berlin"},
		{"EST5EDT,M3.2.0,M11.1.0", "America/New_York"},
		{"AEST-10AEDT,M10.1.0,M4.1.0/3", "Australia/Sydney"},
		{"<+0330>-3:30", "Asia/Tehran"},
		{"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "America/Nuuk"},
		{"IST-2IDT,M3.4.4/26,M10.5.0", "Asia/Jerusalem"},
		{"GMT0BST,M3.5.0/1,M10.5.0", "Europe/London"},
		{"IST-1GMT0,M10.5.0,M3.5.0/1", "Europe/Dublin"},
		{"<-04>4<-03>,M9.1.6/24,M4.1.6/24", "America/Santiago"},
		{"<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45", "Pacific/Chatham"},
		{"NST3:30NDT,M3.2.0,M11.1.0", "America/St_Johns"},
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			_, got := mustLocation(t, tt.tz)
			want, err := time.LoadLocation(tt.zone)
			if err != nil {
				t.Fatal(err)
			}
			compareYears(t, got, want, 2024, 2030)
		})
	}
}

// Rules that no current zone uses agree with Go's own POSIX evaluator.
func TestLocationMatchesGoPOSIX(t *testing.T) {
	for _, tz := range []string{
		"<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", // America/Nuuk until 2023
		"EST5EDT",                          // the default US rule
		"<+04>-4",
		"AAA0BBB,J60/0,J300/0",
		"AAA0BBB,59/0,300/0",
		"AAA-3BBB-5:30,M5.1.1/1:30:15,M9.3.5/-3",
		"EET-2EEST,M3.4.4/50,M10.4.4/50", // Gaza: hour 50
	} {
		t.Run(tz, func(t *testing.T) {
			r, got := mustLocation(t, tz)
			compareYears(t, got, goPOSIX(t, r, tz), 2023, 2029)
		})
	}
}

// DST edges, checked by hand against the published dates.
func TestOffsetEdges(t *testing.T) {
	utc := func(s string) time.Time {
		at, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	tests := []struct {
		name   string
		tz     string
		at     string
		zone   string
		offset int
	}{
		{"Berlin before spring", "CET-1CEST,M3.5.0,M10.5.0/3", "2025-03-30T00:59:59Z", "CET", 1 * h},
		{"Berlin spring", "CET-1CEST,M3.5.0,M10.5.0/3", "2025-03-30T01:00:00Z", "CEST", 2 * h},
		{"Berlin before autumn", "CET-1CEST,M3.5.0,M10.5.0/3", "2025-10-26T00:59:59Z", "CEST", 2 * h},
		{"Berlin autumn", "CET-1CEST,M3.5.0,M10.5.0/3", "2025-10-26T01:00:00Z", "CET", 1 * h},
		{"Sydney new year is summer", "AEST-10AEDT,M10.1.0,M4.1.0/3", "2026-01-01T00:00:00Z", "AEDT", 11 * h},
		{"Sydney before April", "AEST-10AEDT,M10.1.0,M4.1.0/3", "2025-04-05T15:59:59Z", "AEDT", 11 * h},
		{"Sydney April", "AEST-10AEDT,M10.1.0,M4.1.0/3", "2025-04-05T16:00:00Z", "AEST", 10 * h},
		{"Sydney October", "AEST-10AEDT,M10.1.0,M4.1.0/3", "2025-10-04T16:00:00Z", "AEDT", 11 * h},
		{"Israel hour 26", "IST-2IDT,M3.4.4/26,M10.5.0", "2025-03-28T00:00:00Z", "IDT", 3 * h},
		{"Israel before hour 26", "IST-2IDT,M3.4.4/26,M10.5.0", "2025-03-27T23:59:59Z", "IST", 2 * h},
		{"old Nuuk, negative time", "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", "2022-03-27T01:00:00Z", "-02", -2 * h},
		{"old Nuuk, before", "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", "2022-03-27T00:59:59Z", "-03", -3 * h},
		{"J60 is March 1 in a leap year", "AAA0BBB,J60/0,J300/0", "2024-03-01T00:00:00Z", "BBB", 1 * h},
		{"J60 not yet on February 29", "AAA0BBB,J60/0,J300/0", "2024-02-29T23:59:59Z", "AAA", 0},
		{"day 59 is February 29 in a leap year", "AAA0BBB,59/0,300/0", "2024-02-29T00:00:00Z", "BBB", 1 * h},
		{"day 59 is March 1 in a common year", "AAA0BBB,59/0,300/0", "2023-02-28T23:59:59Z", "AAA", 0},
		{"permanent DST, new year", "EST5EDT4,0/0,J365/25", "2025-01-01T05:00:00Z", "EDT", -4 * h},
		{"permanent DST, summer", "EST5EDT4,0/0,J365/25", "2025-07-01T00:00:00Z", "EDT", -4 * h},
		{"permanent DST, leap year end", "EST5EDT4,0/0,J365/25", "2024-12-31T23:59:59Z", "EDT", -4 * h},
		{"fixed zone", "<+0545>-5:45", "2025-06-01T00:00:00Z", "+0545", 5*h + 45*60},
		{"last week is week 5 in a 4-Sunday month", "AAA0BBB,M2.5.0/0,M10.5.0/0", "2026-02-22T00:00:00Z", "BBB", 1 * h},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, loc := mustLocation(t, tt.tz)
			at := utc(tt.at)
			if zone, offset := r.Offset(at); zone != tt.zone || offset != tt.offset {
				t.Errorf("Offset(%s) = %s %+d, want %s %+d", tt.at, zone, offset, tt.zone, tt.offset)
			}
			if zone, offset := at.In(loc).Zone(); zone != tt.zone || offset != tt.offset {
				t.Errorf("Location at %s = %s %+d, want %s %+d", tt.at, zone, offset, tt.zone, tt.offset)
			}
		})
	}
}

// checkAgainstOffset checks that r's Location agrees with r.Offset at every
// switch of the years from first to last, one second before, at and after,
// and at noon UTC on the first of every month.
func checkAgainstOffset(t testing.TB, r *Rule, loc *time.Location, first, last int) {
	t.Helper()
	check := func(sec int64) {
		at := time.Unix(sec, 0)
		wn, wo := r.Offset(at)
		gn, go_ := at.In(loc).Zone()
		if gn != wn || go_ != wo {
			t.Fatalf("%+v at %s: Location %s %+d, Offset %s %+d", *r, at.UTC().Format(time.RFC3339), gn, go_, wn, wo)
		}
	}
	lo := time.Date(FirstYear, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(LastYear+1, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	for y := first; y <= last; y++ {
		if r.DSTName != "" {
			s, e := r.switches(y)
			for _, ev := range [2]switchEvent{s, e} {
				for _, d := range [3]int64{-1, 0, 1} {
					if sec := ev.when + d; sec >= lo && sec < hi {
						check(sec)
					}
				}
			}
		}
		for m := 1; m <= 12; m++ {
			check(time.Date(y, time.Month(m), 1, 12, 0, 0, 0, time.UTC).Unix())
		}
	}
}

// Location gives Offset's answer for every instant of the years it covers,
// odd rules included.
func TestLocationMatchesOffset(t *testing.T) {
	for _, tz := range []string{
		"CET-1CEST,M3.5.0,M10.5.0/3",
		"AEST-10AEDT,M10.1.0,M4.1.0/3",
		"EST5EDT4,0/0,J365/25",
		"AAA3BBB,J1/-167,365/167",
		"AAA-24BBB24,M12.5.6/167,M1.1.0/-167",
		"AAA0BBB,M3.5.0,M3.5.0",
		"AAA0BBB,J365/24,J1/0",
		"<+00>0<+02>-2,M3.5.0/1,M10.5.0/3",
		"<+04>-4",
	} {
		t.Run(tz, func(t *testing.T) {
			r, loc := mustLocation(t, tz)
			checkAgainstOffset(t, r, loc, FirstYear, LastYear)
		})
	}
}

// goroot returns the Go root the test runs with, or "".
func goroot() string {
	if dir := os.Getenv("GOROOT"); dir != "" {
		return dir
	}
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// Every footer of Go's tzdata parses, and from 2100 on, where every zone
// follows its footer, our Location agrees with Go's for the whole zone file.
func TestTZDataFooters(t *testing.T) {
	root := goroot()
	zr, err := zip.OpenReader(filepath.Join(root, "lib", "time", "zoneinfo.zip"))
	if err != nil {
		t.Skipf("no zoneinfo.zip in GOROOT %q: %v", root, err)
	}
	defer zr.Close()
	zones := 0
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(data) < 6 || string(data[:4]) != "TZif" || data[4] < '2' || data[len(data)-1] != '\n' {
			continue
		}
		body := data[:len(data)-1]
		footer := string(body[strings.LastIndexByte(string(body), '\n')+1:])
		if footer == "" {
			continue
		}
		zones++
		want, err := time.LoadLocationFromTZData(f.Name, data)
		if err != nil {
			t.Fatal(err)
		}
		r, err := ParsePOSIX(footer)
		if err != nil {
			t.Errorf("%s: %v", f.Name, err)
			continue
		}
		got, err := r.Location(footer)
		if err != nil {
			t.Errorf("%s: %v", f.Name, err)
			continue
		}
		for y := 2100; y <= 2102; y++ {
			var instants []int64
			if r.DSTName != "" {
				s, e := r.switches(y)
				for _, d := range [3]int64{-1, 0, 1} {
					instants = append(instants, s.when+d, e.when+d)
				}
			}
			for m := 1; m <= 12; m++ {
				instants = append(instants, time.Date(y, time.Month(m), 15, 12, 0, 0, 0, time.UTC).Unix())
			}
			for _, sec := range instants {
				sameZone(t, f.Name+" "+footer, time.Unix(sec, 0), got, want)
			}
		}
	}
	if zones < 300 {
		t.Errorf("only %d zones with footers in zoneinfo.zip", zones)
	}
}

func BenchmarkLocation(b *testing.B) {
	r, err := ParsePOSIX("CET-1CEST,M3.5.0,M10.5.0/3")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Location("CET"); err != nil {
			b.Fatal(err)
		}
	}
}
