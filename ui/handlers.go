package ui

import (
	"crypto/subtle"
	"net/http"
	"net/netip"
	"time"
)

// setupRequest is the body of POST /api/v1/setup.
type setupRequest struct {
	Password  string `json:"password"`
	SetupCode string `json:"setup_code"`
}

// loginRequest is the body of POST /api/v1/login.
type loginRequest struct {
	Password string `json:"password"`
}

// passwordRequest is the body of POST /api/v1/password.
type passwordRequest struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

// sessionView is the body of GET /api/v1/session and of a successful
// login or setup.
type sessionView struct {
	Authenticated bool   `json:"authenticated"`
	NeedsSetup    bool   `json:"needs_setup"`
	CSRFToken     string `json:"csrf_token"`
	// Expires is when the session ends if unused; absent when not
	// authenticated.
	Expires *time.Time `json:"expires,omitempty"`
	Lang    string     `json:"lang"`
}

// needsSetup reports whether no admin password is set.
func (s *Server) needsSetup() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.hasCred
}

func (s *Server) getSetup(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	writeJSON(w, http.StatusOK, map[string]any{
		"needs_setup":         s.needsSetup(),
		"setup_code_required": s.setupCode != "",
		"csrf_token":          s.ensurePreToken(w, r),
	})
	return nil
}

