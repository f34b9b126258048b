package config

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/safeinternet/cpe/agent/uci"
)

// File is the on-disk schema: the UCI file decoded into one struct per
// section, every value still the text that was written, with its line. Parse
// makes one; Validate checks it; Load turns it into a Config. A File is not
// safe for concurrent modification.
type File struct {
	// Version is the schema version the file was written in (its agent
	// section's version option, 1 when absent). Parse has already migrated
	// the sections to CurrentVersion.
	Version int
	// Agents holds every "config agent" section; a valid file has at most
	// one.
	Agents []*AgentSection
	// Devices holds the "config device" sections in file order.
	Devices []*DeviceSection
	// Profiles holds the "config profile" sections in file order.
	Profiles []*ProfileSection
	// People holds the "config person" sections in file order.
	People []*PersonSection
	// Schedules holds the "config schedule" sections in file order.
	Schedules []*ScheduleSection
	// Lists holds the "config category_list" sections in file order.
	Lists []*ListSection
	// ISPs holds every "config isp" section; a valid file has at most one.
	ISPs []*ISPSection
	// Unknown holds sections of a type this schema does not know; any is an
	// error.
	Unknown []*uci.Section
	// sections is every section in file order, for name checks.
	sections []*uci.Section
}

// Field is one option value as written. Set is false, and Value and Line
// zero, when the option is absent.
type Field struct {
	Value string
	Line  int
	Set   bool
}

// Stray is an option statement the schema cannot take: an unknown option, an
// option set twice, or a list statement for a single value. Err wraps
// ErrUnknownOption or ErrRepeated and explains.
type Stray struct {
	Option uci.Option
	Err    error
}

// AgentSection is the "config agent" section as written. See DefaultFile for
// what each option means.
type AgentSection struct {
	// Section is the section as read, for its path and line; never nil in a
	// File made by Parse.
	Section *uci.Section

	Version      Field
	LAN          []Field
	Queue        Field
	Queues       Field
	CtMarkMask   Field
	FailMode     Field
	DNSBlock     Field
	DNSTTL       Field
	Guard        Field
	LogDecisions Field
	Unassigned   Field
	Resolver     Field
	Period       Field
	Threshold    Field
	Unsynced     Field
	UIPort       Field
	UIFrame      []Field
	History      Field
	SetupCode    Field

	Stray []Stray
}

// DeviceSection is one "config device" section as written.
type DeviceSection struct {
	// Section is the section as read, for its path and line; never nil in a
	// File made by Parse.
	Section *uci.Section

	MAC     Field
	Name    Field
	Kind    Field
	Person  Field
	Profile Field
	Block   []Field

	Stray []Stray
}

// ProfileSection is one "config profile" section as written.
type ProfileSection struct {
	// Section is the section as read, for its path and line; never nil in a
	// File made by Parse.
	Section *uci.Section

	Age        Field
	Restricted Field
	QUIC       Field
	SafeSearch Field
	YouTube    Field
	Rules      RuleFields

	Stray []Stray
}

// RuleFields are the options that people and profiles share: category
// switches, schedules and time limits.
type RuleFields struct {
	BlockCategory []Field
	AllowCategory []Field
	Schedule      []Field
	DailyLimit    Field
	CategoryLimit []Field
}

// PersonSection is one "config person" section as written.
type PersonSection struct {
	Section *uci.Section

	Name       Field
	Profile    Field
	Allow      []Field
	Block      []Field
	Rules      RuleFields
	PauseUntil Field
	FreeUntil  Field
	Bonus      []Field
	TempAllow  []Field

	Stray []Stray
}

// ScheduleSection is one "config schedule" section as written.
type ScheduleSection struct {
	Section *uci.Section

	Name          Field
	Kind          Field
	Window        []Field
	BlockCategory []Field

	Stray []Stray
}

// ListSection is one "config category_list" section as written.
type ListSection struct {
	Section *uci.Section

	Path     Field
	Format   Field
	Category Field
	Enabled  Field

	Stray []Stray
}

// ISPSection is the "config isp" section as written: the baseline the
// household cannot loosen.
type ISPSection struct {
	Section *uci.Section

	BlockCategory      []Field
	ChildBlockCategory []Field
	Block              []Field
	SafeSearch         Field
	YouTube            Field

	Stray []Stray
}

