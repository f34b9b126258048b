package cpe_test

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// deps returns the packages pkgs depend on (go list -deps), built for
// linux/mipsle with CGO off and the given build tags.
func deps(t *testing.T, tags string, pkgs ...string) []string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go tool in PATH: %v", err)
	}
	args := append([]string{"list", "-deps", "-tags", tags}, pkgs...)
	cmd := exec.Command(goTool, args...)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=mipsle", "GOMIPS=softfloat", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	return strings.Fields(string(out))
}

// matching returns the packages of list under one of the prefixes.
func matching(list []string, prefixes ...string) []string {
	var out []string
	for _, p := range list {
		for _, pre := range prefixes {
			if p == pre || strings.HasPrefix(p, pre+"/") {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// gopacket is the capture library behind the inspect subcommand (in
// either of its homes).
var gopacket = []string{"github.com/gopacket/gopacket", "github.com/google/gopacket"}

// TestRouterBuildDeps: the router build (tag si_omit_inspect, as make cross
// and the OpenWrt package build it) leaves out the inspect subcommand and
// the capture library it needs, which the developer build has.
func TestRouterBuildDeps(t *testing.T) {
	const cmd = "./agent/cmd/safeinternet"
	router := deps(t, "si_omit_inspect", cmd)
	if got := matching(router, gopacket...); len(got) > 0 {
		t.Errorf("the router build depends on %v", got)
	}
	if slices.Contains(router, "github.com/safeinternet/cpe/agent/inspect") {
		t.Error("the router build has agent/inspect")
	}
	dev := deps(t, "", cmd)
	if got := matching(dev, gopacket...); len(got) == 0 {
		t.Error("the developer build has no gopacket: is inspect still in it?")
	}
	if !slices.Contains(dev, "github.com/safeinternet/cpe/agent/inspect") {
		t.Error("the developer build lacks agent/inspect")
	}
}

// TestReadingLayer: nfq/reading, the rules of reading a flow's name that the
// judge and inspect share, imports nothing of the agent or the page.
func TestReadingLayer(t *testing.T) {
	const mod = "github.com/safeinternet/cpe"
	if got := matching(deps(t, "", "./nfq/reading"), mod+"/agent", mod+"/ui"); len(got) > 0 {
		t.Errorf("nfq/reading depends on %v", got)
	}
}
