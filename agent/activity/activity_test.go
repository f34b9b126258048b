package activity

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/policy"
)

func TestActivityHistory(t *testing.T) {
	var a History
	day0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for i := range 20 {
		date := day0.AddDate(0, 0, i).Format(time.DateOnly)
		a.SetUsed(date, "ali", time.Duration(i)*time.Minute, []time.Duration{30 * time.Second, time.Minute})
		a.AddBlocked(date, "ali", category.Games, "game.example", false)
	}
	today := day0.AddDate(0, 0, 19)
	for i := range MaxDomains + 10 {
		a.AddBlocked(today.Format(time.DateOnly), "ali", 0, fmt.Sprintf("n%d.example", i), true)
	}
	days := a.Days(today, 7)
	if len(days) != 7 || days[6].Date != "2026-12-20" || days[0].Date != "2026-12-14" {
		t.Fatalf("days %+v", days)
	}
	last := days[6].People[0]
	if last.Person != "ali" || last.Used != 19*time.Minute || last.Blocked["games"] != 1 || last.Blocked[""] != MaxDomains+10 ||
		len(last.Domains) != MaxDomains || last.Categories[category.ID(1).String()] != time.Minute ||
		last.Categories[""] != 30*time.Second {
		t.Errorf("today %+v", last)
	}
	if len(a.days) != MaxDays {
		t.Errorf("%d days kept, cap %d", len(a.days), MaxDays)
	}
	// Saved and read back; names forgotten on request.
	dir := t.TempDir()
	if err := a.Save(dir); err != nil {
		t.Fatal(err)
	}
	var b History
	if err := b.Load(dir); err != nil {
		t.Fatal(err)
	}
	if got := b.Days(today, 1)[0].People[0]; got.Used != last.Used || len(got.Domains) != MaxDomains {
		t.Errorf("read back %+v", got)
	}
	b.ForgetDomains()
	if got := b.Days(today, 1)[0].People[0]; got.Domains != nil {
		t.Errorf("names kept after forgetting: %v", got.Domains)
	}
	// A damaged file is an error and no history.
	os.WriteFile(filepath.Join(dir, File), []byte("{"), 0o644)
	var c History
	if err := c.Load(dir); err == nil || len(c.days) != 0 {
		t.Errorf("damaged file: err %v, %d days", err, len(c.days))
	}
	if b, err := os.ReadFile(filepath.Join(dir, File+".bad")); err != nil || string(b) != "{" {
		t.Errorf("the damaged file is not set aside: %q %v", b, err)
	}
	// Days that are null, without people or with a bad date are dropped;
	// the others load.
	os.WriteFile(filepath.Join(dir, File), []byte(`[null,{"date":"2026-12-20"},{"date":"bad","people":{}},`+
		`{"date":"2026-12-20","people":{"ali":{"used_seconds":60}}}]`), 0o644)
	var d History
	if err := d.Load(dir); err != nil {
		t.Fatal(err)
	}
	if days := d.Days(today, 1); len(days) != 1 || len(days[0].People) != 1 || days[0].People[0].Used != time.Minute {
		t.Errorf("read back %+v", days)
	}
}

func TestLog(t *testing.T) {
	var l Log
	at := time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)
	mac := [6]byte{2, 0, 0, 0, 0, 0xa}
	for i := range MaxBlocked + 10 {
		l.Add(at.Add(time.Duration(i)*time.Second), mac, []byte(fmt.Sprintf("n%d.example", i)), policy.ReasonCategory, category.Games)
	}
	recent := l.Recent()
	if len(recent) != MaxBlocked || recent[0].Name() != fmt.Sprintf("n%d.example", MaxBlocked+9) {
		t.Fatalf("%d recent, newest %q", len(recent), recent[0].Name())
	}
	got, seq := l.Since(MaxBlocked + 5)
	if len(got) != 5 || seq != MaxBlocked+10 || got[0].Name() != fmt.Sprintf("n%d.example", MaxBlocked+5) {
		t.Errorf("since: %d entries, seq %d", len(got), seq)
	}
	if got, _ := l.Since(0); len(got) != MaxBlocked {
		t.Errorf("since 0: %d entries, the oldest are lost past %d", len(got), MaxBlocked)
	}
	long := make([]byte, 300)
	for i := range long {
		long[i] = 'a'
	}
	if a := testing.AllocsPerRun(100, func() { l.Add(at, mac, long, policy.ReasonCategory, 0) }); a != 0 {
		t.Errorf("Add allocates %.0f times", a)
	}
	if n := len(l.Recent()[0].Name()); n != 253 {
		t.Errorf("a long name is kept as %d bytes, want 253", n)
	}
}

// FuzzHistoryFile feeds activity.json arbitrary bytes: it loads within its
// caps or is refused and set aside, never panics, and what loads saves and
// loads again the same.
func FuzzHistoryFile(f *testing.F) {
	f.Add([]byte(`[{"date":"2026-12-04","people":{"ali":{"used_seconds":60,"blocked":{"games":2}}}}]`))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, File), data, 0o644); err != nil {
			t.Fatal(err)
		}
		var a History
		if err := a.Load(dir); err != nil {
			if _, serr := os.Stat(filepath.Join(dir, File+".bad")); serr != nil {
				t.Fatalf("refused (%v) but not set aside", err)
			}
			return
		}
		if len(a.days) > MaxDays {
			t.Fatalf("%d days loaded", len(a.days))
		}
		for _, d := range a.days {
			if len(d.People) > MaxPeople {
				t.Fatalf("%d people in a day", len(d.People))
			}
		}
		if err := a.Save(dir); err != nil {
			t.Fatal(err)
		}
		var b History
		if err := b.Load(dir); err != nil || len(b.days) != len(a.days) {
			t.Fatalf("saved history reads back as %d days, %v", len(b.days), err)
		}
	})
}
