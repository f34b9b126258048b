package config

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/uci"
)

// ErrNotFound reports a change of a person, device, schedule or profile
// that the file does not have. The Editor wraps it with what was missing.
var ErrNotFound = errors.New("config: no such section")

// Editor makes the household's changes to the sections of a configuration
// file: people, devices, profiles and schedules, pauses, extra time and
// temporary allows, and the settings the web page changes. It is the
// writing half of the schema: it writes the options Parse reads (the Opt
// constants), spelled as Load reads them back, so that the file stays
// readable and LuCI and the uci command keep working, and Load of the
// result is the Config the change meant.
//
// A change is written, not validated: a person whose profile does not
// exist is written as such. The caller validates the result as a whole
// (uci.Marshal, then LoadBytes), which reports every problem with its uci
// path; the editor refuses only what it cannot write: a change of a section
// that is not there (ErrNotFound, wrapped) and a few values no file could
// mean (a *FieldError). A refused change leaves the sections as they were.
//
// Times are written to the second, in the zone of the editor's now. An
// Editor is not safe for concurrent use.
type Editor struct {
	secs []*uci.Section
	cfg  *Config
	now  time.Time
}

// NewEditor returns an editor of sections, a file that Load read as cfg:
// the profiles' age bands and the ISP baseline come from cfg. now, in the
// household's time zone, dates extra minutes and is what Prune compares
// with. The editor changes the sections, and the slice, in place.
func NewEditor(sections []*uci.Section, cfg *Config, now time.Time) *Editor {
	return &Editor{secs: sections, cfg: cfg, now: now}
}

// Sections returns the sections as changed, in file order: new ones come
// last, but a new agent section comes first.
func (e *Editor) Sections() []*uci.Section { return e.secs }

// PutPerson writes person p's settings to the person section named p.Name,
// or, when p.Name is "", to a new section named after p.Display; it
// returns the section's name. It writes Display, Profile, Allow, Block and
// Rules (categories, schedules, limits). The person's pause, extra time
// and temporary allows stay as they are: Pause, Free, AddBonus and
// AllowFor change them.
func (e *Editor) PutPerson(p Person) (string, error) {
	s, err := e.named(typePerson, p.Name, p.Display)
	if err != nil {
		return "", err
	}
	setOption(s, OptName, p.Display)
	setOption(s, OptProfile, p.Profile)
	setList(s, OptAllow, p.Allow)
	setList(s, OptBlock, p.Block)
	setList(s, OptBlockCategory, spellCategories(p.Rules.Block))
	setList(s, OptAllowCategory, spellCategories(p.Rules.Allow))
	setList(s, OptSchedule, p.Rules.Schedules)
	setOption(s, OptDailyLimit, spellDaily(p.Rules.Limits))
	var limits []string
	for _, id := range p.Rules.Limits.HasCategory.IDs() {
		limits = append(limits, id.String()+" "+spellLimit(p.Rules.Limits.Category[id]))
	}
	setList(s, OptCategoryLimit, limits)
	return s.Name, nil
}

// DeletePerson removes the person section named name; the devices that
// were the person's belong to nobody.
func (e *Editor) DeletePerson(name string) error {
	s := e.find(typePerson, name)
	if s == nil {
		return notFound(typePerson, name)
	}
	e.remove(s)
	for _, d := range e.secs {
		if d.Type == typeDevice && slices.Equal(values(d, OptPerson), []string{name}) {
			setOption(d, OptPerson, "")
		}
	}
	return nil
}

// PutDevice writes device d's Name, Kind, Person and Profile to the device
// section whose mac is d.MAC, or to a new section named after the address
// (dev_ and its hex digits). The device's blocked domains stay as they
// are.
func (e *Editor) PutDevice(d Device) {
	s := e.device(d.MAC)
	if s == nil {
		mac := FormatMAC(d.MAC)
		s = e.add(typeDevice, e.newName("dev_"+strings.ReplaceAll(mac, ":", ""), "dev_"))
		setOption(s, OptMAC, mac)
	}
	setOption(s, OptName, d.Name)
	setOption(s, OptKind, d.Kind)
	setOption(s, OptPerson, d.Person)
	setOption(s, OptProfile, d.Profile)
}

