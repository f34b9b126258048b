package daemon

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

	"github.com/safeinternet/cpe/agent/atomicfile"
	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/ui"
)

// Caps of the activity history: days kept, people per day (the
// configuration names far fewer), and blocked names per person and day.
const (
	activityFile    = "activity.json"
	activityDays    = 14
	activityPeople  = 64
	activityDomains = 50
)

// activity is the per-day history the page charts: each person's time
// (total and per category, from the meter) and blocked attempts (per
// category, and per name when the household keeps names). The keeper
// writes it; the page reads it. It is bounded by the caps above.
type activity struct {
	mu   sync.Mutex // guards days
	days []*activityDay
}

// activityDay is one local day; its JSON form is the file's.
type activityDay struct {
	Date   string                  `json:"date"`
	People map[string]*activityRow `json:"people"`
}

// activityRow is one person's day. Used and Categories are seconds.
type activityRow struct {
	Used       int64            `json:"used_seconds"`
	Categories map[string]int64 `json:"categories,omitempty"`
	Blocked    map[string]int   `json:"blocked,omitempty"`
	Domains    map[string]int   `json:"domains,omitempty"`
}

// row returns person's row of date, creating the day (dropping the oldest
// past the cap) and the row as needed; nil when the day is full.
func (a *activity) row(date, person string) *activityRow {
	var day *activityDay
	if n := len(a.days); n > 0 && a.days[n-1].Date == date {
		day = a.days[n-1]
	} else {
		if n > 0 && a.days[n-1].Date > date {
			return nil // the clock went back a day: keep the history as is
		}
		day = &activityDay{Date: date, People: map[string]*activityRow{}}
		a.days = append(a.days, day)
		if len(a.days) > activityDays {
			a.days = slices.Delete(a.days, 0, len(a.days)-activityDays)
		}
	}
	r := day.People[person]
	if r == nil {
		if len(day.People) >= activityPeople {
			return nil
		}
		r = &activityRow{}
		day.People[person] = r
	}
	return r
}

// setUsed records person's time used on date so far.
func (a *activity) setUsed(date, person string, total time.Duration, perCat []time.Duration) {
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
		r.Categories[categoryName(category.ID(id))] = int64(d / time.Second) // "": no category
	}
}

// addBlocked counts a blocked attempt of person on date; name is kept
// when withName (at most activityDomains names a day, then only counts).
func (a *activity) addBlocked(date, person string, cat category.ID, name string, withName bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.row(date, person)
	if r == nil {
		return
	}
	if r.Blocked == nil {
		r.Blocked = map[string]int{}
	}
	key := ""
	if cat != 0 {
		key = cat.String()
	}
	r.Blocked[key]++
	if !withName || name == "" {
		return
	}
	if r.Domains == nil {
		r.Domains = map[string]int{}
	}
	if _, ok := r.Domains[name]; ok || len(r.Domains) < activityDomains {
		r.Domains[name]++
	}
}

// forgetDomains drops every kept name (the household turned names off).
func (a *activity) forgetDomains() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, d := range a.days {
		for _, r := range d.People {
			r.Domains = nil
		}
	}
}

// setAside renames a saved file that cannot be read to name.bad, so that
// the next save does not overwrite what a person may still recover, and
// returns err saying so.
func setAside(name string, err error) error {
	if rerr := os.Rename(name, name+".bad"); rerr != nil {
		return fmt.Errorf("%w (not set aside: %v)", err, rerr)
	}
	return fmt.Errorf("%w (set aside as %s.bad)", err, filepath.Base(name))
}

// view returns the last n days up to today (local), oldest first, days
// without activity included as empty.
func (a *activity) view(today time.Time, n int) []ui.Day {
	a.mu.Lock()
	defer a.mu.Unlock()
	byDate := map[string]*activityDay{}
	for _, d := range a.days {
		byDate[d.Date] = d
	}
	out := make([]ui.Day, 0, n)
	for i := n - 1; i >= 0; i-- {
		date := today.AddDate(0, 0, -i).Format(time.DateOnly)
		day := ui.Day{Date: date}
		if d := byDate[date]; d != nil {
			for _, id := range slices.Sorted(maps.Keys(d.People)) {
				r := d.People[id]
				pd := ui.PersonDay{Person: id, Used: time.Duration(r.Used) * time.Second,
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
func (a *activity) save(dir string) error {
	a.mu.Lock()
	data, err := json.Marshal(a.days)
	a.mu.Unlock()
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, activityFile), data, 0o644)
}

// load reads the history saved in dir; a missing file is no history. A
// file that cannot be read leaves the history empty and says why.
func (a *activity) load(dir string) error {
	data, err := os.ReadFile(filepath.Join(dir, activityFile))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var days []*activityDay
	if err := json.Unmarshal(data, &days); err != nil {
		return setAside(filepath.Join(dir, activityFile), fmt.Errorf("activity history: %w", err))
	}
	days = slices.DeleteFunc(days, func(d *activityDay) bool {
		_, err := time.Parse(time.DateOnly, d.Date)
		return d == nil || err != nil || d.People == nil
	})
	slices.SortFunc(days, func(x, y *activityDay) int { return strings.Compare(x.Date, y.Date) })
	if len(days) > activityDays {
		days = days[len(days)-activityDays:]
	}
	for _, d := range days {
		for id, r := range d.People {
			if r == nil || len(d.People) > activityPeople {
				delete(d.People, id)
			} else if len(r.Domains) > activityDomains {
				r.Domains = nil
			}
		}
	}
	a.mu.Lock()
	a.days = days
	a.mu.Unlock()
	return nil
}
