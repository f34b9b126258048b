package inspect

import (
	"errors"

	"github.com/safeinternet/cpe/nfq/hello"
	"github.com/safeinternet/cpe/nfq/httphost"
)

// Errors of tls, quic and http records (Record.Err) that are not a
// decoder's own error text.
const (
	errNotTLSOrHTTP  = "port 443 flow starts with neither a TLS handshake nor an HTTP request"
	errHelloCut      = "capture ended before the ClientHello was complete"
	errHeadCut       = "capture ended before the request head was complete"
	errTCPSegments   = "no whole ClientHello or request head in the first 24 data segments"
	errQUICDatagrams = "no whole ClientHello in the first 12 datagrams"
)

// nameReader reads names at the start of client streams and in QUIC
// ClientHellos, in buffers it owns: one per walk. Not safe for concurrent
// use.
type nameReader struct {
	hs   []byte      // Handshake's reassembly space, hello.MaxHello bytes
	h    hello.Hello // reused for every ClientHello
	req  httphost.Request
	host [253]byte
}

// streamRead is what reading the start of a TCP client stream found.
type streamRead int

const (
	readMore  streamRead = iota // a valid beginning of a ClientHello or request head: more bytes needed
	readDone                    // the record is in rec
	readOther                   // nothing (more) to read: another protocol, or what follows a ClientHello
)

// stream reads the ClientHello or HTTP request head at the start of data,
// the client's bytes of a TCP flow from its first, in order. With readDone
// it has filled rec's Kind, Name, Hello, Ambiguous and Err, and used is how
// many bytes of data the ClientHello took (0 for HTTP and errors). kind says
// what data looks like so far, for readMore.
func (nr *nameReader) stream(data []byte, dstPort uint16, rec *Record) (res streamRead, kind Kind, used int) {
	switch {
	case len(data) == 0:
		return readMore, "", 0
	case data[0] == 0x16: // a TLS handshake record
		return nr.tls(data, rec)
	}
	err := httphost.Parse(data, &nr.req)
	switch {
	case errors.Is(err, httphost.ErrNotHTTP):
		if dstPort == 443 {
			// The packet path's rule: port 443 carries TLS, anything
			// else there is a tunnel it cannot read.
			rec.Kind, rec.Err = KindTLS, errNotTLSOrHTTP
			return readDone, KindTLS, 0
		}
		return readOther, "", 0
	case errors.Is(err, httphost.ErrNeedMore):
		return readMore, KindHTTP, 0
	}
	rec.Kind = KindHTTP
	if err != nil {
		rec.Err = err.Error()
		return readDone, KindHTTP, 0
	}
	rec.Name = NoName
	if raw := nr.req.Host(); len(raw) > 0 {
		name, amb := hello.NormalizeHost(&nr.host, raw)
		rec.Name = string(name)
		if amb != 0 {
			rec.Ambiguous = amb.String()
		}
	}
	if nr.req.Ambiguous() {
		if rec.Ambiguous != "" {
			rec.Ambiguous += "|"
		}
		rec.Ambiguous += "request"
	}
	return readDone, KindHTTP, 0
}

// tls reads the ClientHello at the start of data, which starts with a
// handshake record.
func (nr *nameReader) tls(data []byte, rec *Record) (res streamRead, kind Kind, used int) {
	rec.Kind = KindTLS
	if nr.hs == nil {
		nr.hs = make([]byte, 0, hello.MaxHello)
	}
	msg, used, err := hello.Handshake(nr.hs[:0], data)
	switch {
	case errors.Is(err, hello.ErrNeedMore):
		return readMore, KindTLS, 0
	case err != nil:
		rec.Err = err.Error()
		return readDone, KindTLS, 0
	}
	nr.hello(msg, rec)
	return readDone, KindTLS, used
}

// afterHello reads what a client sent after a ClientHello: whole
// change_cipher_spec records are skipped, and a handshake record holding a
// client_hello (the second ClientHello, after the server's
// HelloRetryRequest) is read like the first; anything else ends the reading
// (readOther). used counts the skipped records too.
func (nr *nameReader) afterHello(data []byte, rec *Record) (res streamRead, kind Kind, used int) {
	skipped := 0
	for len(data) >= 5 && data[0] == 20 && data[1] == 3 { // change_cipher_spec
		n := 5 + (int(data[3])<<8 | int(data[4]))
		if len(data) < n {
			return readMore, "", 0
		}
		data, skipped = data[n:], skipped+n
	}
	switch {
	case len(data) == 0:
		return readMore, "", 0
	case data[0] != 0x16, len(data) >= 6 && data[5] != 1: // not a handshake record starting a client_hello
		return readOther, "", 0
	case len(data) < 6:
		return readMore, KindTLS, 0
	}
	res, kind, used = nr.tls(data, rec)
	if used > 0 {
		used += skipped
	}
	return res, kind, used
}

// hello parses the ClientHello message msg into rec (Name, Hello,
// Ambiguous, or Err).
func (nr *nameReader) hello(msg []byte, rec *Record) {
	h := &nr.h
	if err := hello.Parse(msg, h); err != nil {
		rec.Err = err.Error()
		return
	}
	rec.Name = NoName
	if h.HasSNI() {
		rec.Name = string(h.Name())
	}
	info := &HelloInfo{ECH: h.ECH(), PostQuantum: h.PostQuantum()}
	for i := range h.NumALPN() {
		info.ALPN = append(info.ALPN, string(h.ALPN(i)))
	}
	rec.Hello = info
	if a := h.Ambiguous(); a != 0 {
		rec.Ambiguous = a.String()
	}
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
