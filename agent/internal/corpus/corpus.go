// Package corpus finds the shared real-data corpus (UT1 and the other lists
// under ../shared/data, next to the repository) for the agent's
// tests, benchmarks and measurement program.
package corpus

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/safeinternet/cpe/agent/category"
)

// ErrAbsent reports that the shared data folder is not there.
var ErrAbsent = errors.New("corpus: ../shared/data not found next to the module root (tests and benchmarks on real lists are skipped)")

// Dir returns the shared data folder: ../shared/data relative to the module
// root, found by walking up from the working directory to the folder that
// holds go.mod.
func Dir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("corpus: %w", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			data := filepath.Join(d, "..", "shared", "data")
			if _, err := os.Stat(filepath.Join(data, "ut1", "blacklists.tar.gz")); err != nil {
				return "", ErrAbsent
			}
			return data, nil
		}
		if filepath.Dir(d) == d {
			return "", ErrAbsent
		}
	}
}

// Sources returns the corpus in dir as category sources: the UT1 archive,
// then every lists/*.txt.gz, each with the format its name says (hosts,
// adblock, wildcard, else one domain a line) and the category that
// mapping.tsv gives its name.
func Sources(dir string) ([]category.Source, error) {
	srcs := []category.Source{{Path: filepath.Join(dir, "ut1", "blacklists.tar.gz"), UT1: true}}
	lists, err := filepath.Glob(filepath.Join(dir, "lists", "*.txt.gz"))
	if err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	sort.Strings(lists)
	for _, p := range lists {
		f := category.FormatDomains
		switch base := filepath.Base(p); {
		case strings.Contains(base, "hosts"):
			f = category.FormatHosts
		case strings.Contains(base, "adblock"):
			f = category.FormatAdblock
		case strings.Contains(base, "wildcard"):
			f = category.FormatWildcard
		}
		srcs = append(srcs, category.Source{Path: p, Format: f})
	}
	return srcs, nil
}

// Load returns the sources of the corpus in dir and a load function that
// streams them through the default mapping.
func Load(dir string) (func(add func([]byte, category.Set)) (category.Stats, error), error) {
	srcs, err := Sources(dir)
	if err != nil {
		return nil, err
	}
	m := category.DefaultMapping()
	return func(add func([]byte, category.Set)) (category.Stats, error) {
		return category.Load(srcs, m, add)
	}, nil
}
