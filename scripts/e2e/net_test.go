package e2e

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// inNetns runs fn on an OS thread switched into the network namespace ns. Sockets that fn
// creates belong to ns for their whole life and may be used from any goroutine afterwards.
// The thread is switched back before it is released; if that fails, the thread is discarded
// (the goroutine exits locked).
func inNetns(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			errc <- fmt.Errorf("netns: open own namespace: %w", err)
			return
		}
		defer orig.Close()
		target, err := os.Open("/var/run/netns/" + ns)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netns: open %s: %w", ns, err)
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netns: enter %s: %w", ns, err)
			return
		}
		ferr := fn()
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err == nil {
			runtime.UnlockOSThread()
		}
		errc <- ferr
	}()
	return <-errc
}

// dialIn opens a connection from namespace ns.
func dialIn(t *testing.T, ns, network, addr string) net.Conn {
	t.Helper()
	var c net.Conn
	err := inNetns(ns, func() error {
		var err error
		c, err = net.DialTimeout(network, addr, 5*time.Second)
		return err
	})
	if err != nil {
		t.Fatalf("e2e: dial %s %s from %s: %v", network, addr, ns, err)
	}
	return c
}

// digResult is what dig printed for one query.
type digResult struct {
	Exit      int      // dig's exit code: 0 answered, 9 no reply (timeout)
	Status    string   // NOERROR, NXDOMAIN, ... ("" without an answer)
	Answers   []string // rdata of the answer section, e.g. "10.99.0.2"
	Server    string   // the address the answer came from, e.g. "10.99.0.2"
	QueryTime int      // dig's "Query time" in ms (-1 when absent)
	Out       string
}

// TimedOut reports whether dig got no answer at all.
func (r digResult) TimedOut() bool {
	return r.Status == "" && (r.Exit == 9 || strings.Contains(r.Out, "timed out"))
}

func (r digResult) String() string {
	return fmt.Sprintf("exit=%d status=%q answers=%v server=%q time=%dms", r.Exit, r.Status, r.Answers, r.Server, r.QueryTime)
}

var (
	reStatus    = regexp.MustCompile(`status: ([A-Z]+)`)
	reServer    = regexp.MustCompile(`(?m)^;; SERVER: ([^#]+)#`)
	reQueryTime = regexp.MustCompile(`(?m)^;; Query time: (\d+) msec`)
)

// dig runs dig in namespace ns against server for name/qtype with one try and the given
// timeout in seconds; extra are more dig options such as +tcp.
func (l *lab) dig(t *testing.T, ns, server, name, qtype string, timeoutSec int, extra ...string) digResult {
	t.Helper()
	args := []string{"dig", "+tries=1", fmt.Sprintf("+timeout=%d", timeoutSec), "@" + server, name, qtype}
	args = append(args, extra...)
	out, code := l.run(time.Duration(timeoutSec+10)*time.Second, ns, args...)
	r := digResult{Exit: code, QueryTime: -1, Out: out}
	if m := reStatus.FindStringSubmatch(out); m != nil {
		r.Status = m[1]
	}
	if m := reServer.FindStringSubmatch(out); m != nil {
		r.Server = m[1]
	}
	if m := reQueryTime.FindStringSubmatch(out); m != nil {
		r.QueryTime, _ = strconv.Atoi(m[1])
	}
	inAnswer := false
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, ";; ANSWER SECTION:"):
			inAnswer = true
		case inAnswer && (line == "" || strings.HasPrefix(line, ";;")):
			inAnswer = false
		case inAnswer:
			if f := strings.Fields(line); len(f) >= 5 {
				r.Answers = append(r.Answers, f[4])
			}
		}
	}
	return r
}

// curl runs curl in namespace ns with a bound and returns its -w output and exit code.
func (l *lab) curl(ns string, maxTime int, args ...string) (string, int) {
	a := append([]string{"curl", "-sS", "-o", "/dev/null", "--max-time", strconv.Itoa(maxTime),
		"-w", "%{http_code} %{size_download}"}, args...)
	return l.run(time.Duration(maxTime+10)*time.Second, ns, a...)
}
