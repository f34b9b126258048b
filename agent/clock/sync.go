package clock

import (
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"
)

// DefaultMarker is where the NTP hotplug script writes the unix time at which
// ntpd reported a synchronised clock, and what it removes when ntpd loses
// sync. /var/run is a tmpfs on OpenWrt, so the marker never outlives a boot.
const DefaultMarker = "/var/run/safeinternet/ntp-synced"

// uptimeFile is /proc/uptime, relative to the root of Sync's fs.FS.
const uptimeFile = "proc/uptime"

// markerSlack is how far the marker's time may lie outside [boot, now]: it
// absorbs the rounding of /proc/uptime and a small step of the clock after
// the marker was written.
const markerSlack = time.Minute

// SyncReason says why Sync judged the clock the way it did. The values are a
// closed set that a log line or the UI can show as is.
type SyncReason uint8

// The reasons, in the order Sync checks them.
const (
	// SyncUnknown: neither the kernel nor the marker says the clock is
	// synchronised.
	SyncUnknown SyncReason = iota
	// SyncStale: the clock reads earlier than the build time, so it is
	// stale whatever else says.
	SyncStale
	// SyncKernel: the kernel's NTP status has STA_UNSYNC clear.
	SyncKernel
	// SyncMarker: the hotplug marker is present, from this boot.
	SyncMarker
)

// Synced reports whether the reason means a synchronised clock.
func (r SyncReason) Synced() bool { return r == SyncKernel || r == SyncMarker }

// String returns a short lowercase description.
func (r SyncReason) String() string {
	switch r {
	case SyncUnknown:
		return "not synchronised"
	case SyncStale:
		return "clock before build time"
	case SyncKernel:
		return "kernel ntp synchronised"
	case SyncMarker:
		return "ntpd hotplug marker"
	}
	return "SyncReason(" + strconv.Itoa(int(r)) + ")"
}

// Sync tells whether the wall clock has been synchronised by NTP since boot.
// It holds no mutable state: every call reads the kernel status and the files
// afresh, and it is safe for concurrent use.
type Sync struct {
	fsys   fs.FS
	marker string    // path of the marker within fsys
	build  time.Time // zero: no lower bound
	// kernel reports whether the kernel's NTP status says synchronised
	// (adjtimex, STA_UNSYNC clear). Tests replace it.
	kernel func() (bool, error)
}

// NewSync returns a Sync that reads the marker file markerPath (an absolute
// path such as DefaultMarker, or one relative to the root) and /proc/uptime
// through fsys, an fs.FS rooted at "/" such as os.DirFS("/"). A non-zero
// buildTime is the earliest instant the clock can truly read: the time the
// binary was built.
func NewSync(fsys fs.FS, markerPath string, buildTime time.Time) *Sync {
	return &Sync{
		fsys:   fsys,
		marker: strings.TrimLeft(markerPath, "/"),
		build:  buildTime,
		kernel: kernelSynced,
	}
}

// Synced reports whether the clock, reading now, can be trusted: Check(now)
// says SyncKernel or SyncMarker.
func (s *Sync) Synced(now time.Time) bool { return s.Check(now).Synced() }

// Check judges the clock at now (the wall clock's current reading) by these
// rules, in order:
//
//  1. now before the build time: SyncStale. A clock that reads earlier than
//     the binary's own build is stale, whatever the kernel or the marker say.
//  2. The kernel's NTP status (adjtimex, read only) has STA_UNSYNC clear:
//     SyncKernel. busybox ntpd clears it once it disciplines the clock; the
//     kernel sets it again when the estimated error grows too large. An
//     adjtimex failure counts as "not said".
//  3. The marker holds a unix time t (decimal seconds) with
//     boot-1m <= t <= now+1m, where boot = now - /proc/uptime: SyncMarker.
//     A marker from before this boot (on a file system that survived a
//     reboot) or from the future (the clock went back, as after a reboot
//     with a stale clock) is ignored, as are a missing or malformed marker
//     and a missing /proc/uptime.
//  4. Otherwise SyncUnknown.
func (s *Sync) Check(now time.Time) SyncReason {
	if !s.build.IsZero() && now.Before(s.build) {
		return SyncStale
	}
	if ok, err := s.kernel(); err == nil && ok {
		return SyncKernel
	}
	if s.markerValid(now) {
		return SyncMarker
	}
	return SyncUnknown
}

// markerValid applies rule 3 of Check.
func (s *Sync) markerValid(now time.Time) bool {
	text, ok := readSmall(s.fsys, s.marker)
	if !ok {
		return false
	}
	secs, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
	if err != nil {
		return false
	}
	marked := time.Unix(secs, 0)
	up, ok := readSmall(s.fsys, uptimeFile)
	if !ok {
		return false
	}
	uptime, ok := parseUptime(up)
	if !ok {
		return false
	}
	boot := now.Add(-uptime)
	return !marked.Before(boot.Add(-markerSlack)) && !marked.After(now.Add(markerSlack))
}

// parseUptime reads the first field of /proc/uptime, seconds since boot with
// two decimals ("12345.67 54321.00").
func parseUptime(s string) (time.Duration, bool) {
	f, _, _ := strings.Cut(strings.TrimSpace(s), " ")
	secs, frac, _ := strings.Cut(f, ".")
	n, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || n < 0 || n > 1<<32 {
		return 0, false
	}
	d := time.Duration(n) * time.Second
	if frac != "" {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		ns, err := strconv.ParseUint(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
		if err != nil {
			return 0, false
		}
		d += time.Duration(ns)
	}
	return d, true
}

// readSmall reads at most 256 bytes of name; false when it cannot be read.
func readSmall(fsys fs.FS, name string) (string, bool) {
	f, err := fsys.Open(name)
	if err != nil {
		return "", false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 256))
	if err != nil {
		return "", false
	}
	return string(data), true
}
