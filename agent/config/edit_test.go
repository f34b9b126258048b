package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/schedule"
	"github.com/safeinternet/cpe/agent/uci"
)

const editFile = `
config agent 'main'
	list lan 'br-lan'
	option dns_block 'nxdomain'

config isp 'baseline'
	list block_category 'malware'
	list child_block_category 'gambling'
	list block 'bad.example'

config schedule 'school_nights'
	option kind 'bedtime'
	list window 'sun-thu 21:00-07:00'

config person 'ali'
	option name 'Ali'
	option profile 'child'
	list schedule 'school_nights'
	list bonus '2026-12-03 30'
	list temp_allow 'old.example 2026-12-04T09:00:00+04:00'

config device 'a'
	option mac '02:00:00:00:00:0a'
	option person 'ali'
`

// edited applies change to file with an Editor at now, prunes, and returns
// the configuration the result loads as and its text, or the error of the
// change or of the validation. A refused change must leave the sections as
// they were.
func edited(t *testing.T, file string, now time.Time, change func(*Editor) error) (*Config, string, error) {
	t.Helper()
	secs, err := uci.Parse(Package, []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadBytes(Package, []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	before, _ := uci.Marshal(secs)
	e := NewEditor(secs, cfg, now)
	if err := change(e); err != nil {
		if after, _ := uci.Marshal(e.Sections()); string(after) != string(before) {
			t.Errorf("a refused change changed the file:\n%s", after)
		}
		return nil, "", err
	}
	e.Prune()
	data, err := uci.Marshal(e.Sections())
	if err != nil {
		t.Fatal(err)
	}
	out, err := LoadBytes(Package, data)
	return out, string(data), err
}

// refusedOn returns the option of the problem err reports, "not found" for
// ErrNotFound, or "" for none.
func refusedOn(err error) string {
	var fe *FieldError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNotFound):
		return "not found"
	case errors.As(err, &fe):
		return fe.Option()
	}
	return err.Error()
}

