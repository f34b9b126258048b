package uci

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/safeinternet/cpe/internal/atomicfile"
)

// Marshal returns the file text for sections, in the layout uci export uses:
//
//	config <type> '<name>'
//		option <name> '<value>'
//		list <name> '<value>'
//
// with a blank line between sections. Values are single-quoted; a quote
// inside a value closes the quoting, is written escaped and reopens it:
//
//	option name 'it'\''s'
//
// Section Index and Line fields are ignored. Comments of a file that was read
// are not kept.
//
// It fails when a section type, section name or option name is not valid UCI
// (see Section and Option) or a value holds a NUL byte. Parse on the result
// returns sections equal to the input, except that Index and Line are set and
// a CRLF inside a value reads back as LF.
func Marshal(sections []*Section) ([]byte, error) {
	var b bytes.Buffer
	for i, s := range sections {
		if !validType(s.Type) {
			return nil, fmt.Errorf("uci: marshal: section %d: invalid type %q", i, s.Type)
		}
		if s.Name != "" && !validName(s.Name) {
			return nil, fmt.Errorf("uci: marshal: section %d: invalid name %q", i, s.Name)
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("config ")
		if strings.ContainsAny(s.Type, `'"\#;`) {
			quote(&b, s.Type)
		} else {
			b.WriteString(s.Type)
		}
		if s.Name != "" {
			b.WriteByte(' ')
			quote(&b, s.Name)
		}
		b.WriteByte('\n')
		for _, o := range s.Options {
			if !validName(o.Name) {
				return nil, fmt.Errorf("uci: marshal: %s: invalid option name %q", s.Path(), o.Name)
			}
			if strings.IndexByte(o.Value, 0) >= 0 {
				return nil, fmt.Errorf("uci: marshal: %s.%s: value holds a NUL byte", s.Path(), o.Name)
			}
			if o.List {
				b.WriteString("\tlist ")
			} else {
				b.WriteString("\toption ")
			}
			b.WriteString(o.Name)
			b.WriteByte(' ')
			quote(&b, o.Value)
			b.WriteByte('\n')
		}
	}
	return b.Bytes(), nil
}

// quote writes s single-quoted, each quote inside written as shown in
// Marshal, as uci export does.
func quote(b *bytes.Buffer, s string) {
	b.WriteByte('\'')
	for {
		i := strings.IndexByte(s, '\'')
		if i < 0 {
			break
		}
		b.WriteString(s[:i])
		b.WriteString(`'\''`)
		s = s[i+1:]
	}
	b.WriteString(s)
	b.WriteByte('\'')
}

// WriteFile replaces the file at path with Marshal(sections) through
// atomicfile.WriteFile, so that a power cut leaves either the old file or the
// new one, never a mix. If path is a symbolic link, the file it points to is
// replaced and the link kept. The new file keeps the permission bits of the
// file it replaces, or gets 0600 when there was none. On failure path is
// unchanged and no temporary file is left behind. Errors read
// "uci: write <path>: ..." except Marshal's own.
func WriteFile(path string, sections []*Section) error {
	data, err := Marshal(sections)
	if err != nil {
		return err
	}
	target := path
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		target = resolved
	}
	mode := fs.FileMode(0o600)
	if st, err := os.Stat(target); err == nil {
		mode = st.Mode().Perm()
	}
	if err := atomicfile.WriteFile(target, data, mode); err != nil {
		return fmt.Errorf("uci: write %s: %w", path, err)
	}
	return nil
}
