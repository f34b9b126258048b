package daemon

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/config"
)

// loadLists returns the category matcher for cfg's lists and the key that
// names them (paths, formats, categories, sizes and modification times).
// When the key is the one already loaded, the loaded matcher is reused: a
// reload that changes only people or schedules does not read the lists
// again. A list that cannot be read fails the load, so that a reload keeps
// the previous configuration rather than dropping a category.
func (d *Daemon) loadLists(cfg *config.Config) (*category.Matcher, string, error) {
	key, srcs, err := listSources(cfg)
	if err != nil {
		return nil, "", err
	}
	if d.lists != nil && key == d.listsKey {
		return d.lists, key, nil
	}
	start := time.Now()
	b := category.NewBuilder()
	st, err := category.Load(srcs, category.DefaultMapping(), b.Add)
	if err != nil {
		return nil, "", fmt.Errorf("daemon: category lists: %w", err)
	}
	m := b.Build()
	if len(srcs) > 0 {
		d.log.Info("category lists loaded", "lists", len(srcs), "names", m.Len(), "lines", st.Lines,
			"invalid", st.Invalid, "took", time.Since(start).Round(time.Millisecond).String())
	}
	return m, key, nil
}

// listSources converts cfg's lists and makes their key.
func listSources(cfg *config.Config) (string, []category.Source, error) {
	var key strings.Builder
	srcs := make([]category.Source, 0, len(cfg.Lists))
	for _, l := range cfg.Lists {
		fi, err := os.Stat(l.File)
		if err != nil {
			return "", nil, fmt.Errorf("daemon: %s: %w", l.Path, err)
		}
		fmt.Fprintf(&key, "%s\x00%s\x00%d\x00%d\x00%d\n", l.File, l.Format, l.Category, fi.Size(), fi.ModTime().UnixNano())
		src := category.Source{Path: l.File, Name: l.Name}
		if l.Format == "ut1" {
			src.UT1 = true
		} else {
			f, _ := category.ParseFormat(l.Format)
			src.Format = f
			src.Set = category.Set(0).With(l.Category)
		}
		srcs = append(srcs, src)
	}
	return key.String(), srcs, nil
}
