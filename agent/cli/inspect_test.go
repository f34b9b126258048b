//go:build !si_omit_inspect

package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeinternet/cpe/nfq/packet/pcaptest"
)

// TestInspectCommand: a developer build has the inspect subcommand, in its
// usage and at work.
func TestInspectCommand(t *testing.T) {
	notCapture := filepath.Join(t.TempDir(), "not-a-capture")
	os.WriteFile(notCapture, []byte("config agent 'main'\n"), 0o644)
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string // substring
	}{
		{"usage lists it", nil, 2, "safeinternet inspect --pcap FILE"},
		{"inspect needs --pcap", []string{"inspect"}, 2, "--pcap FILE is required"},
		{"inspect of a non-capture", []string{"inspect", "--pcap", notCapture}, 1, "safeinternet:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if got := Main(tt.args, &out, &errb, "1.2.3"); got != tt.code {
				t.Errorf("exit code %d, want %d\nstderr: %s", got, tt.code, errb.String())
			}
			if !strings.Contains(errb.String(), tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, errb.String())
			}
		})
	}
}

// TestInspectPrintsJSONLines runs the subcommand over real captures and
// checks the line format; the names themselves are compared with the oracle
// in package inspect.
func TestInspectPrintsJSONLines(t *testing.T) {
	dir := pcaptest.DataDir(t) // ../shared/data/pcap; skips when absent
	path := filepath.Join(dir, "zeek", "dns-https.pcap")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s absent", path)
	}
	var out, errb bytes.Buffer
	if code := Main([]string{"inspect", "--pcap", path}, &out, &errb, "test"); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) == 0 || lines[0] == "" {
		t.Fatal("no names printed")
	}
	for _, l := range lines {
		var rec struct {
			Frame *int    `json:"frame"`
			Flow  string  `json:"flow"`
			Kind  string  `json:"kind"`
			Name  *string `json:"name"`
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if rec.Frame == nil || *rec.Frame < 1 || rec.Name == nil || !strings.Contains(rec.Flow, ">") ||
			(rec.Kind != "dns-query" && rec.Kind != "dns-response") {
			t.Errorf("bad line %q", l)
		}
		if *rec.Name != strings.ToLower(*rec.Name) {
			t.Errorf("name not lowercased: %q", l)
		}
	}
}
