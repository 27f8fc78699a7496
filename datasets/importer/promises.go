package importer

import (
	"context"
	"fmt"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
)

// A promise to pay more than the invoice it is of is a typing error (a
// trial's 999,999,999 on one of 16,551.45 was recorded): the forecast
// would move that much cash to the promised week. The API's promise
// endpoint and a promises file of an import refuse it by one check,
// CheckPromiseAmount. A file's promises that name an invoice are held
// until the file is read, then checked against the stored invoices (the
// import's invoices files, read before it, are stored by then) and
// loaded or rejected, naming the line and the amount.

// CheckPromiseAmount returns why promise p, of invoice inv, cannot be:
// its amount is more than the invoice's. nil when it can (or is of
// another invoice, or none).
func CheckPromiseAmount(p *datasets.Promise, inv *datasets.Invoice) error {
	if p.InvoiceID == "" || inv == nil || inv.ID != p.InvoiceID || p.Amount <= inv.Amount {
		return nil
	}
	return fmt.Errorf("%s is more than invoice %q's amount, %s %s", p.Amount, inv.ID, inv.Amount, inv.Currency)
}

// heldPromise is a promise of a promises file that names an invoice.
type heldPromise struct {
	p      datasets.Promise
	line   int
	amount string // as written
}

// holdPromise takes the promise just added to batch out of it when it
// names an invoice, for checkPromises.
func (fr *fileRun) holdPromise(batch *datasets.Ledger, line int, amount string) {
	n := len(batch.Promises) - 1
	if n < 0 || batch.Promises[n].InvoiceID == "" {
		return
	}
	fr.promises = append(fr.promises, heldPromise{p: batch.Promises[n], line: line, amount: amount})
	// The decoder reuses the slot past the end for the next row, and
	// sets only the fields the file has (as rows.go's dirty says).
	batch.Promises[n] = datasets.Promise{}
	batch.Promises = batch.Promises[:n]
}

// checkPromises checks the held promises against their stored invoices,
// rejects those of more than theirs and returns the others, to load.
// A store that cannot read invoices by id checks none (as before).
func (im *run) checkPromises(ctx context.Context, fr *fileRun) ([]datasets.Promise, error) {
	if len(fr.promises) == 0 {
		return nil, nil
	}
	ids := make([]string, 0, len(fr.promises))
	for i := range fr.promises {
		ids = append(ids, fr.promises[i].p.InvoiceID)
	}
	slices.Sort(ids)
	stored, err := im.storedRecords(ctx, slices.Compact(ids))
	if err != nil {
		return nil, fmt.Errorf("read the invoices the promises are of: %w", err)
	}
	byID := map[string]*datasets.Invoice{}
	if stored != nil {
		for i := range stored.Invoices {
			byID[stored.Invoices[i].ID] = &stored.Invoices[i]
		}
	}
	out := make([]datasets.Promise, 0, len(fr.promises))
	for _, h := range fr.promises {
		if err := CheckPromiseAmount(&h.p, byID[h.p.InvoiceID]); err != nil {
			fr.rejectLate(im, h.line, fieldError{field: "amount", value: h.amount, reason: err.Error(), kind: "a promise of more than its invoice"})
			continue
		}
		out = append(out, h.p)
	}
	fr.promises = nil
	return out, nil
}
