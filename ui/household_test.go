package ui_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/safeinternet/cpe/ui"
	"github.com/safeinternet/cpe/ui/uitest"
)

// writes are the state-changing routes on the household, with a body that
// would be accepted.
var writes = []struct{ method, path, body string }{
	{"POST", "/api/v1/people", `{"name":"Zara","profile":"child"}`},
	{"PUT", "/api/v1/people/ali", `{"name":"Ali"}`},
	{"DELETE", "/api/v1/people/mom", ""},
	{"POST", "/api/v1/people/ali/pause", `{"minutes":30}`},
	{"POST", "/api/v1/people/ali/extra", `{"minutes":30}`},
	{"PUT", "/api/v1/devices/" + uitest.MACSwitch, `{"name":"Switch","person":"ali"}`},
	{"DELETE", "/api/v1/devices/" + uitest.MACMomLaptop, ""},
	{"PUT", "/api/v1/profiles/teen", `{"quic":true}`},
	{"POST", "/api/v1/schedules", `{"name":"Early","kind":"bedtime","windows":[{"days":["sat"],"start":"22:00","end":"08:00"}]}`},
	{"PUT", "/api/v1/schedules/homework", `{"name":"Homework time"}`},
	{"DELETE", "/api/v1/schedules/weekend_days", ""},
	{"PUT", "/api/v1/settings", `{"fail_mode":"open"}`},
	{"POST", "/api/v1/requests/" + uitest.PendingRequest, `{"decision":"deny"}`},
}

func TestEditorRoutesNeedSessionAndToken(t *testing.T) {
	f := newFake()
	s, c := parent(t, f)
	anon := newClient(t, s, "192.168.1.11")
	reads := []string{"/api/v1/household", "/api/v1/activity", "/api/v1/settings", "/api/v1/requests"}
	for _, p := range reads {
		anon.wantError(anon.do("GET", p, ""), http.StatusUnauthorized, "unauthenticated")
		c.want(c.do("GET", p, ""), 200, nil)
	}
	before := f.Household()
	for _, wr := range writes {
		anon.wantError(anon.do(wr.method, wr.path, wr.body), http.StatusUnauthorized, "unauthenticated")
		c.wantError(c.do(wr.method, wr.path, wr.body, "X-CSRF-Token", ""), http.StatusForbidden, "csrf")
		c.wantError(c.do(wr.method, wr.path, wr.body, "Origin", "http://evil.example"), http.StatusForbidden, "cross_origin")
	}
	if after := f.Household(); len(after.People) != len(before.People) || len(after.Schedules) != len(before.Schedules) {
		t.Error("a refused write changed the household")
	}
	// With the token every write goes through.
	for _, wr := range writes {
		w := c.do(wr.method, wr.path, wr.body)
		if w.Code/100 != 2 {
			t.Errorf("%s %s: %d %s", wr.method, wr.path, w.Code, w.Body)
		}
	}
}

func TestNotAnEditor(t *testing.T) {
	agentOnly := struct{ ui.Agent }{newFake()} // hides the Editor methods
	s := newEditorServer(t, agentOnly, nil)
	c := newClient(t, s, "192.168.1.10")
	c.setup()
	c.wantError(c.do("GET", "/api/v1/household", ""), http.StatusNotImplemented, "not_implemented")
	c.wantError(c.do("POST", "/api/v1/people", `{"name":"Zara","profile":"child"}`), http.StatusNotImplemented, "not_implemented")
	c.want(c.do("GET", "/api/v1/overview", ""), 200, nil)
}

