package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// sighup asks the agent to reload its configuration.
const sighup = syscall.SIGHUP

// labZone is the router's time zone in the lab (system.zonename).
const labZone = "Asia/Baku"

// Lab devices.
const (
	macA = "02:00:00:00:00:0a"
	macB = "02:00:00:00:00:0b"
)

// household is the test household: device A is a child's (restricted profile) that may not
// reach games.test (and so its subdomains), device B an adult's without rules.
type household struct {
	FailMode string // closed | open
	DNSBlock string // nxdomain | null | page
}

// String renders the UCI configuration.
func (h household) String() string {
	return fmt.Sprintf(`config agent 'main'
	list lan 'br-lan'
	option queue '0'
	option fail_mode '%s'
	option dns_block '%s'
	option log_decisions '1'
	option resolver '192.168.50.1'

config profile 'child'
	option restricted '1'
	option youtube 'moderate'

config profile 'adult'
	option restricted '0'

config device 'a'
	option mac '%s'
	option name 'Device A'
	option profile 'child'
	list block 'games.test'

config device 'b'
	option mac '%s'
	option name 'Device B'
	option profile 'adult'
`, h.FailMode, h.DNSBlock, macA, macB)
}

// agent is one safeinternet process running in the lab's router namespace.
type agent struct {
	t        *testing.T
	lab      *lab
	cmd      *exec.Cmd
	config   string // config file path
	stateDir string
	persist  string // --persist-dir
	logPath  string
	logFile  *os.File

	done    chan struct{} // closed when the process has exited
	mu      sync.Mutex    // mu guards exitErr
	exitErr error
}

// startAgent writes conf and runs the agent with it until it reports ready (status file).
// t.Cleanup stops it (SIGTERM, then SIGKILL) and keeps its log on failure.
//
// The agent reads its time zone from a system configuration made for it (zonename
// labZone), finds its clock synced through an NTP marker written now, and keeps its
// usage counters in a folder of the test's.
func (l *lab) startAgent(t *testing.T, conf fmt.Stringer) *agent {
	t.Helper()
	return l.startAgentWith(t, conf, "")
}

