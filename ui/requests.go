package ui

import (
	"net/http"
	"time"
)

// Grants a parent may give when approving with minutes.
var grantMinutes = [3]int{15, 30, 60}

// requestView is a child's request as a parent sees it.
type requestView struct {
	ID         string      `json:"id"`
	Kind       RequestKind `json:"kind"`
	Person     string      `json:"person"`
	PersonName *string     `json:"person_name"`
	Device     string      `json:"device"`
	DeviceName *string     `json:"device_name"`
	Name       *string     `json:"name"`
	Created    time.Time   `json:"created"`
	State      string      `json:"state"`
	Decided    *time.Time  `json:"decided"`
	Until      *time.Time  `json:"until"`
}

func viewRequest(q Request, h *Household) requestView {
	v := requestView{ID: q.ID, Kind: q.Kind, Person: q.Person, Device: q.Device, Name: optString(q.Name),
		Created: q.Created, State: q.State, Decided: optTime(q.Decided), Until: optTime(q.Until)}
	if p, ok := h.person(q.Person); ok {
		v.PersonName = &p.Name
	}
	if d, ok := h.device(q.Device); ok {
		v.DeviceName = &d.Name
	}
	return v
}

func (s *Server) getRequests(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	ed, e := s.editor()
	if e != nil {
		return e
	}
	h := ed.Household()
	out := []requestView{}
	for _, q := range ed.Requests() {
		out = append(out, viewRequest(q, &h))
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": out})
	return nil
}

// answerBody is the body of POST /api/v1/requests/{id}.
type answerBody struct {
	Decision      string `json:"decision"`
	Minutes       *int   `json:"minutes"`
	UntilTomorrow *bool  `json:"until_tomorrow"`
}

func (s *Server) postAnswer(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	ed, e := s.editor()
	if e != nil {
		return e
	}
	var b answerBody
	if e := readJSON(r, &b); e != nil {
		return e
	}
	var c checker
	c.oneOf("decision", b.Decision, "approve", "deny")
	approve := b.Decision == "approve"
	var g Grant
	if approve {
		c.exactlyOne([]string{"minutes", "until_tomorrow"}, b.Minutes != nil, b.UntilTomorrow != nil)
		switch {
		case c.failed("minutes") || c.failed("until_tomorrow"):
		case b.Minutes != nil:
			g.Minutes = *b.Minutes
			if g.Minutes != grantMinutes[0] && g.Minutes != grantMinutes[1] && g.Minutes != grantMinutes[2] {
				c.fail("minutes", "field.one_of", "values", "15, 30, 60")
			}
		default:
			g.UntilTomorrow = *b.UntilTomorrow
			if !g.UntilTomorrow {
				c.fail("until_tomorrow", "field.one_of", "values", "true")
			}
		}
	}
	if e := c.err(); e != nil {
		return e
	}
	id := r.PathValue("id")
	if !validID(id) {
		return &apiError{status: http.StatusNotFound, code: "not_found"}
	}
	q, err := ed.Answer(id, approve, g, s.now())
	if err != nil {
		return s.editorError(err)
	}
	h := ed.Household()
	writeJSON(w, http.StatusOK, viewRequest(q, &h))
	return nil
}
