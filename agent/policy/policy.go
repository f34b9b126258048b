// Package policy decides whether a device may reach a name.
//
// A decision is a pure function of a compiled, immutable Snapshot and a
// Query that carries everything else, the time included: the package reads
// no clock, does no I/O and keeps no state. The daemon compiles a Snapshot
// from each configuration it loads and swaps it in with an
// atomic.Pointer[Snapshot]; a Snapshot is never modified after Compile, so
// any number of goroutines may call Decide on it at once.
//
// Decide runs an ordered chain of named checks and stops at the first that
// decides:
//
//	readable     restricted profiles: an evasive, unreadable or ambiguous name is blocked
//	quic         a profile without QUIC blocks every QUIC flow
//	dns_bypass   restricted profiles: DNS over TLS/QUIC (port 853), the
//	             browser DoH canary, Private Relay and resolver discovery are turned off
//	device_blocklist  the device's own block list
//	safesearch   restricted profiles: search and YouTube hosts are redirected (DNS only)
//
// and allows what none of them decided. Later checks (the ISP floor,
// overrides, schedules, time limits) slot into the chain in Compile. Decide
// does not allocate.
//
// A device's profile gives its Settings. Devices that are not in the
// configuration, and queries without a MAC address, get the configured
// unassigned profile; without one they are allowed (ReasonUnknownDevice,
// ReasonNoMAC), as the household model that makes "unassigned" mandatory
// comes with a later issue.
package policy

import (
	"fmt"
	"time"

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
	// Now is the time of the query: the engine never reads a clock. Unused
	// until schedules come.
	Now time.Time
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
	// ReasonNoMAC: the query carries no MAC address, so the device is not
	// known: allowed in this slice.
	ReasonNoMAC
	// ReasonUnknownDevice: the MAC address is not a configured device:
	// allowed in this slice.
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