func TestEdit(t *testing.T) {
	baku := time.FixedZone("Baku", 4*3600)
	now := time.Date(2026, 12, 4, 18, 0, 0, 0, baku)
	var created string
	games := Limits{Daily: 90 * time.Minute, HasDaily: true, HasCategory: set(category.Games)}
	games.Category[category.Games] = time.Hour
	tests := []struct {
		name   string
		change func(*Editor) error
		check  func(*Config, string) bool
		opt    string // of the refusal; "" when accepted
	}{
		{"new person gets a name from the display name", func(e *Editor) (err error) {
			created, err = e.PutPerson(Person{Display: "Leyla Aliyeva", Profile: "teen", Rules: Rules{Limits: games}})
			return err
		}, func(c *Config, _ string) bool {
			p := c.People[1]
			return created == "leyla_aliyeva" && p.Name == created && p.Display == "Leyla Aliyeva" &&
				p.Rules.Limits.Daily == 90*time.Minute && p.Rules.Limits.Category[category.Games] == time.Hour
		}, ""},
		{"a name without Latin letters", func(e *Editor) error {
			_, err := e.PutPerson(Person{Display: "Лейла", Profile: "teen"})
			return err
		}, func(c *Config, _ string) bool { return c.People[1].Name == "person" }, ""},
		{"a second one gets a number", func(e *Editor) error {
			e.PutPerson(Person{Display: "Лейла", Profile: "teen"})
			_, err := e.PutPerson(Person{Display: "Әли", Profile: "teen"})
			return err
		}, func(c *Config, _ string) bool { return c.People[2].Name == "person_2" }, ""},
		{"a name of a section of another type, or of a built-in profile", func(e *Editor) error {
			e.PutSchedule(Schedule{Display: "Ali", Kind: Bedtime, Week: schedule.Week{{Days: schedule.AllDays}}})
			_, err := e.PutPerson(Person{Display: "Child", Profile: "teen"})
			return err
		}, func(c *Config, _ string) bool { return c.Schedules[1].Name == "ali_2" && c.People[1].Name == "child_2" }, ""},
		{"a name starting with a digit", func(e *Editor) error {
			_, err := e.PutSchedule(Schedule{Display: "2nd shift", Kind: Bedtime, Week: schedule.Week{{Days: schedule.AllDays}}})
			return err
		}, func(c *Config, _ string) bool { return c.Schedules[1].Name == "schedule_2nd_shift" }, ""},
		{"unknown profile refused", func(e *Editor) error {
			_, err := e.PutPerson(Person{Name: "ali", Display: "Ali", Profile: "kid"})
			return err
		}, nil, OptProfile},
		{"ISP-locked domain cannot be allowed", func(e *Editor) error {
			_, err := e.PutPerson(Person{Name: "ali", Display: "Ali", Profile: "child", Allow: []string{"www.bad.example"}})
			return err
		}, nil, OptAllow},
		{"deleting a person frees their devices", func(e *Editor) error { return e.DeletePerson("ali") },
			func(c *Config, _ string) bool { return len(c.People) == 0 && c.Devices[0].Person == "" }, ""},
		{"unknown person", func(e *Editor) error { return e.DeletePerson("zed") }, nil, "not found"},
		{"new device assigned", func(e *Editor) error {
			e.PutDevice(Device{MAC: [6]byte{2, 0, 0, 0, 0, 0xc}, Name: "Switch", Kind: "console", Person: "ali"})
			return nil
		}, func(c *Config, text string) bool {
			d := c.Devices[1]
			return d.MAC == [6]byte{2, 0, 0, 0, 0, 0xc} && d.Name == "Switch" && d.Person == "ali" &&
				strings.Contains(text, "config device 'dev_02000000000c'\n\toption mac '02:00:00:00:00:0c'")
		}, ""},
		{"device moved to nobody", func(e *Editor) error {
			e.PutDevice(Device{MAC: [6]byte{2, 0, 0, 0, 0, 0xa}, Name: "Tablet"})
			return nil
		}, func(c *Config, _ string) bool {
			return len(c.Devices) == 1 && c.Devices[0].Person == "" && c.Devices[0].Name == "Tablet"
		}, ""},
		{"device of a person who is not there", func(e *Editor) error {
			e.PutDevice(Device{MAC: [6]byte{2, 0, 0, 0, 0, 0xa}, Name: "T", Person: "zed"})
			return nil
		}, nil, OptPerson},
		{"forget a device", func(e *Editor) error { return e.ForgetDevice([6]byte{2, 0, 0, 0, 0, 0xa}) },
			func(c *Config, _ string) bool { return len(c.Devices) == 0 }, ""},
		{"forget a device that has no section", func(e *Editor) error { return e.ForgetDevice([6]byte{2, 0, 0, 0, 0, 0xb}) },
			nil, "not found"},
		{"profile categories as a wanted set", func(e *Editor) error {
			return e.SetProfile(Profile{Name: "child", Rules: Rules{Block: set(category.Adult, category.Gambling, category.Hate,
				category.Drugs, category.Malware, category.VPN, category.DoH, category.Games)},
				SafeSearch: true, YouTube: YouTubeStrict, QUIC: true})
		}, func(c *Config, text string) bool {
			p := profile(t, c, "child")
			return p.Rules.Block.Has(category.Games) && !p.Rules.Block.Has(category.Social) && p.Rules.Block.Has(category.Gambling) &&
				strings.Contains(text, "list allow_category 'social'") && strings.Contains(text, "list block_category 'games'")
		}, ""},
		{"a locked category cannot be unblocked", func(e *Editor) error {
			return e.SetProfile(Profile{Name: "child", Rules: Rules{Block: set(category.Adult)}, SafeSearch: true, YouTube: YouTubeStrict})
		}, nil, OptBlockCategory},
		{"a profile that is not there", func(e *Editor) error { return e.SetProfile(Profile{Name: "kid"}) }, nil, "not found"},
		{"new schedule with a window over midnight", func(e *Editor) error {
			w, _ := schedule.ParseWindow("fri,sat 23:00-08:00")
			_, err := e.PutSchedule(Schedule{Display: "Weekend nights", Kind: Bedtime, Week: schedule.Week{w}})
			return err
		}, func(c *Config, _ string) bool {
			s := c.Schedules[1]
			return s.Name == "weekend_nights" && len(s.Week) == 1 && s.Week.Active(time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC))
		}, ""},
		{"bad window refused", func(e *Editor) error {
			_, err := e.PutSchedule(Schedule{Name: "school_nights", Kind: Bedtime,
				Week: schedule.Week{{Days: schedule.DaysOf(time.Monday), Start: 25 * 3600, End: 7 * 3600}}})
			return err
		}, nil, OptWindow},
		{"deleting a schedule drops its uses", func(e *Editor) error { return e.DeleteSchedule("school_nights") },
			func(c *Config, _ string) bool {
				return len(c.Schedules) == 0 && len(c.People[0].Rules.Schedules) == 0
			}, ""},
		{"pause for a while", func(e *Editor) error { return e.Pause("ali", now.Add(30*time.Minute)) },
			func(c *Config, _ string) bool { return c.People[0].PauseUntil.Equal(now.Add(30 * time.Minute)) }, ""},
		{"pause forever", func(e *Editor) error { return e.Pause("ali", Forever) },
			func(c *Config, text string) bool {
				return c.People[0].PauseUntil == Forever && strings.Contains(text, "option pause_until 'forever'")
			}, ""},
		{"a pause that has ended is gone", func(e *Editor) error { return e.Pause("ali", now.Add(-time.Minute)) },
			func(c *Config, _ string) bool { return c.People[0].PauseUntil.IsZero() }, ""},
		{"extra minutes add up today, past days go", func(e *Editor) error {
			if err := e.AddBonus("ali", 10*time.Minute); err != nil {
				return err
			}
			return e.AddBonus("ali", 5*time.Minute)
		}, func(c *Config, _ string) bool {
			return slices.Equal(c.People[0].Bonus, []Bonus{{Date: "2026-12-04", Extra: 15 * time.Minute}}) &&
				len(c.People[0].TempAllow) == 0 // the expired one is pruned
		}, ""},
		{"negative extra time", func(e *Editor) error { return e.AddBonus("ali", -time.Minute) }, nil, OptBonus},
		{"more than a day of extra time", func(e *Editor) error { return e.AddBonus("ali", 25*time.Hour) }, nil, OptBonus},
		{"extra time for nobody", func(e *Editor) error { return e.AddBonus("zed", time.Minute) }, nil, "not found"},
		{"settings", func(e *Editor) error {
			e.SetDNSBlock(BlockPage)
			e.SetHistoryDomains(true)
			return nil
		}, func(c *Config, _ string) bool { return c.DNSBlock == BlockPage && c.HistoryDomains }, ""},
		{"bad block mode", func(e *Editor) error { e.SetDNSBlock(BlockMode(9)); return nil }, nil, OptDNSBlock},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, text, err := edited(t, editFile, now, tt.change)
			switch got := refusedOn(err); {
			case got != tt.opt:
				t.Fatalf("refused on %q (%v), want %q\n%s", got, err, tt.opt, text)
			case tt.opt == "" && !tt.check(cfg, text):
				t.Errorf("not as wanted:\n%s", text)
			}
		})
	}
}

