package inspect

import (
	"strings"
	"unicode/utf8"
)

// validUTF8 returns s with every ill-formed UTF-8 sequence replaced by
// U+FFFD, one per maximal subpart (Unicode §3.9, "U+FFFD substitution of
// maximal subparts", the practice WHATWG and Wireshark follow): a truncated
// multi-byte sequence becomes one U+FFFD, a stray byte one U+FFFD. (Go's
// encoders replace byte by byte instead.)
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError || size > 1 {
			b.WriteString(s[i : i+size])
			i += size
			continue
		}
		b.WriteRune(utf8.RuneError)
		i += maximalSubpart(s[i:])
	}
	return b.String()
}

// maximalSubpart returns the length of the longest prefix of s (at least 1)
// that starts a well-formed UTF-8 sequence without completing it; s does
// not start with a whole valid sequence.
func maximalSubpart(s string) int {
	lo, hi, n := byte(0x80), byte(0xbf), 0 // range of the second byte, sequence length
	switch c := s[0]; {
	case c >= 0xc2 && c <= 0xdf:
		n = 2
	case c == 0xe0:
		lo, n = 0xa0, 3
	case c >= 0xe1 && c <= 0xec, c == 0xee, c == 0xef:
		n = 3
	case c == 0xed:
		hi, n = 0x9f, 3
	case c == 0xf0:
		lo, n = 0x90, 4
	case c >= 0xf1 && c <= 0xf3:
		n = 4
	case c == 0xf4:
		hi, n = 0x8f, 4
	default:
		return 1
	}
	k := 1
	for ; k < n && k < len(s); k++ {
		c := s[k]
		if k > 1 {
			lo, hi = 0x80, 0xbf
		}
		if c < lo || c > hi {
			break
		}
	}
	return k
}
