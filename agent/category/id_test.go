package category

import (
	"archive/tar"
	"compress/gzip"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestIDNames(t *testing.T) {
	want := []string{"adult", "gambling", "violence", "hate", "drugs", "weapons", "crime", "dating",
		"games", "social", "chat", "video", "vpn", "doh", "malware", "allowlist",
		"shopping", "news", "kids", "ads"}
	all := All()
	if len(all) != len(want) {
		t.Fatalf("All() has %d IDs, want %d", len(all), len(want))
	}
	for i, id := range all {
		if id != ID(i+1) {
			t.Errorf("All()[%d] = %d, want %d", i, id, i+1)
		}
		if got := id.String(); got != want[i] {
			t.Errorf("ID(%d).String() = %q, want %q (names are stable)", id, got, want[i])
		}
		if back, ok := ParseID(want[i]); !ok || back != id {
			t.Errorf("ParseID(%q) = %d, %v", want[i], back, ok)
		}
	}
	if _, ok := ParseID("Adult"); ok {
		t.Error("ParseID is case-sensitive")
	}
	if got := ID(0).String(); got != "category(0)" {
		t.Errorf("ID(0).String() = %q", got)
	}
	if maxID > MaxID {
		t.Errorf("%d categories do not fit a Set / ct mark (max %d)", maxID, MaxID)
	}
}

func TestSet(t *testing.T) {
	var s Set
	if s.String() != "none" || s.IDs() != nil {
		t.Errorf("empty set: %q %v", s.String(), s.IDs())
	}
	s = s.With(VPN).With(Adult).With(Adult).With(40)
	if !s.Has(Adult) || !s.Has(VPN) || s.Has(Gambling) || s.Has(40) {
		t.Errorf("set %b", s)
	}
	if got := s.IDs(); !slices.Equal(got, []ID{Adult, VPN}) {
		t.Errorf("IDs() = %v", got)
	}
	if got := s.String(); got != "adult,vpn" {
		t.Errorf("String() = %q", got)
	}
}

func TestParseMapping(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
		want     map[string]ID
	}{
		{"comments and CRLF", "# c\r\n\r\ndrogue\tdrugs\t# why\r\nvpn\tvpn # inline\n", true, map[string]ID{"drogue": Drugs, "vpn": VPN}},
		{"unknown category", "x\tnope\n", false, nil},
		{"no tab", "x drugs\n", false, nil},
		{"twice", "x\tdrugs\nx\tvpn\n", false, nil},
		{"empty source", "\tdrugs\n", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMapping(strings.NewReader(tt.in))
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok %v", err, tt.ok)
			}
			if err != nil {
				if !strings.HasPrefix(err.Error(), "category: parse mapping: line ") {
					t.Errorf("error %q lacks the operation and line", err)
				}
				return
			}
			if m.Len() != len(tt.want) {
				t.Errorf("Len() = %d, want %d", m.Len(), len(tt.want))
			}
			for src, id := range tt.want {
				if got, ok := m.Lookup(src); !ok || got != id {
					t.Errorf("Lookup(%q) = %v, %v; want %v", src, got, ok, id)
				}
			}
		})
	}
}

func TestDefaultMapping(t *testing.T) {
	m := DefaultMapping()
	for src, want := range map[string]ID{
		"gambling": Gambling, "agressif": Violence, "drogue": Drugs, "social_networks": Social,
		"redirector": VPN, "liste_blanche": Allowlist, "child": Kids, "doh": DoH,
		"cryptojacking": Malware, "hagezi-light_adblock": Ads, "blocklistproject-phishing": Malware,
	} {
		if got, ok := m.Lookup(src); !ok || got != want {
			t.Errorf("Lookup(%q) = %v, %v; want %v", src, got, ok, want)
		}
	}
	for _, src := range []string{"sexual_education", "jobsearch", "shortener"} {
		if id, ok := m.Lookup(src); ok {
			t.Errorf("%q is mapped to %v; it is meant to stay unmapped", src, id)
		}
	}
}

// TestMappingCoversUT1 checks that mapping.tsv decides on every category of
// the real UT1 archive: each is mapped or named in the file's comments.
func TestMappingCoversUT1(t *testing.T) {
	archive := filepath.Join(dataDir(t), "ut1", "blacklists.tar.gz")
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	cats := 0
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if path.Base(h.Name) != "domains" {
			continue
		}
		cats++
		cat := path.Base(path.Dir(h.Name))
		if _, ok := DefaultMapping().Lookup(cat); ok {
			continue
		}
		if !strings.Contains(defaultMapping, " "+cat+",") && !strings.Contains(defaultMapping, " "+cat+"\n") &&
			!strings.Contains(defaultMapping, "#   "+cat+" ") {
			t.Errorf("UT1 category %q is neither mapped nor documented as unmapped in mapping.tsv", cat)
		}
	}
	if cats != 64 {
		t.Errorf("archive has %d categories, want 64", cats)
	}
}

// dataDir returns the shared data folder (../shared/data next to the module
// root), skipping the test when it is absent.
func dataDir(tb testing.TB) string {
	tb.Helper()
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for d := wd; filepath.Dir(d) != d; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			data := filepath.Join(d, "..", "shared", "data")
			if _, err := os.Stat(filepath.Join(data, "ut1", "blacklists.tar.gz")); err != nil {
				tb.Skipf("real lists absent (%s): skipping", data)
			}
			return data
		}
	}
	tb.Skip("no go.mod above the package: cannot find ../shared/data; skipping")
	return ""
}
