package config

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/safeinternet/cpe/agent/uci"
	"github.com/safeinternet/cpe/nfq/ctmark"
)

// FieldError is one problem in the configuration, placed by its uci path.
type FieldError struct {
	// Path is the section or option in uci path style, such as
	// "safeinternet.@device[1].mac" or "safeinternet.main".
	Path string
	// Line is the line of the offending statement, 0 when the problem is a
	// missing option.
	Line int
	// Err says what is wrong; it wraps one of the package's sentinel errors.
	Err error
}

// Error returns "path: problem (line N)".
func (e *FieldError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s: %v (line %d)", e.Path, e.Err, e.Line)
	}
	return e.Path + ": " + e.Err.Error()
}

// Unwrap returns Err.
func (e *FieldError) Unwrap() error { return e.Err }

// Option returns the name of the option the problem is about, such as
// OptDailyLimit; "" when it is about a whole section.
func (e *FieldError) Option() string {
	_, rest, _ := strings.Cut(e.Path, ".") // the package
	_, opt, _ := strings.Cut(rest, ".")    // the section
	return opt
}

// Validate reports every problem in f at once: nil, or the errors.Join of one
// *FieldError per problem, ordered by line. It does not modify f.
func (f *File) Validate() error {
	_, errs := f.build()
	return errors.Join(errs...)
}

// Defaults of the agent section.
const (
	defaultLAN          = "br-lan"
	defaultQueues       = 1
	maxQueues           = 64
	defaultDNSTTL       = 60
	maxDNSTTL           = 86400
	defaultGuard        = 8
	maxGuard            = 64
	defaultLogDecisions = false
	defaultResolver     = "127.0.0.1:53"
)

// builder collects the problems found while converting a File.
type builder struct {
	errs []error
}

func (b *builder) add(path string, line int, err error) {
	b.errs = append(b.errs, &FieldError{Path: path, Line: line, Err: err})
}

func (b *builder) invalid(path string, line int, err error) {
	b.add(path, line, &problem{kind: ErrInvalid, msg: err.Error()})
}

// sectionPath returns the uci path of a section, tolerating a nil one in a
// hand-made File.
func sectionPath(s *uci.Section, typ string, i int) string {
	if s == nil {
		return Package + ".@" + typ + "[" + strconv.Itoa(i) + "]"
	}
	return Package + "." + s.Path()
}

func sectionLine(s *uci.Section) int {
	if s == nil {
		return 0
	}
	return s.Line
}

// build converts f, collecting every problem instead of stopping at the
// first. The Config is meaningful only when no problem was found.
func (f *File) build() (*Config, []error) {
	b := &builder{}
	cfg := &Config{Version: CurrentVersion}
	b.names(f)
	for _, s := range f.Unknown {
		msg := fmt.Sprintf("unknown section type %q", s.Type)
		if t := suggest(s.Type, sectionTypes); t != "" {
			msg += " (did you mean " + t + "?)"
		} else {
			msg += " (known: " + strings.Join(sectionTypes, ", ") + ")"
		}
		b.add(Package+"."+s.Path(), s.Line, problemf(ErrUnknownSection, "%s", msg))
	}
	var agent *AgentSection
	for i, a := range f.Agents {
		if i == 0 {
			agent = a
			continue
		}
		b.add(sectionPath(a.Section, typeAgent, i), sectionLine(a.Section),
			problemf(ErrRepeated, "more than one agent section (the first is %s)", sectionPath(f.Agents[0].Section, typeAgent, 0)))
	}
	if agent == nil {
		agent = &AgentSection{Section: &uci.Section{Type: typeAgent, Name: "main"}}
	}
	b.agent(cfg, agent)
	b.baseline(cfg, f.ISPs)
	schedules := b.schedules(cfg, f.Schedules)
	profiles := b.profiles(cfg, f.Profiles, schedules)
	people := b.people(cfg, f.People, profiles, schedules)
	b.devices(cfg, f.Devices, profiles, people)
	b.lists(cfg, f.Lists)
	cfg.Unassigned = DefaultUnassigned
	if name := agent.Unassigned.Value; name != "" {
		if profiles[name] {
			cfg.Unassigned = name
		} else {
			b.invalid(sectionPath(agent.Section, typeAgent, 0)+".unassigned_profile", agent.Unassigned.Line, unknownProfile(name, profiles))
		}
	}
	slices.SortStableFunc(b.errs, func(x, y error) int {
		return x.(*FieldError).Line - y.(*FieldError).Line
	})
	return cfg, b.errs
}

