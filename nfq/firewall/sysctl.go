package firewall

import (
	"bytes"
	"fmt"
	"os"
)

// acctPath is the sysctl net.netfilter.nf_conntrack_acct.
const acctPath = "/proc/sys/net/netfilter/nf_conntrack_acct"

// EnableConntrackAccounting sets net.netfilter.nf_conntrack_acct to 1 in the
// network namespace of the calling thread, by writing /proc/sys. The
// packet-count guard reads the conntrack packet counters, which exist only
// for flows created while accounting is on: without it the counters read 0
// and every TCP and UDP/443 packet of an unmarked flow would be queued. The
// daemon calls it before Install. OpenWrt turns accounting on by default; the
// call is then a read and nothing more. It fails when nf_conntrack is not
// loaded (the file is absent) or the caller may not write sysctls.
func EnableConntrackAccounting() error {
	return enableAcct(acctPath)
}

// enableAcct writes "1" to path unless it already holds 1.
func enableAcct(path string) error {
	cur, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("firewall: conntrack accounting: %w", err)
	}
	if string(bytes.TrimSpace(cur)) == "1" {
		return nil
	}
	if err := os.WriteFile(path, []byte("1\n"), 0o644); err != nil {
		return fmt.Errorf("firewall: conntrack accounting: %w", err)
	}
	return nil
}
