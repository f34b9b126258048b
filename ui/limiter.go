package ui

import (
	"net/netip"
	"sync"
	"time"
)

// Login throttling. Failures are counted per client (an IPv4 address, or an
// IPv6 /64, since one device can pick any address in its /64) and over the
// whole LAN. Only attempts that reach the password check count; refused
// attempts do not.
const (
	// backoffAfter failures from one client, each further attempt waits
	// backoffBase doubled per failure beyond it: 1 s, 2 s, 4 s, 8 s, 16 s.
	backoffAfter = 5
	backoffBase  = time.Second
	// lockAfter failures lock the client for lockFor after the last one.
	lockAfter = 10
	lockFor   = 15 * time.Minute
	// failWindow: a client's failures are forgotten this long after its
	// last one.
	failWindow = 15 * time.Minute
	// maxClients caps the per-client map; when full, the client whose last
	// failure is oldest is evicted. Eviction cannot buy an attacker much:
	// the global limit below still holds.
	maxClients = 256
	// globalFailures within failWindow over all clients put every login
	// behind globalSpacing: one attempt per spacing, LAN-wide.
	globalFailures = 50
	globalSpacing  = 5 * time.Second
)

// clientKey is the throttling key of a remote address.
func clientKey(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}

// client is one client's failures.
type client struct {
	failures int
	last     time.Time
}

// limiter throttles logins. Its clock is the caller's: every method takes
// now.
type limiter struct {
	// mu guards the fields below.
	mu sync.Mutex
	// clients holds at most maxClients entries (eviction above).
	clients map[netip.Prefix]*client
	// recent is a ring of the last globalFailures failure times; next is the
	// slot the next failure goes to.
	recent [globalFailures]time.Time
	next   int
	// lastGlobal is the last attempt let through while the global limit
	// was on.
	lastGlobal time.Time
}

func newLimiter() *limiter {
	return &limiter{clients: make(map[netip.Prefix]*client)}
}

// allow reports whether a login attempt from key may check a password at
// now. If not, wait is how long until it may, and locked says the client is
// locked out (rather than backing off or waiting for the global limit).
func (l *limiter) allow(key netip.Prefix, now time.Time) (wait time.Duration, locked bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c := l.clients[key]; c != nil {
		if now.Sub(c.last) >= failWindow {
			delete(l.clients, key)
		} else if c.failures >= lockAfter {
			return c.last.Add(lockFor).Sub(now), true
		} else if c.failures >= backoffAfter {
			at := c.last.Add(backoffBase << (c.failures - backoffAfter))
			if now.Before(at) {
				return at.Sub(now), false
			}
		}
	}
	// The ring is full of failures within the window: the oldest of the
	// last globalFailures is recent.
	if oldest := l.recent[l.next]; !oldest.IsZero() && now.Sub(oldest) < failWindow {
		if at := l.lastGlobal.Add(globalSpacing); !l.lastGlobal.IsZero() && now.Before(at) {
			return at.Sub(now), false
		}
		l.lastGlobal = now
	}
	return 0, false
}

// fail records a wrong password from key at now.
func (l *limiter) fail(key netip.Prefix, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.clients[key]
	if c == nil {
		if len(l.clients) >= maxClients {
			var oldestKey netip.Prefix
			var oldest *client
			for k, v := range l.clients {
				if oldest == nil || v.last.Before(oldest.last) {
					oldestKey, oldest = k, v
				}
			}
			delete(l.clients, oldestKey)
		}
		c = &client{}
		l.clients[key] = c
	}
	c.failures++
	c.last = now
	l.recent[l.next] = now
	l.next = (l.next + 1) % globalFailures
}

// succeed forgets key's failures after a right password.
func (l *limiter) succeed(key netip.Prefix) {
	l.mu.Lock()
	delete(l.clients, key)
	l.mu.Unlock()
}

// len returns the number of clients with failures on record.
func (l *limiter) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}
