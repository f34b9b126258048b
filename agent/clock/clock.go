// Package clock gives the agent OpenWrt's local time zone and tells it whether
// the wall clock can be trusted yet.
//
// Go ignores OpenWrt's /etc/TZ, so LoadZone reads the zone the way the router
// keeps it: system.zonename from /etc/config/system (an IANA name, resolved
// with the tzdata embedded in the binary), else system.timezone or /etc/TZ (a
// POSIX TZ string, which ParsePOSIX reads and Rule.Location turns into a
// *time.Location by our own code, not Go's internal evaluator), else UTC.
//
// A router boots with a stale clock (no RTC, or one set from file times) until
// busybox ntpd synchronises it. Sync says whether that has happened, from the
// kernel's NTP status and from a marker file that the hotplug script
// openwrt/safeinternet/files/safeinternet.ntp-hotplug maintains. JumpDetector
// notices when the wall clock is stepped, comparing wall-clock and monotonic
// elapsed time between ticks.
//
// Operating-system inputs are read through an fs.FS rooted at "/", so tests
// feed testdata/. Nothing here keeps package-level state; Rule and Sync are
// safe for concurrent use, a JumpDetector is not.
package clock

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"
	_ "time/tzdata" // zonename lookups must not depend on /usr/share/zoneinfo

	"github.com/safeinternet/cpe/agent/uci"
)

// Paths LoadZone reads, relative to the root of its fs.FS.
const (
	// SystemConfig is OpenWrt's /etc/config/system.
	SystemConfig = "etc/config/system"
	// TZFile is /etc/TZ, which OpenWrt's init writes from system.timezone.
	TZFile = "etc/TZ"
)

// Source says where LoadZone found the zone.
type Source uint8

// The sources, in the order LoadZone tries them.
const (
	// SourceZonename is option zonename of the "config system" section,
	// an IANA name such as "Europe/Berlin" (LuCI writes "America/New York"
	// with spaces for underscores).
	SourceZonename Source = iota + 1
	// SourceTimezone is option timezone of the same section, a POSIX TZ
	// string such as "CET-1CEST,M3.5.0,M10.5.0/3".
	SourceTimezone
	// SourceTZFile is the POSIX TZ string in /etc/TZ.
	SourceTZFile
	// SourceDefault is UTC, when none of the above gave a zone.
	SourceDefault
)

// String returns the source as a log line would name it: "system.zonename",
// "system.timezone", "/etc/TZ" or "default".
func (s Source) String() string {
	switch s {
	case SourceZonename:
		return "system.zonename"
	case SourceTimezone:
		return "system.timezone"
	case SourceTZFile:
		return "/etc/TZ"
	case SourceDefault:
		return "default"
	}
	return fmt.Sprintf("Source(%d)", uint8(s))
}

// maxTZFile bounds what LoadZone reads of /etc/TZ.
const maxTZFile = 4096

// LoadZone returns the router's time zone and where it came from, trying in
// order: system.zonename (spaces read as underscores; "Local" and "" are not
// zones), system.timezone, /etc/TZ, and UTC. Only the last zonename and
// timezone option of the first "config system" section count, as libuci
// merges them.
//
// The location is never nil. A missing file or option is simply skipped; the
// error, when not nil, describes every source that was present but unusable
// (an unknown zone name, a malformed POSIX string, an unreadable or malformed
// file), joined with errors.Join, while the location is the best one found
// after them. Callers log it and go on.
func LoadZone(fsys fs.FS) (*time.Location, Source, error) {
	var errs []error
	zonename, timezone, err := readSystem(fsys)
	if err != nil {
		errs = append(errs, err)
	}
	if zonename != "" {
		name := strings.ReplaceAll(zonename, " ", "_")
		if name == "Local" {
			errs = append(errs, fmt.Errorf("clock: system.zonename %q: not a zone name", zonename))
		} else if loc, err := time.LoadLocation(name); err != nil {
			errs = append(errs, fmt.Errorf("clock: system.zonename %q: %w", zonename, err))
		} else {
			return loc, SourceZonename, errors.Join(errs...)
		}
	}
	if timezone != "" {
		if loc, err := posixLocation(timezone); err != nil {
			errs = append(errs, fmt.Errorf("clock: system.timezone: %w", err))
		} else {
			return loc, SourceTimezone, errors.Join(errs...)
		}
	}
	tz, err := readTZFile(fsys)
	if err != nil {
		errs = append(errs, err)
	} else if tz != "" {
		if loc, err := posixLocation(tz); err != nil {
			errs = append(errs, fmt.Errorf("clock: /etc/TZ: %w", err))
		} else {
			return loc, SourceTZFile, errors.Join(errs...)
		}
	}
	return time.UTC, SourceDefault, errors.Join(errs...)
}

// posixLocation parses tz and builds its Location, named by the string.
func posixLocation(tz string) (*time.Location, error) {
	r, err := ParsePOSIX(tz)
	if err != nil {
		return nil, err
	}
	return r.Location(tz)
}

// readSystem returns the zonename and timezone options of the first "config
// system" section of /etc/config/system; "" for a missing file or option.
func readSystem(fsys fs.FS) (zonename, timezone string, err error) {
	sections, err := uci.ReadFile(fsys, SystemConfig)
	if errors.Is(err, fs.ErrNotExist) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("clock: %w", err)
	}
	for _, s := range sections {
		if s.Type != "system" {
			continue
		}
		for _, o := range s.Options {
			switch {
			case o.List:
			case o.Name == "zonename":
				zonename = strings.TrimSpace(o.Value)
			case o.Name == "timezone":
				timezone = strings.TrimSpace(o.Value)
			}
		}
		break
	}
	return zonename, timezone, nil
}

// readTZFile returns the first line of /etc/TZ without surrounding space, or
// "" when the file does not exist.
func readTZFile(fsys fs.FS) (string, error) {
	f, err := fsys.Open(TZFile)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("clock: read /etc/TZ: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTZFile))
	if err != nil {
		return "", fmt.Errorf("clock: read /etc/TZ: %w", err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimSpace(line), nil
}
