package policy

import (
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/config"
)

var (
	macAli   = [6]byte{2, 0, 0, 0, 0, 0x1a} // Ali, 9: profile child, bedtime, homework
	macAliPC = [6]byte{2, 0, 0, 0, 0, 0x1b} // Ali's second device
	macSara  = [6]byte{2, 0, 0, 0, 0, 0x2a} // Sara, 14: profile preteen, allowed windows
	macMom   = [6]byte{2, 0, 0, 0, 0, 0x3a} // a parent: adult
	macNew   = [6]byte{2, 0, 0, 0, 0, 0x9a} // nobody's
)

// testLists is a small category list: the names the household tests use.
func testLists(t testing.TB) *category.Matcher {
	t.Helper()
	b := category.NewBuilder()
	for name, ids := range map[string][]category.ID{
		"casino.test":     {category.Gambling},
		"games.test":      {category.Games},
		"video.test":      {category.Video},
		"social.test":     {category.Social},
		"porn.test":       {category.Adult},
		"malware.test":    {category.Malware},
		"school.test":     {category.Allowlist},
		"play.games.test": {category.Games, category.Social},
		"edu.games.test":  {category.Allowlist},
		"dating.test":     {category.Dating},
	} {
		var s category.Set
		for _, id := range ids {
			s = s.With(id)
		}
		b.Add([]byte(name), s)
	}
	return b.Build()
}

const householdConf = `
config agent 'main'
	option unsynced_clock 'strict'

config isp 'baseline'
	list block_category 'malware'
	list child_block_category 'adult'
	list block 'isp-blocked.test'

config schedule 'school_nights'
	option kind 'bedtime'
	list window 'sun-thu 21:00-07:00'

config schedule 'homework'
	option kind 'focus'
	list window 'mon-fri 16:00-18:00'
	list block_category 'games'
	list block_category 'video'

config schedule 'sara_hours'
	option kind 'allowed'
	list window 'daily 07:00-22:00'

config profile 'child'
	list schedule 'school_nights'
	option daily_limit '2h'

config person 'ali'
	option name 'Ali'
	option profile 'child'
	list schedule 'homework'
	list allow 'allowed.casino.test'
	list block 'blocked.test'
	list category_limit 'social 30'
	list temp_allow 'lucky.casino.test 2026-12-07T10:30:00+04:00'

config person 'sara'
	option name 'Sara'
	option profile 'preteen'
	list schedule 'sara_hours'
	list allow_category 'dating'

config person 'mom'
	option profile 'adult'

config device
	option mac '02:00:00:00:00:1a'
	option person 'ali'
config device
	option mac '02:00:00:00:00:1b'
	option person 'ali'
config device
	option mac '02:00:00:00:00:2a'
	option person 'sara'
config device
	option mac '02:00:00:00:00:3a'
	option person 'mom'
`

