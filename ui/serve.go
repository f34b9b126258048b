package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"
)

// The page's HTTP server limits: a slow or oversized client cannot hold
// a connection or the router's memory for long.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 16 << 10
	// shutdownGrace is how long requests in flight may finish after the
	// context ends before their connections are closed.
	shutdownGrace = 2 * time.Second
)

// Serve listens on every address of addrs it can and serves the page there
// until ctx ends. It does not block: it returns once listening, with the
// addresses it serves on, in the order of addrs (a port 0 replaced by the
// one the kernel chose; an IPv4-mapped address unmapped; a zone, as on a
// link-local address, kept). An address that cannot be listened on (not
// configured, port taken, invalid) is logged through Options.Log and
// skipped. When none can be, or ctx has already ended, Serve returns an
// error and leaves nothing running.
//
// Serve starts one goroutine per listener and one that waits for ctx.
// When ctx ends, the listeners close at once, idle connections close, and
// requests in flight get shutdownGrace (2 s) to finish; then their
// connections are closed too and the goroutines return. Handlers still
// running at that point are not waited for. Errors of an accept loop are
// logged. Each call serves its own listeners, with the limits above
// (header 10 s, request 30 s, response 30 s, idle 2 min, headers 16 KiB).
//
// Serve listens where it is told: keeping the page off the WAN is the
// caller's choice of addrs (Options.LAN is the second fence).
func (s *Server) Serve(ctx context.Context, addrs []netip.AddrPort) ([]netip.AddrPort, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ui: serve: %w", err)
	}
	var (
		lns    []net.Listener
		served []netip.AddrPort
		errs   []error
		lc     net.ListenConfig
	)
	for _, ap := range addrs {
		ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		if !ap.IsValid() {
			err := fmt.Errorf("listen on %v: invalid address", ap)
			s.log.Warn("web page: listen", "addr", ap.String(), "err", err)
			errs = append(errs, err)
			continue
		}
		ln, err := lc.Listen(ctx, "tcp", ap.String())
		if err != nil {
			s.log.Warn("web page: listen", "addr", ap.String(), "err", err)
			errs = append(errs, err)
			continue
		}
		if tcp, ok := ln.Addr().(*net.TCPAddr); ok {
			ap = netip.AddrPortFrom(ap.Addr(), uint16(tcp.Port))
		}
		s.log.Info("web page", "url", "http://"+ap.String()+"/")
		lns = append(lns, ln)
		served = append(served, ap)
	}
	if len(lns) == 0 {
		if len(errs) == 0 {
			return nil, errors.New("ui: serve: no address given")
		}
		return nil, fmt.Errorf("ui: serve: no address could be listened on: %w", errors.Join(errs...))
	}
	hs := &http.Server{Handler: s, ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout,
		WriteTimeout: writeTimeout, IdleTimeout: idleTimeout, MaxHeaderBytes: maxHeaderBytes,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	for _, ln := range lns {
		go func() {
			if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("web page: serve", "addr", ln.Addr().String(), "err", err)
			}
		}()
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := hs.Shutdown(sctx); err != nil {
			hs.Close()
		}
	}()
	return served, nil
}
