package page

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/config"
	"github.com/safeinternet/cpe/agent/uci"
	"github.com/safeinternet/cpe/ui"
)

// sectionEdit applies the web page's changes to the sections of the UCI
// file. It writes options the way the configuration documents them, so
// that the file stays readable and LuCI and the uci command keep working.
type sectionEdit struct {
	secs []*uci.Section
	cfg  *config.Config // the configuration the page saw
	now  time.Time      // in the household's zone
}

// find returns the section of type typ named name, or nil.
func (e *sectionEdit) find(typ, name string) *uci.Section {
	for _, s := range e.secs {
		if s.Type == typ && s.Name == name {
			return s
		}
	}
	return nil
}

// add appends a new named section.
func (e *sectionEdit) add(typ, name string) *uci.Section {
	s := &uci.Section{Type: typ, Name: name}
	e.secs = append(e.secs, s)
	return s
}

// remove deletes section s.
func (e *sectionEdit) remove(s *uci.Section) {
	e.secs = slices.DeleteFunc(e.secs, func(x *uci.Section) bool { return x == s })
}

// newName returns a section name for display name: its letters and digits
// in lower case, unique among the file's sections; prefix and a number when
// nothing of the name fits (a name in Cyrillic, say).
func (e *sectionEdit) newName(display, prefix string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(display) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		case (r == ' ' || r == '-' || r == '_') && b.Len() > 0:
			b.WriteByte('_')
		}
	}
	base := strings.Trim(b.String(), "_")
	if len(base) > 32 {
		base = base[:32]
	}
	switch {
	case base == "":
		base = strings.TrimSuffix(prefix, "_")
	case base[0] >= '0' && base[0] <= '9':
		base = prefix + base
	}
	taken := func(n string) bool {
		return slices.ContainsFunc(e.secs, func(s *uci.Section) bool { return s.Name == n })
	}
	if _, builtin := config.Builtin(base); !taken(base) && !builtin {
		return base
	}
	for i := 2; ; i++ {
		if n := base + "_" + strconv.Itoa(i); !taken(n) {
			return n
		}
	}
}

// set replaces option name of s with value; "" removes it.
func set(s *uci.Section, name, value string) {
	i := slices.IndexFunc(s.Options, func(o uci.Option) bool { return o.Name == name })
	s.Options = slices.DeleteFunc(s.Options, func(o uci.Option) bool { return o.Name == name })
	if value == "" {
		return
	}
	o := uci.Option{Name: name, Value: value}
	if i < 0 || i > len(s.Options) {
		s.Options = append(s.Options, o)
		return
	}
	s.Options = slices.Insert(s.Options, i, o)
}

// setList replaces list name of s with values.
func setList(s *uci.Section, name string, values []string) {
	s.Options = slices.DeleteFunc(s.Options, func(o uci.Option) bool { return o.Name == name })
	for _, v := range values {
		s.Options = append(s.Options, uci.Option{Name: name, Value: v, List: true})
	}
}

// list returns the values of option or list name of s.
func list(s *uci.Section, name string) []string {
	var out []string
	for _, o := range s.Options {
		if o.Name == name {
			out = append(out, o.Value)
		}
	}
	return out
}

// flag spells a boolean option.
func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// minutes spells a limit option in minutes; "" for none.
func minutes(d time.Duration, has bool) string {
	if !has {
		return ""
	}
	return strconv.Itoa(int(d / time.Minute))
}

// apply makes one change. The caller validates the result as a whole.
func (e *sectionEdit) apply(u ui.Update) error {
	switch {
	case u.Person != nil:
		return e.person(u.Person, u.Created)
	case u.DeletePerson != "":
		s := e.find("person", u.DeletePerson)
		if s == nil {
			return ui.ErrNotFound
		}
		e.remove(s)
		for _, d := range e.secs {
			if d.Type == "device" && slices.Equal(list(d, "person"), []string{u.DeletePerson}) {
				set(d, "person", "")
			}
		}
	case u.Device != nil:
		return e.device(u.Device)
	case u.ForgetDevice != "":
		s := e.deviceSection(u.ForgetDevice)
		if s == nil {
			return ui.ErrNotFound
		}
		e.remove(s)
	case u.Profile != nil:
		return e.profile(u.Profile)
	case u.Schedule != nil:
		return e.schedule(u.Schedule, u.Created)
	case u.DeleteSchedule != "":
		s := e.find("schedule", u.DeleteSchedule)
		if s == nil {
			return ui.ErrNotFound
		}
		e.remove(s)
		for _, x := range e.secs {
			if x.Type == "person" || x.Type == "profile" {
				setList(x, "schedule", slices.DeleteFunc(list(x, "schedule"), func(v string) bool { return v == u.DeleteSchedule }))
			}
		}
	case u.Pause != nil:
		return e.pause(u.Pause)
	case u.Extra != nil:
		return e.extra(u.Extra)
	case u.Settings != nil:
		return e.settings(u.Settings)
	default:
		return errors.New("daemon: empty change")
	}
	return nil
}

