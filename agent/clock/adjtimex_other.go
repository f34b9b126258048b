//go:build !linux

package clock

import "errors"

// kernelSynced has no kernel NTP status to read outside Linux.
func kernelSynced() (bool, error) {
	return false, errors.New("clock: adjtimex: not supported on this system")
}
