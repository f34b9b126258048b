package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/ui"
)

func TestActivityHistory(t *testing.T) {
	var a activity
	day0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for i := range 20 {
		date := day0.AddDate(0, 0, i).Format(time.DateOnly)
		a.setUsed(date, "ali", time.Duration(i)*time.Minute, []time.Duration{30 * time.Second, time.Minute})
		a.addBlocked(date, "ali", category.Games, "game.example", false)
	}
	today := day0.AddDate(0, 0, 19)
	for i := range activityDomains + 10 {
		a.addBlocked(today.Format(time.DateOnly), "ali", 0, fmt.Sprintf("n%d.example", i), true)
	}
	days := a.view(today, 7)
	if len(days) != 7 || days[6].Date != "2026-12-20" || days[0].Date != "2026-12-14" {
		t.Fatalf("days %+v", days)
	}
	last := days[6].People[0]
	if last.Person != "ali" || last.Used != 19*time.Minute || last.Blocked["games"] != 1 || last.Blocked[""] != activityDomains+10 ||
		len(last.Domains) != activityDomains || last.Categories[category.ID(1).String()] != time.Minute ||
		last.Categories[""] != 30*time.Second {
		t.Errorf("today %+v", last)
	}
	if len(a.days) != activityDays {
		t.Errorf("%d days kept, cap %d", len(a.days), activityDays)
	}
	// Saved and read back; names forgotten on request.
	dir := t.TempDir()
	if err := a.save(dir); err != nil {
		t.Fatal(err)
	}
	var b activity
	if err := b.load(dir); err != nil {
		t.Fatal(err)
	}
	if got := b.view(today, 1)[0].People[0]; got.Used != last.Used || len(got.Domains) != activityDomains {
		t.Errorf("read back %+v", got)
	}
	b.forgetDomains()
	if got := b.view(today, 1)[0].People[0]; got.Domains != nil {
		t.Errorf("names kept after forgetting: %v", got.Domains)
	}
	// A damaged file is an error and no history.
	os.WriteFile(filepath.Join(dir, activityFile), []byte("{"), 0o644)
	var c activity
	if err := c.load(dir); err == nil || len(c.days) != 0 {
		t.Errorf("damaged file: err %v, %d days", err, len(c.days))
	}
	if b, err := os.ReadFile(filepath.Join(dir, activityFile+".bad")); err != nil || string(b) != "{" {
		t.Errorf("the damaged file is not set aside: %q %v", b, err)
	}
}

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

func TestBlockedHTTP(t *testing.T) {
	got := string(blockedHTTP(nil, []byte("www.games.test"), "http://192.168.1.1:8090/#/blocked?name="))
	want := "HTTP/1.1 302 Found\r\nLocation: http://192.168.1.1:8090/#/blocked?name=www.games.test\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\nConnection: close\r\n" +
		"Content-Length: 41\r\n\r\nBlocked by Safe Internet: www.games.test\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	if got := string(blockedHTTP(nil, []byte("x.test"), "")); !strings.HasPrefix(got, "HTTP/1.1 403 Forbidden\r\nContent-Type") {
		t.Errorf("without the page: %q", got)
	}
	var l pageLink
	link := "http://[fd50::1]:8090/#/blocked?name="
	l.v6.Store(&link)
	if l.get(false) != "" || l.get(true) != link {
		t.Errorf("links by family: %q %q", l.get(false), l.get(true))
	}
}

// FuzzSavedFiles feeds the page's saved files (activity.json, requests.json) and
// dnsmasq's lease file arbitrary bytes: they load within their caps or are refused (and set
// aside), never panic, and what loads saves and loads again the same.
func FuzzSavedFiles(f *testing.F) {
	f.Add([]byte(`[{"date":"2026-12-04","people":{"ali":{"used_seconds":60,"blocked":{"games":2}}}}]`))
	f.Add([]byte(`[{"ID":"ab","Kind":"time","Person":"ali","Device":"02:00:00:00:00:0a","State":"pending"}]`))
	f.Add([]byte("1733300000 02:00:00:00:00:0c 192.168.50.12 Galaxy-Tab * \n0 zz x y\n"))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		for _, name := range []string{activityFile, requestsFile} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		var a activity
		if err := a.load(dir); err == nil {
			if len(a.days) > activityDays {
				t.Fatalf("%d days loaded", len(a.days))
			}
			for _, d := range a.days {
				if len(d.People) > activityPeople {
					t.Fatalf("%d people in a day", len(d.People))
				}
			}
			if err := a.save(dir); err != nil {
				t.Fatal(err)
			}
			var b activity
			if err := b.load(dir); err != nil || len(b.days) != len(a.days) {
				t.Fatalf("saved history reads back as %d days, %v", len(b.days), err)
			}
		} else if _, serr := os.Stat(filepath.Join(dir, activityFile+".bad")); serr != nil {
			t.Fatalf("refused (%v) but not set aside", err)
		}
		var s requestStore
		if err := s.load(dir); err == nil && len(s.list) > maxRequests {
			t.Fatalf("%d requests loaded", len(s.list))
		}
		leases := filepath.Join(dir, "dhcp.leases")
		os.WriteFile(leases, data, 0o644)
		for mac, l := range readLeases(leases) {
			if len(l.hostname) > 63 {
				t.Fatalf("lease %x: host name %q", mac, l.hostname)
			}
		}
	})
}
