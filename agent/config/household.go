package config

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/schedule"
)

// Defaults of time accounting.
const (
	defaultPeriod    = time.Minute
	maxPeriod        = time.Hour
	defaultThreshold = 20000 // bytes per minute: push and keepalives stay below
	defaultUIPort    = 8090  // the web page, on the LAN addresses only
	maxLimit         = 24 * time.Hour
	maxBonus         = 24 * time.Hour
)

// agentTime converts the agent section's time accounting options.
func (b *builder) agentTime(cfg *Config, a *AgentSection, opt func(string) string) {
	cfg.Period = defaultPeriod
	if f := a.Period; f.Value != "" {
		n, err := parseUint(f.Value, 1, uint64(maxPeriod/time.Second))
		if err != nil {
			b.invalid(opt("accounting_period"), f.Line, fmt.Errorf("%w (seconds)", err))
		} else {
			cfg.Period = time.Duration(n) * time.Second
		}
	}
	// The threshold is written per minute and scaled to the period.
	perMinute := b.number(opt("activity_threshold"), a.Threshold, defaultThreshold, 0, 1<<40)
	cfg.Threshold = uint64(float64(perMinute) * cfg.Period.Seconds() / 60)
	cfg.UIPort = uint16(b.number(opt("ui_port"), a.UIPort, defaultUIPort, 0, 65535))
	for _, f := range a.UIFrame {
		u, err := url.Parse(f.Value)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
			b.invalid(opt("ui_frame_ancestor"), f.Line, fmt.Errorf("%q is not an origin such as https://192.168.1.1", f.Value))
			continue
		}
		cfg.UIFrame = append(cfg.UIFrame, f.Value)
	}
	switch v := a.Unsynced.Value; v {
	case "", "strict":
		cfg.Unsynced = UnsyncedStrict
	case "clock":
		cfg.Unsynced = UnsyncedClock
	default:
		b.invalid(opt("unsynced_clock"), a.Unsynced.Line, fmt.Errorf("%q is not a policy: use strict or clock", v))
	}
}

// baseline converts the ISP section.
func (b *builder) baseline(cfg *Config, sections []*ISPSection) {
	for i, s := range sections {
		path := sectionPath(s.Section, typeISP, i)
		if i > 0 {
			b.add(path, sectionLine(s.Section), problemf(ErrRepeated, "more than one isp section (the first is %s)",
				sectionPath(sections[0].Section, typeISP, 0)))
			continue
		}
		b.strays(path, s.Stray)
		bl := &cfg.Baseline
		bl.Path = path
		bl.Block = b.categories(path, OptBlockCategory, s.BlockCategory)
		bl.ChildBlock = b.categories(path, "child_block_category", s.ChildBlockCategory)
		bl.Domains = b.domains(path, OptBlock, s.Block)
		bl.SafeSearch = b.flag(path+"."+OptSafeSearch, s.SafeSearch, false)
		if f := s.YouTube; f.Value != "" {
			m, err := ParseYouTube(f.Value)
			if err != nil {
				b.invalid(path+"."+OptYouTube, f.Line, err)
			}
			bl.YouTube = m
		}
	}
}

