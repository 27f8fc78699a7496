package importer

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// A credit note has no currency of its own: it is read in the currency of
// the invoice it applies to (its customer's invoices', unapplied). A
// credit-note row of an invoices file that writes a currency (doctypes.go)
// is compared with that invoice's: the file's row of it, else the store's
// record (read by id), else, unapplied, its customer's invoices of the
// file. A row in another currency is rejected, naming the file, line and
// field, as an amount written with another currency's sign is (rows.go,
// checkSigns): amounts are never converted on import, so a GBP credit of
// 100 on a EUR invoice would be stored as a credit of 100 euros, a wrong
// amount; one rule for both, and the reject says what to send instead.
// Such rows are held out of the batches until the file is read (the
// invoice may come later in it), then loaded or rejected.

// rejectCreditCurrency is the kind of the reject, the sign rule's: both
// are an amount in another currency than the record it is read in.
const rejectCreditCurrency = "amount written in another currency than the row's"

// invoiceReader is a store that reads invoices by id, with the payments
// and credit notes applied to them (both stores do): the importer checks
// a file against the invoices it names, never the whole ledger.
type invoiceReader interface {
	InvoiceRecords(ctx context.Context, ids []string) (*datasets.Ledger, error)
}

// storedRecords reads the stored invoices of ids and the payments and
// credit notes applied to them; nil when there are no ids or the store
// cannot read them by id.
func (im *run) storedRecords(ctx context.Context, ids []string) (*datasets.Ledger, error) {
	r, ok := im.st.(invoiceReader)
	if len(ids) == 0 || !ok {
		return nil, nil
	}
	return r.InvoiceRecords(ctx, ids)
}

// storedCurrencies returns the currency of each stored invoice that a
// credit-note row of the file with a currency applies to and that the
// file itself does not hold, read by id (never the whole ledger); nil when
// there is none or the store cannot read invoices by id.
func (im *run) storedCurrencies(ctx context.Context, c *typedCredits) (map[string]string, error) {
	want := map[string]bool{}
	for _, x := range c.curs {
		if _, inFile := c.invCur[x.ref]; x.ref != "" && !inFile {
			want[x.ref] = true
		}
	}
	ids := slices.Sorted(maps.Keys(want))
	led, err := im.storedRecords(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read the stored invoices, for the currency of those credit notes apply to: %w", err)
	}
	if led == nil {
		return nil, nil
	}
	out := map[string]string{}
	for i := range led.Invoices {
		if v := &led.Invoices[i]; want[v.ID] && v.Currency != "" {
			out[v.ID] = v.Currency
		}
	}
	return out, nil
}

// resolve checks the currency of the credit-note rows held out of the
// batches (hold) against the invoice each is read in, rejects those in
// another and returns the others, to load.
func (c *typedCredits) resolve(ctx context.Context, im *run, fr *fileRun) ([]datasets.CreditNote, error) {
	if len(c.curs) == 0 {
		return nil, nil
	}
	stored, err := im.storedCurrencies(ctx, c)
	if err != nil {
		return nil, err
	}
	var keep []datasets.CreditNote
	for _, x := range c.curs {
		var want, whose string
		if cur, ok := c.invCur[x.ref]; ok && x.ref != "" {
			want, whose = cur, fmt.Sprintf("invoice %q of the file", clip(x.ref, 80))
		} else if cur, ok := stored[x.ref]; ok && x.ref != "" {
			want, whose = cur, fmt.Sprintf("invoice %q in the store", clip(x.ref, 80))
		} else if cur, ok := c.curOf[x.customer]; ok && x.ref == "" && cur != mixedCurrencies {
			want, whose = cur, fmt.Sprintf("customer %q's invoices of the file (the credit note is unapplied)", clip(x.customer, 80))
		}
		if want == "" || strings.EqualFold(want, x.currency) {
			keep = append(keep, x.cn)
			fr.note(noteTypedCredits, x.note)
			im.openBal.credit(&x.cn)
			im.sup.credit(fr, x.line, &x.cn)
			im.cover.name(fr, x.cn.InvoiceID)
			continue
		}
		fr.rejectLate(im, x.line, fieldError{field: "currency", value: x.currency, kind: rejectCreditCurrency,
			reason: fmt.Sprintf("credit note in %s, but %s is in %s: a credit note is read in its invoice's currency and amounts are never converted on import; send it in %s (converted by the ERP) or apply it to an invoice in %s",
				strings.ToUpper(x.currency), whose, want, want, strings.ToUpper(x.currency))})
		fr.sum.CreditNotesFromInvoices--
	}
	return keep, nil
}

// rejectLate rejects a row of the file after the rows after it were read
// (a held credit note): counted and reported as any reject.
func (fr *fileRun) rejectLate(im *run, line int, fe fieldError) {
	fr.sum.Rejected++
	if i, found := slices.BinarySearch(fr.rejectedLines, line); !found && len(fr.rejectedLines) < maxRejectedLines {
		fr.rejectedLines = slices.Insert(fr.rejectedLines, i, line)
	}
	fr.diag.reject(line, fe)
	im.rej.add(Reject{File: fr.sum.Path, Line: line, Field: fe.field, Value: fe.value, Reason: fe.reason})
}
