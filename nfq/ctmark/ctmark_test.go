package ctmark

import "testing"

func TestNewRejectsBadMasks(t *testing.T) {
	for _, m := range []uint32{0, 1, 0x80000000, 0x0f0f0000, 0x5} {
		if _, err := New(m); err == nil {
			t.Errorf("New(%#x): want error", m)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		mask uint32
		cat  uint32
	}{
		{"default", DefaultMask, 17},
		{"two bits at bottom", 0x3, 0},
		{"top bits", 0xff000000, 63},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := New(tt.mask)
			if err != nil {
				t.Fatal(err)
			}
			const other = 0x00ff3f00 // mwan3 and pbr bits
			for _, s := range []State{Unclassified, Allow, Block} {
				m := l.Apply(other&^tt.mask, s, tt.cat)
				if got := l.State(m); got != s {
					t.Errorf("state = %v, want %v", got, s)
				}
				if got := l.Category(m); got != tt.cat {
					t.Errorf("category = %d, want %d", got, tt.cat)
				}
				if m&^tt.mask != other&^tt.mask {
					t.Errorf("foreign bits changed: %#x", m)
				}
			}
		})
	}
}

func TestCategoryOverflowIsDropped(t *testing.T) {
	l, _ := New(0xf)
	if got := l.Category(l.Value(Allow, 99)); got != 0 {
		t.Errorf("category = %d, want 0", got)
	}
}
