// Package config reads the agent's configuration, the UCI file
// /etc/config/safeinternet, into a validated, typed Config.
//
// It works in three steps, keeping the file's schema apart from the types the
// rest of the agent uses:
//
//	Parse(fsys, name)  → *File    UCI syntax, sections sorted by type, values as written
//	(*File).Validate() → error    every problem at once (errors.Join of *FieldError)
//	Load(fsys, name)   → *Config  both, then typed values: [6]byte MACs, enums, a ctmark.Layout
//
// Errors name the place in uci's path style, the way `uci get` spells it,
// followed by the line:
//
//	safeinternet.@device[1].mac: "zz" is not a MAC address (line 14)
//
// The file carries a schema version (option version in the agent section, 1
// when absent); Parse migrates older versions to CurrentVersion and refuses
// newer ones. Unknown section types and unknown options are errors, so that a
// typo never silently loosens the policy.
//
// The writing half of the schema is the Editor (edit.go): the household's
// changes — people, devices, profiles, schedules, pauses, extra time,
// temporary allows, the web page's settings — made to a file's sections
// with the option names Parse reads (the Opt constants) and values spelled
// as they are read back, and what has run out pruned. It writes; the whole
// is validated as any file is:
//
//	uci.Parse → NewEditor(sections, cfg, now) → changes, Prune → uci.Marshal → LoadBytes
//
// The package has no state; its functions are safe for concurrent use. A
// Config is never modified after Load returns it and may be shared; an
// Editor is used by one goroutine.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/schedule"
	"github.com/safeinternet/cpe/nfq/ctmark"
)

// Package is the UCI package name of the configuration: the file name under
// /etc/config and the first element of every path in an error.
const Package = "safeinternet"

// Path is where OpenWrt keeps the configuration.
const Path = "/etc/config/safeinternet"

// Config is the validated runtime configuration. Load returns it; nothing
// modifies it afterwards.
type Config struct {
	// Version is the schema version the configuration was read in, after
	// migration: always CurrentVersion.
	Version int
	// LAN holds the names of the LAN interfaces whose traffic is inspected;
	// never empty, no duplicates.
	LAN []string
	// Queue is the first NFQUEUE number, Queues how many queues (from 1 to
	// 64) are used from it; Queue+Queues-1 fits in 16 bits.
	Queue  uint16
	Queues uint16
	// Layout places the verdict in the bits of the ct mark the agent owns.
	Layout ctmark.Layout
	// FailMode says what happens to traffic the agent cannot inspect.
	FailMode FailMode
	// DNSBlock says how a blocked DNS question is answered.
	DNSBlock BlockMode
	// DNSTTL is the TTL of synthesized DNS answers, in seconds (0 to 86400).
	DNSTTL uint32
	// Guard is the number of packets of a flow (1 to 64) after which none is
	// queued any more.
	Guard int
	// LogDecisions asks for every decision to be logged as a JSON line.
	LogDecisions bool
	// Devices holds the configured devices in file order; MACs are unique.
	Devices []Device
	// Profiles holds the built-in profiles (under6, child, preteen, teen,
	// adult, unassigned), edited by profile sections of the same name, then
	// the other profile sections in file order; names are unique and every
	// Device.Profile, Person.Profile and Unassigned names one of them.
	Profiles []Profile
	// People holds the household's people in file order; names are unique.
	People []Person
	// Schedules holds the schedule sections in file order; names are
	// unique, and every schedule a profile or person names is here.
	Schedules []Schedule
	// Lists holds the enabled category lists in file order.
	Lists []List
	// Baseline is the ISP's floor, which the rest cannot loosen.
	Baseline Baseline
	// Unassigned is the profile of devices that nobody has assigned (and of
	// packets without a MAC address): DefaultUnassigned unless the agent
	// section names another. Never empty: an unknown device is never
	// unrestricted.
	Unassigned string
	// Resolver is the DNS server the agent itself asks, for the addresses of
	// SafeSearch hosts: the router's own resolver by default.
	Resolver netip.AddrPort
	// Period is the accounting period of daily time limits: a person's
	// period counts as Period of use when their traffic in it reaches
	// Threshold bytes. Default one minute.
	Period    time.Duration
	Threshold uint64
	// Unsynced says how schedules apply while the clock is not yet set by
	// NTP.
	Unsynced UnsyncedPolicy
	// UIPort is the TCP port of the web page on the LAN addresses (0: no
	// page); UIFrame the origins allowed to frame it (LuCI), such as
	// "https://192.168.1.1".
	UIPort  uint16
	UIFrame []string
	// UISetupCode, when set, must be given with the first admin password,
	// so that nobody else on the LAN can claim the page first (an ISP
	// prints it on the router's label).
	UISetupCode string
	// HistoryDomains keeps the blocked names per person and day in the
	// activity history (bounded); off by default for privacy.
	HistoryDomains bool
}

