package inspect

import (
	"errors"
	"strings"

	"github.com/safeinternet/cpe/nfq/httphost"
	"github.com/safeinternet/cpe/nfq/reading"
)

// Errors of tls, quic and http records (Record.Err) that are not a
// reading's own (reading.Result.Err): what the end of a capture leaves.
const (
	errHelloCut = "capture ended before the ClientHello was complete"
	errHeadCut  = "capture ended before the request head was complete"
)

// nameReader reads names with the packet path's reader (package reading:
// its rules, bounds and scratch) and turns what it finds into records. One
// per walk; not safe for concurrent use.
type nameReader struct {
	rd  reading.Reader
	req httphost.Request // looksLikeRequest's
}

// streamRead is what reading one message of a TCP client stream found.
type streamRead int

const (
	readMore  streamRead = iota // a valid beginning of a ClientHello or request head: more bytes needed
	readDone                    // a record: a name, or why none (the packet path judges the flow on it)
	readOther                   // nothing (more) to read: another protocol, or what follows a ClientHello
)

// state says what a Result of a stream's first message means for records.
func state(res reading.Result) streamRead {
	switch {
	case !res.Done:
		return readMore
	case res.Kind == reading.Other && res.Flags == 0:
		return readOther // another protocol: the packet path judges it without a name
	}
	return readDone
}

// stream reads the message at the start of data, the client's bytes of a
// TCP flow to port from its first, in order, as the packet path does
// (reading.Reader.Stream).
func (nr *nameReader) stream(data []byte, port uint16) (streamRead, reading.Result) {
	res := nr.rd.Stream(data, port, false)
	return state(res), res
}

// afterHello reads what a client sent after a ClientHello, which the packet
// path no longer reads (it judged the connection on the first): whole
// change_cipher_spec records are skipped, and a handshake record holding a
// client_hello (the second ClientHello, after the server's
// HelloRetryRequest) is read like the first; anything else ends the reading
// (readOther). skipped is how many bytes of change_cipher_spec records come
// before what res read.
func (nr *nameReader) afterHello(data []byte) (st streamRead, res reading.Result, skipped int) {
	for len(data) >= 5 && data[0] == 20 && data[1] == 3 { // change_cipher_spec
		n := 5 + (int(data[3])<<8 | int(data[4]))
		if len(data) < n {
			return readMore, reading.Result{}, 0
		}
		data, skipped = data[n:], skipped+n
	}
	switch {
	case len(data) == 0:
		return readMore, reading.Result{}, 0
	case data[0] != 0x16, len(data) >= 6 && data[5] != 1: // not a handshake record starting a client_hello
		return readOther, reading.Result{}, 0
	case len(data) < 6:
		return readMore, reading.Result{Kind: reading.TLS}, 0
	}
	res = nr.rd.Stream(data, 0, false) // a handshake record: read as TLS
	return state(res), res, skipped
}

// kindOf is the record kind of a reading: the packet path judges a flow
// whose bytes are neither TLS nor HTTP as TLS.
func kindOf(k reading.Kind) Kind {
	switch k {
	case reading.HTTP:
		return KindHTTP
	case reading.QUIC:
		return KindQUIC
	}
	return KindTLS
}

// soFar is what a stream that needs more bytes looks like so far: "" when
// nothing is known yet.
func soFar(k reading.Kind) Kind {
	if k == reading.Other {
		return ""
	}
	return kindOf(k)
}

// record fills rec's Kind, Name, Hello, Ambiguous, Evasion and Err from res,
// a done Result of nr (its Hello and Request are res's).
func (nr *nameReader) record(res reading.Result, rec *Record) {
	rec.Kind = kindOf(res.Kind)
	rec.Evasion = res.Flags&reading.Evasion != 0
	if res.Err != nil {
		rec.Err = res.Err.Error()
		return
	}
	var amb []string
	if res.Ambiguity != 0 {
		amb = append(amb, res.Ambiguity.String())
	}
	rec.Name = NoName
	switch res.Kind {
	case reading.TLS, reading.QUIC:
		h := nr.rd.Hello()
		if h.HasSNI() {
			rec.Name = string(res.Name)
		}
		info := &HelloInfo{ECH: h.ECH(), PostQuantum: h.PostQuantum()}
		for i := range h.NumALPN() {
			info.ALPN = append(info.ALPN, string(h.ALPN(i)))
		}
		rec.Hello = info
	case reading.HTTP:
		req := nr.rd.Request()
		if len(req.Host()) > 0 {
			rec.Name = string(res.Name)
		}
		if req.Ambiguous() {
			amb = append(amb, "request")
		}
		if req.Truncated() {
			amb = append(amb, "truncated")
		}
	}
	rec.Ambiguous = strings.Join(amb, "|")
}

// looksLikeRequest reports whether payload, the first bytes seen of a flow
// direction whose start the capture missed, can be the start of a client
// stream: a handshake record holding a client_hello, or an HTTP request.
func (nr *nameReader) looksLikeRequest(payload []byte) bool {
	if len(payload) > 0 && payload[0] == 0x16 {
		return len(payload) < 2 || payload[1] == 3 && (len(payload) < 6 || payload[5] == 1)
	}
	return !errors.Is(httphost.Parse(payload, &nr.req), httphost.ErrNotHTTP)
}
