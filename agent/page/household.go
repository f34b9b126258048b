package page

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/config"
	"github.com/safeinternet/cpe/agent/inventory"
	"github.com/safeinternet/cpe/agent/schedule"
	"github.com/safeinternet/cpe/agent/uci"
	"github.com/safeinternet/cpe/ui"
)

// Household returns the configuration as the page edits it.
func (a *Agent) Household() ui.Household {
	cfg := a.c.Config()
	h := ui.Household{Locked: locked(cfg)}
	for _, id := range category.All() {
		h.Categories = append(h.Categories, id.String())
	}
	for _, p := range cfg.People {
		pc := ui.PersonConfig{ID: p.Name, Name: p.Display, Profile: p.Profile, Allow: p.Allow, Block: p.Block,
			BlockCategory: names(p.Rules.Block), AllowCategory: names(p.Rules.Allow), Schedules: p.Rules.Schedules,
			DailyLimit: p.Rules.Limits.Daily, HasDailyLimit: p.Rules.Limits.HasDaily,
			CategoryLimits: map[string]time.Duration{}, PauseUntil: p.PauseUntil, FreeUntil: p.FreeUntil}
		for _, id := range p.Rules.Limits.HasCategory.IDs() {
			pc.CategoryLimits[id.String()] = p.Rules.Limits.Category[id]
		}
		for _, ta := range p.TempAllow {
			pc.TempAllow = append(pc.TempAllow, ui.TempAllow{Domain: ta.Domain, Until: ta.Until})
		}
		h.People = append(h.People, pc)
	}
	leases := inventory.ReadLeases(a.c.System, inventory.LeasesFile)
	seen := a.c.Devices.Snapshot()
	device := func(mac [6]byte) ui.DeviceConfig {
		dc := ui.DeviceConfig{MAC: config.FormatMAC(mac), RandomMAC: inventory.Random(mac), Vendor: inventory.Maker(mac)}
		if l, ok := leases[mac]; ok {
			dc.Hostname = l.Hostname
		}
		if s, ok := seen[mac]; ok {
			dc.LastSeen = s.Last
			for _, addr := range s.Addrs {
				dc.Addresses = append(dc.Addresses, addr.String())
			}
		}
		return dc
	}
	known := map[[6]byte]bool{}
	for _, d := range cfg.Devices {
		known[d.MAC] = true
		dc := device(d.MAC)
		dc.Name, dc.Kind, dc.Person, dc.Profile, dc.Configured = d.Name, d.Kind, d.Person, d.Profile, true
		h.Devices = append(h.Devices, dc)
	}
	var fresh []ui.DeviceConfig
	for mac := range seen {
		if known[mac] {
			continue
		}
		dc := device(mac)
		dc.Name = dc.Hostname
		if dc.Name == "" {
			dc.Name = dc.MAC
		}
		fresh = append(fresh, dc)
	}
	slices.SortFunc(fresh, func(x, y ui.DeviceConfig) int { return y.LastSeen.Compare(x.LastSeen) })
	h.Devices = append(h.Devices, fresh...)
	for _, p := range cfg.Profiles {
		_, builtin := config.Builtin(p.Name)
		pc := ui.ProfileConfig{ID: p.Name, Builtin: builtin, Age: p.Age.ProfileName(), Restricted: p.Restricted,
			BlockCategory: names(p.Rules.Block | lockedFor(cfg, p.Restricted)), SafeSearch: p.SafeSearch,
			YouTube: p.YouTube.String(), QUIC: p.QUIC, Schedules: p.Rules.Schedules,
			DailyLimit: p.Rules.Limits.Daily, HasDailyLimit: p.Rules.Limits.HasDaily}
		h.Profiles = append(h.Profiles, pc)
	}
	for _, s := range cfg.Schedules {
		sc := ui.ScheduleConfig{ID: s.Name, Name: s.Display, Kind: s.Kind.String(), BlockCategory: names(s.Block)}
		for _, w := range s.Week {
			sc.Windows = append(sc.Windows, pageWindow(w))
		}
		h.Schedules = append(h.Schedules, sc)
	}
	return h
}

