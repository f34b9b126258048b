package ui

import (
	"bytes"
	"compress/gzip"
	"io/fs"
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
