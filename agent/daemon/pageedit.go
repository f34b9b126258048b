package daemon

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/config"
	"github.com/safeinternet/cpe/agent/oui"
	"github.com/safeinternet/cpe/agent/schedule"
	"github.com/safeinternet/cpe/agent/uci"
	"github.com/safeinternet/cpe/ui"
)

// The page's changes are written to the UCI file and applied by a reload
// on the daemon's main goroutine, as a SIGHUP would be; the page waits for
// it, so that what it reads next is the new state.

// reloadWait bounds how long a change waits for the main goroutine.
const reloadWait = 30 * time.Second

// Household returns the configuration as the page edits it.
func (a pageAgent) Household() ui.Household {
	cfg := a.d.cfg.Load()
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
	leases := readLeases(a.d.leasesPath())
	seen := a.d.shared.neighbours.snapshot()
	device := func(mac [6]byte) ui.DeviceConfig {
		dc := ui.DeviceConfig{MAC: config.FormatMAC(mac), RandomMAC: mac[0]&2 != 0, Vendor: vendorOf(mac)}
		if l, ok := leases[mac]; ok {
			dc.Hostname = l.hostname
		}
		if s, ok := seen[mac]; ok {
			dc.LastSeen = s.last
			for _, addr := range s.addrs {
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
		pc := ui.ProfileConfig{ID: p.Name, Builtin: builtin, Age: p.Age.String(), Restricted: p.Restricted,
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

// locked describes the ISP baseline.
func locked(cfg *config.Config) ui.Locked {
	b := cfg.Baseline
	return ui.Locked{Source: b.Path, Categories: names(b.Block), ChildCategories: names(b.ChildBlock),
		Domains: b.Domains, SafeSearch: b.SafeSearch, YouTube: b.YouTube.String()}
}

// Update applies one change: the UCI file is read, changed, validated as a
// whole, written atomically and reloaded. The file keeps its sections and
// options; its comments are not kept (as with the uci command).
func (a pageAgent) Update(u ui.Update) error {
	d := a.d
	d.editMu.Lock()
	defer d.editMu.Unlock()
	return d.edit(func(e *sectionEdit) error { return e.apply(u) })
}

// edit runs change on the configuration file's sections and applies the
// result. d.editMu is held.
func (d *Daemon) edit(change func(*sectionEdit) error) error {
	path := d.opts.ConfigPath
	secs, err := uci.ReadFile(os.DirFS(filepath.Dir(path)), filepath.Base(path))
	if err != nil {
		return fmt.Errorf("daemon: configuration: %w", err)
	}
	e := &sectionEdit{secs: secs, cfg: d.cfg.Load(), now: time.Now().In(d.shared.time.loc.Load())}
	if err := change(e); err != nil {
		return err
	}
	e.prune()
	data, err := uci.Marshal(e.secs)
	if err != nil {
		return &ui.FieldError{Msg: err.Error()}
	}
	if _, err := config.LoadBytes(path, data); err != nil {
		return asFieldError(err)
	}
	if err := uci.WriteFile(path, e.secs); err != nil {
		return fmt.Errorf("daemon: configuration: %w", err)
	}
	return d.reloadNow()
}

// reloadNow asks the main goroutine to reload and waits until it has.
func (d *Daemon) reloadNow() error {
	done := make(chan struct{})
	select {
	case d.reloadCh <- done:
	case <-time.After(reloadWait):
		return errors.New("daemon: reload: the agent is busy")
	}
	select {
	case <-done:
		return nil
	case <-time.After(reloadWait):
		return errors.New("daemon: reload: the agent is busy")
	}
}

// Activity returns the last days of every person's time and blocks.
func (a pageAgent) Activity(now time.Time, days int) []ui.Day {
	return a.d.activity.view(now.In(a.d.shared.time.loc.Load()), days)
}

// Settings returns the household-wide settings and the router's state.
func (a pageAgent) Settings(now time.Time) ui.Settings {
	d := a.d
	cfg := d.cfg.Load()
	loc := d.shared.time.loc.Load()
	s := ui.Settings{DNSBlock: cfg.DNSBlock.String(), FailMode: cfg.FailMode.String(),
		HistoryDomains: cfg.HistoryDomains, TimeZone: loc.String(), ClockSynced: !d.shared.time.unsynced.Load(),
		Now: now.In(loc), Locked: locked(cfg), Version: d.opts.Version}
	if m := d.listsNow.Load(); m != nil {
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
func (a pageAgent) Requests() []ui.Request { return a.d.requests.all(time.Now()) }

// Ask records a child's request.
func (a pageAgent) Ask(dev ui.Device, kind ui.RequestKind, name string, now time.Time) (ui.Request, error) {
	if kind == ui.AskUnblock {
		n, err := config.NormalizeDomain(name)
		if err != nil {
			return ui.Request{}, &ui.FieldError{Field: "name", Msg: err.Error()}
		}
		name = n
	} else {
		name = ""
	}
	r, err := a.d.requests.ask(dev, kind, name, now)
	if err == nil {
		a.d.log.Info("request", "id", r.ID, "kind", string(kind), "person", r.Person, "device", r.Device, "name", name)
	}
	return r, err
}

// Answer approves or denies a request; an approval of more time frees the
// person from schedules and limits until the grant ends, an approval of a
// site allows it to the person until then.
func (a pageAgent) Answer(id string, approve bool, g ui.Grant, now time.Time) (ui.Request, error) {
	d := a.d
	d.editMu.Lock()
	defer d.editMu.Unlock()
	r, ok := d.requests.get(id, now)
	switch {
	case !ok:
		return ui.Request{}, ui.ErrNotFound
	case r.State != "pending":
		return r, ui.ErrAnswered
	}
	var until time.Time
	if approve {
		local := now.In(d.shared.time.loc.Load())
		until = local.Add(time.Duration(g.Minutes) * time.Minute)
		if g.UntilTomorrow {
			y, m, day := local.Date()
			until = time.Date(y, m, day+1, 0, 0, 0, 0, local.Location())
		}
		if r.Person == "" || strings.HasPrefix(r.Person, "@") {
			return r, &ui.FieldError{Field: "decision", Msg: "the device belongs to nobody: assign it to a person first"}
		}
		err := d.edit(func(e *sectionEdit) error {
			if r.Kind == ui.AskUnblock {
				return e.allowFor(r.Person, r.Name, until)
			}
			return e.extra(&ui.Extra{Person: r.Person, Until: until})
		})
		if err != nil {
			return r, err
		}
	}
	r, err := d.requests.answer(id, approve, until, now)
	if err == nil {
		d.log.Info("request answered", "id", id, "state", r.State, "until", until.Format(time.RFC3339))
	}
	return r, err
}

// lease is one DHCP lease of dnsmasq's lease file.
type lease struct {
	hostname string
}

// leasesPath is dnsmasq's lease file (OpenWrt: /tmp/dhcp.leases).
func (d *Daemon) leasesPath() string {
	root := d.opts.SystemRoot
	if root == "" {
		root = "/"
	}
	return filepath.Join(root, "tmp", "dhcp.leases")
}

// maxLeases bounds the leases read.
const maxLeases = 1024

// readLeases reads dnsmasq's lease lines "expiry mac ip hostname
// client-id"; "*" is no host name. Unreadable lines are skipped; a missing
// file is no leases.
func readLeases(path string) map[[6]byte]lease {
	out := map[[6]byte]lease{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() && len(out) < maxLeases {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 {
			continue
		}
		mac, err := config.ParseMAC(fields[1])
		if err != nil {
			continue
		}
		host := fields[3]
		if host == "*" || len(host) > 63 {
			host = ""
		}
		out[mac] = lease{hostname: host}
	}
	return out
}

// pageWindow spells a schedule window for the page: its days Monday first,
// its times as the configuration writes them.
func pageWindow(w schedule.Window) ui.Window {
	_, times, _ := strings.Cut(w.String(), " ")
	start, end, _ := strings.Cut(times, "-")
	pw := ui.Window{Start: start, End: end}
	for i := range 7 {
		day := time.Weekday((i + 1) % 7)
		if w.Days.Has(day) {
			pw.Days = append(pw.Days, strings.ToLower(day.String()[:3]))
		}
	}
	return pw
}

// vendorOf is the maker of a device, from its MAC's OUI; "" if unknown.
func vendorOf(mac [6]byte) string { return oui.Maker(mac) }

var _ ui.Editor = pageAgent{}
