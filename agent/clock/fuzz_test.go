package clock

import (
	"runtime"
	"testing"
)

// fuzzSeeds are real TZ strings (tzdata footers and the forms OpenWrt
// writes) and near misses.
var fuzzSeeds = []string{
	"CET-1CEST,M3.5.0,M10.5.0/3",
	"EST5EDT,M3.2.0,M11.1.0",
	"EST5EDT",
	"AEST-10AEDT,M10.1.0,M4.1.0/3",
	"<+0330>-3:30",
	"<-03>3<-02>,M3.5.0/-2,M10.5.0/-1",
	"IST-2IDT,M3.4.4/26,M10.5.0",
	"IST-1GMT0,M10.5.0,M3.5.0/1",
	"EST5EDT4,0/0,J365/25",
	"<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",
	"EET-2EEST,M3.4.4/50,M10.4.4/50",
	"AAA3BBB,J1/-167,365/167:59:59",
	"GMT0",
	"UTC",
	":Europe/Berlin",
	"CET-1CEST,M3.5.0",
	"<+04",
}

// FuzzParsePOSIX checks that ParsePOSIX never panics, and that every rule it
// accepts builds a Location that agrees with Offset.
func FuzzParsePOSIX(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParsePOSIX(s)
		if err != nil {
			return
		}
		loc, err := r.Location(s)
		if err != nil {
			t.Fatalf("ParsePOSIX(%q) accepted a rule whose Location fails: %v", s, err)
		}
		checkAgainstOffset(t, r, loc, FirstYear, FirstYear+1)
		checkAgainstOffset(t, r, loc, 2024, 2025)
		checkAgainstOffset(t, r, loc, LastYear-1, LastYear)
	})
}

func BenchmarkParsePOSIX(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePOSIX("CET-1CEST,M3.5.0,M10.5.0/3"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOffset(b *testing.B) {
	r, err := ParsePOSIX("AEST-10AEDT,M10.1.0,M4.1.0/3")
	if err != nil {
		b.Fatal(err)
	}
	at := syncNow
	b.ReportAllocs()
	for b.Loop() {
		r.Offset(at)
	}
}

// A valid string costs one allocation, the Rule; names are substrings of the
// input. Offset allocates nothing.
func TestAllocs(t *testing.T) {
	if runtime.GOARCH == "wasm" {
		t.Skip("allocation counts differ")
	}
	var r *Rule
	if n := testing.AllocsPerRun(100, func() {
		r, _ = ParsePOSIX("CET-1CEST,M3.5.0,M10.5.0/3")
	}); n > 1 {
		t.Errorf("ParsePOSIX: %v allocations, want at most 1", n)
	}
	if n := testing.AllocsPerRun(100, func() { r.Offset(syncNow) }); n != 0 {
		t.Errorf("Offset: %v allocations, want 0", n)
	}
}

// On Linux the kernel's NTP status can be read without privileges.
func TestKernelSynced(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("adjtimex is Linux only")
	}
	if _, err := kernelSynced(); err != nil {
		t.Errorf("kernelSynced: %v", err)
	}
}