// names reports section names used twice: uci would merge the sections,
// which is never what was meant.
func (b *builder) names(f *File) {
	first := map[string]*uci.Section{}
	for _, s := range f.sections {
		if s.Name == "" {
			continue
		}
		if prev, ok := first[s.Name]; ok {
			b.add(Package+"."+s.Name, s.Line, problemf(ErrRepeated, "section name already used on line %d", prev.Line))
			continue
		}
		first[s.Name] = s
	}
}

// strays reports the statements a section could not take.
func (b *builder) strays(path string, stray []Stray) {
	for _, st := range stray {
		b.add(path+"."+st.Option.Name, st.Option.Line, st.Err)
	}
}

// agent converts the agent section into cfg.
func (b *builder) agent(cfg *Config, a *AgentSection) {
	path := sectionPath(a.Section, typeAgent, 0)
	b.strays(path, a.Stray)
	opt := func(name string) string { return path + "." + name }

	if len(a.LAN) == 0 {
		cfg.LAN = []string{defaultLAN}
	}
	for _, f := range a.LAN {
		if err := checkInterface(f.Value); err != nil {
			b.invalid(opt("lan"), f.Line, err)
			continue
		}
		if !slices.Contains(cfg.LAN, f.Value) {
			cfg.LAN = append(cfg.LAN, f.Value)
		}
	}

	queue := b.number(opt("queue"), a.Queue, 0, 0, 65535)
	queues := b.number(opt("queues"), a.Queues, defaultQueues, 1, maxQueues)
	if queue+queues-1 > 65535 {
		b.invalid(opt("queues"), a.Queues.Line, fmt.Errorf("%d queues from queue %d go past queue 65535", queues, queue))
	}
	cfg.Queue, cfg.Queues = uint16(queue), uint16(queues)

	cfg.Layout, _ = ctmark.New(ctmark.DefaultMask)
	if v := a.CtMarkMask.Value; v != "" {
		mask, err := strconv.ParseUint(v, 0, 32)
		if err != nil {
			b.invalid(opt("ct_mark_mask"), a.CtMarkMask.Line, fmt.Errorf("%q is not a 32-bit number such as 0x7f000000", v))
		} else if l, err := ctmark.New(uint32(mask)); err != nil {
			b.invalid(opt("ct_mark_mask"), a.CtMarkMask.Line, fmt.Errorf("%q: the mask must be one run of at least 2 contiguous bits", v))
		} else {
			cfg.Layout = l
		}
	}

	if v := a.FailMode.Value; v != "" {
		m, err := ParseFailMode(v)
		if err != nil {
			b.invalid(opt(OptFailMode), a.FailMode.Line, err)
		}
		cfg.FailMode = m
	}
	if v := a.DNSBlock.Value; v != "" {
		m, err := ParseBlockMode(v)
		if err != nil {
			b.invalid(opt(OptDNSBlock), a.DNSBlock.Line, err)
		}
		cfg.DNSBlock = m
	}
	cfg.DNSTTL = uint32(b.number(opt("dns_ttl"), a.DNSTTL, defaultDNSTTL, 0, maxDNSTTL))
	cfg.Guard = int(b.number(opt("guard"), a.Guard, defaultGuard, 1, maxGuard))
	cfg.LogDecisions = b.flag(opt("log_decisions"), a.LogDecisions, defaultLogDecisions)
	cfg.HistoryDomains = b.flag(opt(OptHistoryDomains), a.History, false)
	cfg.UISetupCode = a.SetupCode.Value
	if n := len(cfg.UISetupCode); n > 0 && (n < 6 || n > 64) {
		b.invalid(opt("ui_setup_code"), a.SetupCode.Line, fmt.Errorf("a setup code has 6 to 64 characters, not %d", n))
	}
	resolver := a.Resolver.Value
	if resolver == "" {
		resolver = defaultResolver
	}
	ap, err := netip.ParseAddrPort(resolver)
	if err != nil {
		if addr, aerr := netip.ParseAddr(resolver); aerr == nil {
			ap, err = netip.AddrPortFrom(addr, 53), nil
		}
	}
	if err != nil {
		b.invalid(opt("resolver"), a.Resolver.Line, fmt.Errorf("%q is not an address such as 127.0.0.1:53 or [::1]:53", resolver))
	}
	cfg.Resolver = ap
	b.agentTime(cfg, a, opt)
}

