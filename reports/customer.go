package reports

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// invoice states on the customer's timeline, in legend order.
var timelineStates = []struct{ name, color string }{
	{"paid on time", "#3ba272"}, {"paid late", "#ee6666"}, {"open, not yet due", "#5470c6"}, {"open, overdue", "#fc8452"},
	{"written off", "#9a60b4"},
}

// state is an invoice's timeline state (index into timelineStates).
func (v *invoiceView) state() int {
	switch {
	case v.WrittenOff > 0:
		return 4
	case v.isOpen() && v.DaysLate > 0:
		return 3
	case v.isOpen():
		return 2
	case v.DaysLate > 0:
		return 1
	}
	return 0
}

// status says in words where an invoice stands.
func (v *invoiceView) status() string {
	switch v.state() {
	case 3:
		return fmt.Sprintf("open, %s d overdue", fmtInt(v.DaysLate))
	case 2:
		return fmt.Sprintf("open, due in %s d", fmtInt(-v.DaysLate))
	case 1:
		return fmt.Sprintf("paid %s d late", fmtInt(v.DaysLate)) + v.residueNote()
	case 4:
		return "written off " + fmtMoney(v.WrittenOff)
	}
	return "paid on time" + v.residueNote()
}

// residueNote says what was written off an invoice counted paid, if
// anything: its settlement (and so its days late) may be the write-off's.
func (v *invoiceView) residueNote() string {
	if v.residue <= 0 {
		return ""
	}
	return ", " + fmtMoney(v.residue) + " written off"
}

// history lists what happened to an invoice, oldest first.
func (s *Site) history(v *invoiceView) []string {
	type ev struct {
		d    datasets.Date
		text string
	}
	var evs []ev
	for _, p := range v.payments {
		evs = append(evs, ev{p.Date, fmt.Sprintf("%s payment %s of %s", p.Date, p.ID, fmtMoney(p.Amount))})
	}
	for _, n := range v.credits {
		kind := "credit note"
		if n.Kind == datasets.KindWriteOff {
			kind = "write-off"
		}
		evs = append(evs, ev{n.Date, fmt.Sprintf("%s %s %s of %s %s", n.Date, kind, n.ID, fmtMoney(n.Amount), n.Reason)})
	}
	for _, d := range v.disputes {
		t := fmt.Sprintf("%s dispute %s opened (%s, %s)", d.Opened, d.ID, d.Reason, fmtMoney(d.Amount))
		if d.Resolved != 0 {
			t += fmt.Sprintf(", resolved %s: %s", d.Resolved, d.Outcome)
		}
		evs = append(evs, ev{d.Opened, t})
	}
	for _, p := range v.promises {
		evs = append(evs, ev{p.Made, fmt.Sprintf("%s promise to pay %s by %s: %s", p.Made, fmtMoney(p.Amount), p.PromisedDate, p.Status)})
	}
	for _, a := range v.actions {
		evs = append(evs, ev{a.Date, fmt.Sprintf("%s %s by %s: %s", a.Date, a.Type, a.Channel, a.Outcome)})
	}
	if v.SettledDate != 0 && v.SettledDate <= s.b.asOf {
		evs = append(evs, ev{v.SettledDate, fmt.Sprintf("%s settled", v.SettledDate)})
	}
	// By date; records of one day keep the order above.
	slices.SortStableFunc(evs, func(x, y ev) int { return cmp.Compare(x.d, y.d) })
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.text
	}
	return out
}

