// Package queue binds NFQUEUE queues and turns each queued packet into one
// verdict.
//
// The package speaks nfnetlink_queue itself, on a raw NETLINK_NETFILTER
// socket through golang.org/x/sys/unix; it imports no netlink library. Each
// queue has its own blocking socket, read by one goroutine locked to its OS
// thread: a packet wakes that thread straight from the kernel, with no
// runtime poller and no goroutine hand-off. Whatever else is already waiting
// (up to 64 packets) is decided too, and the verdicts of that batch go back
// in one send. Nothing is allocated per packet. A receive timeout (200 ms)
// lets a stopped queue notice. (The first version used
// github.com/florianl/go-nfqueue/v2; its receive path costs a goroutine
// wake-up and several allocations per packet, which capped DNS throughput
// through the router at about a third of the rate without the agent. It
// remains the independent reader in package firewall's tests.) Verdicts set
// only the agent's bits of the conntrack mark (CTA_MARK with CTA_MARK_MASK),
// which that library cannot express.
//
// Two ways to mark a flow exist, and Open probes which one the kernel offers:
//
//   - MarkConntrack: the verdict carries the ct mark itself. It needs
//     CONFIG_NETFILTER_NETLINK_GLUE_CT (OpenWrt: kmod-nf-conntrack-netlink);
//     the probe asks the kernel for conntrack information on the queue, which
//     it refuses with EOPNOTSUPP when the glue is missing.
//   - MarkPacket: the verdict sets the packet mark (only the agent's bits; the
//     others are kept as queued), and a later chain of the agent's nft table
//     copies those bits to the ct mark (see package firewall, CopyMark).
//
// Each queue is served by one goroutine; a Handler is never called
// concurrently for the same queue, so per-queue scratch buffers need no lock.
// A packet the handler cannot decide (no payload, or a handler panic) gets
// Config.Default.
package queue
