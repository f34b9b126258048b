package daemon

import (
	"net/netip"
	"slices"
	"sync"
	"time"
)

// neighbours remembers which MAC address sent packets from which LAN
// address, as the queue reports it on queries. Answers going to a device
// carry no MAC of it (they come from the router or from upstream), so this
// is how an answer finds its device's profile. Shared by every queue; safe
// for concurrent use.
//
// Cap: maxNeighbours entries of ~40 bytes; when full an arbitrary entry is
// evicted, which costs that device nothing but the next lookup of its
// answers until its next query.
type neighbours struct {
	mu sync.Mutex // guards m and last
	m  map[netip.Addr][6]byte
	// last is when each MAC was last seen: first sending from an address,
	// or moving traffic in an accounting period. Same cap.
	last map[[6]byte]time.Time
}

const maxNeighbours = 4096

func newNeighbours() *neighbours {
	return &neighbours{m: make(map[netip.Addr][6]byte, 64), last: make(map[[6]byte]time.Time, 64)}
}

// saw records that addr sent a packet from mac.
func (n *neighbours) saw(addr netip.Addr, mac [6]byte) {
	n.mu.Lock()
	if old, ok := n.m[addr]; !ok || old != mac {
		if !ok && len(n.m) >= maxNeighbours {
			for k := range n.m {
				delete(n.m, k)
				break
			}
		}
		n.m[addr] = mac
		n.touchLocked(mac, time.Now())
	}
	n.mu.Unlock()
}

// touch records that mac moved traffic at now.
func (n *neighbours) touch(mac [6]byte, now time.Time) {
	n.mu.Lock()
	n.touchLocked(mac, now)
	n.mu.Unlock()
}

func (n *neighbours) touchLocked(mac [6]byte, now time.Time) {
	if _, ok := n.last[mac]; !ok && len(n.last) >= maxNeighbours {
		for k := range n.last {
			delete(n.last, k)
			break
		}
	}
	n.last[mac] = now
}

// seenDevice is what the page shows of a MAC seen sending.
type seenDevice struct {
	last  time.Time
	addrs []netip.Addr
}

// snapshot returns every MAC seen sending, with its addresses.
func (n *neighbours) snapshot() map[[6]byte]seenDevice {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make(map[[6]byte]seenDevice, len(n.last))
	for addr, mac := range n.m {
		s := out[mac]
		s.addrs = append(s.addrs, addr)
		out[mac] = s
	}
	for mac, s := range out {
		s.last = n.last[mac]
		slices.SortFunc(s.addrs, func(a, b netip.Addr) int { return a.Compare(b) })
		out[mac] = s
	}
	return out
}

// mac returns the MAC last seen sending from addr.
func (n *neighbours) mac(addr netip.Addr) ([6]byte, bool) {
	n.mu.Lock()
	mac, ok := n.m[addr]
	n.mu.Unlock()
	return mac, ok
}

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
