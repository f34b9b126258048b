package firewall

import (
	"bytes"
	"fmt"
	"slices"
)

// MaxStopped is the largest number of MAC addresses SetStopped accepts.
const MaxStopped = 1024

// SetStopped makes macs the members of the table's stopped set: the devices
// whose forwarded traffic is cut to DNS, allowlisted flows and the first
// packets of new flows (see the package comment). It replaces the set's
// members in one netlink batch (flush and add), so the kernel never holds a
// mix of the old and the new list. Order and duplicates in macs do not
// matter; macs is not retained. More than MaxStopped distinct addresses is
// an error and changes nothing.
//
// The list is remembered: Install, Reconfigure and Watch (when it re-creates
// a deleted table) write it with the table. Before Install and after Remove
// it is only remembered. A call with the members already in the kernel does
// not write, so calling it every few seconds costs a comparison. When the
// write fails the list is still remembered, and the next call (or the next
// table write) writes it. Safe for concurrent use (t.mu).
func (t *Table) SetStopped(macs [][6]byte) error {
	set := slices.Clone(macs)
	slices.SortFunc(set, func(a, b [6]byte) int { return bytes.Compare(a[:], b[:]) })
	set = slices.Compact(set)
	if len(set) > MaxStopped {
		return fmt.Errorf("firewall: set stopped: %d addresses exceed %d", len(set), MaxStopped)
	}

	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stoppedSynced && slices.Equal(set, t.stopped) {
		return nil
	}
	t.stopped = set
	t.stoppedSynced = false
	if !t.installed {
		return nil
	}
	if err := sendBatch(t.netns, stoppedMessages(set)); err != nil {
		return fmt.Errorf("firewall: set stopped: %w", err)
	}
	t.stoppedSynced = true
	return nil
}
