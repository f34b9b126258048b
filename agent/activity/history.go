// Package activity keeps what the parents' page shows of the household's
// past: the most recent blocked attempts (Log, written by the queues
// without allocating) and the per-day History of each person's time and
// blocked attempts (written by the household keeper, kept in the persist
// folder, 14 days). Both are capped and safe for concurrent use.
package activity

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/internal/atomicfile"
)

// Caps of the activity history: days kept, people per day (the
// configuration names far fewer), and blocked names per person and day.
const (
	File       = "activity.json" // in the persist folder
	MaxDays    = 14
	MaxPeople  = 64
	MaxDomains = 50
)

// History is the per-day history the page charts: each person's time
// (total and per category, from the meter) and blocked attempts (per
// category, and per name when the household keeps names). The keeper
// writes it; the page reads it. It is bounded by the caps above.
type History struct {
	mu   sync.Mutex // guards days
	days []*savedDay
}

// savedDay is one local day; its JSON form is the file's.
type savedDay struct {
	Date   string               `json:"date"`
	People map[string]*savedRow `json:"people"`
}

// savedRow is one person's day. Used and Categories are seconds.
type savedRow struct {
	Used       int64            `json:"used_seconds"`
	Categories map[string]int64 `json:"categories,omitempty"`
	Blocked    map[string]int   `json:"blocked,omitempty"`
	Domains    map[string]int   `json:"domains,omitempty"`
}

// row returns person's row of date, creating the day (dropping the oldest
// past the cap) and the row as needed; nil when the day is full.
func (a *History) row(date, person string) *savedRow {
	var day *savedDay
	if n := len(a.days); n > 0 && a.days[n-1].Date == date {
		day = a.days[n-1]
	} else {
		if n > 0 && a.days[n-1].Date > date {
			return nil // the clock went back a day: keep the history as is
		}
		day = &savedDay{Date: date, People: map[string]*savedRow{}}
		a.days = append(a.days, day)
		if len(a.days) > MaxDays {
			a.days = slices.Delete(a.days, 0, len(a.days)-MaxDays)
		}
	}
	r := day.People[person]
	if r == nil {
		if len(day.People) >= MaxPeople {
			return nil
		}
		r = &savedRow{}
		day.People[person] = r
	}
	return r
}

// setUsed records person's time used on date so far.
func (a *History) SetUsed(date, person string, total time.Duration, perCat []time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.row(date, person)
	if r == nil {
		return
	}
	r.Used = int64(total / time.Second)
	for id, d := range perCat {
		if d <= 0 || id >= 32 {
			continue
		}
		if r.Categories == nil {
			r.Categories = map[string]int64{}
		}
		r.Categories[key(category.ID(id))] = int64(d / time.Second) // "": no category
	}
}

// addBlocked counts a blocked attempt of person on date; name is kept
// when withName (at most MaxDomains names a day, then only counts).
func (a *History) AddBlocked(date, person string, cat category.ID, name string, withName bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.row(date, person)
	if r == nil {
		return
	}
	if r.Blocked == nil {
		r.Blocked = map[string]int{}
	}
	r.Blocked[key(cat)]++
	if !withName || name == "" {
		return
	}
	if r.Domains == nil {
		r.Domains = map[string]int{}
	}
	if _, ok := r.Domains[name]; ok || len(r.Domains) < MaxDomains {
		r.Domains[name]++
	}
}

// forgetDomains drops every kept name (the household turned names off).
func (a *History) ForgetDomains() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, d := range a.days {
		for _, r := range d.People {
			r.Domains = nil
		}
	}
}

// Day is one local day of the history, as the page charts it.
type Day struct {
	Date   string // YYYY-MM-DD
	People []PersonDay
}

// PersonDay is one person's activity on one day: time used, in total and
// per category id ("" for sites of no category); blocked attempts per
// category id ("" for a block without one, such as bedtime); blocked names
// with counts, only when the household keeps them.
type PersonDay struct {
	Person     string
	Used       time.Duration
	Categories map[string]time.Duration
	Blocked    map[string]int
	Domains    map[string]int
}

// Days returns the last n days up to today (local), oldest first, days
// without activity included as empty. The result is the caller's.
func (a *History) Days(today time.Time, n int) []Day {
	a.mu.Lock()
	defer a.mu.Unlock()
	byDate := map[string]*savedDay{}
	for _, d := range a.days {
		byDate[d.Date] = d
	}
	out := make([]Day, 0, n)
	for i := n - 1; i >= 0; i-- {
		date := today.AddDate(0, 0, -i).Format(time.DateOnly)
		day := Day{Date: date}
		if d := byDate[date]; d != nil {
			for _, id := range slices.Sorted(maps.Keys(d.People)) {
				r := d.People[id]
				pd := PersonDay{Person: id, Used: time.Duration(r.Used) * time.Second,
					Categories: map[string]time.Duration{}, Blocked: maps.Clone(r.Blocked), Domains: maps.Clone(r.Domains)}
				for c, s := range r.Categories {
					pd.Categories[c] = time.Duration(s) * time.Second
				}
				day.People = append(day.People, pd)
			}
		}
		out = append(out, day)
	}
	return out
}

// save writes the history to dir atomically.
func (a *History) Save(dir string) error {
	a.mu.Lock()
	data, err := json.Marshal(a.days)
	a.mu.Unlock()
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, File), data, 0o644)
}

// Load reads the history saved in dir; a missing file is no history. A
// file that cannot be read leaves the history empty and says why.
func (a *History) Load(dir string) error {
	data, err := os.ReadFile(filepath.Join(dir, File))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var days []*savedDay
	if err := json.Unmarshal(data, &days); err != nil {
		return atomicfile.SetAside(filepath.Join(dir, File), fmt.Errorf("activity history: %w", err))
	}
	days = slices.DeleteFunc(days, func(d *savedDay) bool {
		if d == nil || d.People == nil {
			return true
		}
		_, err := time.Parse(time.DateOnly, d.Date)
		return err != nil
	})
	slices.SortFunc(days, func(x, y *savedDay) int { return strings.Compare(x.Date, y.Date) })
	if len(days) > MaxDays {
		days = days[len(days)-MaxDays:]
	}
	for _, d := range days {
		for id, r := range d.People {
			if r == nil || len(d.People) > MaxPeople {
				delete(d.People, id)
			} else if len(r.Domains) > MaxDomains {
				r.Domains = nil
			}
		}
	}
	a.mu.Lock()
	a.days = days
	a.mu.Unlock()
	return nil
}

// key spells a category in the history: "" for none.
func key(id category.ID) string {
	if id == 0 {
		return ""
	}
	return id.String()
}
