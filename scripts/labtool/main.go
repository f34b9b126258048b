// Command labtool holds the small helpers of the lab scripts (demo.sh, bench.sh) so that they
// need neither jq nor python:
//
//	labtool decisions [-color]   read the agent's JSON log on stdin, print it readably
//	labtool json FILE PATH       print the value at a dotted PATH (e.g. end.sum_received.bits_per_second)
//	labtool median N...          print the median of the numbers
//	labtool tlsrate [flags]      open TLS connections as fast as it can, print connections/s
//	labtool forward [flags]      carry TCP connections from this host into a lab namespace
//
// tlsrate opens a TCP connection, completes a full TLS handshake with Go's default client
// (post-quantum ClientHello) and closes, from -parallel goroutines, until -conns connections
// or -duration have passed, whichever comes first; it prints one JSON line:
//
//	{"conns":N,"failures":F,"seconds":S,"conns_per_second":R,"hello_bytes":H,"first_error":"..."}
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage:
  labtool decisions [-color]   agent JSON log on stdin -> one readable line per record
  labtool json FILE PATH       value at a dotted PATH in a JSON file ("-" for stdin)
  labtool median N...          median of the numbers
  labtool tlsrate [-addr HOST:PORT] [-sni NAME] [-conns N] [-parallel P] [-duration D] [-timeout T]
                               TLS handshakes per second, one JSON line
  labtool forward [-listen HOST:PORT] -netns NAME -to HOST:PORT
                               carry TCP connections from this host to HOST:PORT inside namespace NAME
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "decisions":
		color := len(os.Args) > 2 && os.Args[2] == "-color"
		err = formatLog(os.Stdin, os.Stdout, color)
	case "json":
		if len(os.Args) != 4 {
			fmt.Fprint(os.Stderr, usage)
			os.Exit(2)
		}
		err = printJSONPath(os.Stdout, os.Args[2], os.Args[3])
	case "median":
		err = printMedian(os.Stdout, os.Args[2:])
	case "tlsrate":
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
		err = printTLSRate(ctx, os.Stdout, os.Stderr, os.Args[2:])
		stop()
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
	case "forward":
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
		err = forward(ctx, os.Stderr, os.Args[2:])
		stop()
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
	default:
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "labtool:", err)
		os.Exit(1)
	}
}
