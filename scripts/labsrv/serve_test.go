package main

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHandler(t *testing.T) {
	tests := []struct {
		name     string
		target   string
		wantCode int
		wantBody string
		wantLen  int
	}{
		{name: "whoami", target: "http://games.test/", wantCode: 200, wantBody: "host=games.test sni=- proto=HTTP/1.1 remote="},
		{name: "bytes", target: "http://video.test/bytes?n=100000", wantCode: 200, wantLen: 100000},
		{name: "bytes zero", target: "http://video.test/bytes?n=0", wantCode: 200, wantLen: 0},
		{name: "bytes negative", target: "http://video.test/bytes?n=-1", wantCode: 400},
		{name: "bytes too many", target: "http://video.test/bytes?n=99999999999", wantCode: 400},
		{name: "bytes not a number", target: "http://video.test/bytes?n=x", wantCode: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			newHandler().ServeHTTP(rec, httptest.NewRequest("GET", tc.target, nil))
			if rec.Code != tc.wantCode {
				t.Fatalf("code = %d, want %d", rec.Code, tc.wantCode)
			}
			if tc.wantCode != 200 {
				return
			}
			if tc.wantBody != "" && !strings.HasPrefix(rec.Body.String(), tc.wantBody) {
				t.Errorf("body = %q, want prefix %q", rec.Body.String(), tc.wantBody)
			}
			if tc.wantBody == "" && rec.Body.Len() != tc.wantLen {
				t.Errorf("body length = %d, want %d", rec.Body.Len(), tc.wantLen)
			}
		})
	}
}

func TestTLSReportsSNI(t *testing.T) {
	cfg, err := selfSigned([]string{"games.test", "video.test"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(newHandler())
	srv.TLS = cfg
	srv.StartTLS()
	defer srv.Close()

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		ServerName:         "video.test",
		InsecureSkipVerify: true, // the lab certificate is self-signed
	}}}
	resp, err := client.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "sni=video.test") {
		t.Errorf("body = %q, want sni=video.test", body)
	}
	leaf := resp.TLS.PeerCertificates[0]
	if err := leaf.VerifyHostname("games.test"); err != nil {
		t.Errorf("certificate does not cover games.test: %v", err)
	}
}

func TestEcho(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serveEcho(ln) }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	for _, line := range []string{"one\n", "two\n"} {
		if _, err := io.WriteString(c, line); err != nil {
			t.Fatal(err)
		}
		got, err := r.ReadString('\n')
		if err != nil || got != line {
			t.Fatalf("echo = %q, %v; want %q", got, err, line)
		}
	}
	ln.Close()
	if err := <-done; err != nil {
		t.Errorf("serveEcho after close = %v, want nil", err)
	}
}
