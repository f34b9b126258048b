package clock

import (
	"encoding/binary"
	"fmt"
	"time"
)

// The years a Location built from a Rule covers exactly. Before FirstYear it
// gives standard time; after LastYear it keeps the state of the last switch
// (standard time for every real rule). Go's own POSIX evaluator, which a TZif
// footer would bring in, is deliberately not used.
const (
	FirstYear = 1970
	LastYear  = 2200
)

// switchEvent is one switch between standard and daylight saving time.
type switchEvent struct {
	when  int64 // unix seconds
	order int   // 2*year for a start, 2*year+1 for an end: breaks ties
	dst   bool  // true for a start
}

// after reports whether e comes after f in the order switches are applied:
// by instant, and at the same instant by year, a year's start before its end.
func (e switchEvent) after(f switchEvent) bool {
	return e.when > f.when || e.when == f.when && e.order > f.order
}

// switches returns the start and the end of daylight saving time in year y,
// in unix seconds. A switch may fall in the next or the previous calendar year
// when its time is far from the day (e.g. "J365/25").
func (r *Rule) switches(y int) (start, end switchEvent) {
	start = switchEvent{
		when:  dayUnix(y, r.Start) + int64(r.Start.Time) - int64(r.StdOffset),
		order: 2 * y,
		dst:   true,
	}
	end = switchEvent{
		when:  dayUnix(y, r.End) + int64(r.End.Time) - int64(r.DSTOffset),
		order: 2*y + 1,
	}
	return start, end
}

// Offset evaluates the rule at t directly, without a Location: it returns the
// designation and the offset in seconds east of UTC in force at t. The state
// at t is the one set by the last switch at or before t (switches at the same
// instant apply in year order, a year's start before its end), so a rule whose
// end meets the next start, such as "EST5EDT4,0/0,J365/25", is daylight saving
// time all year. For t from FirstYear to LastYear, Location gives the same
// answer; tests use Offset to check it.
func (r *Rule) Offset(t time.Time) (name string, offsetSeconds int) {
	if r.DSTName == "" {
		return r.StdName, r.StdOffset
	}
	sec := t.Unix()
	y := t.UTC().Year()
	// A switch lies within about nine days of its own year (day ±167h
	// ±25h), so the last one at or before t belongs to one of these years.
	var last switchEvent
	found := false
	for yy := y - 2; yy <= y+1; yy++ {
		s, e := r.switches(yy)
		for _, ev := range [2]switchEvent{s, e} {
			if ev.when <= sec && (!found || ev.after(last)) {
				last, found = ev, true
			}
		}
	}
	if found && last.dst {
		return r.DSTName, r.DSTOffset
	}
	return r.StdName, r.StdOffset
}

// Location builds a *time.Location named name from the rule: it computes every
// switch from FirstYear to LastYear, encodes them as TZif data (RFC 8536,
// version 2, without a footer) and loads that with time.LoadLocationFromTZData.
// For every instant in those years the Location gives the same designation and
// offset as Offset. The result holds about 4 KB for a rule with daylight
// saving time. Errors are unexpected (they would be a bug in the encoder) and
// name the rule.
func (r *Rule) Location(name string) (*time.Location, error) {
	types := []tzType{{offset: r.StdOffset, name: r.StdName}}
	var tx []tzTransition
	if r.DSTName != "" {
		types = append(types, tzType{offset: r.DSTOffset, dst: true, name: r.DSTName})
		tx = r.transitions(FirstYear-2, LastYear+1)
	}
	loc, err := time.LoadLocationFromTZData(name, encodeTZif(types, tx))
	if err != nil {
		return nil, fmt.Errorf("clock: location %q: %w", name, err)
	}
	return loc, nil
}

// tzType is one local time type of a TZif file.
type tzType struct {
	offset int // seconds east of UTC
	dst    bool
	name   string
}

// tzTransition is one transition of a TZif file: from when on, type index
// applies.
type tzTransition struct {
	when  int64
	index uint8
}

