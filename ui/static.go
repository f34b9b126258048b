package ui

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"net/http"
	"path"
	"strings"
)

// staticFS is the page. index.html names its assets by their plain names
// (/static/app.js); loadAssets rewrites those to content-hashed names.
//
//go:embed static/index.html static/app.js static/app.css
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

// Cache rules: hashed names never change content, so they are cached for a
// year; the page and plain names are revalidated every time.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// loadAssets reads the embedded page and names every asset twice: by its
// plain name and by app.<hash>.ext, a 12-hex-digit SHA-256 prefix.
func loadAssets() (*assets, error) {
	a := &assets{files: make(map[string]asset)}
	index, err := staticFS.ReadFile("static/index.html")
	if err != nil {
		return nil, fmt.Errorf("ui: static: %w", err)
	}
	html := string(index)
	for _, name := range []string{"app.js", "app.css"} {
		data, err := staticFS.ReadFile("static/" + name)
		if err != nil {
			return nil, fmt.Errorf("ui: static: %w", err)
		}
		sum := sha256.Sum256(data)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		ct := contentType(ext)
		a.files["/static/"+name] = asset{data: data, contentType: ct, cacheControl: cacheRevalidate}
		a.files["/static/"+hashed] = asset{data: data, contentType: ct, cacheControl: cacheImmutable}
		html = strings.ReplaceAll(html, `"/static/`+name+`"`, `"/static/`+hashed+`"`)
	}
	page := asset{data: []byte(html), contentType: contentType(".html"), cacheControl: cacheRevalidate}
	a.files["/"] = page
	a.files["/index.html"] = page
	return a, nil
}

func contentType(ext string) string {
	switch ext {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	}
	return "application/octet-stream"
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