func TestEditAllowFor(t *testing.T) {
	now := time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC)
	secs, _ := uci.Parse(Package, []byte(editFile))
	cfg, _ := LoadBytes(Package, []byte(editFile))
	e := NewEditor(secs, cfg, now)
	if err := e.AllowFor("ali", "game.example", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	data, _ := uci.Marshal(e.Sections())
	out, err := LoadBytes("x", data)
	if err != nil {
		t.Fatal(err)
	}
	if ta := out.People[0].TempAllow; len(ta) != 2 || ta[1].Domain != "game.example" || !ta[1].Until.Equal(now.Add(time.Hour)) {
		t.Errorf("temp_allow %+v", ta)
	}
	if err := e.AllowFor("zed", "game.example", now); !errors.Is(err, ErrNotFound) {
		t.Errorf("a temporary allow for nobody: %v", err)
	}
}

// roundTripFile is a household with nothing run out at roundTripNow.
const roundTripFile = `config agent 'main'
	option dns_block 'nxdomain'

config isp 'isp'
	list block_category 'malware'
	list child_block_category 'gambling'
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

config profile 'child'
	list schedule 'school_nights'
	option daily_limit '120'

config profile 'gamer'
	option age '12-15'
	list allow_category 'dating'
	list schedule 'homework'
	list category_limit 'games 60'

config person 'ali'
	option name 'Ali'
	option profile 'child'
	list allow 'khanacademy.org'
	list schedule 'homework'
	option daily_limit '90'
	list category_limit 'social 30'
	option pause_until '2026-12-04T21:00:00+04:00'
	list bonus '2026-12-04 30'
	list temp_allow 'game.example 2026-12-04T20:30:00+04:00'

config person 'leyla'
	option name 'Leyla'
	option profile 'gamer'

config device 'tablet'
	option mac '02:00:00:00:00:0a'
	option name 'Ali tablet'
	option kind 'tablet'
	option person 'ali'
	list block 'games.test'

config device 'tv'
	option mac '02:00:00:00:00:0c'
	option profile 'gamer'
`

