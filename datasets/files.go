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
)

// Entities returns every entity in load order.
func Entities() []Entity {
	return []Entity{EntityCustomers, EntityInvoices, EntityPayments, EntityCreditNotes,
		EntityDisputes, EntityActions, EntityPromises, EntityCreditDecisions}
}

// FileName is the canonical CSV file name of e in a ledger directory.
func (e Entity) FileName() string { return string(e) + ".csv" }

// Columns returns e's canonical columns, in the order the simulator writes them.
func (e Entity) Columns() []string {
	switch e {
	case EntityCustomers:
		return []string{"customer_id", "name", "segment", "country", "currency", "credit_limit", "payment_terms", "channel", "since"}
	case EntityInvoices:
		return []string{"customer_id", "invoice_id", "issue_date", "due_date", "amount", "currency", "settled_date", "disputed", "country", "segment", "channel"}
	case EntityPayments:
		return []string{"payment_id", "customer_id", "invoice_id", "payment_date", "amount", "currency"}
	case EntityCreditNotes:
		return []string{"credit_note_id", "customer_id", "invoice_id", "date", "amount", "kind", "reason"}
	case EntityDisputes:
		return []string{"dispute_id", "customer_id", "invoice_id", "opened_date", "resolved_date", "reason", "amount", "outcome"}
	case EntityActions:
		return []string{"action_id", "customer_id", "invoice_id", "action_date", "type", "channel", "outcome"}
	case EntityPromises:
		return []string{"promise_id", "customer_id", "invoice_id", "made_date", "promised_date", "amount", "status"}
	case EntityCreditDecisions:
		return []string{"decision_id", "customer_id", "decision_date", "old_limit", "new_limit", "reason", "decided_by"}
	}
	return nil
}

// Required returns the columns a file of e must have; the rest are optional.
func (e Entity) Required() []string {
	switch e {
	case EntityCustomers:
		return []string{"customer_id"}
	case EntityInvoices:
		return []string{"customer_id", "invoice_id", "issue_date", "due_date", "amount"}
	case EntityPayments:
		return []string{"payment_id", "customer_id", "payment_date", "amount"}
	case EntityCreditNotes:
		return []string{"credit_note_id", "customer_id", "date", "amount"}
	case EntityDisputes:
		return []string{"dispute_id", "customer_id", "invoice_id", "opened_date"}
	case EntityActions:
		return []string{"action_id", "customer_id", "action_date", "type"}
	case EntityPromises:
		return []string{"promise_id", "customer_id", "made_date", "promised_date", "amount"}
	case EntityCreditDecisions:
		return []string{"decision_id", "customer_id", "decision_date", "new_limit"}
	}
	return nil
}

func boolField(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// Record formats c as a row of EntityCustomers.Columns().
func (c *Customer) Record() []string {
	return []string{c.ID, c.Name, c.Segment, c.Country, c.Currency, c.CreditLimit.String(), c.Terms.String(), c.Channel, c.Since.String()}
}

// Record formats v as a row of EntityInvoices.Columns().
func (v *Invoice) Record() []string {
	return []string{v.CustomerID, v.ID, v.IssueDate.String(), v.DueDate.String(), v.Amount.String(), v.Currency,
		v.SettledDate.String(), boolField(v.Disputed), v.Country, v.Segment, v.Channel}
}

// Record formats p as a row of EntityPayments.Columns().
func (p *Payment) Record() []string {
	return []string{p.ID, p.CustomerID, p.InvoiceID, p.Date.String(), p.Amount.String(), p.Currency}
}

// Record formats n as a row of EntityCreditNotes.Columns().
func (n *CreditNote) Record() []string {
	return []string{n.ID, n.CustomerID, n.InvoiceID, n.Date.String(), n.Amount.String(), n.Kind, n.Reason}
}

// Record formats d as a row of EntityDisputes.Columns().
func (d *Dispute) Record() []string {
	return []string{d.ID, d.CustomerID, d.InvoiceID, d.Opened.String(), d.Resolved.String(), d.Reason, d.Amount.String(), d.Outcome}
}

// Record formats a as a row of EntityActions.Columns().
func (a *Action) Record() []string {
	return []string{a.ID, a.CustomerID, a.InvoiceID, a.Date.String(), a.Type, a.Channel, a.Outcome}
}

// Record formats p as a row of EntityPromises.Columns().
func (p *Promise) Record() []string {
	return []string{p.ID, p.CustomerID, p.InvoiceID, p.Made.String(), p.PromisedDate.String(), p.Amount.String(), p.Status}
}

// Record formats d as a row of EntityCreditDecisions.Columns().
func (d *CreditDecision) Record() []string {
	return []string{d.ID, d.CustomerID, d.Date.String(), d.OldLimit.String(), d.NewLimit.String(), d.Reason, d.DecidedBy}
}

// EachRecord calls fn with every record of l formatted as a canonical row,
// entity by entity in load order, each in slice order.
func (l *Ledger) EachRecord(fn func(e Entity, rec []string)) {
	for i := range l.Customers {
		fn(EntityCustomers, l.Customers[i].Record())
	}
	for i := range l.Invoices {
		fn(EntityInvoices, l.Invoices[i].Record())
	}
	for i := range l.Payments {
		fn(EntityPayments, l.Payments[i].Record())
	}
	for i := range l.CreditNotes {
		fn(EntityCreditNotes, l.CreditNotes[i].Record())
	}
	for i := range l.Disputes {
		fn(EntityDisputes, l.Disputes[i].Record())
	}
	for i := range l.Actions {
		fn(EntityActions, l.Actions[i].Record())
	}
	for i := range l.Promises {
		fn(EntityPromises, l.Promises[i].Record())
	}
	for i := range l.CreditDecisions {
		fn(EntityCreditDecisions, l.CreditDecisions[i].Record())
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