func TestHousehold(t *testing.T) {
	_, c := parent(t, newFake())
	var h struct {
		People []struct {
			ID                string `json:"id"`
			DailyLimitMinutes *int   `json:"daily_limit_minutes"`
		} `json:"people"`
		Devices []struct {
			MAC       string  `json:"mac"`
			Person    *string `json:"person"`
			New       bool    `json:"new"`
			RandomMAC bool    `json:"random_mac"`
			Vendor    *string `json:"vendor"`
			Hostname  *string `json:"hostname"`
		} `json:"devices"`
		Profiles   []struct{ ID string } `json:"profiles"`
		Schedules  []struct{ ID string } `json:"schedules"`
		Categories []string              `json:"categories"`
		Locked     struct {
			Source     string   `json:"source"`
			Categories []string `json:"categories"`
		} `json:"locked"`
	}
	c.want(c.do("GET", "/api/v1/household", ""), 200, &h)
	if len(h.People) != 3 || h.People[0].ID != "ali" || *h.People[0].DailyLimitMinutes != 120 || h.People[2].DailyLimitMinutes != nil {
		t.Errorf("people %+v", h.People)
	}
	var fresh []string
	for _, d := range h.Devices {
		if d.New {
			fresh = append(fresh, d.MAC)
			if d.Person != nil {
				t.Errorf("new device %s belongs to %s", d.MAC, *d.Person)
			}
		}
		if d.MAC == uitest.MACGalaxyTab && (!d.RandomMAC || d.Vendor != nil || *d.Hostname != "Galaxy-Tab-A") {
			t.Errorf("galaxy tab %+v", d)
		}
		if d.MAC == uitest.MACSwitch && (d.RandomMAC || *d.Vendor != "Nintendo") {
			t.Errorf("switch %+v", d)
		}
	}
	if !slices.Equal(fresh, []string{uitest.MACGalaxyTab, uitest.MACSwitch}) {
		t.Errorf("new devices %v", fresh)
	}
	if len(h.Profiles) != 6 || len(h.Schedules) != 3 || len(h.Categories) != 20 ||
		h.Locked.Source != "isp" || !slices.Equal(h.Locked.Categories, []string{"malware"}) {
		t.Errorf("profiles %v schedules %v categories %d locked %+v", h.Profiles, h.Schedules, len(h.Categories), h.Locked)
	}
}

func TestPeople(t *testing.T) {
	_, c := parent(t, newFake())
	var p struct {
		ID                string   `json:"id"`
		Name              string   `json:"name"`
		Profile           string   `json:"profile"`
		Allow             []string `json:"allow"`
		DailyLimitMinutes *int     `json:"daily_limit_minutes"`
	}
	c.want(c.do("POST", "/api/v1/people", `{"name":" Zara ","profile":"preteen","allow":["Wikipedia.org."],"daily_limit_minutes":90}`), 201, &p)
	if p.ID != "zara" || p.Name != "Zara" || !slices.Equal(p.Allow, []string{"wikipedia.org"}) || *p.DailyLimitMinutes != 90 {
		t.Errorf("created %+v", p)
	}
	// PUT changes the fields it names; null clears the limit.
	c.want(c.do("PUT", "/api/v1/people/zara", `{"name":"Zara B","daily_limit_minutes":null}`), 200, &p)
	if p.Name != "Zara B" || p.Profile != "preteen" || len(p.Allow) != 1 || p.DailyLimitMinutes != nil {
		t.Errorf("updated %+v", p)
	}
	for _, tc := range []struct {
		name, method, path, body, field string
		want                            []string
	}{
		{"no name", "POST", "/api/v1/people", `{"profile":"child"}`, "name", []string{"Required"}},
		{"blank name", "POST", "/api/v1/people", `{"name":"  ","profile":"child"}`, "name", nil},
		{"long name", "POST", "/api/v1/people", `{"name":"` + strings.Repeat("é", 65) + `","profile":"child"}`, "name", []string{"1", "64"}},
		{"control character", "PUT", "/api/v1/people/ali", `{"name":"A\u0007li"}`, "name", nil},
		{"unknown profile", "POST", "/api/v1/people", `{"name":"Zara","profile":"toddler"}`, "profile", []string{"toddler"}},
		{"bad profile id", "PUT", "/api/v1/people/ali", `{"profile":"Child!"}`, "profile", []string{"a–z"}},
		{"bad domain", "PUT", "/api/v1/people/ali", `{"allow":["ok.example","not a domain"]}`, "allow", []string{"not a domain"}},
		{"address as domain", "PUT", "/api/v1/people/ali", `{"block":["10.0.0.1"]}`, "block", nil},
		{"unknown category", "PUT", "/api/v1/people/ali", `{"block_category":["fishing"]}`, "block_category", []string{"fishing"}},
		{"locked category", "PUT", "/api/v1/people/ali", `{"allow_category":["gambling"]}`, "allow_category", []string{"gambling", "ISP"}},
		{"unknown schedule", "PUT", "/api/v1/people/ali", `{"schedules":["naps"]}`, "schedules", []string{"naps"}},
		{"limit too big", "PUT", "/api/v1/people/ali", `{"daily_limit_minutes":1441}`, "daily_limit_minutes", []string{"0", "1440"}},
		{"category limit", "PUT", "/api/v1/people/ali", `{"category_limits_minutes":{"games":-1}}`, "category_limits_minutes", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			c.wantField(c.do(tc.method, tc.path, tc.body), tc.field, tc.want...)
		})
	}
	c.t = t
	c.wantError(c.do("PUT", "/api/v1/people/ali", `{"nickname":"x"}`), 400, "bad_request")
	c.wantError(c.do("PUT", "/api/v1/people/nobody", `{"name":"x"}`), 404, "not_found")
	c.want(c.do("DELETE", "/api/v1/people/zara", ""), 204, nil)
	c.wantError(c.do("DELETE", "/api/v1/people/zara", ""), 404, "not_found")
	c.wantError(c.do("DELETE", "/api/v1/people/@unassigned", ""), 404, "not_found")
}

