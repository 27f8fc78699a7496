//go:build !unix

package api

// withKeysLock runs fn. Without flock, two `dsopilot keys` commands run at
// the same moment can lose one change; the service targets Unix.
func withKeysLock(path string, fn func() error) error { return fn() }
