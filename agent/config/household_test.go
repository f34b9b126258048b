package config

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/schedule"
)

// TestPresets pins what each age band blocks: younger bands block
// everything an older band blocks, and more.
func TestPresets(t *testing.T) {
	want := map[Age]string{
		AgeUnder6:  "adult,gambling,violence,hate,drugs,weapons,crime,dating,games,social,chat,video,vpn,doh,malware",
		AgeChild:   "adult,gambling,violence,hate,drugs,weapons,crime,dating,social,chat,vpn,doh,malware",
		AgePreteen: "adult,gambling,violence,hate,drugs,weapons,crime,dating,vpn,doh,malware",
		AgeTeen:    "adult,gambling,hate,drugs,weapons,crime,vpn,doh,malware",
		AgeAdult:   "malware",
	}
	for age, w := range want {
		if got := presets[age].block.String(); got != w {
			t.Errorf("%s blocks %s, want %s", age, got, w)
		}
	}
	order := []Age{AgeAdult, AgeTeen, AgePreteen, AgeChild, AgeUnder6}
	for i := 1; i < len(order); i++ {
		older, younger := presets[order[i-1]].block, presets[order[i]].block
		if older&^younger != 0 {
			t.Errorf("%s does not block everything %s blocks", order[i], order[i-1])
		}
	}
}

const householdFile = `
config agent 'main'
	option accounting_period '2'
	option activity_threshold '3000'
	option unsynced_clock 'clock'

config isp 'baseline'
	list block_category 'malware'
	list child_block_category 'adult'
	list block 'bad.example'
	option safesearch '1'
	option youtube 'moderate'

config schedule 'school_nights'
	option name 'School nights'
	option kind 'bedtime'
	list window 'sun-thu 21:00-07:00'

config schedule 'homework'
	option kind 'focus'
	list window 'mon-fri 16:00-18:00'
	list block_category 'games'
	list block_category 'video'

config profile 'child'
	option daily_limit '2h'
	list schedule 'school_nights'

config profile 'gamer'
	option age '12-15'
	list allow_category 'dating'
	list block_category 'shopping'
	list category_limit 'games 60'

config person 'ali'
	option name 'Ali'
	option profile 'child'
	list allow 'khanacademy.org'
	list block 'roblox.com'
	list schedule 'homework'
	option daily_limit '90'
	list category_limit 'social 30m'
	option pause_until '2026-12-04T21:00:00+04:00'
	list bonus '2026-12-04 30'
	list temp_allow 'Game.Example. 2026-12-04T20:30:00+04:00'

config person 'leyla'
	option profile 'adult'

config device 'tablet'
	option mac '02:00:00:00:00:0a'
	option person 'ali'
	option kind 'tablet'

config device 'tv'
	option mac '02:00:00:00:00:0c'
	option profile 'gamer'

config category_list 'ut1'
	option format 'ut1'
	option path '/etc/safeinternet/blacklists.tar.gz'

config category_list 'school'
	option format 'domains'
	option category 'allowlist'
	option path '/etc/safeinternet/school.txt'

config category_list 'off'
	option path '/x'
	option category 'games'
	option enabled '0'
`