// names spells a category set.
func names(s category.Set) []string {
	var out []string
	for _, id := range s.IDs() {
		out = append(out, id.String())
	}
	return out
}

// lockedFor is what the ISP baseline blocks for a profile.
func lockedFor(cfg *config.Config, restricted bool) category.Set {
	s := cfg.Baseline.Block
	if restricted {
		s |= cfg.Baseline.ChildBlock
	}
	return s
}

// locked describes the ISP baseline; its source is the isp section's name.
func locked(cfg *config.Config) ui.Locked {
	b := cfg.Baseline
	return ui.Locked{Source: strings.TrimPrefix(b.Path, config.Package+"."), Categories: names(b.Block), ChildCategories: names(b.ChildBlock),
		Domains: b.Domains, SafeSearch: b.SafeSearch, YouTube: b.YouTube.String()}
}

// Update applies one change: the UCI file is read, changed, validated as a
// whole, written atomically and reloaded. The file keeps its sections and
// options; its comments are not kept (as with the uci command).
func (a *Agent) Update(u ui.Update) error {
	a.editMu.Lock()
	defer a.editMu.Unlock()
	return a.edit(a.now(), func(e *config.Editor) error { return apply(e, u) })
}

// edit runs change on the configuration file's sections at now and
// applies the result. a.editMu is held.
func (a *Agent) edit(now time.Time, change func(*config.Editor) error) error {
	path := a.c.ConfigPath
	secs, err := uci.ReadFile(os.DirFS(filepath.Dir(path)), filepath.Base(path))
	if err != nil {
		return fmt.Errorf("page: configuration: %w", err)
	}
	secs, err = changed(secs, a.c.Config(), now.In(a.c.Clock.Zone()), change)
	if err != nil {
		return err
	}
	if err := uci.WriteFile(path, secs); err != nil {
		return fmt.Errorf("page: configuration: %w", err)
	}
	return a.c.Reload()
}

// changed runs change on secs, the sections of a file that loaded as cfg,
// at now (in the household's zone), drops what has run out, and validates
// the result as a whole. It returns the sections to write, or the refusal
// on the page's terms (pageError).
func changed(secs []*uci.Section, cfg *config.Config, now time.Time, change func(*config.Editor) error) ([]*uci.Section, error) {
	e := config.NewEditor(secs, cfg, now)
	if err := change(e); err != nil {
		return nil, pageError(err)
	}
	e.Prune()
	data, err := uci.Marshal(e.Sections())
	if err != nil {
		return nil, &ui.FieldError{Msg: err.Error()}
	}
	if _, err := config.LoadBytes(config.Package, data); err != nil {
		var fe *config.FieldError
		if errors.As(err, &fe) {
			return nil, pageError(fe)
		}
		return nil, &ui.FieldError{Msg: err.Error()}
	}
	return e.Sections(), nil
}

// Activity returns the last days of every person's time and blocks.
func (a *Agent) Activity(now time.Time, days int) []ui.Day {
	hist := a.c.History.Days(now.In(a.c.Clock.Zone()), days)
	out := make([]ui.Day, 0, len(hist))
	for _, d := range hist {
		day := ui.Day{Date: d.Date}
		for _, pd := range d.People {
			day.People = append(day.People, ui.PersonDay(pd))
		}
		out = append(out, day)
	}
	return out
}

