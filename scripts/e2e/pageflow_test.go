package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pagePassword is the admin password the browser sets on first run.
const pagePassword = "lab-parent-password"

// pageFamily is the household of the web page's browser test: Ali (profile child, games
// blocked by his parents) on device A, Mom (adult) on device B; device C appears under a
// new MAC that nobody has assigned.
func pageFamily(t *testing.T) fmt.Stringer {
	return stringer(fmt.Sprintf(`config agent 'main'
	list lan 'br-lan'
	option queue '0'
	option log_decisions '1'
	option resolver '192.168.50.1'

config category_list 'games'
	option format 'wildcard'
	option category 'games'
	option path '%s/scripts/lab/lists/games.txt'

config person 'ali'
	option name 'Ali'
	option profile 'child'
	list block_category 'games'

config person 'mom'
	option name 'Mom'
	option profile 'adult'

config device 'a'
	option mac '%s'
	option name 'Ali tablet'
	option person 'ali'

config device 'b'
	option mac '%s'
	option name 'Mom laptop'
	option person 'mom'
`, repoRoot(t), macA, macB))
}

type stringer string

func (s stringer) String() string { return string(s) }

// pageResult is page.mjs's one line; scenario fields stay raw.
type pageResult struct {
	Scenario    string          `json:"scenario"`
	OK          bool            `json:"ok"`
	Error       string          `json:"error"`
	Screenshots []string        `json:"screenshots"`
	Console     []string        `json:"console"`
	Raw         json.RawMessage `json:"-"`
}

// pageScenario runs one scenario of scripts/e2e/browser/page.mjs in namespace ns against the
// router's page and fails the test when it could not do its job.
func (l *lab) pageScenario(t *testing.T, ns, scenario string, args map[string]any) (pageResult, map[string]any) {
	t.Helper()
	args["artifacts"] = filepath.Join(repoRoot(t), "scripts", "e2e", "artifacts")
	args["prefix"] = "page-" + scenario
	b, _ := json.Marshal(args)
	out := l.runBrowserScript(t, ns, []string{routerV4}, 3*time.Minute, "page.mjs",
		"http://"+routerV4+":"+pagePort+"/", scenario, string(b))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	line := lines[len(lines)-1]
	var r pageResult
	var fields map[string]any
	if json.Unmarshal([]byte(line), &r) != nil || json.Unmarshal([]byte(line), &fields) != nil {
		t.Fatalf("page.mjs %s: not one JSON line:\n%s", scenario, out)
	}
	if !r.OK {
		t.Fatalf("page.mjs %s: %s (screenshots %v)", scenario, r.Error, r.Screenshots)
	}
	return r, fields
}

