package reports

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
)

// sortByPLate orders scored invoices by the probability of late payment,
// highest first (unscored last).
func sortByPLate(vs []*invoiceView) {
	p := func(v *invoiceView) float64 {
		if v.score == nil {
			return -1
		}
		return v.score.PLate
	}
	slices.SortStableFunc(vs, func(x, y *invoiceView) int { return cmp.Or(cmp.Compare(p(y), p(x)), cmp.Compare(x.ID, y.ID)) })
}

// Age buckets of open disputes and of resolution times, in days.
var (
	disputeAges    = []bucketDef{{"0–30 days", 0, 30}, {"31–60 days", 31, 60}, {"61–90 days", 61, 90}, {"over 90 days", 91, 1 << 30}}
	resolutionAges = []bucketDef{{"0–7 days", 0, 7}, {"8–14 days", 8, 14}, {"15–30 days", 15, 30}, {"31–60 days", 31, 60},
		{"61–90 days", 61, 90}, {"over 90 days", 91, 1 << 30}}
)

type bucketDef struct {
	name   string
	lo, hi int
}

func bucketOf(bs []bucketDef, days int) int {
	for i, b := range bs {
		if days >= b.lo && days <= b.hi {
			return i
		}
	}
	return 0
}

// disputeTable lists disputes with their customer and invoice.
func (s *Site) disputeTable(p *page, id string, ds []datasets.Dispute, withCustomer bool) *table {
	b := s.b
	cols := []col{{Title: "dispute"}}
	if withCustomer {
		cols = append(cols, col{Title: "customer"})
	}
	cols = append(cols, col{Title: "invoice"}, col{Title: "opened"}, col{Title: "reason"}, col{Title: "amount", Num: true},
		col{Title: "resolved"}, col{Title: "days", Num: true}, col{Title: "outcome"})
	t := &table{ID: id, Cols: cols, Empty: "no dispute"}
	var sum datasets.Money
	for _, d := range ds {
		cells := []cell{txt(d.ID)}
		if withCustomer {
			if c := b.custByID[d.CustomerID]; c != nil {
				cells = append(cells, ln(customerLabel(c), p.href(customerPath(c.ID))))
			} else {
				cells = append(cells, txt(d.CustomerID))
			}
		}
		inv := txt(d.InvoiceID)
		if v := b.invByID[d.InvoiceID]; v != nil {
			inv = ln(d.InvoiceID, p.href(invoicePath(v.CustomerID, v.ID)))
		}
		resolved, days := "open", int(b.asOf-d.Opened)
		if d.Resolved != 0 {
			resolved, days = d.Resolved.String(), int(d.Resolved-d.Opened)
		}
		cells = append(cells, inv, txt(d.Opened.String()), txt(d.Reason), num(fmtMoney(d.Amount)), txt(resolved), num(fmtInt(days)), txt(d.Outcome))
		t.Rows = append(t.Rows, row{Cells: cells})
		sum += d.Amount
	}
	if len(ds) > 0 {
		cells := []cell{txt(plural(len(ds), "dispute", "disputes"))}
		if withCustomer {
			cells = append(cells, txt(""))
		}
		t.Total = &row{Class: "total", Cells: append(cells, txt(""), txt(""), txt(""), num(fmtMoney(sum)), txt(""), txt(""), txt(""))}
	}
	return t
}

