package main

import (
	"bufio"
	"fmt"
	"net"
	"testing"
)

// TestServeForward joins loopback connections to an echo server through
// the forwarder (no namespace: the dial happens here).
func TestServeForward(t *testing.T) {
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				line, _ := r.ReadString('\n')
				fmt.Fprintf(c, "echo %s", line)
			}()
		}
	}()
	front, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- serveForward(front, func() (net.Conn, error) { return dialIn("", echo.Addr().String()) })
	}()
	for i := range 3 {
		c, err := net.Dial("tcp", front.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "hello %d\n", i)
		got, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if want := fmt.Sprintf("echo hello %d\n", i); err != nil || got != want {
			t.Errorf("through the forwarder: %q, %v; want %q", got, err, want)
		}
	}
	front.Close()
	if err := <-done; err != nil {
		t.Errorf("serveForward after close: %v", err)
	}
}
