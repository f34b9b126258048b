package ui

import (
	"net/http"
	"slices"
	"time"
)

// deviceBody is the body of PUT /api/v1/devices/{mac}. An absent field
// keeps its value; person "" or null is nobody, profile "" or null the
// unassigned profile. A device the router has not seen needs a name; a
// seen one keeps the name it is shown with (its DHCP host name).
type deviceBody struct {
	Name    opt[string] `json:"name"`
	Kind    opt[string] `json:"kind"`
	Person  opt[string] `json:"person"`
	Profile opt[string] `json:"profile"`
}

func (s *Server) putDevice(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	ed, e := s.editor()
	if e != nil {
		return e
	}
	var b deviceBody
	if e := readJSON(r, &b); e != nil {
		return e
	}
	var c checker
	mac := r.PathValue("mac")
	if !canonicalMAC(mac) {
		c.fail("mac", "field.invalid_mac")
	}
	h := ed.Household()
	d, known := h.device(mac)
	d.MAC = mac
	if b.Name.set || !known {
		d.Name = c.name("name", b.Name)
	}
	if b.Kind.set {
		c.oneOf("kind", b.Kind.v, DeviceKinds()...)
		d.Kind = b.Kind.v
	}
	if b.Person.set {
		if b.Person.v != "" {
			c.ref("person", b.Person.v, "field.unknown_person", h.hasPerson)
		}
		d.Person = b.Person.v
	}
	if b.Profile.set {
		if b.Profile.v != "" {
			c.ref("profile", b.Profile.v, "field.unknown_profile", h.hasProfile)
		}
		d.Profile = b.Profile.v
	}
	if e := c.err(); e != nil {
		return e
	}
	if err := ed.Update(Update{Device: &d}); err != nil {
		return s.editorError(err)
	}
	h = ed.Household()
	if now, ok := h.device(mac); ok {
		d = now
	} else if !known {
		d.Configured = true
	}
	writeJSON(w, http.StatusOK, viewDeviceConfig(d))
	return nil
}

