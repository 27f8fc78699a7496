package importer

import (
	"strings"
	"unicode/utf8"

	"github.com/dsopilot/dsopilot/datasets"
)

// field is a canonical column of any entity. decode addresses fields by
// these constants, so that a row's value is one slice index away: the
// header is resolved to positions once per file (row.resolve), not per field
// per row.
type field uint8

const (
	fCustomerID field = iota
	fName
	fSegment
	fCountry
	fCurrency
	fCreditLimit
	fPaymentTerms
	fChannel
	fSince
	fInvoiceID
	fIssueDate
	fDueDate
	fAmount
	fSettledDate
	fDisputed
	fPaymentID
	fPaymentDate
	fCreditNoteID
	fDate
	fKind
	fReason
	fDisputeID
	fOpenedDate
	fResolvedDate
	fOutcome
	fActionID
	fActionDate
	fType
	fPromiseID
	fMadeDate
	fPromisedDate
	fStatus
	fDecisionID
	fDecisionDate
	fOldLimit
	fNewLimit
	fDecidedBy
	numFields
)

// fieldNames are the canonical column names of the fields (TestFieldNames
// checks them against datasets.Entity.Columns).
var fieldNames = [numFields]string{
	fCustomerID: "customer_id", fName: "name", fSegment: "segment", fCountry: "country", fCurrency: "currency",
	fCreditLimit: "credit_limit", fPaymentTerms: "payment_terms", fChannel: "channel", fSince: "since",
	fInvoiceID: "invoice_id", fIssueDate: "issue_date", fDueDate: "due_date", fAmount: "amount",
	fSettledDate: "settled_date", fDisputed: "disputed", fPaymentID: "payment_id", fPaymentDate: "payment_date",
	fCreditNoteID: "credit_note_id", fDate: "date", fKind: "kind", fReason: "reason", fDisputeID: "dispute_id",
	fOpenedDate: "opened_date", fResolvedDate: "resolved_date", fOutcome: "outcome", fActionID: "action_id",
	fActionDate: "action_date", fType: "type", fPromiseID: "promise_id", fMadeDate: "made_date",
	fPromisedDate: "promised_date", fStatus: "status", fDecisionID: "decision_id", fDecisionDate: "decision_date",
	fOldLimit: "old_limit", fNewLimit: "new_limit", fDecidedBy: "decided_by",
}

func (f field) String() string { return fieldNames[f] }

// fieldError is one bad field of one row.
type fieldError struct {
	field, value, reason string
}

// row reads the canonical fields of one source row and collects every
// problem with it, so that a rejected row is reported completely at once.
type row struct {
	vals         []string
	at           [numFields]int // index in vals of each field, -1 when absent
	dates        DateParser
	decimalComma bool
	// knownCustomer, when set, rejects rows whose customer is not in the
	// customer master; it is nil when customers are derived from invoices.
	knownCustomer func(id string) bool
	errs          []fieldError
}

// resolve records where each field is in the file's rows; pos maps
// canonical column names to indexes (resolveHeader).
func (r *row) resolve(pos map[string]int) {
	for f, name := range fieldNames {
		r.at[f] = -1
		if i, ok := pos[name]; ok {
			r.at[f] = i
		}
	}
}

func (r *row) customer(name field) string {
	id := r.id(name)
	if id != "" && r.knownCustomer != nil && !r.knownCustomer(id) {
		r.fail(name, id, "unknown customer (not in the customers file or the store)")
	}
	return id
}

func (r *row) str(f field) string {
	i := r.at[f]
	if i < 0 || i >= len(r.vals) {
		return ""
	}
	return trimSpace(r.vals[i])
}

// trimSpace is strings.TrimSpace without its scan when, as nearly always,
// s neither starts nor ends with a space: Unicode spaces are ASCII bytes up
// to ' ' or multi-byte sequences, whose bytes are all >= utf8.RuneSelf.
func trimSpace(s string) string {
	if n := len(s); n == 0 || s[0] > ' ' && s[0] < utf8.RuneSelf && s[n-1] > ' ' && s[n-1] < utf8.RuneSelf {
		return s
	}
	return strings.TrimSpace(s)
}

func (r *row) fail(f field, value, reason string) {
	r.errs = append(r.errs, fieldError{field: fieldNames[f], value: value, reason: reason})
}

func (r *row) id(name field) string {
	v := r.str(name)
	if v == "" {
		r.fail(name, v, "empty id")
	}
	return v
}

