package main

import (
	"context"
	"fmt"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// Settled is not paid. Every command reads its ledger through settle (the
// whole ledger through loadSettled, parts through eachSampledPart), so
// that a settled invoice whose payments and credit notes do not cover it
// carries the write-off (or, flagged disputed, the dispute credit) that
// its settlement implies (datasets.ImpliedWriteOffs): an ERP cleared-items
// export without its credit notes would otherwise show written-off debt
// as recovered and forecast it as cash. The notes are marked implied
// (datasets.CreditNote.Implied) and dated at the settlement; a ledger
// without any payment records gets none, since it cannot tell cash from
// credit. The KPI and feature indexes and the SQL KPIs imply the same
// notes on their own, so that every engine agrees.

// settle returns l with the write-offs its settlements imply, when the
// whole ledger l belongs to (whole: l's own facts when it is whole) has
// payments.
func settle(l *datasets.Ledger, whole features.LedgerFacts) (*datasets.Ledger, error) {
	s, _, err := l.WithImpliedWriteOffs(whole.PaymentsKnown)
	if err != nil {
		return nil, fmt.Errorf("settled invoices: %w", err)
	}
	return s, nil
}

// loadSettled reads the whole ledger of st, settled.
func loadSettled(ctx context.Context, st datasets.Store) (*datasets.Ledger, error) {
	l, err := st.Load(ctx)
	if err != nil {
		return nil, err
	}
	return settle(l, features.FactsOf(l))
}
