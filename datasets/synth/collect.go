package synth

import (
	"context"

	"github.com/dsopilot/dsopilot/datasets"
)

// Collect generates a ledger in memory, with every invoice's truth: for
// tests and benchmarks that need no files.
func Collect(ctx context.Context, cfg Config) (*datasets.Ledger, []InvoiceTruth, error) {
	l := &datasets.Ledger{}
	var truth []InvoiceTruth
	sink := SinkFunc(func(_ context.Context, b *Batch) error {
		// The batch is reused after return: copy what it holds.
		l.Customers = append(l.Customers, b.Ledger.Customers...)
		l.Invoices = append(l.Invoices, b.Ledger.Invoices...)
		l.Payments = append(l.Payments, b.Ledger.Payments...)
		l.CreditNotes = append(l.CreditNotes, b.Ledger.CreditNotes...)
		l.Disputes = append(l.Disputes, b.Ledger.Disputes...)
		l.Actions = append(l.Actions, b.Ledger.Actions...)
		l.Promises = append(l.Promises, b.Ledger.Promises...)
		l.CreditDecisions = append(l.CreditDecisions, b.Ledger.CreditDecisions...)
		truth = append(truth, b.Truth...)
		return nil
	})
	if _, err := Generate(ctx, cfg, sink); err != nil {
		return nil, nil, err
	}
	return l, truth, nil
}
