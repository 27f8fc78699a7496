package forecast

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
)

// History is a ledger arranged for cash questions asked as of any date:
// what each invoice still owed, what was received from it and when, and
// the customer's record of promises and disputes. It never changes after
// NewHistory and is safe for concurrent use.
//
// Amounts are taken as they are: convert the ledger to the reporting
// currency first (datasets.Ledger.Convert).
type History struct {
	inv  []invoice      // by customer, issue date, id
	cust []customer     // by id
	byID map[string]int // customer id → position in cust
	// first and last are the earliest and latest dates the ledger records.
	first, last datasets.Date
	// disputesKnown is false for a ledger without dispute records (a
	// cleared-items export): the invoices' disputed flag stands in.
	disputesKnown bool
	// A History of a part of a ledger (FromParts) takes from the whole
	// ledger what its portfolio-wide quantities at pf.asOf are, and how
	// many customers the whole has (population, for the replay sample);
	// both are unset for a whole ledger.
	pf         *portfolio
	population int
	// unapplied are the payments that name no invoice, unknown those
	// naming an invoice h does not hold (another part's, or none at all),
	// by date: cash a comparison counts beside the invoices' (Compare).
	unapplied, unknown []flow
}

// portfolioAt returns the whole portfolio's quantities when h is a part of
// a ledger and the question is the whole portfolio's (custs nil) at the
// date they were gathered for; nil otherwise.
func (h *History) portfolioAt(t datasets.Date, custs []int) *portfolio {
	if h.pf == nil || custs != nil || h.pf.asOf != t {
		return nil
	}
	return h.pf
}

// flow is money moving on an invoice on a day.
type flow struct {
	date   datasets.Date
	amount datasets.Money
}

type invoice struct {
	datasets.Invoice
	cust int
	// The labels of breakdowns: the currency before conversion, the
	// invoice's segment and country or else its customer's.
	label    struct{ currency, segment, country string }
	pays     []flow // linked payments, by date
	credits  []flow // credit notes and write-offs, by date
	writeOff bool   // a write-off credit note exists
	disputes []datasets.Dispute
	promises []datasets.Promise
}

type customer struct {
	datasets.Customer
	inv      []int // positions in History.inv, by issue date
	promises []datasets.Promise
	disputes []datasets.Dispute
}

