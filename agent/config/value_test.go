package config

import (
	"strings"
	"testing"
)

func TestNormalizeDomain(t *testing.T) {
	long63 := strings.Repeat("a", 63)
	tests := []struct {
		name string
		in   string
		want string
		err  string
	}{
		{"plain", "example.com", "example.com", ""},
		{"uppercase", "ExAmple.COM", "example.com", ""},
		{"trailing dot", "example.com.", "example.com", ""},
		{"wildcard", "*.example.com", "example.com", ""},
		{"wildcard and dot", "*.Example.com.", "example.com", ""},
		{"single label", "test", "test", ""},
		{"underscore", "_dns.resolver.arpa", "_dns.resolver.arpa", ""},
		{"punycode", "xn--bcher-kva.example", "xn--bcher-kva.example", ""},
		{"label of 63", long63 + ".test", long63 + ".test", ""},
		{"253 characters", strings.Repeat("a.", 126) + "b", strings.Repeat("a.", 126) + "b", ""},
		{"empty", "", "", "empty"},
		{"only a dot", ".", "", "empty"},
		{"only a wildcard", "*", "", "a wildcard may only be the first label"},
		{"wildcard alone with dot", "*.", "", "a wildcard may only be the first label"},
		{"inner wildcard", "a.*.test", "", "a wildcard may only be the first label"},
		{"double wildcard", "*.*.test", "", "a wildcard may only be the first label"},
		{"leading dot", ".example.com", "", "empty label"},
		{"double dot", "a..b", "", "empty label"},
		{"two trailing dots", "a.b..", "", "empty label"},
		{"label of 64", long63 + "a.test", "", "label longer than 63"},
		{"254 characters", strings.Repeat("a.", 126) + "bc", "", "longer than 253"},
		{"space", "a b.test", "", `character ' ' not allowed`},
		{"url", "https://a.test/", "", `character ':' not allowed`},
		{"unicode", "bücher.test", "", "xn-- form"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NormalizeDomain(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("NormalizeDomain(%q) = %q, %v; want an error containing %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("NormalizeDomain(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestParseMAC(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want [6]byte
		err  string
	}{
		{"colons", "02:00:5e:10:ab:cd", [6]byte{2, 0, 0x5e, 0x10, 0xab, 0xcd}, ""},
		{"upper case", "02:00:5E:10:AB:CD", [6]byte{2, 0, 0x5e, 0x10, 0xab, 0xcd}, ""},
		{"dashes", "02-00-5e-10-ab-cd", [6]byte{2, 0, 0x5e, 0x10, 0xab, 0xcd}, ""},
		{"mixed separators", "02:00-5e:10:ab:cd", [6]byte{}, "is not a MAC address"},
		{"no separators", "02005e10abcd", [6]byte{}, "is not a MAC address"},
		{"short groups", "2:0:5e:10:ab:cd", [6]byte{}, "is not a MAC address"},
		{"not hex", "02:00:5g:10:ab:cd", [6]byte{}, "is not a MAC address"},
		{"too long", "02:00:5e:10:ab:cd:ef", [6]byte{}, "is not a MAC address"},
		{"dots", "0200.5e10.abcd", [6]byte{}, "is not a MAC address"},
		{"zero", "00:00:00:00:00:00", [6]byte{}, "zero MAC address"},
		{"broadcast", "ff:ff:ff:ff:ff:ff", [6]byte{}, "multicast"},
		{"multicast", "01:00:5e:00:00:01", [6]byte{}, "multicast"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseMAC(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseMAC(%q) = %v, %v; want an error containing %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("ParseMAC(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			if s := FormatMAC(got); !strings.EqualFold(strings.ReplaceAll(tc.in, "-", ":"), s) {
				t.Errorf("FormatMAC = %q, want %q in lower case", s, tc.in)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"block", "mac", "name"}
	tests := []struct{ in, want string }{
		{"blocks", "block"},
		{"nmae", "name"},
		{"mca", "mac"},
		{"colour", ""},
		{"x", ""}, // distance 2 to "mac" but not shorter than... still too far to be a typo
	}
	for _, tc := range tests {
		if got := suggest(tc.in, known); got != tc.want {
			t.Errorf("suggest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzNormalizeDomain(f *testing.F) {
	for _, s := range []string{"example.com", "*.A.test.", "a..b", "xn--bcher-kva.example", "_dns.resolver.arpa", "*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeDomain(s)
		if err != nil {
			return
		}
		// The normal form is a fixed point, lowercase, without trailing dot.
		if again, err := NormalizeDomain(n); err != nil || again != n {
			t.Fatalf("NormalizeDomain(%q) = %q, but that normalises to %q, %v", s, n, again, err)
		}
		if n != strings.ToLower(n) || strings.HasSuffix(n, ".") || len(n) > MaxDomain || n == "" {
			t.Fatalf("NormalizeDomain(%q) = %q is not normal", s, n)
		}
	})
}

// TestSpellings checks that every value the configuration spells with
// String reads back with its Parse function, as the Editor relies on.
func TestSpellings(t *testing.T) {
	for _, m := range []FailMode{FailClosed, FailOpen} {
		if got, err := ParseFailMode(m.String()); err != nil || got != m {
			t.Errorf("ParseFailMode(%q) = %v, %v", m, got, err)
		}
	}
	for _, m := range []BlockMode{BlockNXDomain, BlockNull, BlockPage} {
		if got, err := ParseBlockMode(m.String()); err != nil || got != m {
			t.Errorf("ParseBlockMode(%q) = %v, %v", m, got, err)
		}
	}
	for _, m := range []YouTubeMode{YouTubeOff, YouTubeModerate, YouTubeStrict} {
		if got, err := ParseYouTube(m.String()); err != nil || got != m {
			t.Errorf("ParseYouTube(%q) = %v, %v", m, got, err)
		}
	}
	for _, k := range []ScheduleKind{Bedtime, Focus, Allowed} {
		if got, err := ParseScheduleKind(k.String()); err != nil || got != k {
			t.Errorf("ParseScheduleKind(%q) = %v, %v", k, got, err)
		}
	}
	for _, bad := range []string{"", "Open", "refuse"} {
		if _, err := ParseFailMode(bad); err == nil {
			t.Errorf("ParseFailMode(%q) accepted", bad)
		}
		if _, err := ParseBlockMode(bad); err == nil {
			t.Errorf("ParseBlockMode(%q) accepted", bad)
		}
	}
	for a := AgeUnder6; a <= AgeAdult; a++ {
		if age, ok := Builtin(a.ProfileName()); !ok || age != a {
			t.Errorf("%s: built-in profile %q has band %s", a, a.ProfileName(), age)
		}
	}
	if AgeNone.ProfileName() != "" || AgeChild.ProfileName() != "child" {
		t.Errorf("ProfileName: %q, %q", AgeNone.ProfileName(), AgeChild.ProfileName())
	}
	fe := &FieldError{Path: "safeinternet.ali.daily_limit"}
	if fe.Option() != OptDailyLimit || (&FieldError{Path: "safeinternet.@device[1]"}).Option() != "" {
		t.Errorf("Option of %s: %q", fe.Path, fe.Option())
	}
}