// schedules converts the schedule sections and returns their names.
func (b *builder) schedules(cfg *Config, sections []*ScheduleSection) map[string]bool {
	names := map[string]bool{}
	for i, s := range sections {
		path := sectionPath(s.Section, typeSchedule, i)
		b.strays(path, s.Stray)
		if !b.named(path, s.Section, "a schedule", "people and profiles") {
			continue
		}
		sc := Schedule{Path: path, Name: s.Section.Name, Display: s.Name.Value}
		if err := checkDeviceName(s.Name.Value); err != nil {
			b.invalid(path+"."+OptName, s.Name.Line, err)
		}
		if sc.Display == "" {
			sc.Display = sc.Name
		}
		if v := s.Kind.Value; v == "" {
			b.add(path+"."+OptKind, sectionLine(s.Section), problemf(ErrInvalid, "missing: bedtime, focus or allowed"))
		} else if k, err := ParseScheduleKind(v); err != nil {
			b.invalid(path+"."+OptKind, s.Kind.Line, err)
		} else {
			sc.Kind = k
		}
		for _, f := range s.Window {
			w, err := schedule.ParseWindow(f.Value)
			if err != nil {
				b.invalid(path+"."+OptWindow, f.Line, err)
				continue
			}
			sc.Week = append(sc.Week, w)
		}
		if len(s.Window) == 0 {
			b.add(path+"."+OptWindow, sectionLine(s.Section), problemf(ErrInvalid, "missing: a schedule needs at least one window, such as 'sun-thu 21:00-07:00'"))
		}
		sc.Block = b.categories(path, OptBlockCategory, s.BlockCategory)
		if sc.Kind == Focus && sc.Block == 0 && len(s.BlockCategory) == 0 {
			b.add(path+"."+OptBlockCategory, sectionLine(s.Section), problemf(ErrInvalid, "missing: a focus schedule blocks the categories it names"))
		}
		if sc.Kind != Focus && len(s.BlockCategory) > 0 {
			b.invalid(path+"."+OptBlockCategory, s.BlockCategory[0].Line, fmt.Errorf("only a focus schedule blocks categories; a %s schedule allows nothing but the allowlist", sc.Kind))
		}
		names[sc.Name] = true
		cfg.Schedules = append(cfg.Schedules, sc)
	}
	return names
}

// profiles converts the built-in profiles and the profile sections, and
// returns the set of names.
func (b *builder) profiles(cfg *Config, sections []*ProfileSection, schedules map[string]bool) map[string]bool {
	names := make(map[string]bool, len(sections)+len(builtinProfiles))
	bySection := map[string]*ProfileSection{}
	for i, p := range sections {
		path := sectionPath(p.Section, typeProfile, i)
		b.strays(path, p.Stray)
		if !b.named(path, p.Section, "a profile", "people and devices") {
			continue
		}
		bySection[p.Section.Name] = p
	}
	for _, bp := range builtinProfiles {
		prof := Profile{Name: bp.name, Age: bp.age}
		if p := bySection[bp.name]; p != nil {
			prof.Path = Package + "." + p.Section.Path()
			b.profile(cfg, &prof, p, schedules)
			delete(bySection, bp.name)
		} else {
			b.profile(cfg, &prof, &ProfileSection{}, schedules)
		}
		names[prof.Name] = true
		cfg.Profiles = append(cfg.Profiles, prof)
	}
	for i, p := range sections {
		if p.Section == nil || bySection[p.Section.Name] != p {
			continue
		}
		prof := Profile{Path: sectionPath(p.Section, typeProfile, i), Name: p.Section.Name}
		b.profile(cfg, &prof, p, schedules)
		names[prof.Name] = true
		cfg.Profiles = append(cfg.Profiles, prof)
	}
	return names
}

// profile fills prof from its band's preset and the options of p.
func (b *builder) profile(cfg *Config, prof *Profile, p *ProfileSection, schedules map[string]bool) {
	path := prof.Path
	if f := p.Age; f.Value != "" {
		a, err := parseAge(f.Value)
		if err != nil {
			b.invalid(path+".age", f.Line, err)
		} else {
			prof.Age = a
		}
	}
	pre := presets[prof.Age]
	flag := func(name string, f Field, def bool) bool { return b.flag(path+"."+name, f, def) }
	restrictedDef := pre.restricted || prof.Age == AgeNone
	prof.Restricted = flag("restricted", p.Restricted, restrictedDef)
	prof.QUIC = flag(OptQUIC, p.QUIC, true)
	safeDef := pre.safeSearch
	if prof.Age == AgeNone {
		safeDef = prof.Restricted
	}
	prof.SafeSearch = flag(OptSafeSearch, p.SafeSearch, safeDef)
	prof.YouTube = pre.youTube
	if prof.Age == AgeNone && prof.Restricted {
		prof.YouTube = YouTubeModerate
	}
	if f := p.YouTube; f.Value != "" {
		m, err := ParseYouTube(f.Value)
		if err != nil {
			b.invalid(path+"."+OptYouTube, f.Line, err)
		} else {
			prof.YouTube = m
		}
	}
	prof.Rules = b.rules(path, &p.Rules, schedules)
	prof.Rules.Block = (pre.block | prof.Rules.Block) &^ prof.Rules.Allow

	// The ISP floor: a profile may not loosen what the baseline locks.
	bl := &cfg.Baseline
	if bl.Path == "" {
		return
	}
	b.floor(cfg, path, p.Rules.AllowCategory, prof.Restricted)
	if !prof.Restricted {
		return
	}
	// A default below the floor is raised to it; an option written below
	// it is refused.
	if bl.SafeSearch && !prof.SafeSearch {
		if p.SafeSearch.Set {
			b.invalid(path+"."+OptSafeSearch, p.SafeSearch.Line, fmt.Errorf("SafeSearch is locked on for restricted profiles by the ISP baseline (%s.safesearch)", bl.Path))
		}
		prof.SafeSearch = true
	}
	if prof.YouTube < bl.YouTube {
		if p.YouTube.Set {
			b.invalid(path+"."+OptYouTube, p.YouTube.Line, fmt.Errorf("YouTube Restricted Mode %s is locked as the least for restricted profiles by the ISP baseline (%s.youtube)", bl.YouTube, bl.Path))
		}
		prof.YouTube = bl.YouTube
	}
}

