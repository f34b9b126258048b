package ui

import (
	"fmt"
	"strings"
	"testing"
)

func TestNormalDomain(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"game.example", "game.example", true},
		{" Game.Example. ", "game.example", true},
		{"_dmarc.example.com", "_dmarc.example.com", true},
		{"xn--80ak6aa92e.com", "xn--80ak6aa92e.com", true},
		{"localhost", "", false},
		{"10.0.0.1", "", false},
		{"a..example", "", false},
		{"-a.example", "", false},
		{"a-.example", "", false},
		{"http://a.example/", "", false},
		{"a b.example", "", false},
		{"ünicode.example", "", false},
		{strings.Repeat("a", 64) + ".example", "", false},
		{strings.Repeat("a.", 127) + "ex", "", false}, // 256 bytes
	} {
		got, ok := normalDomain(tc.in)
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("normalDomain(%q) = %q %v, want %q %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzNormalDomain: an accepted name is short, lowercase, and accepted
// again unchanged.
func FuzzNormalDomain(f *testing.F) {
	for _, s := range []string{"game.example", "A.B.", "1.2.3.4", "::1", "a..b", "x_y.example", " a.b "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		d, ok := normalDomain(in)
		if !ok {
			return
		}
		if len(d) > 253 || d != strings.ToLower(d) {
			t.Fatalf("%q → %q", in, d)
		}
		if again, ok := normalDomain(d); !ok || again != d {
			t.Fatalf("%q → %q → %q %v", in, d, again, ok)
		}
	})
}

// FuzzClockMinutes: an accepted time of day is in [0, 1440] and prints
// back as given.
func FuzzClockMinutes(f *testing.F) {
	for _, s := range []string{"00:00", "21:00", "24:00", "24:01", "9:00", "12:60", "-1:00", "+1:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		m, ok := clockMinutes(in)
		if !ok {
			return
		}
		if m < 0 || m > 1440 || fmt.Sprintf("%02d:%02d", m/60, m%60) != in {
			t.Fatalf("%q → %d", in, m)
		}
	})
}

func TestCanonicalMAC(t *testing.T) {
	for in, want := range map[string]bool{
		"02:00:00:00:00:0a": true, "02:00:00:00:00:0A": false, "02-00-00-00-00-0a": false,
		"02:00:00:00:00": false, "02:00:00:00:00:0a:": false, "0200.0000.000a": false,
	} {
		if canonicalMAC(in) != want {
			t.Errorf("canonicalMAC(%q) = %v", in, !want)
		}
	}
}
