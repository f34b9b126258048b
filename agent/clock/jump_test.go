package clock

import (
	"testing"
	"time"
)

func TestJumpDetectorObserveMono(t *testing.T) {
	base := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	type tick struct {
		wall   time.Duration // wall clock, from base
		mono   time.Duration // monotonic clock
		jumped bool
		delta  time.Duration
	}
	tests := []struct {
		name  string
		ticks []tick
	}{
		{"first observation is only a reference", []tick{
			{wall: 0, mono: 5 * time.Second},
		}},
		{"normal ticks", []tick{
			{wall: 0, mono: 0},
			{wall: time.Second, mono: time.Second},
			{wall: 2 * time.Second, mono: 2 * time.Second},
		}},
		{"late tick is no jump", []tick{
			{wall: 0, mono: 0},
			{wall: 7 * time.Second, mono: 7 * time.Second},
		}},
		{"slewing is no jump", []tick{
			{wall: 0, mono: 0},
			{wall: time.Second + 500*time.Microsecond, mono: time.Second, delta: 500 * time.Microsecond},
		}},
		{"forward step (NTP after boot)", []tick{
			{wall: 0, mono: 0},
			{wall: 24*time.Hour + time.Second, mono: time.Second, jumped: true, delta: 24 * time.Hour},
			{wall: 24*time.Hour + 2*time.Second, mono: 2 * time.Second},
		}},
		{"backward step", []tick{
			{wall: 0, mono: 0},
			{wall: -time.Hour + time.Second, mono: time.Second, jumped: true, delta: -time.Hour},
		}},
		{"exactly the threshold is no jump", []tick{
			{wall: 0, mono: 0},
			{wall: 3 * time.Second, mono: time.Second, delta: 2 * time.Second},
			{wall: 3 * time.Second, mono: 3 * time.Second, delta: -2 * time.Second},
		}},
		{"just over the threshold", []tick{
			{wall: 0, mono: 0},
			{wall: 3*time.Second + time.Nanosecond, mono: time.Second, jumped: true, delta: 2*time.Second + time.Nanosecond},
		}},
		{"a jump is reported once", []tick{
			{wall: 0, mono: 0},
			{wall: 11 * time.Second, mono: time.Second, jumped: true, delta: 10 * time.Second},
			{wall: 12 * time.Second, mono: 2 * time.Second},
			{wall: 13 * time.Second, mono: 3 * time.Second},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := NewJumpDetector(2 * time.Second)
			for i, tk := range tt.ticks {
				jumped, delta := j.ObserveMono(base.Add(tk.wall), tk.mono)
				if jumped != tk.jumped || delta != tk.delta {
					t.Errorf("tick %d: ObserveMono = %v, %v; want %v, %v", i, jumped, delta, tk.jumped, tk.delta)
				}
			}
		})
	}
}

func TestJumpDetectorObserve(t *testing.T) {
	t.Run("times with monotonic readings", func(t *testing.T) {
		j := NewJumpDetector(2 * time.Second)
		now := time.Now()
		for i := range 5 {
			// Add moves the wall and the monotonic reading together.
			at := now.Add(time.Duration(i) * time.Second)
			if jumped, delta := j.Observe(at); jumped || delta != 0 {
				t.Errorf("tick %d: Observe = %v, %v; want false, 0", i, jumped, delta)
			}
		}
	})
	t.Run("times without monotonic readings carry no information", func(t *testing.T) {
		j := NewJumpDetector(2 * time.Second)
		wall := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		for i, at := range []time.Time{wall, wall.Add(time.Hour), wall.Add(-time.Hour), time.Now().Round(0)} {
			if jumped, delta := j.Observe(at); jumped || delta != 0 {
				t.Errorf("observation %d: Observe = %v, %v; want false, 0", i, jumped, delta)
			}
		}
	})
	t.Run("an observation without monotonic reading is skipped", func(t *testing.T) {
		j := NewJumpDetector(2 * time.Second)
		now := time.Now()
		j.Observe(now)
		j.Observe(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) // ignored
		if jumped, delta := j.Observe(now.Add(time.Second)); jumped || delta != 0 {
			t.Errorf("Observe = %v, %v; want false, 0", jumped, delta)
		}
	})
	t.Run("wall and monotonic readings are taken apart", func(t *testing.T) {
		// A stripped time one hour ahead, fed to ObserveMono with the
		// monotonic progress of one second, is a jump; Observe must
		// feed ObserveMono the same way for real times.
		j := NewJumpDetector(2 * time.Second)
		now := time.Now()
		j.Observe(now)
		jumped, delta := j.ObserveMono(now.Add(time.Hour), time.Second)
		if !jumped || delta != time.Hour-time.Second {
			t.Errorf("ObserveMono after Observe = %v, %v; want true, %v", jumped, delta, time.Hour-time.Second)
		}
	})
}

func TestNewJumpDetectorNegativeThreshold(t *testing.T) {
	j := NewJumpDetector(-time.Second)
	base := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	j.ObserveMono(base, 0)
	if jumped, _ := j.ObserveMono(base.Add(time.Second), time.Second); jumped {
		t.Error("a normal tick counts as a jump")
	}
	if jumped, _ := j.ObserveMono(base.Add(3*time.Second), 2*time.Second); !jumped {
		t.Error("a one-second step is not a jump with a zero threshold")
	}
}
