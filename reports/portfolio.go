package reports

import (
	"fmt"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// topN is how many customers the ranking charts show.
const topN = 15

// periodLabel names a KPI period: a whole month as "December 2024", a
// part of one as "1–15 December 2024".
func periodLabel(k features.KPIs) string {
	from, err1 := time.Parse(time.DateOnly, k.From)
	to, err2 := time.Parse(time.DateOnly, k.To)
	if err1 != nil || err2 != nil {
		return k.From + " – " + k.To
	}
	switch {
	case from.Day() == 1 && to.AddDate(0, 0, 1).Day() == 1 && from.Month() == to.Month() && from.Year() == to.Year():
		return to.Format("January 2006")
	case from.Month() == to.Month() && from.Year() == to.Year():
		return fmt.Sprintf("%d–%d %s", from.Day(), to.Day(), to.Format("January 2006"))
	case from.Year() == to.Year():
		return fmt.Sprintf("%s – %s", from.Format("2 January"), to.Format("2 January 2006"))
	}
	return fmt.Sprintf("%s – %s", from.Format("2 January 2006"), to.Format("2 January 2006"))
}

// sliceTiles are a slice's headline figures, each linked to the rows
// behind it.
func (s *Site) sliceTiles(p *page, sl *slice) []tile {
	b := s.b
	k := sl.now
	rows := p.href(rowsPath(sl.Slice))
	period := periodLabel(k)
	cur := b.unit()
	tiles := []tile{
		{Label: "Receivables", Value: fmtWhole(k.Receivables.Money()), Unit: cur, Sub: plural(len(sl.open), "open invoice", "open invoices") + netSub(&k),
			Href: rows + "#open", Title: "Everything still owed at the end of " + b.asOf.String() + netTitle(&k)},
		{Label: "Overdue", Value: fmtWhole(k.OverdueReceivables.Money()), Unit: cur, Sub: fmtShare(k.OverdueRatio) + " of receivables",
			Href: rows + "#overdue", Title: "Receivables past their due date"},
		{Label: "DSO", Value: fmtOpt(k.DSO, ""), Unit: "days", Sub: period, Href: rows + "#open",
			Title: "Receivables at the period end ÷ invoiced in the period × days"},
		countbackTile(k, rows+"#open"),
		{Label: "Best-possible DSO", Value: fmtOpt(k.BestPossibleDSO, ""), Unit: "days", Sub: period, Href: rows + "#current",
			Title: "Current (not yet due) receivables ÷ invoiced × days"},
		{Label: "Average days delinquent", Value: fmtOpt(k.ADD, ""), Unit: "days", Sub: "DSO − best-possible DSO", Href: rows + "#overdue"},
		{Label: "CEI", Value: fmtOpt(k.CEI, ""), Unit: "%", Sub: "collection effectiveness, " + period, Href: rows + "#settled",
			Title: "(opening + invoiced − receivables) ÷ (opening + invoiced − current receivables)"},
		{Label: "Late rate", Value: fmtShare(k.LateRate), Sub: fmt.Sprintf("%s of %s settled late", fmtInt(k.InvoicesSettledLate), fmtInt(k.InvoicesSettled)),
			Href: rows + "#settled"},
		{Label: "Average days to pay", Value: fmtOpt(k.AvgDaysToPay, ""), Unit: "days", Sub: daysToPaySub(&k), Href: rows + "#settled",
			Title: "Mean of settled date − issue date over the invoices settled in the period, those mostly written off left out"},
		{Label: "Invoiced", Value: fmtWhole(k.Invoiced.Money()), Unit: cur, Sub: fmtInt(k.InvoicesIssued) + " invoices, " + period, Href: rows + "#issued"},
		collectedTile(k, cur, period),
	}
	if b.scores > 0 {
		tiles = append(tiles, tile{Label: "Amount at risk", Value: fmtWhole(sl.risk), Unit: cur, Sub: "open × P(90+ overdue or written off)",
			Href: rows + "#open", Title: "Each open invoice's open amount times the model's probability that it ends 90+ days overdue or written off"})
	}
	return tiles
}

// collectedTile is the Collected tile: the payments received, or on a
// ledger without payment records (a cleared-items export) what the
// settlements cleared, labelled as such: never a 0 for want of payments.
func collectedTile(k features.KPIs, cur, period string) tile {
	t := tile{Label: "Collected", Value: fmtWhole(k.Collected.Money()), Unit: cur, Sub: "payments received, " + period}
	if k.CollectedBasis == features.CollectedCleared {
		t.Sub = "cleared by settlements, " + period
		t.Title = "The ledger has no payment records: the amounts the invoices settled in the period still owed " +
			"when cleared, whether by cash, credit or write-off"
	}
	return t
}

// trendCharts are a slice's month-by-month charts: DSO, CEI and late
// rate, aging. The last month's points link to the rows behind them.
func (s *Site) trendCharts(p *page, sl *slice) []*chart {
	b := s.b
	n := len(sl.months)
	dso, cb, best, cei, late := make([]any, n), make([]any, n), make([]any, n), make([]any, n), make([]any, n)
	aging := make([]barSeries, 5)
	for i := range aging {
		aging[i] = barSeries{Name: bucketNames[i], Values: make([]float64, n), Color: agingColors[i]}
	}
	for i, m := range sl.months {
		dso[i], cb[i], best[i] = optVal(m.DSO, 1), optVal(m.CountbackDSO, 1), optVal(m.BestPossibleDSO, 1)
		cei[i], late[i] = optVal(m.CEI, 1), optVal(m.LateRate, 100)
		ag := m.Aging
		for j, v := range []features.KPIMoney{ag.Current, ag.Days1To30, ag.Days31To60, ag.Days61To90, ag.Over90} {
			aging[j].Values[i] = units(v.Money())
		}
	}
	rows := p.href(rowsPath(sl.Slice))
	lastLink := func(series int, anchors ...string) [][]string {
		out := make([][]string, series)
		for i := range out {
			out[i] = make([]string, n)
			out[i][n-1] = rows + "#" + anchors[min(i, len(anchors)-1)]
		}
		return out
	}
	months := b.monthLabel[len(b.monthLabel)-n:]
	agingAnchors := make([]string, 5)
	for i := range agingAnchors {
		agingAnchors[i] = "aging-" + bucketIDs[i]
	}
	return []*chart{
		p.monthLines("DSO, countback DSO and best-possible DSO", "month by month; click the last month for its open invoices", "days", "days", months,
			[]lineSeries{{Name: "DSO", Values: dso, Color: colorMain}, {Name: "countback DSO", Values: cb, Color: colorSecond},
				{Name: "best-possible DSO", Values: best, Color: colorThird, Dashed: true}}, lastLink(3, "open", "open", "current"),
			"The gap between DSO and best-possible DSO is the days lost to late payment."),
		p.monthLines("CEI and late rate", "collection effectiveness index and share of invoices settled after due", "%", "pct", months,
			[]lineSeries{{Name: "CEI", Values: cei, Color: colorMain}, {Name: "late rate", Values: late, Color: colorBad}},
			lastLink(2, "settled"), "CEI near 100 % means what could be collected was collected."),
		p.stackedBars("Aging of receivables by month", "receivables at each month end by days past due; click a bar of the last month for its invoices",
			"month end", b.unit(), "money", months, aging, true, lastLink(5, agingAnchors...), ""),
	}
}

// customerRanking charts the customers with the most overdue and at risk.
func (s *Site) customerRanking(p *page, cs []*customer) []*chart {
	b := s.b
	ranked := rankCustomers(cs)
	top := ranked[:min(topN, len(ranked))]
	for len(top) > 0 && top[len(top)-1].overdue == 0 {
		top = top[:len(top)-1]
	}
	var out []*chart
	if len(top) > 0 {
		names := make([]string, len(top))
		series := make([]barSeries, 4)
		for i := range series {
			series[i] = barSeries{Name: bucketNames[i+1], Values: make([]float64, len(top)), Color: agingColors[i+1]}
		}
		links := make([][]string, 4)
		for i, c := range top {
			names[i] = customerLabel(c)
			for _, v := range c.open {
				if bk := v.bucket(); bk > 0 {
					series[bk-1].Values[i] += units(v.Open)
				}
			}
			for j := range links {
				links[j] = append(links[j], p.href(customerPath(c.ID)))
			}
		}
		out = append(out, p.ranking("Top customers by overdue amount", "overdue receivables by days past due; click a bar for the customer",
			b.unit(), "money", names, series, true, links, ""))
	}
	if b.scores > 0 {
		risky := make([]*customer, 0, len(cs))
		for _, c := range cs {
			if c.risk > 0 {
				risky = append(risky, c)
			}
		}
		sortByRisk(risky)
		risky = risky[:min(topN, len(risky))]
		names := make([]string, len(risky))
		vals := make([]float64, len(risky))
		links := [][]string{make([]string, len(risky))}
		for i, c := range risky {
			names[i], vals[i], links[0][i] = customerLabel(c), units(c.risk), p.href(customerPath(c.ID))
		}
		if len(risky) > 0 {
			out = append(out, p.ranking("Top customers by risk", "amount at risk: open amount × probability of ending 90+ days overdue or written off",
				b.unit(), "money", names, []barSeries{{Name: "amount at risk", Values: vals, Color: colorBad}}, false, links, ""))
		}
	}
	return out
}

// customerLabel names a customer on a chart axis.
func customerLabel(c *customer) string {
	if c.Name != "" && c.Name != c.ID {
		return truncate(c.Name, 28) + " (" + c.ID + ")"
	}
	return c.ID
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// dimensionChart ranks the slices of one kind by receivables, current and
// overdue; a click opens the slice.
func (s *Site) dimensionChart(p *page, kind, title string) *chart {
	b := s.b
	sls := b.dims[kind]
	names := make([]string, len(sls))
	cur, over := make([]float64, len(sls)), make([]float64, len(sls))
	links := [][]string{make([]string, len(sls)), make([]string, len(sls))}
	for i, sl := range sls {
		names[i] = keyLabel(sl.Key)
		cur[i], over[i] = units(sl.now.CurrentReceivables.Money()), units(sl.now.OverdueReceivables.Money())
		links[0][i] = p.href(slicePath(sl.Slice))
		links[1][i] = links[0][i]
	}
	return p.ranking(title, "at "+b.asOf.String()+"; click a bar to open the "+kind, b.unit(), "money", names,
		[]barSeries{{Name: "current", Values: cur, Color: agingColors[0]}, {Name: "overdue", Values: over, Color: agingColors[3]}}, true, links, "")
}

// dimensionTable lists the slices of one kind with their headline KPIs.
func (s *Site) dimensionTable(p *page, kind, title string) *table {
	b := s.b
	t := &table{ID: "by-" + kind, Caption: title, Cols: []col{{Title: kind}, {Title: "receivables", Num: true}, {Title: "overdue", Num: true},
		{Title: "DSO", Num: true}, {Title: "best-possible DSO", Num: true}, {Title: "CEI", Num: true}, {Title: "late rate", Num: true},
		{Title: "open invoices", Num: true}, {Title: "rows", Num: true}}}
	for _, sl := range b.dims[kind] {
		k := sl.now
		t.Rows = append(t.Rows, row{Cells: []cell{ln(keyLabel(sl.Key), p.href(slicePath(sl.Slice))),
			num(fmtMoney(k.Receivables.Money())), num(fmtMoney(k.OverdueReceivables.Money())), num(fmtOpt(k.DSO, "")),
			num(fmtOpt(k.BestPossibleDSO, "")), num(fmtOpt(k.CEI, "")), num(fmtShare(k.LateRate)), num(fmtInt(len(sl.open))),
			{Text: "open invoices", Href: p.href(rowsPath(sl.Slice)), Class: "num"}}})
	}
	return t
}

// slicePage is the portfolio's page (index.html) or a segment's, country's
// or currency's.
func (s *Site) slicePage(sl *slice) *page {
	b := s.b
	p := &page{Path: slicePath(sl.Slice), Title: sl.label(), Notes: b.mixedNote(), nav: pathIndex}
	if sl.Kind == kindPortfolio {
		p.Title = "Receivables portfolio"
		p.Lead = fmt.Sprintf("%s customers, %s invoices issued by %s. Every figure links to the rows behind it; click a bar or a point to drill down.",
			fmtInt(len(b.customers)), fmtInt(len(b.invByID)), b.asOf)
	} else {
		p.Crumbs = []link{{Text: "Portfolio", Href: p.href(pathIndex)}, {Text: p.Title}}
		p.Lead = fmt.Sprintf("%s customers, %s open invoices. The same indicators as the portfolio, for this %s only.",
			fmtInt(len(sl.customers)), fmtInt(len(sl.open)), sl.Kind)
	}
	k := sl.now
	p.add(section{ID: "figures", Title: "Figures for " + periodLabel(k), Blocks: []block{{Tiles: s.sliceTiles(p, sl)}}})
	p.add(section{ID: "trends", Title: "Trends", Blocks: []block{{Charts: s.trendCharts(p, sl)}}})
	p.add(s.forecastSection(p, sl))
	if sl.Kind == kindPortfolio {
		p.add(section{ID: "slices", Title: "Receivables by segment, country and currency", Blocks: []block{
			{Charts: []*chart{s.dimensionChart(p, kindSegment, "Receivables by segment"), s.dimensionChart(p, kindCountry, "Receivables by country"),
				s.dimensionChart(p, kindCurrency, "Receivables by currency")}},
			{Table: s.dimensionTable(p, kindSegment, "Segments")},
			{Table: s.dimensionTable(p, kindCountry, "Countries")},
			{Table: s.dimensionTable(p, kindCurrency, "Currencies (amounts in "+b.unit()+")")},
		}})
	}
	cs := s.customerRanking(p, sl.customers)
	sec := section{ID: "customers", Title: "Customers", Blocks: []block{{Charts: cs}}}
	if sl.Kind == kindPortfolio {
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "plain", Text: "Every customer, ranked by overdue amount:", Links: []link{{Text: "the customer list", Href: p.href(pathCustomers)}}}})
	} else {
		sec.Blocks = append(sec.Blocks, block{Table: s.customerTable(p, sl.customers, "Customers of this "+sl.Kind+", most overdue first")})
	}
	if b.scoreErr != "" {
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "na", Text: "Risk scores are not shown: " + b.scoreErr + "."}})
	}
	p.add(sec)
	return p
}

