package clock

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// kernelSynced reads the kernel's NTP status with adjtimex (modes 0: read
// only, no privilege needed) and reports whether STA_UNSYNC is clear.
func kernelSynced() (bool, error) {
	var tx unix.Timex
	if _, err := unix.Adjtimex(&tx); err != nil {
		return false, fmt.Errorf("clock: adjtimex: %w", err)
	}
	return tx.Status&unix.STA_UNSYNC == 0, nil
}