// testWebPageBrowser drives the page in chromium as a parent (device B) and a child (device
// A): first run, login, assigning the new device, a bedtime drawn on the weekly grid, a blocked
// attempt in the activity charts, a child asking for more time and the parent approving it
// (the child's connections then work), the language switch, and screenshots of every page at
// phone and desktop width (scripts/e2e/artifacts/page-screens-*).
func testWebPageBrowser(t *testing.T, l *lab) {
	requireBrowser(t)
	a := l.startAgent(t, pageFamily(t))
	l.setMAC(t, "c", macNew)
	defer l.setMAC(t, "c", macC)
	// Ali tries a game (blocked) and device C, nobody's, asks for the same name: the unassigned
	// profile (a child's defaults) lets games through.
	if r := l.dig(t, "a", routerV4, "www.games.test", "A", 3); r.Status != "NXDOMAIN" {
		t.Fatalf("Ali's game: %s, want NXDOMAIN", r.Status)
	}
	if r := l.dig(t, "c", routerV4, "www.games.test", "A", 3); r.Status != "NOERROR" {
		t.Fatalf("new device's game: %s, want an answer", r.Status)
	}

	t.Run("FirstRun", func(t *testing.T) {
		l.pageScenario(t, "b", "setup", map[string]any{"password": pagePassword})
		_, f := l.pageScenario(t, "b", "login", map[string]any{"password": pagePassword})
		people, _ := f["people"].([]any)
		if len(people) < 2 {
			t.Fatalf("overview after login shows %v", f["people"])
		}
		// Who is online: Ali's tablet has just asked for names.
		for _, p := range people {
			if p, _ := p.(map[string]any); p["id"] == "ali" && !strings.Contains(fmt.Sprint(p["text"]), "Online now: Ali tablet") {
				t.Errorf("Ali's card: %v", p["text"])
			}
		}
	})
	t.Run("AssignNewDevice", func(t *testing.T) {
		_, f := l.pageScenario(t, "b", "assign", map[string]any{"password": pagePassword, "mac": macNew,
			"person": "ali", "name": "Galaxy tab", "kind": "tablet"})
		if d, _ := f["device"].(map[string]any); d["person"] != "ali" {
			t.Fatalf("assigned device: %v", f["device"])
		}
		// The device now follows Ali's rules.
		if !waitUntil(10*time.Second, 300*time.Millisecond, func() bool {
			return l.dig(t, "c", routerV4, "www.games.test", "A", 3).Status == "NXDOMAIN"
		}) {
			t.Errorf("the assigned device still gets games")
		}
		conf, _ := os.ReadFile(a.config)
		if !strings.Contains(string(conf), "option mac '"+macNew+"'") || !strings.Contains(string(conf), "option name 'Galaxy tab'") {
			t.Errorf("configuration after assigning:\n%s", conf)
		}
	})
	t.Run("ActivityShowsBlocked", func(t *testing.T) {
		var f map[string]any
		if !waitUntil(10*time.Second, time.Second, func() bool {
			_, f = l.pageScenario(t, "b", "activity", map[string]any{"password": pagePassword, "person": "ali", "shots": false})
			n, _ := f["blocked_total"].(float64)
			return n >= 2
		}) {
			t.Errorf("Ali's activity: %v blocked, want at least the two games asked for", f["blocked_total"])
		}
		l.pageScenario(t, "b", "activity", map[string]any{"password": pagePassword, "person": "ali"})
	})
	allowedHTTP := func() bool {
		out, code := l.curl("a", 5, "-H", "Host: school.test", "http://"+upstreamV4+"/")
		return code == 0 && strings.HasPrefix(out, "200 ")
	}
	if !allowedHTTP() {
		t.Fatalf("Ali's allowed site does not load before bedtime")
	}
	t.Run("Bedtime", func(t *testing.T) {
		// Today and tomorrow in the router's zone, whole days: the test does not depend on the hour.
		loc, err := time.LoadLocation(labZone)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().In(loc)
		day := func(tm time.Time) string { return strings.ToLower(tm.Weekday().String()[:3]) }
		_, f := l.pageScenario(t, "b", "bedtime", map[string]any{"password": pagePassword, "name": "Lab bedtime",
			"person": "ali", "paint": []map[string]string{
				{"day": day(now), "start": "00:00", "end": "24:00"},
				{"day": day(now.AddDate(0, 0, 1)), "start": "00:00", "end": "24:00"}}})
		if people, _ := f["people"].([]any); len(people) != 1 || people[0] != "ali" {
			t.Errorf("schedule applies to %v", f["people"])
		}
		if !waitUntil(10*time.Second, 300*time.Millisecond, func() bool { return a.personState("ali")["state"] == "bedtime" }) {
			t.Fatalf("Ali not in bedtime: %v", a.personState("ali"))
		}
		if allowedHTTP() {
			t.Errorf("Ali's allowed site still loads at bedtime")
		}
	})
	t.Run("ChildAsksParentApproves", func(t *testing.T) {
		_, f := l.pageScenario(t, "a", "child-ask", map[string]any{"kind": "time"})
		if f["state"] != "bedtime" {
			t.Errorf("the child page says %v, want bedtime", f["state"])
		}
		_, f = l.pageScenario(t, "b", "approve", map[string]any{"password": pagePassword, "person": "ali", "minutes": 15})
		if req, _ := f["request"].(map[string]any); req["state"] != "approved" {
			t.Fatalf("request after approving: %v", f["request"])
		}
		approved := time.Now()
		if !waitUntil(10*time.Second, 100*time.Millisecond, allowedHTTP) {
			t.Errorf("Ali's site does not load after the parent approved more time: %v", a.personState("ali"))
		}
		t.Logf("Ali's site loads %v after the page showed the approval", time.Since(approved).Round(10*time.Millisecond))
		// What the child's page reads now: the request approved, the state open.
		out, code := l.run(15*time.Second, "a", "curl", "-sS", "--max-time", "5", "http://"+routerV4+":"+pagePort+"/api/v1/child/status")
		var st struct {
			State    string `json:"state"`
			Requests []struct {
				State string `json:"state"`
			} `json:"requests"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.State != "open" || len(st.Requests) == 0 || st.Requests[0].State != "approved" {
			t.Errorf("child status after the approval: %s", out)
		}
	})
	t.Run("ChildAsksToUnblockSite", func(t *testing.T) {
		// From the page a blocked plain-HTTP visit leads to: the child asks for the site.
		_, f := l.pageScenario(t, "a", "child-ask", map[string]any{"kind": "unblock", "site": "www.games.test"})
		if req, _ := f["request"].(map[string]any); req["state"] != "pending" {
			t.Fatalf("unblock request: %v", f)
		}
		_, f = l.pageScenario(t, "b", "approve", map[string]any{"password": pagePassword, "person": "ali", "kind": "unblock", "minutes": 30})
		if req, _ := f["request"].(map[string]any); req["state"] != "approved" {
			t.Fatalf("unblock request after approving: %v", f["request"])
		}
		if r := l.dig(t, "a", routerV4, "www.games.test", "A", 3); r.Status != "NOERROR" {
			t.Errorf("the approved site still blocked for Ali: %s", r.Status)
		}
		if r := l.dig(t, "a", routerV4, "mygames.test", "A", 3); r.Status != "NXDOMAIN" {
			t.Errorf("another game is allowed too: %s", r.Status)
		}
	})
	t.Run("Languages", func(t *testing.T) {
		_, f := l.pageScenario(t, "b", "lang", map[string]any{"password": pagePassword})
		for _, lang := range []string{"az", "ru"} {
			v, _ := f[lang].(map[string]any)
			if v["lang"] != lang {
				t.Errorf("%s: page says lang %v", lang, v["lang"])
			}
		}
		var same []any
		for _, s := range f["same"].([]any) {
			if s != "Ali" && s != "Mom" { // the household's names are not translated
				same = append(same, s)
			}
		}
		if len(same) > 0 {
			t.Errorf("texts left in English after switching: %v", same)
		}
	})
	t.Run("Screenshots", func(t *testing.T) {
		r, _ := l.pageScenario(t, "b", "screens", map[string]any{"password": pagePassword})
		phone, desktop := 0, 0
		for _, s := range r.Screenshots {
			w, _ := pngSize(t, s)
			switch {
			case strings.HasSuffix(s, "-phone.png") && w == 390:
				phone++
			case strings.HasSuffix(s, "-desktop.png") && w == 1280:
				desktop++
			}
		}
		if phone < 8 || phone != desktop {
			t.Errorf("screenshots: %d phone, %d desktop: %v", phone, desktop, r.Screenshots)
		}
	})
}
