package category

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ut1Want is what testdata/ut1 (and the archive built from the same files)
// gives with the default mapping.
var ut1Want = map[string]Set{
	"bet.example":    Set(0).With(Gambling).With(Drugs),
	"casino.example": Set(0).With(Gambling),
	"weed.example":   Set(0).With(Drugs),
	"school.example": Set(0).With(Allowlist),
}

func checkUT1(t *testing.T, path string) {
	t.Helper()
	got := map[string]Set{}
	st, err := ReadUT1(path, DefaultMapping(), func(d []byte, id ID) { got[string(d)] = got[string(d)].With(id) })
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, ut1Want) {
		t.Errorf("got %v, want %v", got, ut1Want)
	}
	if want := map[string]int{"gambling": 2, "drogue": 2, "liste_blanche": 1}; !maps.Equal(st.Categories, want) {
		t.Errorf("Categories = %v, want %v", st.Categories, want)
	}
	if want := map[string]int{"jobsearch": 1}; !maps.Equal(st.Unmapped, want) {
		t.Errorf("Unmapped = %v, want %v", st.Unmapped, want)
	}
	if st.Added != 5 || st.Skipped[ReasonIP] != 1 || st.Comments != 1 || st.Blank != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestReadUT1Dir(t *testing.T) {
	checkUT1(t, filepath.Join("testdata", "ut1", "blacklists"))
	checkUT1(t, filepath.Join("testdata", "ut1")) // the folder above works too
}

// writeUT1Archive packs testdata/ut1 into a gzip tar, as UT1 publishes it,
// with a symlink and a directory entry thrown in.
func writeUT1Archive(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	root := filepath.Join("testdata", "ut1")
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			return tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel) + "/", Typeflag: tar.TypeDir, Mode: 0o755})
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b))}); err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.WriteHeader(&tar.Header{Name: "blacklists/porn/domains", Typeflag: tar.TypeSymlink, Linkname: "../adult/domains"}); err != nil {
		t.Fatal(err)
	}
	tw.Close()
	zw.Close()
	path := filepath.Join(t.TempDir(), "blacklists.tar.gz")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadUT1Archive(t *testing.T) {
	checkUT1(t, writeUT1Archive(t))
}

func TestReadUT1Errors(t *testing.T) {
	dir := t.TempDir()
	notGzip := filepath.Join(dir, "x.tar.gz")
	os.WriteFile(notGzip, []byte("not gzip"), 0o644)
	for name, path := range map[string]string{"missing": filepath.Join(dir, "none"), "not gzip": notGzip} {
		if _, err := ReadUT1(path, DefaultMapping(), func([]byte, ID) {}); err == nil || !strings.HasPrefix(err.Error(), "category: read ut1: ") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	// A truncated archive fails, after loading what came before.
	b, _ := os.ReadFile(writeUT1Archive(t))
	cut := filepath.Join(dir, "cut.tar.gz")
	os.WriteFile(cut, b[:len(b)/2], 0o644)
	if _, err := ReadUT1(cut, DefaultMapping(), func([]byte, ID) {}); err == nil {
		t.Error("truncated archive: no error")
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("||ads.example^\n||bet.example^\n"))
	zw.Close()
	os.WriteFile(filepath.Join(dir, "hagezi-light_adblock.txt.gz"), gz.Bytes(), 0o644)
	os.WriteFile(filepath.Join(dir, "own.txt"), []byte("0.0.0.0 games.example\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "unknown.txt"), []byte("x.example\n"), 0o644)
	srcs := []Source{
		{Path: filepath.Join("testdata", "ut1"), UT1: true},
		{Path: filepath.Join(dir, "hagezi-light_adblock.txt.gz"), Format: FormatAdblock},
		{Path: filepath.Join(dir, "own.txt"), Format: FormatHosts, Set: Set(0).With(Games)},
		{Path: filepath.Join(dir, "unknown.txt")},
	}
	got := map[string]Set{}
	st, err := Load(srcs, DefaultMapping(), func(d []byte, s Set) { got[string(d)] |= s })
	if err != nil {
		t.Fatal(err)
	}
	want := maps.Clone(ut1Want)
	want["ads.example"] = Set(0).With(Ads)
	want["bet.example"] = want["bet.example"].With(Ads)
	want["games.example"] = Set(0).With(Games)
	if !maps.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if st.Categories["hagezi-light_adblock"] != 2 || st.Categories["own"] != 1 || st.Unmapped["unknown"] != 1 || st.Unmapped["jobsearch"] != 1 {
		t.Errorf("stats %+v", st)
	}
	srcs = append(srcs, Source{Path: filepath.Join(dir, "missing.txt")})
	if _, err := Load(srcs, DefaultMapping(), func([]byte, Set) {}); err == nil || !strings.Contains(err.Error(), "category: load ") {
		t.Errorf("missing file: err = %v", err)
	}
}
