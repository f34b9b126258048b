package uitest

import (
	"slices"
	"strconv"
	"time"

	"github.com/safeinternet/cpe/ui"
)

// Ask's limits per device: one pending request of each kind, and at most
// askPerHour requests within an hour.
const askPerHour = 5

// Requests returns every request, newest first.
func (f *Fake) Requests() []ui.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

// Ask records a request from dev. It refuses an unknown kind or a bad
// name with a *ui.FieldError, and returns a *ui.RateLimitError when dev
// already has a pending request of that kind or asked askPerHour times
// within the hour.
func (f *Fake) Ask(dev ui.Device, kind ui.RequestKind, name string, now time.Time) (ui.Request, error) {
	switch kind {
	case ui.AskTime:
		name = ""
	case ui.AskUnblock:
		n, err := normalDomain("name", name)
		if err != nil {
			return ui.Request{}, err
		}
		name = n
	default:
		return ui.Request{}, refuse("kind", "%q is not time or unblock", kind)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var inHour []time.Time
	for _, r := range f.requests {
		if r.Device != dev.MAC {
			continue
		}
		if r.Kind == kind && r.State == "pending" {
			return ui.Request{}, &ui.RateLimitError{RetryAfter: 5 * time.Minute}
		}
		if r.Created.After(now.Add(-time.Hour)) {
			inHour = append(inHour, r.Created)
		}
	}
	if len(inHour) >= askPerHour {
		oldest := slices.MinFunc(inHour, func(a, b time.Time) int { return a.Compare(b) })
		return ui.Request{}, &ui.RateLimitError{RetryAfter: oldest.Add(time.Hour).Sub(now)}
	}
	person := "@unassigned"
	if i := f.device(dev.MAC); i >= 0 && f.hh.Devices[i].Person != "" {
		person = f.hh.Devices[i].Person
	}
	r := ui.Request{ID: "r" + strconv.Itoa(f.nextReq), Kind: kind, Person: person, Device: dev.MAC,
		Name: name, Created: now, State: "pending"}
	f.nextReq++
	f.requests = slices.Insert(f.requests, 0, r)
	if len(f.requests) > maxRequests {
		f.requests = f.requests[:maxRequests]
	}
	return r, nil
}

// Answer approves or denies request id. An approved time request frees the
// person for the granted time (extra time that runs longer stays) and adds
// it to today's limit; an approved unblock request allows the name for the
// person until then. An approval grants at least a minute (else a
// *ui.FieldError on minutes), to a person (else on decision); a name the
// ISP baseline blocks cannot be allowed (on name).
func (f *Fake) Answer(id string, approve bool, g ui.Grant, now time.Time) (ui.Request, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.requests, func(r ui.Request) bool { return r.ID == id })
	if i < 0 {
		return ui.Request{}, ui.ErrNotFound
	}
	r := &f.requests[i]
	if r.State != "pending" {
		return ui.Request{}, ui.ErrAnswered
	}
	if !approve {
		r.State, r.Decided = "denied", now
		return *r, nil
	}
	until := now.Add(time.Duration(g.Minutes) * time.Minute)
	if g.UntilTomorrow {
		lt := now.In(f.loc)
		until = time.Date(lt.Year(), lt.Month(), lt.Day()+1, 0, 0, 0, 0, f.loc)
	} else if g.Minutes < 1 {
		return *r, refuse("minutes", "an approval grants at least a minute")
	}
	if r.Person == "" || r.Person[0] == '@' {
		return *r, refuse("decision", "the device belongs to nobody: assign it to a person first")
	}
	p := f.person(r.Person)
	if p < 0 {
		return *r, ui.ErrNotFound
	}
	if l := f.lockedDomain(r.Name); r.Kind == ui.AskUnblock && l != "" {
		return *r, refuse("name", "%s is blocked by the ISP baseline (%s.block %s): it cannot be allowed", r.Name, f.hh.Locked.Source, l)
	}
	r.State, r.Decided, r.Until = "approved", now, until
	switch r.Kind {
	case ui.AskTime:
		if until.After(f.hh.People[p].FreeUntil) {
			f.hh.People[p].FreeUntil = until
		}
		f.addExtra(r.Person, until.Sub(now).Truncate(time.Minute), now)
	case ui.AskUnblock:
		f.hh.People[p].TempAllow = append(f.hh.People[p].TempAllow, ui.TempAllow{Domain: r.Name, Until: until})
	}
	f.prune(now)
	return *r, nil
}
