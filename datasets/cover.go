package datasets

// CoverIndex finds the records that count toward an invoice's cover: the
// payments that name the invoice and its customer, and the credit notes
// that name the invoice (by its id alone, as features.Index links them:
// an ERP's credit note often carries no customer). ImpliedWriteOffs and
// the importer's settle pass (importer.SettledByRecords) both read covers
// through it, so that what settles an invoice at import is what covers it
// in the KPIs. A payment or credit note that names no invoice covers none
// here: it is the customer's cash on account.
type CoverIndex struct {
	payments map[coverKey][]int // indexes into the ledger's Payments
	notes    map[string][]int   // indexes into its CreditNotes
}

type coverKey struct{ customer, invoice string }

// NewCoverIndex indexes l's payments and credit notes by the invoice they
// cover, in l's order. skip, when not nil, leaves out a record: it is
// given the invoice the record names and the record's id.
func NewCoverIndex(l *Ledger, skip func(invoice, id string) bool) CoverIndex {
	c := CoverIndex{payments: map[coverKey][]int{}, notes: map[string][]int{}}
	for i := range l.Payments {
		p := &l.Payments[i]
		if p.InvoiceID != "" && (skip == nil || !skip(p.InvoiceID, p.ID)) {
			k := coverKey{p.CustomerID, p.InvoiceID}
			c.payments[k] = append(c.payments[k], i)
		}
	}
	for i := range l.CreditNotes {
		n := &l.CreditNotes[i]
		if n.InvoiceID != "" && (skip == nil || !skip(n.InvoiceID, n.ID)) {
			c.notes[n.InvoiceID] = append(c.notes[n.InvoiceID], i)
		}
	}
	return c
}

// Payments returns the indexes of the payments that cover invoice id of
// customer, in the ledger's order.
func (c CoverIndex) Payments(customer, id string) []int {
	return c.payments[coverKey{customer, id}]
}

// Notes returns the indexes of the credit notes that cover invoice id, in
// the ledger's order.
func (c CoverIndex) Notes(id string) []int { return c.notes[id] }
