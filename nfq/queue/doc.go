// Package queue binds NFQUEUE queues and turns each queued packet into one
// verdict.
//
// The binding is done by github.com/florianl/go-nfqueue/v2, hidden behind this
// package's Packet, Verdict and Handler types so that a zero-allocation reader
// can replace it later without touching the agent. Verdict messages are encoded
// here, not by the library: that lets a verdict set only the agent's bits of the
// conntrack mark (CTA_MARK with CTA_MARK_MASK), which the library cannot do.
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