func (s *Server) getSession(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	v := sessionView{NeedsSetup: s.needsSetup(), Lang: req.lang}
	if _, sess, ok := s.session(r); ok {
		exp := sess.expires()
		v.Authenticated, v.CSRFToken, v.Expires = true, sess.csrf, &exp
	} else {
		v.CSRFToken = s.ensurePreToken(w, r)
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// login starts a new session (a fresh id: no fixation) and answers with it.
func (s *Server) login(w http.ResponseWriter, r *http.Request, req *request) {
	id, sess := s.sessions.add(s.now())
	s.answerSession(w, r, req, id, sess)
}

// answerSession sets the cookie of a session just started and answers
// with it.
func (s *Server) answerSession(w http.ResponseWriter, r *http.Request, req *request, id string, sess session) {
	setSessionCookie(w, r, id, int(sessionMaxAge/time.Second))
	exp := sess.expires()
	writeJSON(w, http.StatusOK, sessionView{Authenticated: true, CSRFToken: sess.csrf,
		Expires: &exp, Lang: req.lang})
}

// hashSlot takes the single hashing slot, or returns a 503.
func (s *Server) hashSlot() *apiError {
	select {
	case s.hashing <- struct{}{}:
		return nil
	default:
		return &apiError{status: http.StatusServiceUnavailable, code: "busy", retryAfter: time.Second}
	}
}

func (s *Server) postSetup(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	var body setupRequest
	if e := readJSON(r, &body); e != nil {
		return e
	}
	if !s.needsSetup() {
		return &apiError{status: http.StatusConflict, code: "already_set_up"}
	}
	fields := map[string]string{}
	if id := checkNewPassword(body.Password); id != "" {
		fields["password"] = id
	}
	if s.setupCode != "" && subtle.ConstantTimeCompare([]byte(body.SetupCode), []byte(s.setupCode)) != 1 {
		fields["setup_code"] = "field.wrong_setup_code"
	}
	if len(fields) > 0 {
		return validation(fields)
	}
	if e := s.hashSlot(); e != nil {
		return e
	}
	h := hashPassword(body.Password, s.params)
	<-s.hashing
	s.mu.Lock()
	if s.hasCred { // another setup won the race while we hashed
		s.mu.Unlock()
		return &apiError{status: http.StatusConflict, code: "already_set_up"}
	}
	if err := saveCredential(s.stateDir, h); err != nil {
		s.mu.Unlock()
		s.log.Error("ui: setup", "err", err)
		return &apiError{status: http.StatusInternalServerError, code: "internal"}
	}
	s.cred, s.hasCred = h, true
	s.mu.Unlock()
	s.log.Info("ui: admin password set", "client", req.remote)
	s.login(w, r, req)
	return nil
}

func (s *Server) postLogin(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	var body loginRequest
	if e := readJSON(r, &body); e != nil {
		return e
	}
	if s.needsSetup() {
		return &apiError{status: http.StatusConflict, code: "needs_setup"}
	}
	if id := checkPresented(body.Password); id != "" {
		return validation(map[string]string{"password": id})
	}
	key := clientKey(req.remote)
	if e := s.throttle(key); e != nil {
		return e
	}
	if e := s.hashSlot(); e != nil {
		return e
	}
	// The credential is read, checked and the session made while holding
	// the slot, which a password change holds from its check to ending
	// every session: a login with the old password cannot outlive it.
	ok := s.verify(body.Password)
	var id string
	var sess session
	if ok {
		id, sess = s.sessions.add(s.now())
	}
	<-s.hashing
	if !ok {
		return s.wrongPassword(key, req, "password")
	}
	s.limiter.succeed(key)
	s.log.Info("ui: admin login", "client", req.remote)
	s.answerSession(w, r, req, id, sess)
	return nil
}

// checkPresented returns the catalog id of what is wrong with a password
// presented to be checked (not a new one), or "".
func checkPresented(pw string) string {
	switch {
	case pw == "":
		return "field.required"
	case len(pw) > MaxPasswordBytes:
		return "field.too_long"
	}
	return ""
}

// throttle returns the 429 for a client that must wait before its
// password is checked, or nil.
func (s *Server) throttle(key netip.Prefix) *apiError {
	wait, locked := s.limiter.allow(key, s.now())
	if wait <= 0 {
		return nil
	}
	code := "too_many_attempts"
	if locked {
		code = "locked"
	}
	return &apiError{status: http.StatusTooManyRequests, code: code, retryAfter: wait}
}

// verify checks pw against the credential. The caller holds the hashing
// slot.
func (s *Server) verify(pw string) bool {
	s.mu.Lock()
	cred := s.cred
	s.mu.Unlock()
	return cred.verify(pw)
}

// wrongPassword counts a failure for key and answers 401 wrong_password
// on field.
func (s *Server) wrongPassword(key netip.Prefix, req *request, field string) *apiError {
	s.limiter.fail(key, s.now())
	s.log.Warn("ui: wrong admin password", "client", req.remote)
	return &apiError{status: http.StatusUnauthorized, code: "wrong_password",
		fields: map[string]string{field: "error.wrong_password"}}
}

// postPassword changes the admin password: the current one is checked as
// at login (same throttling, same single hashing slot), the new one as at
// setup. On success every session ends, the caller's included, and the
// caller gets a new one (a fresh id and CSRF token) in the answer.
func (s *Server) postPassword(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	var body passwordRequest
	if e := readJSON(r, &body); e != nil {
		return e
	}
	if s.needsSetup() {
		return &apiError{status: http.StatusConflict, code: "needs_setup"}
	}
	fields := map[string]string{}
	if id := checkPresented(body.Current); id != "" {
		fields["current"] = id
	}
	if id := checkNewPassword(body.New); id != "" {
		fields["new"] = id
	} else if body.New == body.Current {
		fields["new"] = "field.same_password"
	}
	if len(fields) > 0 {
		return validation(fields)
	}
	key := clientKey(req.remote)
	if e := s.throttle(key); e != nil {
		return e
	}
	if e := s.hashSlot(); e != nil {
		return e
	}
	defer func() { <-s.hashing }()
	if !s.verify(body.Current) {
		return s.wrongPassword(key, req, "current")
	}
	s.limiter.succeed(key)
	h := hashPassword(body.New, s.params)
	s.mu.Lock()
	if err := saveCredential(s.stateDir, h); err != nil {
		s.mu.Unlock()
		s.log.Error("ui: change password", "err", err)
		return &apiError{status: http.StatusInternalServerError, code: "internal"}
	}
	s.cred = h
	s.mu.Unlock()
	id, sess, ended := s.sessions.replaceAll(s.now())
	s.log.Info("ui: admin password changed", "client", req.remote, "sessions_ended", ended)
	s.answerSession(w, r, req, id, sess)
	return nil
}

func (s *Server) postLogout(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	s.sessions.remove(req.sid)
	setSessionCookie(w, r, "", -1)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getI18n(w http.ResponseWriter, r *http.Request, req *request) *apiError {
	writeJSON(w, http.StatusOK, map[string]any{
		"lang": req.lang, "languages": supported(), "messages": s.cat[req.lang],
	})
	return nil
}
