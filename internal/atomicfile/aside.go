package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// SetAside renames a saved file that cannot be read to name.bad, so that
// the next save does not overwrite what a person may still recover, and
// returns err saying so (wrapped).
func SetAside(name string, err error) error {
	if rerr := os.Rename(name, name+".bad"); rerr != nil {
		return fmt.Errorf("%w (not set aside: %v)", err, rerr)
	}
	return fmt.Errorf("%w (set aside as %s.bad)", err, filepath.Base(name))
}
