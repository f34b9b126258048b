package category

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// MaxName is the longest domain name in text form, without a trailing dot.
const MaxName = 253

// Format is the syntax of a list file.
type Format uint8

// Formats. FormatAuto sniffs every line on its own, so a file may mix them.
const (
	FormatAuto     Format = iota // each line by its look: "||", "*.", "IP name", else a domain
	FormatDomains                // one domain a line: example.com
	FormatHosts                  // hosts file: 0.0.0.0 example.com www.example.com
	FormatAdblock                // adblock network rules, only plain ||example.com^ is used
	FormatWildcard               // *.example.com (or example.com); both mean the name and below
)

var formatNames = [...]string{"auto", "domains", "hosts", "adblock", "wildcard"}

// String returns the format's name as ParseFormat accepts it.
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("format(%d)", uint8(f))
}

// ParseFormat returns the format named s ("auto", "domains", "hosts",
// "adblock", "wildcard").
func ParseFormat(s string) (Format, bool) {
	for i, n := range formatNames {
		if n == s {
			return Format(i), true
		}
	}
	return 0, false
}

// Reason says why a line (or one name of a hosts line) was skipped.
type Reason uint8

// Reasons for skipping; each is counted in Stats.Skipped.
const (
	ReasonName      Reason = iota // not a valid DNS name (characters, label or name length, empty label)
	ReasonIP                      // an IP address where a name was expected
	ReasonLocal                   // localhost and the like, as found in hosts files
	ReasonException               // adblock exception rule (@@...)
	ReasonOptions                 // adblock rule with $options: it does not apply to every request
	ReasonPath                    // adblock rule with a path: it does not block the whole name
	ReasonSyntax                  // any other syntax the format does not use (cosmetic rules, a hosts line without IP, extra fields)
	ReasonTooLong                 // a line longer than the read buffer (64 KiB)

	NumReasons = iota
)

var reasonNames = [NumReasons]string{"name", "ip", "local", "exception", "options", "path", "syntax", "too_long"}

// String returns the reason's snake_case name.
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// Stats counts what a loader read. The zero value is ready; Merge adds
// another's counts.
type Stats struct {
	Lines    int // lines read, including comments and blank ones
	Added    int // names passed to add (a hosts line may give several; duplicates are counted each time)
	Comments int // comment and header lines (#, !, [Adblock ...])
	Blank    int // empty lines
	Invalid  int // names or lines skipped, the sum of Skipped
	// Skipped counts the skipped names or lines by Reason.
	Skipped [NumReasons]int
	// Categories counts the names added per source category (ReadUT1,
	// Load); nil when there were none.
	Categories map[string]int
	// Unmapped counts the valid names that were not loaded because their
	// source category has no mapping, per source category; nil when none.
	Unmapped map[string]int
}

func (s *Stats) skip(r Reason) {
	s.Invalid++
	s.Skipped[r]++
}

// Merge adds o's counts to s.
func (s *Stats) Merge(o Stats) {
	s.Lines += o.Lines
	s.Added += o.Added
	s.Comments += o.Comments
	s.Blank += o.Blank
	s.Invalid += o.Invalid
	for i := range s.Skipped {
		s.Skipped[i] += o.Skipped[i]
	}
	s.Categories = mergeCounts(s.Categories, o.Categories)
	s.Unmapped = mergeCounts(s.Unmapped, o.Unmapped)
}

func mergeCounts(dst, src map[string]int) map[string]int {
	for k, v := range src {
		if dst == nil {
			dst = make(map[string]int)
		}
		dst[k] += v
	}
	return dst
}

// ReadList streams a list in format f from r and calls add for every valid
// name, lowercased, without trailing dot. The slice passed to add is a
// buffer reused for the next name: add must copy what it keeps. Bad lines are
// never fatal: they are skipped and counted in the Stats; the error is only
// r's (wrapped). ReadList does not close r.
func ReadList(r io.Reader, f Format, add func(domain []byte)) (Stats, error) {
	st, err := readList(r, f, add)
	if err != nil {
		return st, fmt.Errorf("category: read list: %w", err)
	}
	return st, nil
}

// readList is ReadList with r's error unwrapped, for the loaders that wrap it
// with their own operation.
func readList(r io.Reader, f Format, add func(domain []byte)) (Stats, error) {
	var st Stats
	p := parser{format: f, add: add, st: &st}
	br := bufio.NewReaderSize(r, 64<<10)
	long := false // inside a line longer than the buffer
	for {
		line, err := br.ReadSlice('\n')
		switch {
		case err == bufio.ErrBufferFull:
			if !long {
				st.Lines++
				st.skip(ReasonTooLong)
			}
			long = true
			continue
		case long:
			long = false // the tail of a long line
		case len(line) > 0:
			st.Lines++
			p.line(line)
		}
		if err == io.EOF {
			return st, nil
		}
		if err != nil {
			return st, err
		}
	}
}

// parser holds ReadList's state; buf is the reused name buffer.
type parser struct {
	format Format
	add    func([]byte)
	st     *Stats
	buf    [MaxName]byte
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
}

// field splits off the first whitespace-separated field of s.
func field(s []byte) (f, rest []byte) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	j := i
	for j < len(s) && !isSpace(s[j]) {
		j++
	}
	return s[i:j], s[j:]
}

