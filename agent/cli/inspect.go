//go:build !si_omit_inspect

package cli

import (
	"fmt"
	"io"

	"github.com/safeinternet/cpe/agent/inspect"
)

// inspectUsage is the inspect subcommand's entry in the usage text.
const inspectUsage = `  safeinternet inspect --pcap FILE
        print the names found in a capture (pcap or pcapng, gzipped too) as JSON lines
`

// inspectCmd runs `safeinternet inspect`: the names the agent would judge
// in a capture, one JSON line each (package inspect).
func inspectCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("inspect", stderr)
	pcap := fs.String("pcap", "", "capture file (pcap or pcapng, optionally gzipped)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *pcap == "" || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "safeinternet inspect: --pcap FILE is required")
		return errUsage
	}
	r, err := inspect.OpenFile(*pcap)
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = inspect.Run(stdout, r, inspect.Options{})
	return err
}
