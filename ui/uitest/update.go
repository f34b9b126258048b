package uitest

import (
	"fmt"
	"slices"
	"time"

	"github.com/safeinternet/cpe/ui"
)

// maxDay bounds a time limit, and a day's extra time.
const maxDay = 24 * time.Hour

// forever is the PauseUntil of a pause without end (config.Forever).
var forever = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// Update applies one change, or refuses it with a *ui.FieldError or
// ui.ErrNotFound, leaving the household as it was. As the router does, it
// then drops what has run out: temporary allows, pauses and extra time
// that have ended.
func (f *Fake) Update(u ui.Update) error {
	n := 0
	for _, set := range []bool{u.Person != nil, u.DeletePerson != "", u.Device != nil, u.ForgetDevice != "",
		u.Profile != nil, u.Schedule != nil, u.DeleteSchedule != "", u.Pause != nil, u.Extra != nil,
		u.Settings != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("uitest: an update sets %d changes, want 1", n)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.clock()
	err := f.update(u, now)
	if err == nil {
		f.prune(now)
	}
	return err
}

// update applies u. f.mu held.
func (f *Fake) update(u ui.Update, now time.Time) error {
	switch {
	case u.Person != nil:
		return f.putPerson(*u.Person, u.Created)
	case u.DeletePerson != "":
		i := f.person(u.DeletePerson)
		if i < 0 {
			return ui.ErrNotFound
		}
		f.hh.People = slices.Delete(f.hh.People, i, i+1)
		for j := range f.hh.Devices {
			if f.hh.Devices[j].Person == u.DeletePerson {
				f.hh.Devices[j].Person = ""
			}
		}
		return nil
	case u.Device != nil:
		return f.putDevice(*u.Device)
	case u.ForgetDevice != "":
		mac, _ := canonicalMAC(u.ForgetDevice)
		i := f.device(mac)
		if i < 0 || !f.hh.Devices[i].Configured {
			return ui.ErrNotFound
		}
		if d, ok := f.seen[mac]; ok && d.Hostname != "" {
			name := d.Hostname
			f.hh.Devices[i] = ui.DeviceConfig{MAC: d.MAC, Name: name, Hostname: d.Hostname, Vendor: d.Vendor,
				RandomMAC: d.RandomMAC, Addresses: slices.Clone(d.Addresses), LastSeen: f.hh.Devices[i].LastSeen}
		} else {
			f.hh.Devices = slices.Delete(f.hh.Devices, i, i+1)
		}
		f.orderDevices()
		return nil
	case u.Profile != nil:
		return f.putProfile(*u.Profile)
	case u.Schedule != nil:
		return f.putSchedule(*u.Schedule, u.Created)
	case u.DeleteSchedule != "":
		i := f.schedule(u.DeleteSchedule)
		if i < 0 {
			return ui.ErrNotFound
		}
		f.hh.Schedules = slices.Delete(f.hh.Schedules, i, i+1)
		drop := func(ids []string) []string {
			return slices.DeleteFunc(ids, func(id string) bool { return id == u.DeleteSchedule })
		}
		for j := range f.hh.People {
			f.hh.People[j].Schedules = drop(f.hh.People[j].Schedules)
		}
		for j := range f.hh.Profiles {
			f.hh.Profiles[j].Schedules = drop(f.hh.Profiles[j].Schedules)
		}
		return nil
	case u.Pause != nil:
		return f.pause(*u.Pause, now)
	case u.Extra != nil:
		return f.grantExtra(*u.Extra, now)
	default:
		return f.putSettings(*u.Settings)
	}
}

// prune drops what has run out by now, as the router does whenever it
// writes its file: temporary allows, pauses and extra time that have
// ended. f.mu held.
func (f *Fake) prune(now time.Time) {
	for i := range f.hh.People {
		p := &f.hh.People[i]
		if !p.PauseUntil.After(now) {
			p.PauseUntil = time.Time{}
		}
		if !p.FreeUntil.After(now) {
			p.FreeUntil = time.Time{}
		}
		p.TempAllow = slices.DeleteFunc(p.TempAllow, func(t ui.TempAllow) bool { return !t.Until.After(now) })
	}
}

func refuse(field, format string, args ...any) error {
	return &ui.FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// checkMinutes accepts a time limit from 0 to 24 hours.
func checkMinutes(field string, d time.Duration) error {
	if d < 0 || d > maxDay {
		return refuse(field, "not a time limit from 0 to 1440 minutes")
	}
	return nil
}

// checkCategories refuses ids the router does not know. f.mu held.
func (f *Fake) checkCategories(field string, ids []string) error {
	for _, c := range ids {
		if !slices.Contains(f.hh.Categories, c) {
			return refuse(field, "unknown category %q", c)
		}
	}
	return nil
}

// checkSchedules refuses ids of schedules that do not exist. f.mu held.
func (f *Fake) checkSchedules(ids []string) error {
	for _, id := range ids {
		if f.schedule(id) < 0 {
			return refuse("schedules", "unknown schedule %q", id)
		}
	}
	return nil
}

// lockedFor returns the categories the baseline blocks for a profile.
// f.mu held.
func (f *Fake) lockedFor(restricted bool) []string {
	l := slices.Clone(f.hh.Locked.Categories)
	if restricted {
		l = append(l, f.hh.Locked.ChildCategories...)
	}
	return l
}

func (f *Fake) lockedMsg(field, cat string) error {
	return refuse(field, "%s is locked by the ISP baseline (%s)", cat, f.hh.Locked.Source)
}

func (f *Fake) putPerson(p ui.PersonConfig, created *string) error {
	i := -1
	if p.ID != "" {
		if i = f.person(p.ID); i < 0 {
			return ui.ErrNotFound
		}
	}
	if err := checkName("name", p.Name); err != nil {
		return err
	}
	pi := f.profile(p.Profile)
	if pi < 0 {
		return refuse("profile", "unknown profile %q", p.Profile)
	}
	allow, err := normalDomains("allow", p.Allow)
	if err != nil {
		return err
	}
	for _, d := range allow {
		if l := f.lockedDomain(d); l != "" {
			return refuse("allow", "%s is blocked by the ISP baseline (%s.block %s): it cannot be allowed", d, f.hh.Locked.Source, l)
		}
	}
	block, err := normalDomains("block", p.Block)
	if err != nil {
		return err
	}
	if err := f.checkCategories("block_category", p.BlockCategory); err != nil {
		return err
	}
	if err := f.checkCategories("allow_category", p.AllowCategory); err != nil {
		return err
	}
	for _, c := range f.lockedFor(f.hh.Profiles[pi].Restricted) {
		if slices.Contains(p.AllowCategory, c) {
			return f.lockedMsg("allow_category", c)
		}
	}
	if err := f.checkSchedules(p.Schedules); err != nil {
		return err
	}
	if p.HasDailyLimit {
		if err := checkMinutes("daily_limit_minutes", p.DailyLimit); err != nil {
			return err
		}
	}
	for c, d := range p.CategoryLimits {
		if err := f.checkCategories("category_limits_minutes", []string{c}); err != nil {
			return err
		}
		if err := checkMinutes("category_limits_minutes", d); err != nil {
			return err
		}
	}
	p = clonePerson(p)
	p.Allow, p.Block, p.Schedules = allow, block, unique(p.Schedules)
	p.BlockCategory, p.AllowCategory = unique(p.BlockCategory), unique(p.AllowCategory)
	// A person's settings change; their pause, extra time and temporary
	// allows stay as they are.
	p.PauseUntil, p.FreeUntil, p.TempAllow = time.Time{}, time.Time{}, nil
	if i >= 0 {
		cur := f.hh.People[i]
		p.PauseUntil, p.FreeUntil, p.TempAllow = cur.PauseUntil, cur.FreeUntil, cur.TempAllow
		if p.Name == "" {
			p.Name = p.ID
		}
		f.hh.People[i] = p
		return nil
	}
	p.ID = f.newID(p.Name, "person_")
	if p.Name == "" {
		p.Name = p.ID
	}
	f.hh.People = append(f.hh.People, p)
	if created != nil {
		*created = p.ID
	}
	return nil
}

func (f *Fake) putDevice(d ui.DeviceConfig) error {
	mac, ok := canonicalMAC(d.MAC)
	if !ok {
		return refuse("mac", "%q is not the MAC address of a device", d.MAC)
	}
	d.MAC = mac
	if err := checkName("name", d.Name); err != nil {
		return err
	}
	if err := checkName("kind", d.Kind); err != nil {
		return err
	}
	if d.Person != "" && f.person(d.Person) < 0 {
		return refuse("person", "unknown person %q", d.Person)
	}
	if d.Profile != "" && f.profile(d.Profile) < 0 {
		return refuse("profile", "unknown profile %q", d.Profile)
	}
	i := f.device(d.MAC)
	var cur ui.DeviceConfig
	if i >= 0 {
		cur = f.hh.Devices[i]
	}
	if d.Name == "" {
		d.Name = deviceSection(d.MAC) // the router shows the section's name
	}
	cur.MAC, cur.Name, cur.Kind, cur.Person, cur.Profile, cur.Configured = d.MAC, d.Name, d.Kind, d.Person, d.Profile, true
	cur.RandomMAC = localMAC(d.MAC)
	if i >= 0 {
		f.hh.Devices[i] = cur
	} else {
		f.hh.Devices = append(f.hh.Devices, cur)
	}
	f.orderDevices()
	return nil
}

// orderDevices orders the devices as the router shows them: the
// configured ones (in the order they were configured), then the ones only
// seen, the most recently seen first. f.mu held.
func (f *Fake) orderDevices() {
	slices.SortStableFunc(f.hh.Devices, func(x, y ui.DeviceConfig) int {
		switch {
		case x.Configured != y.Configured && x.Configured:
			return -1
		case x.Configured != y.Configured:
			return 1
		case !x.Configured:
			return y.LastSeen.Compare(x.LastSeen)
		}
		return 0
	})
}

// youtubeRank orders the YouTube modes from least to most restricted.
var youtubeRank = map[string]int{"off": 0, "moderate": 1, "strict": 2}

func (f *Fake) putProfile(p ui.ProfileConfig) error {
	i := f.profile(p.ID)
	if i < 0 {
		return ui.ErrNotFound
	}
	cur := f.hh.Profiles[i]
	if err := f.checkCategories("block_category", p.BlockCategory); err != nil {
		return err
	}
	for _, c := range f.lockedFor(cur.Restricted) {
		if !slices.Contains(p.BlockCategory, c) {
			return f.lockedMsg("block_category", c)
		}
	}
	rank, ok := youtubeRank[p.YouTube]
	if !ok {
		return refuse("youtube", "%q is not off, moderate or strict", p.YouTube)
	}
	if cur.Restricted {
		if f.hh.Locked.SafeSearch && !p.SafeSearch {
			return refuse("safesearch", "SafeSearch is forced by the ISP baseline (%s)", f.hh.Locked.Source)
		}
		if rank < youtubeRank[f.hh.Locked.YouTube] {
			return refuse("youtube", "YouTube %s at least is forced by the ISP baseline (%s)",
				f.hh.Locked.YouTube, f.hh.Locked.Source)
		}
	}
	if err := f.checkSchedules(p.Schedules); err != nil {
		return err
	}
	if p.HasDailyLimit {
		if err := checkMinutes("daily_limit_minutes", p.DailyLimit); err != nil {
			return err
		}
	}
	cur.BlockCategory, cur.Schedules = unique(p.BlockCategory), unique(p.Schedules)
	cur.SafeSearch, cur.YouTube, cur.QUIC = p.SafeSearch, p.YouTube, p.QUIC
	cur.DailyLimit, cur.HasDailyLimit = p.DailyLimit, p.HasDailyLimit
	f.hh.Profiles[i] = cur
	return nil
}

// scheduleKinds are the kinds of schedule, by the names the router reads
// ("homework" is focus).
var scheduleKinds = map[string]string{"bedtime": "bedtime", "focus": "focus", "homework": "focus", "allowed": "allowed"}

func (f *Fake) putSchedule(s ui.ScheduleConfig, created *string) error {
	i := -1
	if s.ID != "" {
		if i = f.schedule(s.ID); i < 0 {
			return ui.ErrNotFound
		}
	}
	if err := checkName("name", s.Name); err != nil {
		return err
	}
	kind, ok := scheduleKinds[s.Kind]
	if !ok {
		return refuse("kind", "%q is not bedtime, focus or allowed", s.Kind)
	}
	if len(s.Windows) == 0 {
		return refuse("windows", "a schedule needs at least one window")
	}
	for _, w := range s.Windows {
		if err := checkWindow(w); err != nil {
			return err
		}
	}
	if err := f.checkCategories("block_category", s.BlockCategory); err != nil {
		return err
	}
	if kind == "focus" && len(s.BlockCategory) == 0 {
		return refuse("block_category", "a focus schedule blocks at least one category")
	}
	s = cloneSchedule(s)
	s.Kind, s.BlockCategory = kind, unique(s.BlockCategory)
	if kind != "focus" {
		s.BlockCategory = nil // the categories are a focus schedule's
	}
	for j := range s.Windows {
		s.Windows[j].Days = orderedDays(s.Windows[j].Days)
	}
	if i >= 0 {
		if s.Name == "" {
			s.Name = s.ID
		}
		f.hh.Schedules[i] = s
		return nil
	}
	s.ID = f.newID(s.Name, "schedule_")
	if s.Name == "" {
		s.Name = s.ID
	}
	f.hh.Schedules = append(f.hh.Schedules, s)
	if created != nil {
		*created = s.ID
	}
	return nil
}

func checkWindow(w ui.Window) error {
	if len(w.Days) == 0 {
		return refuse("windows", "a window without days")
	}
	for _, d := range w.Days {
		if !slices.Contains(dayNames[:], d) {
			return refuse("windows", "%q is not a day (mon … sun)", d)
		}
	}
	s, ok1 := clockMinutes(w.Start)
	_, ok2 := clockMinutes(w.End)
	if !ok1 || !ok2 || s == 1440 {
		return refuse("windows", "%q–%q is not HH:MM to HH:MM", w.Start, w.End)
	}
	return nil
}

func (f *Fake) pause(p ui.Pause, now time.Time) error {
	i := f.person(p.Person)
	if i < 0 {
		return ui.ErrNotFound
	}
	switch {
	case p.Resume:
		f.hh.People[i].PauseUntil = time.Time{}
	case p.Forever:
		f.hh.People[i].PauseUntil = forever
	default:
		f.hh.People[i].PauseUntil = p.Until // one that has ended is pruned
	}
	return nil
}

func (f *Fake) grantExtra(x ui.Extra, now time.Time) error {
	i := f.person(x.Person)
	if i < 0 {
		return ui.ErrNotFound
	}
	if !x.Until.IsZero() {
		f.hh.People[i].FreeUntil = x.Until // one that has ended is pruned
		return nil
	}
	d := time.Duration(x.Minutes) * time.Minute
	if d < 0 {
		return refuse("minutes", "extra time %v is negative", d)
	}
	if f.extraToday(x.Person, now)+d > maxDay {
		return refuse("minutes", "more than a day of extra time today")
	}
	f.addExtra(x.Person, d, now)
	return nil
}

// extraToday is the extra time granted person on now's local day. f.mu
// held.
func (f *Fake) extraToday(person string, now time.Time) time.Duration {
	if f.extraDay[person] != now.In(f.loc).Format(time.DateOnly) {
		return 0
	}
	return f.extra[person]
}

// addExtra grants person d more time on now's local day. f.mu held.
func (f *Fake) addExtra(person string, d time.Duration, now time.Time) {
	day := now.In(f.loc).Format(time.DateOnly)
	if f.extraDay[person] != day {
		f.extra[person], f.extraDay[person] = 0, day
	}
	f.extra[person] += d
}

func (f *Fake) putSettings(s ui.SettingsUpdate) error {
	if s.DNSBlock != nil && !slices.Contains([]string{"nxdomain", "null", "page"}, *s.DNSBlock) {
		return refuse("dns_block", "%q is not nxdomain, null or page", *s.DNSBlock)
	}
	if s.FailMode != nil && *s.FailMode != "closed" && *s.FailMode != "open" {
		return refuse("fail_mode", "%q is not closed or open", *s.FailMode)
	}
	if s.DNSBlock != nil {
		f.settings.DNSBlock = *s.DNSBlock
	}
	if s.FailMode != nil {
		f.settings.FailMode = *s.FailMode
	}
	if s.HistoryDomains != nil {
		f.settings.HistoryDomains = *s.HistoryDomains
	}
	return nil
}
