package api

import (
	"context"
	"fmt"
	"sync"

	"github.com/dsopilot/dsopilot/datasets"
)

// ingestStore is the store the importer writes to: every batch goes
// through the sink (store or spool), and customer ids come from the store
// when it answers and from the snapshot and pending batches in any case.
type ingestStore struct {
	s *Server
	// quiet: the batches are not kept for the snapshot, which rereads the
	// store after the request instead (large bodies: holding a million
	// records in memory while the importer runs slows it down).
	quiet   bool
	mu      sync.Mutex
	spooled int
	ids     []string
	hint    int
}

func (st *ingestStore) Put(ctx context.Context, b *datasets.Ledger) error {
	acked := st.s.sink.acked
	if st.quiet {
		acked = nil
	}
	e, err := st.s.sink.writeAck(ctx, b, acked)
	if err != nil {
		return err
	}
	if e != nil {
		st.mu.Lock()
		st.spooled += e.Rows
		st.ids = append(st.ids, e.ID)
		st.mu.Unlock()
	}
	return nil
}

func (st *ingestStore) CustomerIDs(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	if real, err := st.s.store.get(ctx); err == nil {
		if ids, err := real.CustomerIDs(ctx); err == nil {
			for _, id := range ids {
				seen[id] = true
			}
		}
	}
	for i := range st.s.snap.Load().ledger.Customers {
		seen[st.s.snap.Load().ledger.Customers[i].ID] = true
	}
	for _, p := range st.s.pendingLedgers() {
		for i := range p.Customers {
			seen[p.Customers[i].ID] = true
		}
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	return out, nil
}

// Customer reads one customer, for the importer to tell a customer master
// from customers it derived from invoices: from the batches not in the
// snapshot yet (the newest), the store when it answers, the snapshot.
func (st *ingestStore) Customer(ctx context.Context, id string) (datasets.Customer, error) {
	snap, pending := st.s.view()
	for i := len(pending) - 1; i >= 0; i-- {
		for j := len(pending[i].Customers) - 1; j >= 0; j-- {
			if pending[i].Customers[j].ID == id {
				return pending[i].Customers[j], nil
			}
		}
	}
	if real, err := st.s.store.get(ctx); err == nil {
		if r, ok := real.(interface {
			Customer(ctx context.Context, id string) (datasets.Customer, error)
		}); ok {
			if c, err := r.Customer(ctx, id); err == nil {
				return c, nil
			}
		}
	}
	for i := range snap.ledger.Customers {
		if snap.ledger.Customers[i].ID == id {
			return snap.ledger.Customers[i], nil
		}
	}
	return datasets.Customer{}, fmt.Errorf("customer %q: %w", id, datasets.ErrNotFound)
}

// EachID lists the ids of entity e's records the ingest may refer to, for
// the importer to warn of a payment or credit note of an invoice neither
// stored nor in the body (as dsopilot import does; without it the API
// said nothing of them), and to find the payments and credit notes
// derived from open balances: the store's when it answers, and, for
// invoices, payments and credit notes, the snapshot's and those of the
// batches not in it yet (written while the store was away, say), which
// the store may not hold.
func (st *ingestStore) EachID(ctx context.Context, e datasets.Entity, fn func(id string)) error {
	if real, err := st.s.store.get(ctx); err == nil {
		if l, ok := real.(interface {
			EachID(ctx context.Context, e datasets.Entity, fn func(id string)) error
		}); ok {
			if err := l.EachID(ctx, e, fn); err != nil {
				st.s.log.Warn("ingest: the store's ids cannot be read: the snapshot's stand in", "entity", string(e), "err", err)
			}
		}
	}
	snap, pending := st.s.view()
	switch e {
	case datasets.EntityInvoices:
		for _, l := range append([]*datasets.Ledger{snap.ledger}, pending...) {
			for i := range l.Invoices {
				fn(l.Invoices[i].ID)
			}
		}
	case datasets.EntityPayments, datasets.EntityCreditNotes:
		// The importer lists them for the records derived from open
		// balances that a body's payments and credit notes supersede
		// (importer's supersede.go): those the store does not hold yet
		// too, and the snapshot's while the store is away.
		for _, l := range append([]*datasets.Ledger{snap.ledger}, pending...) {
			if e == datasets.EntityPayments {
				for i := range l.Payments {
					fn(l.Payments[i].ID)
				}
				continue
			}
			for i := range l.CreditNotes {
				fn(l.CreditNotes[i].ID)
			}
		}
	}
	return nil
}

// InvoiceRecords reads, for the importer's checks (a credit note's
// currency against its invoice's, a promise's amount, an open balance's
// payments), the stored invoices of ids and what is applied to them:
// the store's when it answers, with those of the snapshot it lacks (a
// spooled batch merged into the snapshot before the store took it), else
// the snapshot's; and over either the records of the batches not in the
// snapshot yet (written while the store was away, say), a later one
// replacing an earlier of the same id. Of
// every kind, not the invoices alone: an invoice read without its
// payments looks unpaid, and its open balance would derive again what
// they already pay. An open balance is derived only when the store
// answers (RecordsComplete): the snapshot may lack what was stored since
// it was read.
func (st *ingestStore) InvoiceRecords(ctx context.Context, ids []string) (*datasets.Ledger, error) {
	out := &datasets.Ledger{}
	snap, pending := st.s.view()
	stored := false
	if real, err := st.s.store.get(ctx); err == nil {
		if r, ok := real.(interface {
			InvoiceRecords(ctx context.Context, ids []string) (*datasets.Ledger, error)
		}); ok {
			l, err := r.InvoiceRecords(ctx, ids)
			if err != nil {
				return nil, err
			}
			out, stored = l, true
		}
	}
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	for i, l := range append([]*datasets.Ledger{snap.ledger}, pending...) {
		// The store's record is newer than the snapshot's; a pending one
		// newer than both.
		replace := i > 0 || !stored
		overlay(&out.Invoices, l.Invoices, want, replace, func(v *datasets.Invoice) (string, string) { return v.ID, v.ID })
		overlay(&out.Payments, l.Payments, want, replace, func(p *datasets.Payment) (string, string) { return p.ID, p.InvoiceID })
		overlay(&out.CreditNotes, l.CreditNotes, want, replace, func(c *datasets.CreditNote) (string, string) { return c.ID, c.InvoiceID })
		overlay(&out.Actions, l.Actions, want, replace, func(a *datasets.Action) (string, string) { return a.ID, a.InvoiceID })
	}
	return out, nil
}

// overlay adds to out the records of src whose invoice is wanted; one of
// an id out has replaces it when replace says src is the newer.
func overlay[T any](out *[]T, src []T, want map[string]bool, replace bool, keys func(*T) (id, invoice string)) {
	var at map[string]int
	for i := range src {
		id, inv := keys(&src[i])
		if !want[inv] {
			continue
		}
		if at == nil {
			at = make(map[string]int, len(*out))
			for j := range *out {
				k, _ := keys(&(*out)[j])
				at[k] = j
			}
		}
		if j, ok := at[id]; ok {
			if replace {
				(*out)[j] = src[i]
			}
			continue
		}
		at[id] = len(*out)
		*out = append(*out, src[i])
	}
}

// RecordsComplete says whether InvoiceRecords reads every record of an
// invoice: only when the store answers. The importer derives no open
// balance otherwise (a payment the snapshot lacks would be derived again
// beside it), and the ingest is a 503 to send again.
func (st *ingestStore) RecordsComplete(ctx context.Context) error {
	if _, err := st.s.store.get(ctx); err != nil {
		return retrying{fmt.Errorf("%w: the store does not answer (%v), and an open balance is derived from every payment and credit note of its invoice, which only the store holds in full: send the body again once it is back (rows are upserted by id, so sending them again is harmless)",
			ErrUnavailable, err), st.s.retryEvery()}
	}
	return nil
}

// Counts tells the importer what the ledger holds (whether it has payment
// records: an open balance's difference is then derived as a payment):
// the store's counts when it answers, else the snapshot's.
func (st *ingestStore) Counts(ctx context.Context) (datasets.Counts, error) {
	if real, err := st.s.store.get(ctx); err == nil {
		if c, ok := real.(interface {
			Counts(ctx context.Context) (datasets.Counts, error)
		}); ok {
			if n, err := c.Counts(ctx); err == nil {
				return n, nil
			}
		}
	}
	snap, pending := st.s.view()
	var n datasets.Counts
	for _, l := range append([]*datasets.Ledger{snap.ledger}, pending...) {
		n.Invoices += uint64(len(l.Invoices))
		n.Payments += uint64(len(l.Payments))
		n.CreditNotes += uint64(len(l.CreditNotes))
	}
	return n, nil
}

// BatchHint passes the store's preferred batch size to the importer.
func (st *ingestStore) BatchHint() int { return st.hint }