func TestFieldsAreTranslated(t *testing.T) {
	_, c := parent(t, newFake())
	w := c.do("PUT", "/api/v1/profiles/child", `{"block_category":["adult","gambling"]}`, "Accept-Language", "ru")
	c.wantField(w, "block_category", "malware", "провайдера")
	w = c.do("PUT", "/api/v1/profiles/child", `{"block_category":["adult","gambling"]}`, "Accept-Language", "az")
	c.wantField(w, "block_category", "malware", "provayderin")
}

func TestDevices(t *testing.T) {
	f := newFake()
	_, c := parent(t, f)
	var d struct {
		Name       string  `json:"name"`
		Kind       *string `json:"kind"`
		Person     *string `json:"person"`
		Configured bool    `json:"configured"`
		New        bool    `json:"new"`
	}
	c.want(c.do("PUT", "/api/v1/devices/"+uitest.MACGalaxyTab, `{"name":"Ali's Galaxy","kind":"tablet","person":"ali"}`), 200, &d)
	if !d.Configured || d.New || *d.Person != "ali" || *d.Kind != "tablet" {
		t.Errorf("assigned %+v", d)
	}
	c.want(c.do("PUT", "/api/v1/devices/"+uitest.MACSwitch, `{"person":"ali"}`), 200, &d)
	if d.Name != "switch" || !d.Configured || *d.Person != "ali" {
		t.Errorf("a seen device keeps its name: %+v", d)
	}
	c.want(c.do("PUT", "/api/v1/devices/"+uitest.MACGalaxyTab, `{"person":""}`), 200, &d)
	if d.Person != nil || d.Name != "Ali's Galaxy" {
		t.Errorf("given to nobody %+v", d)
	}
	for _, tc := range []struct{ name, mac, body, field string }{
		{"upper case MAC", "DA:A1:19:5E:42:07", `{"name":"x"}`, "mac"},
		{"short MAC", "da:a1:19", `{"name":"x"}`, "mac"},
		{"unknown person", uitest.MACSwitch, `{"person":"zara"}`, "person"},
		{"unknown profile", uitest.MACSwitch, `{"profile":"toddler"}`, "profile"},
		{"kind", uitest.MACSwitch, `{"kind":"fridge"}`, "kind"},
		{"new device needs a name", "02:00:00:00:00:99", `{"person":"ali"}`, "name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			c.wantField(c.do("PUT", "/api/v1/devices/"+tc.mac, tc.body), tc.field)
		})
	}
	c.t = t
	c.want(c.do("DELETE", "/api/v1/devices/"+uitest.MACGalaxyTab, ""), 204, nil)
	if h := f.Household(); !slices.ContainsFunc(h.Devices, func(d ui.DeviceConfig) bool {
		return d.MAC == uitest.MACGalaxyTab && !d.Configured
	}) {
		t.Error("a forgotten device that is still seen should be new again")
	}
	c.wantError(c.do("DELETE", "/api/v1/devices/"+uitest.MACGalaxyTab, ""), 404, "not_found")
	c.wantError(c.do("DELETE", "/api/v1/devices/not-a-mac", ""), 404, "not_found")
}

