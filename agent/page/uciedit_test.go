package page

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/config"
	"github.com/safeinternet/cpe/agent/uci"
	"github.com/safeinternet/cpe/ui"
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

// edited applies u to editFile at now and returns the configuration the
// result loads as, or the error the change or the validation gave.
func edited(t *testing.T, now time.Time, u ui.Update) (*config.Config, string, error) {
	t.Helper()
	secs, err := uci.Parse("safeinternet", []byte(editFile))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadBytes("safeinternet", []byte(editFile))
	if err != nil {
		t.Fatal(err)
	}
	e := &sectionEdit{secs: secs, cfg: cfg, now: now}
	if err := e.apply(u); err != nil {
		return nil, "", err
	}
	e.prune()
	data, err := uci.Marshal(e.secs)
	if err != nil {
		t.Fatal(err)
	}
	out, err := config.LoadBytes("safeinternet", data)
	if err != nil {
		return nil, string(data), asFieldError(err)
	}
	return out, string(data), nil
}

func TestEdit(t *testing.T) {
	baku := time.FixedZone("Baku", 4*3600)
	now := time.Date(2026, 12, 4, 18, 0, 0, 0, baku)
	var created string
	tests := []struct {
		name  string
		u     ui.Update
		check func(*config.Config, string) bool
		field string // of the refusal; "" when accepted
	}{
		{"new person gets an id from the name", ui.Update{Person: &ui.PersonConfig{Name: "Leyla Aliyeva", Profile: "teen",
			DailyLimit: 90 * time.Minute, HasDailyLimit: true, CategoryLimits: map[string]time.Duration{"games": time.Hour}}, Created: &created},
			func(c *config.Config, _ string) bool {
				p := c.People[1]
				return created == "leyla_aliyeva" && p.Name == created && p.Display == "Leyla Aliyeva" &&
					p.Rules.Limits.Daily == 90*time.Minute && p.Rules.Limits.Category[category.Games] == time.Hour
			}, ""},
		{"a name without Latin letters", ui.Update{Person: &ui.PersonConfig{Name: "Лейла", Profile: "teen"}},
			func(c *config.Config, _ string) bool {
				return c.People[1].Name == "person" || c.People[1].Name == "person_2"
			}, ""},
		{"unknown profile refused", ui.Update{Person: &ui.PersonConfig{ID: "ali", Name: "Ali", Profile: "kid"}}, nil, "profile"},
		{"ISP-locked domain cannot be allowed", ui.Update{Person: &ui.PersonConfig{ID: "ali", Name: "Ali", Profile: "child",
			Allow: []string{"www.bad.example"}}}, nil, "allow"},
		{"deleting a person frees their devices", ui.Update{DeletePerson: "ali"},
			func(c *config.Config, _ string) bool { return len(c.People) == 0 && c.Devices[0].Person == "" }, ""},
		{"unknown person", ui.Update{DeletePerson: "zed"}, nil, "not found"},
		{"new device assigned", ui.Update{Device: &ui.DeviceConfig{MAC: "02:00:00:00:00:0C", Name: "Switch", Kind: "console", Person: "ali"}},
			func(c *config.Config, _ string) bool {
				d := c.Devices[1]
				return d.MAC == [6]byte{2, 0, 0, 0, 0, 0xc} && d.Name == "Switch" && d.Person == "ali"
			}, ""},
		{"device moved to nobody", ui.Update{Device: &ui.DeviceConfig{MAC: "02:00:00:00:00:0a", Name: "Tablet"}},
			func(c *config.Config, _ string) bool {
				return len(c.Devices) == 1 && c.Devices[0].Person == "" && c.Devices[0].Name == "Tablet"
			}, ""},
		{"device of a person who is not there", ui.Update{Device: &ui.DeviceConfig{MAC: "02:00:00:00:00:0a", Name: "T", Person: "zed"}}, nil, "person"},
		{"forget a device", ui.Update{ForgetDevice: "02:00:00:00:00:0a"}, func(c *config.Config, _ string) bool { return len(c.Devices) == 0 }, ""},
		{"profile categories as a wanted set", ui.Update{Profile: &ui.ProfileConfig{ID: "child",
			BlockCategory: []string{"adult", "gambling", "hate", "drugs", "malware", "vpn", "doh", "games"}, SafeSearch: true, YouTube: "strict", QUIC: true}},
			func(c *config.Config, text string) bool {
				p := profileOf(c, "child")
				return p.Rules.Block.Has(category.Games) && !p.Rules.Block.Has(category.Social) && p.Rules.Block.Has(category.Gambling) &&
					strings.Contains(text, "list allow_category 'social'") && strings.Contains(text, "list block_category 'games'")
			}, ""},
		{"a locked category cannot be unblocked", ui.Update{Profile: &ui.ProfileConfig{ID: "child", BlockCategory: []string{"adult"}, SafeSearch: true, YouTube: "strict"}},
			nil, "block_category"},
		{"new schedule with a window over midnight", ui.Update{Schedule: &ui.ScheduleConfig{Name: "Weekend nights", Kind: "bedtime",
			Windows: []ui.Window{{Days: []string{"fri", "sat"}, Start: "23:00", End: "08:00"}}}},
			func(c *config.Config, _ string) bool {
				s := c.Schedules[1]
				return s.Name == "weekend_nights" && len(s.Week) == 1 && s.Week.Active(time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC))
			}, ""},
		{"bad window refused", ui.Update{Schedule: &ui.ScheduleConfig{ID: "school_nights", Kind: "bedtime",
			Windows: []ui.Window{{Days: []string{"mon"}, Start: "25:00", End: "07:00"}}}}, nil, "windows"},
		{"deleting a schedule drops its uses", ui.Update{DeleteSchedule: "school_nights"},
			func(c *config.Config, _ string) bool {
				return len(c.Schedules) == 0 && len(c.People[0].Rules.Schedules) == 0
			}, ""},
		{"pause for a while", ui.Update{Pause: &ui.Pause{Person: "ali", Until: now.Add(30 * time.Minute)}},
			func(c *config.Config, _ string) bool { return c.People[0].PauseUntil.Equal(now.Add(30 * time.Minute)) }, ""},
		{"pause forever", ui.Update{Pause: &ui.Pause{Person: "ali", Forever: true}},
			func(c *config.Config, _ string) bool { return c.People[0].PauseUntil == config.Forever }, ""},
		{"extra minutes add up today, past days go", ui.Update{Extra: &ui.Extra{Person: "ali", Minutes: 15}},
			func(c *config.Config, _ string) bool {
				return slices.Equal(c.People[0].Bonus, []config.Bonus{{Date: "2026-12-04", Extra: 15 * time.Minute}}) &&
					len(c.People[0].TempAllow) == 0 // the expired one is pruned
			}, ""},
		{"settings", ui.Update{Settings: &ui.SettingsUpdate{DNSBlock: ptr("page"), HistoryDomains: ptr(true)}},
			func(c *config.Config, _ string) bool { return c.DNSBlock == config.BlockPage && c.HistoryDomains }, ""},
		{"bad block mode", ui.Update{Settings: &ui.SettingsUpdate{DNSBlock: ptr("refuse")}}, nil, "dns_block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, text, err := edited(t, now, tt.u)
			switch {
			case tt.field == "not found":
				if !errors.Is(err, ui.ErrNotFound) {
					t.Fatalf("err = %v, want ErrNotFound", err)
				}
			case tt.field != "":
				var fe *ui.FieldError
				if !errors.As(err, &fe) || fe.Field != tt.field {
					t.Fatalf("err = %v, want a refusal of %s", err, tt.field)
				}
			case err != nil:
				t.Fatalf("refused: %v\n%s", err, text)
			case !tt.check(cfg, text):
				t.Errorf("not as wanted:\n%s", text)
			}
		})
	}
}

