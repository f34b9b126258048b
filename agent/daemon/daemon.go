// Package daemon is the agent's composition root: it loads the configuration
// and the category lists (compiled form cached in the state folder,
// lists.go), compiles the policy, installs the firewall table, binds the
// queues and serves them until told to stop, reloading on SIGHUP and on the
// page's changes, and writes the status file every second.
//
// It builds the agent's parts from plain configs and wires them; they know
// nothing of each other: the packet judge (agent/judge) behind every queue,
// the household keeper (agent/keeper) ticking once a second on the main
// goroutine, the web page's adapter (agent/page) served by package ui on
// the LAN addresses (serve.go), the device inventory (agent/inventory) and
// the blocked attempts and history (agent/activity). It is the only package
// that sees everything.
package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/safeinternet/cpe/agent/activity"
	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/config"
	"github.com/safeinternet/cpe/agent/inventory"
	"github.com/safeinternet/cpe/agent/judge"
	"github.com/safeinternet/cpe/agent/keeper"
	"github.com/safeinternet/cpe/agent/policy"
	"github.com/safeinternet/cpe/internal/atomicfile"
	"github.com/safeinternet/cpe/nfq/conntrack"
	"github.com/safeinternet/cpe/nfq/dns"
	"github.com/safeinternet/cpe/nfq/firewall"
	"github.com/safeinternet/cpe/nfq/inject"
	"github.com/safeinternet/cpe/nfq/queue"
)

// Options are the daemon's command-line settings.
type Options struct {
	ConfigPath string // UCI file, e.g. /etc/config/safeinternet
	StateDir   string // runtime state in RAM, e.g. /tmp/safeinternet
	// PersistDir keeps what must survive a reboot (the day's usage
	// counters), written rarely and atomically, e.g. /etc/safeinternet; ""
	// keeps nothing.
	PersistDir string
	// SystemRoot is where the system configuration (etc/config/system,
	// etc/TZ) is read from: "/" on a router; tests and the lab point it
	// elsewhere.
	SystemRoot string
	// NTPMarker is the file the NTP hotplug script writes when the clock
	// is synced (clock.NewSync).
	NTPMarker string
	// BuildTime is when the binary was built: a clock before it is stale.
	BuildTime time.Time
	Version   string
	Log       *slog.Logger
}

// Daemon is one running agent. Build it with Run.
type Daemon struct {
	opts    Options
	log     *slog.Logger
	started time.Time
	reloads atomic.Uint64
	// cfg is the running configuration; read by the keeper and the page
	// through functions.
	cfg atomic.Pointer[config.Config]
	// lists is the category matcher and the key of the lists it was built
	// from; replaced by load when the lists change (main goroutine only).
	// listsNow is lists for other goroutines (the page).
	lists    *category.Matcher
	listsKey string
	listsNow atomic.Pointer[category.Matcher]
	// The parts: the packet judge (nil until the queues are bound), the
	// household keeper and its clock, the device inventory, the blocked
	// attempts and the activity history.
	judge   *judge.Judge
	keeper  *keeper.Keeper
	clock   *keeper.Clock
	devices *inventory.Table
	blocked *activity.Log
	history *activity.History
	queues  *queue.Set
	table   *firewall.Table
	enc     firewall.QueueEncoding
	// reloadCh carries the page's reloads to the main goroutine, which
	// reloads and closes the channel it was sent.
	reloadCh chan chan struct{}
}

