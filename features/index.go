package features

import (
	"cmp"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
)

// Index is a ledger arranged for point-in-time queries: every record of a
// customer together, each list sorted by date. Build it once and query it as
// of many dates; it never changes after NewIndex.
type Index struct {
	customers []*customerIndex
	byID      map[string]*customerIndex
	// disputesKnown is false when the ledger has no dispute records at all
	// (a cleared-items export); the invoices' disputed flag then stands in
	// for the dispute history.
	disputesKnown bool
}

type customerIndex struct {
	c        datasets.Customer
	invoices []datasets.Invoice // by issue date, then id
	// per invoice (same order as invoices): linked payments and credit
	// notes, each sorted by date.
	invPayments [][]datasets.Payment
	invCredits  [][]datasets.CreditNote
	payments    []datasets.Payment // all of the customer's, by date
	disputes    []datasets.Dispute
	actions     []datasets.Action
	promises    []datasets.Promise
	decisions   []datasets.CreditDecision // by date, then id
	// invDisputes maps an invoice position to its disputes.
	invDisputes map[int][]datasets.Dispute
}

// NewIndex arranges l for feature computation. Records of customers missing
// from l.Customers get a bare customer, so nothing is dropped.
func NewIndex(l *datasets.Ledger) *Index {
	ix := &Index{byID: make(map[string]*customerIndex, len(l.Customers)), disputesKnown: len(l.Disputes) > 0}
	get := func(id string) *customerIndex {
		c, ok := ix.byID[id]
		if !ok {
			c = &customerIndex{c: datasets.Customer{ID: id}}
			ix.byID[id] = c
		}
		return c
	}
	for _, c := range l.Customers {
		get(c.ID).c = c
	}
	for _, v := range l.Invoices {
		c := get(v.CustomerID)
		c.invoices = append(c.invoices, v)
	}
	for _, p := range l.Payments {
		c := get(p.CustomerID)
		c.payments = append(c.payments, p)
	}
	for _, d := range l.Disputes {
		get(d.CustomerID).disputes = append(get(d.CustomerID).disputes, d)
	}
	for _, a := range l.Actions {
		get(a.CustomerID).actions = append(get(a.CustomerID).actions, a)
	}
	for _, p := range l.Promises {
		get(p.CustomerID).promises = append(get(p.CustomerID).promises, p)
	}
	for _, d := range l.CreditDecisions {
		get(d.CustomerID).decisions = append(get(d.CustomerID).decisions, d)
	}
	credits := map[string][]datasets.CreditNote{}
	for _, n := range l.CreditNotes {
		if n.InvoiceID != "" {
			credits[n.InvoiceID] = append(credits[n.InvoiceID], n)
		}
	}
	for _, c := range ix.byID {
		ix.customers = append(ix.customers, c)
		c.finish(credits)
	}
	slices.SortFunc(ix.customers, func(a, b *customerIndex) int { return cmp.Compare(a.c.ID, b.c.ID) })
	return ix
}

func (c *customerIndex) finish(credits map[string][]datasets.CreditNote) {
	slices.SortFunc(c.invoices, func(a, b datasets.Invoice) int {
		return cmp.Or(cmp.Compare(a.IssueDate, b.IssueDate), cmp.Compare(a.ID, b.ID))
	})
	slices.SortFunc(c.payments, func(a, b datasets.Payment) int {
		return cmp.Or(cmp.Compare(a.Date, b.Date), cmp.Compare(a.ID, b.ID))
	})
	slices.SortFunc(c.decisions, func(a, b datasets.CreditDecision) int {
		return cmp.Or(cmp.Compare(a.Date, b.Date), cmp.Compare(a.ID, b.ID))
	})
	pos := make(map[string]int, len(c.invoices))
	for i, v := range c.invoices {
		pos[v.ID] = i
	}
	c.invPayments = make([][]datasets.Payment, len(c.invoices))
	c.invCredits = make([][]datasets.CreditNote, len(c.invoices))
	for _, p := range c.payments {
		if i, ok := pos[p.InvoiceID]; ok && p.InvoiceID != "" {
			c.invPayments[i] = append(c.invPayments[i], p)
		}
	}
	for i, v := range c.invoices {
		c.invCredits[i] = credits[v.ID]
	}
	c.invDisputes = map[int][]datasets.Dispute{}
	for _, d := range c.disputes {
		if i, ok := pos[d.InvoiceID]; ok {
			c.invDisputes[i] = append(c.invDisputes[i], d)
		}
	}
}

// outstanding is what is still owed on invoice i at the end of day t: zero
// once it is settled, else its amount less the payments and credit notes
// linked to it by then, never below zero. Only defined for issued invoices.
func (c *customerIndex) outstanding(i int, t datasets.Date) datasets.Money {
	v := &c.invoices[i]
	if v.SettledDate != 0 && v.SettledDate <= t {
		return 0
	}
	left := v.Amount
	for _, p := range c.invPayments[i] {
		if p.Date <= t {
			left -= p.Amount
		}
	}
	for _, n := range c.invCredits[i] {
		if n.Date <= t {
			left -= n.Amount
		}
	}
	return max(left, 0)
}

// disputedAt reports whether invoice i has a dispute open at the end of day t.
func (ix *Index) disputedAt(c *customerIndex, i int, t datasets.Date) bool {
	if !ix.disputesKnown {
		return c.invoices[i].Disputed
	}
	for _, d := range c.invDisputes[i] {
		if d.Opened <= t && (d.Resolved == 0 || d.Resolved > t) {
			return true
		}
	}
	return false
}

// creditLimitAt is the limit in force at the end of day t: the newest
// decision by then; before the first decision, that decision's old limit;
// with no decisions, the customer master's limit.
func (c *customerIndex) creditLimitAt(t datasets.Date) datasets.Money {
	limit := c.c.CreditLimit
	for i, d := range c.decisions {
		if d.Date > t {
			if i == 0 {
				limit = d.OldLimit
			}
			break
		}
		limit = d.NewLimit
	}
	return limit
}

// OpenDisputes returns the customer's disputes open at the end of day t
// (opened by t, not resolved by t), oldest first; when invoiceID is not
// empty, only that invoice's. Reason codes quote them ("open dispute since
// 12 March"), so only what was known at t is returned.
func (ix *Index) OpenDisputes(customerID, invoiceID string, t datasets.Date) []datasets.Dispute {
	if ix == nil {
		return nil
	}
	c, ok := ix.byID[customerID]
	if !ok {
		return nil
	}
	var out []datasets.Dispute
	for _, d := range c.disputes {
		if d.Opened <= t && (invoiceID == "" || d.InvoiceID == invoiceID) && (d.Resolved == 0 || d.Resolved > t) {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b datasets.Dispute) int {
		return cmp.Or(cmp.Compare(a.Opened, b.Opened), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// InvoicesIssued counts the invoices issued in [from, to].
func (ix *Index) InvoicesIssued(from, to datasets.Date) int {
	n := 0
	for _, c := range ix.customers {
		for i := range c.invoices {
			if d := c.invoices[i].IssueDate; d >= from && d <= to {
				n++
			}
		}
	}
	return n
}
