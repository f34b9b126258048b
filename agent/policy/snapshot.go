package policy

import (
	"bytes"
	"errors"
	"fmt"
	"math/bits"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/config"
)

// Snapshot is a compiled, immutable policy. Build one with Compile; the zero
// value and nil are not usable. Safe for concurrent use.
type Snapshot struct {
	// devices holds the configured devices by MAC. Its size is the number of
	// device sections: bounded by the configuration, never grown by traffic.
	devices map[[6]byte]*device
	// unassigned stands for every device not configured, and for queries
	// without a MAC; never nil.
	unassigned *device
	// people holds the household's people (and the stand-ins of devices that
	// belong to nobody), in configuration order.
	people []*person
	// chain is the ordered list of checks Decide runs.
	chain []check
	// bypass holds the DNS bypass names (see bypassNames).
	bypass map[string]Answer
	// safe holds the SafeSearch host tables.
	safe *safeSearch
	// lists is the category matcher; never nil (empty when no list is
	// loaded).
	lists *category.Matcher
	// floor is the ISP baseline.
	floor floor
	// unsynced is what schedules do before NTP has set the clock.
	unsynced config.UnsyncedPolicy
}

// floor is the ISP baseline, compiled.
type floor struct {
	block, childBlock category.Set
	domains           map[string]string
}

// device is one configured device, compiled.
type device struct {
	name   string
	person *person
	// block maps each blocked domain to itself, so that a match returns the
	// snapshot's own copy of the string.
	block map[string]string
}

// check is one named step of the decision chain. Checks are a closed set
// dispatched by a switch, not func values, so that Decide's name buffer
// provably stays on the stack.
type check uint8

const (
	checkFloor      check = iota // the ISP baseline
	checkReadable                // restricted: evasive, unreadable, ambiguous names
	checkQUIC                    // the profile's QUIC switch
	checkDNSBypass               // restricted: port 853, canary and discovery names
	checkOverrides               // person and device block lists, person allow list
	checkSchedule                // pause, bedtime, allowed windows, focus
	checkLimits                  // used-up daily limits
	checkCategories              // the profile's blocked categories
	checkSafeSearch              // SafeSearch and YouTube redirects (DNS)
)

// String returns the check's name.
func (c check) String() string {
	switch c {
	case checkFloor:
		return "isp_floor"
	case checkReadable:
		return "readable"
	case checkQUIC:
		return "quic"
	case checkDNSBypass:
		return "dns_bypass"
	case checkOverrides:
		return "overrides"
	case checkSchedule:
		return "schedule"
	case checkLimits:
		return "limits"
	case checkCategories:
		return "categories"
	case checkSafeSearch:
		return "safesearch"
	}
	return fmt.Sprintf("check(%d)", uint8(c))
}

// ErrCompile is wrapped by every error Compile returns.
var ErrCompile = errors.New("policy: compile")

// Compile builds a Snapshot from cfg and the category lists (nil: none). It
// copies what it needs from cfg, so cfg may be dropped or reused
// afterwards; lists is shared, never modified. It fails on a nil cfg, a MAC
// address given to two devices, a reference to a missing profile, person or
// schedule, or a list entry that is not a domain name; a Config from
// config.Load has none of these.
func Compile(cfg *config.Config, lists *category.Matcher) (*Snapshot, error) {
	if cfg == nil {
		return nil, fmt.Errorf("%w: nil config", ErrCompile)
	}
	if lists == nil {
		lists = category.NewBuilder().Build()
	}
	s := &Snapshot{
		devices: make(map[[6]byte]*device, len(cfg.Devices)),
		chain: []check{checkFloor, checkReadable, checkQUIC, checkDNSBypass, checkOverrides,
			checkSchedule, checkLimits, checkCategories, checkSafeSearch},
		bypass:   bypassNames(),
		safe:     newSafeSearch(),
		lists:    lists,
		unsynced: cfg.Unsynced,
		floor: floor{block: cfg.Baseline.Block, childBlock: cfg.Baseline.ChildBlock,
			domains: domainSet(cfg.Baseline.Domains)},
	}
	h, err := newHousehold(cfg)
	if err != nil {
		return nil, err
	}
	unassigned, err := h.standIn(Unassigned, "", cfg.Unassigned)
	if err != nil {
		return nil, err
	}
	s.unassigned = &device{person: unassigned}
	for _, d := range cfg.Devices {
		if _, dup := s.devices[d.MAC]; dup {
			return nil, fmt.Errorf("%w: %s: MAC address %s is used by another device", ErrCompile, d.Path, config.FormatMAC(d.MAC))
		}
		dev := &device{name: d.Name, block: make(map[string]string, len(d.Block))}
		switch {
		case d.Person != "":
			dev.person = h.people[d.Person]
			if dev.person == nil {
				return nil, fmt.Errorf("%w: %s: no person %q", ErrCompile, d.Path, d.Person)
			}
		case d.Profile != "":
			if dev.person, err = h.standIn("device:"+config.FormatMAC(d.MAC), d.Name, d.Profile); err != nil {
				return nil, err
			}
		default:
			dev.person = unassigned
		}
		dev.person.macs = append(dev.person.macs, d.MAC)
		for _, b := range d.Block {
			name, err := config.NormalizeDomain(b)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrCompile, d.Path, err)
			}
			dev.block[name] = name
		}
		s.devices[d.MAC] = dev
	}
	s.people = h.order
	return s, nil
}

