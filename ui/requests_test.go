package ui_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/safeinternet/cpe/ui/uitest"
)

// personState is a person in the overview's shape.
type personState struct {
	ID           string `json:"id"`
	State        string `json:"state"`
	LimitSeconds *int   `json:"limit_seconds"`
}

func TestPauseAndExtra(t *testing.T) {
	_, c := parent(t, newFake())
	var p personState
	c.want(c.do("POST", "/api/v1/people/ali/pause", `{"minutes":30}`), 200, &p)
	if p.ID != "ali" || p.State != "paused" {
		t.Errorf("paused: %+v", p)
	}
	c.want(c.do("POST", "/api/v1/people/ali/pause", `{"resume":true}`), 200, &p)
	if p.State != "open" {
		t.Errorf("resumed: %+v", p)
	}
	c.want(c.do("POST", "/api/v1/people/ali/pause", `{"until":"2026-03-02T22:00:00+04:00"}`), 200, &p)
	if p.State != "paused" {
		t.Errorf("paused until: %+v", p)
	}
	c.want(c.do("POST", "/api/v1/people/leyla/pause", `{"forever":true}`), 200, &p)
	if p.State != "paused" {
		t.Errorf("paused forever: %+v", p)
	}
	c.want(c.do("POST", "/api/v1/people/leyla/extra", `{"minutes":45}`), 200, &p)
	if *p.LimitSeconds != (3*60+45)*60 {
		t.Errorf("extra: %+v", p)
	}
	for _, tc := range []struct{ name, path, body, field, want string }{
		{"nothing", "/api/v1/people/ali/pause", `{}`, "minutes", "minutes, until, forever, resume"},
		{"two", "/api/v1/people/ali/pause", `{"minutes":5,"forever":true}`, "forever", "exactly one"},
		{"zero minutes", "/api/v1/people/ali/pause", `{"minutes":0}`, "minutes", "1 to 1440"},
		{"a day and more", "/api/v1/people/ali/pause", `{"minutes":1441}`, "minutes", "1 to 1440"},
		{"not a time", "/api/v1/people/ali/pause", `{"until":"tomorrow"}`, "until", "RFC 3339"},
		{"in the past", "/api/v1/people/ali/pause", `{"until":"2026-03-02T15:00:00Z"}`, "until", "future"},
		{"forever false", "/api/v1/people/ali/pause", `{"forever":false}`, "forever", "true"},
		{"extra too long", "/api/v1/people/ali/extra", `{"minutes":721}`, "minutes", "1 to 720"},
		{"extra nothing", "/api/v1/people/ali/extra", `{}`, "minutes", "minutes, until"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			c.wantField(c.do("POST", tc.path, tc.body), tc.field, tc.want)
		})
	}
	c.t = t
	c.wantError(c.do("POST", "/api/v1/people/zara/pause", `{"minutes":5}`), 404, "not_found")
	c.wantError(c.do("POST", "/api/v1/people/zara/extra", `{"minutes":5}`), 404, "not_found")
	c.wantError(c.do("POST", "/api/v1/people/ali/pause", `{"minutes":"5"}`), 400, "bad_request")
}

func TestActivityAndSettings(t *testing.T) {
	_, c := parent(t, newFake())
	var a struct {
		Days []struct {
			Date   string `json:"date"`
			People []struct {
				Person          string          `json:"person"`
				UsedSeconds     int             `json:"used_seconds"`
				CategorySeconds map[string]int  `json:"category_seconds"`
				Blocked         map[string]int  `json:"blocked"`
				Domains         *map[string]int `json:"domains"`
			} `json:"people"`
		} `json:"days"`
	}
	c.want(c.do("GET", "/api/v1/activity", ""), 200, &a)
	if len(a.Days) != 7 || a.Days[6].Date != "2026-03-02" || a.Days[6].People[0].UsedSeconds != 70*60 {
		t.Fatalf("activity: %+v", a)
	}
	if a.Days[0].People[0].Domains != nil {
		t.Error("domains without history_domains")
	}
	c.want(c.do("GET", "/api/v1/activity?days=14", ""), 200, &a)
	if len(a.Days) != 14 {
		t.Errorf("%d days, want 14", len(a.Days))
	}
	for _, q := range []string{"0", "15", "x", ""} {
		c.wantField(c.do("GET", "/api/v1/activity?days="+q, ""), "days", "1 to 14")
	}
	var st struct {
		DNSBlock       string `json:"dns_block"`
		FailMode       string `json:"fail_mode"`
		HistoryDomains bool   `json:"history_domains"`
		Now            string `json:"now"`
		Lists          []struct {
			State string  `json:"state"`
			Error *string `json:"error"`
		} `json:"lists"`
	}
	c.want(c.do("GET", "/api/v1/settings", ""), 200, &st)
	if st.DNSBlock != "page" || st.FailMode != "closed" || st.Now != "2026-03-02T16:00:00Z" || len(st.Lists) == 0 || st.Lists[0].Error != nil {
		t.Errorf("settings %+v", st)
	}
	c.want(c.do("PUT", "/api/v1/settings", `{"dns_block":"nxdomain","history_domains":true}`), 200, &st)
	if st.DNSBlock != "nxdomain" || st.FailMode != "closed" || !st.HistoryDomains {
		t.Errorf("changed settings %+v", st)
	}
	c.want(c.do("GET", "/api/v1/activity?days=1", ""), 200, &a)
	if a.Days[0].People[0].Domains == nil {
		t.Error("no domains with history_domains")
	}
	c.wantField(c.do("PUT", "/api/v1/settings", `{"dns_block":"refuse"}`), "dns_block", "nxdomain, null, page")
	c.wantField(c.do("PUT", "/api/v1/settings", `{"fail_mode":"half"}`), "fail_mode", "closed, open")
}

