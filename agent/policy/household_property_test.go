package policy

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/config"
)

// householdGen makes random households as UCI text, from a small vocabulary
// so that rules, names and times often meet.
type householdGen struct{ r *rand.Rand }

var (
	genCategories = []string{"gambling", "games", "video", "social", "dating", "adult", "allowlist"}
	genProfiles   = []string{"under6", "child", "preteen", "teen", "adult", "unassigned", "custom"}
	genHosts      = []string{"casino.test", "games.test", "video.test", "social.test", "porn.test", "school.test",
		"play.games.test", "edu.games.test", "dating.test", "example.org", "blocked.test", "x.casino.test"}
	genWindows = []string{"mon-fri 16:00-18:00", "daily 21:00-07:00", "sat,sun 10:00-12:00", "daily 00:00-24:00", "tue 23:30-00:30"}
)

func (g householdGen) pick(list []string) string { return list[g.r.IntN(len(list))] }

// household returns a configuration with three people, their devices
// 02:00:00:00:00:0N, schedules s0..s2 and a random unassigned profile.
func (g householdGen) household() *genHousehold {
	h := &genHousehold{unassigned: g.pick(genProfiles)}
	for range 3 {
		h.schedules = append(h.schedules, genSchedule{kind: []string{"bedtime", "focus", "allowed"}[g.r.IntN(3)],
			window: g.pick(genWindows), block: g.pick(genCategories[:5])})
	}
	for range 3 {
		p := genPerson{profile: g.pick(genProfiles)}
		for range g.r.IntN(3) {
			p.blockCat = append(p.blockCat, g.pick(genCategories))
		}
		for range g.r.IntN(2) {
			p.allowCat = append(p.allowCat, g.pick(genCategories[:5]))
		}
		for range g.r.IntN(2) {
			p.block = append(p.block, g.pick(genHosts))
		}
		for range g.r.IntN(2) {
			p.allow = append(p.allow, g.pick(genHosts))
		}
		if g.r.IntN(2) == 0 {
			p.schedules = append(p.schedules, fmt.Sprintf("s%d", g.r.IntN(3)))
		}
		h.people = append(h.people, p)
	}
	h.customBlock = []string{g.pick(genCategories)}
	return h
}

type genSchedule struct{ kind, window, block string }

type genPerson struct {
	profile                          string
	blockCat, allowCat, block, allow []string
	schedules                        []string
}

type genHousehold struct {
	unassigned  string
	customBlock []string
	schedules   []genSchedule
	people      []genPerson
	// deviceProfile, when set, adds a device of nobody with that profile
	// (MAC 02:00:00:00:00:0f).
	deviceProfile string
}

func (h *genHousehold) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "config agent 'main'\n\toption unassigned_profile '%s'\n", h.unassigned)
	fmt.Fprintf(&b, "config profile 'custom'\n\toption age '12-15'\n")
	for _, c := range h.customBlock {
		fmt.Fprintf(&b, "\tlist block_category '%s'\n", c)
	}
	for i, s := range h.schedules {
		fmt.Fprintf(&b, "config schedule 's%d'\n\toption kind '%s'\n\tlist window '%s'\n", i, s.kind, s.window)
		if s.kind == "focus" {
			fmt.Fprintf(&b, "\tlist block_category '%s'\n", s.block)
		}
	}
	for i, p := range h.people {
		fmt.Fprintf(&b, "config person 'p%d'\n\toption profile '%s'\n", i, p.profile)
		for _, c := range p.blockCat {
			fmt.Fprintf(&b, "\tlist block_category '%s'\n", c)
		}
		for _, c := range p.allowCat {
			fmt.Fprintf(&b, "\tlist allow_category '%s'\n", c)
		}
		for _, d := range p.block {
			fmt.Fprintf(&b, "\tlist block '%s'\n", d)
		}
		for _, d := range p.allow {
			fmt.Fprintf(&b, "\tlist allow '%s'\n", d)
		}
		for _, s := range p.schedules {
			fmt.Fprintf(&b, "\tlist schedule '%s'\n", s)
		}
		fmt.Fprintf(&b, "config device\n\toption mac '02:00:00:00:00:0%d'\n\toption person 'p%d'\n", i+1, i)
	}
	if h.deviceProfile != "" {
		fmt.Fprintf(&b, "config device\n\toption mac '02:00:00:00:00:0f'\n\toption profile '%s'\n", h.deviceProfile)
	}
	return b.String()
}

