package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxDomain is the longest domain name in text form, without a trailing dot.
const MaxDomain = 253

// NormalizeDomain returns the canonical form of a domain name written in the
// configuration: lowercase, without a trailing dot, and without a leading
// "*." (the wildcard form *.example.com means the same as example.com, which
// already covers every name below it). The name must be a DNS name in ASCII
// (an internationalised name in its xn-- form): labels of 1 to 63 letters,
// digits, hyphens or underscores, at most MaxDomain characters in all.
func NormalizeDomain(s string) (string, error) {
	name := strings.TrimSuffix(s, ".")
	name = strings.TrimPrefix(name, "*.")
	if name == "" {
		return "", fmt.Errorf("%q is not a domain name: empty", s)
	}
	if len(name) > MaxDomain {
		return "", fmt.Errorf("%q is not a domain name: longer than %d characters", s, MaxDomain)
	}
	label := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '.':
			if label == 0 {
				return "", fmt.Errorf("%q is not a domain name: empty label", s)
			}
			label = 0
			continue
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		case c >= 'A' && c <= 'Z':
		case c == '*':
			return "", fmt.Errorf("%q is not a domain name: a wildcard may only be the first label, as in *.example.com", s)
		case c >= utf8.RuneSelf:
			return "", fmt.Errorf("%q is not a domain name: write an international name in its xn-- form", s)
		default:
			return "", fmt.Errorf("%q is not a domain name: character %q not allowed", s, c)
		}
		label++
		if label > 63 {
			return "", fmt.Errorf("%q is not a domain name: label longer than 63 characters", s)
		}
	}
	if label == 0 {
		return "", fmt.Errorf("%q is not a domain name: empty label", s)
	}
	return strings.ToLower(name), nil
}

// ParseMAC parses a unicast Ethernet address written as six groups of two
// hexadecimal digits separated by ':' or '-', in either case.
func ParseMAC(s string) ([6]byte, error) {
	var mac [6]byte
	if len(s) != 17 {
		return mac, fmt.Errorf("%q is not a MAC address", s)
	}
	sep := s[2]
	if sep != ':' && sep != '-' {
		return mac, fmt.Errorf("%q is not a MAC address", s)
	}
	for i := range mac {
		if i > 0 && s[3*i-1] != sep {
			return mac, fmt.Errorf("%q is not a MAC address", s)
		}
		hi, ok1 := unhex(s[3*i])
		lo, ok2 := unhex(s[3*i+1])
		if !ok1 || !ok2 {
			return mac, fmt.Errorf("%q is not a MAC address", s)
		}
		mac[i] = hi<<4 | lo
	}
	if mac == [6]byte{} {
		return mac, fmt.Errorf("%q is the zero MAC address", s)
	}
	if mac[0]&1 != 0 {
		return mac, fmt.Errorf("%q is a multicast MAC address, not a device", s)
	}
	return mac, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// FormatMAC writes mac as lowercase hexadecimal groups separated by ':'.
func FormatMAC(mac [6]byte) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 0, 17)
	for i, v := range mac {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hex[v>>4], hex[v&15])
	}
	return string(b)
}

// parseUint parses a decimal number in [lo, hi].
func parseUint(s string, lo, hi uint64) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%q is not a whole number from %d to %d", s, lo, hi)
	}
	return n, nil
}

// parseBool accepts the spellings OpenWrt's config_get_bool accepts.
func parseBool(s string) (bool, error) {
	switch s {
	case "1", "on", "true", "yes", "enabled":
		return true, nil
	case "0", "off", "false", "no", "disabled":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean: use 1 or 0", s)
}

// checkInterface checks a network interface name as Linux accepts it.
func checkInterface(s string) error {
	if s == "" || len(s) > 15 || s == "." || s == ".." || strings.ContainsAny(s, "/:") {
		return fmt.Errorf("%q is not a network interface name", s)
	}
	for _, r := range s {
		if r > unicode.MaxASCII || unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("%q is not a network interface name", s)
		}
	}
	return nil
}

// maxDeviceName bounds a display name (a device's, a person's, a
// schedule's), in characters: the page promises 64 in every language, and
// an Azerbaijani or Russian letter takes two bytes.
const maxDeviceName = 64

// checkDeviceName checks a display name: printable UTF-8, at most
// maxDeviceName characters.
func checkDeviceName(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("name is not valid UTF-8")
	}
	if utf8.RuneCountInString(s) > maxDeviceName {
		return fmt.Errorf("%q is longer than %d characters", s, maxDeviceName)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("%q holds a control character", s)
		}
	}
	return nil
}

// suggest returns the known name closest to name when it is close enough to
// be a typo, or "".
func suggest(name string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if d := distance(name, k); d < bestDist && d < len(k) {
			best, bestDist = k, d
		}
	}
	return best
}

// distance is the edit distance between a and b in bytes, counting an
// insertion, a deletion, a substitution or a swap of neighbours as one edit
// (optimal string alignment).
func distance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
