package category

import (
	"bytes"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"strings"
	"testing"
)

func crcOf(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

func compiled(t testing.TB, n int) []byte {
	r := rand.New(rand.NewPCG(7, 8))
	var buf bytes.Buffer
	if _, err := build(randomEntries(r, n)).WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadMatcherTruncated(t *testing.T) {
	b := compiled(t, 300)
	for i := 0; i < len(b); i++ {
		_, err := ReadMatcher(bytes.NewReader(b[:i]))
		if !errors.Is(err, ErrCorrupt) || !strings.HasPrefix(err.Error(), "category: read matcher: ") {
			t.Fatalf("cut at %d of %d: err = %v", i, len(b), err)
		}
	}
}

func TestReadMatcherCorrupt(t *testing.T) {
	b := compiled(t, 300)
	// Every single-bit flip is caught (by a structural check or the checksum).
	for i := 0; i < len(b)*8; i += 3 {
		c := bytes.Clone(b)
		c[i/8] ^= 1 << (i % 8)
		if _, err := ReadMatcher(bytes.NewReader(c)); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("bit %d flipped: err = %v", i, err)
		}
	}
	tests := []struct {
		name string
		edit func([]byte) []byte
		want string
	}{
		{"magic", func(c []byte) []byte { c[0] = 'X'; return c }, "bad magic"},
		{"version", func(c []byte) []byte { c[4] = 2; return c }, "version 2"},
		{"shards", func(c []byte) []byte { c[8] = 8; return c }, "8 shards"},
		{"huge count", func(c []byte) []byte { c[16+3] = 0x7f; return c }, "entries"},
		{"empty", func([]byte) []byte { return nil }, "truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadMatcher(bytes.NewReader(tt.edit(bytes.Clone(b))))
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestReadMatcherStructure re-seals edited files with a valid checksum, so
// that the structural checks, not the checksum, must catch them.
func TestReadMatcherStructure(t *testing.T) {
	reseal := func(c []byte) []byte {
		n := len(c) - 4
		s := crcOf(c[:n])
		c[n], c[n+1], c[n+2], c[n+3] = byte(s), byte(s>>8), byte(s>>16), byte(s>>24)
		return c
	}
	b := compiled(t, 300)
	if _, err := ReadMatcher(bytes.NewReader(reseal(bytes.Clone(b)))); err != nil {
		t.Fatalf("reseal of a valid file: %v", err)
	}
	r := rand.New(rand.NewPCG(9, 10))
	caught := 0
	for range 3000 {
		c := bytes.Clone(b)
		i := 16 + r.IntN(len(c)-20)
		c[i] ^= byte(1 + r.IntN(255))
		m, err := ReadMatcher(bytes.NewReader(reseal(c)))
		switch {
		case err == nil:
			m.Lookup([]byte("a.b.c")) // a change the checks allow (a Set's bits, say) must still be safe to use
		case errors.Is(err, ErrCorrupt):
			caught++
		default:
			t.Fatalf("err = %v, want ErrCorrupt", err)
		}
	}
	if caught == 0 {
		t.Error("no structural check fired")
	}
}