// customerPage is one customer: its figures, its invoices on a timeline and
// one by one, its scores, promises, disputes, credit and actions.
func (s *Site) customerPage(c *customer) *page {
	b := s.b
	p := &page{Path: customerPath(c.ID), Title: "Customer " + c.ID, Notes: b.mixedNote(), nav: pathCustomers}
	if c.Name != "" && c.Name != c.ID {
		p.Title += " · " + c.Name
	}
	p.Crumbs = []link{{Text: "Portfolio", Href: p.href(pathIndex)}}
	if sl := b.byName[kindSegment][PathName(c.segment)]; sl != nil {
		p.Crumbs = append(p.Crumbs, link{Text: sl.label(), Href: p.href(slicePath(sl.Slice))})
	}
	p.Crumbs = append(p.Crumbs, link{Text: c.ID})
	limits, blank := c.creditLimits([]datasets.Date{b.asOf})
	facts := []fact{
		{Label: "segment", Value: keyLabel(c.segment), Href: s.sliceHref(p, kindSegment, c.segment)},
		{Label: "country", Value: keyLabel(c.country), Href: s.sliceHref(p, kindCountry, c.country)},
		{Label: "currency", Value: keyLabel(c.Currency), Href: s.sliceHref(p, kindCurrency, c.Currency)},
		{Label: "payment terms", Value: c.terms()},
		{Label: "credit limit", Value: fmtMoney(limits[0]) + " " + b.unit()},
	}
	switch {
	case blank[0]:
		// A blank in the master is no limit recorded, not 0.00 (no credit).
		facts[len(facts)-1].Value = noneRecorded
	case limits[0] <= 0:
		facts[len(facts)-1].Value += " (no credit)"
	}
	if c.Collector != "" {
		facts = append(facts, fact{Label: "collector", Value: c.Collector})
	}
	if c.Channel != "" {
		facts = append(facts, fact{Label: "channel", Value: c.Channel})
	}
	if c.Since != 0 {
		facts = append(facts, fact{Label: "customer since", Value: c.Since.String()})
	}
	p.add(section{Blocks: []block{{Facts: facts}, {Tiles: s.customerTiles(p, c, limits[0], blank[0])}}})
	var cs []*chart
	if len(c.invoices) > 0 {
		cs = append(cs, s.timeline(p, c), s.daysLate(p, c))
	}
	cs = append(cs, s.exposure(p, c))
	if c.open != nil && b.scores > 0 {
		cs = append(cs, s.scoreChart(p, c))
	}
	p.add(section{ID: "charts", Title: "Payment behaviour", Blocks: []block{{Charts: cs}}})
	p.add(s.nextActionSection(c))
	p.add(s.creditSection(p, c))
	p.add(s.scoreSection(p, c))
	p.add(s.invoiceSection(p, c))
	p.add(s.promiseSection(p, c))
	p.add(s.customerDisputes(p, c))
	p.add(s.actionSection(p, c))
	return p
}

// sliceHref links to a slice's page when it exists.
func (s *Site) sliceHref(p *page, kind, key string) string {
	if sl := s.b.byName[kind][PathName(key)]; sl != nil {
		return p.href(slicePath(sl.Slice))
	}
	return ""
}

// terms are the customer's payment terms: its master's, or, when the
// master has none (customers derived from a cleared-items export), its
// invoices', said to be theirs, as the credit workflow sizes its need on
// them; NET0 would say it pays cash.
func (c *customer) terms() string {
	if c.Terms != (datasets.Terms{}) {
		return c.Terms.String()
	}
	days := make([]int, len(c.invoices))
	for i, v := range c.invoices {
		days[i] = int(v.DueDate - v.IssueDate)
	}
	if t := datasets.TermsOfDays(days); t.N > 0 {
		return t.String()
	}
	return "none in the customer master"
}

// noneRecorded is a blank credit limit in words (no limit recorded): 0.00
// would read as no credit.
const noneRecorded = "none recorded"

