// Command labsrv is the lab's upstream web server: it answers every request with the Host header
// and TLS SNI it saw, serves downloads of a requested size, and echoes lines on a plain TCP port.
//
// It runs in the lab's upstream namespace (scripts/lab.sh). HTTPS uses a self-signed ECDSA
// certificate generated at start for the names given with -names, so clients use curl -k.
//
// Endpoints (HTTP and HTTPS alike):
//
//	/            "host=<Host> sni=<SNI> proto=<HTTP/1.1|HTTP/2.0> remote=<addr>\n"
//	/bytes?n=N   N bytes of body (at most 4 GiB), Content-Length set
//
// The echo port copies every byte it receives back to the sender until the peer closes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	httpAddr := flag.String("http", ":80", "plain HTTP listen address (empty: off)")
	httpsAddr := flag.String("https", ":443", "HTTPS listen address (empty: off)")
	echoAddr := flag.String("echo", ":7", "TCP echo listen address (empty: off)")
	names := flag.String("names", "localhost", "comma-separated DNS names for the certificate")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := run(ctx, logger, *httpAddr, *httpsAddr, *echoAddr, strings.Split(*names, ",")); err != nil {
		logger.Error("labsrv stopped", "err", err)
		os.Exit(1)
	}
}

// run serves until ctx is done or a listener fails.
func run(ctx context.Context, logger *slog.Logger, httpAddr, httpsAddr, echoAddr string, names []string) error {
	errc := make(chan error, 3)
	var servers []*http.Server
	if httpAddr != "" {
		srv := &http.Server{Addr: httpAddr, Handler: newHandler(), ReadHeaderTimeout: 10 * time.Second}
		servers = append(servers, srv)
		go func() { errc <- srv.ListenAndServe() }()
	}
	if httpsAddr != "" {
		cfg, err := selfSigned(names, time.Now())
		if err != nil {
			return err
		}
		srv := &http.Server{Addr: httpsAddr, Handler: newHandler(), TLSConfig: cfg, ReadHeaderTimeout: 10 * time.Second}
		servers = append(servers, srv)
		go func() { errc <- srv.ListenAndServeTLS("", "") }()
	}
	if echoAddr != "" {
		ln, err := net.Listen("tcp", echoAddr)
		if err != nil {
			return fmt.Errorf("labsrv: echo listen: %w", err)
		}
		defer ln.Close()
		go func() { errc <- serveEcho(ln) }()
	}
	logger.Info("labsrv serving", "http", httpAddr, "https", httpsAddr, "echo", echoAddr, "names", names)

	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, srv := range servers {
		_ = srv.Shutdown(shutdownCtx)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
