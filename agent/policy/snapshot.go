package policy

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/safeinternet/cpe/agent/config"
)

// Snapshot is a compiled, immutable policy. Build one with Compile; the zero
// value and nil are not usable. Safe for concurrent use.
type Snapshot struct {
	// devices holds the configured devices by MAC. Its size is the number of
	// device sections: bounded by the configuration, never grown by traffic.
	devices map[[6]byte]*device
	// unassigned is the device that stands for every device not
	// configured, and for queries without a MAC; nil when the configuration
	// names no unassigned profile (they are then allowed unchecked).
	unassigned *device
	// chain is the ordered list of checks Decide runs.
	chain []check
	// bypass holds the DNS bypass names (see bypassNames).
	bypass map[string]Answer
	// safe holds the SafeSearch host tables.
	safe *safeSearch
}

// device is one configured device, compiled.
type device struct {
	name     string
	settings Settings
	// block maps each blocked domain to itself, so that a match returns the
	// snapshot's own copy of the string.
	block map[string]string
}

// check is one named step of the decision chain. Checks are a closed set
// dispatched by a switch, not func values, so that Decide's name buffer
// provably stays on the stack.
type check uint8

const (
	checkReadable        check = iota // restricted: evasive, unreadable, ambiguous names
	checkQUIC                         // the profile's QUIC switch
	checkDNSBypass                    // restricted: port 853, canary and discovery names
	checkDeviceBlocklist              // the device's own block list
	checkSafeSearch                   // SafeSearch and YouTube redirects (DNS)
)

// String returns the check's name.
func (c check) String() string {
	switch c {
	case checkReadable:
		return "readable"
	case checkQUIC:
		return "quic"
	case checkDNSBypass:
		return "dns_bypass"
	case checkDeviceBlocklist:
		return "device_blocklist"
	case checkSafeSearch:
		return "safesearch"
	}
	return fmt.Sprintf("check(%d)", uint8(c))
}

// ErrCompile is wrapped by every error Compile returns.
var ErrCompile = errors.New("policy: compile")

// Compile builds a Snapshot from cfg. It copies what it needs, so cfg may be
// dropped or reused afterwards. It fails on a nil cfg, a MAC address given to
// two devices, or a block entry that is not a domain name; a Config from
// config.Load has none of these.
func Compile(cfg *config.Config) (*Snapshot, error) {
	if cfg == nil {
		return nil, fmt.Errorf("%w: nil config", ErrCompile)
	}
	s := &Snapshot{
		devices: make(map[[6]byte]*device, len(cfg.Devices)),
		chain:   []check{checkReadable, checkQUIC, checkDNSBypass, checkDeviceBlocklist, checkSafeSearch},
		bypass:  bypassNames(),
		safe:    newSafeSearch(),
	}
	profiles := make(map[string]Settings, len(cfg.Profiles))
	for _, p := range cfg.Profiles {
		profiles[p.Name] = Settings{Profile: p.Name, Restricted: p.Restricted, NoQUIC: !p.QUIC,
			SafeSearch: p.SafeSearch, YouTube: p.YouTube}
	}
	settings := func(path, name string) (Settings, error) {
		if name == "" {
			return Settings{}, nil
		}
		st, ok := profiles[name]
		if !ok {
			return Settings{}, fmt.Errorf("%w: %s: no profile %q", ErrCompile, path, name)
		}
		return st, nil
	}
	if cfg.Unassigned != "" {
		st, err := settings("unassigned_profile", cfg.Unassigned)
		if err != nil {
			return nil, err
		}
		s.unassigned = &device{settings: st}
	}
	for _, d := range cfg.Devices {
		if _, dup := s.devices[d.MAC]; dup {
			return nil, fmt.Errorf("%w: %s: MAC address %s is used by another device", ErrCompile, d.Path, config.FormatMAC(d.MAC))
		}
		st, err := settings(d.Path, d.Profile)
		if err != nil {
			return nil, err
		}
		dev := &device{name: d.Name, settings: st, block: make(map[string]string, len(d.Block))}
		for _, b := range d.Block {
			name, err := config.NormalizeDomain(b)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrCompile, d.Path, err)
			}
			dev.block[name] = name
		}
		s.devices[d.MAC] = dev
	}
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
	dev, unknown := s.device(q)
	if dev == nil {
		return Decision{Action: Allow, Reason: unknown}
	}
	st := &dev.settings
	var buf [config.MaxDomain]byte
	name := canonical(q.Name, &buf)
	for _, c := range s.chain {
		switch c {
		case checkReadable:
			if !st.Restricted {
				continue
			}
			switch {
			case q.Flags&FlagEvasion != 0:
				return dev.decision(Block, ReasonEvasion, "")
			case q.Flags&FlagUnreadable != 0:
				return dev.decision(Block, ReasonUnreadable, "")
			case q.Flags&FlagAmbiguous != 0:
				return dev.decision(Block, ReasonAmbiguousName, "")
			}
		case checkQUIC:
			if q.Kind == QUIC && st.NoQUIC {
				return dev.decision(Block, ReasonNoQUIC, "")
			}
		case checkDNSBypass:
			if !st.Restricted {
				continue
			}
			if q.Port == 853 && (q.Kind == TLS || q.Kind == QUIC) {
				return dev.decision(Block, ReasonDNSBypass, "port 853")
			}
			if answer, ok := s.bypass[string(name)]; ok {
				d := dev.decision(Block, ReasonDNSBypass, "")
				d.Answer = answer
				return d
			}
		case checkDeviceBlocklist:
			if rule, ok := dev.blocked(name); ok {
				return dev.decision(Block, ReasonDeviceBlocklist, rule)
			}
		case checkSafeSearch:
			if q.Kind != DNS {
				continue
			}
			if t := s.safe.target(name, st); t != "" {
				d := dev.decision(Redirect, ReasonSafeSearch, "")
				d.Target = t
				return d
			}
		}
	}
	switch {
	case q.Flags&FlagUnreadable != 0:
		return dev.decision(Allow, ReasonUnreadable, "")
	case len(name) == 0 && q.Kind != DNS:
		return dev.decision(Allow, ReasonNoName, "")
	}
	return dev.decision(Allow, ReasonDefault, "")
}

// Settings returns the protections that apply to the device with the given
// MAC (hasMAC false: a packet without one).
func (s *Snapshot) Settings(mac [6]byte, hasMAC bool) Settings {
	dev, _ := s.device(Query{MAC: mac, HasMAC: hasMAC})
	if dev == nil {
		return Settings{}
	}
	return dev.settings
}

// device returns the device that q comes from: a configured one, else the
// unassigned one. When there is neither it returns nil and the reason to
// allow.
func (s *Snapshot) device(q Query) (*device, Reason) {
	if q.HasMAC {
		if dev := s.devices[q.MAC]; dev != nil {
			return dev, ReasonNone
		}
		return s.unassigned, ReasonUnknownDevice
	}
	return s.unassigned, ReasonNoMAC
}

// decision is a Decision about dev.
func (d *device) decision(a Action, r Reason, rule string) Decision {
	return Decision{Action: a, Reason: r, Rule: rule, Device: d.name, Settings: d.settings}
}

// blocked walks name's suffixes label by label, longest first
// (a.b.example.com, b.example.com, example.com, com), and returns the first
// that is on the block list: the most specific matching entry.
func (d *device) blocked(name []byte) (string, bool) {
	for len(name) > 0 {
		if rule, ok := d.block[string(name)]; ok {
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