func (s *Site) customerTiles(p *page, c *customer, limit datasets.Money, blank bool) []tile {
	b := s.b
	kept, broken, pending := 0, 0, 0
	for _, pr := range c.promises {
		switch pr.Status {
		case datasets.PromiseKept:
			kept++
		case datasets.PromiseBroken:
			broken++
		default:
			pending++
		}
	}
	late := "n/a"
	if c.settled12 > 0 {
		late = fmtFloat(100*float64(c.late12)/float64(c.settled12), 1) + " %"
	}
	// A limit of 0, or none in the master, is no credit, as the credit
	// workflow reads it (all that is owed is over it, and its flags may
	// hold orders), never "no limit".
	util := "limit 0: no credit"
	if c.receivables > 0 {
		util += ", all of it over the limit"
	}
	switch {
	case blank:
		// No limit recorded: nothing is used of it, nothing over it (its
		// debt is flagged no_limit).
		util = "credit limit " + noneRecorded
	case limit > 0:
		util = fmtFloat(100*float64(c.receivables)/float64(limit), 0) + " % of the credit limit"
	}
	open := "#invoice-list"
	if b.scores > 0 {
		open = "#scores"
	}
	tiles := []tile{
		{Label: "Receivables", Value: fmtWhole(c.receivables), Unit: b.unit(), Sub: fmtInt(len(c.open)) + " open invoices · " + util, Href: open},
		{Label: "Overdue", Value: fmtWhole(c.overdue), Unit: b.unit(), Href: open},
		countbackTile(c.now, "#invoice-list"),
		{Label: "Late rate, 12 months", Value: late, Sub: fmt.Sprintf("%s of %s settled late", fmtInt(c.late12), fmtInt(c.settled12)), Href: "#invoice-list"},
		{Label: "Open disputes", Value: fmtInt(len(openDisputes(c.disputes, b.asOf))), Sub: fmtInt(len(c.disputes)) + " in all", Href: "#disputes"},
		{Label: "Promises kept", Value: fmtInt(kept), Sub: fmt.Sprintf("%s broken · %s open", fmtInt(broken), fmtInt(pending)), Href: "#promises"},
	}
	if b.scores > 0 {
		tiles = append(tiles, tile{Label: "Amount at risk", Value: fmtWhole(c.risk), Unit: b.unit(), Sub: "open × P(90+ overdue or written off)", Href: "#scores"})
	}
	return tiles
}

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
	if adv := s.b.credit[c.ID]; adv != nil {
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

// nextActionSection shows the recommender's next action for the customer.
func (s *Site) nextActionSection(c *customer) section {
	b := s.b
	sec := section{ID: "next-action", Title: "Next best action"}
	if b.in.Collections == nil {
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "na", Text: "Not available yet: the recommended next dunning action " +
			"appears here once dsopilot's recommender is part of the report. The actions taken so far are listed below."}})
		return sec
	}
	if n := b.notes["worklist"]; n != "" {
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "warn", Text: n}})
		return sec
	}
	acts := b.nextActions(c.ID)
	if len(acts) == 0 {
		kept := b.keptOffList(c.ID)
		if len(kept) == 0 {
			sec.Blocks = append(sec.Blocks, block{Note: &note{Text: "Nothing to do for this customer on the next working day after " + b.asOf.String() + "."}})
			return sec
		}
		// Something is overdue, and a rule says why it is not on the list.
		for _, k := range kept {
			what := "kept from any contact"
			if k.Action != "" {
				what = k.Action + " deferred"
			}
			sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "warn", Text: fmt.Sprintf("Not on the next working day's list: %s (%s), %s %s at stake: %s.",
				what, k.Rule, fmtMoney(k.Amount), b.unit(), k.Detail)}})
		}
		return sec
	}
	for _, a := range acts {
		sec.Blocks = append(sec.Blocks, block{Facts: actionFacts(a, b.unit())})
	}
	return sec
}

// actionFacts describes a recommended action.
func actionFacts(a NextAction, unit string) []fact {
	f := []fact{
		{Label: "action", Value: fmt.Sprintf("%s by %s on %s", a.Type, a.Channel, a.Date)},
		{Label: "invoices", Value: fmt.Sprintf("%s (%s %s)", strings.Join(a.InvoiceIDs, ", "), fmtMoney(a.Amount), unit)},
	}
	// Zeros here would read as "measured, worth nothing": a list that
	// follows the scenario for want of randomised history has neither.
	if a.Valued {
		f = append(f, fact{Label: "expected value", Value: fmtMoney(a.Value) + " " + unit})
	} else {
		f = append(f, fact{Label: "expected value", Value: "not measured: the scenario's step"})
	}
	if a.HasUplift {
		f = append(f, fact{Label: "estimated uplift", Value: fmt.Sprintf("%+.1f points (%.1f to %.1f)", 100*a.Uplift, 100*a.UpliftLo, 100*a.UpliftHi)})
	} else {
		f = append(f, fact{Label: "estimated uplift", Value: "not measured"})
	}
	if a.Step != "" {
		f = append(f, fact{Label: "scenario step", Value: a.Step})
	}
	if a.Blocked != "" {
		f = append(f, fact{Label: "kept off the list", Value: a.Blocked})
	}
	if a.Holdout {
		f = append(f, fact{Label: "holdout", Value: "a randomised alternative, kept to measure effects"})
	}
	for _, r := range a.Reasons {
		f = append(f, fact{Label: "why", Value: r})
	}
	return f
}