// rules converts the rule options shared by people and profiles and checks
// them against the ISP floor.
func (b *builder) rules(path string, r *RuleFields, schedules map[string]bool) Rules {
	var out Rules
	out.Block = b.categories(path, OptBlockCategory, r.BlockCategory)
	out.Allow = b.categories(path, OptAllowCategory, r.AllowCategory)
	for _, f := range r.Schedule {
		switch {
		case !schedules[f.Value]:
			b.invalid(path+"."+OptSchedule, f.Line, unknownName("schedule", f.Value, schedules))
		case slices.Contains(out.Schedules, f.Value):
		default:
			out.Schedules = append(out.Schedules, f.Value)
		}
	}
	if f := r.DailyLimit; f.Value != "" {
		d, err := parseLimit(f.Value)
		if err != nil {
			b.invalid(path+"."+OptDailyLimit, f.Line, err)
		} else {
			out.Limits.Daily, out.Limits.HasDaily = d, true
		}
	}
	for _, f := range r.CategoryLimit {
		name, dur, ok := strings.Cut(strings.TrimSpace(f.Value), " ")
		id, known := category.ParseID(name)
		if !ok || !known {
			b.invalid(path+"."+OptCategoryLimit, f.Line, fmt.Errorf("%q is not a category limit such as 'games 60m'%s", f.Value, categoryHint(name)))
			continue
		}
		d, err := parseLimit(strings.TrimSpace(dur))
		if err != nil {
			b.invalid(path+"."+OptCategoryLimit, f.Line, err)
			continue
		}
		out.Limits.Category[id] = d
		out.Limits.HasCategory = out.Limits.HasCategory.With(id)
	}
	return out
}

// floor reports allow options that would loosen the ISP baseline.
func (b *builder) floor(cfg *Config, path string, allowLines []Field, restricted bool) {
	bl := &cfg.Baseline
	locked := bl.Block
	if restricted {
		locked |= bl.ChildBlock
	}
	for _, f := range allowLines {
		if id, ok := category.ParseID(f.Value); ok && locked.Has(id) {
			b.invalid(path+"."+OptAllowCategory, f.Line, fmt.Errorf("%s is locked by the ISP baseline (%s): it cannot be allowed", id, bl.Path))
		}
	}
}

