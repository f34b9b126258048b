// Package schedule says whether a moment falls inside a household's weekly
// time windows (bedtime, homework time), and when that next changes.
//
// A Window is a start and an end on the local wall clock, repeated on some
// weekdays, with the semantics of TR-181 Device.Schedules (a day, a start
// time and a duration): "mon 21:00-07:00" runs from Monday 21:00 to Tuesday
// 07:00. A Week is a set of windows; it is active when any window is.
//
// Time is always passed in: the package reads no clock, does no I/O and
// keeps no state. A Week is a plain slice that is never modified after it is
// built, so any number of goroutines may call Active and Next on it at once;
// neither allocates.
//
// # Local wall clock and daylight saving time
//
// Active looks only at the weekday and the wall-clock time of t in
// t.Location(), as a person reading the kitchen clock would. Daylight saving
// time follows from that:
//
//   - On a spring-forward day the skipped hour never shows on the clock. A
//     window that starts inside it (02:30 in Europe/Berlin) starts at the
//     first instant that exists after it (03:00); a window that lies wholly
//     inside it ("sun 02:00-03:00") does not happen that day. A window that
//     ends inside it ends at the jump.
//   - On a fall-back day the repeated hour shows twice, and so does
//     everything in it: a window inside it ("sun 01:30-01:45" in
//     America/New_York) is active twice, and a window edge inside it is
//     crossed twice. "daily 01:30-07:00" in New York is active from 01:30
//     EDT, inactive again from 01:00 EST (the clock went back) to 01:30 EST,
//     then active until 07:00. Windows whose edges lie outside the
//     changeover hours (bedtimes such as 21:00-07:00) are not affected.
//   - Where the change happens at midnight (America/Santiago, Asia/Beirut),
//     the weekday shown by the clock is the one that counts: when Saturday
//     23:59:59 is followed by Saturday 23:00, the last hour of Saturday
//     happens twice.
//
// Next agrees exactly with Active on those days, as on any other.
package schedule

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/safeinternet/cpe/internal/sentinel"
)

// day is the length of a wall-clock day in seconds.
const day = 24 * 60 * 60

// Weekdays is a set of days of the week: bit d is set for time.Weekday d
// (bit 0 Sunday … bit 6 Saturday). Bit 7 is never valid.
type Weekdays uint8

// AllDays is every day of the week.
const AllDays Weekdays = 1<<7 - 1

// DaysOf returns the set of the given days.
func DaysOf(days ...time.Weekday) Weekdays {
	var w Weekdays
	for _, d := range days {
		w |= 1 << (d % 7)
	}
	return w
}

// Has reports whether d is in the set.
func (w Weekdays) Has(d time.Weekday) bool { return d >= 0 && d < 7 && w&(1<<d) != 0 }

// dayNames are the three-letter names, indexed by time.Weekday.
var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// String returns the canonical text of the set, as ParseWindow reads it:
// "daily" for every day, otherwise days in week order Monday first, runs of
// three or more days as a range ("mon-fri", "sat,sun", "mon,wed-fri"). The
// empty set is "none", which ParseWindow rejects.
func (w Weekdays) String() string {
	w &= AllDays
	switch w {
	case 0:
		return "none"
	case AllDays:
		return "daily"
	}
	var b strings.Builder
	for i := 0; i < 7; {
		d := (i + 1) % 7 // Monday first
		if !w.Has(time.Weekday(d)) {
			i++
			continue
		}
		j := i
		for j+1 < 7 && w.Has(time.Weekday((j+2)%7)) {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		switch {
		case j-i >= 2:
			b.WriteString(dayNames[d] + "-" + dayNames[(j+1)%7])
		default:
			for k := i; k <= j; k++ {
				if k > i {
					b.WriteByte(',')
				}
				b.WriteString(dayNames[(k+1)%7])
			}
		}
		i = j + 1
	}
	return b.String()
}

// Window is a span of the local wall clock, repeated on Days.
//
// Start and End are seconds since local midnight (as the clock shows it).
// Start is inclusive and in 0..86399; End is exclusive and in 0..86400.
//
//   - End > Start: the window runs from Start to End on each day in Days.
//   - End < Start: the window crosses midnight and ends on the next day:
//     {Monday, 21:00, 07:00} runs from Monday 21:00 to Tuesday 07:00.
//   - End == Start: the window lasts a whole day, from Start on a day in
//     Days to Start on the next day; {Monday, 0, 0} is all of Monday, as is
//     {Monday, 0, 86400}.
//
// The zero Window has no days and is never active.
type Window struct {
	Days       Weekdays
	Start, End int
}

// Errors of Validate and ParseWindow, for errors.Is.
var (
	ErrNoDays = errors.New("schedule: no days")
	ErrRange  = errors.New("schedule: time out of range")
	ErrSyntax = errors.New("schedule: syntax")
)

// The sentinels as they read inside this package's errors, which name the
// package already: `schedule: window "mon 25:00-07:00": start "25:00": time
// out of range`.
var (
	noDays     = sentinel.Unprefixed(ErrNoDays)
	outOfRange = sentinel.Unprefixed(ErrRange)
	badSyntax  = sentinel.Unprefixed(ErrSyntax)
)

// Validate reports whether w is well formed: Days not empty and without bit
// 7, Start in 0..86399 and End in 0..86400. Active and Next ignore windows
// that are not.
func (w Window) Validate() error {
	switch {
	case w.Days == 0 || w.Days&^AllDays != 0:
		return fmt.Errorf("schedule: window days %#x: %w", uint8(w.Days), noDays)
	case w.Start < 0 || w.Start >= day:
		return fmt.Errorf("schedule: window start %d: %w", w.Start, outOfRange)
	case w.End < 0 || w.End > day:
		return fmt.Errorf("schedule: window end %d: %w", w.End, outOfRange)
	}
	return nil
}

// valid is Validate without the error value, for the hot path.
func (w Window) valid() bool {
	return w.Days != 0 && w.Days&^AllDays == 0 && w.Start >= 0 && w.Start < day && w.End >= 0 && w.End <= day
}

// String returns the canonical text of w, such as "mon-fri 21:00-07:00",
// with seconds only where they are not zero ("mon 21:00:30-07:00"). For a
// valid window ParseWindow(w.String()) returns w.
func (w Window) String() string {
	return w.Days.String() + " " + clock(w.Start) + "-" + clock(w.End)
}

func clock(s int) string {
	b := make([]byte, 0, 8)
	b = appendTwo(b, s/3600)
	b = append(b, ':')
	b = appendTwo(b, s/60%60)
	if s%60 != 0 {
		b = append(b, ':')
		b = appendTwo(b, s%60)
	}
	return string(b)
}

func appendTwo(b []byte, n int) []byte {
	if n >= 0 && n < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(n), 10)
}

