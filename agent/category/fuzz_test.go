package category

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedLists adds the first lines of every real list (when present) and
// hand-made edge cases to f, with the format each is in.
func seedLists(f *testing.F) {
	for _, s := range []string{
		"example.com\n# c\r\n\n", "0.0.0.0 a.example b.example\n127.0.0.1 localhost\n",
		"||a.example^\n@@||b.example^\n||c.example^$third-party\n||d.example/x\n[Adblock Plus 2.0]\n! x\n",
		"*.a.example\n*.*.b\n", "1.2.3.4\n::1 x\n", strings.Repeat("a.", 130) + "\n",
	} {
		for format := range formatNames {
			f.Add([]byte(s), uint8(format))
		}
	}
	wd, _ := os.Getwd()
	lists, _ := filepath.Glob(filepath.Join(wd, "..", "..", "..", "shared", "data", "lists", "*.txt.gz"))
	for _, p := range lists {
		fh, err := os.Open(p)
		if err != nil {
			continue
		}
		zr, err := gzip.NewReader(fh)
		if err == nil {
			var b bytes.Buffer
			sc := bufio.NewScanner(zr)
			for i := 0; i < 40 && sc.Scan(); i++ {
				b.Write(sc.Bytes())
				b.WriteByte('\n')
			}
			f.Add(b.Bytes(), uint8(FormatAuto))
		}
		fh.Close()
	}
}

// FuzzReadList: no input panics; every name given to add is valid and
// normalized; the counts add up.
func FuzzReadList(f *testing.F) {
	seedLists(f)
	f.Fuzz(func(t *testing.T, data []byte, format uint8) {
		fm := Format(format % uint8(len(formatNames)))
		calls := 0
		st, err := ReadList(bytes.NewReader(data), fm, func(d []byte) {
			calls++
			var buf [MaxName]byte
			n, r := normalize(d, &buf)
			if r != reasonOK || !bytes.Equal(buf[:n], d) {
				t.Fatalf("added %q, which normalizes to %q (reason %v)", d, buf[:n], r)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		sum := 0
		for _, n := range st.Skipped {
			sum += n
		}
		if calls != st.Added || sum != st.Invalid || st.Lines < st.Comments+st.Blank {
			t.Fatalf("stats %+v, %d calls", st, calls)
		}
		if lines := bytes.Count(data, []byte("\n")); st.Lines < lines || st.Lines > lines+1 {
			t.Fatalf("Lines = %d for %d newlines", st.Lines, lines)
		}
	})
}

// FuzzReadMatcher: corrupt compiled forms give an error, never a panic; what
// is accepted can be used and written back identically.
func FuzzReadMatcher(f *testing.F) {
	b := compiled(f, 200)
	f.Add(b)
	f.Add(b[:len(b)/2])
	var e bytes.Buffer
	NewBuilder().Build().WriteTo(&e)
	f.Add(e.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadMatcher(bytes.NewReader(data))
		if err != nil {
			return
		}
		m.Lookup([]byte("www.example.com"))
		m.Suffix([]byte("a.b"), Adult)
		var out bytes.Buffer
		if _, err := m.WriteTo(&out); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), data[:out.Len()]) {
			t.Fatal("accepted input does not write back identically")
		}
	})
}

// FuzzLookup compares Lookup and Suffix with the naive matcher, for listed
// names given one a line (a tab then a category number sets the category).
func FuzzLookup(f *testing.F) {
	f.Add("example.com\nads.example.com\t20\nample.com\t1", "www.ads.example.com", uint8(1))
	f.Add("a\nb.a\t3\nc.b.a\t4", "c.b.a", uint8(4))
	f.Add("x.y", "xx.y", uint8(2))
	f.Fuzz(func(t *testing.T, list, name string, id uint8) {
		ref := naive{}
		for _, line := range strings.Split(list, "\n") {
			d, c, _ := strings.Cut(line, "\t")
			cat := ID(1)
			if len(c) > 0 {
				cat = ID(c[0]%byte(maxID)) + 1
			}
			if d != "" {
				ref[d] = ref[d].With(cat)
			}
		}
		m := build(ref)
		if got, want := m.Lookup([]byte(name)), ref.lookup(name); got != want {
			t.Fatalf("Lookup(%q) = %v, want %v", name, got, want)
		}
		cat := ID(id%byte(maxID)) + 1
		if got, want := m.Suffix([]byte(name), cat), ref.suffix(name, cat); got != want {
			t.Fatalf("Suffix(%q, %v) = %d, want %d", name, cat, got, want)
		}
	})
}
