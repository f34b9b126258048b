// Package cli parses the safeinternet command line and runs a subcommand:
//
//	safeinternet run [--config FILE] [--state-dir DIR] [--persist-dir DIR] [--system-root DIR]
//	                 [--ntp-marker FILE] [--log-format json|text] [--log-level LEVEL]
//	safeinternet inspect --pcap FILE
//	safeinternet check-config [FILE]
//	safeinternet version
//
// inspect is a developer's tool: a router build leaves it out with the
// build tag si_omit_inspect (make cross does), which spares the router the
// capture readers (gopacket) it needs. Main returns the process exit code;
// only package main exits.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/safeinternet/cpe/agent/clock"
	"github.com/safeinternet/cpe/agent/config"
	"github.com/safeinternet/cpe/agent/daemon"
)

// DefaultConfig is where OpenWrt keeps the agent's UCI configuration.
const DefaultConfig = "/etc/config/safeinternet"

const usage = `Safe Internet agent

Usage:
  safeinternet run [--config FILE] [--state-dir DIR] [--persist-dir DIR] [--system-root DIR] [--ntp-marker FILE]
                   [--log-format json|text] [--log-level debug|info|warn|error]
        run the agent: install the nft table, read the queues, enforce the policy
` + inspectUsage + `  safeinternet check-config [FILE]
        validate a configuration file and print every error (default ` + DefaultConfig + `)
  safeinternet version
        print the version
`

// Main runs the subcommand named by args[0] and returns the exit code: 0 on
// success, 1 on failure, 2 on a usage error.
func Main(args []string, stdout, stderr io.Writer, version string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "run":
		err = run(args[1:], stderr, version)
	case "inspect":
		err = inspectCmd(args[1:], stdout, stderr)
	case "check-config":
		err = checkConfig(args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "safeinternet", version)
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "safeinternet: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errInvalid):
		return 1
	default:
		fmt.Fprintln(stderr, "safeinternet:", err)
		return 1
	}
}

var (
	errUsage   = errors.New("cli: usage")
	errInvalid = errors.New("cli: invalid configuration") // details already printed
)

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("safeinternet "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

func run(args []string, stderr io.Writer, version string) error {
	fs := newFlags("run", stderr)
	cfgPath := fs.String("config", DefaultConfig, "UCI configuration file")
	stateDir := fs.String("state-dir", "/tmp/safeinternet", "directory for runtime state (RAM)")
	persistDir := fs.String("persist-dir", "", "directory for what survives a reboot (daily usage), written rarely (OpenWrt: /etc/safeinternet); empty keeps nothing")
	systemRoot := fs.String("system-root", "/", "root under which etc/config/system and etc/TZ give the time zone")
	ntpMarker := fs.String("ntp-marker", clock.DefaultMarker, "file the NTP hotplug script writes once the clock is synced")
	format := fs.String("log-format", "json", "log format: json or text")
	level := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := parse(fs, args); err != nil {
		return err
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(stderr, "safeinternet run: --log-level %q: %v\n", *level, err)
		return errUsage
	}
	hopts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler
	switch *format {
	case "json":
		h = slog.NewJSONHandler(stderr, hopts)
	case "text":
		h = slog.NewTextHandler(stderr, hopts)
	default:
		fmt.Fprintf(stderr, "safeinternet run: --log-format %q: want json or text\n", *format)
		return errUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return daemon.Run(ctx, daemon.Options{
		ConfigPath: *cfgPath,
		StateDir:   *stateDir,
		PersistDir: *persistDir,
		SystemRoot: *systemRoot,
		NTPMarker:  *ntpMarker,
		BuildTime:  buildTime(),
		Version:    version,
		Log:        slog.New(h),
	})
}

// buildTime is when this binary was built, as the Go toolchain stamped the
// VCS time (zero when unknown, as in tests): a clock before it is stale.
func buildTime() time.Time {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return time.Time{}
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.time" {
			if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
				return t
			}
		}
	}
	return time.Time{}
}

func checkConfig(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check-config", stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	path := DefaultConfig
	switch fs.NArg() {
	case 0:
	case 1:
		path = fs.Arg(0)
	default:
		fmt.Fprintln(stderr, "safeinternet check-config: at most one FILE")
		return errUsage
	}
	if _, err := config.LoadFile(path); err != nil {
		var n int
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			n = len(j.Unwrap())
		}
		if n > 1 {
			fmt.Fprintf(stdout, "%s: %d errors\n", path, n)
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stdout, "  %s\n", line)
		}
		return errInvalid
	}
	fmt.Fprintf(stdout, "%s: ok\n", path)
	return nil
}
