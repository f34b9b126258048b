package ui

import (
	"crypto/subtle"
	"net/http"
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
	s.mu.Lock()
	cred, has := s.cred, s.hasCred
	s.mu.Unlock()
	if !has {
		return &apiError{status: http.StatusConflict, code: "needs_setup"}
	}
	switch {
	case body.Password == "":
		return validation(map[string]string{"password": "field.required"})
	case len(body.Password) > MaxPasswordBytes:
		return validation(map[string]string{"password": "field.too_long"})
	}
	key := clientKey(req.remote)
	if wait, locked := s.limiter.allow(key, s.now()); wait > 0 {
		code := "too_many_attempts"
		if locked {
			code = "locked"
		}
		return &apiError{status: http.StatusTooManyRequests, code: code, retryAfter: wait}
	}
	if e := s.hashSlot(); e != nil {
		return e
	}
	ok := cred.verify(body.Password)
	<-s.hashing
	if !ok {
		s.limiter.fail(key, s.now())
		s.log.Warn("ui: wrong admin password", "client", req.remote)
		return &apiError{status: http.StatusUnauthorized, code: "wrong_password",
			fields: map[string]string{"password": "error.wrong_password"}}
	}
	s.limiter.succeed(key)
	s.log.Info("ui: admin login", "client", req.remote)
	s.login(w, r, req)
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
