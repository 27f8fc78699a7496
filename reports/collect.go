package reports

import (
	"context"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// sources asks the optional parts for their data once; a part that fails
// leaves a note on its page instead of stopping the report.
func (b *book) sources(ctx context.Context) {
	start := time.Now()
	took := func(part string) {
		b.in.Log.Debug("report: "+part, "seconds", time.Since(start).Seconds())
		start = time.Now()
	}
	if f := b.in.Forecast; f != nil {
		if p, ok := f.(interface {
			prefetch(ctx context.Context, asOf datasets.Date, kinds []string)
		}); ok {
			var kinds []string
			for _, s := range b.allSlices() {
				kinds = append(kinds, s.Kind)
			}
			p.prefetch(ctx, b.asOf, kinds)
		}
		for _, s := range b.allSlices() {
			fc, err := f.Forecast(ctx, b.asOf, s.Slice)
			if err != nil {
				b.notes["forecast"] = "the cash forecast failed: " + err.Error()
				break
			}
			if fc != nil {
				b.forecasts[s.Slice] = fc
			}
		}
		snaps, err := f.Snapshots(ctx, b.asOf)
		if err != nil {
			b.notes["snapshots"] = "past forecasts could not be read: " + err.Error()
		}
		b.snapshots = snaps
		took("forecasts")
	}
	if c := b.in.Collections; c != nil {
		w, err := c.Worklist(ctx, b.asOf)
		if err != nil {
			b.notes["worklist"] = "the worklist failed: " + err.Error()
		}
		b.worklist = w
		e, err := c.Effects(ctx, b.asOf)
		if err != nil {
			b.notes["effects"] = "no measured action effects: " + err.Error()
		}
		b.effects = e
		took("worklist and effects")
	}
	if c := b.in.Credit; c != nil {
		adv, err := c.Credit(ctx, b.asOf)
		if err != nil {
			b.notes["credit"] = "the credit-limit suggestions failed: " + err.Error()
		}
		for i := range adv {
			b.credit[adv[i].CustomerID] = &adv[i]
		}
		took("credit advice")
	}
}

// nextActions returns the worklist's actions for one customer.
func (b *book) nextActions(customerID string) []NextAction {
	var out []NextAction
	for _, a := range b.worklist {
		if a.CustomerID == customerID {
			out = append(out, a)
		}
	}
	return out
}

// creditLimits is the limit in force at the end of each day in days: the
// newest decision by then; before the first decision, that decision's old
// limit; with none, the customer master's limit.
func (c *customer) creditLimits(days []datasets.Date) []datasets.Money {
	out := make([]datasets.Money, len(days))
	j := 0
	limit := c.CreditLimit
	if len(c.decisions) > 0 {
		limit = c.decisions[0].OldLimit
	}
	for i, d := range days {
		for j < len(c.decisions) && c.decisions[j].Date <= d {
			limit = c.decisions[j].NewLimit
			j++
		}
		out[i] = limit
	}
	return out
}