func TestProfiles(t *testing.T) {
	_, c := parent(t, newFake())
	var p struct {
		BlockCategory     []string `json:"block_category"`
		YouTube           string   `json:"youtube"`
		DailyLimitMinutes *int     `json:"daily_limit_minutes"`
	}
	c.want(c.do("PUT", "/api/v1/profiles/teen", `{"block_category":["adult","gambling","malware","dating"],"youtube":"strict","daily_limit_minutes":240}`), 200, &p)
	if !slices.Equal(p.BlockCategory, []string{"adult", "gambling", "malware", "dating"}) || p.YouTube != "strict" || *p.DailyLimitMinutes != 240 {
		t.Errorf("updated %+v", p)
	}
	for _, tc := range []struct {
		name, path, body, field string
		want                    []string
	}{
		{"locked for everyone", "/api/v1/profiles/adult", `{"block_category":[]}`, "block_category", []string{"malware"}},
		{"locked for restricted", "/api/v1/profiles/child", `{"block_category":["malware","adult"]}`, "block_category", []string{"gambling"}},
		{"safesearch forced", "/api/v1/profiles/child", `{"safesearch":false}`, "safesearch", []string{"SafeSearch"}},
		{"youtube too loose", "/api/v1/profiles/child", `{"youtube":"off"}`, "youtube", []string{"moderate"}},
		{"youtube mode", "/api/v1/profiles/adult", `{"youtube":"medium"}`, "youtube", []string{"off, moderate, strict"}},
		{"quic null", "/api/v1/profiles/adult", `{"quic":null}`, "quic", nil},
		{"unknown schedule", "/api/v1/profiles/adult", `{"schedules":["naps"]}`, "schedules", nil},
		{"limit", "/api/v1/profiles/adult", `{"daily_limit_minutes":99999}`, "daily_limit_minutes", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			c.wantField(c.do("PUT", tc.path, tc.body), tc.field, tc.want...)
		})
	}
	c.t = t
	// The adult profile is not restricted: YouTube off and no SafeSearch.
	c.want(c.do("PUT", "/api/v1/profiles/adult", `{"youtube":"off","safesearch":false}`), 200, nil)
	c.wantError(c.do("PUT", "/api/v1/profiles/toddler", `{"quic":true}`), 404, "not_found")
}

