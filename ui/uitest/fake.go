// Package uitest has an in-memory household for testing package ui and for
// developing the web page without a router: Fake implements ui.Agent and
// ui.Editor, changes really change its state, and refused changes return
// the *ui.FieldError the daemon would. What a change may hold, how new ids
// are made and what the household shows after it are the router's
// (values.go, ids.go restate its configuration's rules); the contract test
// in agent/page runs the same changes against Fake and the router's
// adapter and keeps them in step. The command devserver serves the page
// with it.
package uitest

import (
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/safeinternet/cpe/ui"
)

// Fake is an in-memory ui.Agent and ui.Editor. It is safe for concurrent
// use. Its local days are in the Location of the time given to NewFake.
type Fake struct {
	// loc is the household's time zone; start the time given to NewFake.
	loc   *time.Location
	start time.Time

	// mu guards the fields below.
	mu sync.Mutex
	// clock is the time Update uses (Update takes no time).
	clock func() time.Time
	hh    ui.Household
	// seen are the devices seen on the LAN (hostname, vendor, addresses),
	// kept when a device's section is forgotten. Keyed by MAC.
	seen     map[string]ui.DeviceConfig
	settings ui.Settings
	// used is today's usage per person id, as of start.
	used map[string]time.Duration
	// extra is extra daily time granted per person id, on the local day
	// extraDay[person] (YYYY-MM-DD).
	extra    map[string]time.Duration
	extraDay map[string]string
	// blocked is the recent blocked attempts, newest first, at most
	// maxBlocked.
	blocked []ui.Blocked
	// requests are children's requests, newest first, at most maxRequests.
	requests []ui.Request
	nextReq  int
	// childMAC is the device DeviceFor answers for an address no device
	// has; "" answers "unknown".
	childMAC string
}

var (
	_ ui.Agent  = (*Fake)(nil)
	_ ui.Editor = (*Fake)(nil)
)

// Caps of the fake's lists: the oldest entries are dropped beyond them.
const (
	maxBlocked  = 100
	maxRequests = 100
)

// NewFake returns a household as it is at now: three people, five devices
// (two of them new), the built-in profiles, three schedules, an ISP
// baseline, a week of activity, recent blocked attempts and one pending
// time request from Ali. Its clock starts at now and runs in real time;
// SetClock replaces it.
func NewFake(now time.Time) *Fake {
	f := &Fake{loc: now.Location(), start: now, childMAC: MACAliTablet}
	started := time.Now()
	f.clock = func() time.Time { return now.Add(time.Since(started)) }
	f.seed(now)
	return f
}

// SetClock sets the clock Update uses for "today" (extra time) and for
// checking that a pause ends in the future.
func (f *Fake) SetClock(now func() time.Time) {
	f.mu.Lock()
	f.clock = now
	f.mu.Unlock()
}

// SetDeviceFor sets the device DeviceFor answers for an address that no
// device has (loopback, say); "" makes such addresses unknown.
func (f *Fake) SetDeviceFor(mac string) {
	f.mu.Lock()
	f.childMAC = mac
	f.mu.Unlock()
}

// SetUsed sets person's usage today.
func (f *Fake) SetUsed(person string, used time.Duration) {
	f.mu.Lock()
	f.used[person] = used
	f.mu.Unlock()
}

// AddBlocked records a blocked attempt (newest first in Overview).
func (f *Fake) AddBlocked(b ui.Blocked) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blocked = slices.Insert(f.blocked, 0, b)
	if len(f.blocked) > maxBlocked {
		f.blocked = f.blocked[:maxBlocked]
	}
}

// Overview returns every person's state at now and the recent blocked
// attempts.
func (f *Fake) Overview(now time.Time) ui.Overview {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := ui.Overview{Blocked: slices.Clone(f.blocked)}
	for _, p := range f.hh.People {
		o.People = append(o.People, f.personState(p, now))
	}
	return o
}

