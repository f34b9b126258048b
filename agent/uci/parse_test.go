package uci

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// dump renders sections one statement per line, for failure messages.
func dump(sections []*Section) string {
	var b strings.Builder
	for _, s := range sections {
		fmt.Fprintf(&b, "L%d config %q %q (index %d)\n", s.Line, s.Type, s.Name, s.Index)
		for _, o := range s.Options {
			fmt.Fprintf(&b, "  L%d %s %q=%q\n", o.Line, map[bool]string{false: "option", true: "list"}[o.List], o.Name, o.Value)
		}
	}
	return b.String()
}

func checkSections(t *testing.T, got, want []*Section) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sections differ\ngot:\n%s\nwant:\n%s", dump(got), dump(want))
	}
}

func TestReadFileSyntax(t *testing.T) {
	got, err := ReadFile(os.DirFS("testdata"), "syntax")
	if err != nil {
		t.Fatal(err)
	}
	want := []*Section{
		{Type: "agent", Name: "main", Index: 0, Line: 4, Options: []Option{
			{Name: "plain", Value: "value", Line: 5},
			{Name: "single", Value: "two words", Line: 6},
			{Name: "double", Value: `say "hi"`, Line: 7},
			{Name: "mixed", Value: "it's", Line: 8},
			{Name: "empty", Value: "", Line: 9},
			{Name: "lan", Value: "br-lan", List: true, Line: 10},
			{Name: "lan", Value: "br-guest", List: true, Line: 11},
			{Name: "hash", Value: "a#b", Line: 12},
			{Name: "joined", Value: "onetwo", Line: 13},
		}},
		{Type: "device", Index: 0, Line: 16, Options: []Option{
			{Name: "mac", Value: "02:00:00:00:00:0a", Line: 17},
			{Name: "multi", Value: "line one\nline two", Line: 18},
		}},
		{Type: "device", Name: "named_1", Index: 1, Line: 21, Options: []Option{
			{Name: "name", Value: "Ali", Line: 21},
			{Name: "block", Value: "games.test", List: true, Line: 21},
			{Name: "escaped", Value: `back\slash space`, Line: 22},
			{Name: "cont", Value: "first second", Line: 23},
		}},
	}
	checkSections(t, got, want)
	if p := got[1].Path(); p != "@device[0]" {
		t.Errorf("anonymous Path() = %q, want @device[0]", p)
	}
	if p := got[2].Path(); p != "named_1" {
		t.Errorf("named Path() = %q, want named_1", p)
	}
}

func TestReadFileCRLF(t *testing.T) {
	got, err := ReadFile(os.DirFS("testdata"), "crlf")
	if err != nil {
		t.Fatal(err)
	}
	want := []*Section{{Type: "agent", Name: "main", Line: 1, Options: []Option{
		{Name: "queue", Value: "3", Line: 2},
		{Name: "lan", Value: "br-lan", List: true, Line: 3},
	}}}
	checkSections(t, got, want)
}

func TestReadFileErrors(t *testing.T) {
	fsys := fstest.MapFS{
		"big": &fstest.MapFile{Data: make([]byte, MaxSize+1)},
		"bad": &fstest.MapFile{Data: []byte("config agent\n\toption 'bad name' x\n")},
	}
	if _, err := ReadFile(fsys, "missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: err = %v, want fs.ErrNotExist", err)
	}
	if _, err := ReadFile(fsys, "big"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("big file: err = %v, want ErrTooLarge", err)
	}
	_, err := ReadFile(fsys, "bad")
	var se *SyntaxError
	if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
		t.Fatalf("bad file: err = %v, want a *SyntaxError", err)
	}
	if se.File != "bad" || se.Line != 2 {
		t.Errorf("bad file: error at %s:%d, want bad:2", se.File, se.Line)
	}
	if want := `uci: bad:2: invalid option name "bad name"`; err.Error() != want {
		t.Errorf("bad file: %q, want %q", err.Error(), want)
	}
}

