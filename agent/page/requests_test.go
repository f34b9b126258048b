package page

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/safeinternet/cpe/ui"
)

func TestRequests(t *testing.T) {
	dir := t.TempDir()
	var s requestStore
	if err := s.load(dir); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC)
	tab := ui.Device{MAC: "02:00:00:00:00:0a", Person: "ali"}
	r1, err := s.ask(tab, ui.AskTime, "", now)
	if err != nil || r1.State != "pending" {
		t.Fatalf("ask: %+v %v", r1, err)
	}
	if again, _ := s.ask(tab, ui.AskTime, "", now); again.ID != r1.ID {
		t.Errorf("the same request twice made two")
	}
	s.ask(tab, ui.AskUnblock, "a.example", now)
	s.ask(tab, ui.AskUnblock, "b.example", now)
	if _, err := s.ask(tab, ui.AskUnblock, "c.example", now); !errors.Is(err, ui.ErrRateLimited) {
		t.Errorf("fourth waiting request: %v, want ErrRateLimited", err)
	}
	if _, err := s.ask(ui.Device{MAC: "02:00:00:00:00:0b"}, ui.AskTime, "", now); err != nil {
		t.Errorf("another device is not limited by the first: %v", err)
	}
	got, err := s.answer(r1.ID, true, now.Add(30*time.Minute), now)
	if err != nil || got.State != "approved" || !got.Until.Equal(now.Add(30*time.Minute)) {
		t.Errorf("approve: %+v %v", got, err)
	}
	if _, err := s.answer(r1.ID, false, time.Time{}, now); !errors.Is(err, ui.ErrAnswered) {
		t.Errorf("answered twice: %v", err)
	}
	if _, err := s.answer("nope", false, time.Time{}, now); !errors.Is(err, ui.ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
	// Five in an hour is the most, answered or not.
	s.ask(tab, ui.AskTime, "", now)
	if _, err := s.ask(tab, ui.AskUnblock, "d.example", now); !errors.Is(err, ui.ErrRateLimited) {
		t.Errorf("sixth in an hour: %v", err)
	}
	// Kept across a restart; unanswered ones expire.
	var t2 requestStore
	if err := t2.load(dir); err != nil {
		t.Fatal(err)
	}
	all := t2.all(now.Add(requestExpiry))
	if len(all) != 5 || all[len(all)-1].ID != r1.ID || all[len(all)-1].State != "approved" || all[0].State != "expired" {
		t.Errorf("after restart: %+v", all)
	}
}

// FuzzRequestsFile feeds requests.json arbitrary bytes: it loads within its
// cap or is refused and set aside, and never panics.
func FuzzRequestsFile(f *testing.F) {
	f.Add([]byte(`[{"ID":"ab","Kind":"time","Person":"ali","Device":"02:00:00:00:00:0a","State":"pending"}]`))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, requestsFile), data, 0o644); err != nil {
			t.Fatal(err)
		}
		var s requestStore
		err := s.load(dir)
		switch {
		case err == nil && len(s.list) > maxRequests:
			t.Fatalf("%d requests loaded", len(s.list))
		case err != nil:
			if _, serr := os.Stat(filepath.Join(dir, requestsFile+".bad")); serr != nil {
				t.Fatalf("refused (%v) but not set aside", err)
			}
		}
	})
}
