package reading

import (
	"errors"

	"github.com/safeinternet/cpe/nfq/hello"
	"github.com/safeinternet/cpe/nfq/httphost"
)

// Kind says what a flow's first bytes were read as.
type Kind uint8

// Kinds of Result.
const (
	// Other: none of the others, a protocol the reader does not read (or no
	// bytes yet). Such a flow has no name; the judge reads it as TLS.
	Other Kind = iota
	TLS        // a TLS ClientHello at the start of a TCP stream
	HTTP       // an HTTP/1 request head at the start of a TCP stream
	QUIC       // a ClientHello in a QUIC flow's Initial packets
)

// String returns the kind's lowercase name, such as "tls".
func (k Kind) String() string {
	switch k {
	case Other:
		return "other"
	case TLS:
		return "tls"
	case HTTP:
		return "http"
	case QUIC:
		return "quic"
	}
	return "kind?"
}

// Flags say how far a Result's name can be trusted.
type Flags uint8

// The Flags.
const (
	// Ambiguous: the name was read, but servers may read another one (see
	// Result.Ambiguity, and httphost.Request.Ambiguous and Truncated).
	Ambiguous Flags = 1 << iota
	// Evasion: the flow tried to show the reader another name than the
	// server reads: overlapping TCP segments or QUIC CRYPTO frames with
	// different bytes, two QUIC connection attempts interleaved, or a second
	// ClientHello right behind the first.
	Evasion
	// Unreadable: no name could be read: bytes that do not parse, a QUIC
	// datagram that does not open, a bound reached, or neither TLS nor HTTP
	// on their ports. Result.Err says which.
	Unreadable
)

// flagNames are the String of every combination of the three flags.
var flagNames = [8]string{"", "ambiguous", "evasion", "ambiguous|evasion", "unreadable",
	"ambiguous|unreadable", "evasion|unreadable", "ambiguous|evasion|unreadable"}

// String lists the set flags joined by '|', "" for none; it does not
// allocate.
func (f Flags) String() string { return flagNames[f&7] }

// Result is what the reading of a flow found.
type Result struct {
	Kind Kind
	// Name is the name to judge, normalised by hello.Normalize or
	// hello.NormalizeHost (ASCII-lowercased, one trailing dot and an HTTP
	// port dropped); empty when the flow gave none (a ClientHello without
	// server_name, Unreadable). It aliases the Reader, the bytes given, or
	// the quic.Reader given: valid until the next call on them.
	Name []byte
	// Flags say what is wrong with Name, if anything.
	Flags Flags
	// Ambiguity is why Name cannot be trusted, as package hello reports it:
	// the ClientHello's server name, or the HTTP host (a request without a
	// host is AmbInvalid). A request head that servers may read differently
	// sets Ambiguous without a bit here (see Reader.Request).
	Ambiguity hello.Ambiguity
	// Done says the reading is over: the flow is judged on this Result.
	// When false, more bytes are needed: the packet passes, the flow waits,
	// and Flags, Name and Err are empty.
	Done bool
	// Used is, for a TLS Result with a ClientHello, how many bytes of the
	// stream its records took: what the client sent after it starts at
	// Used. 0 otherwise.
	Used int
	// Random is, for a QUIC Result with a ClientHello, the ClientHello's
	// random (see Random), aliasing the flow's quic.Reader; nil otherwise.
	Random []byte
	// Err says why, when Flags has Unreadable, or Evasion with no Name: a
	// decoder's error or one of this package's. nil otherwise.
	Err error
}

// end returns res done with no name, flagged f because of err.
func (res Result) end(f Flags, err error) Result {
	res.Done, res.Flags, res.Err = true, res.Flags|f, err
	res.Name, res.Ambiguity, res.Used, res.Random = nil, 0, 0, nil
	return res
}

// Reader reads names in scratch it owns: a buffer for a ClientHello
// reassembled across TLS records, a hello.Hello, an httphost.Request and a
// host name. Keep one per goroutine and reuse it for every flow; its
// Results alias it until its next call. The zero value is ready to use
// (about 26 KiB). It is not safe for concurrent use.
type Reader struct {
	hs   [hello.MaxHello]byte
	h    hello.Hello
	req  httphost.Request
	host [253]byte
}