func (h *genHousehold) clone() *genHousehold {
	c := *h
	c.customBlock = append([]string(nil), h.customBlock...)
	c.people = nil
	for _, p := range h.people {
		p.blockCat = append([]string(nil), p.blockCat...)
		p.block = append([]string(nil), p.block...)
		c.people = append(c.people, p)
	}
	return &c
}

func compileText(t *testing.T, text string, lists *category.Matcher) *Snapshot {
	t.Helper()
	cfg, err := config.LoadBytes("gen", []byte(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	s, err := Compile(cfg, lists)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// genQueries returns queries over the week from every device, an unknown
// one included.
func (g householdGen) queries(n int, loc *time.Location) []Query {
	start := time.Date(2026, 12, 7, 0, 0, 0, 0, loc)
	qs := make([]Query, 0, n)
	for range n {
		mac := [6]byte{2, 0, 0, 0, 0, byte(1 + g.r.IntN(4))}
		qs = append(qs, Query{MAC: mac, HasMAC: true, Name: []byte(g.pick(genHosts)),
			Kind: Kind(g.r.IntN(4)), Now: start.Add(time.Duration(g.r.IntN(7*24*60)) * time.Minute)})
	}
	return qs
}

// looser says after lets through what before did not.
func looser(before, after Decision) bool {
	return before.Action != Allow && after.Action == Allow
}

// TestPropertyBlockRuleNeverLoosens adds, to random households, a blocked
// category to a profile or a person, or a blocked domain to a person, and
// checks that no decision gets looser.
func TestPropertyBlockRuleNeverLoosens(t *testing.T) {
	g := householdGen{rand.New(rand.NewPCG(4, 2))}
	lists, loc := testLists(t), baku(t)
	for trial := range 300 {
		h := g.household()
		after := h.clone()
		what := ""
		switch p := &after.people[g.r.IntN(3)]; g.r.IntN(3) {
		case 0:
			c := g.pick(genCategories)
			after.customBlock = append(after.customBlock, c)
			what = "profile custom blocks " + c
		case 1:
			c := g.pick(genCategories)
			p.blockCat = append(p.blockCat, c)
			what = "a person blocks " + c
		default:
			d := g.pick(genHosts)
			p.block = append(p.block, d)
			what = "a person blocks " + d
		}
		s1, s2 := compileText(t, h.text(), lists), compileText(t, after.text(), lists)
		for _, q := range g.queries(100, loc) {
			if d1, d2 := s1.Decide(q), s2.Decide(q); looser(d1, d2) {
				t.Fatalf("trial %d: %s loosened %s for %v at %s: %+v then %+v\n%s", trial, what, q.Name, q.MAC,
					q.Now.Format("Mon 15:04"), d1, d2, after.text())
			}
		}
	}
}

// TestPropertyUnassignedNeverLooser checks that an unknown device is judged
// exactly as strictly as a device given the unassigned profile on purpose.
func TestPropertyUnassignedNeverLooser(t *testing.T) {
	g := householdGen{rand.New(rand.NewPCG(9, 9))}
	lists, loc := testLists(t), baku(t)
	unknown := [6]byte{2, 0, 0, 0, 0, 0x77}
	for trial := range 200 {
		h := g.household()
		h.deviceProfile = h.unassigned
		s := compileText(t, h.text(), lists)
		for _, q := range g.queries(50, loc) {
			configured := q
			configured.MAC = [6]byte{2, 0, 0, 0, 0, 0x0f}
			q.MAC = unknown
			du, dc := s.Decide(q), s.Decide(configured)
			if du.Action != dc.Action || du.Reason != dc.Reason {
				t.Fatalf("trial %d: unknown device %+v, device with profile %s %+v", trial, du, h.unassigned, dc)
			}
			noMAC := q
			noMAC.HasMAC = false
			if dn := s.Decide(noMAC); dn.Action != dc.Action {
				t.Fatalf("trial %d: packet without MAC %+v, configured %+v", trial, dn, dc)
			}
		}
	}
}
