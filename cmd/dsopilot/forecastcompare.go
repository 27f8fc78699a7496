package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/dsopilot/dsopilot/model/forecast"
)

// printCompareTotal prints a comparison's total over the snapshot's weeks
// against the snapshot's band of it: each line's P10/P50/P90, mean and
// what came in, and, once every week is complete, whether it lies within
// P10–P90. A snapshot saved before snapshots kept the band is said to
// have none, not shown zeros.
func printCompareTotal(w io.Writer, c *forecast.Comparison, g func(forecast.Money) string) error {
	span := fmt.Sprintf("%d-week total", len(c.Weeks))
	t := c.Total
	if !c.TotalKept || t == nil {
		fmt.Fprintf(w, "%s: total band not kept by this snapshot (saved before snapshots kept it; a snapshot saved now keeps it)\n", span)
		return nil
	}
	switch t.Status {
	case "complete":
		fmt.Fprintf(w, "%s, all %d weeks complete, against its band (the percentiles of the simulated paths' sums):\n", span, t.Weeks)
	case "partial":
		fmt.Fprintf(w, "%s: %d of %d weeks complete, received so far; judged against its band once week %d ends (%s):\n",
			span, t.Complete, t.Weeks, t.Weeks, c.Weeks[len(c.Weeks)-1].End)
	default:
		fmt.Fprintf(w, "%s: pending, the ledger has not reached week 1; its band:\n", span)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tP10\tP50\tP90\tmean\treceived\twithin P10-P90\t")
	for _, l := range []struct {
		name string
		line forecast.ComparedLine
	}{{"open book", t.Open}, {"new business", t.New}, {"open + new", t.All}} {
		b := l.line.Band
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", l.name, g(b.P10), g(b.P50), g(b.P90), g(b.Mean), g(l.line.Actual), positionText(l.line.Position))
	}
	return tw.Flush()
}

// positionText says where a complete total lies against its band; empty
// before it is complete.
func positionText(p string) string {
	switch p {
	case forecast.PositionWithin:
		return "yes"
	case forecast.PositionBelow:
		return "no, below P10"
	case forecast.PositionAbove:
		return "no, above P90"
	}
	return "-"
}
