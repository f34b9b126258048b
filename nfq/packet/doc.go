// Package packet is allocation-free minimal decoding of IPv4, IPv6, TCP and
// UDP headers, as they arrive from a netfilter queue (the buffer starts at the
// IP header; there is no link layer), plus the checksums and the small reply
// packets the agent sends back on its own (a synthesized DNS answer, an HTTP
// answer, a reset) or puts in a verdict in place of the queued one.
//
// Decoding never fails loudly: Parsed.Decode fills a caller-owned Parsed from
// whatever it is given, and input it cannot make sense of becomes "unknown"
// (IPVersion 0, or IPProto Unknown, or Valid false), never a panic or an
// allocation. Every length read from the wire is checked against the buffer
// before it is used. Multi-byte wire fields are read with
// encoding/binary.BigEndian, so the package behaves the same on big-endian
// (MIPS) and little-endian hosts.
package packet
