package main

import (
	"errors"
	"fmt"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/recommender"
)

// checkPromotedCutoff refuses the promoted model b (nil: none, nothing to
// check) of serve or report when it was trained after the last day their
// answers may know of: day less lag. serve's worklist of the served day
// knows the day before (lag 1); report's pages know their --as-of (lag 0).
// day is the --as-of day, or zero when none was given: serve then serves
// the wall clock's day, today, which is checked the same way at start (it
// was not checked at all, so a model trained after yesterday scored
// today's worklist). The one check of serve, with and without --as-of,
// and report.
func checkPromotedCutoff(cmd string, b *model.Bundle, day datasets.Date, lag int, today datasets.Date) error {
	given := day != 0
	if !given {
		day = today
	}
	err := recommender.CheckModelKnownBy(b, day.AddDays(-lag))
	if err == nil {
		return nil
	}
	var mc *recommender.ModelCutoffError
	if !errors.As(err, &mc) {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	if given {
		return modelCutoffUsageOr(cmd, lag, "", err)
	}
	known := ""
	if lag != 0 {
		known = fmt.Sprintf(" (what was known by the end of %s)", mc.Known)
	}
	return fmt.Errorf("%w: %s: the served day, today %s%s, is before the promoted model's training cut-off %s: the model learnt from what happened after it "+
		"(a point-in-time leak); promote a model trained by %s (models promote ID)",
		errUsage, cmd, day, known, mc.Cutoff, mc.Known)
}
