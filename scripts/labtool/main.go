// Command labtool holds the small helpers of the lab scripts (demo.sh, bench.sh) so that they
// need neither jq nor python:
//
//	labtool decisions [-color]   read the agent's JSON log on stdin, print it readably
//	labtool json FILE PATH       print the value at a dotted PATH (e.g. end.sum_received.bits_per_second)
//	labtool median N...          print the median of the numbers
package main

import (
	"fmt"
	"os"
)

const usage = `usage:
  labtool decisions [-color]   agent JSON log on stdin -> one readable line per record
  labtool json FILE PATH       value at a dotted PATH in a JSON file ("-" for stdin)
  labtool median N...          median of the numbers
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
	default:
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "labtool:", err)
		os.Exit(1)
	}
}
