package reading

import (
	"errors"
	"fmt"
	"time"

	"github.com/safeinternet/cpe/nfq/hello"
	"github.com/safeinternet/cpe/nfq/reasm"
)

// Bounds of the reading of one flow's name. A flow that reaches one before
// its name is complete is Unreadable: the judge blocks it for restricted
// profiles and allows it for others.
const (
	// StreamBuffer is the reassembly buffer of one TCP flow: a ClientHello
	// of hello.MaxHello bytes and 512 bytes for the headers of the records
	// it is cut into (102 of them; a ClientHello cut finer does not fit and
	// is Unreadable).
	StreamBuffer = hello.MaxHello + 512
	// MaxSegments is how many data segments of a TCP flow are read (a
	// post-quantum ClientHello takes 2 at MTU 1500, 4 at 576; the 11 KB
	// ClientHello in the shared captures takes 12). Retransmissions count.
	MaxSegments = 24
	// MaxDatagrams is how many datagrams of a QUIC flow are read, 0-RTT and
	// Handshake packets that overtake the Initial included.
	MaxDatagrams = 12
	// MinInitialDatagram is the smallest datagram a server reads a client
	// Initial from (RFC 9000 §14.1): smaller ones are discarded.
	MinInitialDatagram = 1200
	// MinFirstDCID is the shortest Destination Connection ID a server
	// accepts in a client's first Initial (RFC 9000 §7.2): a first Initial
	// with a shorter one is discarded.
	MinFirstDCID = 8
	// PendingFor is how long a flow may take to complete its name, on the
	// monotonic clock: on its next packet after that the caller reads with
	// final set, and an incomplete name is Unreadable.
	PendingFor = 5 * time.Second
	// TLSPort and HTTPPort carry TLS and HTTP/1: a TCP flow to them that
	// starts with neither is Unreadable, not "another protocol".
	TLSPort  = 443
	HTTPPort = 80
)

// MaxSegments fits the fixed range array of a reasm.Stream.
var _ [reasm.MaxSegments - MaxSegments]struct{}

// SegmentBound is how many data segments of a TCP flow are read when the
// kernel queues only the first guard packets of each flow: MaxSegments, but
// never more than the kernel queues (its count also holds the SYN and the
// handshake ACK), so that the agent always judges the flow itself rather
// than leaving it to the fail mode; at least 1.
func SegmentBound(guard int) int { return max(1, min(MaxSegments, guard-2)) }

// DatagramBound is SegmentBound for QUIC: the kernel queues the first guard
// datagrams of a flow; at most MaxDatagrams, at least 1.
func DatagramBound(guard int) int { return max(1, min(MaxDatagrams, guard)) }

// QuietLimit is how many acknowledgements of new server data make a TCP
// flow that has sent no byte "quiet", judged with no name: a flow where the
// server speaks first (SMTP, SSH and IMAP banners). It is half the guard,
// since the kernel's count also holds the SYN and the handshake ACK, and at
// least 1. Repeated ACKs that acknowledge nothing new must not count, or a
// client could buy an unread flow with empty ACKs before its ClientHello.
func QuietLimit(guard int) int { return max(1, guard/2-1) }

// Errors of a Result (Result.Err) that are not a decoder's own. Their texts
// are built from the bounds once, so returning them allocates nothing.
var (
	// ErrNotTLSOrHTTP: a flow to TLSPort or HTTPPort starts with neither a
	// TLS handshake record nor an HTTP/1 request (a tunnel, HTTP/2 with
	// prior knowledge, an SSL 2.0 ClientHello).
	ErrNotTLSOrHTTP = fmt.Errorf("reading: port %d or %d flow starts with neither a TLS handshake nor an HTTP request",
		TLSPort, HTTPPort)
	// ErrSegments: the flow took its bound of data segments (at most
	// MaxSegments) without a whole ClientHello or request head.
	ErrSegments = fmt.Errorf("reading: no whole ClientHello or request head within the segment bound (at most %d data segments)",
		MaxSegments)
	// ErrDatagrams: the QUIC flow took its bound of datagrams (at most
	// MaxDatagrams) without a whole ClientHello.
	ErrDatagrams = fmt.Errorf("reading: no whole ClientHello within the datagram bound (at most %d datagrams)",
		MaxDatagrams)
	// ErrIncomplete: the reading ended (final) with no name and nothing
	// more specific to say: no client bytes at the stream's start, or a
	// QUIC ClientHello still incomplete after PendingFor.
	ErrIncomplete = errors.New("reading: the reading ended before the name was complete")
)
