package schedule

import "time"

// week is the length of a wall-clock week in seconds.
const week = 7 * day

// maxZoneSteps bounds the zone periods Next walks through. Every real zone
// has at most a few changes a year and Next looks about eight days of wall
// clock ahead, so the bound is never reached; it only keeps a hand-made
// location with pathological changes from looping for long.
const maxZoneSteps = 64

// Week is a set of windows: it is active when any of its windows is.
// Windows may overlap or touch. Windows that fail Validate are ignored.
//
// A Week is not modified after it is built; Active and Next only read it,
// so they may be called from any number of goroutines at once. Neither
// allocates. Active costs one zone lookup and O(windows); Next costs
// O(windows) per wall-clock edge it passes (O(windows²) for a week). A
// caller that asks per packet can keep Active(t) until Next(t) instead.
type Week []Window

// Active reports whether t falls inside one of the windows, judged on the
// weekday and wall-clock time of t in t.Location() (see the package comment
// for daylight saving time). The sub-second part of t does not matter:
// windows start and end on whole seconds.
func (wk Week) Active(t time.Time) bool {
	_, off := t.Zone()
	return wk.activeLocal(t.Unix() + int64(off))
}

// Next returns the earliest instant strictly after t at which Active
// changes, in t.Location(), and true; or false if Active never changes
// (an empty week, or one that covers every second). It agrees exactly with
// Active, daylight saving changes included: Active is the same as Active(t)
// everywhere in (t, next) and differs at next. The result is always a whole
// second.
func (wk Week) Next(t time.Time) (time.Time, bool) {
	a := wk.Active(t)
	loc := t.Location()
	cur := t
	for range maxZoneSteps {
		_, off := cur.Zone()
		c, ok := wk.nextChange(cur.Unix()+int64(off), a)
		if !ok {
			return time.Time{}, false
		}
		u := c - int64(off)
		_, end := cur.ZoneBounds()
		if end.IsZero() || u < end.Unix() {
			return time.Unix(u, 0).In(loc), true
		}
		// The offset changes before the wall clock reaches the change: go
		// on from the first instant of the next zone period, where the
		// wall clock jumps.
		cur = end.In(loc)
		if wk.Active(cur) != a {
			return cur, true
		}
	}
	return time.Time{}, false
}

// Local seconds ("L") below count seconds of the wall clock since
// 1970-01-01 00:00 on that clock: Unix seconds plus the zone offset.

// activeLocal reports whether the wall-clock second L is in a window.
func (wk Week) activeLocal(L int64) bool {
	days := floorDiv(L, day)
	s := int(L - days*day)
	wd := uint((days%7 + 7 + 4) % 7) // 1970-01-01 was a Thursday
	prev := (wd + 6) % 7
	for _, w := range wk {
		if !w.valid() {
			continue
		}
		crosses := w.End <= w.Start
		if w.Days&(1<<wd) != 0 && s >= w.Start && (s < w.End || crosses) {
			return true
		}
		if crosses && w.Days&(1<<prev) != 0 && s < w.End {
			return true
		}
	}
	return false
}

// nextEdge returns the first wall-clock second after L at which a window
// could start or end: a start, an end, or midnight. Active is constant
// between consecutive edges.
func (wk Week) nextEdge(L int64) int64 {
	days := floorDiv(L, day)
	s := int(L - days*day)
	best := day
	for _, w := range wk {
		if !w.valid() {
			continue
		}
		if w.Start > s && w.Start < best {
			best = w.Start
		}
		if w.End > s && w.End < best {
			best = w.End
		}
	}
	return days*day + int64(best)
}

// nextChange returns the first wall-clock second after L at which
// activeLocal differs from a, which must be activeLocal(L); false if there
// is none (then there is none ever: the week repeats).
func (wk Week) nextChange(L int64, a bool) (int64, bool) {
	for cur, limit := L, L+week+day; cur < limit; {
		cur = wk.nextEdge(cur)
		if wk.activeLocal(cur) != a {
			return cur, true
		}
	}
	return 0, false
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}