// Sentinel errors, wrapped by the errors Parse and Validate return, for
// callers (the web page, later) that branch on the kind of problem.
var (
	// ErrVersion reports a schema version this agent cannot read.
	ErrVersion = errors.New("config: unsupported schema version")
	// ErrUnknownSection reports a section of a type the schema lacks.
	ErrUnknownSection = errors.New("config: unknown section type")
	// ErrUnknownOption reports an option the schema lacks.
	ErrUnknownOption = errors.New("config: unknown option")
	// ErrRepeated reports an option or section name given more than once.
	ErrRepeated = errors.New("config: given more than once")
	// ErrInvalid reports a value that is malformed or out of range, or a
	// required value that is missing.
	ErrInvalid = errors.New("config: invalid value")
)

// problem is an error with its own text that still matches a sentinel with
// errors.Is.
type problem struct {
	kind error
	msg  string
}

func (p *problem) Error() string        { return p.msg }
func (p *problem) Is(target error) bool { return target == p.kind }

func problemf(kind error, format string, args ...any) error {
	return &problem{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// Section types.
const (
	typeAgent    = "agent"
	typeDevice   = "device"
	typeProfile  = "profile"
	typePerson   = "person"
	typeSchedule = "schedule"
	typeList     = "category_list"
	typeISP      = "isp"
)

// Options that Parse reads and the Editor writes: the household's options
// and the settings the web page changes. A FieldError's Path ends in its
// option's name (FieldError.Option). Options only read (the rest of the
// agent section, category lists, the ISP baseline's own) are spelled where
// they are decoded.
const (
	OptName           = "name"            // display name: person, schedule, device
	OptProfile        = "profile"         // a profile's name: person, device
	OptAllow          = "allow"           // list of domains: person
	OptBlock          = "block"           // list of domains: person, device, isp
	OptBlockCategory  = "block_category"  // list of categories: person, profile, schedule, isp
	OptAllowCategory  = "allow_category"  // list of categories: person, profile
	OptSchedule       = "schedule"        // list of schedule names: person, profile
	OptDailyLimit     = "daily_limit"     // a time limit (see parseLimit): person, profile
	OptCategoryLimit  = "category_limit"  // list of "category limit": person, profile
	OptPauseUntil     = "pause_until"     // RFC 3339 time or "forever": person
	OptFreeUntil      = "free_until"      // RFC 3339 time: person
	OptBonus          = "bonus"           // list of "YYYY-MM-DD limit": person
	OptTempAllow      = "temp_allow"      // list of "domain RFC3339-time": person
	OptMAC            = "mac"             // device
	OptKind           = "kind"            // free text: device; bedtime, focus, allowed: schedule
	OptPerson         = "person"          // a person's name: device
	OptSafeSearch     = "safesearch"      // flag: profile, isp
	OptYouTube        = "youtube"         // off, moderate, strict: profile, isp
	OptQUIC           = "quic"            // flag: profile
	OptWindow         = "window"          // list of windows (schedule.ParseWindow): schedule
	OptDNSBlock       = "dns_block"       // nxdomain, null, page: agent
	OptFailMode       = "fail_mode"       // closed, open: agent
	OptHistoryDomains = "history_domains" // flag: agent
)

// sectionTypes lists every section type the schema knows, for suggestions.
var sectionTypes = []string{typeAgent, typeDevice, typeProfile, typePerson, typeSchedule, typeList, typeISP}

// rules adds the shared rule options to the option maps of a section.
func (r *RuleFields) options(scalars map[string]*Field, lists map[string]*[]Field) {
	scalars[OptDailyLimit] = &r.DailyLimit
	lists[OptBlockCategory] = &r.BlockCategory
	lists[OptAllowCategory] = &r.AllowCategory
	lists[OptSchedule] = &r.Schedule
	lists[OptCategoryLimit] = &r.CategoryLimit
}

// Parse reads the UCI file name from fsys and decodes it into a File. It
// fails only when the file cannot be read, is not valid UCI syntax (the error
// names the file and line), or has a schema version this agent does not know
// (ErrVersion); every other problem is left for Validate, which reports them
// all at once.
//
// To read /etc/config/safeinternet, pass os.DirFS("/etc/config") and
// "safeinternet", or use LoadFile.
func Parse(fsys fs.FS, name string) (*File, error) {
	sections, err := uci.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return decode(sections)
}

// parseBytes is Parse for a file already in memory.
func parseBytes(name string, data []byte) (*File, error) {
	sections, err := uci.Parse(name, data)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return decode(sections)
}

// decode migrates sections to CurrentVersion and sorts them into a File.
func decode(sections []*uci.Section) (*File, error) {
	version, err := fileVersion(sections)
	if err != nil {
		return nil, err
	}
	if err := migrate(sections, version); err != nil {
		return nil, err
	}
	f := &File{Version: version, sections: sections}
	for _, s := range sections {
		switch s.Type {
		case typeAgent:
			a := &AgentSection{Section: s}
			a.Stray = decodeOptions(s, map[string]*Field{
				"version":            &a.Version,
				"queue":              &a.Queue,
				"queues":             &a.Queues,
				"ct_mark_mask":       &a.CtMarkMask,
				OptFailMode:          &a.FailMode,
				OptDNSBlock:          &a.DNSBlock,
				"dns_ttl":            &a.DNSTTL,
				"guard":              &a.Guard,
				"log_decisions":      &a.LogDecisions,
				"unassigned_profile": &a.Unassigned,
				"resolver":           &a.Resolver,
				"accounting_period":  &a.Period,
				"activity_threshold": &a.Threshold,
				"unsynced_clock":     &a.Unsynced,
				"ui_port":            &a.UIPort,
				OptHistoryDomains:    &a.History,
				"ui_setup_code":      &a.SetupCode,
			}, map[string]*[]Field{"lan": &a.LAN, "ui_frame_ancestor": &a.UIFrame})
			f.Agents = append(f.Agents, a)
		case typeDevice:
			d := &DeviceSection{Section: s}
			d.Stray = decodeOptions(s, map[string]*Field{
				OptMAC:     &d.MAC,
				OptName:    &d.Name,
				OptKind:    &d.Kind,
				OptPerson:  &d.Person,
				OptProfile: &d.Profile,
			}, map[string]*[]Field{OptBlock: &d.Block})
			f.Devices = append(f.Devices, d)
		case typeProfile:
			p := &ProfileSection{Section: s}
			scalars := map[string]*Field{
				"age":         &p.Age,
				"restricted":  &p.Restricted,
				OptQUIC:       &p.QUIC,
				OptSafeSearch: &p.SafeSearch,
				OptYouTube:    &p.YouTube,
			}
			lists := map[string]*[]Field{}
			p.Rules.options(scalars, lists)
			p.Stray = decodeOptions(s, scalars, lists)
			f.Profiles = append(f.Profiles, p)
		case typePerson:
			p := &PersonSection{Section: s}
			scalars := map[string]*Field{
				OptName:       &p.Name,
				OptProfile:    &p.Profile,
				OptPauseUntil: &p.PauseUntil,
				OptFreeUntil:  &p.FreeUntil,
			}
			lists := map[string]*[]Field{OptAllow: &p.Allow, OptBlock: &p.Block, OptBonus: &p.Bonus, OptTempAllow: &p.TempAllow}
			p.Rules.options(scalars, lists)
			p.Stray = decodeOptions(s, scalars, lists)
			f.People = append(f.People, p)
		case typeSchedule:
			sc := &ScheduleSection{Section: s}
			sc.Stray = decodeOptions(s, map[string]*Field{OptKind: &sc.Kind, OptName: &sc.Name},
				map[string]*[]Field{OptWindow: &sc.Window, OptBlockCategory: &sc.BlockCategory})
			f.Schedules = append(f.Schedules, sc)
		case typeList:
			l := &ListSection{Section: s}
			l.Stray = decodeOptions(s, map[string]*Field{
				"path": &l.Path, "format": &l.Format, "category": &l.Category, "enabled": &l.Enabled,
			}, nil)
			f.Lists = append(f.Lists, l)
		case typeISP:
			i := &ISPSection{Section: s}
			i.Stray = decodeOptions(s, map[string]*Field{OptSafeSearch: &i.SafeSearch, OptYouTube: &i.YouTube},
				map[string]*[]Field{OptBlockCategory: &i.BlockCategory, "child_block_category": &i.ChildBlockCategory,
					OptBlock: &i.Block})
			f.ISPs = append(f.ISPs, i)
		default:
			f.Unknown = append(f.Unknown, s)
		}
	}
	return f, nil
}

// decodeOptions fills the fields of one section and returns the statements
// it could not take. A single value is set by one option statement. A list
// takes every list statement, and may start with one option statement (a
// one-value list written the short way); an option statement after earlier
// values would replace them in uci, so it is refused rather than guessed at.
func decodeOptions(s *uci.Section, scalars map[string]*Field, lists map[string]*[]Field) []Stray {
	var stray []Stray
	first := map[string]int{} // line of the first statement, by name
	for _, o := range s.Options {
		seen, repeated := first[o.Name]
		if !repeated {
			first[o.Name] = o.Line
		}
		if f, ok := scalars[o.Name]; ok {
			switch {
			case o.List:
				stray = append(stray, Stray{o, problemf(ErrRepeated, "takes one value: write option, not list")})
			case repeated:
				stray = append(stray, Stray{o, problemf(ErrRepeated, "set more than once (first on line %d)", seen)})
			default:
				*f = Field{Value: o.Value, Line: o.Line, Set: true}
			}
			continue
		}
		if l, ok := lists[o.Name]; ok {
			if !o.List && repeated {
				stray = append(stray, Stray{o, problemf(ErrRepeated, "option would replace the values from line %d: write every value with list", seen)})
				continue
			}
			*l = append(*l, Field{Value: o.Value, Line: o.Line, Set: true})
			continue
		}
		known := make([]string, 0, len(scalars)+len(lists))
		for name := range scalars {
			known = append(known, name)
		}
		for name := range lists {
			known = append(known, name)
		}
		slices.Sort(known)
		msg := "unknown option"
		if s := suggest(o.Name, known); s != "" {
			msg += " (did you mean " + s + "?)"
		} else {
			msg += " (known: " + strings.Join(known, ", ") + ")"
		}
		stray = append(stray, Stray{o, problemf(ErrUnknownOption, "%s", msg)})
	}
	return stray
}

// CurrentVersion is the schema version this agent reads; older versions are
// migrated to it by Parse.
const CurrentVersion = 1

// fileVersion returns the schema version of the first agent section (1 when
// it, or the option, is absent).
func fileVersion(sections []*uci.Section) (int, error) {
	for _, s := range sections {
		if s.Type != typeAgent {
			continue
		}
		for _, o := range s.Options {
			if o.Name != "version" || o.List || o.Value == "" {
				continue
			}
			v, err := strconv.Atoi(o.Value)
			if err != nil || v < 1 {
				return 0, &FieldError{Path: Package + "." + s.Path() + ".version", Line: o.Line,
					Err: problemf(ErrVersion, "%q is not a schema version", o.Value)}
			}
			if v > CurrentVersion {
				return 0, &FieldError{Path: Package + "." + s.Path() + ".version", Line: o.Line,
					Err: problemf(ErrVersion, "version %d is newer than this agent reads (%d): update the agent", v, CurrentVersion)}
			}
			return v, nil
		}
		return 1, nil
	}
	return 1, nil
}

// migrate rewrites sections written in schema version from into
// CurrentVersion, one version at a time, and sets the version option to
// CurrentVersion when it changed anything. Each step gets a migrateN function
// and before/after files under testdata/migrate.
func migrate(sections []*uci.Section, from int) error {
	for v := from; v < CurrentVersion; v++ {
		if err := migrateFrom(sections, v); err != nil {
			return err
		}
	}
	return nil
}

// migrateFrom rewrites sections written in schema version v into version
// v+1.
func migrateFrom(sections []*uci.Section, v int) error {
	switch v {
	// case 1: migrate1(sections), when version 2 comes.
	default:
		return problemf(ErrVersion, "config: no migration from schema version %d", v)
	}
}
