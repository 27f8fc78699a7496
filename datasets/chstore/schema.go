package chstore

import (
	"github.com/dsopilot/dsopilot/datasets"
)

// ledgerTables describes the eight entity tables in the order Put writes
// them: customers first, so that a Put cut short leaves no invoice whose
// customer is missing. The column lists must match migrations/*.sql; the
// integration tests compare them with system.columns.
func ledgerTables() []ledgerTable {
	type (
		L  = datasets.Ledger
		C  = datasets.Counts
		cu = datasets.Customer
		in = datasets.Invoice
		pa = datasets.Payment
		cn = datasets.CreditNote
		di = datasets.Dispute
		ac = datasets.Action
		pr = datasets.Promise
		cd = datasets.CreditDecision
	)
	return []ledgerTable{
		newTable("customers", "customer_id", func(r *cu) *string { return &r.ID },
			func(l *L) *[]cu { return &l.Customers }, func(c *C) *uint64 { return &c.Customers },
			stringColumn("name", func(r *cu) *string { return &r.Name }),
			stringColumn("segment", func(r *cu) *string { return &r.Segment }),
			stringColumn("country", func(r *cu) *string { return &r.Country }),
			stringColumn("currency", func(r *cu) *string { return &r.Currency }),
			moneyColumn("credit_limit", func(r *cu) *datasets.Money { return &r.CreditLimit }),
			daysColumn("terms_days", func(r *cu) *int { return &r.Terms.Days }),
			flagColumn("terms_eom", func(r *cu) *bool { return &r.Terms.EOM }),
			stringColumn("channel", func(r *cu) *string { return &r.Channel }),
			dateColumn("since", func(r *cu) *datasets.Date { return &r.Since }),
		),
		newTable("invoices", "invoice_id", func(r *in) *string { return &r.ID },
			func(l *L) *[]in { return &l.Invoices }, func(c *C) *uint64 { return &c.Invoices },
			stringColumn("customer_id", func(r *in) *string { return &r.CustomerID }),
			dateColumn("issue_date", func(r *in) *datasets.Date { return &r.IssueDate }),
			dateColumn("due_date", func(r *in) *datasets.Date { return &r.DueDate }),
			moneyColumn("amount", func(r *in) *datasets.Money { return &r.Amount }),
			stringColumn("currency", func(r *in) *string { return &r.Currency }),
			dateColumn("settled_date", func(r *in) *datasets.Date { return &r.SettledDate }),
			flagColumn("disputed", func(r *in) *bool { return &r.Disputed }),
			stringColumn("country", func(r *in) *string { return &r.Country }),
			stringColumn("segment", func(r *in) *string { return &r.Segment }),
			stringColumn("channel", func(r *in) *string { return &r.Channel }),
		),
		newTable("payments", "payment_id", func(r *pa) *string { return &r.ID },
			func(l *L) *[]pa { return &l.Payments }, func(c *C) *uint64 { return &c.Payments },
			stringColumn("customer_id", func(r *pa) *string { return &r.CustomerID }),
			stringColumn("invoice_id", func(r *pa) *string { return &r.InvoiceID }),
			dateColumn("payment_date", func(r *pa) *datasets.Date { return &r.Date }),
			moneyColumn("amount", func(r *pa) *datasets.Money { return &r.Amount }),
			stringColumn("currency", func(r *pa) *string { return &r.Currency }),
		),
		newTable("credit_notes", "credit_note_id", func(r *cn) *string { return &r.ID },
			func(l *L) *[]cn { return &l.CreditNotes }, func(c *C) *uint64 { return &c.CreditNotes },
			stringColumn("customer_id", func(r *cn) *string { return &r.CustomerID }),
			stringColumn("invoice_id", func(r *cn) *string { return &r.InvoiceID }),
			dateColumn("note_date", func(r *cn) *datasets.Date { return &r.Date }),
			moneyColumn("amount", func(r *cn) *datasets.Money { return &r.Amount }),
			stringColumn("kind", func(r *cn) *string { return &r.Kind }),
			stringColumn("reason", func(r *cn) *string { return &r.Reason }),
		),
		newTable("disputes", "dispute_id", func(r *di) *string { return &r.ID },
			func(l *L) *[]di { return &l.Disputes }, func(c *C) *uint64 { return &c.Disputes },
			stringColumn("customer_id", func(r *di) *string { return &r.CustomerID }),
			stringColumn("invoice_id", func(r *di) *string { return &r.InvoiceID }),
			dateColumn("opened_date", func(r *di) *datasets.Date { return &r.Opened }),
			dateColumn("resolved_date", func(r *di) *datasets.Date { return &r.Resolved }),
			stringColumn("reason", func(r *di) *string { return &r.Reason }),
			moneyColumn("amount", func(r *di) *datasets.Money { return &r.Amount }),
			stringColumn("outcome", func(r *di) *string { return &r.Outcome }),
		),
		newTable("actions", "action_id", func(r *ac) *string { return &r.ID },
			func(l *L) *[]ac { return &l.Actions }, func(c *C) *uint64 { return &c.Actions },
			stringColumn("customer_id", func(r *ac) *string { return &r.CustomerID }),
			stringColumn("invoice_id", func(r *ac) *string { return &r.InvoiceID }),
			dateColumn("action_date", func(r *ac) *datasets.Date { return &r.Date }),
			stringColumn("action_type", func(r *ac) *string { return &r.Type }),
			stringColumn("channel", func(r *ac) *string { return &r.Channel }),
			stringColumn("outcome", func(r *ac) *string { return &r.Outcome }),
		),
		newTable("promises", "promise_id", func(r *pr) *string { return &r.ID },
			func(l *L) *[]pr { return &l.Promises }, func(c *C) *uint64 { return &c.Promises },
			stringColumn("customer_id", func(r *pr) *string { return &r.CustomerID }),
			stringColumn("invoice_id", func(r *pr) *string { return &r.InvoiceID }),
			dateColumn("made_date", func(r *pr) *datasets.Date { return &r.Made }),
			dateColumn("promised_date", func(r *pr) *datasets.Date { return &r.PromisedDate }),
			moneyColumn("amount", func(r *pr) *datasets.Money { return &r.Amount }),
			stringColumn("status", func(r *pr) *string { return &r.Status }),
		),
		newTable("credit_decisions", "decision_id", func(r *cd) *string { return &r.ID },
			func(l *L) *[]cd { return &l.CreditDecisions }, func(c *C) *uint64 { return &c.CreditDecisions },
			stringColumn("customer_id", func(r *cd) *string { return &r.CustomerID }),
			dateColumn("decision_date", func(r *cd) *datasets.Date { return &r.Date }),
			moneyColumn("old_limit", func(r *cd) *datasets.Money { return &r.OldLimit }),
			moneyColumn("new_limit", func(r *cd) *datasets.Money { return &r.NewLimit }),
			stringColumn("reason", func(r *cd) *string { return &r.Reason }),
			stringColumn("decided_by", func(r *cd) *string { return &r.DecidedBy }),
		),
	}
}
