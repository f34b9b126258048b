// Package inventory is the household's device inventory as the agent sees
// it on the wire: which MAC address sent from which LAN address and when it
// last moved traffic (Table), the host names the DHCP server handed out
// (ReadLeases), and the maker behind a MAC (Maker).
//
// The queues write the Table (a MAC from the queue's attribute is the
// device's identity: a DNS answer or a packet without one finds its device
// through the address it was last seen sending from); the household keeper
// and the web page read it. Table is safe for concurrent use; everything it
// holds is capped.
package inventory

import (
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/safeinternet/cpe/agent/oui"
)

// Table remembers which MAC address sent packets from which LAN address,
// as the queue reports it on queries and SYNs. Answers going to a device
// carry no MAC of it (they come from the router or from upstream), so this
// is how an answer finds its device's profile. Shared by every queue; safe
// for concurrent use.
//
// Cap: MaxEntries addresses of ~40 bytes and as many MACs; when full an
// arbitrary entry is evicted, which costs that device nothing but the next
// lookup of its answers until its next query.
type Table struct {
	mu sync.Mutex // guards m and last
	m  map[netip.Addr][6]byte
	// last is when each MAC was last seen: first sending from an address,
	// or moving traffic in an accounting period. Same cap.
	last map[[6]byte]time.Time
}

// MaxEntries caps the addresses and the MACs a Table keeps.
const MaxEntries = 4096

// New returns an empty table.
func New() *Table {
	return &Table{m: make(map[netip.Addr][6]byte, 64), last: make(map[[6]byte]time.Time, 64)}
}

// Saw records that addr sent a packet from mac. It takes the lock and,
// when the pair is new, reads the clock: callers on the packet path call it
// only on packets that carry the MAC and only when the pair changed.
func (t *Table) Saw(addr netip.Addr, mac [6]byte) {
	t.mu.Lock()
	if old, ok := t.m[addr]; !ok || old != mac {
		if !ok && len(t.m) >= MaxEntries {
			for k := range t.m {
				delete(t.m, k)
				break
			}
		}
		t.m[addr] = mac
		t.touchLocked(mac, time.Now())
	}
	t.mu.Unlock()
}

// Touch records that mac moved traffic at now.
func (t *Table) Touch(mac [6]byte, now time.Time) {
	t.mu.Lock()
	t.touchLocked(mac, now)
	t.mu.Unlock()
}

func (t *Table) touchLocked(mac [6]byte, now time.Time) {
	if _, ok := t.last[mac]; !ok && len(t.last) >= MaxEntries {
		for k := range t.last {
			delete(t.last, k)
			break
		}
	}
	t.last[mac] = now
}

// MAC returns the MAC last seen sending from addr.
func (t *Table) MAC(addr netip.Addr) ([6]byte, bool) {
	t.mu.Lock()
	mac, ok := t.m[addr]
	t.mu.Unlock()
	return mac, ok
}

// Seen is what the table knows of one MAC: when it was last seen and the
// addresses it sends from, sorted.
type Seen struct {
	Last  time.Time
	Addrs []netip.Addr
}

// Snapshot returns every MAC seen sending, with its addresses. The result
// is the caller's.
func (t *Table) Snapshot() map[[6]byte]Seen {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[[6]byte]Seen, len(t.last))
	for addr, mac := range t.m {
		s := out[mac]
		s.Addrs = append(s.Addrs, addr)
		out[mac] = s
	}
	for mac, s := range out {
		s.Last = t.last[mac]
		slices.SortFunc(s.Addrs, func(a, b netip.Addr) int { return a.Compare(b) })
		out[mac] = s
	}
	return out
}

// MACs returns every MAC address seen sending, each once.
func (t *Table) MACs() [][6]byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	seen := make(map[[6]byte]bool, len(t.m))
	out := make([][6]byte, 0, len(t.m))
	for _, mac := range t.m {
		if !seen[mac] {
			seen[mac] = true
			out = append(out, mac)
		}
	}
	return out
}

// Unknown returns the MAC addresses seen sending for which known is false:
// the devices nobody has assigned.
func (t *Table) Unknown(known func([6]byte) bool) [][6]byte {
	var out [][6]byte
	for _, mac := range t.MACs() {
		if !known(mac) {
			out = append(out, mac)
		}
	}
	return out
}

// AddrsOf returns the addresses last seen sending from any of macs.
func (t *Table) AddrsOf(macs [][6]byte) []netip.Addr {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []netip.Addr
	for addr, mac := range t.m {
		if slices.Contains(macs, mac) {
			out = append(out, addr)
		}
	}
	return out
}

// Maker is the maker of a device, from its MAC's OUI; "" if unknown.
func Maker(mac [6]byte) string { return oui.Maker(mac) }

// Random reports whether mac is locally administered: a phone's or a
// laptop's private (randomised) address.
func Random(mac [6]byte) bool { return mac[0]&2 != 0 }