// trim removes surrounding whitespace.
func trim(s []byte) []byte {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// endOfLine reports whether only whitespace or a '#' comment remains.
func endOfLine(rest []byte) bool {
	f, _ := field(rest)
	return len(f) == 0 || f[0] == '#'
}

func (p *parser) line(line []byte) {
	s := trim(line)
	switch {
	case len(s) == 0:
		p.st.Blank++
		return
	case s[0] == '#' || s[0] == '!' || s[0] == '[':
		p.st.Comments++
		return
	}
	f := p.format
	if f == FormatAuto {
		f = sniff(s)
	}
	switch f {
	case FormatHosts:
		p.hosts(s)
	case FormatAdblock:
		p.adblock(s)
	case FormatWildcard:
		name, rest := field(s)
		if !endOfLine(rest) {
			p.st.skip(ReasonSyntax)
			return
		}
		p.name(bytes.TrimPrefix(name, []byte("*.")))
	default:
		name, rest := field(s)
		if !endOfLine(rest) {
			p.st.skip(ReasonSyntax)
			return
		}
		p.name(name)
	}
}

// sniff guesses the format of one trimmed, non-comment line.
func sniff(s []byte) Format {
	switch {
	case bytes.HasPrefix(s, []byte("||")), bytes.HasPrefix(s, []byte("@@")):
		return FormatAdblock
	case bytes.HasPrefix(s, []byte("*.")):
		return FormatWildcard
	}
	first, rest := field(s)
	if isIP(first) && !endOfLine(rest) {
		return FormatHosts
	}
	return FormatDomains
}

func (p *parser) hosts(s []byte) {
	addr, rest := field(s)
	if !isIP(addr) {
		p.st.skip(ReasonSyntax)
		return
	}
	if endOfLine(rest) {
		p.st.skip(ReasonSyntax) // an address without a name
		return
	}
	for {
		var name []byte
		name, rest = field(rest)
		if len(name) == 0 || name[0] == '#' {
			return
		}
		p.name(name)
	}
}

func (p *parser) adblock(s []byte) {
	switch {
	case bytes.HasPrefix(s, []byte("@@")):
		p.st.skip(ReasonException)
		return
	case !bytes.HasPrefix(s, []byte("||")):
		p.st.skip(ReasonSyntax)
		return
	}
	rule := s[2:]
	if bytes.IndexByte(rule, '$') >= 0 {
		p.st.skip(ReasonOptions)
		return
	}
	name, tail, ok := bytes.Cut(rule, []byte("^"))
	switch {
	case bytes.IndexByte(name, '/') >= 0 || bytes.IndexByte(tail, '/') >= 0:
		p.st.skip(ReasonPath)
	case !ok || (len(tail) > 0 && string(tail) != "|"):
		p.st.skip(ReasonSyntax)
	default:
		p.name(name)
	}
}

// name validates, lowercases and adds one name.
func (p *parser) name(raw []byte) {
	n, r := normalize(raw, &p.buf)
	if r != reasonOK {
		p.st.skip(r)
		return
	}
	p.st.Added++
	p.add(p.buf[:n])
}

const reasonOK Reason = 255

// normalize writes raw, lowercased and without its trailing dot, to buf and
// returns its length, or the reason it is not a valid name.
func normalize(raw []byte, buf *[MaxName]byte) (int, Reason) {
	if len(raw) > 0 && raw[len(raw)-1] == '.' {
		raw = raw[:len(raw)-1]
	}
	if isIP(raw) {
		return 0, ReasonIP
	}
	if len(raw) == 0 || len(raw) > MaxName {
		return 0, ReasonName
	}
	label, digits := 0, true // digits: the current label is all digits
	for i, c := range raw {
		switch {
		case c == '.':
			if label == 0 {
				return 0, ReasonName
			}
			label, digits = 0, true
			buf[i] = c
			continue
		case c >= 'a' && c <= 'z', c == '-', c == '_':
			digits = false
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
			digits = false
		case c >= '0' && c <= '9':
		default:
			return 0, ReasonName
		}
		buf[i] = c
		label++
		if label > 63 {
			return 0, ReasonName
		}
	}
	if label == 0 {
		return 0, ReasonName
	}
	if digits {
		return 0, ReasonIP // a numeric top-level label: an address (or part of one), never a host name
	}
	if isLocal(buf[:len(raw)]) {
		return 0, ReasonLocal
	}
	return len(raw), reasonOK
}

// isIP reports whether s looks like an IPv4 or IPv6 address (possibly with a
// zone or prefix length). It only needs to tell addresses from names.
func isIP(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	if bytes.IndexByte(s, ':') >= 0 {
		for _, c := range s {
			switch {
			case c == '%' || c == '/':
				return true // a zone or prefix length follows
			case !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.'):
				return false
			}
		}
		return true
	}
	if i := bytes.IndexByte(s, '/'); i >= 0 {
		s = s[:i] // a prefix length
	}
	dots := 0
	for _, c := range s {
		switch {
		case c == '.':
			dots++
		case c < '0' || c > '9':
			return false
		}
	}
	return dots == 3
}

// isLocal reports the names that hosts files map to loopback for the system's
// own use; blocking them means nothing.
func isLocal(name []byte) bool {
	switch string(name) {
	case "localhost", "localhost.localdomain", "local", "broadcasthost", "localdomain",
		"ip6-localhost", "ip6-loopback", "ip6-localnet", "ip6-mcastprefix",
		"ip6-allnodes", "ip6-allrouters", "ip6-allhosts":
		return true
	}
	return false
}
