package quic

import (
	"errors"
	"testing"
)

// TestErrorTexts: a sentinel names the package; an error of the package
// that wraps one names the package once, and still matches it.
func TestErrorTexts(t *testing.T) {
	for _, tc := range []struct {
		err, kind error
		text      string
	}{
		{ErrNotInitial, ErrNotInitial, "quic: not a quic v1/v2 initial packet"},
		{ErrDecrypt, ErrDecrypt, "quic: initial packet does not decrypt"},
		{ErrMalformed, ErrMalformed, "quic: malformed initial packet"},
		{ErrTooBig, ErrTooBig, "quic: crypto data beyond capacity"},
		{ErrConflict, ErrConflict, "quic: conflicting crypto data"},
		{errShortHeader, ErrNotInitial, "quic: parse header: not a quic v1/v2 initial packet: short header"},
		{errAEAD, ErrDecrypt, "quic: open: initial packet does not decrypt"},
		{errNoFrames, ErrMalformed, "quic: open: malformed initial packet: packet without frames"},
		{errEarlyRestart, ErrConflict, "quic: reader: conflicting crypto data: new connection attempt before the client hello was complete"},
	} {
		if got := tc.err.Error(); got != tc.text {
			t.Errorf("text %q, want %q", got, tc.text)
		}
		if !errors.Is(tc.err, tc.kind) {
			t.Errorf("%q does not match its sentinel %q", tc.err, tc.kind)
		}
	}
	var c Crypto
	c.add(0, []byte{1, 2, 3})
	err := c.add(1, []byte{9})
	if want := "quic: crypto frame: conflicting crypto data: at offset 1"; err == nil || err.Error() != want || !errors.Is(err, ErrConflict) {
		t.Errorf("conflicting overlap: %v, want %q matching ErrConflict", err, want)
	}
}
