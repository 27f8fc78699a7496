package importer

import (
	"cmp"
	"context"
	"fmt"
	"hash/maphash"
	"maps"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// Invoices settled by their records. An export of open items with a
// payments file (the payments naming their invoices) often has no
// clearing date: the ERP clears an item when its payments cover it, and
// the open-items list simply leaves it out. Read as written, such an
// invoice never settles: it stays overdue on every worklist however much
// was paid on it, no invoice of the ledger has an outcome to learn from,
// and the late rate is "n/a". So after the files are stored, an invoice
// without a settled date whose payments (those naming it and its
// customer) and credit notes (those naming it) cover its amount is
// settled on the day they first covered it for good (a refund that
// uncovers it starts the count again), never before its issue date, and
// stored again with that date. It is what the export would have said had
// it carried the clearing date, and what was known on that day, no
// earlier: point-in-time. Each such invoice is counted
// (SettledByRecords) and noted with its first rows; an invoice its
// records do not cover (a partial payment, a cash discount taken with no
// credit note for it) stays open, as before.
//
// Which invoices are looked at: the invoice rows of files without a
// settled_date column, and the invoices the import's payments and credit
// notes name that the import has no row of. A file with the column is a
// cleared-items export: its blank is the ERP's word that the invoice is
// open, taken as written (and reading every open item of a whole
// ledger's import cost it 70% more time on the embedded store).
// They are read by id from the store once everything is stored
// (InvoiceRecords, never the whole ledger), in chunks of coverChunk.

// noteSettledByRecords is the note of an invoice settled so.
const noteSettledByRecords = "invoice(s) without a settled date covered by their payments and credit notes: settled on the day those first covered the amount (the export gives no clearing date for them)"

// coverChunk is how many invoice ids one InvoiceRecords call reads: the
// embedded store scans its payments, credit notes and actions once a
// call (chunks of 20,000 cost an export of 356,000 invoices without
// settled dates 24 s more than its import).
const coverChunk = 100_000

// coverCheck holds what the import needs to settle invoices by their
// records once it is stored, and to tell a payment that names another
// customer's invoice.
type coverCheck struct {
	seed maphash.Seed
	// settled holds the hashes of the ids of the import's invoice rows
	// with a settled date; cands the ids to look at, with the file whose
	// row made each one (its summary counts and notes it).
	settled *hashSet
	cands   map[string]*fileRun
	// owned holds the hashes of the import's invoice rows' ids with
	// their customers (8 bytes an invoice: a map of ids to customers
	// cost an import of 235,000 invoices 23 MB); imported says whether
	// an id is of an invoice row of the import (the importer's set of
	// them); payers the first payment of each customer of the import
	// naming each invoice the import has no row of, to check against
	// the stored invoice's customer.
	owned    *hashSet
	imported func(h uint64) bool
	payers   map[string][]payer
}

// payer is a payment row: its customer, and where it is.
type payer struct {
	customer string
	fr       *fileRun
	at       string // file:line payment_id
}

// warnOtherCustomer is the warning of a payment naming another customer's
// invoice: a parent paying a subsidiary's invoice, or a customer id
// mistyped. The KPIs, features, worklist and credit match a payment to an
// invoice by customer and invoice (the store splits the ledger by
// customer), while the cash forecast applies it to the invoice it names;
// the views then disagree by its amount, which the user must be told.
const warnOtherCustomer = "payment names an invoice of another customer: the KPIs, features, worklist and credit limits count it as its payer's unallocated cash and the invoice as still owed, while the cash forecast applies it to the invoice; if the invoice's customer paid, correct the payment's customer_id"

func newCoverCheck(seed maphash.Seed, imported func(h uint64) bool) *coverCheck {
	return &coverCheck{seed: seed, settled: newHashSet(1024), cands: map[string]*fileRun{},
		owned: newHashSet(1024), imported: imported, payers: map[string][]payer{}}
}

// ownedBy is the hash of invoice id of customer.
func (c *coverCheck) ownedBy(id, customer string) uint64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.WriteString(id)
	h.WriteByte(0)
	h.WriteString(customer)
	return h.Sum64()
}

