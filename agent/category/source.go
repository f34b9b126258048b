package category

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ReadUT1 streams the domains of a UT1 distribution and calls add for every
// valid name of a mapped category, with that category's ID. path is the
// archive as published (blacklists.tar.gz, gzip-compressed tar) or the
// directory it extracts to; only the "<category>/domains" files are read
// (not urls, usage or anything else). Categories m does not map are read and
// counted in Stats.Unmapped, not loaded. The slice passed to add is reused:
// add must copy what it keeps. Bad lines are skipped and counted, never
// fatal; errors come from the file system or a corrupt archive.
func ReadUT1(path string, m *Mapping, add func(domain []byte, id ID)) (Stats, error) {
	var st Stats
	fi, err := os.Stat(path)
	if err != nil {
		return st, fmt.Errorf("category: read ut1: %w", err)
	}
	if fi.IsDir() {
		err = readUT1Dir(os.DirFS(path), m, add, &st)
	} else {
		err = readUT1Archive(path, m, add, &st)
	}
	if err != nil {
		return st, fmt.Errorf("category: read ut1: %w", err)
	}
	return st, nil
}

func readUT1Dir(fsys fs.FS, m *Mapping, add func([]byte, ID), st *Stats) error {
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Name() != "domains" || !d.Type().IsRegular() {
			return nil
		}
		f, err := fsys.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		return readUT1File(f, path.Base(path.Dir(p)), m, add, st)
	})
}

func readUT1Archive(name string, m *Mapping, add func([]byte, ID), st *Stats) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		p := path.Clean(strings.TrimPrefix(h.Name, "./"))
		if h.Typeflag != tar.TypeReg || path.Base(p) != "domains" || path.Dir(p) == "." {
			continue
		}
		if err := readUT1File(tr, path.Base(path.Dir(p)), m, add, st); err != nil {
			return err
		}
	}
}

// readUT1File reads one category's domains file.
func readUT1File(r io.Reader, cat string, m *Mapping, add func([]byte, ID), st *Stats) error {
	id, ok := m.Lookup(cat)
	sink := func([]byte) {}
	if ok {
		sink = func(d []byte) { add(d, id) }
	}
	fs, err := readList(r, FormatDomains, sink)
	if ok {
		fs.Categories = map[string]int{cat: fs.Added}
	} else {
		fs.Unmapped = map[string]int{cat: fs.Added}
		fs.Added = 0
	}
	st.Merge(fs)
	if err != nil {
		return fmt.Errorf("%s: %w", cat, err)
	}
	return nil
}

// Source is one input of a matcher: a UT1 distribution or one list file.
type Source struct {
	// Path is the file (or, for UT1, the archive or directory). A list file
	// whose name ends in ".gz" is gunzipped.
	Path string
	// UT1 marks a UT1 distribution; its categories go through the Mapping.
	UT1 bool
	// Format is a list's format; FormatAuto sniffs each line.
	Format Format
	// Name is the list's source name for the Mapping and the Stats; empty
	// means the file name without ".gz" and ".txt".
	Name string
	// Set, when not 0, gives the categories of every name of the list and
	// the Mapping is not consulted.
	Set Set
}

func (s Source) name() string {
	if s.Name != "" {
		return s.Name
	}
	n := strings.TrimSuffix(filepath.Base(s.Path), ".gz")
	return strings.TrimSuffix(n, ".txt")
}

// Load streams every source, in order, and calls add for each valid name of a
// mapped category with its Set; the slice passed to add is reused (add copies
// what it keeps). Lists whose name m does not map (and whose Set is 0) are
// counted in Stats.Unmapped, not loaded. It stops at the first source that
// cannot be read, returning the counts so far.
func Load(srcs []Source, m *Mapping, add func(domain []byte, s Set)) (Stats, error) {
	var st Stats
	for _, src := range srcs {
		if src.UT1 {
			s, err := ReadUT1(src.Path, m, func(d []byte, id ID) { add(d, Set(0).With(id)) })
			st.Merge(s)
			if err != nil {
				return st, err
			}
			continue
		}
		s, err := readListFile(src, m, add)
		st.Merge(s)
		if err != nil {
			return st, fmt.Errorf("category: load %s: %w", src.Path, err)
		}
	}
	return st, nil
}

func readListFile(src Source, m *Mapping, add func([]byte, Set)) (Stats, error) {
	name := src.name()
	set := src.Set
	if set == 0 {
		if id, ok := m.Lookup(name); ok {
			set = set.With(id)
		}
	}
	f, err := os.Open(src.Path)
	if err != nil {
		return Stats{}, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(src.Path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return Stats{}, err
		}
		defer zr.Close()
		r = zr
	}
	sink := func([]byte) {}
	if set != 0 {
		sink = func(d []byte) { add(d, set) }
	}
	st, err := readList(r, src.Format, sink)
	if set != 0 {
		st.Categories = map[string]int{name: st.Added}
	} else {
		st.Unmapped = map[string]int{name: st.Added}
		st.Added = 0
	}
	return st, err
}
