package policy

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/safeinternet/cpe/agent/config"
)

// oracle is the obvious, slow statement of the block-list rule: a device's
// entry blocks the name itself and every name that ends in "." + entry,
// compared without case and without a trailing dot.
func oracle(cfg *config.Config, q Query) Action {
	if !q.HasMAC {
		return Allow
	}
	name := strings.ToLower(strings.TrimSuffix(string(q.Name), "."))
	for _, d := range cfg.Devices {
		if d.MAC != q.MAC {
			continue
		}
		for _, rule := range d.Block {
			if name == rule || strings.HasSuffix(name, "."+rule) {
				return Block
			}
		}
	}
	return Allow
}

// gen makes random configurations and queries from a small vocabulary, so
// that names and entries often overlap.
type gen struct{ r *rand.Rand }

var labels = []string{"a", "b", "ex", "games", "test", "com", "evil", "x-y", "_s", "example"}

func (g gen) domain(maxLabels int) string {
	n := 1 + g.r.IntN(maxLabels)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = labels[g.r.IntN(len(labels))]
	}
	return strings.Join(parts, ".")
}

func (g gen) config() *config.Config {
	cfg := &config.Config{}
	for i := range 1 + g.r.IntN(3) {
		d := config.Device{MAC: [6]byte{2, 0, 0, 0, 0, byte(i)}, Name: "d"}
		for range g.r.IntN(6) {
			d.Block = append(d.Block, g.domain(3))
		}
		cfg.Devices = append(cfg.Devices, d)
	}
	return cfg
}

func (g gen) query() Query {
	name := g.domain(5)
	if g.r.IntN(4) == 0 {
		name = strings.ToUpper(name)
	}
	if g.r.IntN(4) == 0 {
		name += "."
	}
	return Query{MAC: [6]byte{2, 0, 0, 0, 0, byte(g.r.IntN(4))}, HasMAC: g.r.IntN(10) > 0, Name: []byte(name)}
}

func clone(cfg *config.Config) *config.Config {
	c := *cfg
	c.Devices = slices.Clone(cfg.Devices)
	for i := range c.Devices {
		c.Devices[i].Block = slices.Clone(cfg.Devices[i].Block)
	}
	return &c
}

// TestPropertyAddingEntryNeverUnblocks checks, over seeded random households,
// that adding a block entry never turns a Block into an Allow, that the new
// entry blocks what it names, and that every decision agrees with the
// oracle.
func TestPropertyAddingEntryNeverUnblocks(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(2, 17))}
	for trial := range 500 {
		before := g.config()
		after := clone(before)
		dev := g.r.IntN(len(after.Devices))
		added := g.domain(3)
		after.Devices[dev].Block = append(after.Devices[dev].Block, added)

		s1, err := Compile(before, nil)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := Compile(after, nil)
		if err != nil {
			t.Fatal(err)
		}
		for range 50 {
			q := g.query()
			d1, d2 := s1.Decide(q), s2.Decide(q)
			if d1.Action == Block && d2.Action != Block {
				t.Fatalf("trial %d: adding %q to device %d unblocked %q: %+v then %+v", trial, added, dev, q.Name, d1, d2)
			}
			if want := oracle(before, q); d1.Action != want {
				t.Fatalf("trial %d: Decide(%q) = %v, oracle says %v (entries %v)", trial, q.Name, d1.Action, want, before.Devices)
			}
			if want := oracle(after, q); d2.Action != want {
				t.Fatalf("trial %d: after adding %q, Decide(%q) = %v, oracle says %v", trial, added, q.Name, d2.Action, want)
			}
		}
		// The added entry blocks itself and a name below it.
		for _, name := range []string{added, "www." + added} {
			q := Query{MAC: after.Devices[dev].MAC, HasMAC: true, Name: []byte(name)}
			if d := s2.Decide(q); d.Action != Block {
				t.Fatalf("trial %d: entry %q does not block %q: %+v", trial, added, name, d)
			}
		}
	}
}

// FuzzDecide checks Decide against the oracle for any name: no panic, the
// same answer, the name untouched.
func FuzzDecide(f *testing.F) {
	for _, s := range []string{"games.test", "www.games.test.", "WWW.GAMES.TEST", "badgames.test", "games.test.evil",
		".games.test", "a..games.test", "", ".", strings.Repeat("a.", 130) + "games.test"} {
		f.Add([]byte(s))
	}
	cfg := &config.Config{Devices: []config.Device{{MAC: macTablet, Name: "t",
		Block: []string{"games.test", "example.com", "a.b.c", "test-1", "_dns.resolver.arpa"}}}}
	s, err := Compile(cfg, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name []byte) {
		orig := string(name)
		q := Query{MAC: macTablet, HasMAC: true, Name: name}
		d := s.Decide(q)
		if want := oracle(cfg, q); d.Action != want {
			t.Fatalf("Decide(%q) = %+v, oracle says %v", name, d, want)
		}
		if d.Action == Block && !slices.Contains(cfg.Devices[0].Block, d.Rule) {
			t.Fatalf("Decide(%q) names rule %q, not an entry", name, d.Rule)
		}
		if string(name) != orig {
			t.Fatalf("Decide modified the name %q to %q", orig, name)
		}
	})
}