// NewHistory arranges l. l should carry the write-offs its settlements
// imply (datasets.Ledger.WithImpliedWriteOffs, as the commands and the
// server read every ledger): settled is not paid, and a settlement that no
// payment or credit note explains is otherwise read as cash received at
// the settlement (receipts), so that written-off money would be forecast
// and backtested as cash. An implied write-off marks the invoice written
// off like a real one. currency, when not nil, gives each invoice's
// currency before conversion, so that breakdowns by currency still name
// the currency the invoice was issued in; without it the invoice's own
// currency field is used.
func NewHistory(l *datasets.Ledger, currency map[string]string) *History {
	h := &History{byID: map[string]int{}, disputesKnown: len(l.Disputes) > 0}
	for _, c := range l.Customers {
		h.byID[c.ID] = -1
	}
	for _, v := range l.Invoices {
		h.byID[v.CustomerID] = -1
	}
	ids := make([]string, 0, len(h.byID))
	for id := range h.byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	h.cust = make([]customer, len(ids))
	for i, id := range ids {
		h.cust[i].ID = id
		h.byID[id] = i
	}
	for _, c := range l.Customers {
		h.cust[h.byID[c.ID]].Customer = c
	}
	h.inv = make([]invoice, len(l.Invoices))
	for i, v := range l.Invoices {
		h.inv[i] = invoice{Invoice: v, cust: h.byID[v.CustomerID]}
	}
	slices.SortFunc(h.inv, func(a, b invoice) int {
		return cmp.Or(cmp.Compare(a.cust, b.cust), cmp.Compare(a.IssueDate, b.IssueDate), cmp.Compare(a.ID, b.ID))
	})
	pos := make(map[string]int, len(h.inv))
	for i := range h.inv {
		v := &h.inv[i]
		pos[v.ID] = i
		c := &h.cust[v.cust]
		c.inv = append(c.inv, i)
		cur := v.Currency
		if currency != nil {
			if o, ok := currency[v.ID]; ok {
				cur = o
			}
		}
		v.label.currency, v.label.segment, v.label.country = cur, cmp.Or(v.Segment, c.Segment), cmp.Or(v.Country, c.Country)
		h.see(v.IssueDate)
		h.see(v.SettledDate)
	}
	for _, p := range l.Payments {
		h.see(p.Date)
		i, ok := pos[p.InvoiceID]
		switch {
		case p.InvoiceID == "":
			h.unapplied = append(h.unapplied, flow{p.Date, p.Amount})
		case ok:
			h.inv[i].pays = append(h.inv[i].pays, flow{p.Date, p.Amount})
		default:
			h.unknown = append(h.unknown, flow{p.Date, p.Amount})
		}
	}
	for _, n := range l.CreditNotes {
		h.see(n.Date)
		if i, ok := pos[n.InvoiceID]; ok && n.InvoiceID != "" {
			h.inv[i].credits = append(h.inv[i].credits, flow{n.Date, n.Amount})
			h.inv[i].writeOff = h.inv[i].writeOff || n.Kind == datasets.KindWriteOff
		}
	}
	for _, d := range l.Disputes {
		h.see(d.Opened)
		h.see(d.Resolved)
		if i, ok := pos[d.InvoiceID]; ok {
			h.inv[i].disputes = append(h.inv[i].disputes, d)
		}
		if c, ok := h.byID[d.CustomerID]; ok {
			h.cust[c].disputes = append(h.cust[c].disputes, d)
		}
	}
	for _, p := range l.Promises {
		h.see(p.Made)
		if i, ok := pos[p.InvoiceID]; ok && p.InvoiceID != "" {
			h.inv[i].promises = append(h.inv[i].promises, p)
		}
		if c, ok := h.byID[p.CustomerID]; ok {
			h.cust[c].promises = append(h.cust[c].promises, p)
		}
	}
	byDate := func(a, b flow) int { return cmp.Compare(a.date, b.date) }
	for i := range h.inv {
		slices.SortStableFunc(h.inv[i].pays, byDate)
		slices.SortStableFunc(h.inv[i].credits, byDate)
		// The promise in force is the latest made: ties fall to the id,
		// whatever order the records came in (a part of a ledger appends
		// the promises of other parts' customers, see strays).
		slices.SortFunc(h.inv[i].promises, func(a, b datasets.Promise) int {
			return cmp.Or(cmp.Compare(a.Made, b.Made), cmp.Compare(a.ID, b.ID))
		})
	}
	for i := range h.cust {
		slices.SortFunc(h.cust[i].promises, func(a, b datasets.Promise) int {
			return cmp.Or(cmp.Compare(a.Made, b.Made), cmp.Compare(a.ID, b.ID))
		})
		slices.SortFunc(h.cust[i].disputes, func(a, b datasets.Dispute) int {
			return cmp.Or(cmp.Compare(a.Opened, b.Opened), cmp.Compare(a.ID, b.ID))
		})
	}
	return h
}

// widen widens the span first … last (zeros: none yet) to cover h's.
func widen(first, last *datasets.Date, h *History) {
	if h.first != 0 && (*first == 0 || h.first < *first) {
		*first = h.first
	}
	*last = max(*last, h.last)
}

func (h *History) see(d datasets.Date) {
	if d == 0 {
		return
	}
	if h.first == 0 || d < h.first {
		h.first = d
	}
	h.last = max(h.last, d)
}

// Span returns the first and last dates the ledger records (issue,
// settlement, payment, credit, dispute and promise dates).
func (h *History) Span() (first, last datasets.Date) { return h.first, h.last }

