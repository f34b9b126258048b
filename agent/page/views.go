package page

import (
	"net/netip"
	"time"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/config"
	"github.com/safeinternet/cpe/agent/policy"
	"github.com/safeinternet/cpe/ui"
)

// Overview returns the persons as the keeper last saw them and the recent
// blocked attempts.
func (a *Agent) Overview(now time.Time) ui.Overview {
	snap := a.c.Snapshot()
	cfg := a.c.Config()
	o := ui.Overview{People: a.people(now, cfg)}
	for _, e := range a.c.Blocked.Recent() {
		o.Blocked = append(o.Blocked, ui.Blocked{Time: e.At, Person: snap.PersonOf(e.MAC),
			Device: deviceName(cfg, e.MAC), Name: e.Name(), Reason: e.Reason.String(),
			MAC: config.FormatMAC(e.MAC), Category: categoryName(e.Category)})
	}
	return o
}

// people returns the persons as the keeper last evaluated them, with the
// devices of each that count as online at now: those that moved traffic
// in the last onlineWithin (for the unassigned profile, the unknown
// devices).
func (a *Agent) people(now time.Time, cfg *config.Config) []ui.Person {
	seen := a.c.Devices.Snapshot()
	return pagePeople(a.c.People.States(), a.c.People.Used, func(ps policy.PersonState) []string {
		macs := ps.MACs
		if ps.ID == policy.Unassigned {
			macs = a.c.Devices.Unknown(cfg.HasDevice)
		}
		var names []string
		for _, mac := range macs {
			if s, ok := seen[mac]; ok && now.Sub(s.Last) < onlineWithin {
				names = append(names, deviceName(cfg, mac))
			}
		}
		return names
	})
}

// Devices returns the configured devices, then the unknown ones seen.
func (a *Agent) Devices() []ui.Device {
	cfg := a.c.Config()
	snap := a.c.Snapshot()
	var out []ui.Device
	known := map[[6]byte]bool{}
	for _, dev := range cfg.Devices {
		known[dev.MAC] = true
		out = append(out, ui.Device{MAC: config.FormatMAC(dev.MAC), Name: dev.Name, Person: snap.PersonOf(dev.MAC)})
	}
	for _, mac := range a.c.Devices.MACs() {
		if !known[mac] {
			known[mac] = true
			out = append(out, ui.Device{MAC: config.FormatMAC(mac), Name: config.FormatMAC(mac), Person: snap.PersonOf(mac)})
		}
	}
	return out
}

// DeviceFor identifies the device that sent from remote, by the MAC address
// the queues saw sending from it.
func (a *Agent) DeviceFor(remote netip.Addr) (ui.Device, bool) {
	mac, ok := a.c.Devices.MAC(remote.Unmap())
	if !ok {
		return ui.Device{}, false
	}
	return ui.Device{MAC: config.FormatMAC(mac), Name: deviceName(a.c.Config(), mac),
		Person: a.c.Snapshot().PersonOf(mac)}, true
}

// deviceName is a device's display name: its configured name, else its MAC.
func deviceName(cfg *config.Config, mac [6]byte) string {
	if d := cfg.Device(mac); d != nil {
		return d.Name
	}
	return config.FormatMAC(mac)
}

// categoryName spells a category for the page; "" for none.
func categoryName(id category.ID) string {
	if id == 0 {
		return ""
	}
	return id.String()
}

// onlineWithin is how recently a device must have moved traffic to count
// as online on the page.
const onlineWithin = 5 * time.Minute

// pagePeople converts the keeper's persons for the page; online names the
// devices of a person that count as online.
func pagePeople(states []policy.PersonState, used func(string) time.Duration, online func(policy.PersonState) []string) []ui.Person {
	out := make([]ui.Person, 0, len(states))
	for _, ps := range states {
		p := ui.Person{ID: ps.ID, Name: ps.Name, Profile: ps.Profile, Rule: ps.Rule, Next: ps.Next,
			Used: used(ps.ID), State: ui.StateOpen, Online: online(ps)}
		switch ps.Stopped {
		case policy.ReasonPaused:
			p.State = ui.StatePaused
		case policy.ReasonBedtime:
			p.State = ui.StateBedtime
		case policy.ReasonOutsideAllowed:
			p.State = ui.StateOutsideAllowed
		case policy.ReasonTimeLimit:
			p.State = ui.StateTimeLimit
		}
		if ps.Limits.HasDaily && ps.Limits.Daily > 0 {
			p.Limit, p.HasLimit = ps.Limits.Daily+ps.Bonus, true
		}
		out = append(out, p)
	}
	return out
}
