package ui

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// FuzzLogin sends arbitrary bodies to POST /api/v1/login: whatever the
// body, the answer is one of the documented statuses with the stable error
// shape, and a body over 4 KiB is a 413.
func FuzzLogin(f *testing.F) {
	for _, seed := range []string{
		`{"password":"correct horse battery"}`, `{"password":""}`, `{}`, `[]`, `null`,
		`{"password":"x"}{}`, `{"password":1}`, `{"password":"\ud800"}`, `{"password":"\u0000"}`,
		`{"password":"` + strings.Repeat("a", 300) + `"}`, `{"password":"a","extra":true}`,
		strings.Repeat("{", 5000), `{"password":"é"`,
	} {
		f.Add(seed)
	}
	_, _, b := setUp(f, nil)
	f.Fuzz(func(t *testing.T, body string) {
		b.t = t
		w := b.do("POST", "/api/v1/login", body, csrfHeader, b.preToken(), "Content-Type", "application/json")
		switch w.Code {
		case http.StatusOK:
			return
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge,
			http.StatusTooManyRequests:
		default:
			t.Fatalf("status %d for %q", w.Code, body)
		}
		if len(body) > authBodyMax && w.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("%d-byte body: %d, want 413", len(body), w.Code)
		}
		var e errorBody
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Fatalf("error body %q: %v", w.Body, err)
		}
	})
}
