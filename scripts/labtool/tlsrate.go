package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// rateConfig is what one tlsrate run does: at most Conns connections, at most Parallel at a
// time, started within Duration; each one a TCP connection to Addr, a full TLS handshake for
// SNI and a close.
type rateConfig struct {
	Addr     string
	SNI      string
	Conns    int
	Parallel int
	Duration time.Duration
	// Timeout bounds one connection (dial and handshake).
	Timeout time.Duration
}

// Bounds of the tlsrate flags: every run ends, in count and in time.
const (
	maxRateConns    = 1_000_000
	maxRateParallel = 256
	maxRateDuration = 10 * time.Minute
	maxRateTimeout  = time.Minute
)

// parseRateFlags reads the tlsrate flags from args and checks them against the bounds above.
func parseRateFlags(args []string, stderr io.Writer) (rateConfig, error) {
	var c rateConfig
	fs := flag.NewFlagSet("tlsrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", "10.99.0.2:443", "server `host:port`")
	fs.StringVar(&c.SNI, "sni", "school.test", "TLS server name")
	fs.IntVar(&c.Conns, "conns", 100000, "at most this many connections")
	fs.IntVar(&c.Parallel, "parallel", 8, "connections at a time")
	fs.DurationVar(&c.Duration, "duration", 5*time.Second, "no connection starts after this")
	fs.DurationVar(&c.Timeout, "timeout", 5*time.Second, "dial and handshake limit of one connection")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() != 0 {
		return c, fmt.Errorf("tlsrate: unexpected arguments %q", fs.Args())
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return c, fmt.Errorf("tlsrate: -addr: %w", err)
	}
	if c.SNI == "" {
		return c, errors.New("tlsrate: -sni is empty")
	}
	if c.Conns < 1 || c.Conns > maxRateConns {
		return c, fmt.Errorf("tlsrate: -conns %d not in 1..%d", c.Conns, maxRateConns)
	}
	if c.Parallel < 1 || c.Parallel > maxRateParallel {
		return c, fmt.Errorf("tlsrate: -parallel %d not in 1..%d", c.Parallel, maxRateParallel)
	}
	if c.Duration <= 0 || c.Duration > maxRateDuration {
		return c, fmt.Errorf("tlsrate: -duration %v not in (0, %v]", c.Duration, maxRateDuration)
	}
	if c.Timeout <= 0 || c.Timeout > maxRateTimeout {
		return c, fmt.Errorf("tlsrate: -timeout %v not in (0, %v]", c.Timeout, maxRateTimeout)
	}
	return c, nil
}

// rateResult is the outcome of a tlsrate run, printed as one JSON line.
type rateResult struct {
	// Conns counts the connections whose handshake completed.
	Conns int `json:"conns"`
	// Failures counts the connections that failed to dial or to complete the handshake.
	Failures int `json:"failures"`
	// Seconds is the time from the first dial to the end of the last connection.
	Seconds float64 `json:"seconds"`
	// PerSecond is Conns / Seconds (0 when Seconds is 0).
	PerSecond float64 `json:"conns_per_second"`
	// HelloBytes is the smallest first write (the ClientHello record) of any connection; a
	// post-quantum hello is about 1.8 KB.
	HelloBytes int `json:"hello_bytes"`
	// FirstError is the first failure's text ("" when none failed).
	FirstError string `json:"first_error,omitempty"`
}

// tally gathers the outcomes of concurrent connections.
type tally struct {
	mu         sync.Mutex // mu guards the fields below
	ok, failed int
	minHello   int
	firstErr   error
}

// add records one connection: its first write's size (0: none) and its error (nil: success).
func (t *tally) add(hello int, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if hello > 0 && (t.minHello == 0 || hello < t.minHello) {
		t.minHello = hello
	}
	if err != nil {
		t.failed++
		if t.firstErr == nil {
			t.firstErr = err
		}
		return
	}
	t.ok++
}

// result renders the tally for a run that took elapsed.
func (t *tally) result(elapsed time.Duration) rateResult {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := rateResult{Conns: t.ok, Failures: t.failed, Seconds: elapsed.Seconds(), HelloBytes: t.minHello}
	if r.Seconds > 0 {
		r.PerSecond = float64(r.Conns) / r.Seconds
	}
	if t.firstErr != nil {
		r.FirstError = t.firstErr.Error()
	}
	return r
}

// runTLSRate opens connections as c says and reports how they went. Each connection gets a
// full handshake: the client config has no session cache, so nothing is resumed, and Go's
// default ClientHello (X25519MLKEM768 key share, several TCP segments) is sent. Certificates
// are not checked. It returns when no connection is left running; ctx cancels early.
func runTLSRate(ctx context.Context, c rateConfig) rateResult {
	cfg := &tls.Config{ServerName: c.SNI, InsecureSkipVerify: true}
	dialer := &net.Dialer{}
	var (
		started atomic.Int64
		t       tally
		wg      sync.WaitGroup
	)
	start := time.Now()
	stop := start.Add(c.Duration)
	for range c.Parallel {
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(stop) && started.Add(1) <= int64(c.Conns) {
				t.add(handshake(ctx, dialer, cfg, c.Addr, c.Timeout))
			}
		})
	}
	wg.Wait()
	return t.result(time.Since(start))
}

// handshake dials addr, completes a TLS handshake within timeout and closes the connection.
// It returns the size of the first write (the ClientHello record) and the failure, if any.
func handshake(ctx context.Context, dialer *net.Dialer, cfg *tls.Config, addr string, timeout time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	raw, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, fmt.Errorf("tlsrate: dial: %w", err)
	}
	counted := &firstWriteConn{Conn: raw}
	conn := tls.Client(counted, cfg)
	defer conn.Close()
	if err := conn.HandshakeContext(ctx); err != nil {
		return counted.first, fmt.Errorf("tlsrate: handshake: %w", err)
	}
	return counted.first, nil
}

// firstWriteConn records the size of the first write on the connection. It is used by one
// goroutine at a time.
type firstWriteConn struct {
	net.Conn
	first int
}

func (c *firstWriteConn) Write(b []byte) (int, error) {
	if c.first == 0 {
		c.first = len(b)
	}
	return c.Conn.Write(b)
}

// printTLSRate runs tlsrate with the flags in args and prints its result as one JSON line.
// It fails when no connection completed.
func printTLSRate(ctx context.Context, w, stderr io.Writer, args []string) error {
	c, err := parseRateFlags(args, stderr)
	if err != nil {
		return err
	}
	r := runTLSRate(ctx, c)
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("tlsrate: %w", err)
	}
	if _, err := fmt.Fprintln(w, string(b)); err != nil {
		return err
	}
	if r.Conns == 0 {
		return fmt.Errorf("tlsrate: no connection completed (%d failed: %s)", r.Failures, r.FirstError)
	}
	return nil
}
