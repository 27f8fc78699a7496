package datasets

import "hash/fnv"

// CreditNoteOwner returns a function giving the customer a credit note of
// l belongs to: its invoice's customer when l holds the invoice, else the
// customer the note names. A note filed under one customer against
// another customer's invoice (an invoice moved between accounts) is its
// invoice's everywhere: the features reduce that invoice by it, a ledger
// read in parts has it in the invoice's part (SplitByCustomer, chstore's
// LoadPart), and the recommender and the credit workflow count a
// write-off against the invoice's customer. Only the invoices the notes
// name are remembered.
func (l *Ledger) CreditNoteOwner() func(*CreditNote) string {
	owner := map[string]string{}
	for i := range l.CreditNotes {
		if id := l.CreditNotes[i].InvoiceID; id != "" {
			owner[id] = ""
		}
	}
	if len(owner) > 0 {
		for i := range l.Invoices {
			if _, named := owner[l.Invoices[i].ID]; named {
				owner[l.Invoices[i].ID] = l.Invoices[i].CustomerID
			}
		}
	}
	return func(n *CreditNote) string {
		if c := owner[n.InvoiceID]; c != "" && n.InvoiceID != "" {
			return c
		}
		return n.CustomerID
	}
}

// SplitByCustomer splits l into n ledgers of whole customers, by a hash of
// the customer id: every record of a customer goes to the same part, and
// a credit note to the part of its invoice's customer (as chstore's
// LoadPart reads parts). The records keep their order within each part.
// It lets the code that reads a store in parts run on a ledger held in
// memory (tests; features.PartsOf). n must be at least 1.
func (l *Ledger) SplitByCustomer(n int) []*Ledger {
	out := make([]*Ledger, n)
	for k := range out {
		out[k] = &Ledger{}
	}
	part := func(id string) *Ledger {
		h := fnv.New32a()
		h.Write([]byte(id))
		return out[h.Sum32()%uint32(n)]
	}
	owner := l.CreditNoteOwner()
	noteOwner := func(r CreditNote) string { return owner(&r) }
	splitRecords(l.Customers, part, func(r Customer) string { return r.ID }, func(p *Ledger) *[]Customer { return &p.Customers })
	splitRecords(l.Invoices, part, func(r Invoice) string { return r.CustomerID }, func(p *Ledger) *[]Invoice { return &p.Invoices })
	splitRecords(l.Payments, part, func(r Payment) string { return r.CustomerID }, func(p *Ledger) *[]Payment { return &p.Payments })
	splitRecords(l.CreditNotes, part, noteOwner, func(p *Ledger) *[]CreditNote { return &p.CreditNotes })
	splitRecords(l.Disputes, part, func(r Dispute) string { return r.CustomerID }, func(p *Ledger) *[]Dispute { return &p.Disputes })
	splitRecords(l.Actions, part, func(r Action) string { return r.CustomerID }, func(p *Ledger) *[]Action { return &p.Actions })
	splitRecords(l.Promises, part, func(r Promise) string { return r.CustomerID }, func(p *Ledger) *[]Promise { return &p.Promises })
	splitRecords(l.CreditDecisions, part, func(r CreditDecision) string { return r.CustomerID },
		func(p *Ledger) *[]CreditDecision { return &p.CreditDecisions })
	splitRecords(l.Financials, part, func(r Financial) string { return r.CustomerID }, func(p *Ledger) *[]Financial { return &p.Financials })
	return out
}

// splitRecords appends each of recs to the records (field) of the part of
// its customer.
func splitRecords[T any](recs []T, part func(customer string) *Ledger, customer func(T) string, field func(*Ledger) *[]T) {
	for _, r := range recs {
		f := field(part(customer(r)))
		*f = append(*f, r)
	}
}
