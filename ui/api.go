package ui

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Body limits, in bytes.
const (
	// authBodyMax bounds login, setup and password change bodies.
	authBodyMax = 4 << 10
	// bodyMax bounds every other body.
	bodyMax = 64 << 10
)

// access says who may call an endpoint.
type access uint8

const (
	// parent needs a session, and X-CSRF-Token equal to the session's token
	// on unsafe methods.
	parent access = iota
	// public needs nothing to read; unsafe methods need the pre-login
	// double-submit token.
	public
	// child needs nothing: the caller is identified by its device.
	child
)

// endpoint is one method on one path.
type endpoint struct {
	access access
	// body is the body limit of an unsafe method; 0 means bodyMax.
	body    int64
	handler func(http.ResponseWriter, *http.Request, *request) *apiError
}

// request is what the dispatcher learned about a request.
type request struct {
	lang   string
	remote netip.Addr
	// sid and sess are the caller's session, on parent endpoints.
	sid  string
	sess session
}

// apiError is an error response. Messages come from the catalog:
// "error.<code>" and, per field, the message id in fields.
type apiError struct {
	status int
	code   string
	// fields maps a request field's JSON name to a catalog message id;
	// fieldArgs, per field, fills its message's placeholders (name, value
	// pairs, before the common ones).
	fields    map[string]string
	fieldArgs map[string][]string
	// retryAfter, when positive, is sent as Retry-After (whole seconds,
	// rounded up) and fills the {seconds} and {minutes} placeholders.
	retryAfter time.Duration
}

// routeTable returns path → method → endpoint. All methods of one path
// share one access (serveAPI relies on it for wrong methods).
func (s *Server) routeTable() map[string]map[string]endpoint {
	return map[string]map[string]endpoint{
		"/api/v1/setup": {
			http.MethodGet:  {access: public, handler: s.getSetup},
			http.MethodPost: {access: public, body: authBodyMax, handler: s.postSetup},
		},
		"/api/v1/login":        {http.MethodPost: {access: public, body: authBodyMax, handler: s.postLogin}},
		"/api/v1/session":      {http.MethodGet: {access: public, handler: s.getSession}},
		"/api/v1/i18n":         {http.MethodGet: {access: public, handler: s.getI18n}},
		"/api/v1/logout":       {http.MethodPost: {access: parent, handler: s.postLogout}},
		"/api/v1/password":     {http.MethodPost: {access: parent, body: authBodyMax, handler: s.postPassword}},
		"/api/v1/overview":     {http.MethodGet: {access: parent, handler: s.getOverview}},
		"/api/v1/devices":      {http.MethodGet: {access: parent, handler: s.getDevices}},
		"/api/v1/child/status": {http.MethodGet: {access: child, handler: s.getChildStatus}},
		"/api/v1/child/requests": {
			http.MethodPost: {access: child, body: authBodyMax, handler: s.postChildRequest},
		},
		"/api/v1/household": {http.MethodGet: {access: parent, handler: s.getHousehold}},
		"/api/v1/people":    {http.MethodPost: {access: parent, handler: s.postPerson}},
		"/api/v1/people/{id}": {
			http.MethodPut:    {access: parent, handler: s.putPerson},
			http.MethodDelete: {access: parent, handler: s.deletePerson},
		},
		"/api/v1/people/{id}/pause": {http.MethodPost: {access: parent, handler: s.postPause}},
		"/api/v1/people/{id}/extra": {http.MethodPost: {access: parent, handler: s.postExtra}},
		"/api/v1/devices/{mac}": {
			http.MethodPut:    {access: parent, handler: s.putDevice},
			http.MethodDelete: {access: parent, handler: s.deleteDevice},
		},
		"/api/v1/profiles/{id}": {http.MethodPut: {access: parent, handler: s.putProfile}},
		"/api/v1/schedules":     {http.MethodPost: {access: parent, handler: s.postSchedule}},
		"/api/v1/schedules/{id}": {
			http.MethodPut:    {access: parent, handler: s.putSchedule},
			http.MethodDelete: {access: parent, handler: s.deleteSchedule},
		},
		"/api/v1/activity": {http.MethodGet: {access: parent, handler: s.getActivity}},
		"/api/v1/settings": {
			http.MethodGet: {access: parent, handler: s.getSettings},
			http.MethodPut: {access: parent, handler: s.putSettings},
		},
		"/api/v1/requests":      {http.MethodGet: {access: parent, handler: s.getRequests}},
		"/api/v1/requests/{id}": {http.MethodPost: {access: parent, handler: s.postAnswer}},
	}
}

// pattern is a route table path with {name} segments, such as
// /api/v1/people/{id}; a {name} segment matches one non-empty segment.
type pattern struct {
	key  string
	segs []string
}

// compilePatterns returns the route table's paths that have {name}
// segments.
func compilePatterns(routes map[string]map[string]endpoint) []pattern {
	var ps []pattern
	for key := range routes {
		if strings.Contains(key, "{") {
			ps = append(ps, pattern{key: key, segs: strings.Split(key, "/")})
		}
	}
	slices.SortFunc(ps, func(a, b pattern) int { return strings.Compare(a.key, b.key) })
	return ps
}

