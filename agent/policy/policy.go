// Package policy decides whether a device may reach a name.
//
// A decision is a pure function of a compiled, immutable Snapshot and a
// Query that carries everything else, the time, the clock's trust and the
// day's used-up time limits included: the package reads no clock, does no
// I/O and keeps no state. The daemon compiles a Snapshot from each
// configuration (and category list) it loads and swaps it in with an
// atomic.Pointer[Snapshot]; a Snapshot is never modified after Compile, so
// any number of goroutines may call Decide on it at once.
//
// The household: a device belongs to a person, a person has a profile (an
// age band's defaults, edited), and both carry rules. A device nobody has
// assigned, an unknown MAC address and a packet without one get the
// configuration's unassigned profile, never "unrestricted".
//
// Decide runs an ordered chain of named checks and stops at the first that
// decides:
//
//	isp_floor    the ISP baseline's domains and categories (locked)
//	readable     restricted profiles: an evasive, unreadable or ambiguous name is blocked
//	quic         a profile without QUIC blocks every QUIC flow
//	dns_bypass   restricted profiles: DNS over TLS/QUIC (port 853), the
//	             browser DoH canary, Private Relay and resolver discovery are turned off
//	overrides    the person's and the device's own block lists, then the person's allow list
//	schedule     a pause, bedtime and closed allowed windows (nothing but the
//	             allowlist), focus time (its categories)
//	limits       a used-up daily total (nothing but the allowlist) or category limit
//	categories   the profile's blocked categories, as the person edits them
//	safesearch   search and YouTube hosts are redirected (DNS only)
//
// and allows what none of them decided. Decide does not allocate.
package policy

import (
	"fmt"
	"time"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/config"
)

// Kind is where the name of a query was read.
type Kind uint8

// Kinds of query.
const (
	DNS  Kind = iota // a DNS question
	TLS              // the SNI of a TLS ClientHello
	QUIC             // the SNI of a QUIC Initial's ClientHello
	HTTP             // an HTTP Host header
)

