package uci

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMarshal(t *testing.T) {
	tests := []struct {
		name     string
		sections []*Section
		want     string
	}{
		{"nothing", nil, ""},
		{"named and anonymous", []*Section{
			{Type: "agent", Name: "main", Options: []Option{
				{Name: "queue", Value: "0"},
				{Name: "lan", Value: "br-lan", List: true},
				{Name: "lan", Value: "br-guest", List: true},
			}},
			{Type: "device", Options: []Option{{Name: "name", Value: "Ali's tablet"}}},
		}, "config agent 'main'\n" +
			"\toption queue '0'\n" +
			"\tlist lan 'br-lan'\n" +
			"\tlist lan 'br-guest'\n" +
			"\n" +
			"config device\n" +
			"\toption name 'Ali'\\''s tablet'\n"},
		{"empty value and newline", []*Section{{Type: "t", Options: []Option{
			{Name: "a", Value: ""}, {Name: "b", Value: "x\ny"},
		}}}, "config t\n\toption a ''\n\toption b 'x\ny'\n"},
		{"type that needs quotes", []*Section{{Type: "a#b"}}, "config 'a#b'\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Marshal(tc.sections)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestMarshalRejects(t *testing.T) {
	tests := []struct {
		name     string
		sections []*Section
		msg      string
	}{
		{"empty type", []*Section{{}}, `section 0: invalid type ""`},
		{"space in type", []*Section{{Type: "a b"}}, `section 0: invalid type "a b"`},
		{"bad section name", []*Section{{Type: "t", Name: "a-b"}}, `section 0: invalid name "a-b"`},
		{"bad option name", []*Section{{Type: "t", Name: "n", Options: []Option{{Name: "a b"}}}}, `n: invalid option name "a b"`},
		{"nul in value", []*Section{{Type: "t", Options: []Option{{Name: "a", Value: "\x00"}}}}, "@t[0].a: value holds a NUL byte"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Marshal(tc.sections)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v, want one containing %q", err, tc.msg)
			}
		})
	}
}

// stripLines clears the Line fields, which a round trip need not keep.
func stripLines(sections []*Section) []*Section {
	out := make([]*Section, len(sections))
	for i, s := range sections {
		c := *s
		c.Line = 0
		c.Options = append([]Option(nil), s.Options...)
		for j := range c.Options {
			c.Options[j].Line = 0
		}
		if len(c.Options) == 0 {
			c.Options = nil
		}
		out[i] = &c
	}
	return out
}

// roundTrip checks that sections survive Marshal and Parse.
func roundTrip(t *testing.T, sections []*Section) {
	t.Helper()
	text, err := Marshal(sections)
	if err != nil {
		t.Fatalf("marshal: %v\n%s", err, dump(sections))
	}
	again, err := Parse("again", text)
	if err != nil {
		t.Fatalf("parse of marshalled text: %v\ntext:\n%s", err, text)
	}
	checkSections(t, stripLines(again), stripLines(sections))
}

func TestRoundTripSyntaxFile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "syntax"))
	if err != nil {
		t.Fatal(err)
	}
	sections, err := Parse("syntax", data)
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, sections)
}

func TestWriteFile(t *testing.T) {
	sections := []*Section{{Type: "agent", Name: "main", Options: []Option{{Name: "queue", Value: "7"}}}}
	want, _ := Marshal(sections)

	t.Run("new file gets 0600", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "safeinternet")
		if err := WriteFile(path, sections); err != nil {
			t.Fatal(err)
		}
		checkFile(t, path, want, 0o600)
		checkNoTemp(t, dir)
	})
	t.Run("replace keeps mode", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "safeinternet")
		if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o640); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(path, sections); err != nil {
			t.Fatal(err)
		}
		checkFile(t, path, want, 0o640)
		checkNoTemp(t, dir)
	})
	t.Run("symlink target replaced", func(t *testing.T) {
		dir := t.TempDir()
		real := filepath.Join(dir, "real")
		link := filepath.Join(dir, "link")
		if err := os.WriteFile(real, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("real", link); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(link, sections); err != nil {
			t.Fatal(err)
		}
		checkFile(t, real, want, 0o644)
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("link was replaced by a file (%v)", err)
		}
		checkNoTemp(t, dir)
	})
	t.Run("invalid sections leave the file alone", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "safeinternet")
		if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(path, []*Section{{Type: ""}}); err == nil {
			t.Fatal("no error for an invalid section")
		}
		checkFile(t, path, []byte("old"), 0o644)
		checkNoTemp(t, dir)
	})
	t.Run("missing directory", func(t *testing.T) {
		dir := t.TempDir()
		err := WriteFile(filepath.Join(dir, "nope", "safeinternet"), sections)
		if err == nil || !strings.HasPrefix(err.Error(), "uci: write ") {
			t.Errorf("err = %v, want a uci: write error", err)
		}
	})
}

func checkFile(t *testing.T, path string, want []byte, mode os.FileMode) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s holds %q, want %q", path, got, want)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != mode {
		t.Errorf("%s mode %v, want %v", path, fi.Mode().Perm(), mode)
	}
}

func checkNoTemp(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}
