package api

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// A store that stays unreadable is logged once per new error and once a
// minute while it lasts, not at every poll (a locked embedded store wrote
// "snapshot not rebuilt" every 2 s), and its recovery is logged once.
func TestAStoreThatStaysUnreadableIsLoggedOncePerErrorAndMinute(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	locked, down := errors.New("store locked by pid 7"), errors.New("connection refused")
	var f rebuildFailures
	for _, step := range []struct {
		at   time.Duration
		err  error // nil: rebuilt
		want string
	}{
		{0, locked, "attempts=1"},
		{2 * time.Second, locked, ""},
		{58 * time.Second, locked, ""},
		{61 * time.Second, locked, "attempts=4"},
		{63 * time.Second, down, "connection refused"},
		{65 * time.Second, down, ""},
		{67 * time.Second, nil, "after_failed_attempts=6"},
		{69 * time.Second, nil, ""},
		{71 * time.Second, locked, "attempts=1"},
	} {
		buf.Reset()
		if step.err != nil {
			f.failed(log, t0.Add(step.at), step.err)
		} else {
			f.rebuilt(log)
		}
		got := strings.TrimSpace(buf.String())
		switch {
		case step.want == "" && got != "":
			t.Errorf("at %s: logged %q, want nothing", step.at, got)
		case step.want != "" && !strings.Contains(got, step.want):
			t.Errorf("at %s: logged %q, want it to say %q", step.at, got, step.want)
		}
	}
}
