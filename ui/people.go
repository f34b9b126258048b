package ui

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// personBody is the body of POST /api/v1/people and PUT
// /api/v1/people/{id}. On PUT an absent field keeps its value; null
// clears a list, a limit or a map. POST needs name and profile.
type personBody struct {
	Name                  opt[string]         `json:"name"`
	Profile               opt[string]         `json:"profile"`
	Allow                 opt[[]string]       `json:"allow"`
	Block                 opt[[]string]       `json:"block"`
	BlockCategory         opt[[]string]       `json:"block_category"`
	AllowCategory         opt[[]string]       `json:"allow_category"`
	Schedules             opt[[]string]       `json:"schedules"`
	DailyLimitMinutes     opt[int]            `json:"daily_limit_minutes"`
	CategoryLimitsMinutes opt[map[string]int] `json:"category_limits_minutes"`
}

// applyPerson checks b against h and applies it to p.
func applyPerson(h *Household, p *PersonConfig, b personBody, creating bool) *apiError {
	var c checker
	if b.Name.set || creating {
		p.Name = c.name("name", b.Name)
	}
	if b.Profile.set || creating {
		if b.Profile.v == "" {
			c.fail("profile", "field.required")
		} else {
			c.ref("profile", b.Profile.v, "field.unknown_profile", h.hasProfile)
		}
		p.Profile = b.Profile.v
	}
	if b.Allow.set {
		p.Allow = c.domains("allow", b.Allow.v)
	}
	if b.Block.set {
		p.Block = c.domains("block", b.Block.v)
	}
	if b.BlockCategory.set {
		c.refs("block_category", b.BlockCategory.v, "field.unknown_category", h.hasCategory)
		p.BlockCategory = b.BlockCategory.v
	}
	if b.AllowCategory.set {
		c.refs("allow_category", b.AllowCategory.v, "field.unknown_category", h.hasCategory)
		p.AllowCategory = b.AllowCategory.v
	}
	if prof, ok := h.profile(p.Profile); ok && (b.AllowCategory.set || b.Profile.set) {
		for _, cat := range h.lockedFor(prof.Restricted) {
			if slices.Contains(p.AllowCategory, cat) {
				c.fail("allow_category", "field.locked_category", "value", cat)
			}
		}
	}
	if b.Schedules.set {
		c.refs("schedules", b.Schedules.v, "field.unknown_schedule", h.hasSchedule)
		p.Schedules = b.Schedules.v
	}
	if b.DailyLimitMinutes.set {
		c.minutes("daily_limit_minutes", b.DailyLimitMinutes.v, 0, maxDayMinutes)
		p.DailyLimit = time.Duration(b.DailyLimitMinutes.v) * time.Minute
		p.HasDailyLimit = !b.DailyLimitMinutes.null
	}
	if b.CategoryLimitsMinutes.set {
		p.CategoryLimits = nil
		for cat, m := range b.CategoryLimitsMinutes.v {
			c.ref("category_limits_minutes", cat, "field.unknown_category", h.hasCategory)
			c.minutes("category_limits_minutes", m, 0, maxDayMinutes)
			if p.CategoryLimits == nil {
				p.CategoryLimits = map[string]time.Duration{}
			}
			p.CategoryLimits[cat] = time.Duration(m) * time.Minute
		}
	}
	return c.err()
}

// answerPerson writes person id's configuration as it is now.
func (s *Server) answerPerson(w http.ResponseWriter, ed Editor, id string, status int, fallback PersonConfig) {
	h := ed.Household()
	p, ok := h.person(id)
	if !ok {
		p = fallback
	}
	writeJSON(w, status, viewPersonConfig(p, s.now()))
}

func (s *Server) postPerson(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	ed, e := s.editor()
	if e != nil {
		return e
	}
	var b personBody
	if e := readJSON(r, &b); e != nil {
		return e
	}
	h := ed.Household()
	var p PersonConfig
	if e := applyPerson(&h, &p, b, true); e != nil {
		return e
	}
	var id string
	if err := ed.Update(Update{Person: &p, Created: &id}); err != nil {
		return s.editorError(err)
	}
	p.ID = id
	s.answerPerson(w, ed, id, http.StatusCreated, p)
	return nil
}