// named returns the section of type typ named id, or with id empty a new
// one named after display, whose name goes to created.
func (e *sectionEdit) named(typ, id, display string, created *string) (*uci.Section, error) {
	if id != "" {
		if s := e.find(typ, id); s != nil {
			return s, nil
		}
		return nil, ui.ErrNotFound
	}
	s := e.add(typ, e.newName(display, typ+"_"))
	if created != nil {
		*created = s.Name
	}
	return s, nil
}

func (e *sectionEdit) person(p *ui.PersonConfig, created *string) error {
	s, err := e.named("person", p.ID, p.Name, created)
	if err != nil {
		return err
	}
	set(s, "name", p.Name)
	set(s, "profile", p.Profile)
	setList(s, "allow", p.Allow)
	setList(s, "block", p.Block)
	setList(s, "block_category", p.BlockCategory)
	setList(s, "allow_category", p.AllowCategory)
	setList(s, "schedule", p.Schedules)
	set(s, "daily_limit", minutes(p.DailyLimit, p.HasDailyLimit))
	var limits []string
	for _, c := range slices.Sorted(maps.Keys(p.CategoryLimits)) {
		limits = append(limits, c+" "+strconv.Itoa(int(p.CategoryLimits[c]/time.Minute)))
	}
	setList(s, "category_limit", limits)
	return nil
}

// deviceSection returns the device section whose mac is mac, or nil.
func (e *sectionEdit) deviceSection(mac string) *uci.Section {
	want, err := config.ParseMAC(mac)
	if err != nil {
		return nil
	}
	for _, s := range e.secs {
		if s.Type != "device" {
			continue
		}
		if v := list(s, "mac"); len(v) == 1 {
			if got, err := config.ParseMAC(v[0]); err == nil && got == want {
				return s
			}
		}
	}
	return nil
}

func (e *sectionEdit) device(d *ui.DeviceConfig) error {
	mac, err := config.ParseMAC(d.MAC)
	if err != nil {
		return &ui.FieldError{Field: "mac", Msg: err.Error()}
	}
	s := e.deviceSection(d.MAC)
	if s == nil {
		s = e.add("device", e.newName("dev_"+strings.ReplaceAll(config.FormatMAC(mac), ":", ""), "dev_"))
		set(s, "mac", config.FormatMAC(mac))
	}
	set(s, "name", d.Name)
	set(s, "kind", d.Kind)
	set(s, "person", d.Person)
	set(s, "profile", d.Profile)
	return nil
}

func (e *sectionEdit) profile(p *ui.ProfileConfig) error {
	var prof *config.Profile
	for i := range e.cfg.Profiles {
		if e.cfg.Profiles[i].Name == p.ID {
			prof = &e.cfg.Profiles[i]
		}
	}
	if prof == nil {
		return ui.ErrNotFound
	}
	var want category.Set
	for _, c := range p.BlockCategory {
		id, ok := category.ParseID(c)
		if !ok {
			return &ui.FieldError{Field: "block_category", Msg: fmt.Sprintf("no category %q", c)}
		}
		want = want.With(id)
	}
	b := e.cfg.Baseline
	locked := b.Block
	if prof.Restricted {
		locked |= b.ChildBlock
	}
	if miss := locked &^ want; miss != 0 {
		return &ui.FieldError{Field: "block_category", Msg: fmt.Sprintf("%s is locked by the ISP baseline (%s): it cannot be allowed", miss.IDs()[0], b.Path)}
	}
	s := e.find("profile", p.ID)
	if s == nil {
		s = e.add("profile", p.ID)
	}
	band := prof.Age.Blocked()
	var block, allow []string
	for _, id := range (want &^ band).IDs() {
		block = append(block, id.String())
	}
	for _, id := range (band &^ want).IDs() {
		allow = append(allow, id.String())
	}
	setList(s, "block_category", block)
	setList(s, "allow_category", allow)
	set(s, "safesearch", flag(p.SafeSearch))
	set(s, "youtube", p.YouTube)
	set(s, "quic", flag(p.QUIC))
	setList(s, "schedule", p.Schedules)
	set(s, "daily_limit", minutes(p.DailyLimit, p.HasDailyLimit))
	return nil
}