func (r *row) date(name field, required bool) datasets.Date {
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

func (r *row) money(name field, required bool) datasets.Money {
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

func (r *row) flag(name field) bool {
	v := r.str(name)
	b, err := parseBool(v)
	if err != nil {
		r.fail(name, v, err.Error())
	}
	return b
}

func (r *row) terms(name field) datasets.Terms {
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
func (r *row) notBefore(later field, l datasets.Date, earlier field, e datasets.Date) {
	if l != 0 && e != 0 && l < e {
		r.fail(later, l.String(), fieldNames[later]+" is before "+fieldNames[earlier]+" "+e.String())
	}
}

func (r *row) positive(name field, m datasets.Money) {
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
		c := datasets.Customer{ID: r.id(fCustomerID), Name: r.str(fName), Segment: r.str(fSegment),
			Country: strings.ToUpper(r.str(fCountry)), Currency: strings.ToUpper(r.str(fCurrency)),
			CreditLimit: r.money(fCreditLimit, false), Terms: r.terms(fPaymentTerms),
			Channel: r.str(fChannel), Since: r.date(fSince, false)}
		r.positive(fCreditLimit, c.CreditLimit)
		if len(r.errs) == 0 {
			batch.Customers = append(batch.Customers, c)
		}
		return c.ID, c.ID
	case datasets.EntityInvoices:
		v := datasets.Invoice{CustomerID: r.customer(fCustomerID), ID: r.id(fInvoiceID),
			IssueDate: r.date(fIssueDate, true), DueDate: r.date(fDueDate, true),
			Amount: r.money(fAmount, true), Currency: strings.ToUpper(r.str(fCurrency)),
			SettledDate: r.date(fSettledDate, false), Disputed: r.flag(fDisputed),
			Country: strings.ToUpper(r.str(fCountry)), Segment: r.str(fSegment), Channel: r.str(fChannel)}
		r.notBefore(fDueDate, v.DueDate, fIssueDate, v.IssueDate)
		r.notBefore(fSettledDate, v.SettledDate, fIssueDate, v.IssueDate)
		if v.Amount < 0 {
			r.fail(fAmount, v.Amount.String(), "negative invoice amount (load credit memos as credit notes)")
		}
		if len(r.errs) == 0 {
			batch.Invoices = append(batch.Invoices, v)
		}
		return v.ID, v.CustomerID
	case datasets.EntityPayments:
		p := datasets.Payment{ID: r.id(fPaymentID), CustomerID: r.customer(fCustomerID), InvoiceID: r.str(fInvoiceID),
			Date: r.date(fPaymentDate, true), Amount: r.money(fAmount, true), Currency: strings.ToUpper(r.str(fCurrency))}
		if len(r.errs) == 0 {
			batch.Payments = append(batch.Payments, p)
		}
		return p.ID, p.CustomerID
	case datasets.EntityCreditNotes:
		n := datasets.CreditNote{ID: r.id(fCreditNoteID), CustomerID: r.customer(fCustomerID), InvoiceID: r.str(fInvoiceID),
			Date: r.date(fDate, true), Amount: r.money(fAmount, true), Kind: strings.ToLower(r.str(fKind)), Reason: r.str(fReason)}
		switch n.Kind {
		case "":
			n.Kind = datasets.KindCreditNote
		case datasets.KindCreditNote, datasets.KindWriteOff:
		default:
			r.fail(fKind, n.Kind, "want credit_note or write_off")
		}
		if len(r.errs) == 0 {
			batch.CreditNotes = append(batch.CreditNotes, n)
		}
		return n.ID, n.CustomerID
	case datasets.EntityDisputes:
		d := datasets.Dispute{ID: r.id(fDisputeID), CustomerID: r.customer(fCustomerID), InvoiceID: r.id(fInvoiceID),
			Opened: r.date(fOpenedDate, true), Resolved: r.date(fResolvedDate, false), Reason: r.str(fReason),
			Amount: r.money(fAmount, false), Outcome: strings.ToLower(r.str(fOutcome))}
		r.notBefore(fResolvedDate, d.Resolved, fOpenedDate, d.Opened)
		if len(r.errs) == 0 {
			batch.Disputes = append(batch.Disputes, d)
		}
		return d.ID, d.CustomerID
	case datasets.EntityActions:
		a := datasets.Action{ID: r.id(fActionID), CustomerID: r.customer(fCustomerID), InvoiceID: r.str(fInvoiceID),
			Date: r.date(fActionDate, true), Type: strings.ToLower(r.str(fType)), Channel: strings.ToLower(r.str(fChannel)),
			Outcome: strings.ToLower(r.str(fOutcome))}
		if a.Type == "" {
			r.fail(fType, "", "missing action type")
		}
		if len(r.errs) == 0 {
			batch.Actions = append(batch.Actions, a)
		}
		return a.ID, a.CustomerID
	case datasets.EntityPromises:
		p := datasets.Promise{ID: r.id(fPromiseID), CustomerID: r.customer(fCustomerID), InvoiceID: r.str(fInvoiceID),
			Made: r.date(fMadeDate, true), PromisedDate: r.date(fPromisedDate, true), Amount: r.money(fAmount, true),
			Status: strings.ToLower(r.str(fStatus))}
		r.notBefore(fPromisedDate, p.PromisedDate, fMadeDate, p.Made)
		switch p.Status {
		case "":
			p.Status = datasets.PromiseOpen
		case datasets.PromiseOpen, datasets.PromiseKept, datasets.PromiseBroken:
		default:
			r.fail(fStatus, p.Status, "want open, kept or broken")
		}
		if len(r.errs) == 0 {
			batch.Promises = append(batch.Promises, p)
		}
		return p.ID, p.CustomerID
	case datasets.EntityCreditDecisions:
		d := datasets.CreditDecision{ID: r.id(fDecisionID), CustomerID: r.customer(fCustomerID), Date: r.date(fDecisionDate, true),
			OldLimit: r.money(fOldLimit, false), NewLimit: r.money(fNewLimit, true), Reason: r.str(fReason), DecidedBy: r.str(fDecidedBy)}
		r.positive(fNewLimit, d.NewLimit)
		r.positive(fOldLimit, d.OldLimit)
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