// Checks returns the names of the checks Decide runs, in order. The slice is the caller's.
func (s *Snapshot) Checks() []string {
	names := make([]string, len(s.chain))
	for i, c := range s.chain {
		names[i] = c.String()
	}
	return names
}

// Decide answers q. It does not allocate, does not retain q.Name, and is safe
// to call from many goroutines at once. s must not be nil.
func (s *Snapshot) Decide(q Query) Decision {
	dev := s.device(q)
	p := dev.person
	st := &p.settings
	var buf [config.MaxDomain]byte
	name := canonical(q.Name, &buf)
	var cats category.Set
	if len(name) > 0 {
		cats = s.lists.Lookup(name)
	}
	allowlisted := cats.Has(category.Allowlist)
	for _, c := range s.chain {
		switch c {
		case checkFloor:
			if rule, ok := lookupSuffix(s.floor.domains, name); ok {
				return dev.decision(Block, ReasonISP, rule, 0, len(rule))
			}
			locked := s.floor.block
			if st.Restricted {
				locked |= s.floor.childBlock
			}
			if hit := cats & locked; hit != 0 {
				return s.categoryDecision(dev, ReasonISP, hit, name)
			}
		case checkReadable:
			if !st.Restricted {
				continue
			}
			switch {
			case q.Flags&FlagEvasion != 0:
				return dev.decision(Block, ReasonEvasion, "", 0, 0)
			case q.Flags&FlagUnreadable != 0:
				return dev.decision(Block, ReasonUnreadable, "", 0, 0)
			case q.Flags&FlagAmbiguous != 0:
				return dev.decision(Block, ReasonAmbiguousName, "", 0, 0)
			}
		case checkQUIC:
			if q.Kind == QUIC && st.NoQUIC {
				return dev.decision(Block, ReasonNoQUIC, "", 0, 0)
			}
		case checkDNSBypass:
			if !st.Restricted {
				continue
			}
			if q.Port == 853 && (q.Kind == TLS || q.Kind == QUIC) {
				return dev.decision(Block, ReasonDNSBypass, "port 853", 0, 0)
			}
			if answer, ok := s.bypass[string(name)]; ok {
				d := dev.decision(Block, ReasonDNSBypass, "", 0, 0)
				d.Answer = answer
				return d
			}
		case checkOverrides:
			if rule, ok := lookupSuffix(dev.block, name); ok {
				return dev.decision(Block, ReasonDeviceBlocklist, rule, 0, len(rule))
			}
			if rule, ok := lookupSuffix(p.block, name); ok {
				return dev.decision(Block, ReasonDenyList, rule, 0, len(rule))
			}
			if rule, ok := lookupSuffix(p.allow, name); ok {
				return dev.decision(Allow, ReasonAllowList, rule, category.Allowlist, len(rule))
			}
			if rule, ok := lookupSuffix(p.tempAllow, name); ok && q.Now.Before(p.tempUntil[rule]) {
				return dev.decision(Allow, ReasonAllowList, rule, category.Allowlist, len(rule))
			}
		case checkSchedule:
			state := p.state(q.Now, q.Unsynced, s.unsynced)
			if state.reason != ReasonNone {
				if allowlisted {
					return s.allowlistedDecision(dev, name)
				}
				return dev.decision(Block, state.reason, state.rule, 0, 0)
			}
			if hit := cats & state.focus &^ allowSet(allowlisted); hit != 0 {
				d := s.categoryDecision(dev, ReasonFocus, hit, name)
				d.Rule = state.rule
				return d
			}
		case checkLimits:
			if p.free(q.Now) {
				continue
			}
			used := q.Usage.of(p.id)
			if used.Total {
				if allowlisted {
					return s.allowlistedDecision(dev, name)
				}
				return dev.decision(Block, ReasonTimeLimit, "", 0, 0)
			}
			if hit := cats & used.Categories &^ allowSet(allowlisted); hit != 0 {
				return s.categoryDecision(dev, ReasonCategoryLimit, hit, name)
			}
		case checkCategories:
			if allowlisted {
				continue
			}
			if hit := cats & p.blocked; hit != 0 {
				return s.categoryDecision(dev, ReasonCategory, hit, name)
			}
		case checkSafeSearch:
			if q.Kind != DNS {
				continue
			}
			if t := s.safe.target(name, st); t != "" {
				d := dev.decision(Redirect, ReasonSafeSearch, "", 0, 0)
				d.Target = t
				return d
			}
		}
	}
	counted := countedCategory(cats)
	switch {
	case q.Flags&FlagUnreadable != 0:
		return dev.decision(Allow, ReasonUnreadable, "", 0, 0)
	case len(name) == 0 && q.Kind != DNS:
		return dev.decision(Allow, ReasonNoName, "", 0, 0)
	}
	return dev.decision(Allow, ReasonDefault, "", counted, 0)
}

