package daemon

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/config"
	"github.com/safeinternet/cpe/agent/policy"
	"github.com/safeinternet/cpe/internal/atomicfile"
)

// The compiled category lists are kept in the state folder (RAM), with the
// key of the lists they were built from, so that an agent restart loads
// them in milliseconds instead of reading every list again.
const (
	listsFile    = "lists.bin"
	listsKeyFile = "lists.key"
)

// loadLists returns the category matcher for cfg's lists and the key that
// names them (paths, formats, categories, sizes and modification times).
//
//   - The key already loaded: the loaded matcher, untouched (a reload that
//     changes people or schedules does not read the lists).
//   - At start, the compiled form in the state folder when its key matches;
//     else the lists are read and built in one go (a one-time peak of about
//     three times the matcher's size) and the compiled form is written.
//   - On a reload that changes the lists, the matcher is rebuilt one shard
//     at a time (category.Rebuild), each shard published at once with the
//     running configuration, so that memory stays near the steady state
//     (≤ 1.5×): until the last shard, lookups may mix old and new lists.
//
// A list that cannot be read fails the load, so that a reload keeps the
// previous configuration rather than dropping a category; a rebuild that
// fails half-way leaves the mixed matcher in place and forgets the key, so
// that the next reload rebuilds it.
func (d *Daemon) loadLists(cfg *config.Config) (*category.Matcher, string, error) {
	key, srcs, err := listSources(cfg)
	if err != nil {
		return nil, "", err
	}
	if d.lists != nil && key == d.listsKey {
		return d.lists, key, nil
	}
	start := time.Now()
	mapping := category.DefaultMapping()
	var st category.Stats
	load := func(add func([]byte, category.Set)) error {
		s, err := category.Load(srcs, mapping, add)
		st = s
		return err
	}
	var m *category.Matcher
	switch {
	case d.lists == nil:
		if m = d.cachedLists(key); m != nil {
			d.log.Info("category lists loaded from their compiled form", "names", m.Len(),
				"took", time.Since(start).Round(time.Millisecond).String())
			return m, key, nil
		}
		b := category.NewBuilder()
		if err := load(b.Add); err != nil {
			return nil, "", fmt.Errorf("daemon: category lists: %w", err)
		}
		m = b.Build()
	default:
		running := d.cfg.Load()
		m, err = category.Rebuild(d.lists, 1, load, func(part *category.Matcher) {
			if snap, err := policy.Compile(running, part); err == nil && d.judge != nil {
				r := *d.judge.Rules()
				r.Snap = snap
				d.judge.SetRules(&r)
			}
			d.lists = part
		})
		if err != nil {
			d.listsKey = ""
			return nil, "", fmt.Errorf("daemon: category lists: %w", err)
		}
	}
	if len(srcs) > 0 {
		d.log.Info("category lists loaded", "lists", len(srcs), "names", m.Len(), "lines", st.Lines,
			"invalid", st.Invalid, "bytes", m.Bytes(), "took", time.Since(start).Round(time.Millisecond).String())
	}
	d.cacheLists(m, key)
	return m, key, nil
}

// cachedLists returns the compiled lists in the state folder when they were
// built from key; nil otherwise.
func (d *Daemon) cachedLists(key string) *category.Matcher {
	k, err := os.ReadFile(filepath.Join(d.opts.StateDir, listsKeyFile))
	if err != nil || string(k) != key {
		return nil
	}
	f, err := os.Open(filepath.Join(d.opts.StateDir, listsFile))
	if err != nil {
		return nil
	}
	defer f.Close()
	m, err := category.ReadMatcher(bufio.NewReader(f))
	if err != nil {
		d.log.Warn("compiled category lists not read: reading the lists", "err", err)
		return nil
	}
	return m
}

// cacheLists writes the compiled form of m and its key to the state folder.
func (d *Daemon) cacheLists(m *category.Matcher, key string) {
	if d.opts.StateDir == "" {
		return
	}
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		d.log.Warn("compiled category lists not kept", "err", err)
		return
	}
	if err := os.MkdirAll(d.opts.StateDir, 0o755); err != nil {
		d.log.Warn("compiled category lists not kept", "err", err)
		return
	}
	// The key goes last: a crash between the two writes leaves a key that
	// does not match, never a key for the wrong matcher.
	_ = os.Remove(filepath.Join(d.opts.StateDir, listsKeyFile))
	if err := atomicfile.WriteFile(filepath.Join(d.opts.StateDir, listsFile), b.Bytes(), 0o644); err != nil {
		d.log.Warn("compiled category lists not kept", "err", err)
		return
	}
	if err := atomicfile.WriteFile(filepath.Join(d.opts.StateDir, listsKeyFile), []byte(key), 0o644); err != nil {
		d.log.Warn("compiled category lists not kept", "err", err)
	}
}

// listSources converts cfg's lists and makes their key.
func listSources(cfg *config.Config) (string, []category.Source, error) {
	var key strings.Builder
	key.WriteString("v1\n")
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
