package policy

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/config"
	"github.com/safeinternet/cpe/agent/internal/corpus"
)

// BenchmarkDecide measures one decision (ns/op is ns per decision) on a
// small household.
func BenchmarkDecide(b *testing.B) {
	s := deviceHousehold(b)
	for _, bc := range []struct {
		name string
		q    Query
	}{
		{"blocked", Query{MAC: macTablet, HasMAC: true, Name: []byte("www.games.test")}},
		{"allowed-5-labels", Query{MAC: macTablet, HasMAC: true, Name: []byte("a.b.c.example.org")}},
		{"upper-case", Query{MAC: macTablet, HasMAC: true, Name: []byte("WWW.GAMES.TEST")}},
		{"unknown-device", Query{MAC: macOther, HasMAC: true, Name: []byte("www.games.test")}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.Decide(bc.q)
			}
		})
	}
}

// BenchmarkDecideUT1Games measures decisions for a device that blocks the
// whole UT1 "games" list (about 34,000 domains, from ../shared/data), with
// names taken from the list: "www."+entry is blocked, entry+".example" is
// allowed after walking every label.
func BenchmarkDecideUT1Games(b *testing.B) {
	domains := ut1Domains(b, "games")
	cfg := &config.Config{Devices: []config.Device{{MAC: macTablet, Name: "t"}}}
	for _, d := range domains {
		if n, err := config.NormalizeDomain(d); err == nil {
			cfg.Devices[0].Block = append(cfg.Devices[0].Block, n)
		}
	}
	s, err := Compile(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	const n = 1024
	blocked := make([][]byte, 0, n)
	allowed := make([][]byte, 0, n)
	step := max(1, len(cfg.Devices[0].Block)/n)
	for i := 0; i < len(cfg.Devices[0].Block) && len(blocked) < n; i += step {
		e := cfg.Devices[0].Block[i]
		blocked = append(blocked, []byte("www."+e))
		allowed = append(allowed, []byte(e+".example"))
	}
	b.Logf("%d entries", len(cfg.Devices[0].Block))
	for _, bc := range []struct {
		name  string
		names [][]byte
		want  Action
	}{{"blocked", blocked, Block}, {"allowed", allowed, Allow}} {
		b.Run(bc.name, func(b *testing.B) {
			for _, name := range bc.names {
				if d := s.Decide(Query{MAC: macTablet, HasMAC: true, Name: name}); d.Action != bc.want {
					b.Fatalf("%s: %+v, want %v", name, d, bc.want)
				}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				s.Decide(Query{MAC: macTablet, HasMAC: true, Name: bc.names[i%len(bc.names)]})
				i++
			}
		})
	}
}

// ut1Domains reads one category's domains from the UT1 archive in the shared
// data folder, or skips when it is absent.
func ut1Domains(b *testing.B, category string) []string {
	b.Helper()
	dir, err := os.Getwd()
	if err != nil {
		b.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			b.Skip("repository root (go.mod) not found")
		}
		dir = parent
	}
	path := filepath.Join(dir, "..", "shared", "data", "ut1", "blacklists.tar.gz")
	f, err := os.Open(path)
	if err != nil {
		b.Skipf("UT1 lists not available: %v", err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	tr := tar.NewReader(z)
	want := fmt.Sprintf("blacklists/%s/domains", category)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			b.Skipf("%s not in %s", want, path)
		}
		if err != nil {
			b.Fatal(err)
		}
		if h.Name != want {
			continue
		}
		var out []string
		sc := bufio.NewScanner(tr)
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
				out = append(out, line)
			}
		}
		if err := sc.Err(); err != nil {
			b.Fatal(err)
		}
		return out
	}
}

// BenchmarkDecideHousehold measures one decision of the full chain for a
// child of a household (profile categories, bedtime and focus schedules,
// limits, overrides, the ISP floor) against the category lists of the
// shared corpus (UT1 and the other lists, about a million domains, from
// ../shared/data; skipped when absent). Goal: ≤ 1 µs, 0 allocations.
func BenchmarkDecideHousehold(b *testing.B) {
	dir, err := corpus.Dir()
	if err != nil {
		b.Skip(err)
	}
	load, err := corpus.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	builder := category.NewBuilder()
	if _, err := load(builder.Add); err != nil {
		b.Fatal(err)
	}
	m := builder.Build()
	cfg, err := config.LoadBytes("household", []byte(householdConf))
	if err != nil {
		b.Fatal(err)
	}
	s, err := Compile(cfg, m)
	if err != nil {
		b.Fatal(err)
	}
	loc, err := time.LoadLocation("Asia/Baku")
	if err != nil {
		b.Fatal(err)
	}
	day := time.Date(2026, 12, 7, 10, 0, 0, 0, loc)
	used := NewUsage(map[string]Exhausted{"ali": {Categories: category.Set(0).With(category.Games)}})
	for _, bc := range []struct {
		name string
		q    Query
		want Reason
	}{
		{"category-blocked", Query{MAC: macAli, HasMAC: true, Name: []byte("www.bet365.com"), Kind: TLS, Now: day}, ReasonCategory},
		{"allowed-uncategorised", Query{MAC: macAli, HasMAC: true, Name: []byte("a.b.c.example.org"), Kind: TLS, Now: day, Usage: used}, ReasonDefault},
		{"bedtime", Query{MAC: macAli, HasMAC: true, Name: []byte("www.wikipedia.org"), Kind: DNS, Now: day.Add(12 * time.Hour), Usage: used}, ReasonBedtime},
		{"adult-allowed", Query{MAC: macMom, HasMAC: true, Name: []byte("www.wikipedia.org"), Kind: DNS, Now: day}, ReasonDefault},
	} {
		if got := s.Decide(bc.q).Reason; got != bc.want {
			b.Fatalf("%s: reason %v, want %v", bc.name, got, bc.want)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.Decide(bc.q)
			}
		})
	}
	b.ReportMetric(float64(m.Len()), "list-domains")
}