func TestSchedules(t *testing.T) {
	f := newFake()
	_, c := parent(t, f)
	var sc struct {
		ID      string `json:"id"`
		Kind    string `json:"kind"`
		Windows []struct {
			Days       []string `json:"days"`
			Start, End string
		} `json:"windows"`
	}
	c.want(c.do("POST", "/api/v1/schedules", `{"name":"Weekend nights","kind":"bedtime","windows":[{"days":["fri","sat"],"start":"23:00","end":"08:00"}]}`), 201, &sc)
	if sc.ID != "weekend_nights" || sc.Kind != "bedtime" || len(sc.Windows) != 1 || sc.Windows[0].Start != "23:00" {
		t.Errorf("created %+v", sc)
	}
	c.want(c.do("PUT", "/api/v1/schedules/weekend_nights", `{"windows":[{"days":["sat"],"start":"22:00","end":"24:00"}]}`), 200, &sc)
	if sc.Windows[0].End != "24:00" {
		t.Errorf("updated %+v", sc)
	}
	for _, tc := range []struct{ name, body, field, want string }{
		{"no windows", `{"name":"x","kind":"bedtime","windows":[]}`, "windows", "Required"},
		{"bad time", `{"name":"x","kind":"bedtime","windows":[{"days":["mon"],"start":"9:00","end":"10:00"}]}`, "windows", "HH:MM"},
		{"25 o'clock", `{"name":"x","kind":"bedtime","windows":[{"days":["mon"],"start":"25:00","end":"10:00"}]}`, "windows", "HH:MM"},
		{"bad day", `{"name":"x","kind":"bedtime","windows":[{"days":["monday"],"start":"21:00","end":"07:00"}]}`, "windows", "mon, tue"},
		{"empty window", `{"name":"x","kind":"bedtime","windows":[{"days":["mon"],"start":"21:00","end":"21:00"}]}`, "windows", "same"},
		{"kind", `{"name":"x","kind":"nap","windows":[{"days":["mon"],"start":"13:00","end":"14:00"}]}`, "kind", "bedtime, focus, allowed"},
		{"focus without categories", `{"name":"x","kind":"focus","windows":[{"days":["mon"],"start":"13:00","end":"14:00"}]}`, "block_category", "focus"},
		{"no name", `{"kind":"bedtime","windows":[{"days":["mon"],"start":"13:00","end":"14:00"}]}`, "name", "Required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			c.wantField(c.do("POST", "/api/v1/schedules", tc.body), tc.field, tc.want)
		})
	}
	c.t = t
	c.wantError(c.do("POST", "/api/v1/schedules", `{"name":"x","kind":"bedtime","windows":[{"days":["mon"],"start":"21:00","end":"07:00","tz":"UTC"}]}`), 400, "bad_request")
	c.wantError(c.do("PUT", "/api/v1/schedules/naps", `{"name":"x"}`), 404, "not_found")
	c.want(c.do("DELETE", "/api/v1/schedules/school_nights", ""), 204, nil)
	h := f.Household()
	for _, p := range h.Profiles {
		if slices.Contains(p.Schedules, "school_nights") {
			t.Errorf("profile %s still names a deleted schedule", p.ID)
		}
	}
	c.wantError(c.do("DELETE", "/api/v1/schedules/school_nights", ""), 404, "not_found")
}