// UnsyncedPolicy is what schedules do while the router's clock is not known
// to be right (OpenWrt boots with a stale clock until NTP answers).
type UnsyncedPolicy uint8

// Unsynced policies.
const (
	// UnsyncedStrict: restricted profiles follow their strictest schedule
	// state (bedtime and focus on, allowed windows closed); others use the
	// clock as it is.
	UnsyncedStrict UnsyncedPolicy = iota
	// UnsyncedClock: everyone uses the clock as it is.
	UnsyncedClock
)

// String returns the policy as the configuration spells it.
func (u UnsyncedPolicy) String() string {
	switch u {
	case UnsyncedStrict:
		return "strict"
	case UnsyncedClock:
		return "clock"
	}
	return fmt.Sprintf("unsynced(%d)", uint8(u))
}

// Rules are the category switches, schedules and time limits that profiles
// and people carry.
type Rules struct {
	// Block and Allow are categories blocked or allowed on top of (for a
	// person: on top of their profile's).
	Block, Allow category.Set
	// Schedules names schedule sections.
	Schedules []string
	// Limits are daily time limits.
	Limits Limits
}

// Limits are daily time limits; zero means none.
type Limits struct {
	// Daily is the total per day, meaningful when HasDaily.
	Daily    time.Duration
	HasDaily bool
	// Category holds a limit per category id.
	Category [32]time.Duration
	// HasCategory says which Category entries are set.
	HasCategory category.Set
}

// Person is one member of the household. Their devices share their rules
// and their daily time.
type Person struct {
	// Path is the section's uci path; Name its section name (the person's
	// id, never empty); Display what the page shows.
	Path, Name, Display string
	// Profile names the person's profile; never empty.
	Profile string
	// Allow and Block are domains allowed or blocked for this person only,
	// normalised; a domain covers every name below it.
	Allow, Block []string
	// Rules add to the profile's.
	Rules Rules
	// PauseUntil pauses the person's internet until then (zero: not paused;
	// Forever: until a parent resumes it).
	PauseUntil time.Time
	// FreeUntil grants extra time until then: bedtime, allowed windows and
	// time limits do not apply (categories still do). Zero: none.
	FreeUntil time.Time
	// Bonus holds extra minutes of daily time, by local date.
	Bonus []Bonus
	// TempAllow are domains allowed for a while (a parent approved a
	// child's request); expired ones stay until the file is next written.
	TempAllow []TempAllow
}

// TempAllow is a domain allowed until a time.
type TempAllow struct {
	Domain string
	Until  time.Time
}

// Forever is the PauseUntil of a pause without an end.
var Forever = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// Bonus is extra daily time granted for one local date.
type Bonus struct {
	Date  string // YYYY-MM-DD
	Extra time.Duration
}

// ScheduleKind says what a schedule does while one of its windows is open.
type ScheduleKind uint8

