package ui

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// loopbacks are the loopback addresses this machine can listen on, port 0.
func loopbacks(t *testing.T) []netip.AddrPort {
	t.Helper()
	var out []netip.AddrPort
	for _, a := range []string{"127.0.0.1:0", "[::1]:0"} {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			t.Logf("no %s here: %v", a, err)
			continue
		}
		ln.Close()
		out = append(out, netip.MustParseAddrPort(a))
	}
	if len(out) == 0 {
		t.Skip("no loopback address to listen on")
	}
	return out
}

// takenPort returns a loopback address another listener holds.
func takenPort(t *testing.T) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skip("cannot listen on 127.0.0.1:", err)
	}
	t.Cleanup(func() { ln.Close() })
	return netip.MustParseAddrPort(ln.Addr().String())
}

// serveTest starts a server on addrs, logging into the returned buffer;
// the server stops when the test ends or cancel is called.
func serveTest(t *testing.T, addrs []netip.AddrPort) ([]netip.AddrPort, context.CancelFunc, *syncBuffer, error) {
	t.Helper()
	logs := &syncBuffer{}
	s, _ := newTestServer(t, func(o *Options) { o.Log = slog.New(slog.NewTextHandler(logs, nil)) })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	served, err := s.Serve(ctx, addrs)
	return served, cancel, logs, err
}

func TestServe(t *testing.T) {
	want := loopbacks(t)
	taken := takenPort(t)
	addrs := append([]netip.AddrPort{taken}, want...)
	addrs = append(addrs, netip.AddrPort{})
	served, _, logs, err := serveTest(t, addrs)
	if err != nil {
		t.Fatal(err)
	}
	if len(served) != len(want) {
		t.Fatalf("serves on %v, want one address for each of %v", served, want)
	}
	for i, ap := range served {
		if ap.Addr() != want[i].Addr() || ap.Port() == 0 {
			t.Errorf("served[%d] = %v, want %v with the port chosen", i, ap, want[i].Addr())
		}
		res, err := http.Get("http://" + ap.String() + "/api/v1/setup")
		if err != nil {
			t.Fatalf("%v: %v", ap, err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%v: %d %v, want the page's answer", ap, res.StatusCode, res.Header)
		}
	}
	out := logs.String()
	if !strings.Contains(out, "web page: listen") || !strings.Contains(out, taken.String()) ||
		!strings.Contains(out, "invalid address") {
		t.Errorf("the failed addresses are not logged:\n%s", out)
	}
	if !strings.Contains(out, "url=http://"+served[0].String()+"/") {
		t.Errorf("the served address is not logged:\n%s", out)
	}
}

// TestServeNone: no address could be listened on, or none was given, or
// the context had ended: an error, and nothing left running.
func TestServeNone(t *testing.T) {
	taken := takenPort(t)
	for _, tc := range []struct {
		name  string
		addrs []netip.AddrPort
		ended bool
		is    error
	}{
		{"port taken", []netip.AddrPort{taken}, false, syscall.EADDRINUSE},
		{"no addresses", nil, false, nil},
		{"context ended", []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:0")}, true, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestServer(t, nil)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.ended {
				cancel()
			}
			served, err := s.Serve(ctx, tc.addrs)
			if err == nil || served != nil {
				t.Fatalf("got %v, %v; want an error", served, err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("%v is not %v", err, tc.is)
			}
		})
	}
}

// TestServeStops: when the context ends the listener closes and an idle
// keep-alive connection is closed too.
func TestServeStops(t *testing.T) {
	served, cancel, _, err := serveTest(t, loopbacks(t)[:1])
	if err != nil {
		t.Fatal(err)
	}
	addr := served[0].String()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	conn.Write([]byte("GET /api/v1/setup HTTP/1.1\r\nHost: " + addr + "\r\n\r\n"))
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()

	cancel()
	conn.SetReadDeadline(time.Now().Add(shutdownGrace + 3*time.Second))
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("idle connection after the context ended: %v, want it closed", err)
	}
	deadline := time.Now().Add(shutdownGrace + 3*time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("%s still accepts connections after the context ended", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServeLimits: the server's limits hold (a header over 16 KiB).
func TestServeLimits(t *testing.T) {
	served, _, _, err := serveTest(t, loopbacks(t)[:1])
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "http://"+served[0].String()+"/", nil)
	req.Header.Set("X-Big", strings.Repeat("a", maxHeaderBytes+4096))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("a %d-byte header: %d, want 431", maxHeaderBytes+4096, res.StatusCode)
	}
}
