// Package httphost reads the host a plain HTTP/1.x request is for, from the
// first bytes a client sends on a TCP flow, for the packet path: Parse runs
// on the reassembled beginning of a flow and allocates nothing.
//
// The host is the authority of the request-target when the request has one
// (absolute-form "GET http://host/…", or CONNECT's "host:port"), as RFC 9112
// §3.2.2 tells servers to use, and otherwise the value of the Host header. It
// is handed out raw: port kept, case kept, nothing validated; the caller
// normalises it.
//
// Parse reads the whole request head, up to the empty line that ends it, and
// not only up to the first Host header: a second Host header further down is
// how a sender shows a filter one name and a server another, and it can only
// be seen by reading on. The head is read up to MaxHead bytes. A request whose
// head is longer is decided with what those bytes hold: its host if one was
// found (Truncated then reports that later headers were not checked),
// ErrTooLong if none was.
//
// Whatever a server might read differently from this package is reported by
// Ambiguous rather than guessed at; a caller that cannot afford to be fooled
// refuses an ambiguous request.
package httphost

import (
	"bytes"
	"errors"
)

// Errors returned by Parse. They are returned as they are (not wrapped), so
// that failing costs no allocation.
var (
	// ErrNeedMore reports a stream that is a valid beginning of a request
	// but ends before the request head does.
	ErrNeedMore = errors.New("httphost: need more bytes")
	// ErrNotHTTP reports a stream that does not start like an HTTP/1
	// request: a known method (see Parse) followed by a space.
	ErrNotHTTP = errors.New("httphost: not an HTTP/1 request")
	// ErrMalformed reports a request line or header line that is not
	// HTTP/1.x: no "HTTP/1.x" version, a header line without a colon, an
	// absolute-form target without an authority.
	ErrMalformed = errors.New("httphost: malformed request")
	// ErrTooLong reports a request whose first MaxHead bytes hold neither
	// the end of its head nor a host.
	ErrTooLong = errors.New("httphost: request head too long")
)

// MaxHead is how many bytes of a stream Parse reads at most, the size of
// most servers' first header buffer (nginx's client_header_buffer_size is 1
// KiB, its large_client_header_buffers 8 KiB per line).
const MaxHead = 8 << 10

// methods are the request methods Parse accepts, each followed by a space.
// Methods are case-sensitive (RFC 9110 §9.1), so "get" is not one.
const methods = "GET HEAD POST PUT DELETE CONNECT OPTIONS TRACE PATCH " +
	"PROPFIND PROPPATCH MKCOL COPY MOVE LOCK UNLOCK SEARCH REPORT MKACTIVITY " +
	"CHECKOUT CHECKIN UNCHECKOUT MERGE MKCALENDAR MKWORKSPACE UPDATE LABEL " +
	"VERSION-CONTROL BASELINE-CONTROL ACL BIND UNBIND REBIND ORDERPATCH " +
	"M-SEARCH NOTIFY SUBSCRIBE UNSUBSCRIBE PURGE LINK UNLINK QUERY SOURCE "

// maxMethodLen is the length of the longest of methods.
const maxMethodLen = len("BASELINE-CONTROL")

// isMethodByte reports whether c can be in one of methods.
func isMethodByte(c byte) bool { return 'A' <= c && c <= 'Z' || c == '-' }

// Request is what Parse found in a request head. The zero value is an empty
// request; Parse overwrites every field. The slices it returns alias the
// stream given to Parse: the caller keeps that stream unchanged for as long
// as it uses them.
type Request struct {
	method     []byte
	host       []byte // what Host returns
	hostHeader []byte // the first Host header's value
	hostFields int    // how many Host header fields were read
	authority  bool   // host comes from the request-target
	ambiguous  bool
	truncated  bool
}

// Method returns the request method, e.g. "GET"; nil when Parse failed with
// ErrNotHTTP or ErrNeedMore before the method was complete.
func (r *Request) Method() []byte { return r.method }

// Host returns the host the request is for: the authority of an
// absolute-form or CONNECT request-target when there is one (userinfo
// removed), otherwise the first Host header's value with surrounding
// whitespace removed. The port is kept. It is empty when the request names no
// host (HTTP/1.0 without a Host header, or "Host:" with no value). Only
// meaningful after Parse returned nil.
func (r *Request) Host() []byte { return r.host }

// HostHeader returns the value of the first Host header (whitespace around it
// removed), or nil when there is none. It differs from Host only for a
// request-target that carries an authority; a caller that wants to judge
// every name the request shows judges both.
func (r *Request) HostHeader() []byte { return r.hostHeader }

