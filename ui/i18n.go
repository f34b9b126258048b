package ui

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// catalogFS holds two JSON objects per language, message id → text: the
// API's messages (<lang>.json) and the page's (page.<lang>.json). Texts may
// hold {name} placeholders filled by catalog.text.
//
//go:embed i18n/*.json
var catalogFS embed.FS

// defaultLang is the language when neither the lang cookie nor
// Accept-Language names a supported one and Options.Lang is empty.
const defaultLang = "en"

// langCookie is the cookie the page's language picker sets.
const langCookie = "lang"

// supported returns the page's languages, the reference (English) first.
func supported() []string { return []string{"en", "az", "ru"} }

// catalog maps a language to its messages. It is read-only after
// loadCatalog, so it needs no lock.
type catalog map[string]map[string]string

// loadCatalog reads the embedded catalogs and checks that every language
// has exactly the reference language's ids.
func loadCatalog() (catalog, error) {
	c := make(catalog)
	for _, lang := range supported() {
		m := make(map[string]string)
		for _, name := range []string{lang + ".json", "page." + lang + ".json"} {
			data, err := catalogFS.ReadFile("i18n/" + name)
			if err != nil {
				return nil, fmt.Errorf("ui: catalog %s: %w", lang, err)
			}
			var part map[string]string
			if err := json.Unmarshal(data, &part); err != nil {
				return nil, fmt.Errorf("ui: catalog %s: %w", name, err)
			}
			for id, text := range part {
				if _, dup := m[id]; dup {
					return nil, fmt.Errorf("ui: catalog %s: %q given twice", name, id)
				}
				m[id] = text
			}
		}
		c[lang] = m
	}
	ref := c[defaultLang]
	for lang, m := range c {
		if len(m) != len(ref) {
			return nil, fmt.Errorf("ui: catalog %s has %d messages, %s has %d", lang, len(m), defaultLang, len(ref))
		}
		for id := range ref {
			if m[id] == "" {
				return nil, fmt.Errorf("ui: catalog %s lacks %q", lang, id)
			}
		}
	}
	return c, nil
}

// text returns message id in lang with placeholders replaced from args,
// given as name, value pairs. An unknown id falls back to English, then to
// the id itself, so a missing string is visible, never empty.
func (c catalog) text(lang, id string, args ...string) string {
	s, ok := c[lang][id]
	if !ok {
		if s, ok = c[defaultLang][id]; !ok {
			s = id
		}
	}
	for i := 0; i+1 < len(args); i += 2 {
		s = strings.ReplaceAll(s, "{"+args[i]+"}", args[i+1])
	}
	return s
}

// language picks the response language: the lang cookie if it names a
// supported language, else the best Accept-Language match, else def.
func language(r *http.Request, def string) string {
	if ck, err := r.Cookie(langCookie); err == nil && slices.Contains(supported(), ck.Value) {
		return ck.Value
	}
	best, bestQ := "", 0.0
	for part := range strings.SplitSeq(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if q > bestQ && slices.Contains(supported(), primary) {
			best, bestQ = primary, q
		}
	}
	if best != "" {
		return best
	}
	return def
}
