// Package usage counts screen time: how long each person used the network
// today, in total and per category, against daily limits.
//
// The daemon reads conntrack byte counters every accounting period P,
// turns them into per-flow deltas with a Tracker, attributes each delta to
// a person (by device) and a category, and feeds them to a Meter with Add.
// At the end of each period, Close counts the period as P seconds of use
// for every person whose bytes in it reached the Meter's threshold, so that
// background trickles (push notifications, keepalives) do not count; per
// category likewise, with the category's own bytes. A person's devices
// share one count: two devices busy in the same period count it once.
//
// Days are local dates, in the location of the time given to Close and
// Load; counters restart at local midnight. Durations are counted as
// periods closed, never as differences of wall-clock readings, so clock
// steps do not add or remove time (only a change of date resets).
//
// Time is always passed in: the package reads no clock, does no network or
// file I/O (Save and Load take a writer and a reader) and keeps no
// package-level state.
package usage

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// Bounds and constants of the Meter.
const (
	// Categories is the number of category ids with their own counter and
	// limit: 1 to Categories-1. Category 0 is "none"; larger ids count
	// toward the total only.
	Categories = 32
	// MaxPeople caps the people a Meter tracks. The configuration bounds
	// the real number; the cap stops a buggy caller that invents names
	// from growing the map. Add drops bytes of new names past the cap.
	MaxPeople = 256
	// MaxNameLen caps the length in bytes of a person's name; Add drops
	// bytes for longer (or empty) names.
	MaxNameLen = 128
	// WarnBefore is how much time is left when Close warns.
	WarnBefore = 5 * time.Minute
	// Unlimited is the Remaining of a Restored event whose limit was
	// removed.
	Unlimited = time.Duration(math.MaxInt64)
)

// Limits are a person's daily limits. Zero means no limit.
type Limits struct {
	// Total limits the person's use of the network, all categories
	// together. A bonus given to Close or Exhausted adds to it.
	Total time.Duration
	// PerCategory limits use per category id; index 0 is unused.
	PerCategory [Categories]time.Duration
}

// EventKind says what happened to a limit.
type EventKind uint8

// Kinds of Event.
const (
	// Warning: WarnBefore or less remains. Sent once as the remaining time
	// falls to WarnBefore; again only if a bonus or a raised limit first
	// lifts it above WarnBefore.
	Warning EventKind = iota + 1
	// Exhausted: the limit is reached. Sent once; Remaining is 0.
	Exhausted
	// Restored: a limit that was exhausted is not any more, after a bonus,
	// a raised or removed limit, or a new day. When WarnBefore or less
	// remains, it stands for the Warning too.
	Restored
)

