package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// progress draws one status line for a long job (import, training,
// backtest) on stderr: the stage, how much of it is done, the rate and the
// time left. It draws only when stderr is a terminal and --quiet was not
// given, at most ten times a second, and never on stdout, which carries the
// commands' data. A nil *progress is valid and draws nothing.
//
// Packages report progress through callbacks of the shape
// func(stage string, done, total int64); Func adapts the renderer to one.
type progress struct {
	w   io.Writer
	now func() time.Time

	mu     sync.Mutex
	stage  string
	start  time.Time // of the stage
	drawn  time.Time
	shown  bool
	closed bool
}

// progressEvery is the least time between two redraws.
const progressEvery = 100 * time.Millisecond

// newProgress returns the renderer for e, or nil when it must stay silent.
func newProgress(e env, quiet bool) *progress {
	if quiet || !e.stderrTTY {
		return nil
	}
	return &progress{w: e.stderr, now: time.Now}
}

// Func returns a callback reporting done of total units (total <= 0 when
// unknown) for a stage, for the hooks of long-running packages.
func (p *progress) Func(unit string) func(stage string, done, total int64) {
	return func(stage string, done, total int64) { p.Update(stage, unit, done, total) }
}

// Update shows that done of total units of stage are done. A new stage
// restarts the rate and the estimate. Safe for concurrent use.
func (p *progress) Update(stage, unit string, done, total int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	now := p.now()
	if stage != p.stage {
		p.stage, p.start = stage, now
	} else if now.Sub(p.drawn) < progressEvery && (total <= 0 || done < total) {
		return
	}
	p.drawn = now
	p.shown = true
	fmt.Fprint(p.w, "\r\x1b[K"+progressLine(stage, unit, done, total, now.Sub(p.start)))
}

// Done clears the line, so that what follows on stderr starts clean.
func (p *progress) Done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	p.shown, p.closed = false, true
}

// progressLine formats "stage  512,340 of 983,782 rows (52%)  1.2M rows/s
// 0:03 left".
func progressLine(stage, unit string, done, total int64, elapsed time.Duration) string {
	var b strings.Builder
	b.WriteString(stage)
	b.WriteString("  ")
	b.WriteString(datasets.GroupInt(done))
	if total > 0 {
		fmt.Fprintf(&b, " of %s %s (%d%%)", datasets.GroupInt(total), unit, min(100, 100*done/total))
	} else {
		b.WriteString(" " + unit)
	}
	if s := elapsed.Seconds(); s >= 0.5 && done > 0 {
		rate := float64(done) / s
		fmt.Fprintf(&b, "  %s %s/s", compact(rate), unit)
		if total > done {
			left := time.Duration(float64(total-done) / rate * float64(time.Second))
			fmt.Fprintf(&b, "  %s left", clock(left))
		}
	}
	return b.String()
}

// compact writes a rate with k or M.
func compact(x float64) string {
	switch {
	case x >= 1e6:
		return fmt.Sprintf("%.1fM", x/1e6)
	case x >= 1e4:
		return fmt.Sprintf("%.0fk", x/1e3)
	case x >= 10:
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.1f", x)
}

// clock writes d as m:ss, or h:mm:ss.
func clock(d time.Duration) string {
	s := int64(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
