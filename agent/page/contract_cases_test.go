package page_test

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/safeinternet/cpe/ui"
	"github.com/safeinternet/cpe/ui/uitest"
)

// The changes of TestContract (contract_test.go) and what they show.

// scenario is one change under the contract.
type scenario struct {
	name string
	// setup runs first and must be accepted.
	setup func(h household, now time.Time) error
	// do is the change.
	do func(h household, now time.Time) error
	// refused is the field of the refusal, "not found" for ErrNotFound,
	// or "" when the change is accepted.
	refused string
	// check looks at an accepted change's result.
	check func(t *testing.T, hh ui.Household, s ui.Settings)
}

// update is the change u.
func update(u ui.Update) func(household, time.Time) error {
	return func(h household, _ time.Time) error { return h.Update(u) }
}

// updates are changes made one after the other.
func updates(us ...ui.Update) func(household, time.Time) error {
	return func(h household, _ time.Time) error {
		for _, u := range us {
			if err := h.Update(u); err != nil {
				return err
			}
		}
		return nil
	}
}

// approve asks for kind (and name) from the device mac of person, and
// approves the request with grant.
func approve(mac, person string, kind ui.RequestKind, name string, grant ui.Grant) func(household, time.Time) error {
	return func(h household, now time.Time) error {
		r, err := h.Ask(ui.Device{MAC: mac, Person: person}, kind, name, now)
		if err != nil {
			return err
		}
		_, err = h.Answer(r.ID, true, grant, now)
		return err
	}
}

func person(t *testing.T, hh ui.Household, id string) ui.PersonConfig {
	t.Helper()
	i := slices.IndexFunc(hh.People, func(p ui.PersonConfig) bool { return p.ID == id })
	if i < 0 {
		t.Fatalf("no person %q in %+v", id, hh.People)
	}
	return hh.People[i]
}

func configured(hh ui.Household, mac string) (ui.DeviceConfig, bool) {
	i := slices.IndexFunc(hh.Devices, func(d ui.DeviceConfig) bool { return d.MAC == mac && d.Configured })
	if i < 0 {
		return ui.DeviceConfig{}, false
	}
	return hh.Devices[i], true
}

func profile(t *testing.T, hh ui.Household, id string) ui.ProfileConfig {
	t.Helper()
	i := slices.IndexFunc(hh.Profiles, func(p ui.ProfileConfig) bool { return p.ID == id })
	if i < 0 {
		t.Fatalf("no profile %q", id)
	}
	return hh.Profiles[i]
}

func schedule(t *testing.T, hh ui.Household, id string) ui.ScheduleConfig {
	t.Helper()
	i := slices.IndexFunc(hh.Schedules, func(s ui.ScheduleConfig) bool { return s.ID == id })
	if i < 0 {
		t.Fatalf("no schedule %q in %+v", id, hh.Schedules)
	}
	return hh.Schedules[i]
}

func want[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
}

func wantList(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

// wantSet compares lists whose order is not part of the contract: the
// router shows categories in its own order, the fake as they were given.
func wantSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
		t.Errorf("%s = %q, want %q in any order", what, got, want)
	}
}

func wantTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// childBlocks is what the baseline locks for a restricted profile.
var childBlocks = []string{"adult", "gambling", "malware"}

