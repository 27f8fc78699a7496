package importer

import (
	"context"
	"fmt"

	"github.com/dsopilot/dsopilot/datasets"
)

// A credit note has no currency of its own: it is read in the currency of
// the invoice it applies to. A credit-note row of an invoices file that
// writes a currency (doctypes.go) is compared with that invoice's: the
// file's row of it, else the store's record, so that a credit note in
// GBP against a stored EUR invoice is not silently read as EUR.

// warnCreditCurrencyInvoice is the warning of a credit-note row in another
// currency than the invoice it applies to.
const warnCreditCurrencyInvoice = "credit note in another currency than the invoice it applies to: a credit note has no currency of its own and is read in its invoice's"

// maxStoredScan bounds the stored invoices read to find the currencies of
// those credit notes of the file apply to: the stores read no invoice by
// id, so the ledger is loaded, once, when it is at most this big; a larger
// one is not read (the row is then compared with its customer's invoices
// in the file, as without a store).
const maxStoredScan = 200_000

// ledgerLoader is a store that loads its ledger and counts its records
// (both stores do).
type ledgerLoader interface {
	Load(ctx context.Context) (*datasets.Ledger, error)
	Counts(ctx context.Context) (datasets.Counts, error)
}

// storedCurrencies returns the currency of each stored invoice that a
// credit-note row of the file with a currency applies to and that the
// file itself does not hold; nil when there is none or the store cannot
// (or, too big, does not) read them.
func (im *run) storedCurrencies(ctx context.Context, c *typedCredits) (map[string]string, error) {
	want := map[string]bool{}
	for _, x := range c.curs {
		if _, inFile := c.invCur[x.ref]; x.ref != "" && !inFile {
			want[x.ref] = true
		}
	}
	l, ok := im.st.(ledgerLoader)
	if len(want) == 0 || !ok {
		return nil, nil
	}
	n, err := l.Counts(ctx)
	if err != nil {
		return nil, fmt.Errorf("count the stored invoices, to read the currency of those credit notes apply to: %w", err)
	}
	if n.Invoices == 0 || n.Invoices > maxStoredScan {
		return nil, nil
	}
	led, err := l.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the stored invoices, for the currency of those credit notes apply to: %w", err)
	}
	out := map[string]string{}
	for i := range led.Invoices {
		if v := &led.Invoices[i]; want[v.ID] && v.Currency != "" {
			out[v.ID] = v.Currency
		}
	}
	return out, nil
}
