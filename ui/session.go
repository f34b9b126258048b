package ui

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"
)

// Session limits.
const (
	// maxSessions caps the session map; creating one more evicts the oldest
	// (by creation). A household has a few parents with a few browsers.
	maxSessions = 64
	// sessionIdle ends a session not used for this long; sessionMaxAge ends
	// any session this long after login.
	sessionIdle   = 30 * time.Minute
	sessionMaxAge = 12 * time.Hour
)

// newToken returns 256 random bits, base64url without padding (43 bytes).
func newToken() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand panics on a broken system)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// session is one parent's login.
type session struct {
	// csrf is the synchronizer token the page sends in X-CSRF-Token.
	csrf string
	// created is the login time; seen the last request's time.
	created, seen time.Time
}

// expires returns when s ends if unused from now on.
func (s *session) expires() time.Time {
	idle, abs := s.seen.Add(sessionIdle), s.created.Add(sessionMaxAge)
	if idle.Before(abs) {
		return idle
	}
	return abs
}

// sessions is the server-side session table. Keys are the SHA-256 of the
// cookie's id, so that a map lookup's timing says nothing about ids.
type sessions struct {
	// mu guards m.
	mu sync.Mutex
	// m holds at most maxSessions entries; add evicts expired ones, then the
	// oldest by creation.
	m map[[32]byte]*session
}

func newSessions() *sessions {
	return &sessions{m: make(map[[32]byte]*session)}
}

func sessionKey(id string) [32]byte { return sha256.Sum256([]byte(id)) }

// add creates a session at now and returns its cookie id and a copy.
func (ss *sessions) add(now time.Time) (string, session) {
	id := newToken()
	s := &session{csrf: newToken(), created: now, seen: now}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.m) >= maxSessions {
		var oldestKey [32]byte
		var oldest *session
		for k, v := range ss.m {
			if !now.Before(v.expires()) {
				delete(ss.m, k)
				continue
			}
			if oldest == nil || v.created.Before(oldest.created) {
				oldestKey, oldest = k, v
			}
		}
		if len(ss.m) >= maxSessions {
			delete(ss.m, oldestKey)
		}
	}
	ss.m[sessionKey(id)] = s
	return id, *s
}

// get returns the live session with cookie id at now and, when active,
// marks it used (extending its idle deadline); an expired one is deleted.
func (ss *sessions) get(id string, now time.Time, active bool) (session, bool) {
	if id == "" {
		return session{}, false
	}
	k := sessionKey(id)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.m[k]
	if s == nil {
		return session{}, false
	}
	if !now.Before(s.expires()) {
		delete(ss.m, k)
		return session{}, false
	}
	if active {
		s.seen = now
	}
	return *s, true
}

// replaceAll ends every session and starts a new one at now (as add),
// returning its cookie id, a copy, and how many sessions ended.
func (ss *sessions) replaceAll(now time.Time) (string, session, int) {
	ss.mu.Lock()
	n := len(ss.m)
	clear(ss.m)
	ss.mu.Unlock()
	id, s := ss.add(now)
	return id, s, n
}

// remove ends the session with cookie id, if any.
func (ss *sessions) remove(id string) {
	ss.mu.Lock()
	delete(ss.m, sessionKey(id))
	ss.mu.Unlock()
}

// len returns the number of stored sessions, expired or not.
func (ss *sessions) len() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return len(ss.m)
}
