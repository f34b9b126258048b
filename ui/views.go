package ui

import (
	"net/http"
	"time"
)

// The JSON views of the agent's data. They are the API's stable schema,
// kept apart from the Agent types: durations are whole seconds, times
// RFC 3339, absent values null.

type personView struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Profile      string     `json:"profile"`
	State        State      `json:"state"`
	Rule         string     `json:"rule,omitempty"`
	UsedSeconds  int64      `json:"used_seconds"`
	LimitSeconds *int64     `json:"limit_seconds"`
	NextChange   *time.Time `json:"next_change"`
	Online       []string   `json:"online"`
}

type blockedView struct {
	Time   time.Time `json:"time"`
	Person string    `json:"person"`
	Device string    `json:"device"`
	Name   string    `json:"name"`
	Reason string    `json:"reason"`
	// Category is the name's category id; null when none applied.
	Category *string `json:"category"`
}

type deviceView struct {
	MAC      string     `json:"mac"`
	Name     string     `json:"name"`
	Person   string     `json:"person"`
	LastSeen *time.Time `json:"last_seen"`
}

// optTime returns nil for the zero time.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func seconds(d time.Duration) int64 { return int64(d / time.Second) }

func viewPerson(p Person) personView {
	v := personView{ID: p.ID, Name: p.Name, Profile: p.Profile, State: p.State, Rule: p.Rule,
		UsedSeconds: seconds(p.Used), NextChange: optTime(p.Next), Online: p.Online}
	if v.Online == nil {
		v.Online = []string{}
	}
	if p.HasLimit {
		l := seconds(p.Limit)
		v.LimitSeconds = &l
	}
	return v
}

func viewDevice(d Device) deviceView {
	return deviceView{MAC: d.MAC, Name: d.Name, Person: d.Person, LastSeen: optTime(d.LastSeen)}
}

func (s *Server) getOverview(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	o := s.agent.Overview(s.now())
	people := make([]personView, 0, len(o.People))
	for _, p := range o.People {
		people = append(people, viewPerson(p))
	}
	blocked := make([]blockedView, 0, len(o.Blocked))
	for _, b := range o.Blocked {
		blocked = append(blocked, blockedView{Time: b.Time, Person: b.Person, Device: b.Device,
			Name: b.Name, Reason: b.Reason, Category: optString(b.Category)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"people": people, "blocked": blocked})
	return nil
}

func (s *Server) getDevices(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	ds := s.agent.Devices()
	out := make([]deviceView, 0, len(ds))
	for _, d := range ds {
		out = append(out, viewDevice(d))
	}
	writeJSON(w, http.StatusOK, map[string]any{"devices": out})
	return nil
}
