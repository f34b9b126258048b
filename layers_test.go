// Package cpe_test holds the module's layer rules: which part of the agent
// may depend on which, checked on the real dependency graph (go list).
package cpe_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/safeinternet/cpe/"

// graph returns every package of the module with its direct imports.
func graph(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	g := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		g[strings.TrimPrefix(f[0], module)] = f[1:]
	}
	return g
}

// closure returns pkg's dependencies inside the module and out of it.
func closure(g map[string][]string, pkg string) map[string]bool {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(p string) {
		for _, imp := range g[p] {
			name := strings.TrimPrefix(imp, module)
			if seen[name] {
				continue
			}
			seen[name] = true
			if name != imp {
				walk(name)
			}
		}
	}
	walk(pkg)
	return seen
}

func under(pkg, dir string) bool { return pkg == dir || strings.HasPrefix(pkg, dir+"/") }

// TestLayers holds the rules of DESIGN.md and the package docs:
//
//   - nfq (the packet side) reaches nothing of agent or ui;
//   - ui reaches only ui and the module's neutral internal helpers;
//   - the policy engine reaches no network, no process and no packet code
//     but ctmark; files are read and written only by the configuration and
//     list loaders it compiles from (config, category, uci, and uci's
//     atomic writer: explicit);
//   - the packet judge, the household keeper and the page adapter never
//     import each other;
//   - ui is imported only by the composition root and the page adapter,
//     and the composition root only by the command line.
func TestLayers(t *testing.T) {
	g := graph(t)
	for pkg := range g {
		deps := closure(g, pkg)
		switch {
		case under(pkg, "nfq"):
			for d := range deps {
				if under(d, "agent") || under(d, "ui") {
					t.Errorf("%s reaches %s: the packet side knows nothing of the agent or the page", pkg, d)
				}
			}
		case under(pkg, "ui"):
			for d := range deps {
				if _, ok := g[d]; ok && !under(d, "ui") && !under(d, "internal") {
					t.Errorf("%s reaches %s: the page reaches only ui and internal helpers", pkg, d)
				}
			}
		}
		for _, imp := range g[pkg] {
			d := strings.TrimPrefix(imp, module)
			if d == "ui" && !slices.Contains([]string{"agent/daemon", "agent/page"}, pkg) && !under(pkg, "ui") {
				t.Errorf("%s imports ui: only the composition root and the page adapter may", pkg)
			}
			if d == "agent/daemon" && pkg != "agent/cli" {
				t.Errorf("%s imports the composition root", pkg)
			}
		}
	}

	rooms := []string{"agent/judge", "agent/keeper", "agent/page"}
	for _, a := range rooms {
		deps := closure(g, a)
		for _, b := range rooms {
			if a != b && deps[b] {
				t.Errorf("%s reaches %s: the judge, the keeper and the page never import each other", a, b)
			}
		}
	}

	// The policy engine: pure. File loading is allowed to these only.
	loaders := map[string]bool{"agent/config": true, "agent/category": true, "agent/uci": true, "internal/atomicfile": true}
	banned := []string{"net", "net/http", "os/exec", "os/signal"}
	for d := range closure(g, "agent/policy") {
		if under(d, "nfq") && d != "nfq/ctmark" {
			t.Errorf("agent/policy reaches %s: no packet code but ctmark", d)
		}
		if slices.Contains(banned, d) {
			t.Errorf("agent/policy reaches %s", d)
		}
	}
	pure := closure(g, "agent/policy")
	pure["agent/policy"] = true
	for d := range pure {
		if _, inModule := g[d]; !inModule {
			continue
		}
		for _, imp := range g[d] {
			if (imp == "os" || imp == "syscall") && !loaders[d] {
				t.Errorf("%s (reached by agent/policy) imports %s: only the loaders %v may", d, imp, loaders)
			}
		}
	}
}