// people converts the person sections and returns their names.
func (b *builder) people(cfg *Config, sections []*PersonSection, profiles, schedules map[string]bool) map[string]bool {
	names := map[string]bool{}
	restricted := map[string]bool{}
	for _, p := range cfg.Profiles {
		restricted[p.Name] = p.Restricted
	}
	for i, p := range sections {
		path := sectionPath(p.Section, typePerson, i)
		b.strays(path, p.Stray)
		if !b.named(path, p.Section, "a person", "devices") {
			continue
		}
		per := Person{Path: path, Name: p.Section.Name, Display: p.Name.Value, Profile: p.Profile.Value}
		if err := checkDeviceName(p.Name.Value); err != nil {
			b.invalid(path+"."+OptName, p.Name.Line, err)
		}
		if per.Display == "" {
			per.Display = per.Name
		}
		switch {
		case per.Profile == "":
			b.add(path+"."+OptProfile, sectionLine(p.Section), problemf(ErrInvalid, "missing: every person has a profile, such as child or adult"))
			per.Profile = DefaultUnassigned
		case !profiles[per.Profile]:
			b.invalid(path+"."+OptProfile, p.Profile.Line, unknownProfile(per.Profile, profiles))
			per.Profile = DefaultUnassigned
		}
		per.Allow = b.domains(path, OptAllow, p.Allow)
		per.Block = b.domains(path, OptBlock, p.Block)
		per.Rules = b.rules(path, &p.Rules, schedules)
		b.floor(cfg, path, p.Rules.AllowCategory, restricted[per.Profile])
		for _, f := range p.TempAllow {
			ta, err := parseTempAllow(f.Value)
			if err != nil {
				b.invalid(path+"."+OptTempAllow, f.Line, err)
				continue
			}
			per.TempAllow = append(per.TempAllow, ta)
		}
		for i, f := range slices.Concat(p.Allow, p.TempAllow) {
			value, _, _ := strings.Cut(f.Value, " ")
			name, err := NormalizeDomain(value)
			if err != nil {
				continue
			}
			opt := "." + OptAllow
			if i >= len(p.Allow) {
				opt = "." + OptTempAllow
			}
			for _, d := range cfg.Baseline.Domains {
				if name == d || strings.HasSuffix(name, "."+d) {
					b.invalid(path+opt, f.Line, fmt.Errorf("%s is blocked by the ISP baseline (%s.block %s): it cannot be allowed", name, cfg.Baseline.Path, d))
				}
			}
		}
		per.PauseUntil = b.until(path+"."+OptPauseUntil, p.PauseUntil, true)
		per.FreeUntil = b.until(path+"."+OptFreeUntil, p.FreeUntil, false)
		for _, f := range p.Bonus {
			bonus, err := parseBonus(f.Value)
			if err != nil {
				b.invalid(path+"."+OptBonus, f.Line, err)
				continue
			}
			per.Bonus = append(per.Bonus, bonus)
		}
		names[per.Name] = true
		cfg.People = append(cfg.People, per)
	}
	return names
}

// lists converts the category_list sections; disabled ones are left out.
func (b *builder) lists(cfg *Config, sections []*ListSection) {
	for i, s := range sections {
		path := sectionPath(s.Section, typeList, i)
		b.strays(path, s.Stray)
		l := List{Path: path, File: s.Path.Value, Format: s.Format.Value}
		if s.Section != nil {
			l.Name = s.Section.Name
		}
		if l.File == "" {
			b.add(path+".path", sectionLine(s.Section), problemf(ErrInvalid, "missing: the list's file"))
		}
		if l.Format == "" {
			l.Format = "auto"
		}
		if l.Format != "ut1" {
			if _, ok := category.ParseFormat(l.Format); !ok {
				b.invalid(path+".format", s.Format.Line, fmt.Errorf("%q is not a list format: use ut1, domains, hosts, adblock, wildcard or auto", l.Format))
			}
			id, ok := category.ParseID(s.Category.Value)
			switch {
			case s.Category.Value == "":
				b.add(path+".category", sectionLine(s.Section), problemf(ErrInvalid, "missing: the category of the list's names"))
			case !ok:
				b.invalid(path+".category", s.Category.Line, fmt.Errorf("%q is not a category%s", s.Category.Value, categoryHint(s.Category.Value)))
			}
			l.Category = id
		} else if s.Category.Value != "" {
			b.invalid(path+".category", s.Category.Line, fmt.Errorf("a ut1 list takes its categories from its folders"))
		}
		if b.flag(path+".enabled", s.Enabled, true) {
			cfg.Lists = append(cfg.Lists, l)
		}
	}
}

// categories converts a list of category names, option opt of the
// section at path.
func (b *builder) categories(path, opt string, fields []Field) category.Set {
	var s category.Set
	for _, f := range fields {
		id, ok := category.ParseID(f.Value)
		if !ok {
			b.invalid(path+"."+opt, f.Line, fmt.Errorf("%q is not a category%s", f.Value, categoryHint(f.Value)))
			continue
		}
		s = s.With(id)
	}
	return s
}

