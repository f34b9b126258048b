package ui

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryMessageExists reads the package's source for the message ids
// and error codes it uses and checks that the catalog has each (the
// catalog's loader checks that every language has the same ids).
func TestEveryMessageExists(t *testing.T) {
	c, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("*.go")
	ids := regexp.MustCompile(`"(field\.[a-z_]+|error\.[a-z_]+)"`)
	codes := regexp.MustCompile(`code: +"([a-z_]+)"`)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ids.FindAllStringSubmatch(string(src), -1) {
			n++
			if _, ok := c[defaultLang][m[1]]; !ok {
				t.Errorf("%s: no message %q", f, m[1])
			}
		}
		for _, m := range codes.FindAllStringSubmatch(string(src), -1) {
			n++
			if _, ok := c[defaultLang]["error."+m[1]]; !ok {
				t.Errorf("%s: no message for error %q", f, m[1])
			}
		}
	}
	if n < 40 {
		t.Errorf("found only %d uses: is the pattern stale?", n)
	}
}
