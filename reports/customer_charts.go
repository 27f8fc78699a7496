package reports

// A customer page's charts: the invoice timeline, days late, exposure
// against the credit limit and the open invoices' scores.

import (
	"fmt"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// timelineMax is how many invoices the timeline draws: more would merge
// into one smear; the invoice table lists them all.
const timelineMax = 150

// timeline draws the latest invoices as bars from issue to payment (or to
// the report's date while open), with a tick at the due date.
func (s *Site) timeline(p *page, c *customer) *chart {
	b := s.b
	series := make([][]opts.CustomData, len(timelineStates))
	links := make([][]string, len(timelineStates))
	shown := c.invoices[max(0, len(c.invoices)-timelineMax):]
	sub := "one bar per invoice, oldest at the bottom: issued → paid (or today while open); the black tick is its due date"
	if len(shown) < len(c.invoices) {
		sub = fmt.Sprintf("the latest %d of %s invoices, oldest at the bottom: issued → paid (or today while open); the tick is the due date",
			len(shown), fmtInt(len(c.invoices)))
	}
	for i, v := range shown {
		end := b.asOf
		if v.Paid != 0 {
			end = v.Paid
		}
		st := v.state()
		series[st] = append(series[st], opts.CustomData{Value: []any{v.IssueDate.String(), v.DueDate.String(), end.String(), i, v.ID, units(v.Amount)}})
		links[st] = append(links[st], "#"+invoiceAnchor(v.ID))
	}
	ch := charts.NewCustom()
	title := "Invoices on a timeline"
	ch.SetGlobalOptions(append(frame(title, sub, true, "item"),
		charts.WithXAxisOpts(opts.XAxis{Type: "time", Name: "date", NameLocation: "middle", NameGap: 28}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: "invoices", NameLocation: "end", Min: -1, Max: len(shown),
			AxisLabel: &opts.AxisLabel{Show: opts.Bool(false)}, SplitLine: &opts.SplitLine{Show: opts.Bool(false)}}))...)
	for i, st := range timelineStates {
		ch.AddSeries(st.name, series[i], charts.WithItemStyleOpts(opts.ItemStyle{Color: st.color}))
	}
	h := min(520, max(280, 130+4*len(shown)))
	return p.newChart(ch, title, "Click a bar for the invoice.", h, spec{Kind: "timeline", Links: links, Unit: b.unit()})
}

// daysLate plots how late each settled invoice was paid, and how late the
// open ones are so far.
func (s *Site) daysLate(p *page, c *customer) *chart {
	b := s.b
	names := []string{"paid on time or early", "paid late", "open, overdue so far", "written off"}
	colors := []string{"#3ba272", "#ee6666", "#fc8452", "#9a60b4"}
	pts := make([][]point, len(names))
	links := make([][]string, len(names))
	for _, v := range c.invoices {
		k := -1
		x := v.Paid
		switch {
		case v.WrittenOff > 0:
			k = 3
		case v.Paid != 0 && v.DaysLate <= 0:
			k = 0
		case v.Paid != 0:
			k = 1
		case v.DaysLate > 0:
			k, x = 2, b.asOf
		}
		if k < 0 {
			continue
		}
		pts[k] = append(pts[k], point{X: x.String(), Y: v.DaysLate, Name: v.ID})
		links[k] = append(links[k], "#"+invoiceAnchor(v.ID))
	}
	var series []xySeries
	var ls [][]string
	for i := range names {
		series = append(series, xySeries{Name: names[i], Points: pts[i], Color: colors[i], Size: 7})
		ls = append(ls, links[i])
	}
	return p.xyChart("Days late, invoice by invoice", "settled date against days after the due date (negative: paid early)",
		"settled date", "time", "days after due", "", "daysAxis", "", series, ls, "Click a point for the invoice.", 0)
}

// exposure draws the customer's receivables at each month end against its
// credit limit then.
func (s *Site) exposure(p *page, c *customer) *chart {
	b := s.b
	n := len(b.monthStart)
	ends := make([]datasets.Date, n)
	for i := range ends {
		if i+1 < n {
			ends[i] = b.monthStart[i+1] - 1
		} else {
			ends[i] = b.asOf
		}
	}
	limits, blank := c.creditLimits(ends)
	rec, over, lim := make([]any, n), make([]any, n), make([]any, n)
	off := n - len(c.months)
	for i := range ends {
		rec[i], over[i] = 0.0, 0.0
		if j := i - off; c.months != nil && j >= 0 {
			rec[i], over[i] = units(c.months[j].Receivables.Money()), units(c.months[j].OverdueReceivables.Money())
		}
		if !blank[i] { // no limit recorded: no line, not one at 0
			lim[i] = units(limits[i])
		}
	}
	series := []lineSeries{{Name: "exposure (receivables)", Values: rec, Color: colorMain}, {Name: "of which overdue", Values: over, Color: colorBad},
		{Name: "credit limit", Values: lim, Color: colorMuted, Dashed: true}}
	if adv := s.b.credit[c.ID]; adv != nil && adv.NoRate == "" {
		sug := make([]any, n)
		sug[n-1] = units(adv.Suggested)
		series = append(series, lineSeries{Name: "suggested limit", Values: sug, Color: colorSecond})
	}
	return p.monthLines("Credit limit against exposure", "receivables at each month end and the limit in force then", b.unit(), "money",
		b.monthLabel, series, nil, "")
}

// scoreChart ranks the open invoices by the model's probability of late
// payment.
func (s *Site) scoreChart(p *page, c *customer) *chart {
	var vs []*invoiceView
	for _, v := range c.open {
		if v.score != nil {
			vs = append(vs, v)
		}
	}
	sortByPLate(vs)
	vs = vs[:min(20, len(vs))]
	names := make([]string, len(vs))
	pl, pv := make([]float64, len(vs)), make([]float64, len(vs))
	links := [][]string{make([]string, len(vs)), make([]string, len(vs))}
	for i, v := range vs {
		names[i] = v.ID
		pl[i], pv[i] = round4(v.score.PLate), round4(v.score.PVeryLate)
		links[0][i] = "#" + invoiceAnchor(v.ID)
		links[1][i] = links[0][i]
	}
	return p.ranking("Open invoices by risk of late payment", "the model's probabilities; click a bar for the invoice", "probability", "prob",
		names, []barSeries{{Name: "P(paid late)", Values: pl, Color: agingColors[1]}, {Name: "P(more than 30 days late)", Values: pv, Color: agingColors[4]}}, false, links, "")
}

func round4(v float64) float64 { return float64(int64(v*10000+0.5)) / 10000 }