// lookup returns the route table key of r's path: the path itself, else
// the pattern it matches, whose segments it sets as r's path values.
func (s *Server) lookup(r *http.Request) (string, bool) {
	if _, ok := s.routes[r.URL.Path]; ok {
		return r.URL.Path, true
	}
	segs := strings.Split(r.URL.Path, "/")
next:
	for _, p := range s.patterns {
		if len(p.segs) != len(segs) {
			continue
		}
		for i, ps := range p.segs {
			if !isParam(ps) && ps != segs[i] || isParam(ps) && segs[i] == "" {
				continue next
			}
		}
		for i, ps := range p.segs {
			if isParam(ps) {
				r.SetPathValue(ps[1:len(ps)-1], segs[i])
			}
		}
		return p.key, true
	}
	return "", false
}

func isParam(seg string) bool {
	return len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}'
}

// safeMethod reports whether m changes nothing.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// serveAPI routes an API request and applies access, CSRF and body rules.
// Unknown parent paths answer 401 before 404, so that the API's shape is
// not visible without a session.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, req *request) {
	isChild := strings.HasPrefix(r.URL.Path, "/api/v1/child/")
	key, known := s.lookup(r)
	methods := s.routes[key]
	ep, ok := methods[r.Method]
	acc := ep.access
	if !ok {
		acc = parent
		for _, e := range methods {
			acc = e.access
			break
		}
		if isChild {
			acc = child
		}
	}
	if acc == parent {
		sid, sess, live := s.session(r)
		if !live {
			s.fail(w, req.lang, &apiError{status: http.StatusUnauthorized, code: "unauthenticated"})
			return
		}
		req.sid, req.sess = sid, sess
	}
	if !known {
		s.fail(w, req.lang, &apiError{status: http.StatusNotFound, code: "not_found"})
		return
	}
	if !ok {
		allow := slices.Sorted(func(yield func(string) bool) {
			for m := range methods {
				if !yield(m) {
					return
				}
			}
		})
		w.Header().Set("Allow", strings.Join(allow, ", "))
		s.fail(w, req.lang, &apiError{status: http.StatusMethodNotAllowed, code: "method_not_allowed"})
		return
	}
	if !safeMethod(r.Method) {
		if err := s.cop.Check(r); err != nil {
			s.fail(w, req.lang, &apiError{status: http.StatusForbidden, code: "cross_origin"})
			return
		}
		switch acc {
		case parent:
			if !tokenEqual(r.Header.Get(csrfHeader), req.sess.csrf) {
				s.fail(w, req.lang, &apiError{status: http.StatusForbidden, code: "csrf"})
				return
			}
		case child:
			// A foreign site must not post from a child's browser: the
			// pre-login double-submit token, as on login.
			if !s.checkPreToken(r) {
				s.fail(w, req.lang, &apiError{status: http.StatusForbidden, code: "csrf"})
				return
			}
		case public:
			// A logged-in page (logging in again) may use its session's
			// token instead.
			_, sess, live := s.session(r)
			if !s.checkPreToken(r) && !(live && tokenEqual(r.Header.Get(csrfHeader), sess.csrf)) {
				s.fail(w, req.lang, &apiError{status: http.StatusForbidden, code: "csrf"})
				return
			}
		}
		limit := ep.body
		if limit == 0 {
			limit = bodyMax
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
	}
	if e := ep.handler(w, r, req); e != nil {
		s.fail(w, req.lang, e)
	}
}

// tokenEqual compares a presented token with the expected one in constant
// time; an empty expected token never matches.
func tokenEqual(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// readJSON decodes one JSON object from the request body into v. The body
// must be application/json and within the endpoint's limit.
func readJSON(r *http.Request, v any) *apiError {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return &apiError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type"}
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return &apiError{status: http.StatusRequestEntityTooLarge, code: "too_large"}
		}
		return &apiError{status: http.StatusBadRequest, code: "bad_request"}
	}
	if err := decodeJSON(data, v); err != nil {
		return &apiError{status: http.StatusBadRequest, code: "bad_request"}
	}
	return nil
}

// decodeJSON decodes exactly one JSON object from data into v: unknown
// fields and trailing data are errors.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the object")
	}
	return nil
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) // the client going away is not ours to report
}

// errorBody is the stable error shape.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	// RetryAfter repeats the Retry-After header, in seconds.
	RetryAfter int `json:"retry_after,omitempty"`
}

// fail writes e in lang.
func (s *Server) fail(w http.ResponseWriter, lang string, e *apiError) {
	secs := int(math.Ceil(e.retryAfter.Seconds()))
	mins := int(math.Ceil(e.retryAfter.Minutes()))
	args := []string{"seconds", strconv.Itoa(secs), "minutes", strconv.Itoa(mins),
		"min", strconv.Itoa(MinPasswordLen), "max", strconv.Itoa(MaxPasswordBytes)}
	d := errorDetail{Code: e.code, Message: s.cat.text(lang, "error."+e.code, args...)}
	if e.retryAfter > 0 {
		d.RetryAfter = secs
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	if len(e.fields) > 0 {
		d.Fields = make(map[string]string, len(e.fields))
		for f, id := range e.fields {
			d.Fields[f] = s.cat.text(lang, id, append(slices.Clone(e.fieldArgs[f]), args...)...)
		}
	}
	writeJSON(w, e.status, errorBody{Error: d})
}

// validation is a 400 naming fields.
func validation(fields map[string]string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "validation", fields: fields}
}

// validUTF8 reports whether every string is valid UTF-8 (JSON decoding
// replaces invalid bytes, so this checks for the replacement rune too).
func validUTF8(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError) {
			return false
		}
	}
	return true
}