// startAgentWith is startAgent keeping usage counters in persist ("": a new folder).
func (l *lab) startAgentWith(t *testing.T, conf fmt.Stringer, persist string) *agent {
	t.Helper()
	dir := t.TempDir()
	if persist == "" {
		persist = filepath.Join(dir, "persist")
	}
	a := &agent{
		t:        t,
		lab:      l,
		config:   filepath.Join(dir, "safeinternet"),
		stateDir: filepath.Join(dir, "state"),
		logPath:  filepath.Join(dir, "agent.log"),
		persist:  persist,
		done:     make(chan struct{}),
	}
	a.writeConfig(conf)
	sysroot := filepath.Join(dir, "sysroot")
	if err := os.MkdirAll(filepath.Join(sysroot, "etc", "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	system := "config system\n\toption hostname 'lab'\n\toption zonename '" + labZone + "'\n"
	if err := os.WriteFile(filepath.Join(sysroot, "etc", "config", "system"), []byte(system), 0o644); err != nil {
		t.Fatal(err)
	}
	// dnsmasq's leases: the page shows the DHCP host name of device C under its "new" MAC.
	if err := os.MkdirAll(filepath.Join(sysroot, "tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	leases := fmt.Sprintf("%d %s 192.168.50.12 Galaxy-Tab-A7 *\n", time.Now().Add(12*time.Hour).Unix(), macNew)
	if err := os.WriteFile(filepath.Join(sysroot, "tmp", "dhcp.leases"), []byte(leases), 0o644); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(dir, "ntp-synced")
	if err := os.WriteFile(marker, []byte(fmt.Sprint(time.Now().Unix())), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(a.logPath)
	if err != nil {
		t.Fatal(err)
	}
	a.logFile = f
	a.cmd = exec.Command("ip", "netns", "exec", l.ns("router"),
		l.agentBin, "run", "--config", a.config, "--state-dir", a.stateDir, "--persist-dir", a.persist,
		"--system-root", sysroot, "--ntp-marker", marker)
	a.cmd.Stdout = f
	a.cmd.Stderr = f
	if err := a.cmd.Start(); err != nil {
		t.Fatalf("e2e: start agent: %v", err)
	}
	go func() {
		err := a.cmd.Wait()
		a.mu.Lock()
		a.exitErr = err
		a.mu.Unlock()
		close(a.done)
	}()
	t.Cleanup(a.cleanup)

	ready := waitUntil(15*time.Second, 100*time.Millisecond, func() bool {
		if !a.alive() {
			return true
		}
		_, err := os.Stat(filepath.Join(a.stateDir, "status.json"))
		return err == nil
	})
	if !a.alive() {
		t.Fatalf("e2e: agent exited at start (%v); log:\n%s", a.exitError(), a.logTail(40))
	}
	if !ready {
		t.Fatalf("e2e: agent wrote no status file within 15 s; log:\n%s", a.logTail(40))
	}
	return a
}

func (a *agent) writeConfig(conf fmt.Stringer) {
	a.t.Helper()
	if err := os.WriteFile(a.config, []byte(conf.String()), 0o644); err != nil {
		a.t.Fatal(err)
	}
}

// alive reports whether the process is still running.
func (a *agent) alive() bool {
	select {
	case <-a.done:
		return false
	default:
		return true
	}
}

func (a *agent) exitError() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.exitErr
}

// wait waits at most limit for the process to exit and reports whether it did.
func (a *agent) wait(limit time.Duration) bool {
	select {
	case <-a.done:
		return true
	case <-time.After(limit):
		return false
	}
}

// stop sends SIGTERM and returns the exit error (nil: exit status 0). It fails the test when
// the agent is still running 10 s later.
func (a *agent) stop() error {
	a.t.Helper()
	if !a.alive() {
		return a.exitError()
	}
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	if !a.wait(10 * time.Second) {
		_ = a.cmd.Process.Kill()
		a.wait(5 * time.Second)
		a.t.Fatalf("e2e: agent still running 10 s after SIGTERM; log:\n%s", a.logTail(40))
	}
	return a.exitError()
}

// kill9 kills the agent with SIGKILL and waits for it to be gone.
func (a *agent) kill9() {
	a.t.Helper()
	_ = a.cmd.Process.Kill()
	if !a.wait(10 * time.Second) {
		a.t.Fatal("e2e: agent still running 10 s after SIGKILL")
	}
}

// reload rewrites the configuration and sends SIGHUP.
func (a *agent) reload(conf fmt.Stringer) {
	a.t.Helper()
	a.writeConfig(conf)
	if err := a.cmd.Process.Signal(sighup); err != nil {
		a.t.Fatalf("e2e: SIGHUP: %v", err)
	}
}

func (a *agent) cleanup() {
	if a.alive() {
		_ = a.cmd.Process.Signal(syscall.SIGTERM)
		if !a.wait(10 * time.Second) {
			_ = a.cmd.Process.Kill()
			a.wait(5 * time.Second)
		}
	}
	a.logFile.Close()
	if a.t.Failed() {
		a.keepLog()
	}
}

// keepLog copies the agent log to scripts/e2e/artifacts/<test name>.log.
func (a *agent) keepLog() {
	dir := filepath.Join(a.lab.root, "scripts", "e2e", "artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	name := strings.NewReplacer("/", "_", " ", "_").Replace(a.t.Name()) + ".log"
	if b, err := os.ReadFile(a.logPath); err == nil {
		_ = os.WriteFile(filepath.Join(dir, name), b, 0o644)
		a.t.Logf("agent log kept in %s", filepath.Join(dir, name))
	}
}

// logTail returns the last n lines of the agent's log.
func (a *agent) logTail(n int) string {
	b, _ := os.ReadFile(a.logPath)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// logRecords returns the agent's JSON log records whose msg is msg.
func (a *agent) logRecords(msg string) []map[string]any {
	b, _ := os.ReadFile(a.logPath)
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) != nil {
			continue
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// status is a parsed status file.
type status map[string]any

// readStatus reads the agent's status file.
func (a *agent) readStatus() status {
	a.t.Helper()
	b, err := os.ReadFile(filepath.Join(a.stateDir, "status.json"))
	if err != nil {
		a.t.Fatalf("e2e: status file: %v", err)
	}
	var s status
	if err := json.Unmarshal(b, &s); err != nil {
		a.t.Fatalf("e2e: status file: %v\n%s", err, b)
	}
	return s
}

// freshStatus waits for the status file to be rewritten (it is, about every second) so that
// counters include everything that happened before the call, and returns it.
func (a *agent) freshStatus() status {
	a.t.Helper()
	path := filepath.Join(a.stateDir, "status.json")
	before, _ := os.Stat(path)
	ok := waitUntil(5*time.Second, 50*time.Millisecond, func() bool {
		now, err := os.Stat(path)
		return err == nil && (before == nil || !os.SameFile(before, now) || now.ModTime() != before.ModTime())
	})
	if !ok {
		a.t.Fatalf("e2e: status file not rewritten within 5 s")
	}
	return a.readStatus()
}

// counter returns the first of names present in the status as a number.
func (s status) counter(t *testing.T, names ...string) float64 {
	t.Helper()
	for _, n := range names {
		if v, ok := s[n].(float64); ok {
			return v
		}
	}
	t.Fatalf("e2e: status has none of %v: %v", names, s)
	return 0
}