// Hello returns the ClientHello the last TLS or QUIC Result with a name was
// read from (its ALPN, ECH and groups, for tools), aliasing r. After a
// Result that read no ClientHello it is stale: not to be used.
func (r *Reader) Hello() *hello.Hello { return &r.h }

// Request returns the HTTP request head the last done HTTP Result without
// Err was read from (its method, raw host, and why servers may read it
// differently); its slices alias the stream that was given.
func (r *Reader) Request() *httphost.Request { return &r.req }

// Stream reads the name at the start of data, the client's bytes of a TCP
// flow from its first, in order, to port (the flow's destination port).
// With final, data is all there will be (the flow's start was missed, or
// its time is up): "need more" becomes Unreadable. The rules, in order:
//
//   - No bytes: need more (Kind Other).
//   - A first byte 22 (a TLS handshake record): a ClientHello, reassembled
//     across records (hello.Handshake) and parsed (hello.Parse). Its server
//     name is Name (none without server_name), Ambiguous as hello says, and
//     Evasion when the bytes right after it start another ClientHello: a
//     client sends one and waits for the server (the one after a
//     HelloRetryRequest comes after the server's answer), so two in a row are
//     meant for two different readers. Bytes that are no ClientHello, or one
//     over hello.MaxHello, are Unreadable.
//   - An HTTP/1 request (httphost.Parse): its host, normalised by
//     hello.NormalizeHost, is Name; Ambiguous when the host is ambiguous or
//     missing, when servers may read the head differently, or when the head
//     is longer than httphost reads (it may hide a second Host).
//   - Anything else to TLSPort or HTTPPort: Unreadable (ErrNotTLSOrHTTP).
//   - Anything else: done, Kind Other, no name: a protocol the reader does
//     not read.
func (r *Reader) Stream(data []byte, port uint16, final bool) Result {
	switch {
	case len(data) == 0:
		if final {
			return Result{}.end(Unreadable, ErrIncomplete)
		}
		return Result{}
	case data[0] == 0x16:
		return r.tls(data, final)
	}
	if res, ok := r.http(data, final); ok {
		return res
	}
	if port == TLSPort || port == HTTPPort {
		return Result{}.end(Unreadable, ErrNotTLSOrHTTP)
	}
	return Result{Done: true}
}

// tls reads the ClientHello at the start of data, which starts with a
// handshake record.
func (r *Reader) tls(data []byte, final bool) Result {
	res := Result{Kind: TLS}
	msg, used, err := hello.Handshake(r.hs[:0], data)
	switch {
	case errors.Is(err, hello.ErrNeedMore):
		if final {
			return res.end(Unreadable, err)
		}
		return res
	case err != nil:
		return res.end(Unreadable, err)
	}
	if err := hello.Parse(msg, &r.h); err != nil {
		return res.end(Unreadable, err)
	}
	res.Done, res.Used, res.Name = true, used, r.h.Name()
	if res.Ambiguity = r.h.Ambiguous(); res.Ambiguity != 0 {
		res.Flags |= Ambiguous
	}
	if secondHello(data[used:]) {
		res.Flags |= Evasion
	}
	return res
}

// secondHello reports whether rest, the stream after a ClientHello, starts
// another one: a handshake record whose message has type client_hello (1).
func secondHello(rest []byte) bool {
	return len(rest) >= 6 && rest[0] == 0x16 && rest[1] == 3 && rest[5] == 1
}

// http reads the HTTP/1 request head at the start of data; ok is false
// when data is not HTTP.
func (r *Reader) http(data []byte, final bool) (res Result, ok bool) {
	res = Result{Kind: HTTP}
	err := httphost.Parse(data, &r.req)
	switch {
	case errors.Is(err, httphost.ErrNotHTTP):
		return Result{}, false
	case errors.Is(err, httphost.ErrNeedMore):
		if final {
			return res.end(Unreadable, err), true
		}
		return res, true
	case err != nil:
		return res.end(Unreadable, err), true
	}
	res.Done = true
	res.Name, res.Ambiguity = hello.NormalizeHost(&r.host, r.req.Host())
	if res.Ambiguity != 0 || r.req.Ambiguous() || r.req.Truncated() {
		res.Flags |= Ambiguous
	}
	return res, true
}