func (e *sectionEdit) schedule(sc *ui.ScheduleConfig, created *string) error {
	s, err := e.named("schedule", sc.ID, sc.Name, created)
	if err != nil {
		return err
	}
	set(s, "name", sc.Name)
	set(s, "kind", sc.Kind)
	var windows []string
	for _, w := range sc.Windows {
		windows = append(windows, strings.Join(w.Days, ",")+" "+w.Start+"-"+w.End)
	}
	setList(s, "window", windows)
	setList(s, "block_category", sc.BlockCategory)
	return nil
}

func (e *sectionEdit) pause(p *ui.Pause) error {
	s := e.find("person", p.Person)
	if s == nil {
		return ui.ErrNotFound
	}
	switch {
	case p.Resume:
		set(s, "pause_until", "")
	case p.Forever:
		set(s, "pause_until", "forever")
	default:
		set(s, "pause_until", p.Until.In(e.now.Location()).Format(time.RFC3339))
	}
	return nil
}

func (e *sectionEdit) extra(x *ui.Extra) error {
	s := e.find("person", x.Person)
	if s == nil {
		return ui.ErrNotFound
	}
	if !x.Until.IsZero() {
		set(s, "free_until", x.Until.In(e.now.Location()).Format(time.RFC3339))
		return nil
	}
	today := e.now.Format(time.DateOnly)
	total := time.Duration(x.Minutes) * time.Minute
	var keep []string
	for _, v := range list(s, "bonus") {
		date, amount, _ := strings.Cut(v, " ")
		if date == today {
			if d, err := time.ParseDuration(strings.TrimSpace(amount) + "m"); err == nil {
				total += d
				continue
			}
		}
		keep = append(keep, v)
	}
	setList(s, "bonus", append(keep, today+" "+strconv.Itoa(int(total/time.Minute))))
	return nil
}

// allowFor adds a temporary allow of domain for person until then.
func (e *sectionEdit) allowFor(person, domain string, until time.Time) error {
	s := e.find("person", person)
	if s == nil {
		return ui.ErrNotFound
	}
	setList(s, "temp_allow", append(list(s, "temp_allow"), domain+" "+until.In(e.now.Location()).Format(time.RFC3339)))
	return nil
}

func (e *sectionEdit) settings(u *ui.SettingsUpdate) error {
	var s *uci.Section
	for _, x := range e.secs {
		if x.Type == "agent" {
			s = x
			break
		}
	}
	if s == nil {
		s = &uci.Section{Type: "agent", Name: "main"}
		e.secs = slices.Insert(e.secs, 0, s)
	}
	if u.DNSBlock != nil {
		set(s, "dns_block", *u.DNSBlock)
	}
	if u.FailMode != nil {
		set(s, "fail_mode", *u.FailMode)
	}
	if u.HistoryDomains != nil {
		set(s, "history_domains", flag(*u.HistoryDomains))
	}
	return nil
}

// prune drops what has run out from the people's sections: temporary
// allows, pauses and extra time in the past, extra minutes of past days.
func (e *sectionEdit) prune() {
	today := e.now.Format(time.DateOnly)
	for _, s := range e.secs {
		if s.Type != "person" {
			continue
		}
		setList(s, "temp_allow", slices.DeleteFunc(list(s, "temp_allow"), func(v string) bool {
			_, until, _ := strings.Cut(v, " ")
			t, err := time.Parse(time.RFC3339, strings.TrimSpace(until))
			return err == nil && !t.After(e.now)
		}))
		setList(s, "bonus", slices.DeleteFunc(list(s, "bonus"), func(v string) bool {
			date, _, _ := strings.Cut(v, " ")
			return len(date) == len(today) && date < today
		}))
		for _, opt := range []string{"pause_until", "free_until"} {
			if v := list(s, opt); len(v) == 1 {
				if t, err := time.Parse(time.RFC3339, v[0]); err == nil && !t.After(e.now) {
					set(s, opt, "")
				}
			}
		}
	}
}

// fieldOf names the request field a configuration problem at path is
// about: the option's name, in the API's spelling.
func fieldOf(path string) string {
	opt := path[strings.LastIndexByte(path, '.')+1:]
	switch opt {
	case "daily_limit":
		return "daily_limit_minutes"
	case "category_limit":
		return "category_limits_minutes"
	case "window":
		return "windows"
	case "schedule":
		return "schedules"
	case "pause_until", "free_until":
		return "until"
	case "bonus":
		return "minutes"
	case "temp_allow":
		return "name"
	}
	return opt
}

// asFieldError turns the configuration's refusal of an edited file into
// the first problem, placed on a request field.
func asFieldError(err error) error {
	var fe *config.FieldError
	if errors.As(err, &fe) {
		return &ui.FieldError{Field: fieldOf(fe.Path), Msg: fe.Err.Error()}
	}
	return &ui.FieldError{Field: "", Msg: err.Error()}
}