// customerTable lists customers with their figures, most overdue first.
func (s *Site) customerTable(p *page, cs []*customer, caption string) *table {
	b := s.b
	t := &table{ID: "customer-list", Caption: caption, Empty: "no customer",
		Cols: []col{{Title: "customer"}, {Title: "name"}, {Title: "segment"}, {Title: "country"}, {Title: "receivables", Num: true},
			{Title: "overdue", Num: true}, {Title: "over 90 days", Num: true}, {Title: "countback DSO", Num: true},
			{Title: "late rate, 12 months", Num: true}, {Title: "at risk", Num: true}, {Title: "open disputes", Num: true}}}
	var tot struct{ rec, over, o90, risk datasets.Money }
	for _, c := range rankCustomers(cs) {
		var o90 datasets.Money
		for _, v := range c.open {
			if v.bucket() == 4 {
				o90 += v.Open
			}
		}
		late := "n/a"
		if c.settled12 > 0 {
			late = fmtFloat(100*float64(c.late12)/float64(c.settled12), 1) + " %"
		}
		risk := "n/a"
		if b.scores > 0 {
			risk = fmtMoney(c.risk)
		}
		t.Rows = append(t.Rows, row{Cells: []cell{ln(c.ID, p.href(customerPath(c.ID))), txt(c.Name), txt(c.segment), txt(c.country),
			num(fmtMoney(c.receivables)), num(fmtMoney(c.overdue)), num(fmtMoney(o90)), num(fmtOpt(c.now.CountbackDSO, "")),
			num(late), num(risk), num(fmtInt(len(openDisputes(c.disputes, b.asOf))))}})
		tot.rec += c.receivables
		tot.over += c.overdue
		tot.o90 += o90
		tot.risk += c.risk
	}
	risk := "n/a"
	if b.scores > 0 {
		risk = fmtMoney(tot.risk)
	}
	t.Total = &row{Class: "total", Cells: []cell{txt("total"), txt(plural(len(cs), "customer", "customers")), txt(""), txt(""), num(fmtMoney(tot.rec)),
		num(fmtMoney(tot.over)), num(fmtMoney(tot.o90)), txt(""), txt(""), num(risk), txt("")}}
	return t
}

