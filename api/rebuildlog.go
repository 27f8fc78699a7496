package api

import (
	"log/slog"
	"time"
)

// rebuildFailures keeps the log of a store that stays unreadable (an
// embedded store another process holds, a ClickHouse server down) to one
// line per new error and one a minute while it lasts, instead of one every
// poll; and says when the snapshot is rebuilt again.
type rebuildFailures struct {
	n      int // failed attempts since the last rebuild
	last   string
	logged time.Time
}

// failLogEvery is how often an unchanged rebuild error is logged again.
const failLogEvery = time.Minute

func (f *rebuildFailures) failed(log *slog.Logger, now time.Time, err error) {
	f.n++
	if msg := err.Error(); msg != f.last || now.Sub(f.logged) >= failLogEvery {
		log.Warn("snapshot not rebuilt", "err", err, "attempts", f.n)
		f.last, f.logged = msg, now
	}
}

func (f *rebuildFailures) rebuilt(log *slog.Logger) {
	if f.n > 0 {
		log.Info("snapshot rebuilt", "after_failed_attempts", f.n)
	}
	*f = rebuildFailures{}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