func TestParse(t *testing.T) {
	sec := func(typ, name string, index, line int, opts ...Option) *Section {
		return &Section{Type: typ, Name: name, Index: index, Line: line, Options: opts}
	}
	opt := func(name, value string, line int) Option { return Option{Name: name, Value: value, Line: line} }
	list := func(name, value string, line int) Option {
		return Option{Name: name, Value: value, List: true, Line: line}
	}
	tests := []struct {
		name string
		in   string
		want []*Section
	}{
		{"empty file", "", nil},
		{"only comments and blanks", "# one\n\n   # two\n\t\n", nil},
		{"anonymous section", "config device\n", []*Section{sec("device", "", 0, 1)}},
		{"empty name is anonymous", "config device ''\n", []*Section{sec("device", "", 0, 1)}},
		{"no final newline", "config a b\noption c d", []*Section{sec("a", "b", 0, 1, opt("c", "d", 2))}},
		{"index counts named and anonymous", "config t x\nconfig u\nconfig t\nconfig t y\n", []*Section{
			sec("t", "x", 0, 1), sec("u", "", 0, 2), sec("t", "", 1, 3), sec("t", "y", 2, 4),
		}},
		{"repeated named section stays two", "config t x\nconfig t x\n", []*Section{sec("t", "x", 0, 1), sec("t", "x", 1, 2)}},
		{"option without value", "config t\noption a\n", []*Section{sec("t", "", 0, 1, opt("a", "", 2))}},
		{"repeated option kept in order", "config t\noption a 1\noption a 2\n", []*Section{
			sec("t", "", 0, 1, opt("a", "1", 2), opt("a", "2", 3)),
		}},
		{"leading spaces and tabs", "  \t config t\n \t  option a 1\n", []*Section{sec("t", "", 0, 1, opt("a", "1", 2))}},
		{"unquoted backslash escapes", `config t` + "\n" + `option a \'x\'\#\;` + "\n", []*Section{
			sec("t", "", 0, 1, opt("a", "'x'#;", 2)),
		}},
		{"double quote keeps single quote and hash", "config t\noption a \"it's #1\"\n", []*Section{
			sec("t", "", 0, 1, opt("a", "it's #1", 2)),
		}},
		{"single quote keeps backslash", "config t\noption a 'c:\\dir'\n", []*Section{
			sec("t", "", 0, 1, opt("a", `c:\dir`, 2)),
		}},
		{"double quote backslash takes next literally", "config t\noption a \"\\n\\\\\"\n", []*Section{
			sec("t", "", 0, 1, opt("a", `n\`, 2)),
		}},
		{"parts join", "config t\noption a x'y z'\"w\"v\n", []*Section{sec("t", "", 0, 1, opt("a", "xy zwv", 2))}},
		{"comment ends an unquoted word", "config t\noption a b#c d\n", []*Section{sec("t", "", 0, 1, opt("a", "b", 2))}},
		{"comment right after a quote", "config t\noption a 'b'# c\n", []*Section{sec("t", "", 0, 1, opt("a", "b", 2))}},
		{"semicolons separate statements", "config t; option a 1;list b 2 ; option c '3;'\n", []*Section{
			sec("t", "", 0, 1, opt("a", "1", 1), list("b", "2", 1), opt("c", "3;", 1)),
		}},
		{"continuation between words", "config t\noption a \\\n'b'\nlist c d\n", []*Section{
			sec("t", "", 0, 1, opt("a", "b", 2), list("c", "d", 4)),
		}},
		{"multi-line single quote counts lines", "config t\noption a 'x\ny\nz'\noption b 1\n", []*Section{
			sec("t", "", 0, 1, opt("a", "x\ny\nz", 2), opt("b", "1", 5)),
		}},
		{"crlf inside quotes reads as lf", "config t\r\noption a 'x\r\ny'\r\n", []*Section{
			sec("t", "", 0, 1, opt("a", "x\ny", 2)),
		}},
		{"type with punctuation", "config 'my-type.x'\n", []*Section{sec("my-type.x", "", 0, 1)}},
		{"empty word after value is ignored", "config t\noption a 1 ''\n", []*Section{sec("t", "", 0, 1, opt("a", "1", 2))}},
		{"package statement ignored", "package safeinternet\nconfig t\n", []*Section{sec("t", "", 0, 2)}},
		{"utf-8 value", "config t\noption name 'Ali’s tablet'\n", []*Section{sec("t", "", 0, 1, opt("name", "Ali’s tablet", 2))}},
		{"backslash at end of data dropped", "config t\noption a b\\", []*Section{sec("t", "", 0, 1, opt("a", "b", 2))}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse("test", []byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			checkSections(t, got, tc.want)
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		line int
		msg  string
	}{
		{"unknown command", "config t\nopt a b\n", 2, `invalid command "opt"`},
		{"option before config", "# x\noption a b\n", 2, "option before the first config"},
		{"list before config", "list a b\n", 1, "list before the first config"},
		{"config without type", "config\n", 1, "config without type"},
		{"config with empty type", "config '' x\n", 1, "config without type"},
		{"bad type", "config 'a b'\n", 1, `invalid section type "a b"`},
		{"bad section name", "config t my-name\n", 1, `invalid section name "my-name"`},
		{"option without name", "config t\noption\n", 2, "option without name"},
		{"bad option name", "config t\noption a.b c\n", 2, `invalid option name "a.b"`},
		{"too many config arguments", "config t n x\n", 1, "too many arguments to config"},
		{"too many option arguments", "config t\noption a b c\n", 2, "too many arguments to option"},
		{"unquoted space in value", "config t\n\toption name Ali tablet\n", 2, "too many arguments to option"},
		{"unterminated single quote", "config t\noption a 'b\n\n", 2, "unterminated single quote"},
		{"unterminated double quote", "config t\n\noption a \"b\\\"\n", 3, "unterminated double quote"},
		{"double quote ends in backslash", "config t\noption a \"b\\", 2, "unterminated double quote"},
		{"nul in value", "config t\noption a 'b\x00'\n", 2, "NUL byte"},
		{"nul in word", "config t\noption a b\x00\n", 2, "NUL byte"},
		{"nul in command", "con\x00fig t\n", 1, "NUL byte"},
		{"package without name", "package\n", 1, "package without name"},
		{"bad package name", "package a.b\n", 1, `invalid package name "a.b"`},
		{"lone cr is space", "config t\roption a 1\n", 1, "too many arguments to config"},
		{"line counted through continuation", "config t\\\n x\noption\n", 3, "option without name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse("f", []byte(tc.in))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *SyntaxError; sections:\n%s", err, dump(got))
			}
			if se.Line != tc.line || se.Msg != tc.msg {
				t.Errorf("error %d %q, want %d %q", se.Line, se.Msg, tc.line, tc.msg)
			}
			if got != nil {
				t.Errorf("sections returned with an error: %s", dump(got))
			}
		})
	}
}
