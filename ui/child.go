package ui

import (
	"net/http"
	"time"
)

// The child routes identify the caller by its device (Agent.DeviceFor)
// and show that device's person only: its state, its own blocked attempts
// and its own requests. Nothing names another person or device.

// childShown is how many blocked attempts and requests the child's page
// gets.
const childShown = 5

type childStatusView struct {
	Device          deviceView         `json:"device"`
	Person          string             `json:"person"`
	PersonName      string             `json:"person_name"`
	State           State              `json:"state"`
	Rule            string             `json:"rule,omitempty"`
	TimeLeftSeconds *int64             `json:"time_left_seconds"`
	NextChange      *time.Time         `json:"next_change"`
	Blocked         []childBlockedView `json:"blocked"`
	Requests        []childRequestView `json:"requests"`
	CSRFToken       string             `json:"csrf_token"`
	// TimeZone is the router's zone, in which the page shows times.
	TimeZone string `json:"time_zone,omitempty"`
}

type childBlockedView struct {
	Time     time.Time `json:"time"`
	Name     string    `json:"name"`
	Reason   string    `json:"reason"`
	Category *string   `json:"category"`
}

// childRequestView is a request as the child who asked sees it.
type childRequestView struct {
	ID      string      `json:"id"`
	Kind    RequestKind `json:"kind"`
	Name    *string     `json:"name"`
	Created time.Time   `json:"created"`
	State   string      `json:"state"`
	Decided *time.Time  `json:"decided"`
	Until   *time.Time  `json:"until"`
}

func viewChildRequest(q Request) childRequestView {
	return childRequestView{ID: q.ID, Kind: q.Kind, Name: optString(q.Name), Created: q.Created,
		State: q.State, Decided: optTime(q.Decided), Until: optTime(q.Until)}
}

// blockedOn reports whether b happened on dev: by MAC when the agent
// gives one, else by the device's name and person.
func blockedOn(b Blocked, dev Device) bool {
	if b.MAC != "" {
		return b.MAC == dev.MAC
	}
	return b.Device == dev.Name && b.Person == dev.Person
}

// getChildStatus answers the requesting device: its person's state and
// time left, its last blocked attempts and requests, and the pre-login
// CSRF token its writes need.
func (s *Server) getChildStatus(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	dev, ok := s.agent.DeviceFor(req.remote)
	if !ok {
		return &apiError{status: http.StatusNotFound, code: "unknown_device"}
	}
	v := childStatusView{Device: viewDevice(dev), Person: dev.Person, State: StateOpen,
		Blocked: []childBlockedView{}, Requests: []childRequestView{}}
	o := s.agent.Overview(s.now())
	for _, p := range o.People {
		if p.ID != dev.Person {
			continue
		}
		pv := viewPerson(p)
		v.PersonName, v.State, v.Rule, v.NextChange = p.Name, p.State, p.Rule, pv.NextChange
		if p.HasLimit {
			left := max(seconds(p.Limit)-seconds(p.Used), 0)
			v.TimeLeftSeconds = &left
		}
		break
	}
	v.Device.LastSeen = nil // the child needs no history
	for _, b := range o.Blocked {
		if len(v.Blocked) == childShown {
			break
		}
		if blockedOn(b, dev) {
			v.Blocked = append(v.Blocked, childBlockedView{Time: b.Time, Name: b.Name, Reason: b.Reason,
				Category: optString(b.Category)})
		}
	}
	if ed, ok := s.agent.(Editor); ok {
		v.TimeZone = ed.Settings(s.now()).TimeZone
		for _, q := range ed.Requests() {
			if len(v.Requests) == childShown {
				break
			}
			if q.Device == dev.MAC {
				v.Requests = append(v.Requests, viewChildRequest(q))
			}
		}
	}
	v.CSRFToken = s.ensurePreToken(w, r)
	writeJSON(w, http.StatusOK, v)
	return nil
}

// askBody is the body of POST /api/v1/child/requests.
type askBody struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

func (s *Server) postChildRequest(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	ed, e := s.editor()
	if e != nil {
		return e
	}
	var b askBody
	if e := readJSON(r, &b); e != nil {
		return e
	}
	var c checker
	kind := RequestKind(b.Kind)
	c.oneOf("kind", b.Kind, string(AskTime), string(AskUnblock))
	name := ""
	if kind == AskUnblock {
		n, ok := normalDomain(b.Name)
		switch {
		case b.Name == "":
			c.fail("name", "field.required")
		case !ok:
			c.fail("name", "field.invalid_domain", "value", b.Name)
		}
		name = n
	}
	if e := c.err(); e != nil {
		return e
	}
	dev, ok := s.agent.DeviceFor(req.remote)
	if !ok {
		return &apiError{status: http.StatusNotFound, code: "unknown_device"}
	}
	q, err := ed.Ask(dev, kind, name, s.now())
	if err != nil {
		return s.editorError(err)
	}
	writeJSON(w, http.StatusCreated, viewChildRequest(q))
	return nil
}
