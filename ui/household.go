package ui

import (
	"net/http"
	"slices"
	"time"
)

// The household's JSON views (GET /api/v1/household and the answers of
// the routes that change it). Lists are never null; durations are whole
// minutes in …_minutes fields; absent values are null.

type householdView struct {
	People     []personConfigView `json:"people"`
	Devices    []deviceConfigView `json:"devices"`
	Profiles   []profileView      `json:"profiles"`
	Schedules  []scheduleView     `json:"schedules"`
	Categories []string           `json:"categories"`
	Locked     lockedView         `json:"locked"`
}

type personConfigView struct {
	ID                    string           `json:"id"`
	Name                  string           `json:"name"`
	Profile               string           `json:"profile"`
	Allow                 []string         `json:"allow"`
	Block                 []string         `json:"block"`
	BlockCategory         []string         `json:"block_category"`
	AllowCategory         []string         `json:"allow_category"`
	Schedules             []string         `json:"schedules"`
	DailyLimitMinutes     *int64           `json:"daily_limit_minutes"`
	CategoryLimitsMinutes map[string]int64 `json:"category_limits_minutes"`
	PausedUntil           *time.Time       `json:"paused_until"`
	PausedForever         bool             `json:"paused_forever"`
	FreeUntil             *time.Time       `json:"free_until"`
	TempAllow             []tempAllowView  `json:"temp_allow"`
}

type tempAllowView struct {
	Domain string    `json:"domain"`
	Until  time.Time `json:"until"`
}

type deviceConfigView struct {
	MAC        string     `json:"mac"`
	Name       string     `json:"name"`
	Kind       *string    `json:"kind"`
	Person     *string    `json:"person"`
	Profile    *string    `json:"profile"`
	Configured bool       `json:"configured"`
	New        bool       `json:"new"`
	Hostname   *string    `json:"hostname"`
	Vendor     *string    `json:"vendor"`
	RandomMAC  bool       `json:"random_mac"`
	Addresses  []string   `json:"addresses"`
	LastSeen   *time.Time `json:"last_seen"`
}

type profileView struct {
	ID                string   `json:"id"`
	Builtin           bool     `json:"builtin"`
	Age               string   `json:"age"`
	Restricted        bool     `json:"restricted"`
	BlockCategory     []string `json:"block_category"`
	SafeSearch        bool     `json:"safesearch"`
	YouTube           string   `json:"youtube"`
	QUIC              bool     `json:"quic"`
	Schedules         []string `json:"schedules"`
	DailyLimitMinutes *int64   `json:"daily_limit_minutes"`
}

type scheduleView struct {
	ID            string       `json:"id"`
	Name          string       `json:"name"`
	Kind          string       `json:"kind"`
	Windows       []windowBody `json:"windows"`
	BlockCategory []string     `json:"block_category"`
}

// windowBody is a schedule window in requests and answers.
type windowBody struct {
	Days  []string `json:"days"`
	Start string   `json:"start"`
	End   string   `json:"end"`
}

type lockedView struct {
	Source          *string  `json:"source"`
	Categories      []string `json:"categories"`
	ChildCategories []string `json:"child_categories"`
	Domains         []string `json:"domains"`
	SafeSearch      bool     `json:"safesearch"`
	YouTube         string   `json:"youtube"`
}