// CheckAsOf reports an as-of date the history cannot forecast from: one
// before its first record (or a history without records).
func (h *History) CheckAsOf(t datasets.Date) error { return checkAsOf(h.first, t) }

// checkAsOf is CheckAsOf for a ledger whose first record is of first (0:
// none).
func checkAsOf(first, t datasets.Date) error {
	if first == 0 {
		return fmt.Errorf("%w: the ledger has no records", ErrEmptyBook)
	}
	if t < first {
		return fmt.Errorf("%w: as-of %s is before the first record (%s)", ErrBeforeData, t, first)
	}
	return nil
}

// InvoiceCurrencies maps each invoice of l to its currency (its own, else
// its customer's), for NewHistory on a converted copy of l.
func InvoiceCurrencies(l *datasets.Ledger) map[string]string {
	cust := make(map[string]string, len(l.Customers))
	for _, c := range l.Customers {
		cust[c.ID] = c.Currency
	}
	out := make(map[string]string, len(l.Invoices))
	for _, v := range l.Invoices {
		out[v.ID] = cmp.Or(v.Currency, cust[v.CustomerID])
	}
	return out
}

// customerNames maps the customers with a name in the master to it.
func (h *History) customerNames() map[string]string {
	out := map[string]string{}
	for i := range h.cust {
		if c := &h.cust[i]; c.Name != "" {
			out[c.ID] = c.Name
		}
	}
	return out
}

// Invoices is the number of invoices in the history.
func (h *History) Invoices() int { return len(h.inv) }

// outstanding is what invoice v still owed at the end of day t: zero once
// settled, else its amount less the linked payments and credit notes dated
// by t, never below zero. The same rule as the feature engine's open book.
func (v *invoice) outstanding(t datasets.Date) datasets.Money {
	if v.IssueDate > t || (v.SettledDate != 0 && v.SettledDate <= t) {
		return 0
	}
	left := v.Amount
	for _, p := range v.pays {
		if p.date > t {
			break
		}
		left -= p.amount
	}
	for _, n := range v.credits {
		if n.date > t {
			break
		}
		left -= n.amount
	}
	return max(left, 0)
}

// receipts adds to out[k] the cash received from invoice v in week k+1
// after t (days t+7k+1 … t+7k+7), for len(out) weeks: its linked payments
// and, at its settlement, whatever it still owed then that no payment or
// credit note explains (cash received on account and matched later, or
// the clearing of a cleared-items export). A write-off is not cash.
func (v *invoice) receipts(t datasets.Date, out []datasets.Money) {
	end := t.AddDays(7 * len(out))
	week := func(d datasets.Date) int { return int(d-t-1) / 7 }
	for _, p := range v.pays {
		if p.date > t && p.date <= end {
			out[week(p.date)] += p.amount
		}
	}
	s := v.SettledDate
	if s == 0 || s <= t || s > end {
		return
	}
	left := v.Amount
	for _, p := range v.pays {
		if p.date <= s {
			left -= p.amount
		}
	}
	for _, n := range v.credits {
		if n.date <= s {
			left -= n.amount
		}
	}
	if left > 0 {
		out[week(s)] += left
	}
}

// disputedAt is the amount of invoice v under a dispute open at the end of
// day t (opened by t, unresolved at t), at most what it still owes; for a
// ledger without dispute records, the whole outstanding when the invoice
// is flagged disputed.
func (h *History) disputedAt(v *invoice, t datasets.Date, left datasets.Money) datasets.Money {
	if !h.disputesKnown {
		if v.Disputed {
			return left
		}
		return 0
	}
	var amt datasets.Money
	for _, d := range v.disputes {
		if d.Opened <= t && (d.Resolved == 0 || d.Resolved > t) {
			if d.Amount > 0 {
				amt += d.Amount
			} else {
				amt = left // no amount recorded: the whole invoice is contested
			}
		}
	}
	return min(amt, left)
}
