// Package uci reads and writes OpenWrt UCI configuration files, such as
// /etc/config/safeinternet, in the syntax that libuci accepts:
//
//	# comment
//	config <type> ['<name>']
//		option <name> '<value>'
//		list <name> '<value>'
//
// Words may be unquoted, 'single quoted' (taken literally, newlines included)
// or "double quoted", and quoted and unquoted parts next to each other join
// into one word. Outside single quotes a backslash takes the next character
// literally, and a backslash at the end of a line joins the next line. Outside
// quotes, '#' starts a comment that runs to the end of the line and ';' ends a
// statement. The commands may be abbreviated to their first letter (c, o, l,
// p), and a "package" statement is accepted and ignored, as libuci does when it
// loads one file. CRLF line ends are read as LF. Extra arguments are an error,
// as in libuci's strict mode (the default of the uci command).
//
// The parser keeps statements as written: every option or list statement is one
// Option, in file order, with its line, and a named section that appears twice
// stays two sections. Merging them the way libuci does (a later "option"
// replaces an earlier one) is left to the caller, which usually wants to report
// such repeats instead. A file that Marshal writes parses back to the same
// sections (lines aside).
//
// The package has no state; every function is safe for concurrent use.
package uci

import (
	"errors"
	"fmt"
	"strconv"
)

// Section is one "config" statement and the option and list statements that
// follow it.
type Section struct {
	// Type is the section type: one or more printable ASCII characters.
	Type string
	// Name is the section name ([A-Za-z0-9_]+), or "" for an anonymous
	// section.
	Name string
	// Index is the position of the section among the sections of the same
	// Type in its file, from 0; it gives anonymous sections their @type[i]
	// path. Parse sets it; Marshal ignores it.
	Index int
	// Line is the line of the config statement (from 1); 0 for a section that
	// was not read from a file.
	Line int
	// Options holds the option and list statements in file order. A name may
	// appear more than once.
	Options []Option
}

// Path returns the section's path as uci commands and messages spell it: its
// name, or "@type[i]" for an anonymous section.
func (s *Section) Path() string {
	if s.Name != "" {
		return s.Name
	}
	return "@" + s.Type + "[" + strconv.Itoa(s.Index) + "]"
}

// Option is one option or list statement.
type Option struct {
	// Name is the option name ([A-Za-z0-9_]+).
	Name string
	// Value is the value as read, quotes and escapes removed; it may be empty
	// and may hold newlines (a quoted value can span lines).
	Value string
	// List is true for a "list" statement, false for an "option" statement.
	List bool
	// Line is the line on which the statement starts (from 1); 0 for an
	// option that was not read from a file.
	Line int
}

// ErrSyntax is wrapped by every *SyntaxError, for callers that only need to
// know that a file is malformed.
var ErrSyntax = errors.New("uci: syntax")

// ErrTooLarge reports a file larger than MaxSize.
var ErrTooLarge = errors.New("uci: file too large")

// MaxSize is the largest file ReadFile accepts, in bytes. A router has little
// memory, and a configuration file this large is a mistake.
const MaxSize = 8 << 20

// SyntaxError reports malformed input with the file and line it was found at.
type SyntaxError struct {
	File string // the name the file was read under
	Line int    // from 1
	Msg  string // what is wrong, lowercase
}

// Error returns "uci: file:line: msg".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("uci: %s:%d: %s", e.File, e.Line, e.Msg)
}

// Unwrap returns ErrSyntax.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// validName reports whether s is a valid section or option name: one or more
// ASCII letters, digits or underscores (libuci's uci_validate_name).
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// validType reports whether s is a valid section type: one or more printable
// ASCII characters other than space (libuci's uci_validate_type).
func validType(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 33 || s[i] > 126 {
			return false
		}
	}
	return true
}

// validPackage reports whether s is a valid package name: like a section
// name, but '-' is allowed too.
func validPackage(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
