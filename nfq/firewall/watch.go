package firewall

import (
	"context"
	"fmt"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// DefaultWatchInterval is the polling interval Watch uses for interval <= 0.
const DefaultWatchInterval = time.Second

// Watch keeps the table in the kernel while ctx is not done: when the table
// disappears (fw4 flush, nft flush ruleset, nft delete table) it is installed
// again and a warning is logged. Watch listens to nf_tables change events
// and, as a safety net against lost events, also checks every interval
// (DefaultWatchInterval when interval <= 0). It only re-creates a table that
// Install put there and Remove has not removed since. Errors are logged and
// retried at the next check. Watch blocks until ctx is done and then
// returns nil.
func (t *Table) Watch(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = DefaultWatchInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()

	var (
		events <-chan struct{}
		stop   func()
		warned bool // the subscription failure was logged
	)
	subscribe := func() {
		if t.noMonitor {
			return
		}
		ev, cancel, err := t.subscribe()
		if err != nil {
			if !warned {
				t.log.Warn("firewall: watch: no nf_tables events, polling until they work", "err", err)
				warned = true
			}
			return
		}
		events, stop, warned = ev, cancel, false
	}
	defer func() {
		if stop != nil {
			stop()
		}
	}()

	subscribe()
	t.ensure("check at start")
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-events:
			if !ok {
				// The subscription failed (e.g. ENOBUFS after a burst):
				// subscribe again at the next tick, and check now.
				stop()
				events, stop = nil, nil
				t.ensure("event stream ended")
				continue
			}
			t.ensure("table deleted")
		case <-tick.C:
			if events == nil {
				subscribe()
			}
			t.ensure("periodic check")
		}
	}
}

// subscribe joins the nf_tables multicast group and returns a channel that
// receives a value (coalesced) whenever the inet table TableName is deleted.
// The channel is closed when the subscription fails (e.g. ENOBUFS after a
// burst of events). cancel closes the socket and waits for the reader.
//
// google/nftables' Monitor is not used: in v0.3.0 its event filter does not
// filter (operator precedence in "monitorFlags&1<<msgType"), so it would
// decode every rule and set element of every ruleset change.
func (t *Table) subscribe() (<-chan struct{}, func(), error) {
	c, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: t.netns})
	if err != nil {
		return nil, nil, fmt.Errorf("dial netlink: %w", err)
	}
	if err := c.JoinGroup(unix.NFNLGRP_NFTABLES); err != nil {
		_ = c.Close()
		return nil, nil, fmt.Errorf("join nf_tables group: %w", err)
	}
	ch := make(chan struct{}, 1)
	go func() {
		defer close(ch)
		for {
			msgs, err := c.Receive()
			if err != nil {
				return
			}
			for _, m := range msgs {
				if isTableDeleted(m, TableName) {
					select {
					case ch <- struct{}{}:
					default:
					}
				}
			}
		}
	}()
	cancel := func() {
		_ = c.Close()
		for range ch {
		}
	}
	return ch, cancel, nil
}

// isTableDeleted reports whether m is the notification that inet table name
// was deleted.
func isTableDeleted(m netlink.Message, name string) bool {
	if m.Header.Type != netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8|unix.NFT_MSG_DELTABLE) ||
		len(m.Data) < 4 || m.Data[0] != unix.NFPROTO_INET {
		return false
	}
	ad, err := netlink.NewAttributeDecoder(m.Data[4:])
	if err != nil {
		return false
	}
	for ad.Next() {
		if ad.Type() == unix.NFTA_TABLE_NAME {
			return ad.String() == name
		}
	}
	return false
}

// ensure re-installs the table when it should be there and is not; why is
// logged with the outcome.
func (t *Table) ensure(why string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.installed {
		return
	}
	ok, err := tableExists(t.netns, TableName)
	if err != nil {
		t.log.Error("firewall: watch: check table", "err", err)
		return
	}
	if ok {
		return
	}
	if err := t.installLocked(); err != nil {
		t.log.Error("firewall: watch: table missing, re-create failed", "why", why, "err", err)
		return
	}
	t.log.Warn("firewall: watch: table was missing, re-created", "why", why, "table", "inet "+TableName)
}