// list returns ss, or an empty list for nil (JSON [] rather than null).
func list(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

// optString returns nil for "".
func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// optMinutes returns d in whole minutes, nil unless has.
func optMinutes(d time.Duration, has bool) *int64 {
	if !has {
		return nil
	}
	m := int64(d / time.Minute)
	return &m
}

// foreverYear: a PauseUntil in this year or later is a pause without end.
const foreverYear = 9999

func viewPersonConfig(p PersonConfig, now time.Time) personConfigView {
	v := personConfigView{ID: p.ID, Name: p.Name, Profile: p.Profile, Allow: list(p.Allow),
		Block: list(p.Block), BlockCategory: list(p.BlockCategory), AllowCategory: list(p.AllowCategory),
		Schedules: list(p.Schedules), DailyLimitMinutes: optMinutes(p.DailyLimit, p.HasDailyLimit),
		CategoryLimitsMinutes: map[string]int64{}, TempAllow: []tempAllowView{}}
	for c, d := range p.CategoryLimits {
		v.CategoryLimitsMinutes[c] = int64(d / time.Minute)
	}
	switch {
	case p.PauseUntil.Year() >= foreverYear:
		v.PausedForever = true
	case p.PauseUntil.After(now):
		v.PausedUntil = &p.PauseUntil
	}
	if p.FreeUntil.After(now) {
		v.FreeUntil = &p.FreeUntil
	}
	for _, t := range p.TempAllow {
		if t.Until.After(now) {
			v.TempAllow = append(v.TempAllow, tempAllowView(t))
		}
	}
	return v
}

func viewDeviceConfig(d DeviceConfig) deviceConfigView {
	return deviceConfigView{MAC: d.MAC, Name: d.Name, Kind: optString(d.Kind), Person: optString(d.Person),
		Profile: optString(d.Profile), Configured: d.Configured, New: !d.Configured,
		Hostname: optString(d.Hostname), Vendor: optString(d.Vendor), RandomMAC: d.RandomMAC,
		Addresses: list(d.Addresses), LastSeen: optTime(d.LastSeen)}
}

func viewProfile(p ProfileConfig) profileView {
	return profileView{ID: p.ID, Builtin: p.Builtin, Age: p.Age, Restricted: p.Restricted,
		BlockCategory: list(p.BlockCategory), SafeSearch: p.SafeSearch, YouTube: p.YouTube, QUIC: p.QUIC,
		Schedules: list(p.Schedules), DailyLimitMinutes: optMinutes(p.DailyLimit, p.HasDailyLimit)}
}

func viewSchedule(sc ScheduleConfig) scheduleView {
	v := scheduleView{ID: sc.ID, Name: sc.Name, Kind: sc.Kind, Windows: []windowBody{},
		BlockCategory: list(sc.BlockCategory)}
	for _, w := range sc.Windows {
		v.Windows = append(v.Windows, windowBody{Days: list(w.Days), Start: w.Start, End: w.End})
	}
	return v
}

func viewLocked(l Locked) lockedView {
	return lockedView{Source: optString(l.Source), Categories: list(l.Categories),
		ChildCategories: list(l.ChildCategories), Domains: list(l.Domains), SafeSearch: l.SafeSearch,
		YouTube: l.YouTube}
}

func (s *Server) getHousehold(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	ed, e := s.editor()
	if e != nil {
		return e
	}
	h, now := ed.Household(), s.now()
	v := householdView{People: []personConfigView{}, Devices: []deviceConfigView{},
		Profiles: []profileView{}, Schedules: []scheduleView{}, Categories: list(h.Categories),
		Locked: viewLocked(h.Locked)}
	for _, p := range h.People {
		v.People = append(v.People, viewPersonConfig(p, now))
	}
	for _, d := range h.Devices {
		v.Devices = append(v.Devices, viewDeviceConfig(d))
	}
	for _, p := range h.Profiles {
		v.Profiles = append(v.Profiles, viewProfile(p))
	}
	for _, sc := range h.Schedules {
		v.Schedules = append(v.Schedules, viewSchedule(sc))
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// Lookups in a Household, for validation and for answering with what
// changed.

func (h *Household) person(id string) (PersonConfig, bool) {
	i := slices.IndexFunc(h.People, func(p PersonConfig) bool { return p.ID == id })
	if i < 0 {
		return PersonConfig{}, false
	}
	return h.People[i], true
}

func (h *Household) device(mac string) (DeviceConfig, bool) {
	i := slices.IndexFunc(h.Devices, func(d DeviceConfig) bool { return d.MAC == mac })
	if i < 0 {
		return DeviceConfig{}, false
	}
	return h.Devices[i], true
}

func (h *Household) profile(id string) (ProfileConfig, bool) {
	i := slices.IndexFunc(h.Profiles, func(p ProfileConfig) bool { return p.ID == id })
	if i < 0 {
		return ProfileConfig{}, false
	}
	return h.Profiles[i], true
}

func (h *Household) schedule(id string) (ScheduleConfig, bool) {
	i := slices.IndexFunc(h.Schedules, func(sc ScheduleConfig) bool { return sc.ID == id })
	if i < 0 {
		return ScheduleConfig{}, false
	}
	return h.Schedules[i], true
}

func (h *Household) hasPerson(id string) bool   { _, ok := h.person(id); return ok }
func (h *Household) hasProfile(id string) bool  { _, ok := h.profile(id); return ok }
func (h *Household) hasSchedule(id string) bool { _, ok := h.schedule(id); return ok }
func (h *Household) hasCategory(id string) bool { return slices.Contains(h.Categories, id) }

// lockedFor returns the categories the baseline blocks on a profile.
func (h *Household) lockedFor(restricted bool) []string {
	l := slices.Clone(h.Locked.Categories)
	if restricted {
		l = append(l, h.Locked.ChildCategories...)
	}
	return l
}