func (s *Server) deleteDevice(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	ed, e := s.editor()
	if e != nil {
		return e
	}
	mac := r.PathValue("mac")
	if !canonicalMAC(mac) {
		return &apiError{status: http.StatusNotFound, code: "not_found"}
	}
	if err := ed.Update(Update{ForgetDevice: mac}); err != nil {
		return s.editorError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// profileBody is the body of PUT /api/v1/profiles/{id}. An absent field
// keeps its value; block_category is the wanted effective set.
type profileBody struct {
	BlockCategory     opt[[]string] `json:"block_category"`
	SafeSearch        opt[bool]     `json:"safesearch"`
	YouTube           opt[string]   `json:"youtube"`
	QUIC              opt[bool]     `json:"quic"`
	Schedules         opt[[]string] `json:"schedules"`
	DailyLimitMinutes opt[int]      `json:"daily_limit_minutes"`
}

// applyProfile checks b against h (the ISP baseline included) and applies
// it to p.
func applyProfile(h *Household, p *ProfileConfig, b profileBody) *apiError {
	var c checker
	if b.BlockCategory.set {
		c.refs("block_category", b.BlockCategory.v, "field.unknown_category", h.hasCategory)
		p.BlockCategory = b.BlockCategory.v
	}
	for _, cat := range h.lockedFor(p.Restricted) {
		if !slices.Contains(p.BlockCategory, cat) {
			c.fail("block_category", "field.locked_category", "value", cat)
		}
	}
	for _, f := range []struct {
		name string
		o    opt[bool]
		v    *bool
	}{{"safesearch", b.SafeSearch, &p.SafeSearch}, {"quic", b.QUIC, &p.QUIC}} {
		if f.o.null {
			c.fail(f.name, "field.required")
		} else if f.o.set {
			*f.v = f.o.v
		}
	}
	if p.Restricted && h.Locked.SafeSearch && !p.SafeSearch {
		c.fail("safesearch", "field.locked_safesearch")
	}
	if b.YouTube.set {
		c.oneOf("youtube", b.YouTube.v, youtubeModes[:]...)
		p.YouTube = b.YouTube.v
	}
	if least := slices.Index(youtubeModes[:], h.Locked.YouTube); p.Restricted && least > 0 &&
		slices.Index(youtubeModes[:], p.YouTube) < least && !c.failed("youtube") {
		c.fail("youtube", "field.locked_youtube", "value", h.Locked.YouTube)
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
	return c.err()
}

func (s *Server) putProfile(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	ed, e := s.editor()
	if e != nil {
		return e
	}
	var b profileBody
	if e := readJSON(r, &b); e != nil {
		return e
	}
	h := ed.Household()
	p, ok := h.profile(r.PathValue("id"))
	if !ok {
		return &apiError{status: http.StatusNotFound, code: "not_found"}
	}
	if e := applyProfile(&h, &p, b); e != nil {
		return e
	}
	if err := ed.Update(Update{Profile: &p}); err != nil {
		return s.editorError(err)
	}
	h = ed.Household()
	if now, ok := h.profile(p.ID); ok {
		p = now
	}
	writeJSON(w, http.StatusOK, viewProfile(p))
	return nil
}

// scheduleBody is the body of POST /api/v1/schedules and PUT
// /api/v1/schedules/{id}. On PUT an absent field keeps its value; POST
// needs name, kind and windows.
type scheduleBody struct {
	Name          opt[string]       `json:"name"`
	Kind          opt[string]       `json:"kind"`
	Windows       opt[[]windowBody] `json:"windows"`
	BlockCategory opt[[]string]     `json:"block_category"`
}

// scheduleKinds are the kinds of schedule.
var scheduleKinds = [3]string{"bedtime", "focus", "allowed"}

// applySchedule checks b against h and applies it to sc.
func applySchedule(h *Household, sc *ScheduleConfig, b scheduleBody, creating bool) *apiError {
	var c checker
	if b.Name.set || creating {
		sc.Name = c.name("name", b.Name)
	}
	if b.Kind.set || creating {
		c.oneOf("kind", b.Kind.v, scheduleKinds[:]...)
		sc.Kind = b.Kind.v
	}
	if b.Windows.set || creating {
		c.windows("windows", b.Windows.v)
		sc.Windows = nil
		for _, w := range b.Windows.v {
			sc.Windows = append(sc.Windows, Window(w))
		}
	}
	if b.BlockCategory.set {
		c.refs("block_category", b.BlockCategory.v, "field.unknown_category", h.hasCategory)
		sc.BlockCategory = b.BlockCategory.v
	}
	if sc.Kind == "focus" && len(sc.BlockCategory) == 0 {
		c.fail("block_category", "field.focus_category")
	}
	return c.err()
}

func (s *Server) postSchedule(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	ed, e := s.editor()
	if e != nil {
		return e
	}
	var b scheduleBody
	if e := readJSON(r, &b); e != nil {
		return e
	}
	h := ed.Household()
	var sc ScheduleConfig
	if e := applySchedule(&h, &sc, b, true); e != nil {
		return e
	}
	var id string
	if err := ed.Update(Update{Schedule: &sc, Created: &id}); err != nil {
		return s.editorError(err)
	}
	sc.ID = id
	s.answerSchedule(w, ed, sc, http.StatusCreated)
	return nil
}

func (s *Server) putSchedule(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	ed, e := s.editor()
	if e != nil {
		return e
	}
	var b scheduleBody
	if e := readJSON(r, &b); e != nil {
		return e
	}
	h := ed.Household()
	sc, ok := h.schedule(r.PathValue("id"))
	if !ok {
		return &apiError{status: http.StatusNotFound, code: "not_found"}
	}
	if e := applySchedule(&h, &sc, b, false); e != nil {
		return e
	}
	if err := ed.Update(Update{Schedule: &sc}); err != nil {
		return s.editorError(err)
	}
	s.answerSchedule(w, ed, sc, http.StatusOK)
	return nil
}

// answerSchedule writes schedule sc as the Editor holds it now.
func (s *Server) answerSchedule(w http.ResponseWriter, ed Editor, sc ScheduleConfig, status int) {
	h := ed.Household()
	if now, ok := h.schedule(sc.ID); ok {
		sc = now
	}
	writeJSON(w, status, viewSchedule(sc))
}

func (s *Server) deleteSchedule(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	ed, e := s.editor()
	if e != nil {
		return e
	}
	id := r.PathValue("id")
	if !validID(id) {
		return &apiError{status: http.StatusNotFound, code: "not_found"}
	}
	if err := ed.Update(Update{DeleteSchedule: id}); err != nil {
		return s.editorError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
