package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/config"
	"github.com/safeinternet/cpe/agent/policy"
	"github.com/safeinternet/cpe/ui"
)

// blockedLog keeps the most recent blocked attempts for the web page. The
// queues add to it on block decisions only, without allocating: names are
// copied into fixed arrays. Cap: maxBlocked entries, the oldest overwritten.
type blockedLog struct {
	mu   sync.Mutex // guards the fields below
	ring [maxBlocked]blockedEntry
	next int    // index of the next write
	n    int    // entries in use, up to maxBlocked
	seq  uint64 // entries ever added
}

const maxBlocked = 128

type blockedEntry struct {
	at     time.Time
	mac    [6]byte
	name   [253]byte
	nlen   uint8
	reason policy.Reason
	cat    category.ID
}

// add records a blocked attempt of name by mac at now.
func (b *blockedLog) add(now time.Time, mac [6]byte, name []byte, r policy.Reason, cat category.ID) {
	b.mu.Lock()
	e := &b.ring[b.next]
	e.at, e.mac, e.reason, e.cat = now, mac, r, cat
	e.nlen = uint8(copy(e.name[:], name))
	b.next = (b.next + 1) % maxBlocked
	b.n = min(b.n+1, maxBlocked)
	b.seq++
	b.mu.Unlock()
}

// since returns the attempts added after the seq'th, oldest first (at most
// maxBlocked: older ones are lost), and the count to pass next time.
func (b *blockedLog) since(seq uint64) ([]blockedEntry, uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := int(min(b.seq-min(seq, b.seq), uint64(b.n)))
	out := make([]blockedEntry, 0, n)
	for i := n; i >= 1; i-- {
		out = append(out, b.ring[(b.next-i+maxBlocked)%maxBlocked])
	}
	return out, b.seq
}

// recent returns the recorded attempts, newest first.
func (b *blockedLog) recent() []blockedEntry {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]blockedEntry, 0, b.n)
	for i := 1; i <= b.n; i++ {
		out = append(out, b.ring[(b.next-i+maxBlocked)%maxBlocked])
	}
	return out
}

// pageAgent is what the web page sees of the daemon (ui.Agent). Safe for
// concurrent use: it reads atomics and locked tables only.
type pageAgent struct{ d *Daemon }

// Overview returns the persons as the keeper last saw them and the recent
// blocked attempts.
func (a pageAgent) Overview(time.Time) ui.Overview {
	var o ui.Overview
	if p := a.d.page.Load(); p != nil {
		o.People = append(o.People, (*p)...)
	}
	snap := a.d.rules.Load().snap
	cfg := a.d.cfg.Load()
	for _, e := range a.d.shared.blocked.recent() {
		o.Blocked = append(o.Blocked, ui.Blocked{Time: e.at, Person: snap.PersonOf(e.mac),
			Device: deviceName(cfg, e.mac), Name: string(e.name[:e.nlen]), Reason: e.reason.String(),
			MAC: config.FormatMAC(e.mac), Category: categoryName(e.cat)})
	}
	return o
}

// Devices returns the configured devices, then the unknown ones seen.
func (a pageAgent) Devices() []ui.Device {
	cfg := a.d.cfg.Load()
	snap := a.d.rules.Load().snap
	var out []ui.Device
	known := map[[6]byte]bool{}
	for _, dev := range cfg.Devices {
		known[dev.MAC] = true
		out = append(out, ui.Device{MAC: config.FormatMAC(dev.MAC), Name: dev.Name, Person: snap.PersonOf(dev.MAC)})
	}
	for _, mac := range a.d.shared.neighbours.macs() {
		if !known[mac] {
			known[mac] = true
			out = append(out, ui.Device{MAC: config.FormatMAC(mac), Name: config.FormatMAC(mac), Person: snap.PersonOf(mac)})
		}
	}
	return out
}

// DeviceFor identifies the device that sent from remote, by the MAC address
// the queues saw sending from it.
func (a pageAgent) DeviceFor(remote netip.Addr) (ui.Device, bool) {
	mac, ok := a.d.shared.neighbours.mac(remote.Unmap())
	if !ok {
		return ui.Device{}, false
	}
	return ui.Device{MAC: config.FormatMAC(mac), Name: deviceName(a.d.cfg.Load(), mac),
		Person: a.d.rules.Load().snap.PersonOf(mac)}, true
}

// deviceName is a device's display name: its configured name, else its MAC.
func deviceName(cfg *config.Config, mac [6]byte) string {
	for _, d := range cfg.Devices {
		if d.MAC == mac {
			return d.Name
		}
	}
	return config.FormatMAC(mac)
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

// servePage serves the web page on every address of the LAN interfaces
// (never a WAN address) until ctx ends. Addresses are read once, at start.
func (d *Daemon) servePage(ctx context.Context, cfg *config.Config) error {
	if cfg.UIPort == 0 {
		return nil
	}
	dir := d.opts.PersistDir
	if dir == "" {
		dir = d.opts.StateDir
	}
	// Besides its addresses, the page answers to the router's host name
	// (OpenWrt's dnsmasq resolves it and name.lan); other names get the
	// child's blocked view (the DNS block-page mode) or 403.
	var hosts []string
	if h, err := os.Hostname(); err == nil && h != "" {
		h = strings.ToLower(h)
		hosts = append(hosts, h, h+".lan")
	}
	srv, err := ui.New(ui.Options{Log: d.log, StateDir: dir, Agent: pageAgent{d}, FrameAncestors: cfg.UIFrame, Hosts: hosts,
		SetupCode: cfg.UISetupCode})
	if err != nil {
		return fmt.Errorf("daemon: web page: %w", err)
	}
	var lns []net.Listener
	for _, name := range cfg.LAN {
		ifc, err := net.InterfaceByName(name)
		if err != nil {
			d.log.Warn("web page: LAN interface", "interface", name, "err", err)
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			d.log.Warn("web page: LAN addresses", "interface", name, "err", err)
			continue
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, _ := netip.AddrFromSlice(ipn.IP)
			ip = ip.Unmap()
			if ip.IsLinkLocalUnicast() {
				ip = ip.WithZone(name)
			}
			ln, err := net.Listen("tcp", netip.AddrPortFrom(ip, cfg.UIPort).String())
			if err != nil {
				d.log.Warn("web page: listen", "addr", ip.String(), "err", err)
				continue
			}
			lns = append(lns, ln)
			base := "http://" + net.JoinHostPort(ip.String(), strconv.Itoa(int(cfg.UIPort))) + "/"
			d.log.Info("web page", "url", base)
			link, v6 := base+"#/blocked?name=", ip.Is6()
			if slot := &d.shared.pageLink.v4; !ip.IsLinkLocalUnicast() && (v6 || slot.Load() == nil) {
				if v6 {
					slot = &d.shared.pageLink.v6
				}
				if slot.Load() == nil {
					slot.Store(&link)
				}
			}
		}
	}
	if len(lns) == 0 {
		return errors.New("daemon: web page: no LAN address to serve on")
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10}
	for _, ln := range lns {
		go func() {
			if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				d.log.Error("web page", "err", err)
			}
		}()
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	return nil
}

// pageView is the keeper's last persons for the page, swapped whole.
type pageView = atomic.Pointer[[]ui.Person]
