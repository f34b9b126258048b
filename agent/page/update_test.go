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

// edited makes the page's change u to editFile at now and returns the
// configuration the result loads as and its text, or the refusal.
func edited(t *testing.T, now time.Time, u ui.Update) (*config.Config, string, error) {
	t.Helper()
	secs, err := uci.Parse(config.Package, []byte(editFile))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadBytes(config.Package, []byte(editFile))
	if err != nil {
		t.Fatal(err)
	}
	secs, err = changed(secs, cfg, now, func(e *config.Editor) error { return apply(e, u) })
	if err != nil {
		return nil, "", err
	}
	data, err := uci.Marshal(secs)
	if err != nil {
		t.Fatal(err)
	}
	out, err := config.LoadBytes(config.Package, data)
	if err != nil {
		t.Fatal(err)
	}
	return out, string(data), nil
}

// TestEdit checks the translation of the page's changes: the page's types
// to the editor's, and the configuration's refusals to the request's
// fields. What the editor writes is config's TestEdit.
func TestEdit(t *testing.T) {
	baku := time.FixedZone("Baku", 4*3600)
	now := time.Date(2026, 12, 4, 18, 0, 0, 0, baku)
	var created string
	bedtime := func(ws ...ui.Window) *ui.ScheduleConfig {
		return &ui.ScheduleConfig{ID: "school_nights", Kind: "bedtime", Windows: ws}
	}
	tests := []struct {
		name  string
		u     ui.Update
		check func(*config.Config, string) bool
		field string // of the refusal; "not found" for ui.ErrNotFound; "" when accepted
	}{
		{"new person with limits", ui.Update{Person: &ui.PersonConfig{Name: "Leyla Aliyeva", Profile: "teen",
			BlockCategory: []string{"games", "games"}, AllowCategory: []string{"dating"},
			DailyLimit: 90 * time.Minute, HasDailyLimit: true, CategoryLimits: map[string]time.Duration{"games": time.Hour}}, Created: &created},
			func(c *config.Config, _ string) bool {
				p := c.People[1]
				return created == "leyla_aliyeva" && p.Name == created && p.Display == "Leyla Aliyeva" &&
					p.Rules.Block == category.Set(0).With(category.Games) && p.Rules.Allow.Has(category.Dating) &&
					p.Rules.Limits.Daily == 90*time.Minute && p.Rules.Limits.Category[category.Games] == time.Hour
			}, ""},
		{"unknown category", ui.Update{Person: &ui.PersonConfig{ID: "ali", Name: "Ali", Profile: "child",
			AllowCategory: []string{"gmaes"}}}, nil, "allow_category"},
		{"unknown category of a limit", ui.Update{Person: &ui.PersonConfig{ID: "ali", Name: "Ali", Profile: "child",
			CategoryLimits: map[string]time.Duration{"gmaes": time.Hour}}}, nil, "category_limits_minutes"},
		{"a limit over a day", ui.Update{Person: &ui.PersonConfig{ID: "ali", Name: "Ali", Profile: "child",
			DailyLimit: 25 * time.Hour, HasDailyLimit: true}}, nil, "daily_limit_minutes"},
		{"unknown schedule", ui.Update{Person: &ui.PersonConfig{ID: "ali", Name: "Ali", Profile: "child",
			Schedules: []string{"bedtime"}}}, nil, "schedules"},
		{"unknown profile refused", ui.Update{Person: &ui.PersonConfig{ID: "ali", Name: "Ali", Profile: "kid"}}, nil, "profile"},
		{"ISP-locked domain cannot be allowed", ui.Update{Person: &ui.PersonConfig{ID: "ali", Name: "Ali", Profile: "child",
			Allow: []string{"www.bad.example"}}}, nil, "allow"},
		{"unknown person", ui.Update{DeletePerson: "zed"}, nil, "not found"},
		{"changing a person who is not there", ui.Update{Person: &ui.PersonConfig{ID: "zed", Name: "Zed", Profile: "child"}}, nil, "not found"},
		{"a device by its MAC in any spelling", ui.Update{Device: &ui.DeviceConfig{MAC: "02-00-00-00-00-0A", Name: "Tablet"}},
			func(c *config.Config, _ string) bool {
				return len(c.Devices) == 1 && c.Devices[0].Person == "" && c.Devices[0].Name == "Tablet"
			}, ""},
		{"not a MAC address", ui.Update{Device: &ui.DeviceConfig{MAC: "02:00:00:00:00", Name: "T"}}, nil, "mac"},
		{"device of a person who is not there", ui.Update{Device: &ui.DeviceConfig{MAC: "02:00:00:00:00:0a", Name: "T", Person: "zed"}}, nil, "person"},
		{"forgetting what is not a MAC address", ui.Update{ForgetDevice: "tablet"}, nil, "not found"},
		{"profile categories as a wanted set", ui.Update{Profile: &ui.ProfileConfig{ID: "child",
			BlockCategory: []string{"adult", "gambling", "hate", "drugs", "malware", "vpn", "doh", "games"}, SafeSearch: true, YouTube: "strict", QUIC: true}},
			func(c *config.Config, text string) bool {
				p := profileNamed(c, "child")
				return p.Rules.Block.Has(category.Games) && !p.Rules.Block.Has(category.Social) && p.QUIC &&
					strings.Contains(text, "list allow_category 'social'") && strings.Contains(text, "list block_category 'games'")
			}, ""},
		{"a locked category cannot be unblocked", ui.Update{Profile: &ui.ProfileConfig{ID: "child", BlockCategory: []string{"adult"}, SafeSearch: true, YouTube: "strict"}},
			nil, "block_category"},
		{"not a YouTube mode", ui.Update{Profile: &ui.ProfileConfig{ID: "child", BlockCategory: []string{"malware", "gambling"}, YouTube: "max"}},
			nil, "youtube"},
		{"a profile that is not there", ui.Update{Profile: &ui.ProfileConfig{ID: "kid", YouTube: "off"}}, nil, "not found"},
		{"new schedule with a window over midnight", ui.Update{Schedule: &ui.ScheduleConfig{Name: "Weekend nights", Kind: "bedtime",
			Windows: []ui.Window{{Days: []string{"sat", "fri"}, Start: "23:00", End: "08:00"}}}, Created: &created},
			func(c *config.Config, text string) bool {
				s := c.Schedules[1]
				return created == "weekend_nights" && s.Name == created && len(s.Week) == 1 &&
					s.Week.Active(time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC)) && strings.Contains(text, "list window 'fri,sat 23:00-08:00'")
			}, ""},
		{"bad window refused", ui.Update{Schedule: bedtime(ui.Window{Days: []string{"mon"}, Start: "25:00", End: "07:00"})}, nil, "windows"},
		{"days as the page spells them", ui.Update{Schedule: bedtime(ui.Window{Days: []string{"Mon"}, Start: "21:00", End: "07:00"})}, nil, "windows"},
		{"times as the page spells them", ui.Update{Schedule: bedtime(ui.Window{Days: []string{"mon"}, Start: "9:00", End: "10:00"})}, nil, "windows"},
		{"a window without days", ui.Update{Schedule: bedtime(ui.Window{Start: "21:00", End: "07:00"})}, nil, "windows"},
		{"no window", ui.Update{Schedule: bedtime()}, nil, "windows"},
		{"not a kind", ui.Update{Schedule: &ui.ScheduleConfig{ID: "school_nights", Kind: "nap",
			Windows: []ui.Window{{Days: []string{"mon"}, Start: "21:00", End: "07:00"}}}}, nil, "kind"},
		{"a focus schedule needs categories", ui.Update{Schedule: &ui.ScheduleConfig{ID: "school_nights", Kind: "focus",
			Windows: []ui.Window{{Days: []string{"mon"}, Start: "21:00", End: "07:00"}}}}, nil, "block_category"},
		{"categories are a focus schedule's", ui.Update{Schedule: &ui.ScheduleConfig{ID: "school_nights", Kind: "bedtime",
			Windows: []ui.Window{{Days: []string{"mon"}, Start: "21:00", End: "07:00"}}, BlockCategory: []string{"games"}}},
			func(c *config.Config, _ string) bool { return c.Schedules[0].Block == 0 }, ""},
		{"pause for a while", ui.Update{Pause: &ui.Pause{Person: "ali", Until: now.Add(30 * time.Minute)}},
			func(c *config.Config, _ string) bool { return c.People[0].PauseUntil.Equal(now.Add(30 * time.Minute)) }, ""},
		{"pause forever", ui.Update{Pause: &ui.Pause{Person: "ali", Forever: true}},
			func(c *config.Config, _ string) bool { return c.People[0].PauseUntil == config.Forever }, ""},
		{"resume", ui.Update{Pause: &ui.Pause{Person: "ali", Resume: true, Until: now.Add(time.Hour)}},
			func(c *config.Config, _ string) bool { return c.People[0].PauseUntil.IsZero() }, ""},
		{"extra minutes add up today, past days go", ui.Update{Extra: &ui.Extra{Person: "ali", Minutes: 15}},
			func(c *config.Config, _ string) bool {
				return slices.Equal(c.People[0].Bonus, []config.Bonus{{Date: "2026-12-04", Extra: 15 * time.Minute}}) &&
					len(c.People[0].TempAllow) == 0 // the expired one is pruned
			}, ""},
		{"negative extra minutes", ui.Update{Extra: &ui.Extra{Person: "ali", Minutes: -15}}, nil, "minutes"},
		{"extra time until", ui.Update{Extra: &ui.Extra{Person: "ali", Until: now.Add(time.Hour)}},
			func(c *config.Config, _ string) bool { return c.People[0].FreeUntil.Equal(now.Add(time.Hour)) }, ""},
		{"settings", ui.Update{Settings: &ui.SettingsUpdate{DNSBlock: ptr("page"), FailMode: ptr("open"), HistoryDomains: ptr(true)}},
			func(c *config.Config, _ string) bool {
				return c.DNSBlock == config.BlockPage && c.FailMode == config.FailOpen && c.HistoryDomains
			}, ""},
		{"bad block mode", ui.Update{Settings: &ui.SettingsUpdate{DNSBlock: ptr("refuse")}}, nil, "dns_block"},
		{"bad fail mode", ui.Update{Settings: &ui.SettingsUpdate{FailMode: ptr("half")}}, nil, "fail_mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, text, err := edited(t, now, tt.u)
			var fe *ui.FieldError
			switch {
			case tt.field == "not found":
				if !errors.Is(err, ui.ErrNotFound) {
					t.Fatalf("err = %v, want ErrNotFound", err)
				}
			case tt.field != "":
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

func profileNamed(c *config.Config, name string) *config.Profile {
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
	cfg, err := config.LoadBytes(config.Package, []byte(editFile))
	if err != nil {
		b.Fatal(err)
	}
	u := ui.Update{Pause: &ui.Pause{Person: "ali", Until: now.Add(time.Hour)}}
	b.ReportAllocs()
	for b.Loop() {
		secs, _ := uci.Parse(config.Package, []byte(editFile))
		if _, err := changed(secs, cfg, now, func(e *config.Editor) error { return apply(e, u) }); err != nil {
			b.Fatal(err)
		}
	}
}