func TestEditAllowFor(t *testing.T) {
	now := time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC)
	secs, _ := uci.Parse("safeinternet", []byte(editFile))
	cfg, _ := config.LoadBytes("safeinternet", []byte(editFile))
	e := &sectionEdit{secs: secs, cfg: cfg, now: now}
	if err := e.allowFor("ali", "game.example", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	data, _ := uci.Marshal(e.secs)
	out, err := config.LoadBytes("x", data)
	if err != nil {
		t.Fatal(err)
	}
	if ta := out.People[0].TempAllow; len(ta) != 2 || ta[1].Domain != "game.example" || !ta[1].Until.Equal(now.Add(time.Hour)) {
		t.Errorf("temp_allow %+v", ta)
	}
}

func profileOf(c *config.Config, name string) *config.Profile {
	for i := range c.Profiles {
		if c.Profiles[i].Name == name {
			return &c.Profiles[i]
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// BenchmarkEdit is one page change before the reload: the file's sections
// changed, written out and validated whole.
func BenchmarkEdit(b *testing.B) {
	now := time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC)
	cfg, err := config.LoadBytes("safeinternet", []byte(editFile))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		secs, _ := uci.Parse("safeinternet", []byte(editFile))
		e := &sectionEdit{secs: secs, cfg: cfg, now: now}
		if err := e.apply(ui.Update{Pause: &ui.Pause{Person: "ali", Until: now.Add(time.Hour)}}); err != nil {
			b.Fatal(err)
		}
		e.prune()
		data, _ := uci.Marshal(e.secs)
		if _, err := config.LoadBytes("safeinternet", data); err != nil {
			b.Fatal(err)
		}
	}
}