func TestHousehold(t *testing.T) {
	cfg, err := LoadBytes("household", []byte(householdFile))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Period != 2*time.Second || cfg.Threshold != 100 || cfg.Unsynced != UnsyncedClock {
		t.Errorf("agent: period %v threshold %d unsynced %v", cfg.Period, cfg.Threshold, cfg.Unsynced)
	}
	set := func(ids ...category.ID) category.Set { return set(ids...) }
	wantBase := Baseline{Path: "safeinternet.baseline", Block: set(category.Malware), ChildBlock: set(category.Adult),
		Domains: []string{"bad.example"}, SafeSearch: true, YouTube: YouTubeModerate}
	if !reflect.DeepEqual(cfg.Baseline, wantBase) {
		t.Errorf("baseline %+v\nwant     %+v", cfg.Baseline, wantBase)
	}
	bed, _ := schedule.ParseWindow("sun-thu 21:00-07:00")
	hw, _ := schedule.ParseWindow("mon-fri 16:00-18:00")
	wantSched := []Schedule{
		{Path: "safeinternet.school_nights", Name: "school_nights", Display: "School nights", Kind: Bedtime, Week: schedule.Week{bed}},
		{Path: "safeinternet.homework", Name: "homework", Display: "homework", Kind: Focus, Week: schedule.Week{hw}, Block: set(category.Games, category.Video)},
	}
	if !reflect.DeepEqual(cfg.Schedules, wantSched) {
		t.Errorf("schedules %+v\nwant      %+v", cfg.Schedules, wantSched)
	}
	child := profile(t, cfg, "child")
	if child.Path != "safeinternet.child" || child.Age != AgeChild || !child.Rules.Limits.HasDaily ||
		child.Rules.Limits.Daily != 2*time.Hour || !reflect.DeepEqual(child.Rules.Schedules, []string{"school_nights"}) ||
		child.Rules.Block != presets[AgeChild].block {
		t.Errorf("child profile %+v", child)
	}
	gamer := profile(t, cfg, "gamer")
	if want := (presets[AgePreteen].block | set(category.Shopping)) &^ set(category.Dating); gamer.Rules.Block != want {
		t.Errorf("gamer blocks %s, want %s", gamer.Rules.Block, want)
	}
	if !gamer.Rules.Limits.HasCategory.Has(category.Games) || gamer.Rules.Limits.Category[category.Games] != time.Hour {
		t.Errorf("gamer limits %+v", gamer.Rules.Limits)
	}
	if len(cfg.People) != 2 {
		t.Fatalf("%d people", len(cfg.People))
	}
	ali := cfg.People[0]
	pause, _ := time.Parse(time.RFC3339, "2026-12-04T21:00:00+04:00")
	if ali.Display != "Ali" || ali.Profile != "child" || !reflect.DeepEqual(ali.Allow, []string{"khanacademy.org"}) ||
		!reflect.DeepEqual(ali.Block, []string{"roblox.com"}) || !ali.PauseUntil.Equal(pause) ||
		!reflect.DeepEqual(ali.Bonus, []Bonus{{Date: "2026-12-04", Extra: 30 * time.Minute}}) ||
		ali.Rules.Limits.Daily != 90*time.Minute || ali.Rules.Limits.Category[category.Social] != 30*time.Minute {
		t.Errorf("ali %+v", ali)
	}
	if ta := ali.TempAllow; len(ta) != 1 || ta[0].Domain != "game.example" || !ta[0].Until.Equal(pause.Add(-30*time.Minute)) {
		t.Errorf("ali's temp_allow %+v", ta)
	}
	if leyla := cfg.People[1]; leyla.Display != "leyla" || leyla.Profile != "adult" {
		t.Errorf("leyla %+v", leyla)
	}
	if d := cfg.Devices[0]; d.Person != "ali" || d.Kind != "tablet" {
		t.Errorf("tablet %+v", d)
	}
	wantLists := []List{
		{Path: "safeinternet.ut1", Name: "ut1", File: "/etc/safeinternet/blacklists.tar.gz", Format: "ut1"},
		{Path: "safeinternet.school", Name: "school", File: "/etc/safeinternet/school.txt", Format: "domains", Category: category.Allowlist},
	}
	if !reflect.DeepEqual(cfg.Lists, wantLists) {
		t.Errorf("lists %+v\nwant  %+v", cfg.Lists, wantLists)
	}
}

