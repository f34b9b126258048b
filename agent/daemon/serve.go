package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/safeinternet/cpe/agent/config"
	"github.com/safeinternet/cpe/agent/page"
	"github.com/safeinternet/cpe/ui"
)

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
	agent := page.New(page.Config{Log: d.log, Version: d.opts.Version, ConfigPath: d.opts.ConfigPath,
		Persist: d.opts.PersistDir, System: os.DirFS(d.systemRoot()), Config: d.cfg.Load, Snapshot: d.snapshot,
		Lists: d.listsNow.Load, Clock: d.clock, People: d.keeper, Devices: d.devices, Blocked: d.blocked,
		History: d.history, Reload: d.reloadNow})
	srv, err := ui.New(ui.Options{Log: d.log, StateDir: dir, Agent: agent, FrameAncestors: cfg.UIFrame, Hosts: hosts,
		SetupCode: cfg.UISetupCode})
	if err != nil {
		return fmt.Errorf("daemon: web page: %w", err)
	}
	served, err := srv.Serve(ctx, lanAddrs(cfg, d.log))
	if err != nil {
		return fmt.Errorf("daemon: web page: %w", err)
	}
	for _, ap := range served {
		if !ap.Addr().IsLinkLocalUnicast() {
			d.judge.SetPageLink(ap.Addr().Is6(), "http://"+ap.String()+"/#/blocked?name=")
		}
	}
	return nil
}

// lanAddrs returns the page's address on every address of the LAN
// interfaces (link-local ones with the interface as zone), never a WAN
// address. Addresses are read once, at start.
func lanAddrs(cfg *config.Config, log *slog.Logger) []netip.AddrPort {
	var out []netip.AddrPort
	for _, name := range cfg.LAN {
		ifc, err := net.InterfaceByName(name)
		if err != nil {
			log.Warn("web page: LAN interface", "interface", name, "err", err)
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			log.Warn("web page: LAN addresses", "interface", name, "err", err)
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
			out = append(out, netip.AddrPortFrom(ip, cfg.UIPort))
		}
	}
	return out
}

// reloadWait bounds how long a page's change waits for the main goroutine.
const reloadWait = 30 * time.Second

// reloadNow asks the main goroutine to reload and waits until it has.
func (d *Daemon) reloadNow() error {
	done := make(chan struct{})
	select {
	case d.reloadCh <- done:
	case <-time.After(reloadWait):
		return errors.New("daemon: reload: the agent is busy")
	}
	select {
	case <-done:
		return nil
	case <-time.After(reloadWait):
		return errors.New("daemon: reload: the agent is busy")
	}
}
