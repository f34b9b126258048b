package config

import (
	"os"
	"path/filepath"
	"testing"
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
