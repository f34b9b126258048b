package ui

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// staticFS is the page: index.html, app.css and the script as ES modules
// (app.js is the entry, the others are imported from it by relative names;
// no build step). index.html names its assets by their plain names
// (/static/app.js); loadAssets rewrites those to versioned names.
//
//go:embed static/*.html static/*.css static/*.js
var staticFS embed.FS

// asset is one file to serve.
type asset struct {
	data         []byte
	contentType  string
	cacheControl string
}

// assets maps a URL path to its file. Read-only after loadAssets.
type assets struct {
	files map[string]asset
}

// Cache rules: versioned names never change content, so they are cached
// for a year; the page and plain names are revalidated every time.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// loadAssets reads the embedded page and names every file but index.html
// twice: by its plain name (/static/app.js) and under the page's version
// (/static/<version>/app.js), a 12-hex-digit SHA-256 prefix over every
// file's name and content. index.html names the versioned ones. Modules
// import each other by relative names, so a page loaded at one version
// loads all of its modules at that version: changing any file makes a new
// version, and a browser never mixes a cached old module with new ones.
// A file of a type the page does not serve is an error.
func loadAssets() (*assets, error) {
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("ui: static: %w", err)
	}
	files := make(map[string][]byte)
	var names []string // sorted, as ReadDir returns them
	sum := sha256.New()
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := e.Name()
		data, err := staticFS.ReadFile("static/" + name)
		if err != nil {
			return nil, fmt.Errorf("ui: static: %w", err)
		}
		if contentType(path.Ext(name)) == "" {
			return nil, fmt.Errorf("ui: static: %s: no content type for %q", name, path.Ext(name))
		}
		fmt.Fprintf(sum, "%s\x00%d\x00", name, len(data))
		sum.Write(data)
		files[name] = data
		names = append(names, name)
	}
	index, ok := files["index.html"]
	if !ok {
		return nil, errors.New("ui: static: no index.html")
	}
	version := hex.EncodeToString(sum.Sum(nil)[:6])
	a := &assets{files: make(map[string]asset)}
	html := string(index)
	for _, name := range names {
		if name == "index.html" {
			continue
		}
		ct := contentType(path.Ext(name))
		a.files["/static/"+name] = asset{data: files[name], contentType: ct, cacheControl: cacheRevalidate}
		a.files["/static/"+version+"/"+name] = asset{data: files[name], contentType: ct, cacheControl: cacheImmutable}
		html = strings.ReplaceAll(html, `"/static/`+name+`"`, `"/static/`+version+`/`+name+`"`)
	}
	page := asset{data: []byte(html), contentType: contentType(".html"), cacheControl: cacheRevalidate}
	a.files["/"] = page
	a.files["/index.html"] = page
	return a, nil
}

// contentType is the Content-Type of a file by its extension; "" for a
// type the page does not serve. Browsers run a module only when it is
// served with a JavaScript type.
func contentType(ext string) string {
	switch ext {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	}
	return ""
}

// serve answers GET and HEAD for the page's files; anything else is a
// plain-text 404 or 405 (the security headers are already set).
func (a *assets) serve(w http.ResponseWriter, r *http.Request) {
	f, ok := a.files[r.URL.Path]
	if !ok {
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "404 not found", http.StatusNotFound)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", f.cacheControl)
	h.Set("Content-Length", fmt.Sprint(len(f.data)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(f.data)
	}
}
