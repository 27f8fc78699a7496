package chstore

import (
	"context"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// inListBytes bounds the text of one IN list: well under the server's
// max_query_size (256 KiB by default, the query's text beside it). Lists
// of 1,000 ids cost the settling of an export of 356,000 invoices 356
// rounds of four full scans (datasets/importer/settlecover.go).
const inListBytes = 200_000

// InvoiceRecords reads the stored invoices of ids and the payments,
// credit notes and actions of them (their invoice_id one of ids), each
// slice sorted by id within a chunk of ids (of inListBytes). The importer checks a file
// against the invoices it names (a credit note's currency, a promise's
// amount, an open balance's payments, the assumed date of a dunning level
// already stored) without loading the whole ledger.
func (s *Store) InvoiceRecords(ctx context.Context, ids []string) (*datasets.Ledger, error) {
	if err := s.ensureSchema(ctx); err != nil {
		return nil, err
	}
	l := &datasets.Ledger{}
	for start := 0; start < len(ids); {
		var quoted []string
		size := 0
		for ; start < len(ids) && (len(quoted) == 0 || size < inListBytes); start++ {
			q := quoteString(ids[start])
			quoted = append(quoted, q)
			size += len(q) + 2
		}
		in := "invoice_id IN (" + strings.Join(quoted, ", ") + ")"
		for _, t := range s.tables {
			var err error
			switch t := t.(type) {
			case *table[datasets.Invoice]:
				err = loadWhere(ctx, s, t, in, &l.Invoices)
			case *table[datasets.Payment]:
				err = loadWhere(ctx, s, t, in, &l.Payments)
			case *table[datasets.CreditNote]:
				err = loadWhere(ctx, s, t, in, &l.CreditNotes)
			case *table[datasets.Action]:
				err = loadWhere(ctx, s, t, in, &l.Actions)
			}
			if err != nil {
				return nil, s.explain(ctx, err)
			}
		}
	}
	return l, nil
}

// loadWhere appends the deduplicated rows of t that meet cond to out.
func loadWhere[T any](ctx context.Context, s *Store, t *table[T], cond string, out *[]T) error {
	q := strings.Replace(t.selectSQL, " FINAL ", " FINAL WHERE "+cond+" ", 1)
	return s.retryBroken(func() error { return t.query(ctx, s, q, nil, out) })
}
