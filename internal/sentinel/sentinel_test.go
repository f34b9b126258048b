package sentinel

import (
	"errors"
	"fmt"
	"testing"
)

func TestUnprefixed(t *testing.T) {
	errMalformed := errors.New("pkg: malformed input")
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"alone", Unprefixed(errMalformed), "malformed input"},
		{"wrapped by its package", fmt.Errorf("pkg: parse: %w: bad length", Unprefixed(errMalformed)), "pkg: parse: malformed input: bad length"},
		{"wrapped twice", fmt.Errorf("caller: %w", fmt.Errorf("pkg: parse: %w", Unprefixed(errMalformed))), "caller: pkg: parse: malformed input"},
		{"no prefix to take", Unprefixed(errors.New("bare")), "bare"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("text %q, want %q", got, tc.want)
			}
		})
	}
	if err := fmt.Errorf("pkg: parse: %w", Unprefixed(errMalformed)); !errors.Is(err, errMalformed) {
		t.Errorf("%v does not match the sentinel", err)
	}
	if errors.Is(Unprefixed(errMalformed), errors.New("pkg: malformed input")) {
		t.Error("matches another error with the same text")
	}
}
