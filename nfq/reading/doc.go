// Package reading holds the rules by which the packet path reads the name a
// TCP or QUIC flow asks for from the client's first packets, written once:
// the agent's packet judge and the capture tool (agent/inspect) call these
// functions and so cannot disagree about what a flow says.
//
// The rules, each a small named step:
//
//   - A TCP client stream, from its first byte (Reader.Stream): a TLS
//     ClientHello (reassembled across records, a second ClientHello right
//     behind it an evasion), an HTTP/1 request head, anything else to port
//     443 or 80 unreadable, anything else elsewhere no name.
//   - A TCP data segment (Reader.Segment): added to the flow's reasm.Stream
//     (a conflicting overlap an evasion), the stream read again, and the flow
//     unreadable once it has taken its bound of segments.
//   - A QUIC datagram: Discarded (what a server discards unread is not read
//     either), NonInitialLongHeader (0-RTT and Handshake packets that overtake
//     the Initial pass unread), Reader.Datagram (added to the flow's
//     quic.Reader within the bound, a conflict an evasion), Random (the
//     ClientHello random) and Probe.NewConnection (a new connection on a
//     judged flow's addresses, told from a retransmission by that random).
//   - The bounds (MaxSegments, MaxDatagrams, StreamBuffer, PendingFor, …) and
//     the ones derived from the kernel's per-flow guard (SegmentBound,
//     DatagramBound, QuietLimit).
//
// The package is policy-free: it imports nothing of agent/ or ui/, and its
// Kind and Flags are its own; the judge maps them to the policy's.
//
// Contract:
//   - Buffer ownership: a Reader is scratch the caller owns (a ClientHello
//     buffer, a hello.Hello, an httphost.Request, a host name), one per
//     goroutine, reused for every flow. A Result's Name points into that
//     scratch, into the bytes given, or into the quic.Reader given, and is
//     valid until the next call on the same Reader (or that quic.Reader's next
//     Add or Reset). Input bytes are only read, never modified or retained.
//   - Never panics, whatever the bytes: every length is checked by the
//     decoders (nfq/hello, nfq/httphost, nfq/reasm, nfq/quic) before it is
//     used; bad input becomes Unreadable, not a crash.
//   - No allocation on the TCP path (Stream, Segment) nor in Discarded,
//     NonInitialLongHeader and Random. Datagram allocates only what
//     quic.Reader does (the Initial keys of a new connection, 3 allocations;
//     an error with detail, once per flow), and Probe.NewConnection what
//     deriving the probed packet's keys does.
//   - Errors in a Result are package-level values (this package's sentinels,
//     whose texts are built from the bounds, or the decoders'), so failing
//     costs no allocation either.
//   - Nothing here is safe for concurrent use; nothing reads a clock (the
//     caller says when a flow's time is up with final).
package reading
