package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of the API's fields.
const (
	maxNameRunes  = 64
	maxDomains    = 500
	maxWindows    = 14
	maxDayMinutes = 24 * 60
	maxPause      = 24 * 60
	maxExtra      = 12 * 60
	// askRetry is the Retry-After of an Editor's bare ErrRateLimited.
	askRetry = 5 * time.Minute
)

// dayNames are the window days, Monday first.
var dayNames = [7]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// youtubeModes are the YouTube restriction modes, least restricted first.
var youtubeModes = [3]string{"off", "moderate", "strict"}

// DeviceKinds returns the kinds a device may have; "" is unknown.
func DeviceKinds() []string {
	return []string{"", "phone", "tablet", "laptop", "computer", "tv", "console", "speaker", "other"}
}

// opt is a body field that may be absent, null or a value: absent leaves
// a setting as it is, null clears it where that means something.
type opt[T any] struct {
	set, null bool
	v         T
}

// UnmarshalJSON is called for a present field, null included. Unknown
// fields inside objects are errors, as at the top level.
func (o *opt[T]) UnmarshalJSON(b []byte) error {
	o.set = true
	if string(b) == "null" {
		o.null = true
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(&o.v)
}

// checker collects field errors: the first message per field counts.
type checker struct {
	fields map[string]string
	args   map[string][]string
}

// fail records message id for field, with placeholder name, value pairs.
func (c *checker) fail(field, id string, args ...string) {
	if c.fields == nil {
		c.fields, c.args = map[string]string{}, map[string][]string{}
	}
	if _, ok := c.fields[field]; ok {
		return
	}
	c.fields[field] = id
	if len(args) > 0 {
		c.args[field] = args
	}
}

// failed reports whether field has an error.
func (c *checker) failed(field string) bool {
	_, ok := c.fields[field]
	return ok
}

// err returns the 400 validation, or nil when no field failed.
func (c *checker) err() *apiError {
	if len(c.fields) == 0 {
		return nil
	}
	return &apiError{status: http.StatusBadRequest, code: "validation", fields: c.fields, fieldArgs: c.args}
}

// name checks a display name and returns it trimmed: 1–64 characters of
// valid text without control characters. null counts as empty.
func (c *checker) name(field string, o opt[string]) string {
	n := strings.TrimSpace(o.v)
	switch {
	case n == "":
		c.fail(field, "field.required")
	case !validUTF8(n) || strings.ContainsFunc(n, unicode.IsControl):
		c.fail(field, "field.invalid_utf8")
	case utf8.RuneCountInString(n) > maxNameRunes:
		c.fail(field, "field.length", "min", "1", "max", strconv.Itoa(maxNameRunes))
	}
	return n
}

// validID reports whether s is a section id: 1–64 of a-z, 0-9 and _.
func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// ref checks a reference to an existing id: syntax, then existence.
func (c *checker) ref(field, id, unknown string, exists func(string) bool) {
	switch {
	case !validID(id):
		c.fail(field, "field.invalid_id")
	case !exists(id):
		c.fail(field, unknown, "value", id)
	}
}

// refs checks a list of references.
func (c *checker) refs(field string, ids []string, unknown string, exists func(string) bool) {
	if len(ids) > maxDomains {
		c.fail(field, "field.too_many", "max", strconv.Itoa(maxDomains))
	}
	for _, id := range ids {
		c.ref(field, id, unknown, exists)
	}
}

// minutes checks a whole number of minutes in [lo, hi].
func (c *checker) minutes(field string, m, lo, hi int) {
	if m < lo || m > hi {
		c.fail(field, "field.range", "min", strconv.Itoa(lo), "max", strconv.Itoa(hi))
	}
}

// oneOf checks that v is one of vs.
func (c *checker) oneOf(field, v string, vs ...string) {
	if !slices.Contains(vs, v) {
		c.fail(field, "field.one_of", "values", strings.Join(vs, ", "))
	}
}

// domains checks a list of domain names and returns them normalized.
func (c *checker) domains(field string, ds []string) []string {
	if len(ds) > maxDomains {
		c.fail(field, "field.too_many", "max", strconv.Itoa(maxDomains))
		return nil
	}
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		n, ok := normalDomain(d)
		if !ok {
			c.fail(field, "field.invalid_domain", "value", d)
			continue
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// normalDomain lowercases d and drops a trailing dot; ok is false unless
// it is a host name of at least two labels (letters, digits, hyphens; not
// at a label's ends), at most 253 bytes, and not an IP address.
func normalDomain(d string) (string, bool) {
	d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
	if len(d) > 253 || !strings.Contains(d, ".") {
		return d, false
	}
	if _, err := netip.ParseAddr(d); err == nil {
		return d, false
	}
	for l := range strings.SplitSeq(d, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return d, false
		}
		for _, c := range []byte(l) {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return d, false
			}
		}
	}
	return d, true
}

// canonicalMAC reports whether s is six lowercase hex pairs joined by
// colons, the form Device.MAC has.
func canonicalMAC(s string) bool {
	if len(s) != 17 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if i%3 == 2 {
			if c != ':' {
				return false
			}
		} else if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// clockMinutes parses "HH:MM" from 00:00 to 24:00.
func clockMinutes(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for _, i := range [4]int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	h, m := int(s[0]-'0')*10+int(s[1]-'0'), int(s[3]-'0')*10+int(s[4]-'0')
	if m > 59 || h > 24 || h == 24 && m != 0 {
		return 0, false
	}
	return h*60 + m, true
}

// windows checks schedule windows.
func (c *checker) windows(field string, ws []windowBody) {
	switch {
	case len(ws) == 0:
		c.fail(field, "field.required")
	case len(ws) > maxWindows:
		c.fail(field, "field.too_many", "max", strconv.Itoa(maxWindows))
	}
	for _, w := range ws {
		if len(w.Days) == 0 {
			c.fail(field, "field.invalid_day")
		}
		for _, d := range w.Days {
			if !slices.Contains(dayNames[:], d) {
				c.fail(field, "field.invalid_day")
			}
		}
		s, ok1 := clockMinutes(w.Start)
		e, ok2 := clockMinutes(w.End)
		switch {
		case !ok1 || !ok2 || s == maxDayMinutes:
			c.fail(field, "field.invalid_clock")
		case s == e:
			c.fail(field, "field.empty_window")
		}
	}
}

// futureTime parses an RFC 3339 time that must be after now.
func (c *checker) futureTime(field, v string, now time.Time) time.Time {
	t, err := time.Parse(time.RFC3339, v)
	switch {
	case err != nil:
		c.fail(field, "field.invalid_time")
	case !t.After(now):
		c.fail(field, "field.in_past")
	}
	return t
}

// editorError maps an Editor's error to a response: a *FieldError is a
// validation error on its field (its English message as the detail),
// the sentinels their statuses, anything else a logged 500.
func (s *Server) editorError(err error) *apiError {
	if fe, ok := errors.AsType[*FieldError](err); ok {
		var c checker
		c.fail(fe.Field, "field.refused", "detail", fe.Msg)
		return c.err()
	}
	switch {
	case errors.Is(err, ErrNotFound):
		return &apiError{status: http.StatusNotFound, code: "not_found"}
	case errors.Is(err, ErrAnswered):
		return &apiError{status: http.StatusConflict, code: "answered"}
	case errors.Is(err, ErrRateLimited):
		retry := askRetry
		if rl, ok := errors.AsType[*RateLimitError](err); ok && rl.RetryAfter > 0 {
			retry = rl.RetryAfter
		}
		return &apiError{status: http.StatusTooManyRequests, code: "rate_limited", retryAfter: retry}
	}
	s.log.Error("ui: editor", "err", err)
	return &apiError{status: http.StatusInternalServerError, code: "internal"}
}

// editor returns the Agent as an Editor, or the 501 for its absence.
func (s *Server) editor() (Editor, *apiError) {
	if ed, ok := s.agent.(Editor); ok {
		return ed, nil
	}
	return nil, &apiError{status: http.StatusNotImplemented, code: "not_implemented"}
}
