package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// maxForwarded bounds the connections forward carries at once; more wait in
// the listen queue.
const maxForwarded = 64

// forward accepts TCP connections on -listen (on this host) and joins each
// to -to dialled inside the network namespace -netns, until ctx ends: how
// make demo makes the router namespace's web page reachable from the host's
// browser without wiring the host into the lab.
func forward(ctx context.Context, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("labtool forward", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8090", "address to accept on, on this host")
	netns := fs.String("netns", "", "network namespace to dial in (/var/run/netns/NAME); empty: this one")
	to := fs.String("to", "", "address to dial, HOST:PORT")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *to == "" {
		fmt.Fprintln(stderr, "labtool forward: -to is required")
		return flag.ErrHelp
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("forward: %w", err)
	}
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	return serveForward(ln, func() (net.Conn, error) { return dialIn(*netns, *to) })
}

// serveForward joins every connection accepted on ln to one dial gives, at
// most maxForwarded at a time; it returns when ln is closed.
func serveForward(ln net.Listener, dial func() (net.Conn, error)) error {
	slots := make(chan struct{}, maxForwarded)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("forward: accept: %w", err)
		}
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			defer c.Close()
			up, err := dial()
			if err != nil {
				return
			}
			defer up.Close()
			done := make(chan struct{}, 2)
			go func() { io.Copy(up, c); done <- struct{}{} }()
			go func() { io.Copy(c, up); done <- struct{}{} }()
			<-done
		}()
	}
}

// dialIn dials addr over TCP from inside the named network namespace (the
// current one when ns is empty). The socket keeps its namespace after the
// thread leaves it.
func dialIn(ns, addr string) (net.Conn, error) {
	if ns == "" {
		return net.DialTimeout("tcp", addr, 5*time.Second)
	}
	type result struct {
		c   net.Conn
		err error
	}
	res := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			res <- result{err: err}
			return
		}
		defer orig.Close()
		target, err := os.Open("/var/run/netns/" + ns)
		if err != nil {
			runtime.UnlockOSThread()
			res <- result{err: err}
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			res <- result{err: err}
			return
		}
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		// A thread that cannot go back stays locked and dies with its goroutine.
		if unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		res <- result{c, err}
	}()
	r := <-res
	return r.c, r.err
}