// unknownProfile explains a reference to a profile that does not exist.
func unknownProfile(name string, profiles map[string]bool) error {
	return unknownName("profile", name, profiles)
}

// unknownName explains a reference to a section of type what that does not
// exist.
func unknownName(what, name string, names map[string]bool) error {
	known := make([]string, 0, len(names))
	for p := range names {
		known = append(known, p)
	}
	slices.Sort(known)
	if len(known) == 0 {
		return fmt.Errorf("no %s %q: there are no %s sections", what, name, what)
	}
	if s := suggest(name, known); s != "" {
		return fmt.Errorf("no %s %q (did you mean %s?)", what, name, s)
	}
	return fmt.Errorf("no %s %q (known: %s)", what, name, strings.Join(known, ", "))
}

// flag converts a boolean option; an absent or empty option, or a bad one
// (reported), takes def.
func (b *builder) flag(path string, f Field, def bool) bool {
	if f.Value == "" {
		return def
	}
	on, err := parseBool(f.Value)
	if err != nil {
		b.invalid(path, f.Line, err)
		return def
	}
	return on
}

// named reports a section without the name that others refer to it by,
// and says whether it has one. what is "a schedule", "a profile", …; who
// names the sections that refer to it.
func (b *builder) named(path string, s *uci.Section, what, who string) bool {
	if s == nil || s.Name == "" {
		b.add(path, sectionLine(s), problemf(ErrInvalid, "%s needs a section name, which %s refer to", what, who))
		return false
	}
	return true
}

// number converts a decimal option in [lo, hi]; an absent or empty option
// (uci deletes an option set to "") takes def.
func (b *builder) number(path string, f Field, def, lo, hi uint64) uint64 {
	if f.Value == "" {
		return def
	}
	n, err := parseUint(f.Value, lo, hi)
	if err != nil {
		b.invalid(path, f.Line, err)
		return def
	}
	return n
}

// devices converts the device sections into cfg.
func (b *builder) devices(cfg *Config, devices []*DeviceSection, profiles, people map[string]bool) {
	owner := map[[6]byte]string{} // MAC → path of the device that has it
	for i, d := range devices {
		path := sectionPath(d.Section, typeDevice, i)
		b.strays(path, d.Stray)
		dev := Device{Path: path}

		switch {
		case d.MAC.Value == "":
			b.add(path+"."+OptMAC, sectionLine(d.Section), problemf(ErrInvalid, "missing: every device needs its MAC address"))
		default:
			mac, err := ParseMAC(d.MAC.Value)
			if err != nil {
				b.invalid(path+"."+OptMAC, d.MAC.Line, err)
				break
			}
			if prev, ok := owner[mac]; ok {
				b.add(path+"."+OptMAC, d.MAC.Line, problemf(ErrRepeated, "%s is already the MAC address of %s", FormatMAC(mac), prev))
				break
			}
			owner[mac] = path
			dev.MAC = mac
		}

		if err := checkDeviceName(d.Name.Value); err != nil {
			b.invalid(path+"."+OptName, d.Name.Line, err)
		}
		switch {
		case d.Name.Value != "":
			dev.Name = d.Name.Value
		case d.Section != nil && d.Section.Name != "":
			dev.Name = d.Section.Name
		default:
			dev.Name = FormatMAC(dev.MAC)
		}

		if err := checkDeviceName(d.Kind.Value); err != nil {
			b.invalid(path+"."+OptKind, d.Kind.Line, err)
		}
		dev.Kind = d.Kind.Value
		if name := d.Person.Value; name != "" {
			if people[name] {
				dev.Person = name
			} else {
				b.invalid(path+"."+OptPerson, d.Person.Line, unknownName("person", name, people))
			}
		}
		if name := d.Profile.Value; name != "" {
			if profiles[name] {
				dev.Profile = name
			} else {
				b.invalid(path+"."+OptProfile, d.Profile.Line, unknownProfile(name, profiles))
			}
		}

		seen := make(map[string]bool, len(d.Block))
		for _, f := range d.Block {
			name, err := NormalizeDomain(f.Value)
			if err != nil {
				b.invalid(path+"."+OptBlock, f.Line, err)
				continue
			}
			if !seen[name] {
				seen[name] = true
				dev.Block = append(dev.Block, name)
			}
		}
		cfg.Devices = append(cfg.Devices, dev)
	}
}
