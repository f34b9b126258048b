package clock

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"testing/fstest"
	"time"
)

// now is the instant the Sync tests judge the clock at; boot is 1000 s
// earlier (proc/uptime "1000.25 ...").
var (
	syncNow   = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	syncBoot  = syncNow.Add(-1000 * time.Second)
	syncBuild = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

func unixMarker(t time.Time) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte(strconv.FormatInt(t.Unix(), 10) + "\n")}
}

func TestSync(t *testing.T) {
	uptime := &fstest.MapFile{Data: []byte("1000.25 3900.10\n")}
	const marker = "var/run/safeinternet/ntp-synced"
	kernelYes := func() (bool, error) { return true, nil }
	kernelNo := func() (bool, error) { return false, nil }
	kernelErr := func() (bool, error) { return true, errors.New("adjtimex: operation not permitted") }
	tests := []struct {
		name   string
		files  fstest.MapFS
		kernel func() (bool, error)
		now    time.Time
		build  time.Time
		want   SyncReason
	}{
		{"kernel synced", fstest.MapFS{}, kernelYes, syncNow, syncBuild, SyncKernel},
		{"kernel synced but clock before build", fstest.MapFS{}, kernelYes, syncBuild.Add(-time.Second), syncBuild, SyncStale},
		{"marker synced but clock before build", fstest.MapFS{
			"proc/uptime": uptime, marker: unixMarker(syncBuild.Add(-time.Minute)),
		}, kernelNo, syncBuild.Add(-time.Second), syncBuild, SyncStale},
		{"no build time: no lower bound", fstest.MapFS{}, kernelYes, time.Unix(0, 0), time.Time{}, SyncKernel},
		{"nothing says synced", fstest.MapFS{"proc/uptime": uptime}, kernelNo, syncNow, syncBuild, SyncUnknown},
		{"marker from this boot", fstest.MapFS{
			"proc/uptime": uptime, marker: unixMarker(syncBoot.Add(30 * time.Second)),
		}, kernelNo, syncNow, syncBuild, SyncMarker},
		{"marker written just now", fstest.MapFS{
			"proc/uptime": uptime, marker: unixMarker(syncNow),
		}, kernelNo, syncNow, syncBuild, SyncMarker},
		{"kernel error, marker counts", fstest.MapFS{
			"proc/uptime": uptime, marker: unixMarker(syncNow.Add(-time.Minute)),
		}, kernelErr, syncNow, syncBuild, SyncMarker},
		{"kernel error alone", fstest.MapFS{"proc/uptime": uptime}, kernelErr, syncNow, syncBuild, SyncUnknown},
		{"marker from before boot", fstest.MapFS{
			"proc/uptime": uptime, marker: unixMarker(syncBoot.Add(-time.Hour)),
		}, kernelNo, syncNow, syncBuild, SyncUnknown},
		{"marker from the future: clock went back", fstest.MapFS{
			"proc/uptime": uptime, marker: unixMarker(syncNow.Add(48 * time.Hour)),
		}, kernelNo, syncNow, syncBuild, SyncUnknown},
		{"marker without newline", fstest.MapFS{
			"proc/uptime": uptime, marker: {Data: []byte(strconv.FormatInt(syncNow.Unix(), 10))},
		}, kernelNo, syncNow, syncBuild, SyncMarker},
		{"malformed marker", fstest.MapFS{
			"proc/uptime": uptime, marker: {Data: []byte("synced\n")},
		}, kernelNo, syncNow, syncBuild, SyncUnknown},
		{"empty marker", fstest.MapFS{
			"proc/uptime": uptime, marker: {Data: nil},
		}, kernelNo, syncNow, syncBuild, SyncUnknown},
		{"marker but no /proc/uptime", fstest.MapFS{
			marker: unixMarker(syncNow),
		}, kernelNo, syncNow, syncBuild, SyncUnknown},
		{"marker but malformed /proc/uptime", fstest.MapFS{
			"proc/uptime": {Data: []byte("soon\n")}, marker: unixMarker(syncNow),
		}, kernelNo, syncNow, syncBuild, SyncUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSync(tt.files, DefaultMarker, tt.build)
			s.kernel = tt.kernel
			if got := s.Check(tt.now); got != tt.want {
				t.Errorf("Check = %v, want %v", got, tt.want)
			}
			if got, want := s.Synced(tt.now), tt.want.Synced(); got != want {
				t.Errorf("Synced = %v, want %v", got, want)
			}
		})
	}
}

func TestParseUptime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"1000.25 3900.10\n", 1000*time.Second + 250*time.Millisecond, true},
		{"7 0", 7 * time.Second, true},
		{"0.5", 500 * time.Millisecond, true},
		{"", 0, false},
		{"-1.00 0", 0, false},
		{"1.x 0", 0, false},
		{"99999999999.00 0", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseUptime(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseUptime(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// The hotplug script, run as hotplug-call runs it (sourced, ACTION and
// stratum in the environment), keeps a marker that Sync accepts.
func TestHotplugScript(t *testing.T) {
	script, err := filepath.Abs("../../openwrt/safeinternet/files/safeinternet.ntp-hotplug")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(script); err != nil {
		t.Skipf("hotplug script not found: %v", err)
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to run the hotplug script")
	}
	root := t.TempDir()
	markerPath := filepath.Join(root, "var/run/safeinternet/ntp-synced")
	if err := os.MkdirAll(filepath.Join(root, "proc"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A boot a day ago, so that the script's "date +%s" is within it.
	if err := os.WriteFile(filepath.Join(root, "proc/uptime"), []byte("86400.00 0.00\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(action, stratum string) {
		t.Helper()
		cmd := exec.Command(sh, "-c", `. "$0"`, script)
		cmd.Env = append(os.Environ(), "ACTION="+action, "stratum="+stratum, "SAFEINTERNET_NTP_MARKER="+markerPath)
		if out, err := cmd.CombinedOutput(); err != nil || len(out) != 0 {
			t.Fatalf("ACTION=%s stratum=%s: %v %q", action, stratum, err, out)
		}
	}
	exists := func() bool {
		_, err := os.Stat(markerPath)
		return err == nil
	}
	s := NewSync(os.DirFS(root), "/var/run/safeinternet/ntp-synced", time.Time{})
	s.kernel = func() (bool, error) { return false, nil }

	steps := []struct {
		action, stratum string
		marker          bool
	}{
		{"periodic", "2", false}, // not an event the script acts on
		{"step", "16", false},    // a step before the first stratum: no sync yet
		{"stratum", "2", true},
		{"step", "16", true}, // a later step leaves the marker alone
		{"stratum", "16", false},
		{"step", "3", true},
		{"unsync", "16", false},
		{"stratum", "", false},
		{"stratum", "x", false},
	}
	for _, st := range steps {
		run(st.action, st.stratum)
		if got := exists(); got != st.marker {
			t.Fatalf("after ACTION=%s stratum=%q: marker exists = %v, want %v", st.action, st.stratum, got, st.marker)
		}
		// The marker names a time from this boot: Sync accepts it.
		if want := st.marker; s.Check(time.Now()).Synced() != want {
			t.Errorf("after ACTION=%s stratum=%q: Check = %v", st.action, st.stratum, s.Check(time.Now()))
		}
	}
	entries, err := os.ReadDir(filepath.Dir(markerPath))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}
