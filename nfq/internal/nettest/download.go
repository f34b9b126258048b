package nettest

import (
	"io"
	"net"
	"strconv"
	"testing"
	"time"
)

// Download serves an endless stream on port in n: after one request byte it
// writes 16 KiB chunks until the peer goes away or 3·IOTimeout pass. The
// listener is closed by t.Cleanup.
func Download(t *testing.T, n Netns, port int) {
	t.Helper()
	var ln net.Listener
	n.Do(t, func() {
		var err error
		if ln, err = net.Listen("tcp", ":"+strconv.Itoa(port)); err != nil {
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
				if _, err := c.Read(make([]byte, 1)); err != nil {
					return
				}
				chunk := make([]byte, 16<<10)
				for {
					if _, err := c.Write(chunk); err != nil {
						return
					}
				}
			}()
		}
	}()
}

// ReadFor reads from c until it fails or d passes; it returns the bytes read
// and the error: nil when d passed, io.EOF when the server closed (not a cut
// by the router).
func ReadFor(c net.Conn, d time.Duration) (int64, error) {
	end := time.Now().Add(d)
	if err := c.SetReadDeadline(end); err != nil {
		return 0, err
	}
	n, err := io.Copy(io.Discard, c)
	if err == nil {
		err = io.EOF
	}
	if IsTimeout(err) && !time.Now().Before(end) {
		err = nil
	}
	return n, err
}