// invoiceRow records an accepted invoice row of fr; cleared says the
// file has a settled_date column, whose blank is the ERP's word that the
// invoice is open: its rows are taken as written.
func (c *coverCheck) invoiceRow(fr *fileRun, v *datasets.Invoice, cleared bool) {
	h := maphash.String(c.seed, v.ID)
	c.owned.add(c.ownedBy(v.ID, v.CustomerID))
	if v.SettledDate != 0 || cleared {
		c.settled.add(h)
		delete(c.cands, v.ID)
		return
	}
	c.cands[v.ID] = fr
}

// name records that a payment or credit note of fr names invoice id.
func (c *coverCheck) name(fr *fileRun, id string) {
	if id == "" || c.settled.contains(maphash.String(c.seed, id)) {
		return
	}
	if _, ok := c.cands[id]; !ok {
		c.cands[id] = fr
	}
}

// ids are the candidates to read, sorted: the invoice rows of files
// without a settled_date column, all of them (an invoice settled by
// records before and imported again must be settled again, whether or
// not this import's payments name it), and the invoices the import's
// payments and credit notes name that it has no row of.
func (c *coverCheck) ids() []string { return slices.Sorted(maps.Keys(c.cands)) }

// paid records payment p of fr's row line, warning now when it names an
// invoice of the import of another customer.
func (c *coverCheck) paid(fr *fileRun, line int, p *datasets.Payment) {
	if p.InvoiceID == "" {
		return
	}
	c.name(fr, p.InvoiceID)
	if c.owned.contains(c.ownedBy(p.InvoiceID, p.CustomerID)) {
		return
	}
	at := fmt.Sprintf("%s:%d payment_id %q customer_id %q invoice_id %q", fr.sum.Path, line, clip(p.ID, 80), clip(p.CustomerID, 80), clip(p.InvoiceID, 80))
	if c.imported(maphash.String(c.seed, p.InvoiceID)) {
		fr.warn(warnOtherCustomer, at)
		return
	}
	ps := c.payers[p.InvoiceID]
	if !slices.ContainsFunc(ps, func(x payer) bool { return x.customer == p.CustomerID }) {
		c.payers[p.InvoiceID] = append(ps, payer{customer: p.CustomerID, fr: fr, at: at})
	}
}

// noteRow records the record the last row (line) of fr added to batch;
// cleared says an invoices file has a settled_date column.
func (c *coverCheck) noteRow(fr *fileRun, line int, e datasets.Entity, batch *datasets.Ledger, credit, cleared bool) {
	switch {
	case e == datasets.EntityInvoices && !credit && len(batch.Invoices) > 0:
		c.invoiceRow(fr, &batch.Invoices[len(batch.Invoices)-1], cleared)
	case e == datasets.EntityPayments && len(batch.Payments) > 0:
		c.paid(fr, line, &batch.Payments[len(batch.Payments)-1])
	case e == datasets.EntityCreditNotes && len(batch.CreditNotes) > 0:
		c.name(fr, batch.CreditNotes[len(batch.CreditNotes)-1].InvoiceID)
	}
}

// settleCovered stores again, with their settled date, the candidate
// invoices their stored records cover. Everything sent to w is stored
// first, so that the records read are the import's too.
func (im *run) settleCovered(ctx context.Context, w *writer) error {
	c := im.cover
	if c == nil || len(c.cands) == 0 {
		return nil
	}
	if _, ok := im.st.(invoiceReader); !ok {
		return nil
	}
	if err := w.flush(); err != nil {
		return err
	}
	ids := c.ids()
	notes, warns := map[*fileRun]map[string]*Warning{}, map[*fileRun]map[string]*Warning{}
	orders, worder := map[*fileRun]*[]string{}, map[*fileRun]*[]string{}
	for start := 0; start < len(ids); start += coverChunk {
		chunk := ids[start:min(start+coverChunk, len(ids))]
		recs, err := im.storedRecords(ctx, chunk)
		if err != nil {
			return fmt.Errorf("read the payments and credit notes of the invoices without a settled date: %w", err)
		}
		if recs == nil {
			continue
		}
		for i := range recs.Invoices {
			v := &recs.Invoices[i]
			for _, p := range c.payers[v.ID] {
				if p.customer == v.CustomerID {
					continue
				}
				if warns[p.fr] == nil {
					warns[p.fr], worder[p.fr] = map[string]*Warning{}, &[]string{}
				}
				tally(warns[p.fr], worder[p.fr], warnOtherCustomer, p.at, true)
			}
		}
		byFile := map[*fileRun]*datasets.Ledger{}
		for _, s := range SettledByRecords(recs) {
			fr := c.cands[s.Invoice.ID]
			if fr == nil {
				continue
			}
			b := byFile[fr]
			if b == nil {
				b = &datasets.Ledger{}
				byFile[fr] = b
			}
			b.Invoices = append(b.Invoices, s.Invoice)
			fr.sum.SettledByRecords++
			if notes[fr] == nil {
				notes[fr], orders[fr] = map[string]*Warning{}, &[]string{}
			}
			tally(notes[fr], orders[fr], noteSettledByRecords, fmt.Sprintf("invoice_id %q of customer %q, amount %s: settled on %s by %s",
				clip(s.Invoice.ID, 80), clip(s.Invoice.CustomerID, 80), s.Invoice.Amount, s.Invoice.SettledDate, s.By), true)
		}
		for _, fr := range im.files {
			if b := byFile[fr]; b != nil {
				w.send(b, fr, 0, 0) // not rows of the file: counted in SettledByRecords
			}
		}
	}
	for _, fr := range im.files {
		if o := orders[fr]; o != nil {
			for _, r := range *o {
				fr.sum.Notes = append(fr.sum.Notes, *notes[fr][r])
			}
		}
		if o := worder[fr]; o != nil {
			for _, r := range *o {
				fr.sum.Warnings = append(fr.sum.Warnings, *warns[fr][r])
			}
		}
	}
	return nil
}

