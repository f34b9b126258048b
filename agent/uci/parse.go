package uci

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// ReadFile reads and parses the file name from fsys. Errors are *SyntaxError
// for malformed input (naming the file and line), ErrTooLarge for a file over
// MaxSize, or the file system's error wrapped as "uci: read: …".
//
// To read an absolute path such as /etc/config/safeinternet, pass
// os.DirFS("/etc/config") and "safeinternet".
func ReadFile(fsys fs.FS, name string) ([]*Section, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("uci: read: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("uci: read: %w", err)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%w: %s is over %d bytes", ErrTooLarge, name, MaxSize)
	}
	return Parse(name, data)
}

// Parse parses data, the content of the file name (used only in errors). It
// returns the sections in file order, or the first syntax error as a
// *SyntaxError. data is not retained.
func Parse(name string, data []byte) ([]*Section, error) {
	p := parser{
		name:  name,
		data:  bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")),
		line:  1,
		count: map[string]int{},
	}
	if err := p.run(); err != nil {
		return nil, err
	}
	return p.sections, nil
}

// parser holds the state of one Parse call.
type parser struct {
	name     string
	data     []byte
	pos      int
	line     int            // line of data[pos], from 1
	count    map[string]int // sections seen so far, by type
	sections []*Section
	cur      *Section // the section that option statements go to; nil before the first
	word     []byte   // scratch for the word being read
}

func (p *parser) errorf(line int, format string, args ...any) error {
	return &SyntaxError{File: p.name, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// isSpace is C's isspace in the "C" locale, which libuci uses to end words.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// run parses statements until the end of the data.
func (p *parser) run() error {
	for {
		// Skip blank space, newlines included, between statements.
		for p.pos < len(p.data) && (isSpace(p.data[p.pos]) || p.data[p.pos] == ';') {
			if p.data[p.pos] == '\n' {
				p.line++
			}
			p.pos++
		}
		if p.pos >= len(p.data) {
			return nil
		}
		if p.data[p.pos] == '#' {
			p.skipComment()
			continue
		}
		if err := p.statement(); err != nil {
			return err
		}
	}
}

// skipComment moves to the newline that ends the current line (or the end of
// the data).
func (p *parser) skipComment() {
	if i := bytes.IndexByte(p.data[p.pos:], '\n'); i >= 0 {
		p.pos += i
	} else {
		p.pos = len(p.data)
	}
}

// statement parses one statement starting at its command word.
func (p *parser) statement() error {
	line := p.line
	start := p.pos
	for p.pos < len(p.data) && !isSpace(p.data[p.pos]) {
		p.pos++
	}
	cmd := string(p.data[start:p.pos])
	if strings.IndexByte(cmd, 0) >= 0 {
		return p.errorf(line, "NUL byte")
	}
	args, err := p.args()
	if err != nil {
		return err
	}
	// extra reports arguments after the first n, which libuci's strict mode
	// rejects; empty words count as absent, as in libuci.
	extra := func(n int) error {
		for _, a := range args[min(n, len(args)):] {
			if a != "" {
				return p.errorf(line, "too many arguments to %s", cmd)
			}
		}
		return nil
	}
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	switch cmd {
	case "package", "p":
		if arg(0) == "" {
			return p.errorf(line, "package without name")
		}
		if !validPackage(arg(0)) {
			return p.errorf(line, "invalid package name %q", arg(0))
		}
		return extra(1)
	case "config", "c":
		typ, name := arg(0), arg(1)
		if typ == "" {
			return p.errorf(line, "config without type")
		}
		if !validType(typ) {
			return p.errorf(line, "invalid section type %q", typ)
		}
		if name != "" && !validName(name) {
			return p.errorf(line, "invalid section name %q", name)
		}
		if err := extra(2); err != nil {
			return err
		}
		s := &Section{Type: typ, Name: name, Index: p.count[typ], Line: line}
		p.count[typ]++
		p.sections = append(p.sections, s)
		p.cur = s
		return nil
	case "option", "o", "list", "l":
		list := cmd[0] == 'l'
		if p.cur == nil {
			return p.errorf(line, "%s before the first config", cmd)
		}
		name := arg(0)
		if name == "" {
			return p.errorf(line, "%s without name", cmd)
		}
		if !validName(name) {
			return p.errorf(line, "invalid option name %q", name)
		}
		if err := extra(2); err != nil {
			return err
		}
		p.cur.Options = append(p.cur.Options, Option{Name: name, Value: arg(1), List: list, Line: line})
		return nil
	}
	return p.errorf(line, "invalid command %q", cmd)
}

// args reads the words of a statement up to its end: a newline, a ';', a
// comment or the end of the data.
func (p *parser) args() ([]string, error) {
	var args []string
	for {
		for p.pos < len(p.data) && isSpace(p.data[p.pos]) && p.data[p.pos] != '\n' {
			p.pos++
		}
		if p.pos >= len(p.data) {
			return args, nil
		}
		switch p.data[p.pos] {
		case '\n':
			return args, nil
		case ';':
			p.pos++
			return args, nil
		case '#':
			p.skipComment()
			return args, nil
		}
		w, err := p.readWord()
		if err != nil {
			return nil, err
		}
		args = append(args, w)
	}
}

// readWord reads one word: unquoted, quoted and escaped parts up to a space, a
// ';', a '#' outside quotes, or the end of the data. It stops before the
// character that ended it.
func (p *parser) readWord() (string, error) {
	p.word = p.word[:0]
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == 0:
			return "", p.errorf(p.line, "NUL byte")
		case isSpace(c), c == ';', c == '#':
			return string(p.word), nil
		case c == '\'':
			if err := p.singleQuoted(); err != nil {
				return "", err
			}
		case c == '"':
			if err := p.doubleQuoted(); err != nil {
				return "", err
			}
		case c == '\\':
			p.pos++
			if p.pos >= len(p.data) {
				break // a backslash at the end of the data is dropped
			}
			if p.data[p.pos] == '\n' { // line continuation
				p.pos++
				p.line++
				continue
			}
			if p.data[p.pos] == 0 {
				return "", p.errorf(p.line, "NUL byte")
			}
			p.word = append(p.word, p.data[p.pos])
			p.pos++
		default:
			p.word = append(p.word, c)
			p.pos++
		}
	}
	return string(p.word), nil
}

// singleQuoted reads a single-quoted part, taking every byte literally up to
// the closing quote.
func (p *parser) singleQuoted() error {
	line := p.line
	p.pos++ // opening quote
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		p.pos++
		switch c {
		case '\'':
			return nil
		case 0:
			return p.errorf(p.line, "NUL byte")
		case '\n':
			p.line++
		}
		p.word = append(p.word, c)
	}
	return p.errorf(line, "unterminated single quote")
}

// doubleQuoted reads a double-quoted part: a backslash takes the next byte
// literally, and a backslash before a newline joins the lines.
func (p *parser) doubleQuoted() error {
	line := p.line
	p.pos++ // opening quote
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		p.pos++
		switch c {
		case '"':
			return nil
		case 0:
			return p.errorf(p.line, "NUL byte")
		case '\n':
			p.line++
		case '\\':
			if p.pos >= len(p.data) {
				return p.errorf(line, "unterminated double quote")
			}
			c = p.data[p.pos]
			p.pos++
			if c == '\n' {
				p.line++
				continue
			}
			if c == 0 {
				return p.errorf(p.line, "NUL byte")
			}
		}
		p.word = append(p.word, c)
	}
	return p.errorf(line, "unterminated double quote")
}