// A person's own category choices, as the page writes them: both lists
// every time, each category in at most one (absent = as the profile).
func TestPersonCategories(t *testing.T) {
	f := newFake()
	_, c := parent(t, f)
	type cats struct {
		ID            string   `json:"id"`
		BlockCategory []string `json:"block_category"`
		AllowCategory []string `json:"allow_category"`
	}
	var p cats
	c.want(c.do("PUT", "/api/v1/people/ali", `{"block_category":["video"],"allow_category":["games"]}`), 200, &p)
	if !slices.Equal(p.BlockCategory, []string{"video"}) || !slices.Equal(p.AllowCategory, []string{"games"}) {
		t.Errorf("always block video, always allow games: %+v", p)
	}
	var hh struct {
		People []cats `json:"people"`
	}
	c.want(c.do("GET", "/api/v1/household", ""), 200, &hh)
	if len(hh.People) == 0 || hh.People[0].ID != "ali" || !slices.Equal(hh.People[0].AllowCategory, []string{"games"}) {
		t.Errorf("household after the change: %+v", hh.People)
	}
	// Locked for Ali's (restricted) profile, or for everyone: refused on
	// allow_category, naming the category, and nothing changes.
	for _, tc := range []struct{ person, body, cat string }{
		{"ali", `{"block_category":["video"],"allow_category":["games","adult"]}`, "adult"},
		{"mom", `{"allow_category":["malware"]}`, "malware"},
	} {
		c.wantField(c.do("PUT", "/api/v1/people/"+tc.person, tc.body), "allow_category", tc.cat, "ISP")
	}
	c.wantField(c.do("PUT", "/api/v1/people/ali", `{"allow_category":["gambling"]}`, "Accept-Language", "ru"), "allow_category", "gambling", "провайдера")
	if h := f.Household(); !slices.Equal(h.People[0].AllowCategory, []string{"games"}) {
		t.Errorf("a refused change changed Ali: %+v", h.People[0])
	}
	// Child categories are locked on restricted profiles only: Mom (adult)
	// may allow one, and then cannot move to a restricted profile with it.
	c.want(c.do("PUT", "/api/v1/people/mom", `{"block_category":[],"allow_category":["adult"]}`), 200, &p)
	c.wantField(c.do("PUT", "/api/v1/people/mom", `{"profile":"child"}`), "allow_category", "adult")
	// Back to the profile: empty lists, not null.
	w := c.do("PUT", "/api/v1/people/ali", `{"block_category":[],"allow_category":[]}`)
	c.want(w, 200, nil)
	if !strings.Contains(w.Body.String(), `"block_category":[],"allow_category":[]`) {
		t.Errorf("as the profile again: %s", w.Body)
	}
}

// A profile's schedules, daily time and QUIC switch, each changed alone
// (as the page does) while the rest stays.
func TestProfileSchedulesLimitQUIC(t *testing.T) {
	_, c := parent(t, newFake())
	type profile struct {
		BlockCategory     []string `json:"block_category"`
		QUIC              bool     `json:"quic"`
		Schedules         []string `json:"schedules"`
		DailyLimitMinutes *int     `json:"daily_limit_minutes"`
	}
	var before, p profile
	c.want(c.do("PUT", "/api/v1/profiles/teen", `{}`), 200, &before)
	steps := []struct {
		body  string
		check func(profile) bool
	}{
		{`{"schedules":["school_nights","homework"]}`, func(p profile) bool {
			return slices.Equal(p.Schedules, []string{"school_nights", "homework"})
		}},
		{`{"daily_limit_minutes":95}`, func(p profile) bool {
			return p.DailyLimitMinutes != nil && *p.DailyLimitMinutes == 95 && len(p.Schedules) == 2
		}},
		{`{"daily_limit_minutes":0}`, func(p profile) bool { return p.DailyLimitMinutes != nil && *p.DailyLimitMinutes == 0 }},
		{`{"quic":!}`, nil},
		{`{"quic":true}`, func(p profile) bool { return p.QUIC && p.DailyLimitMinutes != nil }},
		{`{"daily_limit_minutes":null}`, func(p profile) bool { return p.DailyLimitMinutes == nil && p.QUIC }},
		{`{"schedules":[],"quic":false}`, func(p profile) bool { return p.Schedules != nil && len(p.Schedules) == 0 && !p.QUIC }},
	}
	for _, st := range steps {
		w := c.do("PUT", "/api/v1/profiles/teen", st.body)
		if st.check == nil {
			c.wantError(w, 400, "bad_request")
			continue
		}
		c.want(w, 200, &p)
		if !st.check(p) || !slices.Equal(p.BlockCategory, before.BlockCategory) {
			t.Errorf("after %s: %+v", st.body, p)
		}
	}
	for _, tc := range []struct{ body, field string }{
		{`{"daily_limit_minutes":-1}`, "daily_limit_minutes"},
		{`{"daily_limit_minutes":1441}`, "daily_limit_minutes"},
		{`{"schedules":["School nights"]}`, "schedules"},
	} {
		c.wantField(c.do("PUT", "/api/v1/profiles/teen", tc.body), tc.field)
	}
}