// Schedule kinds.
const (
	// Bedtime: nothing but the allowlist.
	Bedtime ScheduleKind = iota + 1
	// Focus (homework): the schedule's categories are blocked.
	Focus
	// Allowed: the internet is allowed only inside the windows (TR-181
	// Schedules semantics); outside them, nothing but the allowlist.
	Allowed
)

// String returns the kind as the configuration spells it.
func (k ScheduleKind) String() string {
	switch k {
	case Bedtime:
		return "bedtime"
	case Focus:
		return "focus"
	case Allowed:
		return "allowed"
	}
	return fmt.Sprintf("schedule(%d)", uint8(k))
}

// Schedule is a named set of weekly windows.
type Schedule struct {
	// Path is the section's uci path, Name its name (the schedule's id),
	// Display what the page shows (its name option, else Name).
	Path, Name, Display string
	Kind                ScheduleKind
	Week                schedule.Week
	// Block holds the categories a Focus schedule blocks.
	Block category.Set
}

// List is one category list to load.
type List struct {
	Path, Name string
	// File is the list's path on the router.
	File string
	// Format is how to read it: "ut1" (a UT1 distribution, categories from
	// its folders through the mapping table) or a category.Format name.
	Format string
	// Category is the category of every name in a list that is not UT1.
	Category category.ID
}

// Baseline is the ISP's floor: locked categories and settings that the
// household configuration cannot loosen.
type Baseline struct {
	// Path is the isp section's uci path; "" when there is none.
	Path string
	// Block is blocked for everyone; ChildBlock for every restricted
	// profile.
	Block, ChildBlock category.Set
	// Domains are blocked for everyone.
	Domains []string
	// SafeSearch forces SafeSearch on restricted profiles.
	SafeSearch bool
	// YouTube is the least YouTube restriction of restricted profiles.
	YouTube YouTubeMode
}

// Profile is a named set of protections that people and devices refer to.
type Profile struct {
	// Path is the profile's section in uci path style; "" for a built-in
	// profile without a section.
	Path string
	// Name is the section name; never empty.
	Name string
	// Age is the band the profile's defaults come from.
	Age Age
	// Rules are the profile's blocked categories (Rules.Block, after the
	// band's defaults and the allow_category options), schedules and limits.
	Rules Rules
	// Restricted says the device is a child's: names that cannot be read or
	// trusted (ambiguous, evasive, undecryptable, past the reading bounds)
	// are blocked rather than allowed, DNS bypasses (browser DoH canary,
	// Private Relay, resolver discovery, DNS over TLS/QUIC on port 853) are
	// turned off, and ECH configurations are stripped from DNS answers.
	Restricted bool
	// QUIC says QUIC may be used; when false every QUIC flow is dropped and
	// browsers fall back to TCP.
	QUIC bool
	// SafeSearch turns on SafeSearch at Google, Bing and DuckDuckGo through
	// DNS.
	SafeSearch bool
	// YouTube is the YouTube Restricted Mode applied through DNS.
	YouTube YouTubeMode
}

// YouTubeMode is YouTube's Restricted Mode level.
type YouTubeMode uint8

// YouTube modes.
const (
	YouTubeOff      YouTubeMode = iota // no restriction
	YouTubeModerate                    // restrictmoderate.youtube.com
	YouTubeStrict                      // restrict.youtube.com
)

// String returns the mode as the configuration spells it.
func (m YouTubeMode) String() string {
	switch m {
	case YouTubeOff:
		return "off"
	case YouTubeModerate:
		return "moderate"
	case YouTubeStrict:
		return "strict"
	}
	return fmt.Sprintf("youtube(%d)", uint8(m))
}

// Device is one configured device.
type Device struct {
	// Path is the device's section in uci path style, such as
	// "safeinternet.tablet" or "safeinternet.@device[1]".
	Path string
	// MAC is the device's Ethernet address.
	MAC [6]byte
	// Name is what the device is shown as: its name option, else its section
	// name, else its MAC address. Never empty.
	Name string
	// Kind is what the device is (phone, tablet, laptop, ...), free text.
	Kind string
	// Person names the person the device belongs to; "" for none.
	Person string
	// Profile names the profile of a device that belongs to nobody; "" for
	// the unassigned profile.
	Profile string
	// Block holds the blocked domains, normalised (see NormalizeDomain),
	// without duplicates, in file order. A domain blocks itself and every
	// name below it.
	Block []string
}

