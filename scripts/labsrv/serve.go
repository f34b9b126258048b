package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"time"
)

// maxDownload caps /bytes so a typo cannot stream forever.
const maxDownload = 4 << 30

// newHandler returns the HTTP handler shared by the plain and TLS servers.
func newHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/bytes", serveBytes)
	mux.HandleFunc("/", serveWhoami)
	return mux
}

// serveWhoami reports the Host header, the SNI and the protocol the server saw.
func serveWhoami(w http.ResponseWriter, r *http.Request) {
	sni := "-"
	if r.TLS != nil && r.TLS.ServerName != "" {
		sni = r.TLS.ServerName
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "host=%s sni=%s proto=%s remote=%s\n", r.Host, sni, r.Proto, r.RemoteAddr)
}

// serveBytes streams n bytes (query parameter) with a Content-Length.
func serveBytes(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
	if err != nil || n < 0 || n > maxDownload {
		http.Error(w, "n must be 0.."+strconv.Itoa(maxDownload), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	buf := make([]byte, 64<<10)
	for i := range buf {
		buf[i] = byte(i)
	}
	for n > 0 {
		chunk := buf
		if int64(len(chunk)) > n {
			chunk = chunk[:n]
		}
		m, err := w.Write(chunk)
		if err != nil {
			return
		}
		n -= int64(m)
	}
}

// serveEcho accepts connections on ln and echoes each one until the peer closes it.
// It returns when ln is closed.
func serveEcho(ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("labsrv: echo accept: %w", err)
		}
		go func() {
			defer c.Close()
			_, _ = io.Copy(c, c)
		}()
	}
}

// selfSigned returns a TLS config with a fresh self-signed ECDSA P-256 certificate valid for
// names (and the lab's upstream addresses) from now-1h to now+7 days.
func selfSigned(names []string, now time.Time) (*tls.Config, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("labsrv: generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, fmt.Errorf("labsrv: serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "Safe Internet lab"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(7 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     names,
		IPAddresses:  []net.IP{net.ParseIP("10.99.0.2"), net.ParseIP("fd99::2")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("labsrv: create certificate: %w", err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}}, nil
}