func (s *Server) putPerson(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	ed, e := s.editor()
	if e != nil {
		return e
	}
	var b personBody
	if e := readJSON(r, &b); e != nil {
		return e
	}
	h := ed.Household()
	p, ok := h.person(r.PathValue("id"))
	if !ok {
		return &apiError{status: http.StatusNotFound, code: "not_found"}
	}
	if e := applyPerson(&h, &p, b, false); e != nil {
		return e
	}
	if err := ed.Update(Update{Person: &p}); err != nil {
		return s.editorError(err)
	}
	s.answerPerson(w, ed, p.ID, http.StatusOK, p)
	return nil
}

func (s *Server) deletePerson(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	ed, e := s.editor()
	if e != nil {
		return e
	}
	id := r.PathValue("id")
	if !validID(id) {
		return &apiError{status: http.StatusNotFound, code: "not_found"}
	}
	if err := ed.Update(Update{DeletePerson: id}); err != nil {
		return s.editorError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// pauseBody is the body of POST /api/v1/people/{id}/pause: exactly one
// field.
type pauseBody struct {
	Minutes *int    `json:"minutes"`
	Until   *string `json:"until"`
	Forever *bool   `json:"forever"`
	Resume  *bool   `json:"resume"`
}

// extraBody is the body of POST /api/v1/people/{id}/extra: exactly one
// field.
type extraBody struct {
	Minutes *int    `json:"minutes"`
	Until   *string `json:"until"`
}

// exactlyOne fails every given field, or the first name, unless exactly
// one of given is true.
func (c *checker) exactlyOne(names []string, given ...bool) {
	n := 0
	for _, g := range given {
		if g {
			n++
		}
	}
	if n == 1 {
		return
	}
	for i, g := range given {
		if g || (n == 0 && i == 0) {
			c.fail(names[i], "field.choose_one", "values", strings.Join(names, ", "))
		}
	}
}

func (s *Server) postPause(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	ed, e := s.editor()
	if e != nil {
		return e
	}
	var b pauseBody
	if e := readJSON(r, &b); e != nil {
		return e
	}
	now := s.now()
	var c checker
	c.exactlyOne([]string{"minutes", "until", "forever", "resume"},
		b.Minutes != nil, b.Until != nil, b.Forever != nil, b.Resume != nil)
	p := Pause{Person: r.PathValue("id")}
	switch {
	case c.err() != nil:
	case b.Minutes != nil:
		c.minutes("minutes", *b.Minutes, 1, maxPause)
		p.Until = now.Add(time.Duration(*b.Minutes) * time.Minute)
	case b.Until != nil:
		p.Until = c.futureTime("until", *b.Until, now)
	case b.Forever != nil:
		c.oneOf("forever", strconv.FormatBool(*b.Forever), "true")
		p.Forever = true
	default:
		c.oneOf("resume", strconv.FormatBool(*b.Resume), "true")
		p.Resume = true
	}
	if e := c.err(); e != nil {
		return e
	}
	if err := ed.Update(Update{Pause: &p}); err != nil {
		return s.editorError(err)
	}
	return s.answerState(w, p.Person)
}

func (s *Server) postExtra(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	ed, e := s.editor()
	if e != nil {
		return e
	}
	var b extraBody
	if e := readJSON(r, &b); e != nil {
		return e
	}
	now := s.now()
	var c checker
	c.exactlyOne([]string{"minutes", "until"}, b.Minutes != nil, b.Until != nil)
	x := Extra{Person: r.PathValue("id")}
	switch {
	case c.err() != nil:
	case b.Minutes != nil:
		c.minutes("minutes", *b.Minutes, 1, maxExtra)
		x.Minutes = *b.Minutes
	default:
		x.Until = c.futureTime("until", *b.Until, now)
	}
	if e := c.err(); e != nil {
		return e
	}
	if err := ed.Update(Update{Extra: &x}); err != nil {
		return s.editorError(err)
	}
	return s.answerState(w, x.Person)
}

// answerState writes person id's state now, as in the overview.
func (s *Server) answerState(w http.ResponseWriter, id string) *apiError {
	for _, p := range s.agent.Overview(s.now()).People {
		if p.ID == id {
			writeJSON(w, http.StatusOK, viewPerson(p))
			return nil
		}
	}
	return &apiError{status: http.StatusNotFound, code: "not_found"}
}
