package reports

// A customer page's invoices: each one's state on the timeline and in
// words, its history, and the tables of invoices, promises, disputes and
// actions.

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
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
