package main

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseRateFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    rateConfig
		wantErr string
	}{
		{
			name: "defaults",
			want: rateConfig{Addr: "10.99.0.2:443", SNI: "school.test", Conns: 100000, Parallel: 8,
				Duration: 5 * time.Second, Timeout: 5 * time.Second},
		},
		{
			name: "all set",
			args: []string{"-addr", "[fd99::2]:8443", "-sni", "news.test", "-conns", "50",
				"-parallel", "2", "-duration", "1500ms", "-timeout", "2s"},
			want: rateConfig{Addr: "[fd99::2]:8443", SNI: "news.test", Conns: 50, Parallel: 2,
				Duration: 1500 * time.Millisecond, Timeout: 2 * time.Second},
		},
		{name: "no port", args: []string{"-addr", "10.99.0.2"}, wantErr: "-addr"},
		{name: "empty sni", args: []string{"-sni", ""}, wantErr: "-sni"},
		{name: "zero conns", args: []string{"-conns", "0"}, wantErr: "-conns"},
		{name: "too many conns", args: []string{"-conns", "1000001"}, wantErr: "-conns"},
		{name: "zero parallel", args: []string{"-parallel", "0"}, wantErr: "-parallel"},
		{name: "too parallel", args: []string{"-parallel", "257"}, wantErr: "-parallel"},
		{name: "zero duration", args: []string{"-duration", "0s"}, wantErr: "-duration"},
		{name: "endless duration", args: []string{"-duration", "11m"}, wantErr: "-duration"},
		{name: "negative timeout", args: []string{"-timeout", "-1s"}, wantErr: "-timeout"},
		{name: "stray argument", args: []string{"extra"}, wantErr: "unexpected"},
		{name: "unknown flag", args: []string{"-rate", "5"}, wantErr: "not defined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseRateFlags(tc.args, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one about %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// outcome is one connection's result as tally.add takes it.
type outcome struct {
	hello int
	err   error
}

func TestTallyResult(t *testing.T) {
	errReset := errors.New("connection reset")
	tests := []struct {
		name    string
		adds    []outcome
		elapsed time.Duration
		want    rateResult
	}{
		{name: "nothing", elapsed: time.Second, want: rateResult{Seconds: 1}},
		{
			name:    "successes",
			adds:    []outcome{{1830, nil}, {1815, nil}, {1830, nil}, {1830, nil}},
			elapsed: 2 * time.Second,
			want:    rateResult{Conns: 4, Seconds: 2, PerSecond: 2, HelloBytes: 1815},
		},
		{
			name: "failures keep the first error, dial failures write no hello",
			adds: []outcome{
				{0, errors.New("dial refused")}, {1830, errReset}, {1830, nil},
			},
			elapsed: 500 * time.Millisecond,
			want: rateResult{Conns: 1, Failures: 2, Seconds: 0.5, PerSecond: 2, HelloBytes: 1830,
				FirstError: "dial refused"},
		},
		{name: "no time", adds: []outcome{{1830, nil}}, want: rateResult{Conns: 1, HelloBytes: 1830}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ta tally
			for _, a := range tc.adds {
				ta.add(a.hello, a.err)
			}
			if got := ta.result(tc.elapsed); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// helloLog records what a TLS server saw of each handshake.
type helloLog struct {
	mu      sync.Mutex // mu guards the fields below
	names   []string
	pq      int // hellos offering X25519MLKEM768
	resumed int // handshakes that resumed a session
}

// tlsServer starts a loopback HTTPS server that logs every ClientHello and handshake.
func tlsServer(t *testing.T) (*httptest.Server, *helloLog) {
	t.Helper()
	log := &helloLog{}
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.TLS = &tls.Config{
		GetConfigForClient: func(chi *tls.ClientHelloInfo) (*tls.Config, error) {
			log.mu.Lock()
			defer log.mu.Unlock()
			log.names = append(log.names, chi.ServerName)
			if slices.Contains(chi.SupportedCurves, tls.X25519MLKEM768) {
				log.pq++
			}
			return nil, nil
		},
		VerifyConnection: func(cs tls.ConnectionState) error {
			log.mu.Lock()
			defer log.mu.Unlock()
			if cs.DidResume {
				log.resumed++
			}
			return nil
		},
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, log
}

func TestRunTLSRate(t *testing.T) {
	srv, log := tlsServer(t)
	addr := srv.Listener.Addr().String()
	const conns = 12
	r := runTLSRate(context.Background(), rateConfig{Addr: addr, SNI: "school.test", Conns: conns,
		Parallel: 3, Duration: time.Minute, Timeout: 10 * time.Second})
	if r.Conns != conns || r.Failures != 0 {
		t.Fatalf("result %+v, want %d connections and no failure", r, conns)
	}
	if r.PerSecond <= 0 || r.Seconds <= 0 {
		t.Errorf("result %+v: want a rate", r)
	}
	if r.HelloBytes < 1500 {
		t.Errorf("hello of %d bytes, want a post-quantum one", r.HelloBytes)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.names) != conns || log.pq != conns || log.resumed != 0 {
		t.Errorf("server saw %d hellos (%d post-quantum, %d resumed), want %d full post-quantum ones",
			len(log.names), log.pq, log.resumed, conns)
	}
	for _, n := range log.names {
		if n != "school.test" {
			t.Errorf("server saw SNI %q", n)
		}
	}
}

func TestRunTLSRateFailures(t *testing.T) {
	// A port that was just closed: every dial is refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	const conns = 5
	r := runTLSRate(context.Background(), rateConfig{Addr: addr, SNI: "school.test", Conns: conns,
		Parallel: 2, Duration: time.Minute, Timeout: 5 * time.Second})
	if r.Conns != 0 || r.Failures != conns || !strings.Contains(r.FirstError, "dial") {
		t.Errorf("result %+v, want %d dial failures", r, conns)
	}
	var out strings.Builder
	err = printTLSRate(context.Background(), &out, io.Discard,
		[]string{"-addr", addr, "-conns", "2", "-parallel", "1"})
	if err == nil || !strings.Contains(out.String(), `"failures":2`) {
		t.Errorf("printTLSRate: %v, printed %q; want an error and the failures", err, out.String())
	}
}

func TestRunTLSRateCancelled(t *testing.T) {
	srv, log := tlsServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := runTLSRate(ctx, rateConfig{Addr: srv.Listener.Addr().String(), SNI: "school.test",
		Conns: 100, Parallel: 4, Duration: time.Minute, Timeout: 5 * time.Second})
	if r.Conns != 0 || r.Failures != 0 {
		t.Errorf("result %+v, want no connection after cancel", r)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.names) != 0 {
		t.Errorf("server saw %d hellos", len(log.names))
	}
}

func TestPrintTLSRate(t *testing.T) {
	srv, _ := tlsServer(t)
	var out strings.Builder
	err := printTLSRate(context.Background(), &out, io.Discard,
		[]string{"-addr", srv.Listener.Addr().String(), "-conns", "3", "-parallel", "2"})
	if err != nil {
		t.Fatal(err)
	}
	line := out.String()
	if strings.Count(line, "\n") != 1 || !strings.Contains(line, `"conns":3,"failures":0,`) ||
		strings.Contains(line, "first_error") {
		t.Errorf("printed %q, want one JSON line with 3 connections", line)
	}
}
