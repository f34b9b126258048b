package judge

import (
	"net/netip"
	"sync"
)

// learnedNames remembers, per device address, the name each remote address
// was resolved from in DNS answers the device received: the base for rules
// about connections to addresses a device never resolved, and the name of a
// TLS connection that sends none. Shared by every queue; safe for
// concurrent use.
//
// Cap: maxLearned entries (~90 bytes each plus the interned names); expired
// entries are dropped when met, and when the table is full an arbitrary
// entry goes. TTLs are honoured but clamped to [minLearnTTL, maxLearnTTL]
// seconds, so that a zero TTL still names the connection that follows it
// and a week-long one does not pin a stale name.
type learnedNames struct {
	mu    sync.Mutex // guards the fields below
	m     map[learnKey]learned
	names map[string]string // interned names, so that a repeated name costs no allocation
}

type learnKey struct{ device, remote netip.Addr }

type learned struct {
	name    string
	expires int64 // monotonic nanoseconds
}

const (
	maxLearned     = 16384
	maxNames       = 8192
	minLearnTTL    = 60
	maxLearnTTL    = 24 * 3600
	nanosPerSecond = 1e9
)

func newLearnedNames() *learnedNames {
	return &learnedNames{m: make(map[learnKey]learned, 256), names: make(map[string]string, 256)}
}

// learn records that device resolved name to remote, valid ttl seconds from
// now.
func (l *learnedNames) learn(device, remote netip.Addr, name []byte, ttl uint32, now int64) {
	ttl = min(max(ttl, minLearnTTL), maxLearnTTL)
	k := learnKey{device, remote}
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.names[string(name)]
	if !ok {
		if len(l.names) >= maxNames {
			clear(l.names) // entries keep their strings; only sharing is lost
		}
		s = string(name)
		l.names[s] = s
	}
	if _, ok := l.m[k]; !ok && len(l.m) >= maxLearned {
		for old, e := range l.m {
			delete(l.m, old)
			if e.expires < now {
				continue // keep sweeping expired ones a little
			}
			break
		}
	}
	l.m[k] = learned{name: s, expires: now + int64(ttl)*nanosPerSecond}
}

// name returns the name device resolved remote from, if it is still valid.
func (l *learnedNames) name(device, remote netip.Addr, now int64) (string, bool) {
	k := learnKey{device, remote}
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.m[k]
	if !ok {
		return "", false
	}
	if e.expires < now {
		delete(l.m, k)
		return "", false
	}
	return e.name, true
}

// len returns the number of entries, expired ones included.
func (l *learnedNames) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}
