package activity

import (
	"sync"
	"time"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/policy"
)

// Log keeps the most recent blocked attempts, for the page's overview and
// for the keeper, which counts them into the History. The queues add to it
// on block decisions only, without allocating: names are copied into
// fixed arrays. Cap: MaxBlocked entries, the oldest overwritten. Safe for
// concurrent use; the zero Log is ready.
type Log struct {
	mu   sync.Mutex // guards the fields below
	ring [MaxBlocked]Entry
	next int    // index of the next write
	n    int    // entries in use, up to MaxBlocked
	seq  uint64 // entries ever added
}

// MaxBlocked caps the Log.
const MaxBlocked = 128

// Entry is one blocked attempt.
type Entry struct {
	At       time.Time
	MAC      [6]byte
	Reason   policy.Reason
	Category category.ID
	name     [253]byte
	nlen     uint8
}

// Name returns the name the device asked for ("" when the flow had none).
func (e *Entry) Name() string { return string(e.name[:e.nlen]) }

// Add records a blocked attempt of name by mac at now. It does not keep
// name (a longer one is cut at 253 bytes) and does not allocate.
func (l *Log) Add(now time.Time, mac [6]byte, name []byte, r policy.Reason, cat category.ID) {
	l.mu.Lock()
	e := &l.ring[l.next]
	e.At, e.MAC, e.Reason, e.Category = now, mac, r, cat
	e.nlen = uint8(copy(e.name[:], name))
	l.next = (l.next + 1) % MaxBlocked
	l.n = min(l.n+1, MaxBlocked)
	l.seq++
	l.mu.Unlock()
}

// Since returns the attempts added after the seq'th, oldest first (at most
// MaxBlocked: older ones are lost), and the count to pass next time.
func (l *Log) Since(seq uint64) ([]Entry, uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := int(min(l.seq-min(seq, l.seq), uint64(l.n)))
	out := make([]Entry, 0, n)
	for i := n; i >= 1; i-- {
		out = append(out, l.ring[(l.next-i+MaxBlocked)%MaxBlocked])
	}
	return out, l.seq
}

// Recent returns the recorded attempts, newest first.
func (l *Log) Recent() []Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Entry, 0, l.n)
	for i := 1; i <= l.n; i++ {
		out = append(out, l.ring[(l.next-i+MaxBlocked)%MaxBlocked])
	}
	return out
}
