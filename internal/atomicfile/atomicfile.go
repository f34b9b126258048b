// Package atomicfile writes files so that a reader, or the next boot after a
// power cut, sees either the old content or the new one, never a mix. It is the
// module's one implementation of that; uci.WriteFile builds on it.
//
// The package has no state; its functions are safe for concurrent use on
// different paths. Two concurrent writes of the same path each leave a whole
// file; the last rename wins.
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// WriteFile replaces the file at path with data. It creates a temporary file
// in path's directory (named ".<base>.tmp-<random>", so that the rename stays
// on one file system), writes data, sets the permission bits to perm exactly
// (the umask does not apply), syncs and closes it, renames it over path and
// syncs the directory, so that the rename itself survives a power cut.
//
// The new file is a new inode owned by the calling process: a reader that has
// the old file open keeps reading the old content. If path is a symbolic
// link, the link is replaced by the file; a caller that wants the file behind
// the link replaced resolves the link first (uci.WriteFile does).
//
// On any error up to and including the rename, path is unchanged and the
// temporary file is removed. An error from syncing the directory comes after
// the rename: path then holds data, but the change may not survive a power
// cut. File systems that cannot sync a directory (EINVAL) are accepted as they
// are. Errors read "atomicfile: <step> <path>: <cause>".
func WriteFile(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("atomicfile: create temporary file for %s: %w", path, err)
	}
	tmp := f.Name()
	if err := fill(f, data, perm); err != nil {
		f.Close() // already closed when fill failed at Close; the second error is moot
		os.Remove(tmp)
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("atomicfile: rename over %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("atomicfile: sync directory of %s: %w", path, err)
	}
	return nil
}

// fill writes data to f, sets its permission bits, syncs it to disk and
// closes it. On error the caller closes and removes f.
func fill(f *os.File, data []byte, perm os.FileMode) error {
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

// syncDir makes a rename in dir durable. File systems that cannot sync a
// directory (EINVAL) are accepted as they are.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}
