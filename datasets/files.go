package datasets

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
)

// Entity names one kind of ledger record and its canonical file.
type Entity string

// The entities, in the order an importer loads them (customers before what
// refers to them).
const (
	EntityCustomers       Entity = "customers"
	EntityInvoices        Entity = "invoices"
	EntityPayments        Entity = "payments"
	EntityCreditNotes     Entity = "credit_notes"
	EntityDisputes        Entity = "disputes"
	EntityActions         Entity = "actions"
	EntityPromises        Entity = "promises"
	EntityCreditDecisions Entity = "credit_decisions"
	// EntityFinancials is a credit-information provider's export: optional
	// in a ledger, and not simulated.
	EntityFinancials Entity = "financials"
)

// Entities returns every entity in load order.
func Entities() []Entity {
	return []Entity{EntityCustomers, EntityInvoices, EntityPayments, EntityCreditNotes,
		EntityDisputes, EntityActions, EntityPromises, EntityCreditDecisions, EntityFinancials}
}

// FileName is the canonical CSV file name of e in a ledger directory.
func (e Entity) FileName() string { return string(e) + ".csv" }

// Columns returns e's canonical columns, in the order files are written.
func (e Entity) Columns() []string {
	d := Describe(e)
	if d == nil {
		return nil
	}
	var out []string
	for _, c := range d.Columns() {
		out = append(out, c.Name)
	}
	return out
}

// Required returns the columns a file of e must have; the rest are optional.
func (e Entity) Required() []string {
	d := Describe(e)
	if d == nil {
		return nil
	}
	var out []string
	for _, c := range d.Columns() {
		if c.Required {
			out = append(out, c.Name)
		}
	}
	return out
}

// Record formats c as a row of EntityCustomers.Columns().
func (c *Customer) Record() []string { return customersSchema.Record(c) }

// Record formats v as a row of EntityInvoices.Columns().
func (v *Invoice) Record() []string { return invoicesSchema.Record(v) }

// Record formats p as a row of EntityPayments.Columns().
func (p *Payment) Record() []string { return paymentsSchema.Record(p) }

// Record formats n as a row of EntityCreditNotes.Columns().
func (n *CreditNote) Record() []string { return creditNotesSchema.Record(n) }

// Record formats d as a row of EntityDisputes.Columns().
func (d *Dispute) Record() []string { return disputesSchema.Record(d) }

// Record formats a as a row of EntityActions.Columns().
func (a *Action) Record() []string { return actionsSchema.Record(a) }

// Record formats p as a row of EntityPromises.Columns().
func (p *Promise) Record() []string { return promisesSchema.Record(p) }

// Record formats d as a row of EntityCreditDecisions.Columns().
func (d *CreditDecision) Record() []string { return creditDecisionsSchema.Record(d) }

// Record formats f as a row of EntityFinancials.Columns().
func (f *Financial) Record() []string { return financialsSchema.Record(f) }

// EachRecord calls fn with every record of l formatted as a canonical row,
// entity by entity in load order, each in slice order.
func (l *Ledger) EachRecord(fn func(e Entity, rec []string)) {
	for _, e := range Entities() {
		Describe(e).EachRecord(l, func(rec []string) { fn(e, rec) })
	}
}

// WriteDir writes l into dir as canonical CSV files, one per entity that has
// records. It is the inverse of importing a ledger directory.
func WriteDir(dir string, l *Ledger) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create ledger directory: %w", err)
	}
	rows := map[Entity][][]string{}
	l.EachRecord(func(e Entity, r []string) { rows[e] = append(rows[e], r) })
	for _, e := range Entities() {
		if len(rows[e]) == 0 {
			continue
		}
		if err := writeCSV(filepath.Join(dir, e.FileName()), e.Columns(), rows[e]); err != nil {
			return fmt.Errorf("write %s: %w", e.FileName(), err)
		}
	}
	return nil
}

func writeCSV(path string, header []string, rows [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f) // csv.Writer buffers itself; WriteAll flushes
	if err := w.Write(header); err != nil {
		f.Close()
		return err
	}
	if err := w.WriteAll(rows); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
