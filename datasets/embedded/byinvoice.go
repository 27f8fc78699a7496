package embedded

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/dsopilot/dsopilot/datasets"
)

// InvoiceRecords reads the stored invoices of ids (by key) and the
// payments, credit notes and actions of them (a scan of those buckets
// only). The importer checks a file against the invoices it names (a
// credit note's currency, a promise's amount, an open balance's payments,
// the assumed date of a dunning level already stored) without loading the
// whole ledger.
func (s *Store) InvoiceRecords(ctx context.Context, ids []string) (*datasets.Ledger, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	l := &datasets.Ledger{}
	err := s.db.View(func(tx *bolt.Tx) error {
		for _, t := range s.tables {
			var err error
			switch t := t.(type) {
			case *table[datasets.Invoice]:
				l.Invoices, err = byKey(tx, t, ids)
			case *table[datasets.Payment]:
				l.Payments, err = filtered(tx, t, func(p *datasets.Payment) bool { return want[p.InvoiceID] })
			case *table[datasets.CreditNote]:
				l.CreditNotes, err = filtered(tx, t, func(c *datasets.CreditNote) bool { return want[c.InvoiceID] })
			case *table[datasets.Action]:
				l.Actions, err = filtered(tx, t, func(a *datasets.Action) bool { return want[a.InvoiceID] })
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embedded invoice records: %w", err)
	}
	return l, nil
}

// byKey reads the records of ids that t holds.
func byKey[T any](tx *bolt.Tx, t *table[T], ids []string) ([]T, error) {
	b := tx.Bucket([]byte(t.entity()))
	if b == nil {
		return nil, nil
	}
	var out []T
	for _, id := range ids {
		v := b.Get([]byte(id))
		if v == nil {
			continue
		}
		x, err := t.codec.decode(v)
		if err != nil {
			return nil, fmt.Errorf("decode %s %q: %w", t.entity(), id, err)
		}
		out = append(out, x)
	}
	return out, nil
}

// filtered reads the records of t that keep says to.
func filtered[T any](tx *bolt.Tx, t *table[T], keep func(*T) bool) ([]T, error) {
	b := tx.Bucket([]byte(t.entity()))
	if b == nil {
		return nil, nil
	}
	var out []T
	err := b.ForEach(func(k, v []byte) error {
		x, err := t.codec.decode(v)
		if err != nil {
			return fmt.Errorf("decode %s %q: %w", t.entity(), k, err)
		}
		if keep(&x) {
			out = append(out, x)
		}
		return nil
	})
	return out, err
}
