// Package e2e proves the packet path end to end in the network-namespace lab (scripts/lab.sh):
// the agent runs in the router namespace and the tests send real traffic from the client
// namespaces.
//
// The tests need root, the kernel's netfilter queue and the lab's tools (ip, nft, dnsmasq, dig,
// curl, iperf3); they skip with a message otherwise, and when SAFEINTERNET_NO_KERNEL=1. Binaries
// are built from the tree unless SAFEINTERNET_BIN (agent) or LABSRV (upstream server) name them.
// On failure the agent's log is kept under scripts/e2e/artifacts/.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// lab is one running instance of scripts/lab.sh with its own namespace prefix.
type lab struct {
	root     string // repository root
	script   string // scripts/lab.sh
	prefix   string // LAB_PREFIX
	dir      string // LAB_DIR
	agentBin string
	labsrv   string
}

// requireLab skips the test when the lab cannot run here.
func requireLab(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("e2e: the lab needs Linux network namespaces")
	}
	if os.Getenv("SAFEINTERNET_NO_KERNEL") == "1" {
		t.Skip("e2e: SAFEINTERNET_NO_KERNEL=1: no kernel netfilter here")
	}
	if os.Geteuid() != 0 {
		t.Skip("e2e: needs root (network namespaces, nftables, NFQUEUE); run: sudo go test ./scripts/e2e")
	}
	var missing []string
	for _, tool := range []string{"ip", "nft", "dnsmasq", "dig", "curl", "iperf3", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		t.Skipf("e2e: missing tools: %s (apt-get install iproute2 nftables dnsmasq-base bind9-dnsutils curl iperf3)",
			strings.Join(missing, " "))
	}
}

// repoRoot walks up from the working directory to the directory holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		dir = filepath.Dir(dir)
	}
	t.Fatal("e2e: go.mod not found above the working directory")
	return ""
}

// buildBinary returns env's binary when set, else builds pkg (relative to root) into dir.
func buildBinary(t *testing.T, root, dir, env, pkg, name string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	if _, err := os.Stat(filepath.Join(root, pkg)); err != nil {
		t.Skipf("e2e: %s not in the tree yet (%v); set %s to a built binary", pkg, err, env)
	}
	// go test puts its own GOROOT/bin first in PATH, so this is the go
	// command running the test.
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("e2e: no go command to build ./%s: %v", pkg, err)
	}
	out := filepath.Join(dir, name)
	cmd := exec.Command(goBin, "build", "-o", out, "./"+pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("e2e: go build ./%s: %v\n%s", pkg, err, b)
	}
	return out
}

// startLab builds the binaries and brings up a lab with a prefix unique to this process;
// t.Cleanup tears it down.
func startLab(t *testing.T) *lab {
	t.Helper()
	requireLab(t)
	root := repoRoot(t)
	bin := t.TempDir()
	l := &lab{
		root:   root,
		script: filepath.Join(root, "scripts", "lab.sh"),
		prefix: fmt.Sprintf("e2e%d-", os.Getpid()%100000),
	}
	l.labsrv = buildBinary(t, root, bin, "LABSRV", "scripts/labsrv", "labsrv")
	l.agentBin = buildBinary(t, root, bin, "SAFEINTERNET_BIN", "agent/cmd/safeinternet", "safeinternet")
	l.dir = filepath.Join(os.TempDir(), l.prefix+"lab")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if out, err := l.script0(ctx, "down"); err != nil {
			t.Errorf("e2e: lab down: %v\n%s", err, out)
		}
	})
	if out, err := l.script0(ctx, "up"); err != nil {
		t.Fatalf("e2e: lab up: %v\n%s", err, out)
	}
	return l
}

// script0 runs lab.sh with this lab's environment.
func (l *lab) script0(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "bash", append([]string{l.script}, args...)...)
	cmd.Env = append(os.Environ(),
		"LAB_PREFIX="+l.prefix, "LAB_DIR="+l.dir, "LABSRV="+l.labsrv, "SAFEINTERNET_BIN="+l.agentBin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// ns returns the namespace name for a short name: a, b, router, up.
func (l *lab) ns(short string) string { return l.prefix + short }

// run executes a command in a lab namespace, bounded by timeout; it returns the combined
// output and the exit code (-1 when it did not start or was killed at the timeout).
func (l *lab) run(timeout time.Duration, short string, args ...string) (string, int) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", l.ns(short)}, args...)...)
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	err := cmd.Run()
	code := 0
	if err != nil {
		code = -1
		if ee, ok := err.(*exec.ExitError); ok && ctx.Err() == nil {
			code = ee.ExitCode()
		}
	}
	return buf.String(), code
}

// tablePresent reports whether the router namespace has the table inet safeinternet.
func (l *lab) tablePresent(t *testing.T) bool {
	t.Helper()
	_, code := l.run(10*time.Second, "router", "nft", "list", "table", "inet", "safeinternet")
	return code == 0
}

// deleteTable removes the agent's table if present (a kill -9 leaves it behind by design).
func (l *lab) deleteTable(t *testing.T) {
	t.Helper()
	if l.tablePresent(t) {
		if out, code := l.run(10*time.Second, "router", "nft", "delete", "table", "inet", "safeinternet"); code != 0 {
			t.Errorf("e2e: nft delete table: exit %d: %s", code, out)
		}
	}
}

// waitUntil polls cond every interval until it holds or limit passes; it reports whether it held.
// The limit bounds the loop; it is not a performance threshold.
func waitUntil(limit, interval time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(interval)
	}
}