// ParseWindow reads a window from its text: days, white space, and a start
// and an end separated by "-", as in
//
//	mon-fri 21:00-07:00
//	sat,sun 22:30-08:00
//	daily 00:00-24:00
//	mon 16:00-18:00
//	weekend 09:00:30-09:45
//
// Days are a comma-separated list of three-letter names (sun … sat), ranges
// of them in week order ("fri-mon" is Friday to Monday) and the words
// "daily", "weekdays" (mon-fri) and "weekend" (sat,sun), in any case. Times
// are H:MM or HH:MM, optionally with :SS; "24:00" is allowed as an end. See
// Window for what an end at or before the start means.
//
// Errors quote the input and name the bad part, as in
// `schedule: window "mon-fry 21:00-07:00": day "fry": syntax`.
func ParseWindow(s string) (Window, error) {
	fail := func(part string, err error) (Window, error) {
		return Window{}, fmt.Errorf("schedule: window %q: %s: %w", s, part, err)
	}
	f := strings.Fields(s)
	if len(f) != 2 {
		return fail(`want "DAYS START-END"`, badSyntax)
	}
	days, err := parseDays(f[0])
	if err != nil {
		return Window{}, fmt.Errorf("schedule: window %q: %w", s, err)
	}
	from, to, ok := strings.Cut(f[1], "-")
	if !ok {
		return fail(fmt.Sprintf("times %q: want START-END", f[1]), badSyntax)
	}
	w := Window{Days: days}
	if w.Start, err = parseClock(from, false); err != nil {
		return fail(fmt.Sprintf("start %q", from), err)
	}
	if w.End, err = parseClock(to, true); err != nil {
		return fail(fmt.Sprintf("end %q", to), err)
	}
	return w, nil
}

// parseDays reads a day list. Its error text names the bad item; the
// wrapped error is the sentinel.
func parseDays(s string) (Weekdays, error) {
	var w Weekdays
	for item := range strings.SplitSeq(s, ",") {
		switch strings.ToLower(item) {
		case "daily":
			w |= AllDays
			continue
		case "weekdays":
			w |= DaysOf(time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday)
			continue
		case "weekend":
			w |= DaysOf(time.Saturday, time.Sunday)
			continue
		}
		from, to, isRange := strings.Cut(item, "-")
		a, ok := dayIndex(from)
		if !ok {
			return 0, fmt.Errorf("day %q: %w", from, badSyntax)
		}
		b := a
		if isRange {
			if b, ok = dayIndex(to); !ok {
				return 0, fmt.Errorf("day %q: %w", to, badSyntax)
			}
		}
		for d := a; ; d = (d + 1) % 7 {
			w |= 1 << d
			if d == b {
				break
			}
		}
	}
	return w, nil
}

func dayIndex(s string) (int, bool) {
	for i, n := range dayNames {
		if strings.EqualFold(s, n) {
			return i, true
		}
	}
	return 0, false
}

// parseClock reads H:MM, HH:MM, H:MM:SS or HH:MM:SS as seconds since
// midnight; 24:00[:00] only if end.
func parseClock(s string, end bool) (int, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 || len(parts[0]) < 1 || len(parts[0]) > 2 {
		return 0, badSyntax
	}
	var v [3]int
	for i, p := range parts {
		if i > 0 && len(p) != 2 {
			return 0, badSyntax
		}
		for _, c := range []byte(p) {
			if c < '0' || c > '9' {
				return 0, badSyntax
			}
			v[i] = v[i]*10 + int(c-'0')
		}
	}
	h, m, sec := v[0], v[1], v[2]
	switch {
	case m > 59 || sec > 59:
		return 0, outOfRange
	case h == 24 && m == 0 && sec == 0 && end:
		return day, nil
	case h > 23:
		return 0, outOfRange
	}
	return h*3600 + m*60 + sec, nil
}