// ForgetDevice removes the device section whose mac is mac.
func (e *Editor) ForgetDevice(mac [6]byte) error {
	s := e.device(mac)
	if s == nil {
		return notFound(typeDevice, FormatMAC(mac))
	}
	e.remove(s)
	return nil
}

// SetProfile writes profile p's categories, SafeSearch, YouTube and QUIC
// switches, schedules and daily limit to the profile section named p.Name,
// which it adds for a built-in profile that has none. p.Rules.Block is the
// wanted set of blocked categories, written as block_category and
// allow_category against the defaults of the profile's band; it must hold
// every category the ISP baseline locks for the profile, else SetProfile
// returns a *FieldError on block_category. The band, the restricted switch
// and the category limits stay as they are (p.Age, p.Restricted,
// p.Rules.Allow and p.Rules.Limits.Category are not read). ErrNotFound for
// a profile the configuration does not have.
func (e *Editor) SetProfile(p Profile) error {
	i := slices.IndexFunc(e.cfg.Profiles, func(x Profile) bool { return x.Name == p.Name })
	if i < 0 {
		return notFound(typeProfile, p.Name)
	}
	cur := &e.cfg.Profiles[i]
	bl := &e.cfg.Baseline
	locked := bl.Block
	if cur.Restricted {
		locked |= bl.ChildBlock
	}
	if miss := locked &^ p.Rules.Block; miss != 0 {
		return &FieldError{Path: Package + "." + p.Name + "." + OptBlockCategory,
			Err: problemf(ErrInvalid, "%s is locked by the ISP baseline (%s): it cannot be allowed", miss.IDs()[0], bl.Path)}
	}
	s := e.find(typeProfile, p.Name)
	if s == nil {
		s = e.add(typeProfile, p.Name)
	}
	band := cur.Age.Blocked()
	setList(s, OptBlockCategory, spellCategories(p.Rules.Block&^band))
	setList(s, OptAllowCategory, spellCategories(band&^p.Rules.Block))
	setOption(s, OptSafeSearch, spellFlag(p.SafeSearch))
	setOption(s, OptYouTube, p.YouTube.String())
	setOption(s, OptQUIC, spellFlag(p.QUIC))
	setList(s, OptSchedule, p.Rules.Schedules)
	setOption(s, OptDailyLimit, spellDaily(p.Rules.Limits))
	return nil
}

// PutSchedule writes schedule s's Display, Kind, Week and Block to the
// schedule section named s.Name, or, when s.Name is "", to a new section
// named after s.Display; it returns the section's name.
func (e *Editor) PutSchedule(s Schedule) (string, error) {
	sec, err := e.named(typeSchedule, s.Name, s.Display)
	if err != nil {
		return "", err
	}
	setOption(sec, OptName, s.Display)
	setOption(sec, OptKind, s.Kind.String())
	windows := make([]string, 0, len(s.Week))
	for _, w := range s.Week {
		windows = append(windows, w.String())
	}
	setList(sec, OptWindow, windows)
	setList(sec, OptBlockCategory, spellCategories(s.Block))
	return sec.Name, nil
}

// DeleteSchedule removes the schedule section named name and every use of
// it by people and profiles.
func (e *Editor) DeleteSchedule(name string) error {
	s := e.find(typeSchedule, name)
	if s == nil {
		return notFound(typeSchedule, name)
	}
	e.remove(s)
	for _, x := range e.secs {
		if x.Type == typePerson || x.Type == typeProfile {
			x.Options = slices.DeleteFunc(x.Options, func(o uci.Option) bool {
				return o.Name == OptSchedule && o.Value == name
			})
		}
	}
	return nil
}

// Pause pauses person's internet until then: Forever (or later) pauses it
// until a parent resumes it, the zero time resumes it now. A pause that
// has ended by now is gone once Prune has run.
func (e *Editor) Pause(person string, until time.Time) error {
	s, err := e.person(person)
	if err != nil {
		return err
	}
	switch {
	case until.IsZero():
		setOption(s, OptPauseUntil, "")
	case !until.Before(Forever):
		setOption(s, OptPauseUntil, "forever")
	default:
		setOption(s, OptPauseUntil, e.spellTime(until))
	}
	return nil
}