// Settlement is an invoice settled by its records, and the record that
// completed its cover.
type Settlement struct {
	Invoice datasets.Invoice // with its SettledDate
	By      string           // "payment P" or "credit note N"
}

// SettledByRecords returns the invoices of l without a settled date that
// l's payments (naming the invoice and its customer) and credit notes
// (naming the invoice) cover, each with the settled date they imply: the
// day of the record after which the cover never fell below the amount,
// not before the issue date. Records of one day count together (a
// payment and its same-day refund do not settle); an open balance's
// derived payment or credit note does not count once the invoice has
// payments on record. Invoices of an amount
// of 0 or less, and those already settled, are left out; the result is
// in l's invoice order.
func SettledByRecords(l *datasets.Ledger) []Settlement {
	type rec struct {
		date   datasets.Date
		amount datasets.Money
		by     string
	}
	// An open balance's derived record (openbalance.go) stands for
	// payments the export did not list: once an invoice has payments on
	// record, it would count them twice and date the cover at the
	// export, before the real last payment.
	real := map[string]bool{}
	for i := range l.Payments {
		if p := &l.Payments[i]; p.InvoiceID != "" && !OpenBalancePayment(p) {
			real[p.InvoiceID] = true
		}
	}
	idx := datasets.NewCoverIndex(l, func(invoice, id string) bool {
		return real[invoice] && strings.HasPrefix(id, OpenBalancePrefix)
	})
	var out []Settlement
	for i := range l.Invoices {
		v := l.Invoices[i]
		if v.SettledDate != 0 || v.Amount <= 0 {
			continue
		}
		var rs []rec
		for _, k := range idx.Payments(v.CustomerID, v.ID) {
			p := &l.Payments[k]
			rs = append(rs, rec{p.Date, p.Amount, "payment " + p.ID})
		}
		for _, k := range idx.Notes(v.ID) {
			n := &l.CreditNotes[k]
			rs = append(rs, rec{n.Date, n.Amount, "credit note " + n.ID})
		}
		if len(rs) == 0 {
			continue
		}
		slices.SortStableFunc(rs, func(a, b rec) int { return cmp.Compare(a.date, b.date) })
		var sum datasets.MoneySum
		var on datasets.Date
		by := ""
		for j := 0; j < len(rs); {
			d := rs[j].date
			last := ""
			for ; j < len(rs) && rs[j].date == d; j++ {
				sum.Add(rs[j].amount)
				last = rs[j].by
			}
			// An overflowing sum (amounts no ledger holds) settles nothing.
			t, err := sum.Total()
			covered := err == nil && t >= v.Amount
			switch {
			case covered && on == 0:
				on, by = d, last
			case !covered:
				on, by = 0, ""
			}
		}
		if on == 0 {
			continue
		}
		v.SettledDate = max(on, v.IssueDate)
		out = append(out, Settlement{Invoice: v, By: by})
	}
	return out
}