// allowSet returns the allowlist as a set when on, else the empty set: a
// name in the allowlist is not blocked by its other categories.
func allowSet(on bool) category.Set {
	if on {
		return ^category.Set(0)
	}
	return 0
}

// countedCategory is the category an allowed name is counted under: the
// allowlist first, else its lowest category id.
func countedCategory(cats category.Set) category.ID {
	if cats == 0 {
		return 0
	}
	if cats.Has(category.Allowlist) {
		return category.Allowlist
	}
	return category.ID(bits.TrailingZeros32(uint32(cats)))
}

// categoryDecision blocks for the lowest category of hit, naming the list
// entry that put the name there.
func (s *Snapshot) categoryDecision(dev *device, r Reason, hit category.Set, name []byte) Decision {
	id := category.ID(bits.TrailingZeros32(uint32(hit)))
	return dev.decision(Block, r, "", id, s.lists.Suffix(name, id))
}

// allowlistedDecision allows an allowlisted name while everything else is
// blocked.
func (s *Snapshot) allowlistedDecision(dev *device, name []byte) Decision {
	return dev.decision(Allow, ReasonAllowlisted, "", category.Allowlist, s.lists.Suffix(name, category.Allowlist))
}

// Settings returns the protections that apply to the device with the given
// MAC (hasMAC false: a packet without one).
func (s *Snapshot) Settings(mac [6]byte, hasMAC bool) Settings {
	return s.device(Query{MAC: mac, HasMAC: hasMAC}).person.settings
}

// device returns the device that q comes from: a configured one, else the
// unassigned one. It never returns nil.
func (s *Snapshot) device(q Query) *device {
	if q.HasMAC {
		if dev := s.devices[q.MAC]; dev != nil {
			return dev
		}
	}
	return s.unassigned
}

// decision is a Decision about dev.
func (d *device) decision(a Action, r Reason, rule string, id category.ID, matched int) Decision {
	return Decision{Action: a, Reason: r, Rule: rule, Device: d.name, Person: d.person.public,
		Settings: d.person.settings, Category: id, Matched: matched}
}

// lookupSuffix walks name's suffixes label by label, longest first
// (a.b.example.com, b.example.com, example.com, com), and returns the first
// that is in set: the most specific matching entry.
func lookupSuffix(set map[string]string, name []byte) (string, bool) {
	if len(set) == 0 {
		return "", false
	}
	for len(name) > 0 {
		if rule, ok := set[string(name)]; ok {
			return rule, true
		}
		i := bytes.IndexByte(name, '.')
		if i < 0 {
			break
		}
		name = name[i+1:]
	}
	return "", false
}

// domainSet maps each normalised domain to itself.
func domainSet(domains []string) map[string]string {
	m := make(map[string]string, len(domains))
	for _, d := range domains {
		m[d] = d
	}
	return m
}

// canonical returns name without a trailing dot and in lower case, using buf
// when it has to change bytes. A name longer than config.MaxDomain cannot
// equal any rule, but one of its suffixes can: it is cut to the longest
// suffix that starts a label and fits (nil if none does).
func canonical(name []byte, buf *[config.MaxDomain]byte) []byte {
	if n := len(name); n > 0 && name[n-1] == '.' {
		name = name[:n-1]
	}
	if len(name) > config.MaxDomain {
		cut := len(name) - config.MaxDomain
		if name[cut-1] != '.' {
			i := bytes.IndexByte(name[cut:], '.')
			if i < 0 {
				return nil
			}
			cut += i + 1
		}
		name = name[cut:]
	}
	for i, c := range name {
		if c >= 'A' && c <= 'Z' {
			copy(buf[:], name[:i])
			for j := i; j < len(name); j++ {
				c := name[j]
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				buf[j] = c
			}
			return buf[:len(name)]
		}
	}
	return name
}
