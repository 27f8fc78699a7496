package embedded

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// lockHolder names the process holding path's lock, as "pid N: its
// command line", from Linux's /proc/locks (the lock is bolt's flock on the
// file); "" when it cannot tell (another system, or the holder is gone).
// It only serves the message of a store found locked, so that the user
// knows which process to stop.
func lockHolder(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	f, err := os.Open("/proc/locks")
	if err != nil {
		return ""
	}
	defer f.Close()
	// A line: "1: FLOCK  ADVISORY  WRITE 12345 08:01:655361 0 EOF"; a
	// waiting lock has "->" after the number.
	inode := ":" + strconv.FormatUint(st.Ino, 10)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) > 1 && fs[1] == "->" {
			continue
		}
		if len(fs) < 6 || fs[1] != "FLOCK" || !strings.HasSuffix(fs[5], inode) {
			continue
		}
		pid, err := strconv.Atoi(fs[4])
		if err != nil || pid <= 0 {
			continue
		}
		if cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && len(cmd) > 0 {
			return fmt.Sprintf("pid %d: %s", pid, strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " ")))
		}
		return fmt.Sprintf("pid %d", pid)
	}
	return ""
}
