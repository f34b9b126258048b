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
	// chain is the ordered list of checks Decide runs for a known device.
	chain []check
}

// device is one configured device, compiled.
type device struct {
	name string
	// block maps each blocked domain to itself, so that a match returns the
	// snapshot's own copy of the string.
	block map[string]string
}

// check is one named step of the decision chain. Checks are a closed set
// dispatched by a switch, not func values, so that Decide's name buffer
// provably stays on the stack.
type check uint8

const (
	checkDeviceBlocklist check = iota // the device's own block list
)

// String returns the check's name.
func (c check) String() string {
	switch c {
	case checkDeviceBlocklist:
		return "device_blocklist"
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
		chain:   []check{checkDeviceBlocklist},
	}
	for _, d := range cfg.Devices {
		if _, dup := s.devices[d.MAC]; dup {
			return nil, fmt.Errorf("%w: %s: MAC address %s is used by another device", ErrCompile, d.Path, config.FormatMAC(d.MAC))
		}
		dev := &device{name: d.Name, block: make(map[string]string, len(d.Block))}
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

// Checks returns the names of the checks Decide runs for a known device, in
// order. The slice is the caller's.
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
	if !q.HasMAC {
		return Decision{Action: Allow, Reason: ReasonNoMAC}
	}
	dev := s.devices[q.MAC]
	if dev == nil {
		return Decision{Action: Allow, Reason: ReasonUnknownDevice}
	}
	var buf [config.MaxDomain]byte
	name := canonical(q.Name, &buf)
	for _, c := range s.chain {
		switch c {
		case checkDeviceBlocklist:
			if rule, ok := dev.blocked(name); ok {
				return Decision{Action: Block, Reason: ReasonDeviceBlocklist, Rule: rule, Device: dev.name}
			}
		}
	}
	return Decision{Action: Allow, Reason: ReasonDefault, Device: dev.name}
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
