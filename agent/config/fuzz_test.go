package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeinternet/cpe/agent/schedule"
	"github.com/safeinternet/cpe/agent/uci"
)

// FuzzLoadBytes checks that no input panics the loader and that whatever it
// accepts keeps the Config's promises.
func FuzzLoadBytes(f *testing.F) {
	for _, name := range []string{"valid", "errors"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(DefaultFile))
	f.Add([]byte(DemoFile))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := LoadBytes("fuzz", data)
		if err != nil {
			return
		}
		if len(cfg.LAN) == 0 || cfg.Queues < 1 || cfg.Queues > 64 || int(cfg.Queue)+int(cfg.Queues)-1 > 65535 ||
			cfg.Guard < 1 || cfg.Guard > 64 || cfg.Layout.Mask() == 0 {
			t.Fatalf("accepted config breaks its invariants: %+v", cfg)
		}
		macs := map[[6]byte]bool{}
		for _, d := range cfg.Devices {
			if macs[d.MAC] || d.Name == "" {
				t.Fatalf("device %+v repeats a MAC or has no name", d)
			}
			macs[d.MAC] = true
			for _, b := range d.Block {
				if n, err := NormalizeDomain(b); err != nil || n != b {
					t.Fatalf("block entry %q is not normal", b)
				}
			}
		}
	})
}

// FuzzEditNames checks that whatever a person, a schedule or a device is
// called, the editor writes sections that uci can write and read back,
// under names of their own, and that the configuration either shows the
// names as given or refuses them — the names, nothing else.
func FuzzEditNames(f *testing.F) {
	for _, s := range []string{"Ali", "Лейла", "Zəhra Əliyeva", "2nd shift", "  ", "", "child", "a'b\"c\\",
		"x\x00y", "tab\there", strings.Repeat("ab ", 30), "___", "9"} {
		f.Add(s)
	}
	cfg, err := LoadBytes(Package, []byte(editFile))
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, name string) {
		secs, _ := uci.Parse(Package, []byte(editFile))
		e := NewEditor(secs, cfg, now)
		person, err := e.PutPerson(Person{Display: name, Profile: "teen"})
		if err != nil {
			t.Fatal(err)
		}
		sched, err := e.PutSchedule(Schedule{Display: name, Kind: Bedtime, Week: schedule.Week{{Days: schedule.AllDays}}})
		if err != nil {
			t.Fatal(err)
		}
		e.PutDevice(Device{MAC: [6]byte{2, 0, 0, 0, 0, 0xb}, Name: name})
		if person == sched {
			t.Fatalf("%q: a person and a schedule both named %q", name, person)
		}
		data, err := uci.Marshal(e.Sections())
		if err != nil {
			if !strings.ContainsRune(name, 0) {
				t.Fatalf("%q: %v", name, err)
			}
			return
		}
		got, err := LoadBytes(Package, data)
		if err != nil {
			var join interface{ Unwrap() []error }
			errs := []error{err}
			if errors.As(err, &join) {
				errs = join.Unwrap()
			}
			for _, err := range errs {
				if fe, ok := err.(*FieldError); !ok || fe.Option() != OptName {
					t.Fatalf("%q: refused otherwise than on its name: %v\n%s", name, err, data)
				}
			}
			return
		}
		p, s, d := got.People[len(got.People)-1], got.Schedules[len(got.Schedules)-1], got.Devices[len(got.Devices)-1]
		shown := func(fallback string) string {
			if name == "" {
				return fallback
			}
			return name
		}
		if p.Name != person || p.Display != shown(person) || s.Name != sched || s.Display != shown(sched) ||
			d.Name != shown("dev_02000000000b") {
			t.Fatalf("%q: shown as %q (%s), %q (%s), %q", name, p.Display, p.Name, s.Display, s.Name, d.Name)
		}
	})
}
