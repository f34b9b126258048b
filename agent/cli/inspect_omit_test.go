//go:build si_omit_inspect

package cli

import (
	"bytes"
	"strings"
	"testing"
)

// TestInspectNotInBuild: a router build (tag si_omit_inspect) says that it
// has no inspect subcommand, and its usage does not offer one.
func TestInspectNotInBuild(t *testing.T) {
	var out, errb bytes.Buffer
	if got := Main([]string{"inspect", "--pcap", "x.pcap"}, &out, &errb, "1.2.3"); got != 2 {
		t.Errorf("exit code %d, want 2", got)
	}
	if !strings.Contains(errb.String(), "not in this build") {
		t.Errorf("stderr %q", errb.String())
	}
	errb.Reset()
	Main(nil, &out, &errb, "1.2.3")
	if strings.Contains(errb.String(), "inspect") {
		t.Errorf("usage offers inspect:\n%s", errb.String())
	}
}