// categoryHint suggests the category meant by name, or lists them all.
func categoryHint(name string) string {
	var known []string
	for _, id := range category.All() {
		known = append(known, id.String())
	}
	if s := suggest(name, known); s != "" {
		return " (did you mean " + s + "?)"
	}
	return " (known: " + strings.Join(known, ", ") + ")"
}

// domains converts a list of domain names, option opt of the section at
// path, dropping duplicates.
func (b *builder) domains(path, opt string, fields []Field) []string {
	var out []string
	for _, f := range fields {
		name, err := NormalizeDomain(f.Value)
		if err != nil {
			b.invalid(path+"."+opt, f.Line, err)
			continue
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// until converts a time option: RFC 3339 with its offset, or (when
// forever is allowed) "forever".
func (b *builder) until(path string, f Field, forever bool) time.Time {
	switch {
	case f.Value == "":
		return time.Time{}
	case forever && f.Value == "forever":
		return Forever
	}
	t, err := time.Parse(time.RFC3339, f.Value)
	if err != nil {
		hint := "a time such as 2026-12-04T21:00:00+04:00"
		if forever {
			hint += ", or forever"
		}
		b.invalid(path, f.Line, fmt.Errorf("%q is not %s", f.Value, hint))
		return time.Time{}
	}
	return t
}

// ParseYouTube reads a YouTube mode as the configuration spells it
// (YouTubeMode.String).
func ParseYouTube(s string) (YouTubeMode, error) {
	switch s {
	case "off":
		return YouTubeOff, nil
	case "moderate":
		return YouTubeModerate, nil
	case "strict":
		return YouTubeStrict, nil
	}
	return YouTubeOff, fmt.Errorf("%q is not a YouTube mode: use off, moderate or strict", s)
}

// ParseScheduleKind reads a schedule kind as the configuration spells it
// (ScheduleKind.String); "homework" is another name of focus.
func ParseScheduleKind(s string) (ScheduleKind, error) {
	switch s {
	case "bedtime":
		return Bedtime, nil
	case "focus", "homework":
		return Focus, nil
	case "allowed":
		return Allowed, nil
	}
	return 0, fmt.Errorf("%q is not a schedule kind: use bedtime, focus or allowed", s)
}

// parseLimit reads a daily limit: minutes as a bare number ("90"), or a Go
// duration ("1h30m", "45s"), from 0 to 24 hours.
func parseLimit(s string) (time.Duration, error) {
	var d time.Duration
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		d = time.Duration(n) * time.Minute
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, fmt.Errorf("%q is not a time limit such as 90 (minutes), 1h30m or 45s", s)
	}
	if d < 0 || d > maxLimit {
		return 0, fmt.Errorf("%q is not a time limit from 0 to 24h", s)
	}
	return d, nil
}

// parseBonus reads "YYYY-MM-DD LIMIT": extra daily time on a local date.
func parseBonus(s string) (Bonus, error) {
	date, extra, ok := strings.Cut(strings.TrimSpace(s), " ")
	if !ok {
		return Bonus{}, fmt.Errorf("%q is not a bonus such as '2026-12-04 30m'", s)
	}
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return Bonus{}, fmt.Errorf("%q is not a bonus such as '2026-12-04 30m': bad date", s)
	}
	d, err := parseLimit(strings.TrimSpace(extra))
	if err != nil || d > maxBonus {
		return Bonus{}, fmt.Errorf("%q is not a bonus such as '2026-12-04 30m': bad time", s)
	}
	return Bonus{Date: date, Extra: d}, nil
}

// parseTempAllow reads "domain until": a domain and an RFC 3339 time.
func parseTempAllow(s string) (TempAllow, error) {
	d, until, ok := strings.Cut(s, " ")
	if !ok {
		return TempAllow{}, fmt.Errorf("%q is not a domain and a time, such as 'game.example 2026-12-04T21:00:00+04:00'", s)
	}
	name, err := NormalizeDomain(d)
	if err != nil {
		return TempAllow{}, err
	}
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(until))
	if err != nil {
		return TempAllow{}, fmt.Errorf("%q is not a time such as 2026-12-04T21:00:00+04:00", until)
	}
	return TempAllow{Domain: name, Until: t}, nil
}
