package clock

import "time"

// JumpDetector notices steps of the wall clock: NTP stepping it after boot, or
// anyone setting the time. Fed on every tick, it compares the wall-clock time
// elapsed since the previous observation with the monotonic time elapsed;
// a difference larger than the threshold is a jump. Slewing (at most 500 ppm)
// never adds up to a jump between two ticks. CLOCK_MONOTONIC stops while a
// system is suspended, so a resume also looks like a forward jump; routers do
// not suspend.
//
// A JumpDetector is not safe for concurrent use: one goroutine, the ticker's,
// feeds it, through Observe (with time.Now) or ObserveMono (with readings
// taken apart, as tests do).
type JumpDetector struct {
	threshold time.Duration

	// The state below is the previous observation.
	started  bool
	origin   time.Time // first time Observe saw, with its monotonic reading
	prevWall time.Time // without monotonic reading
	prevMono time.Duration
}

// NewJumpDetector returns a detector that reports differences larger than
// threshold (2 s suits a one-second tick). A threshold below zero counts as
// zero.
func NewJumpDetector(threshold time.Duration) *JumpDetector {
	return &JumpDetector{threshold: max(threshold, 0)}
}

// Observe takes now from time.Now, which carries both a wall-clock and a
// monotonic reading, and reports whether the wall clock jumped since the
// previous call, and by how much: delta is the wall-clock elapsed time minus
// the monotonic elapsed time, positive when the clock was set forward. It is
// returned even below the threshold.
//
// Observe(now) is ObserveMono(now.Round(0), monotonic time since the first
// time Observe saw). A time without a monotonic reading (one from time.Unix,
// time.Date, or stripped by Round(0)) cannot show a jump: Observe ignores it
// and returns false, 0, leaving the previous observation in place. The first
// observation only sets the reference and returns false, 0.
func (j *JumpDetector) Observe(now time.Time) (jumped bool, delta time.Duration) {
	if now == now.Round(0) { // == compares the monotonic reading too
		return false, 0
	}
	if j.origin.IsZero() {
		j.origin = now
	}
	// Sub uses the monotonic readings of both; Round(0) drops them.
	return j.ObserveMono(now.Round(0), now.Sub(j.origin))
}

// ObserveMono is Observe with the two readings passed apart: wall is the wall
// clock and mono any monotonic clock (CLOCK_MONOTONIC, or the time since a
// fixed start taken with time.Since). The first call sets the reference and
// returns false, 0.
func (j *JumpDetector) ObserveMono(wall time.Time, mono time.Duration) (jumped bool, delta time.Duration) {
	wall = wall.Round(0)
	if !j.started {
		j.started = true
		j.prevWall, j.prevMono = wall, mono
		return false, 0
	}
	delta = wall.Sub(j.prevWall) - (mono - j.prevMono)
	j.prevWall, j.prevMono = wall, mono
	return delta > j.threshold || delta < -j.threshold, delta
}