// customersPage lists every customer.
func (s *Site) customersPage() *page {
	b := s.b
	p := &page{Path: pathCustomers, Title: "Customers", Notes: b.mixedNote(), nav: pathCustomers,
		Lead: "Every customer known at " + b.asOf.String() + ", most overdue first. Amounts at " + b.asOf.String() + "."}
	p.Crumbs = []link{{Text: "Portfolio", Href: p.href(pathIndex)}, {Text: "Customers"}}
	p.add(section{Blocks: []block{{Table: s.customerTable(p, b.customers, "")}}})
	return p
}

// nothingYet is a page for a ledger with no invoice by the report's date.
func (s *Site) nothingYet(path, title, nav string) *page {
	b := s.b
	p := &page{Path: path, Title: title, nav: nav}
	p.add(section{Blocks: []block{{Note: &note{Class: "na", Text: fmt.Sprintf("Nothing yet: the ledger holds no invoice issued by %s, "+
		"so there is nothing to measure or chart. Import a ledger with dsopilot import, or report as of a later date.", b.asOf)}}}})
	return p
}

// notFound is the 404 page.
func (s *Site) notFound(path, text string) *page {
	p := &page{Path: path, Title: "Not found"}
	if path != pathNotFound {
		// Links must work from wherever the missing page was asked for.
		p.Path = path
	}
	p.add(section{Blocks: []block{{Note: &note{Class: "warn", Text: text,
		Links: []link{{Text: "Back to the portfolio", Href: p.href(pathIndex)}, {Text: "or the customer list", Href: p.href(pathCustomers)}}}}}})
	return p
}

