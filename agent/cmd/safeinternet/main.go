// Command safeinternet is the Safe Internet agent for OpenWrt routers. See
// package cli for its subcommands.
package main

import (
	"os"

	"github.com/safeinternet/cpe/agent/cli"
)

// version is stamped by the build: -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr, version))
}