// requestOf is a request in the parent's shape.
type requestOf struct {
	ID         string  `json:"id"`
	Kind       string  `json:"kind"`
	Person     string  `json:"person"`
	PersonName *string `json:"person_name"`
	DeviceName *string `json:"device_name"`
	Name       *string `json:"name"`
	State      string  `json:"state"`
	Until      *string `json:"until"`
}

func TestRequests(t *testing.T) {
	_, c := parent(t, newFake())
	var rs struct {
		Requests []requestOf `json:"requests"`
	}
	c.want(c.do("GET", "/api/v1/requests", ""), 200, &rs)
	if len(rs.Requests) == 0 || rs.Requests[0].ID != uitest.PendingRequest || rs.Requests[0].State != "pending" ||
		*rs.Requests[0].PersonName != "Ali" || *rs.Requests[0].DeviceName != "Ali's tablet" || rs.Requests[0].Name != nil {
		t.Fatalf("requests %+v", rs.Requests)
	}
	path := "/api/v1/requests/" + uitest.PendingRequest
	for _, tc := range []struct{ name, body, field, want string }{
		{"decision", `{"decision":"maybe"}`, "decision", "approve, deny"},
		{"approve without a grant", `{"decision":"approve"}`, "minutes", "minutes, until_tomorrow"},
		{"both grants", `{"decision":"approve","minutes":15,"until_tomorrow":true}`, "until_tomorrow", "exactly one"},
		{"minutes", `{"decision":"approve","minutes":20}`, "minutes", "15, 30, 60"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			c.wantField(c.do("POST", path, tc.body), tc.field, tc.want)
		})
	}
	c.t = t
	var q requestOf
	c.want(c.do("POST", path, `{"decision":"approve","minutes":30}`), 200, &q)
	if q.State != "approved" || q.Until == nil || *q.Until != "2026-03-02T16:30:00Z" {
		t.Errorf("approved %+v", q)
	}
	var ov struct {
		People []personState `json:"people"`
	}
	c.want(c.do("GET", "/api/v1/overview", ""), 200, &ov)
	if ov.People[0].State != "open" || *ov.People[0].LimitSeconds != (120+30)*60 {
		t.Errorf("after approval %+v", ov.People[0])
	}
	c.wantError(c.do("POST", path, `{"decision":"deny"}`), http.StatusConflict, "answered")
	c.wantError(c.do("POST", "/api/v1/requests/r999", `{"decision":"deny"}`), 404, "not_found")
}

// childStatus is the child's status, with the fields these tests read.
type childStatus struct {
	Device struct {
		MAC string `json:"mac"`
	} `json:"device"`
	Person  string `json:"person"`
	Blocked []struct {
		Name     string  `json:"name"`
		Category *string `json:"category"`
	} `json:"blocked"`
	Requests []struct {
		ID   string  `json:"id"`
		Name *string `json:"name"`
	} `json:"requests"`
	TimeZone  string `json:"time_zone"`
	CSRFToken string `json:"csrf_token"`
}