// TestEditRoundTrip checks every kind of change end to end: the file is
// parsed, changed, written and parsed again, and the Config it loads as is
// the one it loaded as before with the change made — and nothing else.
func TestEditRoundTrip(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	now := at("2026-12-04T18:00:00+04:00")
	byName := func(c *Config, name string) *Person {
		i := slices.IndexFunc(c.People, func(p Person) bool { return p.Name == name })
		return &c.People[i]
	}
	profileOf := func(c *Config, name string) *Profile {
		i := slices.IndexFunc(c.Profiles, func(p Profile) bool { return p.Name == name })
		return &c.Profiles[i]
	}
	scheduleOf := func(c *Config, name string) *Schedule {
		i := slices.IndexFunc(c.Schedules, func(s Schedule) bool { return s.Name == name })
		return &c.Schedules[i]
	}
	window := func(s string) schedule.Window {
		w, err := schedule.ParseWindow(s)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	zara := Person{Display: "Zara Aliyeva", Profile: "gamer", Allow: []string{"wiki.example"}, Block: []string{"chat.example"},
		Rules: Rules{Block: set(category.Video), Allow: set(category.Dating), Schedules: []string{"school_nights"},
			Limits: Limits{Daily: 45 * time.Minute, HasDaily: true, HasCategory: set(category.Games)}}}
	zara.Rules.Limits.Category[category.Games] = 30*time.Minute + 30*time.Second
	teen := (presets[AgeTeen].block | set(category.Games)) &^ set(category.Crime)
	gamer := presets[AgePreteen].block | set(category.Shopping)

	tests := []struct {
		name   string
		now    time.Time
		change func(*Editor) error
		want   func(*Config) // makes the change in the Config loaded before
	}{
		{"person created", now, func(e *Editor) error { _, err := e.PutPerson(zara); return err }, func(c *Config) {
			p := zara
			p.Path, p.Name = "safeinternet.zara_aliyeva", "zara_aliyeva"
			c.People = append(c.People, p)
		}},
		{"person changed, pause, extra time and allows kept", now, func(e *Editor) error {
			_, err := e.PutPerson(Person{Name: "ali", Display: "Ali A.", Profile: "child", Block: []string{"roblox.com"}})
			return err
		}, func(c *Config) {
			p := byName(c, "ali")
			p.Display, p.Allow, p.Block, p.Rules = "Ali A.", nil, []string{"roblox.com"}, Rules{}
		}},
		{"person deleted, their devices nobody's", now, func(e *Editor) error { return e.DeletePerson("ali") }, func(c *Config) {
			c.People = c.People[1:]
			c.Devices[0].Person = ""
		}},
		{"device added", now, func(e *Editor) error {
			e.PutDevice(Device{MAC: [6]byte{2, 0, 0, 0, 0, 0xb}, Name: "Leyla's phone", Kind: "phone", Person: "leyla"})
			return nil
		}, func(c *Config) {
			c.Devices = append(c.Devices, Device{Path: "safeinternet.dev_02000000000b", MAC: [6]byte{2, 0, 0, 0, 0, 0xb},
				Name: "Leyla's phone", Kind: "phone", Person: "leyla"})
		}},
		{"device moved to a profile, its blocks kept", now, func(e *Editor) error {
			e.PutDevice(Device{MAC: [6]byte{2, 0, 0, 0, 0, 0xa}, Name: "Tablet", Kind: "tablet", Profile: "gamer"})
			return nil
		}, func(c *Config) {
			c.Devices[0].Name, c.Devices[0].Person, c.Devices[0].Profile = "Tablet", "", "gamer"
		}},
		{"device forgotten", now, func(e *Editor) error { return e.ForgetDevice([6]byte{2, 0, 0, 0, 0, 0xc}) }, func(c *Config) {
			c.Devices = c.Devices[:1]
		}},
		{"built-in profile gets a section", now, func(e *Editor) error {
			return e.SetProfile(Profile{Name: "teen", Rules: Rules{Block: teen, Schedules: []string{"school_nights"},
				Limits: Limits{Daily: time.Hour, HasDaily: true}}, SafeSearch: true, YouTube: YouTubeStrict})
		}, func(c *Config) {
			p := profileOf(c, "teen")
			p.Path = "safeinternet.teen"
			p.Rules = Rules{Block: teen, Allow: set(category.Crime), Schedules: []string{"school_nights"},
				Limits: Limits{Daily: time.Hour, HasDaily: true}}
			p.SafeSearch, p.YouTube, p.QUIC = true, YouTubeStrict, false
		}},
		{"profile section changed, its category limits kept", now, func(e *Editor) error {
			return e.SetProfile(Profile{Name: "gamer", Rules: Rules{Block: gamer}, SafeSearch: true, YouTube: YouTubeModerate, QUIC: true})
		}, func(c *Config) {
			p := profileOf(c, "gamer")
			p.Rules.Block, p.Rules.Allow, p.Rules.Schedules = gamer, 0, nil
		}},
		{"schedule created across midnight", now, func(e *Editor) error {
			_, err := e.PutSchedule(Schedule{Display: "Weekend nights", Kind: Bedtime, Week: schedule.Week{window("fri,sat 23:00-08:00")}})
			return err
		}, func(c *Config) {
			c.Schedules = append(c.Schedules, Schedule{Path: "safeinternet.weekend_nights", Name: "weekend_nights",
				Display: "Weekend nights", Kind: Bedtime, Week: schedule.Week{window("fri,sat 23:00-08:00")}})
		}},
		{"schedule renamed and changed", now, func(e *Editor) error {
			_, err := e.PutSchedule(Schedule{Name: "homework", Display: "Homework", Kind: Focus,
				Week: schedule.Week{window("mon-thu 15:00-17:30"), window("sun 18:00-19:00")}, Block: set(category.Games, category.Social)})
			return err
		}, func(c *Config) {
			s := scheduleOf(c, "homework")
			s.Display, s.Week = "Homework", schedule.Week{window("mon-thu 15:00-17:30"), window("sun 18:00-19:00")}
			s.Block = set(category.Games, category.Social)
		}},
		{"schedule deleted with its uses", now, func(e *Editor) error { return e.DeleteSchedule("homework") }, func(c *Config) {
			c.Schedules = c.Schedules[:1]
			byName(c, "ali").Rules.Schedules = nil
			profileOf(c, "gamer").Rules.Schedules = nil
		}},
		{"paused until", now, func(e *Editor) error { return e.Pause("leyla", now.Add(2*time.Hour)) }, func(c *Config) {
			byName(c, "leyla").PauseUntil = now.Add(2 * time.Hour)
		}},
		{"paused forever", now, func(e *Editor) error { return e.Pause("ali", Forever) }, func(c *Config) {
			byName(c, "ali").PauseUntil = Forever
		}},
		{"resumed", now, func(e *Editor) error { return e.Pause("ali", time.Time{}) }, func(c *Config) {
			byName(c, "ali").PauseUntil = time.Time{}
		}},
		{"free until", now, func(e *Editor) error { return e.Free("leyla", now.Add(30*time.Minute)) }, func(c *Config) {
			byName(c, "leyla").FreeUntil = now.Add(30 * time.Minute)
		}},
		{"extra minutes on today's", now, func(e *Editor) error { return e.AddBonus("ali", 15*time.Minute) }, func(c *Config) {
			byName(c, "ali").Bonus = []Bonus{{Date: "2026-12-04", Extra: 45 * time.Minute}}
		}},
		{"extra seconds", now, func(e *Editor) error { return e.AddBonus("leyla", 90*time.Second) }, func(c *Config) {
			byName(c, "leyla").Bonus = []Bonus{{Date: "2026-12-04", Extra: 90 * time.Second}}
		}},
		{"allowed for an hour", now, func(e *Editor) error { return e.AllowFor("leyla", "maps.example", now.Add(time.Hour)) }, func(c *Config) {
			byName(c, "leyla").TempAllow = []TempAllow{{Domain: "maps.example", Until: now.Add(time.Hour)}}
		}},
		{"settings", now, func(e *Editor) error {
			e.SetDNSBlock(BlockPage)
			e.SetFailMode(FailOpen)
			e.SetHistoryDomains(true)
			return nil
		}, func(c *Config) {
			c.DNSBlock, c.FailMode, c.HistoryDomains = BlockPage, FailOpen, true
		}},
		{"what has run out is pruned", at("2026-12-05T09:00:00+04:00"), func(*Editor) error { return nil }, func(c *Config) {
			p := byName(c, "ali")
			p.PauseUntil, p.Bonus, p.TempAllow = time.Time{}, nil, nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, text, err := edited(t, roundTripFile, tt.now, tt.change)
			if err != nil {
				t.Fatalf("%v\n%s", err, text)
			}
			want, _ := LoadBytes(Package, []byte(roundTripFile))
			tt.want(want)
			if d := configDiff(got, want); d != "" {
				t.Errorf("%s\n%s", d, text)
			}
		})
	}
}

// configDiff names the first field of two Configs that differs; "" when
// they are equal.
func configDiff(got, want *Config) string {
	g, w := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	for i := range g.NumField() {
		if !reflect.DeepEqual(g.Field(i).Interface(), w.Field(i).Interface()) {
			return g.Type().Field(i).Name + ":\n got  " + sprint(g.Field(i).Interface()) + "\n want " + sprint(w.Field(i).Interface())
		}
	}
	return ""
}

func sprint(v any) string { return fmt.Sprintf("%+v", v) }

// TestEditKeepsTheRest checks that an editor writes nothing it was not
// asked to: with nothing run out, pruning leaves the file as uci.Marshal
// writes it.
func TestEditKeepsTheRest(t *testing.T) {
	secs, _ := uci.Parse(Package, []byte(roundTripFile))
	cfg, _ := LoadBytes(Package, []byte(roundTripFile))
	want, _ := uci.Marshal(secs)
	e := NewEditor(secs, cfg, time.Date(2026, 12, 4, 18, 0, 0, 0, time.FixedZone("", 4*3600)))
	e.Prune()
	if got, _ := uci.Marshal(e.Sections()); string(got) != string(want) {
		t.Errorf("pruning nothing changed the file:\n%s", got)
	}
}

// TestMarshalStable checks that a configuration written back as
// uci.Marshal writes it loads as the same Config, and that writing it
// again changes nothing.
func TestMarshalStable(t *testing.T) {
	valid, err := os.ReadFile(filepath.Join("testdata", "valid"))
	if err != nil {
		t.Fatal(err)
	}
	for name, file := range map[string]string{"default": DefaultFile, "demo": DemoFile, "household": householdFile,
		"edit": editFile, "round trip": roundTripFile, "valid": string(valid)} {
		secs, err := uci.Parse(name, []byte(file))
		if err != nil {
			t.Fatal(err)
		}
		once, err := uci.Marshal(secs)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := uci.Parse(name, once)
		twice, _ := uci.Marshal(again)
		if string(once) != string(twice) {
			t.Errorf("%s: written twice differs:\n%s\n---\n%s", name, once, twice)
		}
		before, err := LoadBytes(name, []byte(file))
		if err != nil {
			t.Fatal(err)
		}
		after, err := LoadBytes(name, once)
		if err != nil {
			t.Fatalf("%s: written, it does not load: %v", name, err)
		}
		if d := configDiff(after, before); d != "" {
			t.Errorf("%s: written, it loads otherwise: %s", name, d)
		}
	}
}