// Ambiguous reports a request that servers may read differently: several
// Host headers; a Host header that differs (ignoring ASCII case) from the
// authority of the request-target; an absolute-form target whose authority
// has userinfo ("user@") or a backslash; an obs-fold continuation line, or a
// whitespace-preceded line right after the request line; whitespace between
// a Host header's name and its colon; a space inside the request-target
// ("GET /a b HTTP/1.1"); NUL, other control bytes or a CR not followed by LF
// anywhere in the bytes read.
func (r *Request) Ambiguous() bool { return r.ambiguous }

// Truncated reports that the head was longer than MaxHead and was judged on
// its first MaxHead bytes: a duplicate Host header after them would not have
// been seen.
func (r *Request) Truncated() bool { return r.truncated }

// Parse reads the request head at the start of stream into r. The stream is
// the client's bytes from the flow's first, in order (see package reasm);
// only its first MaxHead bytes are read, and it is not modified. Empty lines
// before the request line are skipped, as servers do (RFC 9112 §2.2); line
// ends may be CRLF or a bare LF. Bytes after the head (a body, a pipelined
// request) are not looked at.
//
// It returns nil once the head is complete, or once MaxHead bytes were read
// and a host was found; then r holds the method, the host and the flags.
// Otherwise it returns ErrNeedMore, ErrNotHTTP, ErrMalformed or ErrTooLong,
// and r's host is not to be used.
//
// The method must be one of GET HEAD POST PUT DELETE CONNECT OPTIONS TRACE
// PATCH, a WebDAV, CalDAV or versioning method (PROPFIND, MKCOL, …), M-SEARCH,
// NOTIFY, SUBSCRIBE, UNSUBSCRIBE, PURGE, LINK, UNLINK, QUERY or SOURCE,
// followed by a space. Anything else is ErrNotHTTP, including the HTTP/2
// connection preface ("PRI * HTTP/2.0") and lowercase methods.
//
// Parse does not allocate.
func Parse(stream []byte, r *Request) error {
	*r = Request{}
	head := stream
	if len(head) > MaxHead {
		head = head[:MaxHead]
		r.truncated = true
	}
	pos := 0
	for pos < len(head) && (head[pos] == '\r' || head[pos] == '\n') {
		pos++
	}

	// The method token, looked at no further than the longest method can
	// reach, so that other protocols are told apart in a few bytes.
	end := pos
	for end < len(head) && end-pos < maxMethodLen && isMethodByte(head[end]) {
		end++
	}
	switch {
	case end == len(head):
		if !methodPrefix(head[pos:]) {
			return ErrNotHTTP
		}
		if r.truncated {
			return ErrTooLong // only empty lines
		}
		return ErrNeedMore
	case head[end] != ' ' || !isMethod(head[pos:end]):
		return ErrNotHTTP
	}
	r.method = head[pos:end:end]
	pos = end + 1

	line, next, ok := nextLine(head, pos)
	if !ok {
		return r.incomplete()
	}
	if err := r.requestLine(line); err != nil {
		return err
	}
	pos = next

	complete := false
	for {
		line, next, ok := nextLine(head, pos)
		if !ok {
			break
		}
		pos = next
		if len(line) == 0 {
			complete = true
			break
		}
		if err := r.field(line); err != nil {
			return err
		}
	}
	if hasControl(head[:pos]) {
		r.ambiguous = true
	}
	if !complete {
		if !r.authority && r.hostFields == 0 {
			return r.incomplete()
		}
		if !r.truncated {
			return ErrNeedMore
		}
	} else {
		r.truncated = false // the head ended within MaxHead
	}
	if !r.authority {
		r.host = r.hostHeader
	} else if r.hostFields > 0 && !bytes.EqualFold(r.host, r.hostHeader) {
		r.ambiguous = true
	}
	return nil
}

// incomplete is the error for a head that ended before its host could be
// known: more bytes may come, unless MaxHead were already read.
func (r *Request) incomplete() error {
	if r.truncated {
		return ErrTooLong
	}
	return ErrNeedMore
}

// nextLine returns the line of b starting at pos, without its LF and a CR
// before it, and where the next line starts; ok is false when no LF follows.
func nextLine(b []byte, pos int) (line []byte, next int, ok bool) {
	i := bytes.IndexByte(b[pos:], '\n')
	if i < 0 {
		return nil, pos, false
	}
	line = b[pos : pos+i]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, pos + i + 1, true
}