// TestHouseholdErrors checks that every problem of the household sections
// is reported at once, with its path and line.
func TestHouseholdErrors(t *testing.T) {
	file := `config isp 'baseline'
	list block_category 'malware'
	list child_block_category 'adult'
	option safesearch '1'
	option youtube 'strict'
	list block 'bad.example'
config schedule 'bed'
	option kind 'nap'
	list window 'mon 25:00-07:00'
config schedule 'focus'
	option kind 'focus'
config profile 'child'
	option safesearch '0'
	option youtube 'moderate'
	list allow_category 'adult'
	option age '10'
config person 'ali'
	option profile 'child'
	list allow_category 'malware'
	list allow 'www.bad.example'
	list schedule 'bedtime'
	option daily_limit 'forever'
	list category_limit 'gmaes 60'
	option pause_until 'tonight'
	list bonus 'today 30'
	list temp_allow 'x.bad.example 2026-12-04T20:30:00Z'
	list temp_allow 'game.example tonight'
config person 'nobody'
config device
	option mac '02:00:00:00:00:01'
	option person 'alli'
config category_list 'l'
	option format 'csv'
config isp 'second'
`
	want := []string{
		`safeinternet.bed.kind: "nap" is not a schedule kind: use bedtime, focus or allowed (line 8)`,
		`safeinternet.bed.window: schedule: window "mon 25:00-07:00"`,
		`safeinternet.focus.window: missing: a schedule needs at least one window`,
		`safeinternet.focus.block_category: missing: a focus schedule blocks the categories it names`,
		`safeinternet.child.safesearch: SafeSearch is locked on for restricted profiles by the ISP baseline (safeinternet.baseline.safesearch) (line 13)`,
		`safeinternet.child.youtube: YouTube Restricted Mode strict is locked as the least for restricted profiles by the ISP baseline (safeinternet.baseline.youtube) (line 14)`,
		`safeinternet.child.allow_category: adult is locked by the ISP baseline (safeinternet.baseline): it cannot be allowed (line 15)`,
		`safeinternet.child.age: "10" is not an age band: use under6, 6-11, 12-15, 16-17 or adult (line 16)`,
		`safeinternet.ali.allow_category: malware is locked by the ISP baseline (safeinternet.baseline): it cannot be allowed (line 19)`,
		`safeinternet.ali.allow: www.bad.example is blocked by the ISP baseline (safeinternet.baseline.block bad.example): it cannot be allowed (line 20)`,
		`safeinternet.ali.schedule: no schedule "bedtime" (known: bed, focus) (line 21)`,
		`safeinternet.ali.daily_limit: "forever" is not a time limit such as 90 (minutes), 1h30m or 45s (line 22)`,
		`safeinternet.ali.category_limit: "gmaes 60" is not a category limit such as 'games 60m' (did you mean games?) (line 23)`,
		`safeinternet.ali.pause_until: "tonight" is not a time such as 2026-12-04T21:00:00+04:00, or forever (line 24)`,
		`safeinternet.ali.bonus: "today 30" is not a bonus such as '2026-12-04 30m': bad date (line 25)`,
		`safeinternet.ali.temp_allow: x.bad.example is blocked by the ISP baseline (safeinternet.baseline.block bad.example): it cannot be allowed (line 26)`,
		`safeinternet.ali.temp_allow: "tonight" is not a time such as 2026-12-04T21:00:00+04:00 (line 27)`,
		`safeinternet.nobody.profile: missing: every person has a profile, such as child or adult (line 28)`,
		`safeinternet.@device[0].person: no person "alli" (did you mean ali?) (line 31)`,
		`safeinternet.l.path: missing: the list's file (line 32)`,
		`safeinternet.l.format: "csv" is not a list format: use ut1, domains, hosts, adblock, wildcard or auto (line 33)`,
		`safeinternet.l.category: missing: the category of the list's names (line 32)`,
		`safeinternet.second: more than one isp section (the first is safeinternet.baseline) (line 34)`,
	}
	_, err := LoadBytes("errors", []byte(file))
	if err == nil {
		t.Fatal("no error")
	}
	got := err.Error()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q", w)
		}
	}
	if n := strings.Count(got, "\n") + 1; n != len(want) {
		t.Errorf("%d errors, want %d:\n%s", n, len(want), got)
	}
}

// TestUnassignedNeverUnrestricted checks that devices nobody assigned get a
// restricted profile unless the household says otherwise.
func TestUnassignedNeverUnrestricted(t *testing.T) {
	cfg, err := LoadBytes("t", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Unassigned != DefaultUnassigned || !profile(t, cfg, cfg.Unassigned).Restricted {
		t.Errorf("unassigned profile %q is not restricted", cfg.Unassigned)
	}
}

func TestParseLimit(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"90", 90 * time.Minute, false},
		{"1h30m", 90 * time.Minute, false},
		{"45s", 45 * time.Second, false},
		{"0", 0, false},
		{"25h", 0, true},
		{"-5m", 0, true},
		{"lots", 0, true},
	} {
		got, err := parseLimit(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("parseLimit(%q) = %v, %v", tt.in, got, err)
		}
	}
}
