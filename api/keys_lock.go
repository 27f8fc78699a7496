//go:build unix

package api

import (
	"fmt"
	"os"
	"syscall"
)

// withKeysLock runs fn holding an exclusive lock on the keys file at path
// (on path+".lock", which outlives the atomic renames of the file itself),
// so that two `dsopilot keys` commands run at once each read the other's
// change before writing theirs instead of overwriting it.
func withKeysLock(path string, fn func() error) error {
	lf, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("keys file lock: %w", err)
	}
	defer lf.Close()
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("keys file lock %s: %w", lf.Name(), err)
	}
	defer syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)
	return fn()
}
