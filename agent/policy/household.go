package policy

import (
	"fmt"
	"time"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/config"
	"github.com/safeinternet/cpe/agent/schedule"
)

// Unassigned is the person id under which devices nobody has assigned are
// judged and counted (PersonState.ID, PersonOf). It cannot clash with a
// section name (uci names have no '@').
const Unassigned = "@unassigned"

// person is a member of the household, compiled: their profile's rules
// with their own on top. Devices that belong to nobody get a stand-in
// person of their own (the unassigned one, or one per device with a
// profile).
type person struct {
	// id is the section name, or a stand-in id ("@unassigned",
	// "device:02:00:…"); public is what Decision.Person shows ("" for
	// stand-ins).
	id, public, display string
	profile             string
	settings            Settings
	// blocked holds the blocked categories: the profile's, edited by the
	// person's block_category and allow_category.
	blocked category.Set
	allow   map[string]string
	block   map[string]string
	// tempAllow maps a domain allowed for a while to itself, tempUntil to
	// when that ends (the latest, if it is given twice).
	tempAllow  map[string]string
	tempUntil  map[string]time.Time
	schedules  []*sched
	limits     config.Limits
	pauseUntil time.Time
	freeUntil  time.Time
	bonus      []config.Bonus
	macs       [][6]byte
}

// sched is a schedule, compiled.
type sched struct {
	name  string
	kind  config.ScheduleKind
	week  schedule.Week
	block category.Set
}

// household holds what Compile needs to build people.
type household struct {
	profiles  map[string]*config.Profile
	schedules map[string]*sched
	people    map[string]*person
	order     []*person
}

// newHousehold compiles cfg's people.
func newHousehold(cfg *config.Config) (*household, error) {
	h := &household{
		profiles:  make(map[string]*config.Profile, len(cfg.Profiles)),
		schedules: make(map[string]*sched, len(cfg.Schedules)),
		people:    make(map[string]*person, len(cfg.People)),
	}
	for i := range cfg.Profiles {
		h.profiles[cfg.Profiles[i].Name] = &cfg.Profiles[i]
	}
	for _, s := range cfg.Schedules {
		h.schedules[s.Name] = &sched{name: s.Name, kind: s.Kind, week: s.Week, block: s.Block}
	}
	for _, cp := range cfg.People {
		p, err := h.person(cp.Name, cp.Name, cp.Display, cp.Profile, &cp.Rules)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrCompile, cp.Path, err)
		}
		p.allow, p.block = domainSet(cp.Allow), domainSet(cp.Block)
		if len(cp.TempAllow) > 0 {
			p.tempAllow, p.tempUntil = map[string]string{}, map[string]time.Time{}
			for _, ta := range cp.TempAllow {
				p.tempAllow[ta.Domain] = ta.Domain
				if ta.Until.After(p.tempUntil[ta.Domain]) {
					p.tempUntil[ta.Domain] = ta.Until
				}
			}
		}
		p.pauseUntil, p.freeUntil = cp.PauseUntil, cp.FreeUntil
		p.bonus = cp.Bonus
		h.people[cp.Name] = p
	}
	return h, nil
}

// standIn returns a person for devices that belong to nobody.
func (h *household) standIn(id, display, profile string) (*person, error) {
	p, err := h.person(id, "", display, profile, &config.Rules{})
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrCompile, id, err)
	}
	h.people[id] = p
	return p, nil
}

// person compiles one person with profile and their own rules r.
func (h *household) person(id, public, display, profile string, r *config.Rules) (*person, error) {
	prof := h.profiles[profile]
	if prof == nil && profile == "" {
		// Only a hand-made Config names no unassigned profile (config.Load
		// always does): its stand-ins get no protections.
		prof = &config.Profile{QUIC: true}
	}
	if prof == nil {
		return nil, fmt.Errorf("no profile %q", profile)
	}
	p := &person{id: id, public: public, display: display, profile: profile,
		settings: Settings{Profile: prof.Name, Restricted: prof.Restricted, NoQUIC: !prof.QUIC,
			SafeSearch: prof.SafeSearch, YouTube: prof.YouTube},
		blocked: (prof.Rules.Block | r.Block) &^ r.Allow,
		limits:  prof.Rules.Limits,
	}
	for _, list := range [][]string{prof.Rules.Schedules, r.Schedules} {
		for _, name := range list {
			sc := h.schedules[name]
			if sc == nil {
				return nil, fmt.Errorf("no schedule %q", name)
			}
			p.schedules = append(p.schedules, sc)
		}
	}
	if r.Limits.HasDaily {
		p.limits.Daily, p.limits.HasDaily = r.Limits.Daily, true
	}
	for _, id := range r.Limits.HasCategory.IDs() {
		p.limits.Category[id] = r.Limits.Category[id]
		p.limits.HasCategory = p.limits.HasCategory.With(id)
	}
	h.order = append(h.order, p)
	return p, nil
}

// timeState is what a person's pause and schedules say at one moment.
type timeState struct {
	// reason is ReasonPaused, ReasonBedtime or ReasonOutsideAllowed when
	// nothing but the allowlist may pass; ReasonNone otherwise.
	reason Reason
	// rule names the schedule that decided.
	rule string
	// focus holds the categories focus time blocks.
	focus category.Set
}

