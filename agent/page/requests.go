package page

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/safeinternet/cpe/internal/atomicfile"
	"github.com/safeinternet/cpe/ui"
)

// Bounds of children's requests: how many are kept, how many one device
// may have waiting and may make in an hour, and how long one waits for an
// answer before it expires.
const (
	requestsFile     = "requests.json"
	maxRequests      = 64
	maxPendingDevice = 3
	maxAskedPerHour  = 5
	requestExpiry    = 24 * time.Hour
	// pendingRetry is when a device with too many waiting requests may try
	// again: a parent has usually answered by then.
	pendingRetry = 10 * time.Minute
)

// requestStore keeps children's requests ("more time", "unblock this
// site") until a parent answers. They survive a reboot: the store is
// written atomically on every change (a few a day, rate-limited per device).
type requestStore struct {
	mu   sync.Mutex    // guards list
	list []*ui.Request // oldest first, at most maxRequests
	dir  string        // "" keeps nothing on disk
}

// ask records a request from dev, or returns the same request waiting
// already; ErrRateLimited past the per-device bounds.
func (s *requestStore) ask(dev ui.Device, kind ui.RequestKind, name string, now time.Time) (ui.Request, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	pending, lastHour := 0, 0
	var oldest time.Time // of the requests in the last hour
	for _, r := range s.list {
		if r.Device != dev.MAC {
			continue
		}
		if r.State == "pending" {
			if r.Kind == kind && r.Name == name {
				return *r, nil
			}
			pending++
		}
		if now.Sub(r.Created) < time.Hour {
			if lastHour == 0 {
				oldest = r.Created
			}
			lastHour++
		}
	}
	switch {
	case lastHour >= maxAskedPerHour:
		return ui.Request{}, &ui.RateLimitError{RetryAfter: oldest.Add(time.Hour).Sub(now)}
	case pending >= maxPendingDevice:
		return ui.Request{}, &ui.RateLimitError{RetryAfter: pendingRetry}
	}
	id := make([]byte, 8)
	rand.Read(id)
	r := &ui.Request{ID: hex.EncodeToString(id), Kind: kind, Person: dev.Person, Device: dev.MAC,
		Name: name, Created: now, State: "pending"}
	s.list = append(s.list, r)
	if len(s.list) > maxRequests {
		// Drop the oldest answered request, else the oldest.
		i := slices.IndexFunc(s.list, func(r *ui.Request) bool { return r.State != "pending" })
		s.list = slices.Delete(s.list, max(i, 0), max(i, 0)+1)
	}
	return *r, s.saveLocked()
}

// answer settles request id; until is when an approval ends.
func (s *requestStore) answer(id string, approve bool, until, now time.Time) (ui.Request, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	i := slices.IndexFunc(s.list, func(r *ui.Request) bool { return r.ID == id })
	if i < 0 {
		return ui.Request{}, ui.ErrNotFound
	}
	r := s.list[i]
	if r.State != "pending" {
		return *r, ui.ErrAnswered
	}
	r.State, r.Decided = "denied", now
	if approve {
		r.State, r.Until = "approved", until
	}
	return *r, s.saveLocked()
}

// get returns request id as it is now.
func (s *requestStore) get(id string, now time.Time) (ui.Request, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	for _, r := range s.list {
		if r.ID == id {
			return *r, true
		}
	}
	return ui.Request{}, false
}

// all returns every request, newest first.
func (s *requestStore) all(now time.Time) []ui.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	out := make([]ui.Request, 0, len(s.list))
	for i := len(s.list) - 1; i >= 0; i-- {
		out = append(out, *s.list[i])
	}
	return out
}

// expire ends the requests nobody answered in time.
func (s *requestStore) expire(now time.Time) {
	for _, r := range s.list {
		if r.State == "pending" && now.Sub(r.Created) >= requestExpiry {
			r.State = "expired"
		}
	}
}

// saveLocked writes the requests atomically; s.mu is held.
func (s *requestStore) saveLocked() error {
	if s.dir == "" {
		return nil
	}
	data, err := json.Marshal(s.list)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(s.dir, requestsFile), data, 0o644)
}

// load reads the requests saved in dir. A missing file is none; a bad one
// is an error and leaves the store empty.
func (s *requestStore) load(dir string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dir = dir
	data, err := os.ReadFile(filepath.Join(dir, requestsFile))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var list []*ui.Request
	if err := json.Unmarshal(data, &list); err != nil {
		return atomicfile.SetAside(filepath.Join(dir, requestsFile), fmt.Errorf("requests: %w", err))
	}
	list = slices.DeleteFunc(list, func(r *ui.Request) bool { return r == nil || r.ID == "" })
	if len(list) > maxRequests {
		list = list[len(list)-maxRequests:]
	}
	s.list = list
	return nil
}