// Run runs the agent until ctx ends, then removes its firewall table and
// returns. SIGHUP reloads the configuration; an invalid configuration is
// logged and the running one kept.
func Run(ctx context.Context, opts Options) error {
	d := &Daemon{opts: opts, log: opts.Log, started: time.Now(),
		clock: keeper.NewClock(), devices: inventory.New(), blocked: &activity.Log{}, history: &activity.History{},
		reloadCh: make(chan chan struct{})}
	cfg, rules, err := d.load()
	if err != nil {
		return err
	}
	if opts.PersistDir != "" {
		if err := d.history.Load(opts.PersistDir); err != nil {
			d.log.Warn("activity history not read", "err", err)
		}
	}
	if err := os.MkdirAll(opts.StateDir, 0o755); err != nil {
		return fmt.Errorf("daemon: state dir: %w", err)
	}
	if err := firewall.EnableConntrackAccounting(); err != nil {
		d.log.Warn("conntrack accounting not enabled: flows may be queued past their first packets", "err", err)
	}
	d.enc, err = firewall.Probe(d.log)
	if err != nil {
		return fmt.Errorf("daemon: probe queue support: %w", err)
	}

	send, err := inject.Open()
	if err != nil {
		return err
	}
	defer send.Close()

	d.judge = judge.New(judge.Config{Send: send, Devices: d.devices, Clock: d.clock, Blocked: d.blocked, Log: d.log}, rules)
	qctx, stopQueues := context.WithCancel(context.Background())
	defer stopQueues()
	d.queues, err = queue.Open(qctx, queue.Config{
		First:    cfg.Queue,
		Count:    cfg.Queues,
		FailOpen: (cfg.FailMode == config.FailOpen),
		Layout:   cfg.Layout,
		Default:  fallback(cfg),
	}, func(uint16) queue.Handler { return d.judge.Handler() }, d.log)
	if err != nil {
		return err
	}
	defer d.queues.Close()
	d.log.Info("ct mark", "mode", d.queues.Mode().String())

	d.table, err = firewall.New(d.firewallConfig(cfg), d.enc, d.log)
	if err != nil {
		return err
	}
	if err := d.table.Install(); err != nil {
		return err
	}
	defer func() {
		if err := d.table.Remove(); err != nil {
			d.log.Error("remove table", "err", err)
		}
	}()
	d.log.Info("running", "version", opts.Version, "queues", fmt.Sprintf("%d-%d", cfg.Queue, cfg.Queue+max(cfg.Queues, 1)-1),
		"lan", cfg.LAN, "fail_mode", cfg.FailMode.String(), "devices", len(cfg.Devices))

	go d.judge.RunTargets(ctx, func() netip.AddrPort { return d.cfg.Load().Resolver })
	go func() {
		if err := d.table.Watch(ctx, time.Second); err != nil && !errors.Is(err, context.Canceled) {
			d.log.Error("table watch stopped", "err", err)
		}
	}()

	kc := keeper.Config{Log: d.log, Persist: opts.PersistDir, System: os.DirFS(d.systemRoot()),
		NTPMarker: opts.NTPMarker, BuildTime: opts.BuildTime, Config: d.cfg.Load, Snapshot: d.snapshot,
		Clock: d.clock, Stopped: d.table, Devices: d.devices, Blocked: d.blocked, History: d.history}
	if ct, err := conntrack.Open(); err != nil {
		d.log.Error("conntrack not opened", "err", err)
	} else {
		defer ct.Close()
		kc.Flows = ct
	}
	d.keeper = keeper.New(kc, cfg)
	defer d.keeper.Close()
	d.keeper.Tick(time.Now())
	if err := d.servePage(ctx, cfg); err != nil {
		d.log.Error("web page not served", "err", err)
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	d.writeStatus()
	for {
		select {
		case <-ctx.Done():
			d.log.Info("stopping")
			return nil
		case <-hup:
			d.reload()
		case done := <-d.reloadCh:
			d.reload()
			d.keeper.Tick(time.Now())
			close(done)
		case <-tick.C:
			d.keeper.Tick(time.Now())
			d.writeStatus()
		}
	}
}

// snapshot returns the running policy.
func (d *Daemon) snapshot() *policy.Snapshot { return d.judge.Rules().Snap }

// systemRoot is where the system's files are read from.
func (d *Daemon) systemRoot() string {
	if d.opts.SystemRoot == "" {
		return "/"
	}
	return d.opts.SystemRoot
}

// load reads, validates and compiles the configuration, and makes it the
// current one; the caller gives the rules to the judge.
func (d *Daemon) load() (*config.Config, *judge.Rules, error) {
	cfg, err := config.LoadFile(d.opts.ConfigPath)
	if err != nil {
		return nil, nil, err
	}
	lists, key, err := d.loadLists(cfg)
	if err != nil {
		return nil, nil, err
	}
	snap, err := policy.Compile(cfg, lists)
	if err != nil {
		return nil, nil, err
	}
	d.lists, d.listsKey = lists, key
	d.listsNow.Store(lists)
	d.cfg.Store(cfg)
	return cfg, &judge.Rules{
		Snap:         snap,
		BlockMode:    blockMode(cfg),
		TTL:          cfg.DNSTTL,
		LogDecisions: cfg.LogDecisions,
		Fallback:     fallback(cfg),
		Guard:        cfg.Guard,
	}, nil
}

// reload applies a changed configuration without dropping traffic: the
// policy is swapped atomically and the table replaced in one batch. Queue
// numbers and the fail mode of bound queues need a restart.
func (d *Daemon) reload() {
	old := d.cfg.Load()
	cfg, rules, err := d.load()
	if err != nil {
		d.log.Error("reload refused: configuration keeps its previous state", "err", err)
		return
	}
	d.judge.SetRules(rules)
	d.reloads.Add(1)
	if cfg.Queue != old.Queue || cfg.Queues != old.Queues || cfg.FailMode != old.FailMode || cfg.Layout != old.Layout {
		d.log.Warn("queue numbers, fail mode or ct mark mask changed: they apply after a restart")
	}
	fw := d.firewallConfig(cfg)
	fw.Queue, fw.QueueCount, fw.FailOpen, fw.Layout = old.Queue, old.Queues, old.FailMode == config.FailOpen, old.Layout
	if err := d.table.Reconfigure(fw); err != nil {
		d.log.Error("reload: firewall", "err", err)
	}
	if d.keeper != nil {
		d.keeper.Reconfigure(old, cfg)
	}
	d.log.Info("reloaded", "devices", len(cfg.Devices), "people", len(cfg.People))
}

func (d *Daemon) firewallConfig(cfg *config.Config) firewall.Config {
	fw := firewall.Config{
		LAN:        cfg.LAN,
		Queue:      cfg.Queue,
		QueueCount: cfg.Queues,
		Layout:     cfg.Layout,
		FailOpen:   (cfg.FailMode == config.FailOpen),
		CopyMark:   d.queues.Mode() == queue.MarkPacket,
		Answers:    true,
		Guard:      uint64(cfg.Guard),
		Allowlist:  uint32(category.Allowlist),
	}
	if blockMode(cfg) == dns.Page {
		// Plain HTTP to the block page's address goes to the web page,
		// which redirects it to the child's view of the blocked name.
		fw.BlockPage, fw.BlockPagePort = dns.PageV4, cfg.UIPort
	}
	return fw
}

func blockMode(cfg *config.Config) dns.BlockMode {
	switch cfg.DNSBlock {
	case config.BlockNull:
		return dns.Null
	case config.BlockPage:
		if cfg.UIPort != 0 {
			return dns.Page
		}
	}
	return dns.NXDomain
}

// fallback is the verdict for what the agent cannot decide: fail-closed
// drops it, fail-open lets it pass.
func fallback(cfg *config.Config) queue.Verdict {
	if cfg.FailMode == config.FailOpen {
		return queue.Verdict{Action: queue.Accept}
	}
	return queue.Verdict{Action: queue.Drop}
}

// Status is the content of the status file, rewritten every second.
type Status struct {
	PID                  int    `json:"pid"`
	Version              string `json:"version"`
	Started              string `json:"started"`
	QueueEncoding        string `json:"queue_encoding"`
	CtMark               string `json:"ct_mark"`
	Reloads              uint64 `json:"reloads"`
	Packets              uint64 `json:"packets"`
	Verdicts             uint64 `json:"verdicts"`
	VerdictErrors        uint64 `json:"verdict_errors"`
	RecvErrors           uint64 `json:"recv_errors"`
	Panics               uint64 `json:"panics"`
	Malformed            uint64 `json:"malformed"`
	DNSAllowed           uint64 `json:"dns_allowed"`
	DNSBlocked           uint64 `json:"dns_blocked"`
	DNSRedirected        uint64 `json:"dns_redirected"`
	DNSPartial           uint64 `json:"dns_partial"`
	DNSAnswers           uint64 `json:"dns_answers"`
	ECHStripped          uint64 `json:"ech_stripped"`
	NamesLearned         uint64 `json:"names_learned"`
	NamesKnown           int    `json:"names_known"`
	SafeSearchUnresolved uint64 `json:"safesearch_unresolved"`
	VerdictsTCP          uint64 `json:"verdicts_tcp"`
	VerdictsQUIC         uint64 `json:"verdicts_quic"`
	TCPFlows             uint64 `json:"tcp_flows"`
	QUICFlows            uint64 `json:"quic_flows"`
	FlowsAllowed         uint64 `json:"flows_allowed"`
	FlowsBlocked         uint64 `json:"flows_blocked"`
	BadChecksum          uint64 `json:"bad_checksum"`
	NoStart              uint64 `json:"no_start"`
	NoBuffer             uint64 `json:"no_buffer"`
	Desync               uint64 `json:"desync"`
	Evasions             uint64 `json:"evasions"`
	Unreadable           uint64 `json:"unreadable"`
	InjectErrors         uint64 `json:"inject_errors"`
	NoMAC                uint64 `json:"no_mac"`
	QuietFlows           uint64 `json:"quiet_flows"`
	Late                 uint64 `json:"late"`
	// Clock and household.
	TimeZone  string                `json:"time_zone"`
	ClockSync bool                  `json:"clock_synced"`
	ListNames int                   `json:"list_names"`
	People    []keeper.PersonStatus `json:"people"`
}

func (d *Daemon) writeStatus() {
	qs, c := &d.queues.Stats, d.judge.Counters()
	s := Status{
		PID:                  os.Getpid(),
		Version:              d.opts.Version,
		Started:              d.started.UTC().Format(time.RFC3339),
		QueueEncoding:        d.enc.String(),
		CtMark:               d.queues.Mode().String(),
		Reloads:              d.reloads.Load(),
		Packets:              qs.Packets.Load(),
		Verdicts:             qs.Verdicts.Load(),
		VerdictErrors:        qs.SendErrors.Load(),
		RecvErrors:           qs.RecvErrors.Load(),
		Panics:               qs.Panics.Load(),
		Malformed:            c.Malformed.Load() + qs.Undecodable.Load(),
		DNSAllowed:           c.DNSAllowed.Load(),
		DNSBlocked:           c.DNSBlocked.Load(),
		DNSRedirected:        c.DNSRedirected.Load(),
		DNSPartial:           c.DNSPartial.Load(),
		DNSAnswers:           c.DNSAnswers.Load(),
		ECHStripped:          c.ECHStripped.Load(),
		NamesLearned:         c.NamesLearned.Load(),
		NamesKnown:           d.judge.NamesKnown(),
		SafeSearchUnresolved: c.SafeSearchUnresolved.Load(),
		VerdictsTCP:          c.VerdictsTCP.Load(),
		VerdictsQUIC:         c.VerdictsQUIC.Load(),
		TCPFlows:             c.TCPFlows.Load(),
		QUICFlows:            c.QUICFlows.Load(),
		FlowsAllowed:         c.FlowsAllowed.Load(),
		FlowsBlocked:         c.FlowsBlocked.Load(),
		BadChecksum:          c.BadChecksum.Load(),
		NoStart:              c.NoStart.Load(),
		NoBuffer:             c.NoBuffer.Load(),
		Desync:               c.Desync.Load(),
		Evasions:             c.Evasions.Load(),
		Unreadable:           c.Unreadable.Load(),
		InjectErrors:         c.InjectErrors.Load(),
		NoMAC:                c.NoMAC.Load(),
		QuietFlows:           c.QuietFlows.Load(),
		Late:                 c.Late.Load(),
		TimeZone:             d.clock.Zone().String(),
		ClockSync:            !d.clock.Unsynced(),
		ListNames:            d.lists.Len(),
	}
	if d.keeper != nil {
		s.People = d.keeper.Status()
	}
	b, _ := json.MarshalIndent(s, "", "  ")
	if err := atomicfile.WriteFile(filepath.Join(d.opts.StateDir, "status.json"), append(b, '\n'), 0o644); err != nil {
		d.log.Warn("status file", "err", err)
	}
}
