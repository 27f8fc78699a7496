package recommender

import (
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// ledgerIndex holds each customer's records together, as positions in
// the ledger's slices, so that an account as of any day costs only that
// customer's records, and a ledger that only grows (the simulator's) is
// indexed once: sync adds what was appended since, and fields updated in
// place (a settled date, a promise's status) are read afresh each time.
type ledgerIndex struct {
	l         *datasets.Ledger
	customers []*custRecords // by id
	byID      map[string]*custRecords
	seen      datasets.Counts // records indexed so far, per entity
	// facts are the whole ledger's (features.FactsOf): kept up by sync,
	// or set to the whole's when l is a part. Without dispute records the
	// invoices' disputed flags stand in for them on the days the flags
	// are known (the features' rule: from the ledger's own date on).
	facts features.LedgerFacts
}

type custRecords struct {
	master      int              // index in Customers, -1 when the master lacks it
	id          string           // customer id
	invoices    []int32          // indices in Invoices
	local       map[string]int32 // invoice id → position in invoices
	payments    []linked         // payments, with the invoice they pay
	creditNotes []linked         // credit notes, with their invoice
	disputes    []linked         // disputes, with their invoice
	actions     []linked         // actions, with their invoice, by date
	promises    []linked         // promises, with their invoice
	decisions   []int32          // indices in CreditDecisions
}

// localOf is the position of the customer's invoice id in its invoices;
// c may be nil (no such customer).
func (c *custRecords) localOf(invoiceID string) (int32, bool) {
	if c == nil {
		return 0, false
	}
	pos, ok := c.local[invoiceID]
	return pos, ok
}

// linked is a record's index and its invoice's position in the customer's
// invoices (-1: none, or not an invoice of this customer).
type linked struct{ rec, inv int32 }

// sync indexes the records appended to l since the last call. l must be
// the same ledger every time, and may only have grown.
func (ix *ledgerIndex) sync(l *datasets.Ledger) {
	if ix.byID == nil {
		ix.byID = map[string]*custRecords{}
	}
	ix.l = l
	added := false
	get := func(id string) *custRecords {
		c := ix.byID[id]
		if c == nil {
			c = &custRecords{master: -1, id: id, local: map[string]int32{}}
			ix.byID[id] = c
			ix.customers = append(ix.customers, c)
			added = true
		}
		return c
	}
	for i := int(ix.seen.Customers); i < len(l.Customers); i++ {
		get(l.Customers[i].ID).master = i
	}
	for i := int(ix.seen.Invoices); i < len(l.Invoices); i++ {
		c := get(l.Invoices[i].CustomerID)
		c.local[l.Invoices[i].ID] = int32(len(c.invoices))
		c.invoices = append(c.invoices, int32(i))
	}
	link := func(c *custRecords, invoiceID string, rec int) linked {
		if pos, ok := c.local[invoiceID]; ok && invoiceID != "" {
			return linked{int32(rec), pos}
		}
		return linked{int32(rec), -1}
	}
	for i := int(ix.seen.Payments); i < len(l.Payments); i++ {
		c := get(l.Payments[i].CustomerID)
		c.payments = append(c.payments, link(c, l.Payments[i].InvoiceID, i))
	}
	// A credit note is its invoice's customer's, whichever customer it
	// names (datasets.Ledger.CreditNoteOwner): a ledger read in parts has
	// it there. The owners of the invoices are looked up only when a note
	// names an invoice its own customer lacks, which is CreditNoteOwner's
	// answer as long as an invoice id is unique in the ledger (the
	// importer and the store keep one row per id). The lookup table is
	// built from every invoice, once per sync that meets such a note. A
	// note indexed before its invoice (a later sync brings the invoice)
	// stays with the customer it names, unlinked, as a note on the
	// customer's own invoice would.
	var owners map[string]*custRecords
	for i := int(ix.seen.CreditNotes); i < len(l.CreditNotes); i++ {
		n := &l.CreditNotes[i]
		c := ix.byID[n.CustomerID]
		if _, own := c.localOf(n.InvoiceID); !own && n.InvoiceID != "" {
			if owners == nil {
				// The last invoice of an id, as CreditNoteOwner.
				owners = make(map[string]*custRecords, len(l.Invoices))
				for k := range l.Invoices {
					owners[l.Invoices[k].ID] = ix.byID[l.Invoices[k].CustomerID]
				}
			}
			if o := owners[n.InvoiceID]; o != nil {
				c = o
			}
		}
		if c == nil {
			c = get(n.CustomerID)
		}
		c.creditNotes = append(c.creditNotes, link(c, n.InvoiceID, i))
	}
	for i := int(ix.seen.Disputes); i < len(l.Disputes); i++ {
		c := get(l.Disputes[i].CustomerID)
		c.disputes = append(c.disputes, link(c, l.Disputes[i].InvoiceID, i))
	}
	for i := int(ix.seen.Actions); i < len(l.Actions); i++ {
		c := get(l.Actions[i].CustomerID)
		c.actions = append(c.actions, link(c, l.Actions[i].InvoiceID, i))
	}
	for i := int(ix.seen.Promises); i < len(l.Promises); i++ {
		c := get(l.Promises[i].CustomerID)
		c.promises = append(c.promises, link(c, l.Promises[i].InvoiceID, i))
	}
	for i := int(ix.seen.CreditDecisions); i < len(l.CreditDecisions); i++ {
		c := get(l.CreditDecisions[i].CustomerID)
		c.decisions = append(c.decisions, int32(i))
	}
	if added {
		slices.SortFunc(ix.customers, func(x, y *custRecords) int { return strings.Compare(x.id, y.id) })
	}
	for _, c := range ix.customers {
		// Stores load actions sorted by id, the simulator appends them by
		// date: sort by date (stable, so ids keep their order on a day).
		if !slices.IsSortedFunc(c.actions, func(x, y linked) int { return int(l.Actions[x.rec].Date - l.Actions[y.rec].Date) }) {
			slices.SortStableFunc(c.actions, func(x, y linked) int { return int(l.Actions[x.rec].Date - l.Actions[y.rec].Date) })
		}
	}
	ix.seen = l.Counts()
	ix.facts = features.FactsOf(l) // the whole ledger's; gather sets a part's to the whole's
}