// creditSection shows the credit-limit suggestion and flags, and the
// limit's history.
func (s *Site) creditSection(p *page, c *customer) section {
	b := s.b
	sec := section{ID: "credit", Title: "Credit limit"}
	switch adv := b.credit[c.ID]; {
	case b.notes["credit"] != "":
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "warn", Text: b.notes["credit"]}})
	case b.in.Credit == nil:
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "na", Text: "Not available yet: the suggested credit limit and the " +
			"order-block flags appear here once dsopilot's credit suggestions are part of the report. The limit's history is below."}})
	case adv == nil:
		sec.Blocks = append(sec.Blocks, block{Note: &note{Text: "No credit-limit suggestion for this customer."}})
	default:
		current := fmtMoney(adv.Current) + " " + b.unit()
		if adv.LimitNotRecorded {
			current = noneRecorded
		}
		f := []fact{{Label: "current limit", Value: current},
			{Label: "exposure", Value: fmtMoney(adv.Exposure) + " " + b.unit()},
			{Label: "suggested limit", Value: fmtMoney(adv.Suggested) + " " + b.unit()},
			{Label: "credit risk class (by the probability of default within a year)", Value: adv.RiskClass}}
		if adv.Review != 0 {
			f = append(f, fact{Label: "review by", Value: adv.Review.String()})
		}
		for _, r := range adv.Reasons {
			f = append(f, fact{Label: "why", Value: r})
		}
		sec.Blocks = append(sec.Blocks, block{Facts: f})
		t := &table{Caption: "Order-block flags", Empty: "no flag", Cols: []col{{Title: "flag"}, {Title: "amount", Num: true}, {Title: "reason"}, {Title: "expected resolution"}}}
		for _, fl := range adv.Flags {
			t.Rows = append(t.Rows, row{Cells: []cell{txt(fl.Kind), num(fmtMoney(fl.Amount)), txt(fl.Reason), txt(fl.Resolution)}})
		}
		sec.Blocks = append(sec.Blocks, block{Table: t})
	}
	t := &table{Caption: "Credit decisions", Empty: "no decision recorded", Cols: []col{{Title: "date"}, {Title: "old limit", Num: true},
		{Title: "new limit", Num: true}, {Title: "reason"}, {Title: "decided by"}}}
	for _, d := range c.decisions {
		old := num(fmtMoney(d.OldLimit))
		if d.OldLimitBlank {
			old = txt(noneRecorded)
		}
		t.Rows = append(t.Rows, row{Cells: []cell{txt(d.Date.String()), old, num(fmtMoney(d.NewLimit)), txt(d.Reason), txt(d.DecidedBy)}})
	}
	sec.Blocks = append(sec.Blocks, block{Table: t})
	return sec
}

// scoreSection lists each open invoice's scores and reasons.
func (s *Site) scoreSection(p *page, c *customer) section {
	b := s.b
	sec := section{ID: "scores", Title: "Open invoices: scores and reasons"}
	if b.scores == 0 {
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "na", Text: "No scores: " + b.scoreErr + "."}})
		return sec
	}
	t := &table{ID: "open-invoices", Empty: "no open invoice", Cols: []col{{Title: "invoice"}, {Title: "due"}, {Title: "open", Num: true},
		{Title: "P(late)", Num: true}, {Title: "P(1–30 d late)", Num: true}, {Title: "P(more than 30 d late)", Num: true},
		{Title: "P(90+ or written off)", Num: true}, {Title: "expected payment (P10 – P90)"}, {Title: "why"}}}
	vs := append([]*invoiceView(nil), c.open...)
	sortByPLate(vs)
	for _, v := range vs {
		sc := v.score
		if sc == nil {
			t.Rows = append(t.Rows, row{Cells: []cell{ln(v.ID, "#"+invoiceAnchor(v.ID)), txt(v.DueDate.String()), num(fmtMoney(v.Open)),
				txt("not scored"), txt(""), txt(""), txt(""), txt(""), txt("")}})
			continue
		}
		p90 := ""
		if sc.PDefault90 != nil {
			p90 = fmtFloat(100**sc.PDefault90, 1) + " %"
		}
		pay := "beyond 13 weeks"
		if sc.PayDate == 0 && sc.PayDateP10 != 0 {
			// Some chance of payment within the horizon, not an even one.
			pay = fmt.Sprintf("beyond 13 weeks (P10 %s)", sc.PayDateP10)
		}
		if sc.PayDate != 0 {
			pay = fmt.Sprintf("%s (%s – %s)", sc.PayDate, orBeyond(sc.PayDateP10), orBeyond(sc.PayDateP90))
		}
		var reasons []string
		for _, r := range sc.Reasons {
			reasons = append(reasons, r.Text)
		}
		// A customer without history is described by the model's own
		// cold-start reason, with the prior it was scored on.
		why := cell{Text: strings.Join(reasons, "; ")}
		t.Rows = append(t.Rows, row{Cells: []cell{ln(v.ID, "#"+invoiceAnchor(v.ID)), txt(v.DueDate.String()), num(fmtMoney(v.Open)),
			num(fmtFloat(100*sc.PLate, 1) + " %"), num(fmtFloat(100*sc.PLate1To30, 1) + " %"), num(fmtFloat(100*sc.PVeryLate, 1) + " %"),
			num(p90), txt(pay), why}})
	}
	sec.Blocks = append(sec.Blocks, block{Table: t})
	return sec
}

