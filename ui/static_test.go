package ui

import (
	"bytes"
	"compress/gzip"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"
)

// maxAssetsGzip bounds what the router embeds for the page: the static
// files and the catalogs, each gzipped, all together. The router's flash is
// small; the page has no build step to shrink it later.
const maxAssetsGzip = 300 << 10

func TestAssetsSize(t *testing.T) {
	total := 0
	for _, fsys := range []fs.FS{staticFS, catalogFS} {
		err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				return err
			}
			var b bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
			zw.Write(data)
			zw.Close()
			t.Logf("%-24s %7d bytes, %6d gzipped", name, len(data), b.Len())
			total += b.Len()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("total %d bytes gzipped (limit %d)", total, maxAssetsGzip)
	if total > maxAssetsGzip {
		t.Errorf("the embedded page gzips to %d bytes, over the %d-byte budget", total, maxAssetsGzip)
	}
}

// modules reads the page's ES modules: name → source.
func modules(t *testing.T) map[string]string {
	t.Helper()
	files, err := fs.Glob(staticFS, "static/*.js")
	if err != nil || len(files) == 0 {
		t.Fatalf("modules: %v %v", files, err)
	}
	out := make(map[string]string)
	for _, f := range files {
		data, err := fs.ReadFile(staticFS, f)
		if err != nil {
			t.Fatal(err)
		}
		out[path.Base(f)] = string(data)
	}
	return out
}

// importRE finds a module's static imports: import … from './x.js' and
// import './x.js' (the page's modules write each on lines of their own).
var importRE = regexp.MustCompile(`(?m)^(?:import|export)\s(?:[^;'"]*?\sfrom\s*)?['"]([^'"]+)['"]`)

// TestModules keeps the page's module graph sound: every import is a
// relative './name.js' naming an embedded module (so a page at one version
// loads every module at that version); every module is reached from
// app.js; the graph has no cycles (an import cycle can run a module before
// one it needs is ready); each module starts with its header comment.
func TestModules(t *testing.T) {
	mods := modules(t)
	deps := make(map[string][]string)
	for name, src := range mods {
		if !strings.HasPrefix(src, "// ") {
			t.Errorf("%s: no header comment", name)
		}
		if regexp.MustCompile(`\bimport\s*\(`).MatchString(src) {
			t.Errorf("%s: a dynamic import() is outside the checked graph", name)
		}
		for _, m := range importRE.FindAllStringSubmatch(src, -1) {
			dep, ok := strings.CutPrefix(m[1], "./")
			if _, known := mods[dep]; !ok || strings.Contains(dep, "/") || !known {
				t.Errorf("%s imports %q: want './<module>.js' of an embedded module", name, m[1])
				continue
			}
			deps[name] = append(deps[name], dep)
		}
	}
	// Depth-first from the entry: grey modules are on the current path.
	const grey, black = 1, 2
	color := make(map[string]int)
	var visit func(name string, path []string)
	visit = func(name string, path []string) {
		color[name] = grey
		for _, dep := range deps[name] {
			switch color[dep] {
			case grey:
				t.Errorf("import cycle: %s → %s", strings.Join(path, " → "), dep)
			case 0:
				visit(dep, append(path, dep))
			}
		}
		color[name] = black
	}
	visit("app.js", []string{"app.js"})
	for name := range mods {
		if color[name] == 0 {
			t.Errorf("%s is not imported from app.js", name)
		}
	}
}