// String returns the kind's lowercase name, such as "warning".
func (k EventKind) String() string {
	switch k {
	case Warning:
		return "warning"
	case Exhausted:
		return "exhausted"
	case Restored:
		return "restored"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// MarshalText returns String, for JSON logs.
func (k EventKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Event reports a change in a person's standing against one limit.
type Event struct {
	Person string
	Kind   EventKind
	// Category is the category of the limit; 0 for the total.
	Category uint8
	// Remaining is the time left under the limit: 0 when exhausted,
	// Unlimited when the limit was removed.
	Remaining time.Duration
}

// date is a local calendar date; the zero date is "none yet".
type date struct {
	y    int32
	m, d uint8
}

func dateOf(t time.Time) date {
	y, m, d := t.Date()
	return date{int32(y), uint8(m), uint8(d)}
}

func (d date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.y, d.m, d.d) }

// tally is one person's counters for the current day and period.
type tally struct {
	bytes    uint64                    // this period, all categories
	catBytes [Categories]uint64        // this period, per category
	used     time.Duration             // today, total
	catUsed  [Categories]time.Duration // today, per category
	// warned and exhausted have bit 0 for the total limit and bit c for
	// category c: a Warning or Exhausted event was sent.
	warned, exhausted uint32
}

// Meter counts today's use per person. It is safe for concurrent use: one
// mutex guards all its state, held briefly by each method. Add, Used and
// Exhausted do not allocate once a person is known.
type Meter struct {
	period    time.Duration // P: the time one counted period adds
	threshold uint64        // bytes a period needs to count

	mu      sync.Mutex // guards the fields below
	day     date       // the date of the counters; zero before the first Close or Load
	people  map[string]*tally
	dropped uint64 // Add calls dropped: name invalid or table full
	changes uint64 // count of changes to the state that Save writes
	saved   uint64 // changes as of the last Save
}

// NewMeter returns a Meter for accounting periods of length period, in
// which a person (or a category) needs threshold bytes for the period to
// count; a threshold of 0 counts any traffic. It panics if period is not
// positive.
func NewMeter(period time.Duration, threshold uint64) *Meter {
	if period <= 0 {
		panic("usage: NewMeter: non-positive period")
	}
	return &Meter{period: period, threshold: threshold, people: make(map[string]*tally)}
}

// Add records bytes that person used in category during the current
// period. Bytes for names that are empty or longer than MaxNameLen, and for
// new names once MaxPeople are known, are dropped (Dropped counts them).
// Add copies a new name; it does not retain person.
func (m *Meter) Add(person string, category uint8, bytes uint64) {
	if bytes == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.people[person]
	if p == nil {
		if person == "" || len(person) > MaxNameLen || len(m.people) >= MaxPeople {
			m.dropped++
			return
		}
		p = new(tally)
		m.people[strings.Clone(person)] = p
	}
	p.bytes += bytes
	if category > 0 && category < Categories {
		p.catBytes[category] += bytes
	}
}

// Close ends the period at now and returns what changed, sorted by person,
// category and kind; nil if nothing did.
//
// It counts the period for every person (and category) whose bytes reached
// the threshold, on the local date of the period's start, now−P: a period
// that spans midnight is charged to the day that ends, which is then reset,
// so the seconds after midnight are not charged. It rolls the day over when
// now's local date (in now.Location()) differs from the counters' date,
// forwards or backwards. Then it judges each known person against
// limits(person); limits may be nil (no limits), and is called with the
// Meter locked, so it must not call the Meter.
//
// Call Close once per period: each call counts one period, whatever the
// time between calls.
func (m *Meter) Close(now time.Time, limits func(person string) (l Limits, bonus time.Duration)) []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	if d := dateOf(now.Add(-m.period)); d != m.day {
		m.rollTo(d)
	}
	m.count()
	if d := dateOf(now); d != m.day {
		m.rollTo(d)
	}
	var events []Event
	for name, p := range m.people {
		var l Limits
		var bonus time.Duration
		if limits != nil {
			l, bonus = limits(name)
		}
		events = m.judge(events, name, p, l, bonus)
	}
	slices.SortFunc(events, func(a, b Event) int {
		return cmp.Or(strings.Compare(a.Person, b.Person), cmp.Compare(a.Category, b.Category), cmp.Compare(a.Kind, b.Kind))
	})
	return events
}

// rollTo starts day d: counters and warnings restart; people with nothing
// pending and nothing exhausted are forgotten (those exhausted stay, so
// that judge sends Restored).
func (m *Meter) rollTo(d date) {
	m.day = d
	m.changes++
	for name, p := range m.people {
		if p.bytes == 0 && p.exhausted == 0 {
			delete(m.people, name)
			continue
		}
		p.used, p.catUsed, p.warned = 0, [Categories]time.Duration{}, 0
	}
}

// count adds the period to the counters that reached the threshold and
// clears the period's bytes.
func (m *Meter) count() {
	for _, p := range m.people {
		if p.bytes == 0 {
			continue
		}
		if p.bytes >= m.threshold {
			p.used += m.period
			m.changes++
		}
		for c, b := range p.catBytes {
			if b > 0 && b >= m.threshold {
				p.catUsed[c] += m.period
			}
		}
		p.bytes, p.catBytes = 0, [Categories]uint64{}
	}
}

// judge appends the events of p against l and bonus.
func (m *Meter) judge(events []Event, name string, p *tally, l Limits, bonus time.Duration) []Event {
	for c := range Categories {
		limit, used := l.PerCategory[c], p.catUsed[c]
		if c == 0 {
			limit, used = l.Total, p.used
		}
		rem := limit - used
		if c == 0 {
			rem += bonus // a negative bonus takes time away
		}
		bit := uint32(1) << c
		ev := Event{Person: name, Category: uint8(c)}
		warned, exhausted := p.warned, p.exhausted
		switch {
		case limit <= 0:
			p.warned &^= bit
			if p.exhausted&bit != 0 {
				p.exhausted &^= bit
				ev.Kind, ev.Remaining = Restored, Unlimited
				events = append(events, ev)
			}
		case rem <= 0:
			if p.exhausted&bit == 0 {
				p.exhausted |= bit
				p.warned |= bit
				ev.Kind = Exhausted
				events = append(events, ev)
			}
		default:
			restored := p.exhausted&bit != 0
			if restored {
				p.exhausted &^= bit
				ev.Kind, ev.Remaining = Restored, rem
				events = append(events, ev)
			}
			switch {
			case rem > WarnBefore:
				p.warned &^= bit
			case p.warned&bit == 0:
				p.warned |= bit
				if !restored { // Restored already says how little is left
					ev.Kind, ev.Remaining = Warning, rem
					events = append(events, ev)
				}
			}
		}
		if p.warned != warned || p.exhausted != exhausted {
			m.changes++
		}
	}
	return events
}

// Used returns what person used today, as of the last Close: in total and
// per category id.
func (m *Meter) Used(person string) (total time.Duration, perCategory [Categories]time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p := m.people[person]; p != nil {
		return p.used, p.catUsed
	}
	return 0, perCategory
}

// Exhausted reports which of person's limits l (with bonus added to the
// total) are reached by today's use as of the last Close: the total, and a
// bit (1<<c) for each category c. It reads the counters, not the events,
// so it answers for whatever limits it is given.
func (m *Meter) Exhausted(person string, l Limits, bonus time.Duration) (total bool, categories uint32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.people[person]
	if p == nil {
		return false, 0
	}
	total = l.Total > 0 && p.used >= l.Total+bonus
	for c := 1; c < Categories; c++ {
		if l.PerCategory[c] > 0 && p.catUsed[c] >= l.PerCategory[c] {
			categories |= 1 << c
		}
	}
	return total, categories
}

// Dropped returns how many Add calls were dropped because the name was
// invalid or MaxPeople were known. A growing value points at a caller that
// invents names.
func (m *Meter) Dropped() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.dropped
}

// Dirty reports whether the state that Save writes changed since the last
// successful Save or Load.
func (m *Meter) Dirty() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.changes != m.saved
}
