package importer

import (
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// fieldError is one bad field of one row.
type fieldError struct {
	field, value, reason string
}

// row reads the canonical fields of one source row and collects every
// problem with it, so that a rejected row is reported completely at once.
type row struct {
	vals         []string
	pos          map[string]int // canonical column -> index in vals
	dates        DateParser
	decimalComma bool
	// knownCustomer, when set, rejects rows whose customer is not in the
	// customer master; it is nil when customers are derived from invoices.
	knownCustomer func(id string) bool
	errs          []fieldError
}

func (r *row) customer(name string) string {
	id := r.id(name)
	if id != "" && r.knownCustomer != nil && !r.knownCustomer(id) {
		r.fail(name, id, "unknown customer (not in the customers file or the store)")
	}
	return id
}

func (r *row) str(name string) string {
	i, ok := r.pos[name]
	if !ok || i >= len(r.vals) {
		return ""
	}
	return strings.TrimSpace(r.vals[i])
}

func (r *row) fail(name, value, reason string) {
	r.errs = append(r.errs, fieldError{field: name, value: value, reason: reason})
}

func (r *row) id(name string) string {
	v := r.str(name)
	if v == "" {
		r.fail(name, v, "empty id")
	}
	return v
}

func (r *row) date(name string, required bool) datasets.Date {
	v := r.str(name)
	if v == "" {
		if required {
			r.fail(name, v, "missing date")
		}
		return 0
	}
	d, err := r.dates.Parse(v)
	if err != nil {
		r.fail(name, v, err.Error())
	}
	return d
}

func (r *row) money(name string, required bool) datasets.Money {
	v := r.str(name)
	if v == "" {
		if required {
			r.fail(name, v, "missing amount")
		}
		return 0
	}
	m, err := parseAmount(v, r.decimalComma)
	if err != nil {
		r.fail(name, v, err.Error())
	}
	return m
}

func (r *row) flag(name string) bool {
	v := r.str(name)
	b, err := parseBool(v)
	if err != nil {
		r.fail(name, v, err.Error())
	}
	return b
}

func (r *row) terms(name string) datasets.Terms {
	v := r.str(name)
	if v == "" {
		return datasets.Terms{}
	}
	t, err := datasets.ParseTerms(v)
	if err != nil {
		r.fail(name, v, err.Error())
	}
	return t
}

// notBefore records an error on field later when it precedes earlier.
func (r *row) notBefore(later string, l datasets.Date, earlier string, e datasets.Date) {
	if l != 0 && e != 0 && l < e {
		r.fail(later, l.String(), later+" is before "+earlier+" "+e.String())
	}
}

func (r *row) positive(name string, m datasets.Money) {
	if m < 0 {
		r.fail(name, m.String(), "negative amount")
	}
}

// decode appends the row, parsed as entity e, to batch when it is valid.
// It returns the record's id and customer id (for duplicate and customer
// checks), valid or not.
func (r *row) decode(e datasets.Entity, batch *datasets.Ledger) (id, customer string) {
	switch e {
	case datasets.EntityCustomers:
		c := datasets.Customer{ID: r.id("customer_id"), Name: r.str("name"), Segment: r.str("segment"),
			Country: strings.ToUpper(r.str("country")), Currency: strings.ToUpper(r.str("currency")),
			CreditLimit: r.money("credit_limit", false), Terms: r.terms("payment_terms"),
			Channel: r.str("channel"), Since: r.date("since", false)}
		r.positive("credit_limit", c.CreditLimit)
		if len(r.errs) == 0 {
			batch.Customers = append(batch.Customers, c)
		}
		return c.ID, c.ID
	case datasets.EntityInvoices:
		v := datasets.Invoice{CustomerID: r.customer("customer_id"), ID: r.id("invoice_id"),
			IssueDate: r.date("issue_date", true), DueDate: r.date("due_date", true),
			Amount: r.money("amount", true), Currency: strings.ToUpper(r.str("currency")),
			SettledDate: r.date("settled_date", false), Disputed: r.flag("disputed"),
			Country: strings.ToUpper(r.str("country")), Segment: r.str("segment"), Channel: r.str("channel")}
		r.notBefore("due_date", v.DueDate, "issue_date", v.IssueDate)
		r.notBefore("settled_date", v.SettledDate, "issue_date", v.IssueDate)
		if v.Amount < 0 {
			r.fail("amount", v.Amount.String(), "negative invoice amount (load credit memos as credit notes)")
		}
		if len(r.errs) == 0 {
			batch.Invoices = append(batch.Invoices, v)
		}
		return v.ID, v.CustomerID
	case datasets.EntityPayments:
		p := datasets.Payment{ID: r.id("payment_id"), CustomerID: r.customer("customer_id"), InvoiceID: r.str("invoice_id"),
			Date: r.date("payment_date", true), Amount: r.money("amount", true), Currency: strings.ToUpper(r.str("currency"))}
		if len(r.errs) == 0 {
			batch.Payments = append(batch.Payments, p)
		}
		return p.ID, p.CustomerID
	case datasets.EntityCreditNotes:
		n := datasets.CreditNote{ID: r.id("credit_note_id"), CustomerID: r.customer("customer_id"), InvoiceID: r.str("invoice_id"),
			Date: r.date("date", true), Amount: r.money("amount", true), Kind: strings.ToLower(r.str("kind")), Reason: r.str("reason")}
		switch n.Kind {
		case "":
			n.Kind = datasets.KindCreditNote
		case datasets.KindCreditNote, datasets.KindWriteOff:
		default:
			r.fail("kind", n.Kind, "want credit_note or write_off")
		}
		if len(r.errs) == 0 {
			batch.CreditNotes = append(batch.CreditNotes, n)
		}
		return n.ID, n.CustomerID
	case datasets.EntityDisputes:
		d := datasets.Dispute{ID: r.id("dispute_id"), CustomerID: r.customer("customer_id"), InvoiceID: r.id("invoice_id"),
			Opened: r.date("opened_date", true), Resolved: r.date("resolved_date", false), Reason: r.str("reason"),
			Amount: r.money("amount", false), Outcome: strings.ToLower(r.str("outcome"))}
		r.notBefore("resolved_date", d.Resolved, "opened_date", d.Opened)
		if len(r.errs) == 0 {
			batch.Disputes = append(batch.Disputes, d)
		}
		return d.ID, d.CustomerID
	case datasets.EntityActions:
		a := datasets.Action{ID: r.id("action_id"), CustomerID: r.customer("customer_id"), InvoiceID: r.str("invoice_id"),
			Date: r.date("action_date", true), Type: strings.ToLower(r.str("type")), Channel: strings.ToLower(r.str("channel")),
			Outcome: strings.ToLower(r.str("outcome"))}
		if a.Type == "" {
			r.fail("type", "", "missing action type")
		}
		if len(r.errs) == 0 {
			batch.Actions = append(batch.Actions, a)
		}
		return a.ID, a.CustomerID
	case datasets.EntityPromises:
		p := datasets.Promise{ID: r.id("promise_id"), CustomerID: r.customer("customer_id"), InvoiceID: r.str("invoice_id"),
			Made: r.date("made_date", true), PromisedDate: r.date("promised_date", true), Amount: r.money("amount", true),
			Status: strings.ToLower(r.str("status"))}
		r.notBefore("promised_date", p.PromisedDate, "made_date", p.Made)
		switch p.Status {
		case "":
			p.Status = datasets.PromiseOpen
		case datasets.PromiseOpen, datasets.PromiseKept, datasets.PromiseBroken:
		default:
			r.fail("status", p.Status, "want open, kept or broken")
		}
		if len(r.errs) == 0 {
			batch.Promises = append(batch.Promises, p)
		}
		return p.ID, p.CustomerID
	case datasets.EntityCreditDecisions:
		d := datasets.CreditDecision{ID: r.id("decision_id"), CustomerID: r.customer("customer_id"), Date: r.date("decision_date", true),
			OldLimit: r.money("old_limit", false), NewLimit: r.money("new_limit", true), Reason: r.str("reason"), DecidedBy: r.str("decided_by")}
		r.positive("new_limit", d.NewLimit)
		r.positive("old_limit", d.OldLimit)
		if len(r.errs) == 0 {
			batch.CreditDecisions = append(batch.CreditDecisions, d)
		}
		return d.ID, d.CustomerID
	}
	return "", ""
}

// derivedCustomer builds a customer record from what an invoice row says,
// for ledgers imported without a customer master (a cleared-items export).
func derivedCustomer(v *datasets.Invoice) datasets.Customer {
	return datasets.Customer{ID: v.CustomerID, Segment: v.Segment, Country: v.Country, Currency: v.Currency, Channel: v.Channel}
}
