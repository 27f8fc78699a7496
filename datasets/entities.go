package datasets

// The schemas of the entities: the one place where a record type's fields,
// their file columns, kinds and store columns are written down. To add a
// field: add it to the struct in ledger.go, append it to the entity's list
// below (at the end: the embedded store reads older records by position),
// add a ClickHouse migration that adds the column, and extend
// storetest.Sample so the conformance suite round-trips it. The CSV
// writer, the importer, both stores and the docs' column lists follow.

// The schemas are built once and only read afterwards.
var (
	customersSchema = NewSchema(EntityCustomers, "customer_id", "customer_id",
		func(l *Ledger) *[]Customer { return &l.Customers }, func(c *Counts) *uint64 { return &c.Customers },
		Rules[Customer]{Check: func(c *Customer, bad func(Problem)) {
			if c.CreditLimitBlank && c.CreditLimit != 0 {
				bad(Problem{Field: "credit_limit_blank", Value: "true",
					Reason: "credit_limit " + c.CreditLimit.String() + " is not blank: a limit is either recorded or blank"})
			}
		}},
		TextField("customer_id", func(r *Customer) *string { return &r.ID }).Req(),
		TextField("name", func(r *Customer) *string { return &r.Name }),
		TextField("segment", func(r *Customer) *string { return &r.Segment }),
		TextField("country", func(r *Customer) *string { return &r.Country }).Country(),
		TextField("currency", func(r *Customer) *string { return &r.Currency }).Currency(),
		MoneyField("credit_limit", func(r *Customer) *Money { return &r.CreditLimit }).NotNegative().
			WarnBlank("credit_limit is empty: no credit limit recorded (kept apart from 0.00, which is no credit)").
			BlankSets(func(r *Customer) *bool { return &r.CreditLimitBlank }),
		TermsField("payment_terms", func(r *Customer) *Terms { return &r.Terms }).In("terms"),
		TextField("channel", func(r *Customer) *string { return &r.Channel }),
		DateField("since", func(r *Customer) *Date { return &r.Since }),
		TextField("collector", func(r *Customer) *string { return &r.Collector }),
		// Set by an empty credit_limit (BlankSets) or read back from a
		// file dsopilot wrote: a blank and 0.00 must stay two values.
		BoolField("credit_limit_blank", func(r *Customer) *bool { return &r.CreditLimitBlank }),
	)

	invoicesSchema = NewSchema(EntityInvoices, "invoice_id", "customer_id",
		func(l *Ledger) *[]Invoice { return &l.Invoices }, func(c *Counts) *uint64 { return &c.Invoices },
		Rules[Invoice]{Check: func(v *Invoice, bad func(Problem)) {
			notBefore(bad, "due_date", v.DueDate, "issue_date", v.IssueDate)
			notBefore(bad, "settled_date", v.SettledDate, "issue_date", v.IssueDate)
			if v.Amount < 0 {
				bad(Problem{Field: "amount", Value: v.Amount.String(), Reason: "negative invoice amount: a credit memo? record it as a credit note",
					FileHint: "(if the file has a document type column, map it (--columns invoices.type=<header>) and its credit-note rows load as credit notes; else put such rows in a file of their own and import it as credit notes (--kind credit_notes; credit notes written negative are read as credits))"})
			}
		}},
		TextField("customer_id", func(r *Invoice) *string { return &r.CustomerID }).Req(),
		TextField("invoice_id", func(r *Invoice) *string { return &r.ID }).Req(),
		DateField("issue_date", func(r *Invoice) *Date { return &r.IssueDate }).Req(),
		DateField("due_date", func(r *Invoice) *Date { return &r.DueDate }).Req(),
		MoneyField("amount", func(r *Invoice) *Money { return &r.Amount }).Req(),
		TextField("currency", func(r *Invoice) *string { return &r.Currency }).Currency(),
		DateField("settled_date", func(r *Invoice) *Date { return &r.SettledDate }),
		BoolField("disputed", func(r *Invoice) *bool { return &r.Disputed }),
		TextField("country", func(r *Invoice) *string { return &r.Country }).Country(),
		TextField("segment", func(r *Invoice) *string { return &r.Segment }),
		TextField("channel", func(r *Invoice) *string { return &r.Channel }),
	)

	paymentsSchema = NewSchema(EntityPayments, "payment_id", "customer_id",
		func(l *Ledger) *[]Payment { return &l.Payments }, func(c *Counts) *uint64 { return &c.Payments },
		Rules[Payment]{Warn: func(p *Payment, warn func(Problem)) {
			if p.Amount < 0 {
				warn(Problem{Field: "amount", Value: p.Amount.String(), Reason: "negative payment (a refund or a reversal?)"})
			}
		}},
		TextField("payment_id", func(r *Payment) *string { return &r.ID }).Req(),
		TextField("customer_id", func(r *Payment) *string { return &r.CustomerID }).Req(),
		TextField("invoice_id", func(r *Payment) *string { return &r.InvoiceID }),
		DateField("payment_date", func(r *Payment) *Date { return &r.Date }).Req(),
		MoneyField("amount", func(r *Payment) *Money { return &r.Amount }).Req(),
		TextField("currency", func(r *Payment) *string { return &r.Currency }).Currency(),
	)

	creditNotesSchema = NewSchema(EntityCreditNotes, "credit_note_id", "customer_id",
		func(l *Ledger) *[]CreditNote { return &l.CreditNotes }, func(c *Counts) *uint64 { return &c.CreditNotes },
		Rules[CreditNote]{},
		TextField("credit_note_id", func(r *CreditNote) *string { return &r.ID }).Req(),
		TextField("customer_id", func(r *CreditNote) *string { return &r.CustomerID }).Req(),
		TextField("invoice_id", func(r *CreditNote) *string { return &r.InvoiceID }),
		DateField("date", func(r *CreditNote) *Date { return &r.Date }).Req().In("note_date"),
		MoneyField("amount", func(r *CreditNote) *Money { return &r.Amount }).Req(),
		TextField("kind", func(r *CreditNote) *string { return &r.Kind }).OneOf(KindCreditNote, KindWriteOff),
		TextField("reason", func(r *CreditNote) *string { return &r.Reason }),
	)

	disputesSchema = NewSchema(EntityDisputes, "dispute_id", "customer_id",
		func(l *Ledger) *[]Dispute { return &l.Disputes }, func(c *Counts) *uint64 { return &c.Disputes },
		Rules[Dispute]{Check: func(d *Dispute, bad func(Problem)) {
			notBefore(bad, "resolved_date", d.Resolved, "opened_date", d.Opened)
		}},
		TextField("dispute_id", func(r *Dispute) *string { return &r.ID }).Req(),
		TextField("customer_id", func(r *Dispute) *string { return &r.CustomerID }).Req(),
		TextField("invoice_id", func(r *Dispute) *string { return &r.InvoiceID }).Req(),
		DateField("opened_date", func(r *Dispute) *Date { return &r.Opened }).Req(),
		DateField("resolved_date", func(r *Dispute) *Date { return &r.Resolved }),
		TextField("reason", func(r *Dispute) *string { return &r.Reason }),
		MoneyField("amount", func(r *Dispute) *Money { return &r.Amount }),
		TextField("outcome", func(r *Dispute) *string { return &r.Outcome }).Lower(),
	)

	actionsSchema = NewSchema(EntityActions, "action_id", "customer_id",
		func(l *Ledger) *[]Action { return &l.Actions }, func(c *Counts) *uint64 { return &c.Actions },
		Rules[Action]{},
		TextField("action_id", func(r *Action) *string { return &r.ID }).Req(),
		TextField("customer_id", func(r *Action) *string { return &r.CustomerID }).Req(),
		TextField("invoice_id", func(r *Action) *string { return &r.InvoiceID }),
		DateField("action_date", func(r *Action) *Date { return &r.Date }).Req(),
		TextField("type", func(r *Action) *string { return &r.Type }).Req().Lower().In("action_type"),
		TextField("channel", func(r *Action) *string { return &r.Channel }).Lower(),
		TextField("outcome", func(r *Action) *string { return &r.Outcome }).Lower(),
		TextField("policy", func(r *Action) *string { return &r.Policy }).Lower(),
		ProbabilityField("propensity", func(r *Action) *float64 { return &r.Propensity }),
	)

	promisesSchema = NewSchema(EntityPromises, "promise_id", "customer_id",
		func(l *Ledger) *[]Promise { return &l.Promises }, func(c *Counts) *uint64 { return &c.Promises },
		Rules[Promise]{Check: func(p *Promise, bad func(Problem)) {
			notBefore(bad, "promised_date", p.PromisedDate, "made_date", p.Made)
		}},
		TextField("promise_id", func(r *Promise) *string { return &r.ID }).Req(),
		TextField("customer_id", func(r *Promise) *string { return &r.CustomerID }).Req(),
		TextField("invoice_id", func(r *Promise) *string { return &r.InvoiceID }),
		DateField("made_date", func(r *Promise) *Date { return &r.Made }).Req(),
		DateField("promised_date", func(r *Promise) *Date { return &r.PromisedDate }).Req(),
		MoneyField("amount", func(r *Promise) *Money { return &r.Amount }).Req(),
		TextField("status", func(r *Promise) *string { return &r.Status }).OneOf(PromiseOpen, PromiseKept, PromiseBroken),
	)

	creditDecisionsSchema = NewSchema(EntityCreditDecisions, "decision_id", "customer_id",
		func(l *Ledger) *[]CreditDecision { return &l.CreditDecisions }, func(c *Counts) *uint64 { return &c.CreditDecisions },
		Rules[CreditDecision]{},
		TextField("decision_id", func(r *CreditDecision) *string { return &r.ID }).Req(),
		TextField("customer_id", func(r *CreditDecision) *string { return &r.CustomerID }).Req(),
		DateField("decision_date", func(r *CreditDecision) *Date { return &r.Date }).Req(),
		MoneyField("old_limit", func(r *CreditDecision) *Money { return &r.OldLimit }).NotNegative().
			WarnBlank("old_limit is empty: no limit recorded before the decision (kept apart from 0.00, which is no credit)").
			BlankSets(func(r *CreditDecision) *bool { return &r.OldLimitBlank }),
		MoneyField("new_limit", func(r *CreditDecision) *Money { return &r.NewLimit }).Req().NotNegative(),
		TextField("reason", func(r *CreditDecision) *string { return &r.Reason }),
		TextField("decided_by", func(r *CreditDecision) *string { return &r.DecidedBy }),
		// No limit recorded before the decision (the workflow's approval of
		// a blank master limit), kept apart from an old limit of 0.00.
		BoolField("old_limit_blank", func(r *CreditDecision) *bool { return &r.OldLimitBlank }),
	)

	financialsSchema = NewSchema(EntityFinancials, "financial_id", "customer_id",
		func(l *Ledger) *[]Financial { return &l.Financials }, func(c *Counts) *uint64 { return &c.Financials },
		Rules[Financial]{Complete: func(f *Financial) {
			if f.ID == "" && f.CustomerID != "" && f.Date != 0 {
				f.ID = FinancialID(f.CustomerID, f.Date, f.Source)
			}
		}},
		TextField("financial_id", func(r *Financial) *string { return &r.ID }),
		TextField("customer_id", func(r *Financial) *string { return &r.CustomerID }).Req(),
		DateField("date", func(r *Financial) *Date { return &r.Date }).Req().In("report_date"),
		MoneyField("tangible_net_worth", func(r *Financial) *Money { return &r.TangibleNetWorth }).Req(),
		MoneyField("turnover", func(r *Financial) *Money { return &r.Turnover }).Req().NotNegative(),
		TextField("rating", func(r *Financial) *string { return &r.Rating }),
		NumberField("score", func(r *Financial) *float64 { return &r.Score }, func(r *Financial) *bool { return &r.HasScore }),
		TextField("source", func(r *Financial) *string { return &r.Source }),
	)
)

