package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMainExitCodes(t *testing.T) {
	dir := t.TempDir()
	valid := filepath.Join(dir, "valid")
	os.WriteFile(valid, []byte("config agent 'main'\n\tlist lan 'br-lan'\n\nconfig device\n\toption mac '02:00:00:00:00:0a'\n\tlist block 'games.test'\n"), 0o644)
	invalid := filepath.Join(dir, "invalid")
	os.WriteFile(invalid, []byte("config agent 'main'\n\toption fail_mode 'ajar'\n\nconfig device\n\toption mac 'zz'\n"), 0o644)

	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   []string // substrings
		stderr   []string
		noStdout bool
	}{
		{name: "no command", args: nil, code: 2, stderr: []string{"Usage:"}},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderr: []string{`unknown command "frobnicate"`}},
		{name: "version", args: []string{"version"}, code: 0, stdout: []string{"safeinternet 1.2.3"}},
		{name: "valid config", args: []string{"check-config", valid}, code: 0, stdout: []string{valid + ": ok"}},
		{name: "invalid config lists every error", args: []string{"check-config", invalid}, code: 1,
			stdout: []string{"2 errors", "safeinternet.main.fail_mode", "safeinternet.@device[0].mac"}},
		{name: "missing config file", args: []string{"check-config", filepath.Join(dir, "absent")}, code: 1},
		{name: "bad flag", args: []string{"run", "--no-such-flag"}, code: 2},
		{name: "bad log format", args: []string{"run", "--log-format", "xml"}, code: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if got := Main(tt.args, &out, &errb, "1.2.3"); got != tt.code {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", got, tt.code, out.String(), errb.String())
			}
			for _, s := range tt.stdout {
				if !strings.Contains(out.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, out.String())
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(errb.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, errb.String())
				}
			}
		})
	}
}
