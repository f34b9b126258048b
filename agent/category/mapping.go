package category

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"strings"
	"sync"
)

//go:embed mapping.tsv
var defaultMapping string

// Mapping maps source category names (UT1's "drogue", a list's file name) to
// our IDs. It is immutable once built and safe for concurrent use.
type Mapping struct {
	m map[string]ID
}

var (
	defaultOnce sync.Once
	defaultMap  *Mapping
)

// DefaultMapping returns the mapping embedded from mapping.tsv. The result is
// shared: callers must not modify it (Mapping has no mutating method).
func DefaultMapping() *Mapping {
	defaultOnce.Do(func() {
		m, err := ParseMapping(strings.NewReader(defaultMapping))
		if err != nil {
			panic(err) // mapping.tsv is part of the source; TestDefaultMapping keeps it valid
		}
		defaultMap = m
	})
	return defaultMap
}

// ParseMapping reads a mapping in the form of mapping.tsv: one
// "source<TAB>category" a line, where category is an ID name; text after a
// further tab or a '#' is a comment; blank lines and lines starting with '#'
// are ignored. Unknown category names and sources given twice are errors,
// reported with their line number.
func ParseMapping(r io.Reader) (*Mapping, error) {
	m := &Mapping{m: make(map[string]ID)}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 2 {
			return nil, fmt.Errorf("category: parse mapping: line %d: want source<TAB>category", n)
		}
		src, name := strings.TrimSpace(f[0]), strings.TrimSpace(f[1])
		id, ok := ParseID(name)
		if !ok {
			return nil, fmt.Errorf("category: parse mapping: line %d: unknown category %q", n, name)
		}
		if src == "" {
			return nil, fmt.Errorf("category: parse mapping: line %d: empty source", n)
		}
		if _, dup := m.m[src]; dup {
			return nil, fmt.Errorf("category: parse mapping: line %d: source %q mapped twice", n, src)
		}
		m.m[src] = id
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("category: parse mapping: %w", err)
	}
	return m, nil
}

// Lookup returns the ID that source maps to, and whether it is mapped.
func (m *Mapping) Lookup(source string) (ID, bool) {
	id, ok := m.m[source]
	return id, ok
}

// Len returns the number of mapped sources.
func (m *Mapping) Len() int { return len(m.m) }
