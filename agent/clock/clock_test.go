package clock

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/safeinternet/cpe/agent/uci"
)

func TestLoadZone(t *testing.T) {
	tests := []struct {
		name    string
		fsys    fs.FS
		source  Source
		zone    string   // the IANA zone the location must match, or
		posix   string   // the POSIX string whose rule it must match
		errs    []string // what the error must mention; none: nil error
		errIs   error
		locName string
	}{
		{
			name:   "zonename wins over timezone and /etc/TZ",
			fsys:   os.DirFS("testdata/zonename"),
			source: SourceZonename, zone: "Europe/Berlin", locName: "Europe/Berlin",
		},
		{
			name:   "unknown zonename falls back to timezone",
			fsys:   os.DirFS("testdata/unknown-zonename"),
			source: SourceTimezone, posix: "<+0330>-3:30", locName: "<+0330>-3:30",
			errs: []string{`clock: system.zonename "Mars/Olympus Mons": `},
		},
		{
			name:   "spaces in zonename are underscores",
			fsys:   os.DirFS("testdata/spaces"),
			source: SourceZonename, zone: "America/New_York", locName: "America/New_York",
		},
		{
			name:   "only /etc/TZ",
			fsys:   os.DirFS("testdata/tzfile"),
			source: SourceTZFile, zone: "Australia/Sydney", locName: "AEST-10AEDT,M10.1.0,M4.1.0/3",
		},
		{
			name:   "nothing at all",
			fsys:   fstest.MapFS{},
			source: SourceDefault, locName: "UTC",
		},
		{
			name:   "everything malformed",
			fsys:   os.DirFS("testdata/bad-everything"),
			source: SourceDefault, locName: "UTC",
			errs: []string{
				`clock: system.zonename "Nowhere/Atlantis": `,
				`clock: system.timezone: clock: posix tz "CET-1CEST,M3.5.0": missing ","`,
				`clock: /etc/TZ: clock: posix tz "garbage": missing offset`,
			},
			errIs: ErrPOSIX,
		},
		{
			name: "OpenWrt's default UTC zonename",
			fsys: fstest.MapFS{SystemConfig: {Data: []byte(
				"config system\n\toption zonename 'UTC'\n\toption timezone 'GMT0'\n")}},
			source: SourceZonename, locName: "UTC",
		},
		{
			name: "Local is not a zone name",
			fsys: fstest.MapFS{SystemConfig: {Data: []byte(
				"config system\n\toption zonename 'Local'\n\toption timezone '<+04>-4'\n")}},
			source: SourceTimezone, posix: "<+04>-4", locName: "<+04>-4",
			errs: []string{`clock: system.zonename "Local": not a zone name`},
		},
		{
			name: "the last option of the first system section counts",
			fsys: fstest.MapFS{SystemConfig: {Data: []byte(
				"config system\n\toption zonename 'Asia/Tokyo'\n\toption zonename 'Asia/Baku'\n" +
					"config system\n\toption zonename 'Europe/Paris'\n")}},
			source: SourceZonename, zone: "Asia/Baku", locName: "Asia/Baku",
		},
		{
			name: "malformed system file, /etc/TZ used",
			fsys: fstest.MapFS{
				SystemConfig: {Data: []byte("config system\n\toption zonename 'Europe/Berlin\n")},
				TZFile:       {Data: []byte("CET-1CEST,M3.5.0,M10.5.0/3\n")},
			},
			source: SourceTZFile, zone: "Europe/Berlin", locName: "CET-1CEST,M3.5.0,M10.5.0/3",
			errs:  []string{"clock: uci: etc/config/system:"},
			errIs: uci.ErrSyntax,
		},
		{
			name: "path traversal in zonename",
			fsys: fstest.MapFS{SystemConfig: {Data: []byte(
				"config system\n\toption zonename '../../etc/passwd'\n")}},
			source: SourceDefault, locName: "UTC",
			errs: []string{`clock: system.zonename "../../etc/passwd": `},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc, source, err := LoadZone(tt.fsys)
			if loc == nil {
				t.Fatal("LoadZone returned a nil location")
			}
			if source != tt.source {
				t.Errorf("source = %v, want %v", source, tt.source)
			}
			if loc.String() != tt.locName {
				t.Errorf("location name = %q, want %q", loc.String(), tt.locName)
			}
			if len(tt.errs) == 0 && err != nil {
				t.Errorf("error = %v, want nil", err)
			}
			for _, want := range tt.errs {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("error = %v, want it to mention %q", err, want)
				}
			}
			if tt.errIs != nil && !errors.Is(err, tt.errIs) {
				t.Errorf("error %v does not wrap %v", err, tt.errIs)
			}
			var want *time.Location
			switch {
			case tt.zone != "":
				if want, err = time.LoadLocation(tt.zone); err != nil {
					t.Fatal(err)
				}
			case tt.posix != "":
				_, want = mustLocation(t, tt.posix)
			default:
				want = time.UTC
			}
			for at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC); at.Year() == 2025; at = at.Add(7 * time.Hour) {
				if !sameZoneOffset(t, at, loc, want) {
					break
				}
			}
		})
	}
}

// sameZoneOffset compares offsets only: designations differ between a
// zonename and its POSIX fallback in name only.
func sameZoneOffset(t *testing.T, at time.Time, got, want *time.Location) bool {
	t.Helper()
	_, g := at.In(got).Zone()
	_, w := at.In(want).Zone()
	if g != w {
		t.Errorf("offset at %s: got %+d, want %+d", at.Format(time.RFC3339), g, w)
		return false
	}
	return true
}

func TestSourceString(t *testing.T) {
	for s, want := range map[Source]string{
		SourceZonename: "system.zonename",
		SourceTimezone: "system.timezone",
		SourceTZFile:   "/etc/TZ",
		SourceDefault:  "default",
		Source(0):      "Source(0)",
	} {
		if got := s.String(); got != want {
			t.Errorf("Source(%d).String() = %q, want %q", uint8(s), got, want)
		}
	}
}