// Devices returns every device, configured or seen.
func (f *Fake) Devices() []ui.Device {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]ui.Device, 0, len(f.hh.Devices))
	for _, d := range f.hh.Devices {
		out = append(out, agentDevice(d))
	}
	return out
}

// DeviceFor returns the device holding address remote, else the device set
// by SetDeviceFor (Ali's tablet unless changed).
func (f *Fake) DeviceFor(remote netip.Addr) (ui.Device, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, d := range f.hh.Devices {
		for _, a := range d.Addresses {
			if ap, err := netip.ParseAddr(a); err == nil && ap == remote {
				return agentDevice(d), true
			}
		}
	}
	if i := f.device(f.childMAC); i >= 0 {
		return agentDevice(f.hh.Devices[i]), true
	}
	return ui.Device{}, false
}

func agentDevice(d ui.DeviceConfig) ui.Device {
	p := d.Person
	if p == "" {
		p = "@unassigned"
	}
	return ui.Device{MAC: d.MAC, Name: d.Name, Person: p, LastSeen: d.LastSeen}
}

// Household returns a deep copy of the configuration.
func (f *Fake) Household() ui.Household {
	f.mu.Lock()
	defer f.mu.Unlock()
	return cloneHousehold(f.hh)
}

// person, device, profile and schedule return an index, or -1. f.mu held.
func (f *Fake) person(id string) int {
	return slices.IndexFunc(f.hh.People, func(p ui.PersonConfig) bool { return p.ID == id })
}

func (f *Fake) device(mac string) int {
	return slices.IndexFunc(f.hh.Devices, func(d ui.DeviceConfig) bool { return d.MAC == mac })
}

func (f *Fake) profile(id string) int {
	return slices.IndexFunc(f.hh.Profiles, func(p ui.ProfileConfig) bool { return p.ID == id })
}

func (f *Fake) schedule(id string) int {
	return slices.IndexFunc(f.hh.Schedules, func(s ui.ScheduleConfig) bool { return s.ID == id })
}

func cloneHousehold(h ui.Household) ui.Household {
	c := ui.Household{Categories: slices.Clone(h.Categories), Locked: cloneLocked(h.Locked)}
	for _, p := range h.People {
		c.People = append(c.People, clonePerson(p))
	}
	for _, d := range h.Devices {
		d.Addresses = slices.Clone(d.Addresses)
		c.Devices = append(c.Devices, d)
	}
	for _, p := range h.Profiles {
		p.BlockCategory, p.Schedules = slices.Clone(p.BlockCategory), slices.Clone(p.Schedules)
		c.Profiles = append(c.Profiles, p)
	}
	for _, s := range h.Schedules {
		c.Schedules = append(c.Schedules, cloneSchedule(s))
	}
	return c
}

func clonePerson(p ui.PersonConfig) ui.PersonConfig {
	p.Allow, p.Block = slices.Clone(p.Allow), slices.Clone(p.Block)
	p.BlockCategory, p.AllowCategory = slices.Clone(p.BlockCategory), slices.Clone(p.AllowCategory)
	p.Schedules, p.TempAllow = slices.Clone(p.Schedules), slices.Clone(p.TempAllow)
	if p.CategoryLimits != nil {
		m := make(map[string]time.Duration, len(p.CategoryLimits))
		for k, v := range p.CategoryLimits {
			m[k] = v
		}
		p.CategoryLimits = m
	}
	return p
}

func cloneSchedule(s ui.ScheduleConfig) ui.ScheduleConfig {
	s.BlockCategory = slices.Clone(s.BlockCategory)
	ws := make([]ui.Window, 0, len(s.Windows))
	for _, w := range s.Windows {
		w.Days = slices.Clone(w.Days)
		ws = append(ws, w)
	}
	s.Windows = ws
	return s
}

func cloneLocked(l ui.Locked) ui.Locked {
	l.Categories, l.ChildCategories = slices.Clone(l.Categories), slices.Clone(l.ChildCategories)
	l.Domains = slices.Clone(l.Domains)
	return l
}
