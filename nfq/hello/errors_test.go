package hello

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
		{ErrNeedMore, ErrNeedMore, "hello: need more bytes"},
		{ErrNotTLS, ErrNotTLS, "hello: not a TLS handshake record"},
		{ErrMalformed, ErrMalformed, "hello: malformed"},
		{ErrTooBig, ErrTooBig, "hello: handshake message longer than MaxHello"},
		{errEmptyRecord, ErrMalformed, "hello: handshake: zero-length record: malformed"},
		{errExtensions, ErrMalformed, "hello: parse: bad extensions block: malformed"},
	} {
		if got := tc.err.Error(); got != tc.text {
			t.Errorf("text %q, want %q", got, tc.text)
		}
		if !errors.Is(tc.err, tc.kind) {
			t.Errorf("%q does not match its sentinel %q", tc.err, tc.kind)
		}
	}
}
