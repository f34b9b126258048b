package oui

import (
	"strings"
	"testing"
)

func TestMaker(t *testing.T) {
	tests := []struct {
		mac  [6]byte
		want string
	}{
		{[6]byte{0x00, 0x03, 0x93, 1, 2, 3}, "Apple"},    // Apple's first OUI
		{[6]byte{0x00, 0x09, 0xbf, 1, 2, 3}, "Nintendo"}, // Nintendo
		{[6]byte{0x02, 0x03, 0x93, 1, 2, 3}, ""},         // locally administered
		{[6]byte{0x00, 0x00, 0x00, 1, 2, 3}, ""},         // Xerox: not a household maker here
	}
	for _, tt := range tests {
		if got := Maker(tt.mac); got != tt.want {
			t.Errorf("Maker(% x) = %q, want %q", tt.mac, got, tt.want)
		}
	}
}

func TestTableParsesWhole(t *testing.T) {
	once.Do(load)
	lines := 0
	for line := range strings.SplitSeq(strings.TrimSpace(table), "\n") {
		if !strings.HasPrefix(line, "#") {
			lines++
		}
	}
	if len(prefixes) != lines || lines < 1000 {
		t.Fatalf("%d of %d lines parsed", len(prefixes), lines)
	}
	for i := 1; i < len(prefixes); i++ {
		if prefixes[i] <= prefixes[i-1] {
			t.Fatalf("prefix %06x after %06x: not sorted or repeated", prefixes[i], prefixes[i-1])
		}
	}
}
