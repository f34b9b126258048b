// Package sentinel lets a package name itself once in its error texts.
//
// The module's sentinel errors carry their package's name ("quic: malformed
// initial packet"), so that one printed alone says where it comes from. A
// package's longer errors name the package at their start and wrap a
// sentinel with %w ("quic: open: malformed initial packet: packet without
// frames"); there the sentinel's own prefix would repeat the name.
// Unprefixed gives the sentinel as it reads inside such an error.
//
// The package has no state; Unprefixed and its results are safe for
// concurrent use.
package sentinel

import "strings"

// Unprefixed returns an error whose text is err's without the package prefix
// (everything up to the first ": ") and which unwraps to err, so that
// errors.Is(e, err) holds for every e that wraps it. err's text must start
// with its package's prefix. Build the result once, into a package-level
// variable (it is allocated), and use it with %w only inside errors of
// err's own package, whose text names the package already.
func Unprefixed(err error) error { return unprefixed{err} }

type unprefixed struct{ err error }

func (u unprefixed) Error() string {
	s := u.err.Error()
	if _, rest, ok := strings.Cut(s, ": "); ok {
		return rest
	}
	return s
}

func (u unprefixed) Unwrap() error { return u.err }