// Device returns the configured device with mac; nil when no device
// section names it.
func (c *Config) Device(mac [6]byte) *Device {
	for i := range c.Devices {
		if c.Devices[i].MAC == mac {
			return &c.Devices[i]
		}
	}
	return nil
}

// HasDevice reports whether a device section names mac. A MAC no section
// names belongs to an unknown device: the unassigned profile's.
func (c *Config) HasDevice(mac [6]byte) bool { return c.Device(mac) != nil }

// FailMode is what the agent does with traffic it cannot inspect (queue full,
// agent not running).
type FailMode uint8

// Fail modes.
const (
	FailClosed FailMode = iota // drop it: nothing passes uninspected
	FailOpen                   // accept it: nothing breaks when the agent is down
)

// String returns the mode as the configuration spells it.
func (m FailMode) String() string {
	switch m {
	case FailClosed:
		return "closed"
	case FailOpen:
		return "open"
	}
	return fmt.Sprintf("failmode(%d)", uint8(m))
}

// BlockMode is how a blocked DNS question is answered.
type BlockMode uint8

// Block modes.
const (
	BlockNXDomain BlockMode = iota // answer NXDOMAIN: the name does not exist
	BlockNull                      // answer 0.0.0.0 / :: for address questions
	// BlockPage answers address questions with the block page's address
	// (A: 192.0.2.1, nfq/dns.PageV4; AAAA: no data), where the firewall
	// sends plain HTTP to the web page's child view.
	BlockPage
)

// String returns the mode as the configuration spells it.
func (m BlockMode) String() string {
	switch m {
	case BlockNXDomain:
		return "nxdomain"
	case BlockNull:
		return "null"
	case BlockPage:
		return "page"
	}
	return fmt.Sprintf("blockmode(%d)", uint8(m))
}

// ParseFailMode reads a fail mode as the configuration spells it
// (FailMode.String).
func ParseFailMode(s string) (FailMode, error) {
	switch s {
	case "closed":
		return FailClosed, nil
	case "open":
		return FailOpen, nil
	}
	return FailClosed, fmt.Errorf("%q is not a fail mode: use closed or open", s)
}

// ParseBlockMode reads a DNS block mode as the configuration spells it
// (BlockMode.String).
func ParseBlockMode(s string) (BlockMode, error) {
	switch s {
	case "nxdomain":
		return BlockNXDomain, nil
	case "null":
		return BlockNull, nil
	case "page":
		return BlockPage, nil
	}
	return BlockNXDomain, fmt.Errorf("%q is not a DNS block mode: use nxdomain, null or page", s)
}

// Load parses, validates and converts the configuration file name in fsys.
// On failure it returns a syntax error (*uci.SyntaxError), a version error
// (ErrVersion), or every validation problem joined (see Validate); it never
// returns a partial Config.
func Load(fsys fs.FS, name string) (*Config, error) {
	f, err := Parse(fsys, name)
	if err != nil {
		return nil, err
	}
	return f.config()
}

// LoadFile is Load for a path in the operating system's file system, such as
// Path.
func LoadFile(path string) (*Config, error) {
	return Load(os.DirFS(filepath.Dir(path)), filepath.Base(path))
}

// LoadBytes is Load for a configuration already in memory; name is used in
// syntax errors only. data is not retained.
func LoadBytes(name string, data []byte) (*Config, error) {
	f, err := parseBytes(name, data)
	if err != nil {
		return nil, err
	}
	return f.config()
}

// config validates f and converts it.
func (f *File) config() (*Config, error) {
	cfg, errs := f.build()
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return cfg, nil
}