func householdSnapshot(t testing.TB, text string) *Snapshot {
	t.Helper()
	cfg, err := config.LoadBytes("household", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Compile(cfg, testLists(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func baku(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Baku")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestDecideOverTime walks a household's rules across a week: categories by
// age, bedtime crossing midnight to its last second, focus time, allowed
// windows, the allowlist, overrides and the ISP floor.
func TestDecideOverTime(t *testing.T) {
	s := householdSnapshot(t, householdConf)
	loc := baku(t)
	at := func(day, clock string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04:05", day+" "+clock, loc)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	// 2026-12-07 is a Monday.
	const mon, tue, fri, sat = "2026-12-07", "2026-12-08", "2026-12-11", "2026-12-12"
	type want struct {
		action Action
		reason Reason
		cat    category.ID
		rule   string
	}
	tests := []struct {
		name string
		mac  [6]byte
		now  time.Time
		host string
		want want
	}{
		{"child: gambling blocked by category", macAli, at(mon, "10:00:00"), "www.casino.test", want{Block, ReasonCategory, category.Gambling, ""}},
		{"child: games allowed outside focus", macAli, at(mon, "10:00:00"), "games.test", want{Allow, ReasonDefault, category.Games, ""}},
		{"child: focus blocks games", macAli, at(mon, "16:00:00"), "games.test", want{Block, ReasonFocus, category.Games, "homework"}},
		{"child: focus last second", macAli, at(mon, "17:59:59"), "video.test", want{Block, ReasonFocus, category.Video, "homework"}},
		{"child: focus over", macAli, at(mon, "18:00:00"), "video.test", want{Allow, ReasonDefault, category.Video, ""}},
		{"child: focus leaves an allowlisted sub-site", macAli, at(mon, "16:30:00"), "edu.games.test", want{Allow, ReasonDefault, category.Allowlist, ""}},
		{"child: no focus at the weekend", macAli, at(sat, "16:30:00"), "games.test", want{Allow, ReasonDefault, category.Games, ""}},
		{"child: bedtime starts", macAli, at(mon, "21:00:00"), "games.test", want{Block, ReasonBedtime, 0, "school_nights"}},
		{"child: bedtime blocks an uncategorised name", macAli, at(mon, "23:00:00"), "example.org", want{Block, ReasonBedtime, 0, "school_nights"}},
		{"child: bedtime crosses midnight", macAli, at(tue, "03:00:00"), "example.org", want{Block, ReasonBedtime, 0, "school_nights"}},
		{"child: bedtime's last second", macAli, at(tue, "06:59:59"), "example.org", want{Block, ReasonBedtime, 0, "school_nights"}},
		{"child: bedtime over", macAli, at(tue, "07:00:00"), "example.org", want{Allow, ReasonDefault, 0, ""}},
		{"child: the allowlist at bedtime", macAli, at(mon, "22:00:00"), "www.school.test", want{Allow, ReasonAllowlisted, category.Allowlist, ""}},
		{"child: no bedtime on Friday night", macAli, at(fri, "23:00:00"), "example.org", want{Allow, ReasonDefault, 0, ""}},
		{"child: own allow list beats the category", macAli, at(mon, "10:00:00"), "allowed.casino.test", want{Allow, ReasonAllowList, category.Allowlist, "allowed.casino.test"}},
		{"child: approved site allowed until its end", macAli, at(mon, "10:29:59"), "www.lucky.casino.test", want{Allow, ReasonAllowList, category.Allowlist, "lucky.casino.test"}},
		{"child: approved site blocked again after", macAli, at(mon, "10:30:00"), "www.lucky.casino.test", want{Block, ReasonCategory, category.Gambling, ""}},
		{"child: own allow list beats bedtime", macAli, at(mon, "23:00:00"), "allowed.casino.test", want{Allow, ReasonAllowList, category.Allowlist, "allowed.casino.test"}},
		{"child: own block list", macAli, at(mon, "10:00:00"), "www.blocked.test", want{Block, ReasonDenyList, 0, "blocked.test"}},
		{"child: second device shares the rules", macAliPC, at(mon, "21:30:00"), "example.org", want{Block, ReasonBedtime, 0, "school_nights"}},
		{"ISP: malware for everyone", macMom, at(mon, "10:00:00"), "malware.test", want{Block, ReasonISP, category.Malware, ""}},
		{"ISP: adult for children", macSara, at(mon, "10:00:00"), "porn.test", want{Block, ReasonISP, category.Adult, ""}},
		{"ISP: adult allowed for adults", macMom, at(mon, "10:00:00"), "porn.test", want{Allow, ReasonDefault, category.Adult, ""}},
		{"ISP: domain before the allowlist", macAli, at(mon, "10:00:00"), "x.isp-blocked.test", want{Block, ReasonISP, 0, "isp-blocked.test"}},
		{"preteen: games allowed", macSara, at(mon, "10:00:00"), "games.test", want{Allow, ReasonDefault, category.Games, ""}},
		{"preteen: dating allowed by her own switch", macSara, at(mon, "10:00:00"), "dating.test", want{Allow, ReasonDefault, category.Dating, ""}},
		{"preteen: outside allowed hours", macSara, at(mon, "22:00:00"), "example.org", want{Block, ReasonOutsideAllowed, 0, "sara_hours"}},
		{"preteen: before allowed hours", macSara, at(tue, "06:59:59"), "example.org", want{Block, ReasonOutsideAllowed, 0, "sara_hours"}},
		{"preteen: inside allowed hours", macSara, at(tue, "07:00:00"), "example.org", want{Allow, ReasonDefault, 0, ""}},
		{"preteen: allowlist outside hours", macSara, at(mon, "23:00:00"), "school.test", want{Allow, ReasonAllowlisted, category.Allowlist, ""}},
		{"adult: no schedule", macMom, at(mon, "23:00:00"), "casino.test", want{Allow, ReasonDefault, category.Gambling, ""}},
		{"new device: unassigned blocks social", macNew, at(mon, "10:00:00"), "social.test", want{Block, ReasonCategory, category.Social, ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := s.Decide(Query{MAC: tc.mac, HasMAC: true, Name: []byte(tc.host), Kind: TLS, Now: tc.now})
			got := want{d.Action, d.Reason, d.Category, d.Rule}
			if got != tc.want {
				t.Errorf("Decide(%s at %s) = %+v, want %+v", tc.host, tc.now.Format("Mon 15:04:05"), got, tc.want)
			}
		})
	}
}

// TestDecideDST checks a bedtime window on the days clocks change, in a zone
// with DST: decisions follow the local wall clock.
func TestDecideDST(t *testing.T) {
	s := householdSnapshot(t, `
config schedule 'night'
	option kind 'bedtime'
	list window 'daily 02:30-03:30'
config person 'kid'
	option profile 'child'
	list schedule 'night'
config device
	option mac '02:00:00:00:00:1a'
	option person 'kid'
`)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		utc     string
		blocked bool
	}{
		// 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00 UTC).
		{"spring: 01:59:59 CET", "2026-03-29T00:59:59Z", false},
		{"spring: 03:00 CEST, inside the window that began in the gap", "2026-03-29T01:00:00Z", true},
		{"spring: 03:29:59 CEST", "2026-03-29T01:29:59Z", true},
		{"spring: 03:30 CEST", "2026-03-29T01:30:00Z", false},
		// 2026-10-25: 03:00 CEST becomes 02:00 CET (01:00 UTC): 02:30 happens twice.
		{"autumn: first 02:30 (CEST)", "2026-10-25T00:30:00Z", true},
		{"autumn: 02:59:59 CEST", "2026-10-25T00:59:59Z", true},
		{"autumn: second 02:00 (CET)", "2026-10-25T01:00:00Z", false},
		{"autumn: second 02:30 (CET)", "2026-10-25T01:30:00Z", true},
		{"autumn: 03:30 CET", "2026-10-25T02:30:00Z", false},
	} {
		now, _ := time.Parse(time.RFC3339, tc.utc)
		d := s.Decide(Query{MAC: macAli, HasMAC: true, Name: []byte("example.org"), Kind: DNS, Now: now.In(berlin)})
		if (d.Action == Block) != tc.blocked {
			t.Errorf("%s: %v %v, want blocked=%v", tc.name, d.Action, d.Reason, tc.blocked)
		}
	}
}

// TestDecidePauseGrantsLimits covers a pause, a grant of extra time, used-up
// limits (total and per category, as reached mid-connection: the next
// query after the usage changes is blocked) and the unsynced clock.
func TestDecidePauseGrantsLimits(t *testing.T) {
	loc := baku(t)
	noon := time.Date(2026, 12, 7, 12, 0, 0, 0, loc)
	night := time.Date(2026, 12, 7, 22, 0, 0, 0, loc)
	paused := householdSnapshot(t, householdConf+"\nconfig person 'p'\n\toption profile 'teen'\n\toption pause_until '2026-12-07T13:00:00+04:00'\nconfig device\n\toption mac '02:00:00:00:00:4a'\n\toption person 'p'\n")
	macP := [6]byte{2, 0, 0, 0, 0, 0x4a}
	q := func(mac [6]byte, now time.Time, host string, u *Usage, unsynced bool) Decision {
		return paused.Decide(Query{MAC: mac, HasMAC: true, Name: []byte(host), Kind: TLS, Now: now, Usage: u, Unsynced: unsynced})
	}
	if d := q(macP, noon, "example.org", nil, false); d.Action != Block || d.Reason != ReasonPaused {
		t.Errorf("paused: %+v", d)
	}
	if d := q(macP, noon, "school.test", nil, false); d.Action != Allow || d.Reason != ReasonAllowlisted {
		t.Errorf("paused, allowlist: %+v", d)
	}
	if d := q(macP, noon.Add(time.Hour), "example.org", nil, false); d.Action != Allow {
		t.Errorf("pause ended at 13:00: %+v", d)
	}

	used := NewUsage(map[string]Exhausted{"ali": {Categories: category.Set(0).With(category.Social)}})
	if d := q(macAli, noon, "social.test", nil, false); d.Action != Block || d.Reason != ReasonCategory {
		t.Errorf("child profile blocks social anyway: %+v", d)
	}
	if d := q(macAli, noon, "play.games.test", nil, false); d.Action != Block {
		t.Errorf("games+social name for a 6-11: %+v", d)
	}
	if d := q(macAli, noon, "games.test", used, false); d.Action != Allow {
		t.Errorf("games before its limit, social used up: %+v", d)
	}
	used = NewUsage(map[string]Exhausted{"ali": {Categories: category.Set(0).With(category.Games)}})
	if d := q(macAli, noon, "games.test", used, false); d.Action != Block || d.Reason != ReasonCategoryLimit || d.Category != category.Games {
		t.Errorf("games limit used up: %+v", d)
	}
	if d := q(macAli, noon, "example.org", used, false); d.Action != Allow {
		t.Errorf("other names after the games limit: %+v", d)
	}
	total := NewUsage(map[string]Exhausted{"ali": {Total: true}})
	if d := q(macAli, noon, "example.org", total, false); d.Action != Block || d.Reason != ReasonTimeLimit {
		t.Errorf("day used up: %+v", d)
	}
	if d := q(macAli, noon, "school.test", total, false); d.Action != Allow {
		t.Errorf("day used up, allowlist: %+v", d)
	}
	if d := q(macAliPC, noon, "example.org", total, false); d.Action != Block {
		t.Errorf("day used up on the second device: %+v", d)
	}
	if d := q(macMom, noon, "example.org", total, false); d.Action != Allow {
		t.Errorf("another person's limit: %+v", d)
	}

	// Extra time: bedtime and limits off until 23:00; categories stay.
	free := householdSnapshot(t, householdConf+"\nconfig person 'f'\n\toption profile 'child'\n\toption free_until '2026-12-07T23:00:00+04:00'\nconfig device\n\toption mac '02:00:00:00:00:5a'\n\toption person 'f'\n")
	macF := [6]byte{2, 0, 0, 0, 0, 0x5a}
	fu := NewUsage(map[string]Exhausted{"f": {Total: true}})
	for _, tc := range []struct {
		now  time.Time
		host string
		want Action
	}{
		{night, "example.org", Allow},
		{night, "casino.test", Block},
		{night.Add(time.Hour), "example.org", Block},
	} {
		if d := free.Decide(Query{MAC: macF, HasMAC: true, Name: []byte(tc.host), Kind: TLS, Now: tc.now, Usage: fu}); d.Action != tc.want {
			t.Errorf("grant, %s at %s: %+v", tc.host, tc.now.Format("15:04"), d)
		}
	}

	// Unsynced clock, strict: a restricted person's bedtime applies; adults
	// use the clock.
	if d := q(macAli, noon, "example.org", nil, true); d.Action != Block || d.Reason != ReasonBedtime {
		t.Errorf("unsynced child: %+v", d)
	}
	if d := q(macSara, noon, "example.org", nil, true); d.Action != Block || d.Reason != ReasonOutsideAllowed {
		t.Errorf("unsynced preteen: %+v", d)
	}
	if d := q(macMom, noon, "example.org", nil, true); d.Action != Allow {
		t.Errorf("unsynced adult: %+v", d)
	}
}

// TestPeople checks the states the daemon enforces in the kernel.
func TestPeople(t *testing.T) {
	s := householdSnapshot(t, householdConf)
	loc := baku(t)
	night := time.Date(2026, 12, 7, 22, 0, 0, 0, loc)
	states := map[string]PersonState{}
	for _, ps := range s.People(night, false, NewUsage(map[string]Exhausted{"mom": {Total: true}})) {
		states[ps.ID] = ps
	}
	ali := states["ali"]
	if ali.Stopped != ReasonBedtime || ali.Rule != "school_nights" || len(ali.MACs) != 2 {
		t.Errorf("ali: %+v", ali)
	}
	if want := time.Date(2026, 12, 8, 7, 0, 0, 0, loc); !ali.Next.Equal(want) {
		t.Errorf("ali's next change %v, want %v", ali.Next, want)
	}
	if ali.Limits.Daily != 2*time.Hour || ali.Limits.Category[category.Social] != 30*time.Minute {
		t.Errorf("ali's limits %+v", ali.Limits)
	}
	// Her allowed window ends at 22:00 (exclusive): she is outside it until 07:00.
	if sara := states["sara"]; sara.Stopped != ReasonOutsideAllowed || !sara.Next.Equal(time.Date(2026, 12, 8, 7, 0, 0, 0, loc)) {
		t.Errorf("sara at 22:00:00 exactly: %+v", sara)
	}
	if mom := states["mom"]; mom.Stopped != ReasonTimeLimit {
		t.Errorf("mom with her day used up: %+v", mom)
	}
	if u := states["@unassigned"]; u.Stopped != ReasonNone || len(u.MACs) != 0 {
		t.Errorf("unassigned: %+v", u)
	}
	if got := s.PersonOf(macAliPC); got != "ali" {
		t.Errorf("PersonOf = %q", got)
	}
	if got := s.PersonOf(macNew); got != "@unassigned" {
		t.Errorf("PersonOf(new) = %q", got)
	}
}

func TestDecideHouseholdNoAllocs(t *testing.T) {
	s := householdSnapshot(t, householdConf)
	now := time.Date(2026, 12, 7, 16, 30, 0, 0, baku(t))
	used := NewUsage(map[string]Exhausted{"ali": {Categories: category.Set(0).With(category.Games)}})
	for _, host := range []string{"www.casino.test", "games.test", "example.org", "school.test"} {
		q := Query{MAC: macAli, HasMAC: true, Name: []byte(host), Kind: TLS, Now: now, Usage: used}
		if n := testing.AllocsPerRun(200, func() { s.Decide(q) }); n != 0 {
			t.Errorf("Decide(%s) allocates %.0f times", host, n)
		}
	}
}
