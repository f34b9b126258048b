//go:build si_omit_inspect

package cli

import (
	"fmt"
	"io"
)

// inspectUsage is empty: this build has no inspect subcommand.
const inspectUsage = ""

// inspectCmd says that this build (a router build, tag si_omit_inspect)
// has no inspect subcommand: a developer build has it.
func inspectCmd(_ []string, _, stderr io.Writer) error {
	fmt.Fprintln(stderr, "safeinternet inspect: not in this build (a router build, made with the tag si_omit_inspect); use a developer build (make build)")
	return errUsage
}
