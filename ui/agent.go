package ui

import (
	"net/netip"
	"time"
)

// Agent is what the page needs from the daemon. The daemon's composition
// root implements it; tests fake it. Methods are called concurrently from
// HTTP handlers and must be safe for that; they return values the caller
// owns and may not retain.
type Agent interface {
	// Overview returns the household at now: every person's state and time,
	// and the most recent blocked attempts, newest first.
	Overview(now time.Time) Overview
	// Devices returns the devices the agent knows, configured or seen.
	Devices() []Device
	// DeviceFor identifies the LAN device that sent a request from remote
	// (an IPv4 address or an unmapped IPv6 one). ok is false when the agent
	// cannot say (no neighbour entry, say).
	DeviceFor(remote netip.Addr) (dev Device, ok bool)
}

// State says whether a person's internet runs now, and if not, why. It is a
// closed set of stable strings that the page translates ("state.<value>"
// in the catalog).
type State string

// States.
const (
	StateOpen           State = "open"            // nothing stops the person now
	StatePaused         State = "paused"          // a parent paused the internet
	StateBedtime        State = "bedtime"         // a bedtime schedule is on
	StateOutsideAllowed State = "outside_allowed" // outside the allowed hours
	StateTimeLimit      State = "time_limit"      // the daily time is used up
)

// Overview is the household at one moment.
type Overview struct {
	People  []Person
	Blocked []Blocked
}

// Person is one person's state, as the page shows it.
type Person struct {
	// ID is the person's stable id (their uci section name, or a stand-in's
	// id such as "@unassigned"); Name what the page shows; Profile the
	// person's profile name.
	ID, Name, Profile string
	// State says whether the person's internet runs; Rule names the
	// schedule behind it, if any.
	State State
	Rule  string
	// Used is the time used today; Limit today's limit including granted
	// extra time, meaningful when HasLimit.
	Used, Limit time.Duration
	HasLimit    bool
	// Next is when the state next changes; zero if not within a week.
	Next time.Time
}

// Blocked is one blocked attempt.
type Blocked struct {
	Time time.Time
	// Person is the person's id, Device the device's display name, Name the
	// blocked host name, Reason a stable reason code.
	Person, Device, Name, Reason string
}

// Device is one LAN device.
type Device struct {
	// MAC is the hardware address in the canonical lowercase colon form.
	MAC string
	// Name is the device's display name; Person the id of the person it
	// belongs to ("@unassigned" for unknown devices).
	Name, Person string
	// LastSeen is when its traffic was last seen; zero if never.
	LastSeen time.Time
}