// disputesPage is the dispute report: reasons, amounts, how long
// resolution takes, and the open disputes by age.
func (s *Site) disputesPage() *page {
	b := s.b
	t := b.asOf
	p := &page{Path: pathDisputes, Title: "Disputes", Notes: b.mixedNote(), nav: pathDisputes,
		Lead: "Contested invoices: why, for how much, how long they take to resolve, and what is still open at " + t.String() + "."}
	p.Crumbs = []link{{Text: "Portfolio", Href: p.href(pathIndex)}, {Text: "Disputes"}}
	yearAgo := t.AddDays(-365)
	var open, resolved []datasets.Dispute
	var openSum datasets.Money
	resDays := 0
	for _, d := range b.disputes {
		if d.Resolved == 0 {
			open = append(open, d)
			openSum += d.Amount
		} else if d.Resolved > yearAgo {
			resolved = append(resolved, d)
			resDays += int(d.Resolved - d.Opened)
		}
	}
	avg := "n/a"
	if len(resolved) > 0 {
		avg = fmtFloat(float64(resDays)/float64(len(resolved)), 1)
	}
	// Without dispute records, the open invoices flagged disputed.
	var flagged []*invoiceView
	var sum datasets.Money
	for _, c := range b.customers {
		for _, v := range c.open {
			if v.flaggedOnly() {
				flagged = append(flagged, v)
				sum += v.Open
			}
		}
	}
	openTile := tile{Label: "Open disputes", Value: fmtInt(len(open)), Sub: fmtWhole(openSum) + " " + b.unit() + " contested", Href: "#open"}
	if len(flagged) > 0 {
		openTile = tile{Label: "Open invoices flagged disputed", Value: fmtInt(len(flagged)), Sub: fmtWhole(sum) + " " + b.unit() + " open", Href: "#open"}
	}
	k := b.portfolio.now
	p.add(section{ID: "figures", Blocks: []block{{Tiles: []tile{
		openTile,
		{Label: "Resolved, last 12 months", Value: fmtInt(len(resolved)), Href: "#resolved"},
		{Label: "Days to resolve", Value: avg, Unit: "days", Sub: "mean over the last 12 months", Href: "#resolved"},
		{Label: "Dispute rate", Value: fmtShare(k.DisputeRate), Sub: "disputes opened per invoice issued, " + periodLabel(k)},
	}}}})
	if len(b.disputes) == 0 {
		if len(flagged) == 0 {
			p.add(section{Blocks: []block{{Note: &note{Class: "na", Text: "The ledger records no dispute by " + t.String() + "."}}}})
			return p
		}
		// An ERP export flags disputed invoices without dispute records:
		// no dates or reasons, but the worklist routes them to dispute
		// handling, so the page lists them rather than saying "none".
		p.add(section{ID: "open", Title: "Open invoices flagged disputed", Blocks: []block{
			{Note: &note{Text: fmt.Sprintf("The ledger records no dispute, but its invoices carry a disputed flag: %s open, %s %s. "+
				"The flag has no date or reason, so the figures above that need them stay empty; the worklist routes these invoices to dispute handling.",
				plural(len(flagged), "invoice", "invoices"), fmtMoney(sum), b.unit())}},
			{Table: s.invoiceTable(p, "flagged", "open invoices flagged disputed, by customer", flagged, true)}}})
		return p
	}
	// By reason: open and resolved amounts.
	reasons := map[string]int{}
	var names []string
	for _, d := range b.disputes {
		if _, ok := reasons[d.Reason]; !ok {
			reasons[d.Reason] = len(names)
			names = append(names, d.Reason)
		}
	}
	slices.Sort(names)
	for i, n := range names {
		reasons[n] = i
	}
	openAmt, resAmt := make([]float64, len(names)), make([]float64, len(names))
	openBy := make([][]datasets.Dispute, len(names))
	for _, d := range b.disputes {
		i := reasons[d.Reason]
		if d.Resolved == 0 {
			openAmt[i] += units(d.Amount)
			openBy[i] = append(openBy[i], d)
		} else {
			resAmt[i] += units(d.Amount)
		}
	}
	labels := make([]string, len(names))
	links := [][]string{make([]string, len(names)), make([]string, len(names))}
	for i, n := range names {
		labels[i] = keyLabel(n)
		links[0][i] = "#reason-" + PathName(n)
		links[1][i] = "#resolved"
	}
	byReason := p.ranking("Disputed amounts by reason", "every dispute opened by "+t.String()+"; click for the disputes", b.unit(), "money", labels,
		[]barSeries{{Name: "open", Values: openAmt, Color: colorBad}, {Name: "resolved", Values: resAmt, Color: colorMuted}}, true, links, "")
	// Resolution time.
	resCount := make([]float64, len(resolutionAges))
	resBy := make([][]datasets.Dispute, len(resolutionAges))
	for _, d := range resolved {
		i := bucketOf(resolutionAges, int(d.Resolved-d.Opened))
		resCount[i]++
		resBy[i] = append(resBy[i], d)
	}
	ageCount, ageAmt := make([]float64, len(disputeAges)), make([]float64, len(disputeAges))
	ageBy := make([][]datasets.Dispute, len(disputeAges))
	for _, d := range open {
		i := bucketOf(disputeAges, int(t-d.Opened))
		ageCount[i]++
		ageAmt[i] += units(d.Amount)
		ageBy[i] = append(ageBy[i], d)
	}
	bucketNamesOf := func(bs []bucketDef) []string {
		out := make([]string, len(bs))
		for i, bd := range bs {
			out[i] = bd.name
		}
		return out
	}
	anchors := func(prefix string, n int) [][]string {
		out := [][]string{make([]string, n)}
		for i := range n {
			out[0][i] = fmt.Sprintf("#%s-%d", prefix, i)
		}
		return out
	}
	resChart := p.stackedBars("How long disputes take to resolve", "disputes resolved in the last 12 months, by days from opening to resolution",
		"days to resolve", "disputes", "int", bucketNamesOf(resolutionAges), []barSeries{{Name: "disputes", Values: resCount, Color: colorMain}},
		false, anchors("res", len(resolutionAges)), "")
	ageChart := p.stackedBars("Open disputes by age", "amount still contested at "+t.String()+", by days since the dispute was opened",
		"age of the dispute", b.unit(), "money", bucketNamesOf(disputeAges), []barSeries{{Name: "amount", Values: ageAmt, Color: colorBad}},
		false, anchors("age", len(disputeAges)), "")
	// Opened per month by reason.
	n := len(b.monthStart)
	monthly := make([]barSeries, len(names))
	for i, nm := range names {
		monthly[i] = barSeries{Name: keyLabel(nm), Values: make([]float64, n)}
	}
	for _, d := range b.disputes {
		if m := b.monthIndex(d.Opened); m >= 0 {
			monthly[reasons[d.Reason]].Values[m]++
		}
	}
	trend := p.stackedBars("Disputes opened per month", "by reason", "month", "disputes", "int", b.monthLabel, monthly, true, nil, "")
	p.add(section{ID: "charts", Title: "Reasons, resolution and age", Blocks: []block{{Charts: []*chart{byReason, ageChart, resChart, trend}}}})

	openSec := section{ID: "open", Title: fmt.Sprintf("Open disputes at %s, oldest first", t)}
	for i := len(disputeAges) - 1; i >= 0; i-- {
		ds := ageBy[i]
		slices.SortFunc(ds, func(x, y datasets.Dispute) int {
			return cmp.Or(cmp.Compare(x.Opened, y.Opened), cmp.Compare(x.ID, y.ID))
		})
		tab := s.disputeTable(p, fmt.Sprintf("age-%d", i), ds, true)
		tab.Caption = "open for " + disputeAges[i].name
		openSec.Blocks = append(openSec.Blocks, block{Table: tab})
	}
	p.add(openSec)
	reasonSec := section{ID: "by-reason", Title: "Open disputes by reason"}
	for i, nm := range names {
		tab := s.disputeTable(p, "reason-"+PathName(nm), openBy[i], true)
		tab.Caption = keyLabel(nm)
		reasonSec.Blocks = append(reasonSec.Blocks, block{Table: tab})
	}
	p.add(reasonSec)
	resSec := section{ID: "resolved", Title: "Resolved in the last 12 months, by time to resolve"}
	for i := len(resolutionAges) - 1; i >= 0; i-- {
		tab := s.disputeTable(p, fmt.Sprintf("res-%d", i), resBy[i], true)
		tab.Caption = "resolved in " + resolutionAges[i].name
		resSec.Blocks = append(resSec.Blocks, block{Table: tab})
	}
	p.add(resSec)
	return p
}

// monthIndex is the history month d falls in, or -1.
func (b *book) monthIndex(d datasets.Date) int {
	if d > b.asOf || len(b.monthStart) == 0 || d < b.monthStart[0] {
		return -1
	}
	i, found := slices.BinarySearch(b.monthStart, d)
	if !found {
		i--
	}
	return i
}
