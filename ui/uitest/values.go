package uitest

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The router's configuration (package config) is the truth of what a
// change may hold; the rules below restate the ones a change of the fake
// meets, for a fake that does not import the agent. The contract test in
// agent/page runs the same changes against the fake and the router's
// adapter and keeps the two in step.

// maxNameRunes bounds a display name (person, schedule, device) and a
// device's kind, in characters, as the router does.
const maxNameRunes = 64

// checkName accepts a display name as the router does: at most
// maxNameRunes characters of printable UTF-8. Empty is no name: the router
// shows the section's id instead.
func checkName(field, name string) error {
	switch {
	case !utf8.ValidString(name):
		return refuse(field, "not valid UTF-8")
	case utf8.RuneCountInString(name) > maxNameRunes:
		return refuse(field, "%q is longer than %d characters", name, maxNameRunes)
	case strings.ContainsFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }):
		return refuse(field, "%q holds a control character", name)
	}
	return nil
}

// normalDomain returns domain name s as the router keeps it: lower case,
// without a trailing dot or a leading "*."; labels of 1 to 63 ASCII
// letters, digits, hyphens or underscores, at most 253 bytes in all.
func normalDomain(field, s string) (string, error) {
	name := strings.TrimPrefix(strings.TrimSuffix(s, "."), "*.")
	if name == "" || len(name) > 253 {
		return "", refuse(field, "%q is not a domain name", s)
	}
	for l := range strings.SplitSeq(name, ".") {
		if l == "" || len(l) > 63 || strings.ContainsFunc(l, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
		}) {
			return "", refuse(field, "%q is not a domain name", s)
		}
	}
	return strings.ToLower(name), nil
}

// normalDomains normalises ds (see normalDomain), dropping repeats.
func normalDomains(field string, ds []string) ([]string, error) {
	var out []string
	for _, d := range ds {
		n, err := normalDomain(field, d)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// lockedDomain returns the baseline's domain that blocks name, or "".
// f.mu held.
func (f *Fake) lockedDomain(name string) string {
	for _, d := range f.hh.Locked.Domains {
		if name == d || strings.HasSuffix(name, "."+d) {
			return d
		}
	}
	return ""
}

// canonicalMAC returns a unicast MAC address written as six pairs of hex
// digits joined by ':' or '-', in either case, in the canonical form
// (lower case, ':'); ok is false for anything else, the zero address and
// multicast ones.
func canonicalMAC(s string) (string, bool) {
	if len(s) != 17 || s[2] != ':' && s[2] != '-' {
		return "", false
	}
	b := []byte(strings.ToLower(s))
	for i := range b {
		switch c := b[i]; {
		case i%3 == 2:
			if c != s[2] {
				return "", false
			}
			b[i] = ':'
		case !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f'):
			return "", false
		}
	}
	mac := string(b)
	if mac == "00:00:00:00:00:00" || strings.IndexByte("13579bdf", mac[1]) >= 0 {
		return "", false
	}
	return mac, true
}

// orderedDays returns days Monday first, each once, as the router shows a
// window.
func orderedDays(days []string) []string {
	var out []string
	for i := range 7 {
		if d := dayNames[(i+1)%7]; slices.Contains(days, d) {
			out = append(out, d)
		}
	}
	return out
}

// unique returns ids without repeats, in their order.
func unique(ids []string) []string {
	var out []string
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