// daysToPaySub says which invoices the average days to pay is over: the
// paid ones, the written-off ones left out (features.KPIs).
func daysToPaySub(k *features.KPIs) string {
	paid := k.InvoicesSettled - k.InvoicesWrittenOff
	s := plural(paid, "invoice", "invoices") + " paid"
	if k.InvoicesWrittenOff > 0 {
		s += ", " + plural(k.InvoicesWrittenOff, "written off", "written off") + " left out"
	}
	return s
}

// netSub is the Receivables tile's note of what the customers hold on
// account, empty when nothing: receivables are gross (features.KPIs), so
// the tile says what they owe once that is taken off.
func netSub(k *features.KPIs) string {
	if k.OnAccount == 0 {
		return ""
	}
	return " · net " + fmtWhole(k.NetReceivables.Money()) + " after what customers hold on account"
}

// netTitle explains netSub in the tile's tooltip.
func netTitle(k *features.KPIs) string {
	if k.OnAccount == 0 {
		return ""
	}
	return fmt.Sprintf("; not netted: on account %s (unapplied cash %s, credit notes on no invoice %s, overpaid invoices %s)", fmtWhole(k.OnAccount.Money()),
		fmtWhole(k.UnappliedCash.Money()), fmtWhole(k.UnappliedCredits.Money()), fmtWhole(k.Overpayments.Money()))
}