// Settings returns the household-wide settings and the router's state.
func (a *Agent) Settings(now time.Time) ui.Settings {
	cfg := a.c.Config()
	loc := a.c.Clock.Zone()
	s := ui.Settings{DNSBlock: cfg.DNSBlock.String(), FailMode: cfg.FailMode.String(),
		HistoryDomains: cfg.HistoryDomains, TimeZone: loc.String(), ClockSynced: !a.c.Clock.Unsynced(),
		Now: now.In(loc), Locked: locked(cfg), Version: a.c.Version}
	if m := a.c.Lists(); m != nil {
		s.Names = m.Len()
	}
	for _, l := range cfg.Lists {
		ls := ui.ListState{Name: l.Name, Format: l.Format, File: l.File, State: "ready"}
		if fi, err := os.Stat(l.File); err != nil {
			ls.State, ls.Error = "failed", err.Error()
		} else {
			ls.Updated = fi.ModTime()
		}
		s.Lists = append(s.Lists, ls)
	}
	return s
}

// Requests returns children's requests, newest first.
func (a *Agent) Requests() []ui.Request { return a.requests.all(a.now()) }

// Ask records a child's request.
func (a *Agent) Ask(dev ui.Device, kind ui.RequestKind, name string, now time.Time) (ui.Request, error) {
	if kind == ui.AskUnblock {
		n, err := config.NormalizeDomain(name)
		if err != nil {
			return ui.Request{}, &ui.FieldError{Field: "name", Msg: err.Error()}
		}
		name = n
	} else {
		name = ""
	}
	r, err := a.requests.ask(dev, kind, name, now)
	if err == nil {
		a.c.Log.Info("request", "id", r.ID, "kind", string(kind), "person", r.Person, "device", r.Device, "name", name)
	}
	return r, err
}

// Answer approves or denies a request; an approval of more time frees the
// person from schedules and limits until the grant ends (extra time that
// runs longer stays), an approval of a site allows it to the person until
// then. An approval grants at least a minute, to a person.
func (a *Agent) Answer(id string, approve bool, g ui.Grant, now time.Time) (ui.Request, error) {
	a.editMu.Lock()
	defer a.editMu.Unlock()
	r, ok := a.requests.get(id, now)
	switch {
	case !ok:
		return ui.Request{}, ui.ErrNotFound
	case r.State != "pending":
		return r, ui.ErrAnswered
	}
	var until time.Time
	if approve {
		if g.Minutes < 1 && !g.UntilTomorrow {
			return r, &ui.FieldError{Field: "minutes", Msg: "an approval grants at least a minute"}
		}
		local := now.In(a.c.Clock.Zone())
		until = local.Add(time.Duration(g.Minutes) * time.Minute)
		if g.UntilTomorrow {
			y, m, day := local.Date()
			until = time.Date(y, m, day+1, 0, 0, 0, 0, local.Location())
		}
		if r.Person == "" || strings.HasPrefix(r.Person, "@") {
			return r, &ui.FieldError{Field: "decision", Msg: "the device belongs to nobody: assign it to a person first"}
		}
		cfg := a.c.Config()
		err := a.edit(now, func(e *config.Editor) error {
			if r.Kind == ui.AskUnblock {
				return e.AllowFor(r.Person, r.Name, until)
			}
			free := until
			if i := slices.IndexFunc(cfg.People, func(p config.Person) bool { return p.Name == r.Person }); i >= 0 &&
				cfg.People[i].FreeUntil.After(free) {
				free = cfg.People[i].FreeUntil
			}
			return e.Free(r.Person, free)
		})
		if err != nil {
			return r, err
		}
	}
	r, err := a.requests.answer(id, approve, until, now)
	if err == nil {
		a.c.Log.Info("request answered", "id", id, "state", r.State, "until", until.Format(time.RFC3339))
	}
	return r, err
}

// pageWindow spells a schedule window for the page: its days Monday first,
// its times as the configuration writes them.
func pageWindow(w schedule.Window) ui.Window {
	_, times, _ := strings.Cut(w.String(), " ")
	start, end, _ := strings.Cut(times, "-")
	pw := ui.Window{Start: start, End: end}
	for i := range 7 {
		if day := (i + 1) % 7; w.Days.Has(time.Weekday(day)) {
			pw.Days = append(pw.Days, pageDays[day])
		}
	}
	return pw
}
