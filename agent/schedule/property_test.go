package schedule

import (
	"math/rand/v2"
	"testing"
	"time"
)

// oracleActive is the obvious statement of Window's semantics, on the
// calendar of package time: the window of today, or the part of
// yesterday's that crossed midnight.
func oracleActive(wk Week, t time.Time) bool {
	h, m, s := t.Clock()
	sec := h*3600 + m*60 + s
	wd := t.Weekday()
	for _, w := range wk {
		if w.Validate() != nil {
			continue
		}
		end := w.End
		if end <= w.Start {
			end = day
			if w.Days.Has((wd+6)%7) && sec < w.End {
				return true
			}
		}
		if w.Days.Has(wd) && sec >= w.Start && sec < end {
			return true
		}
	}
	return false
}

var propertyZones = []string{"Europe/Berlin", "America/New_York", "Asia/Baku", "Australia/Lord_Howe", "America/Santiago", "Asia/Beirut", "UTC"}

// randomWeek makes 0 to 4 windows, mostly on whole quarter hours near the
// small hours (where DST changes happen), sometimes on any second, sometimes
// whole days.
func randomWeek(r *rand.Rand) Week {
	clock := func() int {
		switch r.IntN(4) {
		case 0:
			return r.IntN(day)
		case 1:
			return r.IntN(5*4) * 15 * 60 // 00:00 .. 04:45
		default:
			return r.IntN(24*4) * 15 * 60
		}
	}
	wk := make(Week, r.IntN(5))
	for i := range wk {
		w := Window{Days: Weekdays(1 + r.IntN(int(AllDays))), Start: clock(), End: clock()}
		switch r.IntN(8) {
		case 0:
			w.End = w.Start
		case 1:
			w.End = day
		}
		wk[i] = w
	}
	return wk
}

// randomInstant picks an instant in 2014..2026, half of the time within two
// days of one of loc's offset changes.
func randomInstant(r *rand.Rand, loc *time.Location) time.Time {
	t := time.Unix(1388534400+r.Int64N(13*365*day), r.Int64N(1e9)).In(loc)
	if r.IntN(2) == 0 {
		if _, end := t.ZoneBounds(); !end.IsZero() {
			t = end.Add(time.Duration(r.Int64N(4*day)-2*day) * time.Second).Add(time.Duration(r.Int64N(1e9)))
		}
	}
	return t
}

// TestNextProperty checks, on random weeks and instants, that Active agrees
// with the oracle and that Next agrees with Active: the same just before
// next, different at next, and the same at every minute in between and at
// every offset change in between.
func TestNextProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := 400
	if testing.Short() {
		cases = 50
	}
	for _, name := range propertyZones {
		loc := zone(t, name)
		for range cases / len(propertyZones) {
			wk := randomWeek(r)
			from := randomInstant(r, loc)
			a := wk.Active(from)
			if a != oracleActive(wk, from) {
				t.Fatalf("%s %v: Active(%s) = %v, oracle differs", name, wk, from.Format(layout), a)
			}
			next, ok := wk.Next(from)
			end := next
			if !ok {
				end = from.Add(8 * 24 * time.Hour) // never: constant for a week and a day
			} else {
				checkNext(t, wk, from, next)
			}
			for s := from; s.Before(end); s = s.Add(time.Minute) {
				if wk.Active(s) != a || oracleActive(wk, s) != a {
					t.Fatalf("%s %v: Next(%s) = %s, %v but Active(%s) changed", name, wk, from.Format(layout), next.Format(layout), ok, s.Format(layout))
				}
			}
			for z := from; ; {
				_, zend := z.ZoneBounds()
				if zend.IsZero() || !zend.Before(end) {
					break
				}
				if wk.Active(zend) != a || wk.Active(zend.Add(-time.Nanosecond)) != a {
					t.Fatalf("%s %v: Next(%s) = %s, %v but Active changes at the offset change %s", name, wk, from.Format(layout), next.Format(layout), ok, zend.Format(layout))
				}
				z = zend
			}
		}
	}
}