func orBeyond(d datasets.Date) string {
	if d == 0 {
		return "later"
	}
	return d.String()
}

// invoiceSection lists every invoice; each row is the invoice's anchor.
func (s *Site) invoiceSection(p *page, c *customer) section {
	b := s.b
	t := &table{ID: "invoices", Empty: "no invoice issued by " + b.asOf.String(), Cols: []col{{Title: "invoice"}, {Title: "issued"}, {Title: "due"},
		{Title: "amount", Num: true}, {Title: "currency"}, {Title: "open", Num: true}, {Title: "status"}, {Title: "paid"}, {Title: "history"}}}
	for i := len(c.invoices) - 1; i >= 0; i-- {
		v := c.invoices[i]
		var d *details
		if h := s.history(v); len(h) > 0 {
			d = &details{Summary: fmt.Sprintf("%d events", len(h)), Items: h}
		}
		st := cell{Text: v.status()}
		if v.state() == 3 || v.state() == 1 || v.state() == 4 {
			st.Class = "bad"
		}
		paid := ""
		switch {
		case v.WrittenOff > 0:
			paid = "written off " + v.Paid.String()
		case v.Paid != 0:
			paid = v.Paid.String()
		}
		t.Rows = append(t.Rows, row{ID: invoiceAnchor(v.ID), Cells: []cell{txt(v.ID), txt(v.IssueDate.String()), txt(v.DueDate.String()),
			num(fmtMoney(v.Amount)), txt(v.Currency), num(fmtMoney(v.Open)), st, txt(paid), {Details: d}}})
	}
	return section{ID: "invoice-list", Title: fmt.Sprintf("Invoices (%s)", fmtInt(len(c.invoices))),
		Lead: "Newest first. Amounts in " + b.unit() + "; the currency column is the invoice's own.", Blocks: []block{{Table: t}}}
}

func (s *Site) promiseSection(p *page, c *customer) section {
	t := &table{ID: "promise-list", Empty: "no promise to pay", Cols: []col{{Title: "made"}, {Title: "promised for"}, {Title: "amount", Num: true},
		{Title: "invoice"}, {Title: "status"}}}
	for i := len(c.promises) - 1; i >= 0; i-- {
		pr := c.promises[i]
		inv := txt(pr.InvoiceID)
		if _, ok := s.b.invByID[pr.InvoiceID]; ok {
			inv = ln(pr.InvoiceID, "#"+invoiceAnchor(pr.InvoiceID))
		}
		st := txt(pr.Status)
		if pr.Status == datasets.PromiseBroken {
			st.Class = "bad"
		}
		t.Rows = append(t.Rows, row{Cells: []cell{txt(pr.Made.String()), txt(pr.PromisedDate.String()), num(fmtMoney(pr.Amount)), inv, st}})
	}
	return section{ID: "promises", Title: "Promises to pay", Blocks: []block{{Table: t}}}
}

func (s *Site) customerDisputes(p *page, c *customer) section {
	return section{ID: "disputes", Title: "Disputes", Blocks: []block{{Table: s.disputeTable(p, "", c.disputes, false)}}}
}

func (s *Site) actionSection(p *page, c *customer) section {
	t := &table{ID: "action-list", Empty: "no dunning action taken", Cols: []col{{Title: "date"}, {Title: "action"}, {Title: "channel"},
		{Title: "outcome"}, {Title: "invoice"}, {Title: "chosen by"}}}
	for i := len(c.actions) - 1; i >= 0; i-- {
		a := c.actions[i]
		inv := txt(a.InvoiceID)
		if _, ok := s.b.invByID[a.InvoiceID]; ok {
			inv = ln(a.InvoiceID, "#"+invoiceAnchor(a.InvoiceID))
		}
		t.Rows = append(t.Rows, row{Cells: []cell{txt(a.Date.String()), txt(a.Type), txt(a.Channel), txt(a.Outcome), inv, txt(a.Policy)}})
	}
	return section{ID: "actions", Title: fmt.Sprintf("Actions taken (%s)", fmtInt(len(c.actions))), Blocks: []block{{Table: t}}}
}
