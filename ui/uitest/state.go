package uitest

import (
	"slices"
	"strings"
	"time"

	"github.com/safeinternet/cpe/ui"
)

// dayNames are the window day names, indexed by time.Weekday.
var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// clockMinutes parses "HH:MM" (00:00–24:00) into minutes since midnight.
func clockMinutes(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' || strings.Trim(s[:2]+s[3:], "0123456789") != "" {
		return 0, false
	}
	h, m := int(s[0]-'0')*10+int(s[1]-'0'), int(s[3]-'0')*10+int(s[4]-'0')
	if m > 59 || h > 24 || h == 24 && m != 0 {
		return 0, false
	}
	return h*60 + m, true
}

// inWindow reports whether local time t falls in w. A window whose end is
// not after its start runs past midnight into the next day.
func inWindow(w ui.Window, t time.Time) bool {
	s, ok1 := clockMinutes(w.Start)
	e, ok2 := clockMinutes(w.End)
	if !ok1 || !ok2 {
		return false
	}
	m := t.Hour()*60 + t.Minute()
	today := slices.Contains(w.Days, dayNames[t.Weekday()])
	if s < e {
		return today && m >= s && m < e
	}
	yesterday := slices.Contains(w.Days, dayNames[(t.Weekday()+6)%7])
	return (today && m >= s) || (yesterday && m < e)
}

// scheduleOn reports whether any window of sc covers t.
func scheduleOn(sc ui.ScheduleConfig, t time.Time) bool {
	return slices.ContainsFunc(sc.Windows, func(w ui.Window) bool { return inWindow(w, t) })
}

// schedulesOf returns the schedules that apply to p: the profile's, then
// the person's own. f.mu held.
func (f *Fake) schedulesOf(p ui.PersonConfig) []ui.ScheduleConfig {
	var ids []string
	if i := f.profile(p.Profile); i >= 0 {
		ids = append(ids, f.hh.Profiles[i].Schedules...)
	}
	ids = append(ids, p.Schedules...)
	var out []ui.ScheduleConfig
	for _, id := range ids {
		if i := f.schedule(id); i >= 0 && !slices.ContainsFunc(out, func(s ui.ScheduleConfig) bool { return s.ID == id }) {
			out = append(out, f.hh.Schedules[i])
		}
	}
	return out
}

// limitOf returns p's daily limit today (with extra time granted on the
// local day of now). f.mu held.
func (f *Fake) limitOf(p ui.PersonConfig, now time.Time) (time.Duration, bool) {
	lim, has := p.DailyLimit, p.HasDailyLimit
	if !has {
		if i := f.profile(p.Profile); i >= 0 {
			lim, has = f.hh.Profiles[i].DailyLimit, f.hh.Profiles[i].HasDailyLimit
		}
	}
	if has && f.extraDay[p.ID] == now.In(f.loc).Format(time.DateOnly) {
		lim += f.extra[p.ID]
	}
	return lim, has
}

// stateAt returns p's state and rule at t. f.mu held.
func (f *Fake) stateAt(p ui.PersonConfig, t time.Time) (ui.State, string) {
	if p.PauseUntil.After(t) {
		return ui.StatePaused, ""
	}
	if p.FreeUntil.After(t) {
		return ui.StateOpen, ""
	}
	lt := t.In(f.loc)
	scheds := f.schedulesOf(p)
	for _, sc := range scheds {
		if sc.Kind == "bedtime" && scheduleOn(sc, lt) {
			return ui.StateBedtime, sc.ID
		}
	}
	firstAllowed := ""
	for _, sc := range scheds {
		if sc.Kind != "allowed" {
			continue
		}
		if scheduleOn(sc, lt) {
			firstAllowed = ""
			break
		}
		if firstAllowed == "" {
			firstAllowed = sc.ID
		}
	}
	if firstAllowed != "" {
		return ui.StateOutsideAllowed, firstAllowed
	}
	if lim, has := f.limitOf(p, t); has && f.used[p.ID] >= lim {
		return ui.StateTimeLimit, ""
	}
	return ui.StateOpen, ""
}

// personState is p as Overview shows it at now. f.mu held.
func (f *Fake) personState(p ui.PersonConfig, now time.Time) ui.Person {
	st, rule := f.stateAt(p, now)
	out := ui.Person{ID: p.ID, Name: p.Name, Profile: p.Profile, State: st, Rule: rule,
		Used: f.used[p.ID]}
	out.Limit, out.HasLimit = f.limitOf(p, now)
	out.Next = f.nextChange(p, now, st, rule)
	return out
}

// nextChange returns the first schedule boundary, pause end or free-time
// end within a week after now at which p's state differs; zero if none.
// f.mu held.
func (f *Fake) nextChange(p ui.PersonConfig, now time.Time, st ui.State, rule string) time.Time {
	week := now.Add(7 * 24 * time.Hour)
	var cands []time.Time
	for _, t := range []time.Time{p.PauseUntil, p.FreeUntil} {
		if t.After(now) && t.Before(week) {
			cands = append(cands, t)
		}
	}
	lt := now.In(f.loc)
	midnight := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, f.loc)
	for _, sc := range f.schedulesOf(p) {
		for _, w := range sc.Windows {
			for _, edge := range []string{w.Start, w.End} {
				m, ok := clockMinutes(edge)
				if !ok {
					continue
				}
				for d := range 9 {
					t := midnight.AddDate(0, 0, d).Add(time.Duration(m) * time.Minute)
					if t.After(now) && t.Before(week) {
						cands = append(cands, t)
					}
				}
			}
		}
	}
	slices.SortFunc(cands, func(a, b time.Time) int { return a.Compare(b) })
	for _, t := range cands {
		if s, r := f.stateAt(p, t); s != st || r != rule {
			return t
		}
	}
	return time.Time{}
}