// Free frees person from schedules and time limits until then; the zero
// time ends it now.
func (e *Editor) Free(person string, until time.Time) error {
	s, err := e.person(person)
	if err != nil {
		return err
	}
	v := ""
	if !until.IsZero() {
		v = e.spellTime(until)
	}
	setOption(s, OptFreeUntil, v)
	return nil
}

// AddBonus grants person extra daily time today (the date of the editor's
// now), on top of what was granted today already. Negative extra is a
// *FieldError on bonus; a day's total over 24 hours is left for the
// validation to refuse.
func (e *Editor) AddBonus(person string, extra time.Duration) error {
	s, err := e.person(person)
	if err != nil {
		return err
	}
	if extra < 0 {
		return &FieldError{Path: Package + "." + s.Name + "." + OptBonus,
			Err: problemf(ErrInvalid, "extra time %v is negative", extra)}
	}
	today := e.now.Format(time.DateOnly)
	var keep []string
	for _, v := range values(s, OptBonus) {
		if b, err := parseBonus(v); err == nil && b.Date == today {
			extra += b.Extra
			continue
		}
		keep = append(keep, v)
	}
	setList(s, OptBonus, append(keep, today+" "+spellLimit(extra)))
	return nil
}

// AllowFor allows domain to person until then, besides the person's
// other temporary allows.
func (e *Editor) AllowFor(person, domain string, until time.Time) error {
	s, err := e.person(person)
	if err != nil {
		return err
	}
	setList(s, OptTempAllow, append(values(s, OptTempAllow), domain+" "+e.spellTime(until)))
	return nil
}

// SetDNSBlock sets how a blocked DNS question is answered.
func (e *Editor) SetDNSBlock(m BlockMode) { setOption(e.agent(), OptDNSBlock, m.String()) }

// SetFailMode sets what happens to traffic the agent cannot inspect.
func (e *Editor) SetFailMode(m FailMode) { setOption(e.agent(), OptFailMode, m.String()) }

// SetHistoryDomains turns the blocked names in the activity history on or
// off.
func (e *Editor) SetHistoryDomains(on bool) {
	setOption(e.agent(), OptHistoryDomains, spellFlag(on))
}

// Prune drops from the people's sections what has run out by the editor's
// now: temporary allows, pauses and extra time that have ended, and extra
// minutes of past days. Load keeps such entries, which change nothing;
// whoever writes the file drops them.
func (e *Editor) Prune() {
	today := e.now.Format(time.DateOnly)
	ended := func(v string) bool {
		t, err := time.Parse(time.RFC3339, v)
		return err == nil && !t.After(e.now)
	}
	for _, s := range e.secs {
		if s.Type != typePerson {
			continue
		}
		s.Options = slices.DeleteFunc(s.Options, func(o uci.Option) bool {
			switch o.Name {
			case OptTempAllow:
				_, until, _ := strings.Cut(o.Value, " ")
				return ended(strings.TrimSpace(until))
			case OptBonus:
				b, err := parseBonus(o.Value)
				return err == nil && b.Date < today
			case OptPauseUntil, OptFreeUntil:
				return ended(o.Value)
			}
			return false
		})
	}
}

// notFound is ErrNotFound for the section of type typ named name.
func notFound(typ, name string) error {
	return fmt.Errorf("%w: %s %q", ErrNotFound, typ, name)
}

// find returns the section of type typ named name, or nil.
func (e *Editor) find(typ, name string) *uci.Section {
	for _, s := range e.secs {
		if s.Type == typ && s.Name == name {
			return s
		}
	}
	return nil
}

// person returns the person section named name.
func (e *Editor) person(name string) (*uci.Section, error) {
	if s := e.find(typePerson, name); s != nil {
		return s, nil
	}
	return nil, notFound(typePerson, name)
}

// device returns the device section whose mac option is mac, or nil.
func (e *Editor) device(mac [6]byte) *uci.Section {
	for _, s := range e.secs {
		if s.Type != typeDevice {
			continue
		}
		if v := values(s, OptMAC); len(v) == 1 {
			if got, err := ParseMAC(v[0]); err == nil && got == mac {
				return s
			}
		}
	}
	return nil
}

// agent returns the agent section, adding one named main first in the
// file when there is none.
func (e *Editor) agent() *uci.Section {
	for _, s := range e.secs {
		if s.Type == typeAgent {
			return s
		}
	}
	s := &uci.Section{Type: typeAgent, Name: "main"}
	e.secs = slices.Insert(e.secs, 0, s)
	return s
}

