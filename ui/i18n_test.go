package ui

import (
	"io/fs"
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

// TestPageMessagesExist reads the embedded page (every module and
// index.html) for the catalog ids it names and checks that every language
// has each: a literal id ('page.save', data-i18n="page.title") must exist,
// and a family the page completes at run time ('page.nav.' + name) must
// have at least one id ('page.fmt.ago_' + unit too).
func TestPageMessagesExist(t *testing.T) {
	c, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(staticFS, "static/*")
	if err != nil {
		t.Fatal(err)
	}
	ids := regexp.MustCompile(`['"]((?:page|state|lang)\.[a-z0-9_.]*[a-z0-9])['"]`)
	families := regexp.MustCompile(`['"]((?:page|state|lang)\.[a-z0-9_.]*[._])['"]`)
	n, scanned := 0, 0
	for _, f := range files {
		if !strings.HasSuffix(f, ".js") && !strings.HasSuffix(f, ".html") {
			continue
		}
		scanned++
		data, err := fs.ReadFile(staticFS, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ids.FindAllStringSubmatch(string(data), -1) {
			n++
			for _, lang := range supported() {
				if _, ok := c[lang][m[1]]; !ok {
					t.Errorf("%s: no %s message %q", f, lang, m[1])
				}
			}
		}
		for _, m := range families.FindAllStringSubmatch(string(data), -1) {
			for _, lang := range supported() {
				found := false
				for id := range c[lang] {
					if strings.HasPrefix(id, m[1]) {
						found = true
						break
					}
				}
				if !found {
					t.Errorf("%s: no %s message starts with %q", f, lang, m[1])
				}
			}
		}
	}
	t.Logf("%d literal ids in %d files", n, scanned)
	if scanned < 3 || n < 300 {
		t.Errorf("found %d uses in %d files: is the pattern stale?", n, scanned)
	}
}
