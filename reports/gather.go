package reports

import (
	"cmp"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// gather groups what was known at the report's date by customer and invoice.
func (b *book) gather(l *datasets.Ledger) {
	t := b.asOf
	get := b.customer
	for _, c := range l.Customers {
		x := get(c.ID)
		x.Customer = c
		x.Currency = c.Currency
	}
	for i := range l.Invoices {
		v := &l.Invoices[i]
		if v.IssueDate > t {
			continue
		}
		c := get(v.CustomerID)
		iv := &invoiceView{Invoice: *v, cust: c, Currency: v.Currency}
		c.invoices = append(c.invoices, iv)
		b.invByID[v.ID] = iv
	}
	for i := range l.Payments {
		attach(b, &l.Payments[i], l.Payments[i].Date, l.Payments[i].CustomerID, l.Payments[i].InvoiceID,
			func(c *customer, v *invoiceView, p datasets.Payment) {
				c.payments = append(c.payments, p)
				if v != nil {
					v.payments = append(v.payments, p)
				}
			})
	}
	for i := range l.CreditNotes {
		n := &l.CreditNotes[i]
		attach(b, n, n.Date, n.CustomerID, n.InvoiceID, func(c *customer, v *invoiceView, n datasets.CreditNote) {
			c.credits = append(c.credits, n)
			if v != nil {
				v.credits = append(v.credits, n)
			}
		})
	}
	for i := range l.Disputes {
		d := l.Disputes[i]
		if d.Resolved > t {
			d.Resolved, d.Outcome = 0, "" // not known yet at t
		}
		attach(b, &d, d.Opened, d.CustomerID, d.InvoiceID, func(c *customer, v *invoiceView, d datasets.Dispute) {
			c.disputes = append(c.disputes, d)
			b.disputes = append(b.disputes, d)
			if v != nil {
				v.disputes = append(v.disputes, d)
			}
		})
	}
	for i := range l.Actions {
		a := &l.Actions[i]
		attach(b, a, a.Date, a.CustomerID, a.InvoiceID, func(c *customer, v *invoiceView, a datasets.Action) {
			c.actions = append(c.actions, a)
			b.actions = append(b.actions, a)
			if v != nil {
				v.actions = append(v.actions, a)
			}
		})
	}
	for i := range l.Promises {
		p := l.Promises[i]
		if p.PromisedDate >= t {
			p.Status = datasets.PromiseOpen // its outcome is not known at t
		}
		attach(b, &p, p.Made, p.CustomerID, p.InvoiceID, func(c *customer, v *invoiceView, p datasets.Promise) {
			c.promises = append(c.promises, p)
			if v != nil {
				v.promises = append(v.promises, p)
			}
		})
	}
	for i := range l.CreditDecisions {
		d := &l.CreditDecisions[i]
		attach(b, d, d.Date, d.CustomerID, "", func(c *customer, _ *invoiceView, d datasets.CreditDecision) {
			c.decisions = append(c.decisions, d)
		})
		// The first decision after t is not shown, but its old limit was
		// the one in force at t (the master holds the limit it set), as
		// the features and the credit workflow read it.
		if c := b.custByID[d.CustomerID]; c != nil && d.Date > t &&
			(c.next == nil || d.Date < c.next.Date || d.Date == c.next.Date && d.ID < c.next.ID) {
			c.next = d
		}
	}
	b.flagged = features.FactsOf(l).FlagsStandIn(t)
	for _, c := range b.custByID {
		if len(c.invoices) == 0 && len(c.payments) == 0 && len(c.disputes) == 0 && len(c.actions) == 0 {
			if c.Since == 0 || c.Since > t {
				// Nothing known about it yet: not part of the book.
				delete(b.custByID, c.ID)
				continue
			}
		}
		b.customers = append(b.customers, c)
		b.custByPN[PathName(c.ID)] = c
		c.finish(t)
	}
	slices.SortFunc(b.customers, func(x, y *customer) int { return cmp.Compare(x.ID, y.ID) })
	slices.SortFunc(b.disputes, func(x, y datasets.Dispute) int {
		return cmp.Or(cmp.Compare(x.Opened, y.Opened), cmp.Compare(x.ID, y.ID))
	})
	slices.SortFunc(b.actions, func(x, y datasets.Action) int {
		return cmp.Or(cmp.Compare(x.Date, y.Date), cmp.Compare(x.ID, y.ID))
	})
}

// customer returns the customer with the id, a bare one when the ledger
// has records of a customer missing from its customer master.
func (b *book) customer(id string) *customer {
	c, ok := b.custByID[id]
	if !ok {
		c = &customer{b: b, Customer: datasets.Customer{ID: id}}
		b.custByID[id] = c
	}
	return c
}

// attach hands a record known by the report's date (dated on or before it)
// to add with its customer and, when it names one of the customer's
// invoices issued by then, that invoice (else nil).
func attach[T any](b *book, rec *T, date datasets.Date, customerID, invoiceID string, add func(*customer, *invoiceView, T)) {
	if date > b.asOf {
		return
	}
	var v *invoiceView
	if x, ok := b.invByID[invoiceID]; ok && invoiceID != "" && x.CustomerID == customerID {
		v = x
	}
	add(b.customer(customerID), v, *rec)
}

// finish sorts a customer's records and works out each invoice's state at t.
func (c *customer) finish(t datasets.Date) {
	byDate := func(x, y *invoiceView) int {
		return cmp.Or(cmp.Compare(x.IssueDate, y.IssueDate), cmp.Compare(x.ID, y.ID))
	}
	slices.SortFunc(c.invoices, byDate)
	slices.SortFunc(c.payments, func(x, y datasets.Payment) int { return cmp.Or(cmp.Compare(x.Date, y.Date), cmp.Compare(x.ID, y.ID)) })
	slices.SortFunc(c.credits, func(x, y datasets.CreditNote) int {
		return cmp.Or(cmp.Compare(x.Date, y.Date), cmp.Compare(x.ID, y.ID))
	})
	slices.SortFunc(c.disputes, func(x, y datasets.Dispute) int {
		return cmp.Or(cmp.Compare(x.Opened, y.Opened), cmp.Compare(x.ID, y.ID))
	})
	slices.SortFunc(c.actions, func(x, y datasets.Action) int { return cmp.Or(cmp.Compare(x.Date, y.Date), cmp.Compare(x.ID, y.ID)) })
	slices.SortFunc(c.promises, func(x, y datasets.Promise) int { return cmp.Or(cmp.Compare(x.Made, y.Made), cmp.Compare(x.ID, y.ID)) })
	slices.SortFunc(c.decisions, func(x, y datasets.CreditDecision) int {
		return cmp.Or(cmp.Compare(x.Date, y.Date), cmp.Compare(x.ID, y.ID))
	})
	c.segment, c.country = c.Segment, c.Country
	for i := len(c.invoices) - 1; i >= 0 && (c.segment == "" || c.country == ""); i-- {
		v := c.invoices[i]
		if c.segment == "" {
			c.segment = v.Segment
		}
		if c.country == "" {
			c.country = v.Country
		}
	}
	if c.Currency == "" && len(c.invoices) > 0 {
		c.Currency = c.invoices[len(c.invoices)-1].Currency
	}
	yearAgo := t.AddDays(-365)
	for _, v := range c.invoices {
		v.segment, v.country, v.currency = cmp.Or(v.Segment, c.Segment), cmp.Or(v.Country, c.Country), cmp.Or(v.Currency, c.Currency)
		v.Open = v.outstanding(t)
		switch {
		case v.Open > 0:
			v.DaysLate = int(t - v.DueDate)
			c.open = append(c.open, v)
			c.receivables += v.Open
			if v.DaysLate > 0 {
				c.overdue += v.Open
			}
		case v.SettledDate != 0 && v.SettledDate <= t:
			v.Paid = v.SettledDate
		default:
			// Paid or credited in full without a settled date: the last
			// record that brought it to zero.
			v.Paid = v.IssueDate
			for _, p := range v.payments {
				v.Paid = max(v.Paid, p.Date)
			}
			for _, n := range v.credits {
				v.Paid = max(v.Paid, n.Date)
			}
		}
		if v.Paid != 0 {
			v.DaysLate = int(v.Paid - v.DueDate)
			if wo := v.writtenOff(); v.MostlyWrittenOff(v.credits) {
				v.WrittenOff = wo
			} else {
				v.residue = wo
			}
			if v.SettledDate != 0 && v.SettledDate <= t && v.SettledDate > yearAgo {
				c.settled12++
				if v.SettledDate > v.DueDate {
					c.late12++
				}
			}
		}
	}
}

// outstanding is what is owed on v at the end of day t, with the
// definition the KPIs use (features.KPIs): zero once settled, else the
// amount less the linked payments and credit notes by t, never below zero.
// A test holds the sum of it equal to the KPIs' receivables.
func (v *invoiceView) outstanding(t datasets.Date) datasets.Money {
	if v.SettledDate != 0 && v.SettledDate <= t {
		return 0
	}
	left := v.Amount
	for _, p := range v.payments {
		left -= p.Amount
	}
	for _, n := range v.credits {
		left -= n.Amount
	}
	return max(left, 0)
}

// writtenOff is the amount write-off notes took off a settled invoice by
// its settlement; whether that makes it written off rather than paid is
// the one rule the KPIs and training use (datasets.Invoice.MostlyWrittenOff).
// Its credits are those known by the report's date, so no later note counts.
func (v *invoiceView) writtenOff() datasets.Money {
	var sum datasets.MoneySum
	for _, n := range v.credits {
		if n.Kind == datasets.KindWriteOff && n.Date <= v.SettledDate {
			sum.Add(n.Amount)
		}
	}
	t, err := sum.Total()
	if err != nil {
		return v.Amount // an overflowing sum: at least all of it
	}
	return t
}

// openDisputes are the disputes among ds still open at the end of day t.
func openDisputes(ds []datasets.Dispute, t datasets.Date) []datasets.Dispute {
	var out []datasets.Dispute
	for _, d := range ds {
		if d.Opened <= t && (d.Resolved == 0 || d.Resolved > t) {
			out = append(out, d)
		}
	}
	return out
}
