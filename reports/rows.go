package reports

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
)

// sortByRisk orders customers by amount at risk, largest first.
func sortByRisk(cs []*customer) {
	slices.SortStableFunc(cs, func(x, y *customer) int {
		return cmp.Or(cmp.Compare(y.risk, x.risk), cmp.Compare(x.ID, y.ID))
	})
}

// invoiceCols are the columns of an invoice list.
func (s *Site) invoiceCols(withCustomer bool) []col {
	cols := []col{{Title: "invoice"}}
	if withCustomer {
		cols = append(cols, col{Title: "customer"})
	}
	cols = append(cols, col{Title: "issued"}, col{Title: "due"}, col{Title: "amount", Num: true}, col{Title: "open", Num: true},
		col{Title: "days past due", Num: true}, col{Title: "paid"})
	if s.b.scores > 0 {
		cols = append(cols, col{Title: "P(late)", Num: true}, col{Title: "at risk", Num: true})
	}
	return append(cols, col{Title: "dispute"})
}

// invoiceRow is one invoice in a list; its id links to its row on the
// customer's page.
func (s *Site) invoiceRow(p *page, v *invoiceView, withCustomer bool) row {
	cells := []cell{ln(v.ID, p.href(invoicePath(v.CustomerID, v.ID)))}
	if withCustomer {
		cells = append(cells, ln(customerLabel(v.cust), p.href(customerPath(v.CustomerID))))
	}
	due := ""
	if v.isOpen() && v.DaysLate > 0 {
		due = fmtInt(v.DaysLate)
	}
	paid := ""
	switch {
	case v.WrittenOff > 0:
		paid = fmt.Sprintf("written off %s: %s", v.Paid, fmtMoney(v.WrittenOff))
	case v.Paid != 0:
		paid = v.Paid.String()
		if v.DaysLate > 0 {
			paid += fmt.Sprintf(" (%s d late)", fmtInt(v.DaysLate))
		}
		paid += v.residueNote()
	}
	cells = append(cells, txt(v.IssueDate.String()), txt(v.DueDate.String()), num(fmtMoney(v.Amount)), num(fmtMoney(v.Open)),
		cell{Text: due, Class: "num" + map[bool]string{true: " bad"}[v.DaysLate > 30 && v.isOpen()]}, txt(paid))
	if s.b.scores > 0 {
		pl, risk := "", ""
		if v.score != nil {
			pl, risk = fmtFloat(100*v.score.PLate, 1)+" %", fmtMoney(v.risk)
		}
		cells = append(cells, num(pl), num(risk))
	}
	disp := ""
	if open := openDisputes(v.disputes, s.b.asOf); len(open) > 0 {
		disp = "open: " + open[0].Reason
	} else if len(v.disputes) > 0 {
		disp = "resolved"
	} else if v.flaggedOnly() {
		disp = "flagged in the ledger"
	}
	return row{Cells: append(cells, txt(disp))}
}

// invoiceTable lists invoices with a total line.
func (s *Site) invoiceTable(p *page, id, caption string, vs []*invoiceView, withCustomer bool) *table {
	t := &table{ID: id, Caption: caption, Cols: s.invoiceCols(withCustomer), Empty: "none"}
	var amount, open, risk datasets.Money
	for _, v := range vs {
		t.Rows = append(t.Rows, s.invoiceRow(p, v, withCustomer))
		amount += v.Amount
		open += v.Open
		risk += v.risk
	}
	if len(vs) > 0 {
		cells := []cell{txt(plural(len(vs), "invoice", "invoices"))}
		if withCustomer {
			cells = append(cells, txt(""))
		}
		cells = append(cells, txt(""), txt(""), num(fmtMoney(amount)), num(fmtMoney(open)), txt(""), txt(""))
		if s.b.scores > 0 {
			cells = append(cells, txt(""), num(fmtMoney(risk)))
		}
		t.Total = &row{Class: "total", Cells: append(cells, txt(""))}
	}
	return t
}

// rowsPage lists the rows behind a slice's figures: the open invoices by
// age, and the invoices issued and settled in the headline month.
func (s *Site) rowsPage(sl *slice) *page {
	b := s.b
	p := &page{Path: rowsPath(sl.Slice), Title: "Rows behind the figures: " + sl.label(), Notes: b.mixedNote(), nav: pathIndex}
	p.Crumbs = []link{{Text: "Portfolio", Href: p.href(pathIndex)}}
	if sl.Kind != kindPortfolio {
		p.Crumbs = append(p.Crumbs, link{Text: sl.label(), Href: p.href(slicePath(sl.Slice))})
	}
	p.Crumbs = append(p.Crumbs, link{Text: "rows"})
	period := periodLabel(sl.now)
	p.Lead = fmt.Sprintf("The invoices that make the figures of %s: open at %s (receivables, overdue, aging, DSO), issued in %s (invoiced) and settled in %s (late rate, days to pay).",
		sl.label(), b.asOf, period, period)
	var byBucket [5][]*invoiceView
	var sums [5]datasets.Money
	for _, v := range sl.open {
		byBucket[v.bucket()] = append(byBucket[v.bucket()], v)
		sums[v.bucket()] += v.Open
	}
	var tiles []tile
	for i := 4; i >= 0; i-- {
		tiles = append(tiles, tile{Label: bucketNames[i], Value: fmtWhole(sums[i]), Unit: b.unit(),
			Sub: plural(len(byBucket[i]), "invoice", "invoices"), Href: "#aging-" + bucketIDs[i]})
	}
	p.add(section{ID: "open", Title: fmt.Sprintf("Open invoices at %s: %s", b.asOf, fmtInt(len(sl.open))),
		Lead: "Receivables are the open amounts; the aging tiles jump to each bucket.", Blocks: []block{{Tiles: tiles}}})
	over := section{ID: "overdue", Title: "Overdue"}
	for i := 4; i >= 1; i-- {
		over.Blocks = append(over.Blocks, block{Table: s.invoiceTable(p, "aging-"+bucketIDs[i], bucketNames[i]+" past due", byBucket[i], true)})
	}
	p.add(over)
	p.add(section{ID: "current", Title: "Current (not yet due)", Blocks: []block{{Table: s.invoiceTable(p, "aging-"+bucketIDs[0], "not yet due", byBucket[0], true)}}})
	p.add(section{ID: "issued", Title: "Issued in " + period, Blocks: []block{{Table: s.invoiceTable(p, "", "", sl.issued, true)}}})
	p.add(section{ID: "settled", Title: "Settled in " + period, Lead: "Latest first by days late; an invoice settled after its due date counts in the late rate. " +
		"One mostly written off counts there too but not in the days to pay, and is shown written off, not paid.",
		Blocks: []block{{Table: s.invoiceTable(p, "", "", sl.settled, true)}}})
	return p
}