// transitions returns the switches of the years from first to last as TZif
// transitions to type 0 (standard) or 1 (daylight saving), in time order,
// without transitions that change nothing; at one instant only the last
// switch counts, as in Offset.
func (r *Rule) transitions(first, last int) []tzTransition {
	events := make([]switchEvent, 0, 2*(last-first+1))
	for y := first; y <= last; y++ {
		s, e := r.switches(y)
		events = append(events, s, e)
	}
	// Nearly sorted already (each year's pair may be either way round, and
	// extreme times may overlap a neighbour): insertion sort is linear here.
	for i := 1; i < len(events); i++ {
		for j := i; j > 0 && events[j-1].after(events[j]); j-- {
			events[j-1], events[j] = events[j], events[j-1]
		}
	}
	out := make([]tzTransition, 0, len(events))
	dst := false // before the first transition: type 0, standard time
	for _, ev := range events {
		if n := len(out); n > 0 && out[n-1].when == ev.when {
			// A later switch at the same instant replaces the earlier.
			out = out[:n-1]
			dst = n > 1 && out[n-2].index == 1
		}
		if ev.dst == dst {
			continue
		}
		var index uint8
		if ev.dst {
			index = 1
		}
		out = append(out, tzTransition{when: ev.when, index: index})
		dst = ev.dst
	}
	return out
}

// encodeTZif returns TZif version 2 data (RFC 8536) with the given types and
// transitions, no leap seconds and an empty footer. The version 1 block is the
// minimal one the RFC allows: a single type and no transitions.
func encodeTZif(types []tzType, tx []tzTransition) []byte {
	var chars []byte
	idx := make([]int, len(types))
	for i, t := range types {
		idx[i] = len(chars)
		chars = append(chars, t.name...)
		chars = append(chars, 0)
	}
	b := make([]byte, 0, 44+6+1+44+9*len(tx)+6*len(types)+len(chars)+2)
	header := func(timecnt, typecnt, charcnt int) {
		b = append(b, "TZif2"...)
		b = append(b, make([]byte, 15)...)
		for _, n := range [6]int{0, 0, 0, timecnt, typecnt, charcnt} { // isut, isstd, leap, time, type, char
			b = binary.BigEndian.AppendUint32(b, uint32(n))
		}
	}
	// Version 1 block: one type (UTC, designation "") and no transitions.
	header(0, 1, 1)
	b = append(b, 0, 0, 0, 0, 0, 0, 0)
	// Version 2 block.
	header(len(tx), len(types), len(chars))
	for _, t := range tx {
		b = binary.BigEndian.AppendUint64(b, uint64(t.when))
	}
	for _, t := range tx {
		b = append(b, t.index)
	}
	for i, t := range types {
		b = binary.BigEndian.AppendUint32(b, uint32(int32(t.offset)))
		isDST := byte(0)
		if t.dst {
			isDST = 1
		}
		b = append(b, isDST, byte(idx[i]))
	}
	b = append(b, chars...)
	return append(b, '\n', '\n') // empty footer
}

// dayUnix returns the unix time of midnight (as if at UTC) starting the day
// that c names in year y. A JulianZero day 365 in a common year is January 1
// of the next year.
func dayUnix(y int, c Change) int64 {
	var day int64
	switch c.Kind {
	case JulianNoLeap:
		day = daysSinceEpoch(y, 1, 1) + int64(c.Day-1)
		if isLeap(y) && c.Day >= 60 {
			day++
		}
	case JulianZero:
		day = daysSinceEpoch(y, 1, 1) + int64(c.Day)
	case MonthWeekDay:
		first := daysSinceEpoch(y, c.Month, 1)
		wd := int((first%7 + 7 + 4) % 7) // 1970-01-01 was a Thursday
		d := (c.Day - wd + 7) % 7
		d += 7 * (c.Week - 1)
		for n := daysIn(y, c.Month); d >= n; {
			d -= 7
		}
		day = first + int64(d)
	}
	return day * 86400
}

// daysSinceEpoch returns the days from 1970-01-01 to the date in the
// proleptic Gregorian calendar (Howard Hinnant's days_from_civil).
func daysSinceEpoch(y, m, d int) int64 {
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := yy / 400
	if yy < 0 && yy%400 != 0 {
		era--
	}
	yoe := yy - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
