package uci

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics and that whatever it accepts
// survives Marshal and Parse unchanged (lines aside).
func FuzzParse(f *testing.F) {
	for _, name := range []string{"syntax", "crlf"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"config t\n",
		"config t n\n\toption a 'b'\n\tlist c \"d\\\"\"\n",
		"config t; option a 'x'\\''y'; list b c#d\n",
		"config t\noption a 'multi\nline'\n",
		"config t\noption a \\\n'b'\n",
		"c 'a;b' x\no y z\r\n",
		"package p\nconfig t\n",
		"config t\noption a \"unterminated\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sections, err := Parse("fuzz", data)
		if err != nil {
			return
		}
		for _, s := range sections {
			if s.Line < 1 {
				t.Fatalf("section %q at line %d", s.Type, s.Line)
			}
		}
		roundTrip(t, sections)
	})
}

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "syntax"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("syntax", data); err != nil {
			b.Fatal(err)
		}
	}
}
