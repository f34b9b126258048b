package nettest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"
)

// IOTimeout bounds every socket operation of the lab tests.
const IOTimeout = 5 * time.Second

// Echo is an echo server in a namespace that counts the bytes it received.
// It is safe for concurrent use; it stops when the test ends.
type Echo struct {
	received atomic.Int64
}

// Received returns how many payload bytes the server has received so far.
func (e *Echo) Received() int64 { return e.received.Load() }

// Echo starts an echo server for network ("tcp" or "udp", both families)
// on port in the namespace, until the test ends. A TCP connection is closed
// 3·IOTimeout after it was accepted.
func (n Netns) Echo(t testing.TB, network string, port int) *Echo {
	t.Helper()
	e := &Echo{}
	addr := fmt.Sprintf(":%d", port)
	if network == "udp" {
		var pc net.PacketConn
		n.Do(t, func() {
			var err error
			if pc, err = net.ListenPacket("udp", addr); err != nil {
				t.Fatal(err)
			}
		})
		t.Cleanup(func() { pc.Close() })
		go func() {
			buf := make([]byte, 2048)
			for {
				k, from, err := pc.ReadFrom(buf)
				if err != nil {
					return
				}
				e.received.Add(int64(k))
				_, _ = pc.WriteTo(buf[:k], from)
			}
		}()
		return e
	}
	var ln net.Listener
	n.Do(t, func() {
		var err error
		if ln, err = net.Listen("tcp", addr); err != nil {
			t.Fatal(err)
		}
	})
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(3 * IOTimeout))
				buf := make([]byte, 2048)
				for {
					k, err := c.Read(buf)
					if err != nil {
						return
					}
					e.received.Add(int64(k))
					if _, err := c.Write(buf[:k]); err != nil {
						return
					}
				}
			}()
		}
	}()
	return e
}

// Dial connects from the namespace to addr over network ("tcp" or "udp")
// within IOTimeout; t.Cleanup closes the connection. It never returns nil.
func (n Netns) Dial(t testing.TB, network string, addr netip.AddrPort) net.Conn {
	t.Helper()
	var c net.Conn
	n.Do(t, func() {
		var err error
		d := net.Dialer{Timeout: IOTimeout}
		if c, err = d.Dial(network, addr.String()); err != nil {
			t.Fatal(err)
		}
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// RoundTrip writes msg on c and reads the echo back within timeout; it
// returns the socket error as is (callers check for resets, ICMP errors and
// timeouts), or an error when the echo differs.
func RoundTrip(c net.Conn, msg string, timeout time.Duration) error {
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	if _, err := c.Write([]byte(msg)); err != nil {
		return err
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil {
		return err
	}
	if string(buf) != msg {
		return fmt.Errorf("echo %q, want %q", buf, msg)
	}
	return nil
}

// IsTimeout reports whether err (or an error it wraps) is a deadline error.
func IsTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}