// String returns the kind's lowercase name, such as "dns".
func (k Kind) String() string {
	switch k {
	case DNS:
		return "dns"
	case TLS:
		return "tls"
	case QUIC:
		return "quic"
	case HTTP:
		return "http"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// MarshalText returns String, for JSON logs.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Query is what is being asked: which device wants which name, how, and when.
type Query struct {
	// MAC is the device's Ethernet address; meaningful only if HasMAC.
	MAC    [6]byte
	HasMAC bool
	// Name is the name asked for. Callers pass it lowercased and without a
	// trailing dot; Decide copes with upper case, a trailing dot and overlong
	// names anyway (without allocating), so that a sloppy caller cannot open
	// a way around a block. Decide does not retain or modify it.
	Name []byte
	// Kind says where Name was read.
	Kind Kind
	// Now is the time of the query, in the household's time zone (its
	// Location is the one schedules are read in): the engine never reads a
	// clock.
	Now time.Time
	// Unsynced says the clock has not been set by NTP yet: schedules follow
	// the configured policy (config.UnsyncedPolicy) instead of Now.
	Unsynced bool
	// Usage holds the day's used-up time limits; nil when none is.
	Usage *Usage
	// Flags say what the reader found wrong with the name, if anything.
	Flags Flags
	// Port is the destination port of the connection (0 for DNS questions
	// and when unknown); 853 is DNS over TLS or QUIC.
	Port uint16
}

// Flags describe how far a name can be trusted.
type Flags uint8

// Flags of a Query.
const (
	// FlagAmbiguous: the name was read but cannot be trusted (control
	// characters, an IP literal, several names, duplicated extensions).
	FlagAmbiguous Flags = 1 << iota
	// FlagEvasion: the connection tried to hide its name (TCP segments or
	// QUIC frames overlapping with different bytes, two different
	// ClientHellos in one flow).
	FlagEvasion
	// FlagUnreadable: the connection's name could not be read within the
	// reading bounds (size, segments, time), or a QUIC Initial could not be
	// decrypted. Name is empty.
	FlagUnreadable
)

// Action is what a decision says to do. The values match ctmark.Allow and
// ctmark.Block; the zero Action is no decision at all.
type Action uint8

// Actions.
const (
	Allow Action = 1 // let the query through
	Block Action = 2 // refuse it
	// Redirect answers a DNS question with a CNAME to Decision.Target (the
	// SafeSearch host); only DNS queries get it.
	Redirect Action = 3
)

// String returns "allow" or "block".
func (a Action) String() string {
	switch a {
	case Allow:
		return "allow"
	case Block:
		return "block"
	case Redirect:
		return "redirect"
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// MarshalText returns String, for JSON logs.
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// Reason says why a decision was taken. It is a closed set: the web page
// shows it, translated, without parsing strings. New reasons are added at the
// end, so the values of the existing ones never change.
type Reason uint8

// Reasons.
const (
	// ReasonNone is the zero Reason, in a zero Decision only.
	ReasonNone Reason = iota
	// ReasonDefault: the device is known and no check matched: allowed.
	ReasonDefault
	// ReasonNoMAC: no longer given (queries without a MAC address get the
	// unassigned profile); kept so that the values of later reasons stay.
	ReasonNoMAC
	// ReasonUnknownDevice: no longer given (unknown devices get the
	// unassigned profile); kept so that the values stay.
	ReasonUnknownDevice
	// ReasonDeviceBlocklist: the name, or a domain above it, is on the
	// device's block list: blocked.
	ReasonDeviceBlocklist
	// ReasonAmbiguousName: the name cannot be trusted (FlagAmbiguous);
	// blocked for restricted profiles.
	ReasonAmbiguousName
	// ReasonEvasion: the connection hid its name (FlagEvasion); blocked for
	// restricted profiles.
	ReasonEvasion
	// ReasonUnreadable: no name could be read (FlagUnreadable); blocked for
	// restricted profiles, allowed otherwise.
	ReasonUnreadable
	// ReasonNoQUIC: the profile does not allow QUIC; browsers fall back to
	// TCP.
	ReasonNoQUIC
	// ReasonDNSBypass: a way around the household's DNS (DNS over TLS or
	// QUIC, the DoH canary, Private Relay, resolver discovery), turned off
	// for restricted profiles.
	ReasonDNSBypass
	// ReasonSafeSearch: a search or YouTube host, redirected to its
	// restricted version.
	ReasonSafeSearch
	// ReasonNoName: the connection carries no name to judge (a ClientHello
	// without SNI, a protocol the agent does not read): allowed.
	ReasonNoName
	// ReasonISP: the ISP baseline blocks the name or its category.
	ReasonISP
	// ReasonDenyList: the name is on the person's block list.
	ReasonDenyList
	// ReasonAllowList: the name is on the person's allow list: allowed,
	// whatever the time (only the ISP floor and the readable checks come
	// before).
	ReasonAllowList
	// ReasonPaused: a parent paused the person's internet.
	ReasonPaused
	// ReasonBedtime: it is bedtime: nothing but the allowlist.
	ReasonBedtime
	// ReasonOutsideAllowed: outside the person's allowed hours.
	ReasonOutsideAllowed
	// ReasonFocus: focus (homework) time blocks the name's category.
	ReasonFocus
	// ReasonTimeLimit: the day's total time is used up.
	ReasonTimeLimit
	// ReasonCategoryLimit: the day's time for the name's category is used
	// up.
	ReasonCategoryLimit
	// ReasonCategory: the profile blocks the name's category.
	ReasonCategory
	// ReasonAllowlisted: the name is in the allowlist category: allowed
	// while everything else is not (a pause, bedtime, a used-up day).
	ReasonAllowlisted
)

// String returns the reason's stable snake_case name, such as
// "device_blocklist".
func (r Reason) String() string {
	switch r {
	case ReasonNone:
		return "none"
	case ReasonDefault:
		return "default"
	case ReasonNoMAC:
		return "no_mac"
	case ReasonUnknownDevice:
		return "unknown_device"
	case ReasonDeviceBlocklist:
		return "device_blocklist"
	case ReasonAmbiguousName:
		return "ambiguous_name"
	case ReasonEvasion:
		return "evasion"
	case ReasonUnreadable:
		return "unreadable"
	case ReasonNoQUIC:
		return "no_quic"
	case ReasonDNSBypass:
		return "dns_bypass"
	case ReasonSafeSearch:
		return "safesearch"
	case ReasonNoName:
		return "no_name"
	case ReasonISP:
		return "isp"
	case ReasonDenyList:
		return "deny_list"
	case ReasonAllowList:
		return "allow_list"
	case ReasonPaused:
		return "paused"
	case ReasonBedtime:
		return "bedtime"
	case ReasonOutsideAllowed:
		return "outside_allowed"
	case ReasonFocus:
		return "focus"
	case ReasonTimeLimit:
		return "time_limit"
	case ReasonCategoryLimit:
		return "category_limit"
	case ReasonCategory:
		return "category"
	case ReasonAllowlisted:
		return "allowlisted"
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// MarshalText returns String, for JSON logs.
func (r Reason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// Decision is the answer to a Query. Its strings belong to the Snapshot that
// made it: getting them costs no allocation, and they stay valid after the
// Snapshot is replaced.
type Decision struct {
	Action Action
	Reason Reason
	// Rule is the entry that decided, such as the block list entry
	// "games.test" for a query of www.games.test; "" when no rule matched.
	Rule string
	// Device is the device's name from the configuration; "" when the device
	// is not known.
	Device string
	// Person is the id (section name) of the device's person; "" when the
	// device belongs to nobody.
	Person string
	// Category is the category that decided a block, or, for an allowed
	// name, the category the name is counted under (the allowlist first,
	// else its lowest category id); 0 for none. It goes into the flow's ct
	// mark.
	Category category.ID
	// Matched is the length of the suffix of the query's name that decided
	// (a list or category entry), so that the entry is
	// name[len(name)-Matched:]; 0 when no entry decided.
	Matched int
	// Target is the host a Redirect points to, such as
	// "forcesafesearch.google.com"; "" otherwise.
	Target string
	// Answer says how a blocked DNS question is answered.
	Answer Answer
	// Settings are the protections of the device's profile, for the parts
	// of the packet path that act without a name (QUIC, ECH stripping).
	Settings Settings
}

// Answer is how a blocked DNS question is answered.
type Answer uint8

// Answers.
const (
	AnswerDefault  Answer = iota // the configured block mode
	AnswerNXDomain               // NXDOMAIN, whatever the block mode
	AnswerNoData                 // NOERROR without records
)

// Settings are the protections of a device's profile (config.Profile).
// The zero Settings are an unrestricted device's: nothing but its block list.
type Settings struct {
	Profile    string // the profile's name; "" for none
	Restricted bool
	NoQUIC     bool // QUIC flows are dropped
	SafeSearch bool
	YouTube    config.YouTubeMode
}

// Usage holds the day's used-up time limits by person, as the daemon's
// meter sees them: built with NewUsage, never modified afterwards, swapped
// whole. nil means none is used up.
type Usage struct {
	byPerson map[string]Exhausted
}

// Exhausted says which of a person's daily limits are used up.
type Exhausted struct {
	Total      bool
	Categories category.Set
}

// NewUsage returns the Usage of m (person id → used-up limits); m is
// copied.
func NewUsage(m map[string]Exhausted) *Usage {
	u := &Usage{byPerson: make(map[string]Exhausted, len(m))}
	for k, v := range m {
		if v.Total || v.Categories != 0 {
			u.byPerson[k] = v
		}
	}
	return u
}

// of returns the person's used-up limits; u may be nil.
func (u *Usage) of(person string) Exhausted {
	if u == nil || len(u.byPerson) == 0 {
		return Exhausted{}
	}
	return u.byPerson[person]
}