// CustomersSchema describes Customer records.
func CustomersSchema() *Schema[Customer] { return customersSchema }

// InvoicesSchema describes Invoice records.
func InvoicesSchema() *Schema[Invoice] { return invoicesSchema }

// PaymentsSchema describes Payment records.
func PaymentsSchema() *Schema[Payment] { return paymentsSchema }

// CreditNotesSchema describes CreditNote records.
func CreditNotesSchema() *Schema[CreditNote] { return creditNotesSchema }

// DisputesSchema describes Dispute records.
func DisputesSchema() *Schema[Dispute] { return disputesSchema }

// ActionsSchema describes Action records.
func ActionsSchema() *Schema[Action] { return actionsSchema }

// PromisesSchema describes Promise records.
func PromisesSchema() *Schema[Promise] { return promisesSchema }

// CreditDecisionsSchema describes CreditDecision records.
func CreditDecisionsSchema() *Schema[CreditDecision] { return creditDecisionsSchema }

// FinancialsSchema describes Financial records.
func FinancialsSchema() *Schema[Financial] { return financialsSchema }

// Describe returns e's schema without its record type, or nil for an
// unknown entity.
func Describe(e Entity) Description {
	switch e {
	case EntityCustomers:
		return customersSchema
	case EntityInvoices:
		return invoicesSchema
	case EntityPayments:
		return paymentsSchema
	case EntityCreditNotes:
		return creditNotesSchema
	case EntityDisputes:
		return disputesSchema
	case EntityActions:
		return actionsSchema
	case EntityPromises:
		return promisesSchema
	case EntityCreditDecisions:
		return creditDecisionsSchema
	case EntityFinancials:
		return financialsSchema
	}
	return nil
}
