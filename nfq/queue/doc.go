// Package queue binds NFQUEUE queues and turns each queued packet into one
// verdict.
//
// Configuration messages go through github.com/mdlayher/netlink; packets are
// read and verdicts written by this package's own zero-allocation reader,
// straight on the socket through the runtime poller. (The first version used
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
package queue