// free says the person has been granted extra time at now: schedules and
// limits do not apply.
func (p *person) free(now time.Time) bool {
	return !p.freeUntil.IsZero() && now.Before(p.freeUntil)
}

// state evaluates the person's pause and schedules at now. With an
// unsynced clock and the strict policy, a restricted person's schedules are
// in their strictest state: bedtime and focus on, allowed windows closed.
func (p *person) state(now time.Time, unsynced bool, policy config.UnsyncedPolicy) timeState {
	if !p.pauseUntil.IsZero() && now.Before(p.pauseUntil) {
		return timeState{reason: ReasonPaused}
	}
	if len(p.schedules) == 0 || p.free(now) {
		return timeState{}
	}
	strict := unsynced && policy == config.UnsyncedStrict && p.settings.Restricted
	var st timeState
	allowedRule, inAllowed := "", false
	for _, sc := range p.schedules {
		switch sc.kind {
		case config.Bedtime:
			if strict || sc.week.Active(now) {
				return timeState{reason: ReasonBedtime, rule: sc.name}
			}
		case config.Allowed:
			if allowedRule == "" {
				allowedRule = sc.name
			}
			if !strict && sc.week.Active(now) {
				inAllowed = true
			}
		case config.Focus:
			if strict || sc.week.Active(now) {
				st.focus |= sc.block
				if st.rule == "" {
					st.rule = sc.name
				}
			}
		}
	}
	if allowedRule != "" && !inAllowed {
		return timeState{reason: ReasonOutsideAllowed, rule: allowedRule}
	}
	return st
}

// next returns the first instant after now at which the person's pause,
// grant or schedules change; zero when none will within a week.
func (p *person) next(now time.Time) time.Time {
	var next time.Time
	consider := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if p.pauseUntil != config.Forever {
		consider(p.pauseUntil)
	}
	consider(p.freeUntil)
	for _, sc := range p.schedules {
		if t, ok := sc.week.Next(now); ok {
			consider(t)
		}
	}
	return next
}

// PersonState is one person's state at a moment, for the daemon (which
// refuses stopped devices in the kernel and cuts their connections) and
// the web page.
type PersonState struct {
	// ID is the person's id: their section name, or a stand-in's id
	// ("@unassigned", "device:<mac>") for devices that belong to nobody.
	ID string
	// Name is what the page shows.
	Name string
	// Profile is the person's profile.
	Profile string
	// MACs are the person's configured devices (none for Unassigned: its
	// devices are the unknown ones, which the daemon knows from traffic).
	MACs [][6]byte
	// Stopped is ReasonPaused, ReasonBedtime, ReasonOutsideAllowed or
	// ReasonTimeLimit when nothing but the allowlist may pass; ReasonNone
	// otherwise.
	Stopped Reason
	// Rule names the schedule behind Stopped or Focus.
	Rule string
	// Focus holds the categories focus time blocks now.
	Focus category.Set
	// Exhausted are the used-up limits (from the Usage given).
	Exhausted Exhausted
	// Next is when the pause, a grant or a schedule next changes; zero if
	// not within a week.
	Next time.Time
	// Limits are the person's daily limits, Bonus the extra time granted
	// for now's local date.
	Limits config.Limits
	Bonus  time.Duration
	// Restricted says the person's profile is a child's.
	Restricted bool
}

// People returns the state of every person and stand-in at now. The slice
// is the caller's; it allocates.
func (s *Snapshot) People(now time.Time, unsynced bool, u *Usage) []PersonState {
	out := make([]PersonState, 0, len(s.people))
	for _, p := range s.people {
		ts := p.state(now, unsynced, s.unsynced)
		ps := PersonState{ID: p.id, Name: p.display, Profile: p.profile, MACs: p.macs,
			Stopped: ts.reason, Rule: ts.rule, Focus: ts.focus, Next: p.next(now),
			Limits: p.limits, Bonus: p.bonusOn(now), Restricted: p.settings.Restricted}
		if ps.Name == "" {
			ps.Name = p.id
		}
		if !p.free(now) {
			ps.Exhausted = u.of(p.id)
			if ps.Stopped == ReasonNone && ps.Exhausted.Total {
				ps.Stopped = ReasonTimeLimit
			}
		}
		out = append(out, ps)
	}
	return out
}

// bonusOn returns the extra daily time granted for now's local date.
func (p *person) bonusOn(now time.Time) time.Duration {
	if len(p.bonus) == 0 {
		return 0
	}
	date := now.Format(time.DateOnly)
	var d time.Duration
	for _, b := range p.bonus {
		if b.Date == date {
			d += b.Extra
		}
	}
	return d
}

// PersonOf returns the id of the person whose time and rules a device's
// traffic counts to: a configured device's person (or its stand-in), else
// "@unassigned".
func (s *Snapshot) PersonOf(mac [6]byte) string {
	if dev := s.devices[mac]; dev != nil {
		return dev.person.id
	}
	return Unassigned
}
