package ui_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// FuzzChildRequest sends arbitrary bodies to POST /api/v1/child/requests,
// the one write a child can make: whatever the body, the answer is one of
// the documented statuses, errors have the stable shape, and a body over
// 4 KiB is a 413.
func FuzzChildRequest(f *testing.F) {
	for _, seed := range []string{
		`{"kind":"time"}`, `{"kind":"unblock","name":"game.example"}`, `{"kind":"unblock","name":""}`,
		`{"kind":"unblock","name":"` + strings.Repeat("a.", 200) + `example"}`, `{"kind":1}`, `[]`, `null`,
		`{"kind":"unblock","name":"\u0000.example"}`, `{"kind":"time"}{}`, `{"kind":"time","x":1}`,
		`{"kind":"unblock","name":"ÄÖ.example"}`, strings.Repeat("[", 5000),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		// A fresh household per input: the rate limit must not hide paths.
		s := newEditorServer(t, newFake(), nil)
		c := newClient(t, s, "192.168.1.21")
		var st childStatus
		c.want(c.do("GET", "/api/v1/child/status", ""), 200, &st)
		c.token = st.CSRFToken
		w := c.do("POST", "/api/v1/child/requests", body, "Content-Type", "application/json")
		switch w.Code {
		case http.StatusCreated:
			return
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests:
		default:
			t.Fatalf("status %d for %q", w.Code, body)
		}
		if len(body) > 4<<10 && w.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("%d-byte body: %d, want 413", len(body), w.Code)
		}
		var e errorOf
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Fatalf("error body %q: %v", w.Body, err)
		}
	})
}