// named returns the section of type typ named name, or, with name "", a
// new one named after display.
func (e *Editor) named(typ, name, display string) (*uci.Section, error) {
	if name == "" {
		return e.add(typ, e.newName(display, typ+"_")), nil
	}
	if s := e.find(typ, name); s != nil {
		return s, nil
	}
	return nil, notFound(typ, name)
}

// add appends a new section.
func (e *Editor) add(typ, name string) *uci.Section {
	s := &uci.Section{Type: typ, Name: name}
	e.secs = append(e.secs, s)
	return s
}

// remove deletes section s.
func (e *Editor) remove(s *uci.Section) {
	e.secs = slices.DeleteFunc(e.secs, func(x *uci.Section) bool { return x == s })
}

// maxNameBase bounds the part of a new section's name taken from a
// display name.
const maxNameBase = 32

// newName returns a name for a new section shown as display: its ASCII
// letters and digits in lower case, spaces, hyphens and underscores as
// "_", at most maxNameBase bytes; prefix before it when it starts with a
// digit, prefix alone (without its "_") when nothing of display fits (a
// name in Cyrillic, say). Section names are one namespace in a file, and
// a built-in profile's name is kept for its profile section: a name that
// is taken gets "_2", "_3", ….
func (e *Editor) newName(display, prefix string) string {
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
	if len(base) > maxNameBase {
		base = base[:maxNameBase]
	}
	switch {
	case base == "":
		base = strings.TrimSuffix(prefix, "_")
	case base[0] >= '0' && base[0] <= '9':
		base = prefix + base
	}
	taken := func(n string) bool {
		_, builtin := Builtin(n)
		return builtin || slices.ContainsFunc(e.secs, func(s *uci.Section) bool { return s.Name == n })
	}
	if !taken(base) {
		return base
	}
	for i := 2; ; i++ {
		if n := base + "_" + strconv.Itoa(i); !taken(n) {
			return n
		}
	}
}

// setOption replaces option name of s, wherever it was, with one option
// statement of value, in the place of the first; "" removes it.
func setOption(s *uci.Section, name, value string) {
	var o []uci.Option
	if value != "" {
		o = []uci.Option{{Name: name, Value: value}}
	}
	replace(s, name, o)
}

// setList replaces option or list name of s with one list statement per
// value, in the place of the first statement; none removes it.
func setList(s *uci.Section, name string, vals []string) {
	o := make([]uci.Option, 0, len(vals))
	for _, v := range vals {
		o = append(o, uci.Option{Name: name, Value: v, List: true})
	}
	replace(s, name, o)
}

// replace replaces the statements of name in s with with, placed where the
// first was, or last.
func replace(s *uci.Section, name string, with []uci.Option) {
	at := slices.IndexFunc(s.Options, func(o uci.Option) bool { return o.Name == name })
	if at < 0 {
		s.Options = append(s.Options, with...)
		return
	}
	s.Options = slices.DeleteFunc(s.Options, func(o uci.Option) bool { return o.Name == name })
	s.Options = slices.Insert(s.Options, at, with...)
}

// values returns the values of option or list name of s.
func values(s *uci.Section, name string) []string {
	var out []string
	for _, o := range s.Options {
		if o.Name == name {
			out = append(out, o.Value)
		}
	}
	return out
}

// spellFlag spells a flag as the configuration documents it.
func spellFlag(on bool) string {
	if on {
		return "1"
	}
	return "0"
}

// spellLimit spells a time limit: whole minutes as a number of minutes,
// other durations as Go writes them (1m30s); parseLimit reads both.
func spellLimit(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.FormatInt(int64(d/time.Minute), 10)
	}
	return d.String()
}

// spellDaily spells the daily limit of l; "" (no option) for none.
func spellDaily(l Limits) string {
	if !l.HasDaily {
		return ""
	}
	return spellLimit(l.Daily)
}

// spellCategories spells a set of categories, in their order.
func spellCategories(s category.Set) []string {
	ids := s.IDs()
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, id.String())
	}
	return out
}

// spellTime spells a time in RFC 3339, to the second, in the zone of the
// editor's now.
func (e *Editor) spellTime(t time.Time) string {
	return t.In(e.now.Location()).Format(time.RFC3339)
}
