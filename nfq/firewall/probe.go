package firewall

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// probeTable is the scratch table Probe writes; the same batch deletes it.
const probeTable = "safeinternet_probe"

// Probe finds the queue encoding the kernel supports: it asks the kernel to
// add a rule with the native queue expression and, when that is refused, one
// with the xtables NFQUEUE target. Each attempt is a single batch that
// creates a scratch table, adds the rule and deletes the table again, so
// nothing is left behind whatever the outcome. It returns ErrNoQueue (joined
// with both kernel errors) when neither is accepted. log must not be nil.
func Probe(log *slog.Logger) (QueueEncoding, error) {
	return probe(0, log)
}

// probe is Probe in network namespace netns (0: the caller's).
func probe(netns int, log *slog.Logger) (QueueEncoding, error) {
	errNative := sendBatch(netns, probeMessages(Native))
	if errNative == nil {
		log.Info("firewall: queue encoding", "encoding", Native.String())
		return Native, nil
	}
	errCompat := sendBatch(netns, probeMessages(XtablesCompat))
	if errCompat == nil {
		log.Info("firewall: queue encoding", "encoding", XtablesCompat.String(), "native_refused", errNative)
		return XtablesCompat, nil
	}
	return 0, errors.Join(ErrNoQueue,
		fmt.Errorf("firewall: probe %s: %w", Native, errNative),
		fmt.Errorf("firewall: probe %s: %w", XtablesCompat, errCompat))
}

// probeMessages returns the probe batch for enc: the table is created,
// deleted (clearing any leftover), created again, given a regular chain with
// one queue rule, and deleted.
func probeMessages(enc QueueEncoding) []netlink.Message {
	const fam = unix.NFPROTO_INET
	var b msgBuilder
	b.addTable(fam, probeTable)
	b.delTable(fam, probeTable)
	b.addTable(fam, probeTable)
	b.addChain(fam, probeTable, chainSpec{name: "probe", hook: -1})
	var rb ruleBuilder
	rb.add("probe", "", queueExpr(Config{Queue: 0, QueueCount: 1}, enc))
	b.addRule(fam, probeTable, rb.rules[0])
	b.delTable(fam, probeTable)
	return b.msgs
}
