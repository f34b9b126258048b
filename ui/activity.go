package ui

import (
	"net/http"
	"strconv"
	"time"
)

// Activity days: GET /api/v1/activity?days=N, 1–maxDays, default
// defaultDays.
const (
	defaultDays = 7
	maxDays     = 14
)

type dayView struct {
	Date   string          `json:"date"`
	People []personDayView `json:"people"`
}

type personDayView struct {
	Person          string           `json:"person"`
	UsedSeconds     int64            `json:"used_seconds"`
	CategorySeconds map[string]int64 `json:"category_seconds"`
	Blocked         map[string]int   `json:"blocked"`
	// Domains is null unless the router keeps per-domain history.
	Domains map[string]int `json:"domains"`
}

func (s *Server) getActivity(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	ed, e := s.editor()
	if e != nil {
		return e
	}
	days := defaultDays
	if v := r.URL.Query().Get("days"); v != "" || r.URL.Query().Has("days") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxDays {
			var c checker
			c.fail("days", "field.range", "min", "1", "max", strconv.Itoa(maxDays))
			return c.err()
		}
		days = n
	}
	out := []dayView{}
	for _, d := range ed.Activity(s.now(), days) {
		dv := dayView{Date: d.Date, People: []personDayView{}}
		for _, p := range d.People {
			pv := personDayView{Person: p.Person, UsedSeconds: seconds(p.Used),
				CategorySeconds: make(map[string]int64, len(p.Categories)),
				Blocked:         make(map[string]int, len(p.Blocked)), Domains: p.Domains}
			for c, t := range p.Categories {
				pv.CategorySeconds[c] = seconds(t)
			}
			for c, n := range p.Blocked {
				pv.Blocked[c] = n
			}
			dv.People = append(dv.People, pv)
		}
		out = append(out, dv)
	}
	writeJSON(w, http.StatusOK, map[string]any{"days": out})
	return nil
}

type settingsView struct {
	DNSBlock       string          `json:"dns_block"`
	FailMode       string          `json:"fail_mode"`
	HistoryDomains bool            `json:"history_domains"`
	TimeZone       string          `json:"time_zone"`
	ClockSynced    bool            `json:"clock_synced"`
	Now            time.Time       `json:"now"`
	Lists          []listStateView `json:"lists"`
	Locked         lockedView      `json:"locked"`
	Version        string          `json:"version"`
}

type listStateView struct {
	Name    string     `json:"name"`
	Format  string     `json:"format"`
	File    string     `json:"file"`
	Entries int        `json:"entries"`
	Updated *time.Time `json:"updated"`
	State   string     `json:"state"`
	Error   *string    `json:"error"`
}

func viewSettings(st Settings) settingsView {
	v := settingsView{DNSBlock: st.DNSBlock, FailMode: st.FailMode, HistoryDomains: st.HistoryDomains,
		TimeZone: st.TimeZone, ClockSynced: st.ClockSynced, Now: st.Now, Lists: []listStateView{},
		Locked: viewLocked(st.Locked), Version: st.Version}
	for _, l := range st.Lists {
		v.Lists = append(v.Lists, listStateView{Name: l.Name, Format: l.Format, File: l.File,
			Entries: l.Entries, Updated: optTime(l.Updated), State: l.State, Error: optString(l.Error)})
	}
	return v
}

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	ed, e := s.editor()
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, viewSettings(ed.Settings(s.now())))
	return nil
}

// settingsBody is the body of PUT /api/v1/settings; absent fields keep
// their value.
type settingsBody struct {
	DNSBlock       *string `json:"dns_block"`
	FailMode       *string `json:"fail_mode"`
	HistoryDomains *bool   `json:"history_domains"`
}

func (s *Server) putSettings(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	ed, e := s.editor()
	if e != nil {
		return e
	}
	var b settingsBody
	if e := readJSON(r, &b); e != nil {
		return e
	}
	var c checker
	if b.DNSBlock != nil {
		c.oneOf("dns_block", *b.DNSBlock, "nxdomain", "null", "page")
	}
	if b.FailMode != nil {
		c.oneOf("fail_mode", *b.FailMode, "closed", "open")
	}
	if e := c.err(); e != nil {
		return e
	}
	if b.DNSBlock != nil || b.FailMode != nil || b.HistoryDomains != nil {
		u := SettingsUpdate(b)
		if err := ed.Update(Update{Settings: &u}); err != nil {
			return s.editorError(err)
		}
	}
	writeJSON(w, http.StatusOK, viewSettings(ed.Settings(s.now())))
	return nil
}
