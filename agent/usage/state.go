package usage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/safeinternet/cpe/internal/sentinel"
)

// The state file: JSON, versioned, small (a few hundred bytes a person).
// Durations are Go duration strings ("1h5m0s"), exact and readable.
//
//	{"version":1,"date":"2024-06-03","people":{"anna":{"used":"1h5m0s",
//	 "categories":{"3":"20m0s"},"warned":1,"exhausted":8}}}
//
// A new version of the format gets a new number and a migration in Load.
const stateVersion = 1

// maxStateSize bounds what Load reads: MaxPeople people with every
// category counted fit in well under it.
const maxStateSize = 1 << 20

// maxUsed bounds a plausible counter in a state file: a day has at most 25
// hours on the clock; anything beyond a week is corruption.
const maxUsed = 7 * 24 * time.Hour

// Errors of Load, for errors.Is.
var (
	// ErrCorrupt: the state is not a valid state file.
	ErrCorrupt = errors.New("usage: corrupt state")
	// ErrVersion: the state file has a version this build cannot read.
	ErrVersion = errors.New("usage: unsupported state version")
)

// The sentinels as they read inside this package's errors, which name the
// package already ("usage: load: corrupt state: no version").
var (
	corrupt    = sentinel.Unprefixed(ErrCorrupt)
	badVersion = sentinel.Unprefixed(ErrVersion)
)

type stateFile struct {
	Version int                    `json:"version"`
	Date    string                 `json:"date"` // local date of the counters, YYYY-MM-DD
	People  map[string]statePerson `json:"people"`
}

type statePerson struct {
	Used       duration           `json:"used"`
	Categories map[uint8]duration `json:"categories,omitempty"`
	Warned     uint32             `json:"warned,omitempty"`
	Exhausted  uint32             `json:"exhausted,omitempty"`
}

// duration is a time.Duration written as its String.
type duration time.Duration

func (d duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

func (d *duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = duration(v)
	return nil
}

// MarshalJSON encodes today's counters and the events already sent, in the
// versioned format that Load reads. Bytes of the current period are not
// included. It does not change Dirty.
func (m *Meter) MarshalJSON() ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, _ := m.encodeLocked()
	return b, nil
}

// encodeLocked returns the encoding and the change count it reflects.
func (m *Meter) encodeLocked() ([]byte, uint64) {
	f := stateFile{Version: stateVersion, People: make(map[string]statePerson, len(m.people))}
	if m.day != (date{}) {
		f.Date = m.day.String()
	}
	for name, p := range m.people {
		if p.used == 0 && p.warned == 0 && p.exhausted == 0 {
			continue
		}
		sp := statePerson{Used: duration(p.used), Warned: p.warned, Exhausted: p.exhausted}
		for c, u := range p.catUsed {
			if u != 0 && c > 0 {
				if sp.Categories == nil {
					sp.Categories = make(map[uint8]duration)
				}
				sp.Categories[uint8(c)] = duration(u)
			}
		}
		f.People[name] = sp
	}
	b, err := json.Marshal(f)
	if err != nil {
		panic("usage: encode state: " + err.Error()) // cannot happen: plain types
	}
	return append(b, '\n'), m.changes
}

// Save writes the state as MarshalJSON encodes it to w, in exactly one
// Write call, so w may be an adapter that writes a file atomically with the
// whole slice (atomicfile.WriteFile). If the write succeeds, Dirty reports
// false until the next change; changes made while Save ran keep it true.
// Save does not retain the slice it writes.
func (m *Meter) Save(w io.Writer) error {
	m.mu.Lock()
	b, gen := m.encodeLocked()
	m.mu.Unlock()
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("usage: save: %w", err)
	}
	m.mu.Lock()
	m.saved = max(m.saved, gen)
	m.mu.Unlock()
	return nil
}

// Load reads a state that Save wrote. If its date is the local date of now
// (in now.Location()), it replaces the Meter's counters and sent events
// with the file's, keeping bytes already added for the current period, and
// the Meter is not Dirty. A valid state of another date holds nothing for
// today: Load leaves the Meter as it is and returns nil. Load is meant for
// start-up, before the first Close.
//
// A state that cannot be read, is not valid JSON of the right shape, holds
// an impossible value (a negative or week-long counter, a category id out
// of range, more than MaxPeople people, a bad name) or is larger than 1 MiB
// returns an error wrapping ErrCorrupt (or ErrVersion for another version)
// and loads nothing: the Meter is unchanged.
func (m *Meter) Load(r io.Reader, now time.Time) error {
	f, err := decodeState(r)
	if err != nil {
		return fmt.Errorf("usage: load: %w", err)
	}
	day, err := time.Parse(time.DateOnly, f.Date)
	d := dateOf(day)
	if err != nil || d != dateOf(now) {
		return nil // another day's, or (no date) a Meter that never closed a period
	}
	people := make(map[string]*tally, len(f.People))
	for name, sp := range f.People {
		p := &tally{used: time.Duration(sp.Used), warned: sp.Warned, exhausted: sp.Exhausted}
		for c, u := range sp.Categories {
			p.catUsed[c] = time.Duration(u)
		}
		people[name] = p
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, old := range m.people {
		if old.bytes == 0 {
			continue
		}
		p := people[name]
		if p == nil {
			if len(people) >= MaxPeople {
				m.dropped++
				continue
			}
			p = new(tally)
			people[name] = p
		}
		p.bytes, p.catBytes = old.bytes, old.catBytes
	}
	m.day, m.people = d, people
	m.changes++
	m.saved = m.changes
	return nil
}

// decodeState reads and checks a state file.
func decodeState(r io.Reader) (*stateFile, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxStateSize+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(b) > maxStateSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", corrupt, maxStateSize)
	}
	var v struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%w: %w", corrupt, err)
	}
	switch {
	case v.Version == nil:
		return nil, fmt.Errorf("%w: no version", corrupt)
	case *v.Version != stateVersion:
		return nil, fmt.Errorf("%w: %d", badVersion, *v.Version)
	}
	var f stateFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %w", corrupt, err)
	}
	if _, err := time.Parse(time.DateOnly, f.Date); err != nil && (f.Date != "" || len(f.People) > 0) {
		return nil, fmt.Errorf("%w: date %q", corrupt, f.Date)
	}
	if len(f.People) > MaxPeople {
		return nil, fmt.Errorf("%w: %d people, more than %d", corrupt, len(f.People), MaxPeople)
	}
	for name, p := range f.People {
		if name == "" || len(name) > MaxNameLen {
			return nil, fmt.Errorf("%w: person name %q", corrupt, name)
		}
		if p.Used < 0 || time.Duration(p.Used) > maxUsed {
			return nil, fmt.Errorf("%w: person %q: used %v", corrupt, name, time.Duration(p.Used))
		}
		for c, u := range p.Categories {
			if c == 0 || c >= Categories || u < 0 || time.Duration(u) > maxUsed {
				return nil, fmt.Errorf("%w: person %q: category %d: used %v", corrupt, name, c, time.Duration(u))
			}
		}
	}
	return &f, nil
}
