package hello

// Ambiguity is a set of reasons why a name, as sent, cannot be trusted to
// mean one host: servers, proxies and filters may read it differently. 0
// means the name is an ordinary host name. It is information for the
// policy, which decides what an ambiguous name costs; the name is still
// returned.
type Ambiguity uint8

// The Ambiguity bits.
const (
	// AmbControl: the name holds a NUL, another control byte, a space, DEL
	// or a byte outside ASCII (these are also AmbInvalid).
	AmbControl Ambiguity = 1 << iota
	// AmbIPLiteral: the name is an IPv4 literal (the last label is a
	// number, decimal or 0x-hex, as URL parsers read "127.1" or
	// "0x7f000001") or an IPv6 literal (only hex digits, ':' and '.', with
	// at least one ':', optionally in brackets, closed or not).
	AmbIPLiteral
	// AmbMultipleNames: the server_name list holds more than one entry (of
	// any name type); servers differ in which one they use.
	AmbMultipleNames
	// AmbDuplicateExt: an extension type occurs twice in the ClientHello
	// (server_name or any other); crypto/tls and OpenSSL refuse that.
	AmbDuplicateExt
	// AmbInvalid: not a valid host name: empty, an empty label, longer
	// than 253 bytes (without one trailing dot), a label longer than 63, or
	// a byte other than a letter, digit, '-', '_' or '.'.
	AmbInvalid
)

var ambNames = [...]string{"control", "ip-literal", "multiple-names", "duplicate-ext", "invalid"}

// String lists the set bits joined by '|', e.g. "control|ip-literal", in
// bit order; "none" for 0. Unknown bits are shown as "0x..".
func (a Ambiguity) String() string {
	if a == 0 {
		return "none"
	}
	var b []byte
	for i, n := range ambNames {
		if a&(1<<i) != 0 {
			if len(b) > 0 {
				b = append(b, '|')
			}
			b = append(b, n...)
		}
	}
	if rest := a &^ (1<<len(ambNames) - 1); rest != 0 {
		if len(b) > 0 {
			b = append(b, '|')
		}
		const hex = "0123456789abcdef"
		b = append(b, '0', 'x', hex[rest>>4], hex[rest&0xf])
	}
	return string(b)
}

// Normalize writes the normalised form of the host name raw (a server name
// as sent in SNI, or any name off the wire) into dst and returns it with
// the ambiguity found. It does not allocate and does not modify raw.
//
// The normalised form is raw with ASCII letters lowercased and one
// trailing dot dropped; everything else is kept as sent: IDNA A-labels stay
// "xn--…", bytes outside ASCII or control bytes are copied (and flagged
// AmbControl), so a caller that prints a name must escape it. name aliases
// dst.
//
// A name longer than 253 bytes (after the trailing dot is dropped) is
// flagged AmbInvalid and cut on the left to its longest suffix of whole
// labels that fits: the result is a parent domain of what was sent (never a
// different name with a label cut in half), and empty when the last label
// alone is too long. An empty raw (or ".") gives an empty name and
// AmbInvalid.
func Normalize(dst *[253]byte, raw []byte) (name []byte, amb Ambiguity) {
	if n := len(raw); n > 0 && raw[n-1] == '.' {
		raw = raw[:n-1]
	}
	if len(raw) == 0 {
		return dst[:0], AmbInvalid
	}
	keep := 0 // raw[keep:] is copied into dst
	if len(raw) > maxNameLen {
		amb |= AmbInvalid
		keep = len(raw)
		for i := len(raw) - maxNameLen; i < len(raw); i++ {
			if raw[i-1] == '.' && raw[i] != '.' {
				keep = i
				break
			}
		}
	}
	label := 0 // length of the current label so far
	lastStart := 0
	for i, c := range raw {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case c == '.':
			if label == 0 {
				amb |= AmbInvalid
			}
			label = -1
			lastStart = i + 1
		case c <= ' ' || c >= 0x7f:
			amb |= AmbControl | AmbInvalid
		default:
			amb |= AmbInvalid
		}
		if label++; label > 63 {
			amb |= AmbInvalid
		}
		if i >= keep {
			dst[i-keep] = c
		}
	}
	if label == 0 {
		amb |= AmbInvalid // the name ended in "..": an empty last label
	}
	if isNumber(raw[lastStart:]) || isIPv6(raw) {
		amb |= AmbIPLiteral
	}
	return dst[:len(raw)-keep], amb
}

// NormalizeHost is Normalize for the value of an HTTP Host header (or the
// authority of a request target): it trims surrounding spaces and tabs,
// drops a ":port" (a port that is not all digits is AmbInvalid), and
// accepts a bracketed IPv6 literal "[v6]" or "[v6]:port", returned
// lowercased without the brackets and flagged AmbIPLiteral only (AmbInvalid
// as well when the inside is not made of hex digits, ':' and '.'). A bare
// IPv6 literal (several ':' without brackets) is not valid in Host and is
// returned whole, flagged AmbIPLiteral|AmbInvalid. It does not allocate;
// name aliases dst.
func NormalizeHost(dst *[253]byte, raw []byte) (name []byte, amb Ambiguity) {
	raw = trimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		end := -1
		for i, c := range raw {
			if c == ']' {
				end = i
				break
			}
		}
		if end < 0 {
			name, amb = Normalize(dst, raw)
			return name, amb | AmbInvalid
		}
		if !isPort(raw[end+1:]) {
			amb |= AmbInvalid
		}
		inner := raw[1:end]
		name, inAmb := Normalize(dst, inner)
		amb |= AmbIPLiteral | inAmb&AmbControl
		if !isIPv6(inner) || len(inner) > maxNameLen {
			amb |= AmbInvalid
		}
		return name, amb
	}
	colons, last := 0, -1
	for i, c := range raw {
		if c == ':' {
			colons++
			last = i
		}
	}
	if colons == 1 {
		if !isPort(raw[last:]) {
			amb |= AmbInvalid
		}
		raw = raw[:last]
	}
	name, hostAmb := Normalize(dst, raw)
	return name, amb | hostAmb
}

// isPort reports whether b is empty or ':' followed by zero or more digits
// (RFC 3986 port = *DIGIT).
func isPort(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	if b[0] != ':' {
		return false
	}
	for _, c := range b[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// isNumber reports whether the label b reads as an IPv4 number part for a
// URL parser (WHATWG "ends in a number"): all decimal digits, or "0x"/"0X"
// followed by hex digits (possibly none).
func isNumber(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if len(b) >= 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X') {
		for _, c := range b[2:] {
			if !isHex(c) {
				return false
			}
		}
		return true
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// isIPv6 reports whether b looks like an IPv6 literal: at least one ':' and
// otherwise only hex digits and '.', optionally after '[' and before ']'
// (an unclosed bracket counts too). It is a syntax test, not a full parse.
func isIPv6(b []byte) bool {
	if len(b) > 0 && b[0] == '[' {
		b = b[1:]
	}
	if len(b) > 0 && b[len(b)-1] == ']' {
		b = b[:len(b)-1]
	}
	colon := false
	for _, c := range b {
		switch {
		case c == ':':
			colon = true
		case c == '.' || isHex(c):
		default:
			return false
		}
	}
	return colon
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