func TestChildSeesOnlyItself(t *testing.T) {
	f := newFake()
	s := newEditorServer(t, f, nil) // no password set: child routes need none
	for _, tc := range []struct {
		ip, person, mac string
		others          []string
		blocked         int
	}{
		{"192.168.1.20", "ali", uitest.MACAliTablet, []string{"leyla", "tinder", "casino-royal"}, 4},
		{"192.168.1.21", "leyla", uitest.MACLeylaPhone, []string{"ali", "roblox", "tiktok"}, 2},
		// No device has it: the fake's default device.
		{"127.0.0.1", "ali", uitest.MACAliTablet, []string{"leyla", "tinder"}, 4},
	} {
		c := newClient(t, s, tc.ip)
		w := c.do("GET", "/api/v1/child/status", "")
		var st childStatus
		c.want(w, 200, &st)
		if st.Person != tc.person || st.Device.MAC != tc.mac || len(st.Blocked) != tc.blocked || st.CSRFToken == "" {
			t.Errorf("%s: %+v", tc.ip, st)
		}
		// The random token could spell anything: leave it out.
		body := strings.ToLower(strings.Replace(w.Body.String(), st.CSRFToken, "", 1))
		for _, other := range append(tc.others, "mom", "galaxy", "discord", "malware-test") {
			if strings.Contains(body, other) {
				t.Errorf("%s: the child's status mentions %q: %s", tc.ip, other, body)
			}
		}
		if c.jar["si_csrf"] == nil || c.jar["si_csrf"].Value != st.CSRFToken {
			t.Errorf("%s: no si_csrf cookie for the token", tc.ip)
		}
	}
	f.SetDeviceFor("")
	c := newClient(t, s, "192.168.1.99")
	c.wantError(c.do("GET", "/api/v1/child/status", ""), 404, "unknown_device")
	c.token = "whatever"
	c.wantError(c.do("POST", "/api/v1/child/requests", `{"kind":"time"}`), 403, "csrf")
}

func TestChildAsks(t *testing.T) {
	f := newFake()
	s := newEditorServer(t, f, nil)
	c := newClient(t, s, "192.168.1.20")
	// Without the token (a foreign site posting from the child's browser).
	c.wantError(c.do("POST", "/api/v1/child/requests", `{"kind":"unblock","name":"game.example"}`), 403, "csrf")
	var st childStatus
	c.want(c.do("GET", "/api/v1/child/status", ""), 200, &st)
	c.token = st.CSRFToken
	if st.TimeZone == "" {
		t.Errorf("the child's status names no time zone")
	}
	c.wantError(c.do("POST", "/api/v1/child/requests", `{"kind":"unblock","name":"game.example"}`,
		"Origin", "http://evil.example"), 403, "cross_origin")
	var q struct {
		ID    string  `json:"id"`
		Kind  string  `json:"kind"`
		Name  *string `json:"name"`
		State string  `json:"state"`
	}
	c.want(c.do("POST", "/api/v1/child/requests", `{"kind":"unblock","name":"Game.Example."}`), 201, &q)
	if q.Kind != "unblock" || *q.Name != "game.example" || q.State != "pending" {
		t.Errorf("asked %+v", q)
	}
	c.want(c.do("GET", "/api/v1/child/status", ""), 200, &st)
	if len(st.Requests) != 2 || st.Requests[0].ID != q.ID || st.Requests[1].ID != uitest.PendingRequest {
		t.Errorf("the child's requests %+v", st.Requests)
	}
	// One pending per kind: Ali's time request (r1) is pending already.
	for _, body := range []string{`{"kind":"time"}`, `{"kind":"unblock","name":"other.example"}`} {
		w := c.do("POST", "/api/v1/child/requests", body)
		c.wantError(w, http.StatusTooManyRequests, "rate_limited")
		if w.Header().Get("Retry-After") != "300" {
			t.Errorf("Retry-After %q", w.Header().Get("Retry-After"))
		}
	}
	c.wantField(c.do("POST", "/api/v1/child/requests", `{"kind":"pizza"}`), "kind", "time, unblock")
	c.wantField(c.do("POST", "/api/v1/child/requests", `{"kind":"unblock"}`), "name", "Required")
	c.wantField(c.do("POST", "/api/v1/child/requests", `{"kind":"unblock","name":"http://x.example/"}`), "name", "http://x.example/")
	// Leyla's phone has its own limits, and sees none of Ali's requests.
	l := newClient(t, s, "192.168.1.21")
	l.want(l.do("GET", "/api/v1/child/status", ""), 200, &st)
	l.token = st.CSRFToken
	l.want(l.do("POST", "/api/v1/child/requests", `{"kind":"time"}`), 201, nil)
	l.want(l.do("GET", "/api/v1/child/status", ""), 200, &st)
	for _, r := range st.Requests {
		if r.ID == q.ID || r.ID == uitest.PendingRequest {
			t.Errorf("Leyla sees Ali's request %s", r.ID)
		}
	}
	// The parent sees every request.
	var rs struct {
		Requests []requestOf `json:"requests"`
	}
	p := newClient(t, s, "192.168.1.10")
	p.setup()
	p.want(p.do("GET", "/api/v1/requests", ""), 200, &rs)
	if len(rs.Requests) != 4 || rs.Requests[0].Person != "leyla" || rs.Requests[1].Kind != "unblock" {
		t.Errorf("parent's requests %+v", rs.Requests)
	}
}
