package atomicfile

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func TestWriteFile(t *testing.T) {
	// A umask that would clear bits shows that perm is applied as given.
	old := syscall.Umask(0o077)
	t.Cleanup(func() { syscall.Umask(old) })

	tests := []struct {
		name string
		// setup prepares dir and returns the path to write.
		setup func(t *testing.T, dir string) string
		perm  os.FileMode
	}{
		{
			name:  "new file, perm not masked by the umask",
			setup: func(t *testing.T, dir string) string { return filepath.Join(dir, "status.json") },
			perm:  0o644,
		},
		{
			name: "existing file replaced, mode changed",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "usage.json")
				writeOld(t, p, 0o666)
				return p
			},
			perm: 0o600,
		},
		{
			name: "symbolic link replaced by the file",
			setup: func(t *testing.T, dir string) string {
				writeOld(t, filepath.Join(dir, "real"), 0o644)
				p := filepath.Join(dir, "link")
				if err := os.Symlink("real", p); err != nil {
					t.Fatal(err)
				}
				return p
			},
			perm: 0o640,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := tt.setup(t, dir)
			before := names(t, dir)
			if !slices.Contains(before, filepath.Base(p)) {
				before = append(before, filepath.Base(p))
				slices.Sort(before)
			}
			if err := WriteFile(p, []byte("new"), tt.perm); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Lstat(p)
			if err != nil {
				t.Fatal(err)
			}
			if !fi.Mode().IsRegular() || fi.Mode().Perm() != tt.perm {
				t.Errorf("mode %v, want a regular file with %v", fi.Mode(), tt.perm)
			}
			checkContent(t, p, "new")
			if got := names(t, dir); !slices.Equal(got, before) {
				t.Errorf("directory holds %q, want %q (a temporary file left behind?)", got, before)
			}
		})
	}
}

// TestWriteFileOldReaderKeepsOld: the file is replaced, not rewritten in
// place, so a reader that opened it before never sees a mix.
func TestWriteFileOldReaderKeepsOld(t *testing.T) {
	p := filepath.Join(t.TempDir(), "activity.json")
	writeOld(t, p, 0o644)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := WriteFile(p, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	if err != nil || string(got) != "old" {
		t.Errorf("the open old file reads %q, %v; want %q", got, err, "old")
	}
	checkContent(t, p, "new")
}

func TestWriteFileErrors(t *testing.T) {
	tests := []struct {
		name string
		// setup prepares dir (with an "old" file at path where the case has
		// one) and returns the path to write.
		setup func(t *testing.T, dir string) string
		// step is the start of the error text, naming the step that failed.
		step string
	}{
		{
			name:  "missing directory",
			setup: func(t *testing.T, dir string) string { return filepath.Join(dir, "nope", "f") },
			step:  "atomicfile: create temporary file for ",
		},
		{
			name: "read-only directory",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "f")
				writeOld(t, p, 0o644)
				readOnly(t, dir)
				return p
			},
			step: "atomicfile: create temporary file for ",
		},
		{
			name: "write fails (file size limit)",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "f")
				writeOld(t, p, 0o644)
				limitFileSize(t, 1)
				return p
			},
			step: "atomicfile: write ",
		},
		{
			name: "rename over a non-empty directory",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "d")
				if err := os.MkdirAll(filepath.Join(p, "x"), 0o755); err != nil {
					t.Fatal(err)
				}
				return p
			},
			step: "atomicfile: rename over ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := tt.setup(t, dir)
			before := names(t, dir)
			err := WriteFile(p, []byte("new content"), 0o644)
			if err == nil || !strings.HasPrefix(err.Error(), tt.step) {
				t.Fatalf("err = %v, want one starting %q", err, tt.step)
			}
			if got := names(t, dir); !slices.Equal(got, before) {
				t.Errorf("directory holds %q after the error, want %q", got, before)
			}
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				checkContent(t, p, "old")
			}
		})
	}
}

func writeOld(t *testing.T, path string, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte("old"), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

func checkContent(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Errorf("%s reads %q, %v; want %q", path, got, err, want)
	}
}

// names lists dir, sorted.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// readOnly makes dir refuse new entries until the test ends. Root ignores
// permission bits, so as root dir becomes a read-only bind mount of itself;
// the test is skipped where mounting is not allowed.
func readOnly(t *testing.T, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		return
	}
	if err := syscall.Mount(dir, dir, "", syscall.MS_BIND, ""); err != nil {
		t.Skipf("root, and cannot bind-mount %s to make it read-only: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_BIND|syscall.MS_RDONLY, ""); err != nil {
		t.Skipf("cannot remount %s read-only: %v", dir, err)
	}
}

// limitFileSize makes writes past n bytes to regular files fail with EFBIG
// until the test ends. The Go runtime ignores SIGXFSZ, so the process lives.
func limitFileSize(t *testing.T, n uint64) {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	lim := old
	lim.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Skipf("cannot lower the file size limit: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
			t.Errorf("restore the file size limit: %v", err)
		}
	})
}