func scenarios(now time.Time) []scenario {
	var created string
	win := func(start, end string, days ...string) ui.Window {
		return ui.Window{Days: days, Start: start, End: end}
	}
	child := func(block []string, safe bool, youtube string) ui.Update {
		return ui.Update{Profile: &ui.ProfileConfig{ID: "child", BlockCategory: block, SafeSearch: safe, YouTube: youtube,
			Schedules: []string{"school_nights"}}}
	}
	return []scenario{
		// The household as it is.
		{name: "the household as it is", do: func(household, time.Time) error { return nil },
			check: func(t *testing.T, hh ui.Household, s ui.Settings) {
				var people, devices []string
				for _, p := range hh.People {
					people = append(people, p.ID+" "+p.Name+" "+p.Profile)
				}
				wantList(t, "people", people, []string{"ali Ali child", "leyla Leyla teen", "mom Mom adult"})
				for _, d := range hh.Devices {
					if d.Configured {
						devices = append(devices, d.MAC+" "+d.Name+" "+d.Kind+" "+d.Person)
					}
				}
				wantList(t, "devices", devices, []string{uitest.MACAliTablet + " Ali's tablet tablet ali",
					uitest.MACLeylaPhone + " Leyla's phone phone leyla", uitest.MACMomLaptop + " Mom's laptop laptop mom"})
				want(t, "settings", [3]any{s.DNSBlock, s.FailMode, s.HistoryDomains}, [3]any{"page", "closed", false})
				want(t, "locked", hh.Locked, ui.Locked{Source: "isp", Categories: []string{"malware"},
					ChildCategories: []string{"adult", "gambling"}, Domains: []string{"casino-royal.example"},
					SafeSearch: true, YouTube: "moderate"})
				wantList(t, "categories", hh.Categories, []string{"adult", "gambling", "violence", "hate", "drugs", "weapons",
					"crime", "dating", "games", "social", "chat", "video", "vpn", "doh", "malware", "allowlist", "shopping",
					"news", "kids", "ads"})
				var ages []string
				for _, p := range hh.Profiles {
					ages = append(ages, p.ID+" "+p.Age)
				}
				wantList(t, "profiles", ages, []string{"under6 under6", "child child", "preteen preteen", "teen teen",
					"adult adult", "unassigned child"})
			}},

		// People.
		{name: "add a person", do: update(ui.Update{Person: &ui.PersonConfig{Name: "Zara Aliyeva", Profile: "preteen",
			Allow: []string{"wiki.example"}, BlockCategory: []string{"shopping", "games"}, Schedules: []string{"homework"},
			DailyLimit: 90 * time.Minute, HasDailyLimit: true, CategoryLimits: map[string]time.Duration{"games": 30 * time.Minute}},
			Created: &created}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				want(t, "id", created, "zara_aliyeva")
				p := person(t, hh, "zara_aliyeva")
				want(t, "name, profile", p.Name+", "+p.Profile, "Zara Aliyeva, preteen")
				wantList(t, "allow", p.Allow, []string{"wiki.example"})
				wantSet(t, "block_category", p.BlockCategory, []string{"games", "shopping"})
				wantList(t, "schedules", p.Schedules, []string{"homework"})
				want(t, "daily limit", p.HasDailyLimit && p.DailyLimit == 90*time.Minute, true)
				want(t, "category limits", maps.Equal(p.CategoryLimits, map[string]time.Duration{"games": 30 * time.Minute}), true)
			}},
		{name: "a name without Latin letters", do: update(ui.Update{Person: &ui.PersonConfig{Name: "Лейла", Profile: "teen"}, Created: &created}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				want(t, "id", created, "person")
				want(t, "name", person(t, hh, "person").Name, "Лейла")
			}},
		{name: "a name that is taken", do: update(ui.Update{Person: &ui.PersonConfig{Name: "Ali", Profile: "child"}, Created: &created}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) { want(t, "id", created, "ali_2") }},
		{name: "a name of a built-in profile", do: update(ui.Update{Person: &ui.PersonConfig{Name: "Child", Profile: "child"}, Created: &created}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) { want(t, "id", created, "child_2") }},
		{name: "rename a person, the pause stays",
			setup: update(ui.Update{Pause: &ui.Pause{Person: "ali", Forever: true}}),
			do:    update(ui.Update{Person: &ui.PersonConfig{ID: "ali", Name: "Ali Aliyev", Profile: "child"}}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				p := person(t, hh, "ali")
				want(t, "name", p.Name, "Ali Aliyev")
				wantList(t, "allow", p.Allow, nil)
				want(t, "paused forever", p.PauseUntil.Year() >= 9999, true)
			}},
		{name: "re-profile a person", do: update(ui.Update{Person: &ui.PersonConfig{ID: "leyla", Name: "Leyla", Profile: "adult"}}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				p := person(t, hh, "leyla")
				want(t, "profile", p.Profile, "adult")
				wantList(t, "block_category", p.BlockCategory, nil)
				want(t, "daily limit", p.HasDailyLimit, false)
			}},
		{name: "allow a category the baseline locks for the new profile", do: update(ui.Update{Person: &ui.PersonConfig{
			ID: "mom", Name: "Mom", Profile: "child", AllowCategory: []string{"gambling"}}}), refused: "allow_category"},
		{name: "allow a domain the ISP blocks", do: update(ui.Update{Person: &ui.PersonConfig{ID: "ali", Name: "Ali", Profile: "child",
			Allow: []string{"www.casino-royal.example"}}}), refused: "allow"},
		{name: "allow a domain in any spelling", do: update(ui.Update{Person: &ui.PersonConfig{ID: "ali", Name: "Ali", Profile: "child",
			Allow: []string{"Wiki.Example.", "wiki.example", "_sip.example"}}}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				wantList(t, "allow", person(t, hh, "ali").Allow, []string{"wiki.example", "_sip.example"})
			}},
		{name: "a person without a name", do: update(ui.Update{Person: &ui.PersonConfig{Profile: "teen"}, Created: &created}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				want(t, "id, name", created+", "+person(t, hh, created).Name, "person, person")
			}},
		{name: "a person of a profile that is not there", do: update(ui.Update{Person: &ui.PersonConfig{ID: "ali", Name: "Ali", Profile: "kid"}}),
			refused: "profile"},
		{name: "a schedule that is not there", do: update(ui.Update{Person: &ui.PersonConfig{ID: "ali", Name: "Ali", Profile: "child",
			Schedules: []string{"bedtime"}}}), refused: "schedules"},
		{name: "a name of 40 Azerbaijani letters (80 bytes)", do: update(ui.Update{Person: &ui.PersonConfig{ID: "ali", Name: strings.Repeat("Ə", 40), Profile: "child"}}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				if got := person(t, hh, "ali").Name; got != strings.Repeat("Ə", 40) {
					t.Errorf("name %q", got)
				}
			}},
		{name: "a name longer than 64 characters", do: update(ui.Update{Person: &ui.PersonConfig{Name: strings.Repeat("Ə", 65), Profile: "teen"}}),
			refused: "name"},
		{name: "delete a person, their devices are nobody's", do: update(ui.Update{DeletePerson: "ali"}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				if slices.ContainsFunc(hh.People, func(p ui.PersonConfig) bool { return p.ID == "ali" }) {
					t.Error("ali is still there")
				}
				d, _ := configured(hh, uitest.MACAliTablet)
				want(t, "the tablet's person", d.Person, "")
			}},
		{name: "delete a person who is not there", do: update(ui.Update{DeletePerson: "zed"}), refused: "not found"},
		{name: "change a person who is not there", do: update(ui.Update{Person: &ui.PersonConfig{ID: "zed", Name: "Zed", Profile: "adult"}}),
			refused: "not found"},

		// Devices.
		{name: "assign a new device", do: update(ui.Update{Device: &ui.DeviceConfig{MAC: "02:00:00:00:00:0b", Name: "Zara's phone",
			Kind: "phone", Person: "leyla"}}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				d, ok := configured(hh, "02:00:00:00:00:0b")
				want(t, "device", [4]any{ok, d.Name, d.Kind, d.Person}, [4]any{true, "Zara's phone", "phone", "leyla"})
			}},
		{name: "move a device", do: update(ui.Update{Device: &ui.DeviceConfig{MAC: uitest.MACAliTablet, Name: "Tablet", Kind: "tablet", Person: "mom"}}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				d, ok := configured(hh, uitest.MACAliTablet)
				want(t, "device", [3]any{ok, d.Name, d.Person}, [3]any{true, "Tablet", "mom"})
			}},
		{name: "a device to nobody, with its own profile", do: update(ui.Update{Device: &ui.DeviceConfig{MAC: uitest.MACAliTablet,
			Name: "Ali's tablet", Kind: "tablet", Profile: "teen"}}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				d, _ := configured(hh, uitest.MACAliTablet)
				want(t, "person, profile", d.Person+", "+d.Profile, ", teen")
			}},
		{name: "a device of a person who is not there", do: update(ui.Update{Device: &ui.DeviceConfig{MAC: uitest.MACAliTablet,
			Name: "Tablet", Person: "zed"}}), refused: "person"},
		{name: "a device of a profile that is not there", do: update(ui.Update{Device: &ui.DeviceConfig{MAC: uitest.MACAliTablet,
			Name: "Tablet", Profile: "kid"}}), refused: "profile"},
		{name: "a multicast address is no device", do: update(ui.Update{Device: &ui.DeviceConfig{MAC: "01:00:5e:00:00:01", Name: "Group"}}),
			refused: "mac"},
		{name: "forget a device", do: update(ui.Update{ForgetDevice: uitest.MACAliTablet}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				if _, ok := configured(hh, uitest.MACAliTablet); ok {
					t.Error("the tablet is still configured")
				}
			}},
		{name: "forget a device that has no section", do: update(ui.Update{ForgetDevice: uitest.MACGalaxyTab}), refused: "not found"},

		// Profiles.
		{name: "profile categories as a wanted set", do: update(child([]string{"video", "adult", "gambling", "malware", "games"}, true, "strict")),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				p := profile(t, hh, "child")
				want(t, "age, restricted", p.Age+", "+map[bool]string{true: "restricted"}[p.Restricted], "child, restricted")
				wantSet(t, "block_category", p.BlockCategory, []string{"adult", "gambling", "games", "video", "malware"})
				want(t, "switches", [3]any{p.SafeSearch, p.YouTube, p.QUIC}, [3]any{true, "strict", false})
				wantList(t, "schedules", p.Schedules, []string{"school_nights"})
			}},
		{name: "a category the baseline locks for children", do: update(child([]string{"adult", "malware"}, true, "strict")),
			refused: "block_category"},
		{name: "a category the baseline locks for everyone", do: update(ui.Update{Profile: &ui.ProfileConfig{ID: "adult", YouTube: "off"}}),
			refused: "block_category"},
		{name: "SafeSearch the baseline forces", do: update(child(childBlocks, false, "strict")), refused: "safesearch"},
		{name: "YouTube below the baseline's", do: update(child(childBlocks, true, "off")), refused: "youtube"},
		{name: "an adult profile is not held to the children's floor", do: update(ui.Update{Profile: &ui.ProfileConfig{ID: "adult",
			BlockCategory: []string{"malware", "ads"}, YouTube: "off", QUIC: true, DailyLimit: 0, HasDailyLimit: true}}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				p := profile(t, hh, "adult")
				wantSet(t, "block_category", p.BlockCategory, []string{"malware", "ads"})
				want(t, "limit", [2]any{p.HasDailyLimit, p.DailyLimit}, [2]any{true, time.Duration(0)})
			}},
		{name: "a profile that is not there", do: update(ui.Update{Profile: &ui.ProfileConfig{ID: "kid", YouTube: "off"}}), refused: "not found"},

		// Schedules.
		{name: "create a schedule across midnight", do: update(ui.Update{Schedule: &ui.ScheduleConfig{Name: "Weekend nights",
			Kind: "bedtime", Windows: []ui.Window{win("23:00", "08:00", "sat", "fri")}}, Created: &created}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				want(t, "id", created, "weekend_nights")
				s := schedule(t, hh, "weekend_nights")
				want(t, "schedule", s, ui.ScheduleConfig{ID: "weekend_nights", Name: "Weekend nights", Kind: "bedtime",
					Windows: []ui.Window{win("23:00", "08:00", "fri", "sat")}})
			}},
		{name: "rename and change a schedule", do: update(ui.Update{Schedule: &ui.ScheduleConfig{ID: "school_nights", Name: "School nights!",
			Kind: "bedtime", Windows: []ui.Window{win("21:30", "06:30", "sun", "mon", "tue", "wed", "thu"), win("22:00", "24:00", "fri")}}}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				want(t, "schedule", schedule(t, hh, "school_nights"), ui.ScheduleConfig{ID: "school_nights", Name: "School nights!",
					Kind: "bedtime", Windows: []ui.Window{win("21:30", "06:30", "mon", "tue", "wed", "thu", "sun"), win("22:00", "24:00", "fri")}})
			}},
		{name: "a focus schedule's categories", do: update(ui.Update{Schedule: &ui.ScheduleConfig{Name: "Homework", Kind: "focus",
			Windows: []ui.Window{win("16:00", "18:00", "mon")}, BlockCategory: []string{"social", "games"}}, Created: &created}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				want(t, "id", created, "homework_2")
				wantSet(t, "block_category", schedule(t, hh, created).BlockCategory, []string{"games", "social"})
			}},
		{name: "a focus schedule made bedtime blocks nothing of its own", do: update(ui.Update{Schedule: &ui.ScheduleConfig{
			ID: "homework", Name: "Homework", Kind: "bedtime", Windows: []ui.Window{win("15:00", "17:00", "mon")},
			BlockCategory: []string{"games", "social"}}}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				s := schedule(t, hh, "homework")
				want(t, "kind", s.Kind, "bedtime")
				wantList(t, "block_category", s.BlockCategory, nil)
			}},
		{name: "a focus schedule without categories", do: update(ui.Update{Schedule: &ui.ScheduleConfig{ID: "homework", Name: "Homework",
			Kind: "focus", Windows: []ui.Window{win("15:00", "17:00", "mon")}}}), refused: "block_category"},
		{name: "a window that ends as it starts lasts a day", do: update(ui.Update{Schedule: &ui.ScheduleConfig{ID: "weekend_days",
			Name: "Saturday", Kind: "allowed", Windows: []ui.Window{win("09:00", "09:00", "sat")}}}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				want(t, "windows", schedule(t, hh, "weekend_days").Windows, []ui.Window{win("09:00", "09:00", "sat")})
			}},
		{name: "a window at 25:00", do: update(ui.Update{Schedule: &ui.ScheduleConfig{ID: "school_nights", Name: "x", Kind: "bedtime",
			Windows: []ui.Window{win("25:00", "07:00", "mon")}}}), refused: "windows"},
		{name: "a day not spelled as the page does", do: update(ui.Update{Schedule: &ui.ScheduleConfig{ID: "school_nights", Name: "x",
			Kind: "bedtime", Windows: []ui.Window{win("21:00", "07:00", "monday")}}}), refused: "windows"},
		{name: "no window", do: update(ui.Update{Schedule: &ui.ScheduleConfig{ID: "school_nights", Name: "x", Kind: "bedtime"}}),
			refused: "windows"},
		{name: "not a kind", do: update(ui.Update{Schedule: &ui.ScheduleConfig{ID: "school_nights", Name: "x", Kind: "nap",
			Windows: []ui.Window{win("21:00", "07:00", "mon")}}}), refused: "kind"},
		{name: "a schedule named like a person", do: update(ui.Update{Schedule: &ui.ScheduleConfig{Name: "Ali", Kind: "bedtime",
			Windows: []ui.Window{win("21:00", "07:00", "mon")}}, Created: &created}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) { want(t, "id", created, "ali_2") }},
		{name: "delete a schedule and its uses", do: update(ui.Update{DeleteSchedule: "school_nights"}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				if slices.ContainsFunc(hh.Schedules, func(s ui.ScheduleConfig) bool { return s.ID == "school_nights" }) {
					t.Error("the schedule is still there")
				}
				for _, p := range hh.Profiles {
					if slices.Contains(p.Schedules, "school_nights") {
						t.Errorf("profile %s still uses it", p.ID)
					}
				}
				wantList(t, "ali's schedules", person(t, hh, "ali").Schedules, []string{"homework"})
			}},
		{name: "delete a schedule a person uses", do: update(ui.Update{DeleteSchedule: "homework"}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				wantList(t, "ali's schedules", person(t, hh, "ali").Schedules, nil)
			}},
		{name: "delete a schedule that is not there", do: update(ui.Update{DeleteSchedule: "nap"}), refused: "not found"},

		// Pauses and extra time.
		{name: "pause until", do: update(ui.Update{Pause: &ui.Pause{Person: "ali", Until: now.Add(30 * time.Minute)}}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				wantTime(t, "paused until", person(t, hh, "ali").PauseUntil, now.Add(30*time.Minute))
			}},
		{name: "pause forever", do: update(ui.Update{Pause: &ui.Pause{Person: "ali", Forever: true}}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				want(t, "paused forever", person(t, hh, "ali").PauseUntil.Year() >= 9999, true)
			}},
		{name: "resume", setup: update(ui.Update{Pause: &ui.Pause{Person: "ali", Forever: true}}),
			do: update(ui.Update{Pause: &ui.Pause{Person: "ali", Resume: true}}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				want(t, "paused", person(t, hh, "ali").PauseUntil.IsZero(), true)
			}},
		{name: "a pause that has ended pauses nothing", do: update(ui.Update{Pause: &ui.Pause{Person: "ali", Until: now.Add(-time.Minute)}}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				want(t, "paused", person(t, hh, "ali").PauseUntil.IsZero(), true)
			}},
		{name: "pause somebody who is not there", do: update(ui.Update{Pause: &ui.Pause{Person: "zed", Forever: true}}), refused: "not found"},
		{name: "extra minutes", do: updates(ui.Update{Extra: &ui.Extra{Person: "ali", Minutes: 30}}, ui.Update{Extra: &ui.Extra{Person: "ali", Minutes: 30}}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {}},
		{name: "negative extra minutes", do: update(ui.Update{Extra: &ui.Extra{Person: "ali", Minutes: -5}}), refused: "minutes"},
		{name: "more than a day of extra minutes", setup: update(ui.Update{Extra: &ui.Extra{Person: "ali", Minutes: 720}}),
			do: update(ui.Update{Extra: &ui.Extra{Person: "ali", Minutes: 721}}), refused: "minutes"},
		{name: "extra time until", do: update(ui.Update{Extra: &ui.Extra{Person: "ali", Until: now.Add(time.Hour)}}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				wantTime(t, "free until", person(t, hh, "ali").FreeUntil, now.Add(time.Hour))
			}},
		{name: "extra time for somebody who is not there", do: update(ui.Update{Extra: &ui.Extra{Person: "zed", Minutes: 5}}), refused: "not found"},

		// Settings.
		{name: "settings", do: update(ui.Update{Settings: &ui.SettingsUpdate{DNSBlock: ptr("null"), FailMode: ptr("open"), HistoryDomains: ptr(true)}}),
			check: func(t *testing.T, _ ui.Household, s ui.Settings) {
				want(t, "settings", [3]any{s.DNSBlock, s.FailMode, s.HistoryDomains}, [3]any{"null", "open", true})
			}},
		{name: "not a block mode", do: update(ui.Update{Settings: &ui.SettingsUpdate{DNSBlock: ptr("refuse")}}), refused: "dns_block"},
		{name: "not a fail mode", do: update(ui.Update{Settings: &ui.SettingsUpdate{FailMode: ptr("half")}}), refused: "fail_mode"},

		// Children's requests, approved.
		{name: "approve a site", do: approve(uitest.MACAliTablet, "ali", ui.AskUnblock, "game.example", ui.Grant{Minutes: 30}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				ta := person(t, hh, "ali").TempAllow
				if len(ta) != 1 || ta[0].Domain != "game.example" || !ta[0].Until.Equal(now.Add(30*time.Minute)) {
					t.Errorf("temp_allow = %+v, want game.example until %v", ta, now.Add(30*time.Minute))
				}
			}},
		{name: "approve a site the ISP blocks", do: approve(uitest.MACAliTablet, "ali", ui.AskUnblock, "casino-royal.example", ui.Grant{Minutes: 30}),
			refused: "name"},
		{name: "approve more time", do: approve(uitest.MACLeylaPhone, "leyla", ui.AskTime, "", ui.Grant{Minutes: 30}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				wantTime(t, "free until", person(t, hh, "leyla").FreeUntil, now.Add(30*time.Minute))
			}},
		{name: "approving more time does not shorten extra time",
			setup: update(ui.Update{Extra: &ui.Extra{Person: "leyla", Until: now.Add(2 * time.Hour)}}),
			do:    approve(uitest.MACLeylaPhone, "leyla", ui.AskTime, "", ui.Grant{Minutes: 15}),
			check: func(t *testing.T, hh ui.Household, _ ui.Settings) {
				wantTime(t, "free until", person(t, hh, "leyla").FreeUntil, now.Add(2*time.Hour))
			}},
		{name: "approve no time", do: approve(uitest.MACLeylaPhone, "leyla", ui.AskTime, "", ui.Grant{}), refused: "minutes"},
		{name: "approve for a device nobody owns", do: approve(uitest.MACGalaxyTab, "@unassigned", ui.AskTime, "", ui.Grant{Minutes: 30}),
			refused: "decision"},
	}
}

func ptr[T any](v T) *T { return &v }