// requestLine reads the request-target and version, the request line after
// the method and its space. Runs of spaces between the parts are accepted,
// as nginx and others do.
func (r *Request) requestLine(line []byte) error {
	line = trimSpaces(line)
	sp, last := bytes.IndexByte(line, ' '), bytes.LastIndexByte(line, ' ')
	if sp <= 0 {
		return ErrMalformed // "GET /" (HTTP/0.9) or no target
	}
	target, version := line[:sp], line[last+1:]
	if len(trimSpaces(line[sp:last])) > 0 {
		// "GET /a b HTTP/1.1": servers differ on where the target ends.
		r.ambiguous = true
	}
	if len(version) != len("HTTP/1.1") || string(version[:len("HTTP/1.")]) != "HTTP/1." ||
		version[7] < '0' || version[7] > '9' {
		return ErrMalformed
	}
	if string(r.method) == "CONNECT" {
		r.host, r.authority = target[:len(target):len(target)], true
		return nil
	}
	if auth, odd, ok := authority(target); ok {
		if len(auth) == 0 {
			return ErrMalformed
		}
		r.host, r.authority = auth, true
		r.ambiguous = r.ambiguous || odd
	}
	return nil
}

// authority returns the host[:port] of an absolute-form target
// (scheme "://" authority path), userinfo removed; ok is false for any other
// form (origin-form "/…", asterisk "*"). odd reports an authority that
// parsers read differently: one with userinfo (which RFC 9110 §4.2.4 tells
// recipients to treat as an error) or a backslash (a path separator to
// browsers, "http://allowed.example\@blocked.example/").
func authority(target []byte) (auth []byte, odd, ok bool) {
	i := 0
	for i < len(target) && isSchemeByte(target[i], i == 0) {
		i++
	}
	if i == 0 || !bytes.HasPrefix(target[i:], []byte("://")) {
		return nil, false, false
	}
	rest := target[i+3:]
	end := 0
	for end < len(rest) && rest[end] != '/' && rest[end] != '?' && rest[end] != '#' {
		end++
	}
	auth = rest[:end:end]
	odd = bytes.IndexByte(auth, '\\') >= 0
	if at := bytes.LastIndexByte(auth, '@'); at >= 0 {
		auth, odd = auth[at+1:], true
	}
	return auth, odd, true
}

// isSchemeByte reports whether c can be in a URI scheme (RFC 3986 §3.1):
// a letter first, then letters, digits, '+', '-', '.'.
func isSchemeByte(c byte, first bool) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		return true
	case first:
		return false
	}
	return '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'
}

// field reads one header field line (not empty, line end removed).
func (r *Request) field(line []byte) error {
	if line[0] == ' ' || line[0] == '\t' {
		// obs-fold, or whitespace before the first field: servers join it
		// to the previous field, drop it or refuse the request.
		r.ambiguous = true
		return nil
	}
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return ErrMalformed
	}
	name := trimWS(line[:colon])
	if !bytes.EqualFold(name, []byte("host")) {
		return nil
	}
	if len(name) < colon {
		r.ambiguous = true // "Host :": refused by some servers, read by others
	}
	r.hostFields++
	if r.hostFields > 1 {
		r.ambiguous = true
		return nil
	}
	value := trimWS(line[colon+1:])
	r.hostHeader = value[:len(value):len(value)]
	return nil
}

// hasControl reports whether b holds a control byte other than HT, LF and a
// CR right before LF.
func hasControl(b []byte) bool {
	for i, c := range b {
		switch {
		case c == '\t' || c == '\n':
		case c == '\r':
			if i+1 >= len(b) || b[i+1] != '\n' {
				return true
			}
		case c < 0x20 || c == 0x7f:
			return true
		}
	}
	return false
}

// trimSpaces removes leading and trailing spaces. Like trimWS, it only
// reslices: a non-nil b gives a non-nil result.
func trimSpaces(b []byte) []byte {
	for len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return b
}

// trimWS removes leading and trailing spaces and tabs (OWS).
func trimWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// isMethod reports whether m is one of methods.
func isMethod(m []byte) bool {
	for rest := methods; rest != ""; {
		i := indexSpace(rest)
		if string(m) == rest[:i] {
			return true
		}
		rest = rest[i+1:]
	}
	return false
}

// methodPrefix reports whether b could still become a method and its space:
// b is a prefix of one of methods.
func methodPrefix(b []byte) bool {
	for rest := methods; rest != ""; {
		i := indexSpace(rest)
		if len(b) <= i && string(b) == rest[:len(b)] {
			return true
		}
		rest = rest[i+1:]
	}
	return false
}

// indexSpace returns the index of the first space in s, which has one.
func indexSpace(s string) int {
	i := 0
	for s[i] != ' ' {
		i++
	}
	return i
}
