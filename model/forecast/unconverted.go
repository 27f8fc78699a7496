package forecast

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
)

// A forecast converts the ledger to its reporting currency. An invoice in a
// currency the rates lack (one CAD invoice of a USD customer, a rates file
// that forgot a currency) used to fail the whole forecast; now it is left
// out with everything on it, the rest is forecast, and the result names what
// was left out (Result.Unconverted). The forecast fails only when the part
// left out is most of the open book (see tooMuchUnconverted): then it would
// describe less of the book than it ignores.

// MaxUnconvertedShare is the largest share of the open invoices, by count,
// a forecast leaves out for want of a rate before it fails instead. By
// count because the amounts left out have no rate to the reporting
// currency, so they cannot be weighed against the converted ones: a count
// is the one measure both sides have. Half: beyond it, the forecast covers
// less of the book than it leaves out, and a treasurer is better served by
// the error naming the rates to add.
const MaxUnconvertedShare = 0.5

// Unconverted is what a forecast left out for want of an exchange rate to
// its reporting currency: per currency, the invoices (with their
// payments, credit notes, disputes and promises) and the other records
// whose amounts are in it.
type Unconverted struct {
	// To is the reporting currency the rates lack a rate to.
	To string `json:"to"`
	// OpenInvoices is the open invoices left out, over every currency;
	// BookInvoices the open invoices forecast, for the share.
	OpenInvoices int                   `json:"open_invoices"`
	BookInvoices int                   `json:"book_invoices"`
	Currencies   []UnconvertedCurrency `json:"currencies"`
}

// UnconvertedCurrency is what a forecast left out of one currency.
type UnconvertedCurrency struct {
	Currency string `json:"currency"`
	// OpenInvoices are the invoices open at the as-of date, Outstanding
	// what they still owed then, in Currency (there is no rate to convert
	// it), and Customers how many customers they belong to.
	OpenInvoices int   `json:"open_invoices"`
	Outstanding  Money `json:"outstanding"`
	Customers    int   `json:"customers"`
	// Invoices is every invoice left out, open or settled: the settled
	// ones are missing from the timing records and run-rates too.
	Invoices int `json:"invoices"`
	// OtherRecords counts the amounts in Currency on no invoice left out
	// (a payment or credit note in it on another invoice, an unapplied
	// payment, a credit limit or decision): left out too (a credit limit
	// counts as not recorded).
	OtherRecords int `json:"other_records"`
	// Applied counts the invoices in other currencies left out because a
	// payment or credit note on them is in Currency: kept without it, the
	// invoice would read as still owed (a EUR invoice paid in full by a CAD
	// payment, with no CAD rate, was forecast as 1,000 EUR to come);
	// AppliedOpen those of them not settled by the as-of date. Their
	// amounts mix two currencies, so they are not in Outstanding.
	Applied     int `json:"applied_to_invoices"`
	AppliedOpen int `json:"applied_to_open_invoices"`
	// Examples are up to three of the open invoices (the settled ones
	// when none is open), least id first.
	Examples []string `json:"examples"`
}

// maxUnconvertedExamples is how many invoice ids an UnconvertedCurrency
// names.
const maxUnconvertedExamples = 3

// String says in a line what was left out, for the text output.
func (u *Unconverted) String() string {
	if u == nil {
		return ""
	}
	s := fmt.Sprintf("left out for want of a rate to %s: %d open invoices", u.To, u.OpenInvoices)
	if u.BookInvoices > 0 {
		// Set by check, which the forecasts call before anything prints.
		s = fmt.Sprintf("left out for want of a rate to %s: %d of the %d open invoices", u.To, u.OpenInvoices, u.OpenInvoices+u.BookInvoices)
	}
	for i, c := range u.Currencies {
		sep := "; "
		if i > 0 {
			sep = ", "
		}
		s += fmt.Sprintf("%s%s %d open (%s %s outstanding, %d customers), %d invoices in all, %d other records",
			sep, c.Currency, c.OpenInvoices, c.Outstanding.Money().Grouped(), c.Currency, c.Customers, c.Invoices, c.OtherRecords)
		if c.Applied > 0 {
			s += fmt.Sprintf(", %d invoices in other currencies with a payment or credit note in %s (%d open)", c.Applied, c.Currency, c.AppliedOpen)
		}
		if len(c.Examples) > 0 {
			s += fmt.Sprintf(", e.g. invoice %q", c.Examples[0])
			for _, id := range c.Examples[1:] {
				s += fmt.Sprintf(", %q", id)
			}
		}
	}
	return s
}

// add adds o (a part's, FromParts: no customer is in two parts) to u.
func (u *Unconverted) add(o *Unconverted) *Unconverted {
	if o == nil {
		return u
	}
	if u == nil {
		u = &Unconverted{To: o.To}
	}
	u.OpenInvoices += o.OpenInvoices
	for _, c := range o.Currencies {
		i, ok := slices.BinarySearchFunc(u.Currencies, c.Currency, func(a UnconvertedCurrency, cur string) int { return cmp.Compare(a.Currency, cur) })
		if !ok {
			u.Currencies = slices.Insert(u.Currencies, i, UnconvertedCurrency{Currency: c.Currency})
		}
		m := &u.Currencies[i]
		m.OpenInvoices += c.OpenInvoices
		m.Outstanding += c.Outstanding
		m.Customers += c.Customers
		m.Invoices += c.Invoices
		m.OtherRecords += c.OtherRecords
		m.Applied += c.Applied
		m.AppliedOpen += c.AppliedOpen
		m.Examples = append(m.Examples, c.Examples...)
		slices.Sort(m.Examples)
		m.Examples = m.Examples[:min(len(m.Examples), maxUnconvertedExamples)]
	}
	return u
}

// check returns the error of a forecast that would leave out most of the
// open book (MaxUnconvertedShare), bookInvoices being the open invoices it
// forecasts; nil otherwise. The error is a datasets.MissingRatesError (an
// ErrFX), so that it reads and maps as the conversion's error did.
func (u *Unconverted) check(bookInvoices int) error {
	if u == nil {
		return nil
	}
	u.BookInvoices = bookInvoices
	all := u.OpenInvoices + bookInvoices
	if all == 0 || float64(u.OpenInvoices) <= MaxUnconvertedShare*float64(all) {
		return nil
	}
	e := &datasets.MissingRatesError{To: u.To, Amounts: map[string]int{}, Examples: map[string]datasets.RecordRef{}}
	for _, c := range u.Currencies {
		e.Amounts[c.Currency] = c.Invoices + c.OtherRecords
		if len(c.Examples) > 0 {
			e.Examples[c.Currency] = datasets.RecordRef{Kind: datasets.RefInvoice, ID: c.Examples[0]}
		}
	}
	return fmt.Errorf("%w; %d of the %d open invoices are in those currencies, more than the %.0f%% a forecast leaves out: add their rates",
		e, u.OpenInvoices, all, 100*MaxUnconvertedShare)
}

// openInvoices counts h's invoices open at the end of day t.
func (h *History) openInvoices(t datasets.Date) int {
	n := 0
	for i := range h.inv {
		if h.inv[i].outstanding(t) > 0 {
			n++
		}
	}
	return n
}

// LeaveOutUnconverted applies a forecast's rule for amounts fx has no
// rate for to l as of t, for a caller that reads the ledger beside a
// forecast (the report's pages): l without those amounts and what was left
// out (nil, and l itself, when nothing is, or when fx is nil or has no
// rates), or the error of a forecast when they are more than
// MaxUnconvertedShare of the open invoices at t. The ledger kept does not
// depend on t; what was left out is counted at t.
func LeaveOutUnconverted(l *datasets.Ledger, fx *datasets.FX, t datasets.Date) (*datasets.Ledger, *Unconverted, error) {
	kept, u := leaveOutUnconverted(l, fx, t)
	if u == nil {
		return kept, nil, nil
	}
	if err := u.check(NewHistory(kept, nil).openInvoices(t)); err != nil {
		return nil, nil, err
	}
	return kept, u, nil
}

// leaveOutUnconverted returns l without the amounts fx has no rate for, and
// what it left out as of t (nil, and l itself, when nothing is; and when
// fx is nil or has no rates, whose errors stay InCurrency's). An invoice
// whose currency has no rate goes with every payment, credit note,
// dispute and promise on it; another record with an amount in such a
// currency goes alone, and a customer's credit limit in one is left
// unrecorded. Each amount's currency is the one datasets.Ledger.Convert
// gives it (its own, else its invoice's, else its customer's), so that what
// is kept converts.
func leaveOutUnconverted(l *datasets.Ledger, fx *datasets.FX, t datasets.Date) (*datasets.Ledger, *Unconverted) {
	if fx == nil || len(fx.Rates) == 0 {
		return l, nil
	}
	cs := datasets.NewAmountCurrencies(l)
	rated := func(cur string) bool {
		_, ok := fx.Rate(cur)
		return cur == "" || ok
	}
	bad := map[string]string{} // invoice id → its currency
	for _, v := range l.Invoices {
		if cur, _ := cs.Invoice(v.ID); !rated(cur) {
			bad[v.ID] = cur
		}
	}
	// An invoice with a payment or credit note in a currency without a
	// rate goes too: kept without it, it would read as still owed.
	applied := map[string]string{} // invoice id → the record's currency
	onInvoice := func(invoice, cur string, m datasets.Money) {
		if _, ok := cs.Invoice(invoice); ok && m != 0 && !rated(cur) {
			if _, gone := bad[invoice]; !gone {
				applied[invoice] = cur
			}
		}
	}
	for _, p := range l.Payments {
		onInvoice(p.InvoiceID, cs.Of(p.Currency, p.InvoiceID, p.CustomerID), p.Amount)
	}
	for _, n := range l.CreditNotes {
		onInvoice(n.InvoiceID, cs.Of("", n.InvoiceID, n.CustomerID), n.Amount)
	}
	gone := func(invoice string) bool {
		_, b := bad[invoice]
		_, a := applied[invoice]
		return invoice != "" && (b || a)
	}
	others := map[string]int{} // per currency, the other records left out
	// keep says whether to keep a record on invoice (maybe "") whose amount
	// m is in cur, counting it when not.
	keep := func(invoice, cur string, m datasets.Money) bool {
		if gone(invoice) {
			return false
		}
		if m != 0 && !rated(cur) {
			others[cur]++
			return false
		}
		return true
	}
	out := *l
	out.Invoices = slices.DeleteFunc(slices.Clone(l.Invoices), func(v datasets.Invoice) bool { return gone(v.ID) })
	out.Payments = slices.DeleteFunc(slices.Clone(l.Payments), func(p datasets.Payment) bool {
		return !keep(p.InvoiceID, cs.Of(p.Currency, p.InvoiceID, p.CustomerID), p.Amount)
	})
	out.CreditNotes = slices.DeleteFunc(slices.Clone(l.CreditNotes), func(n datasets.CreditNote) bool {
		return !keep(n.InvoiceID, cs.Of("", n.InvoiceID, n.CustomerID), n.Amount)
	})
	out.Disputes = slices.DeleteFunc(slices.Clone(l.Disputes), func(d datasets.Dispute) bool {
		return !keep(d.InvoiceID, cs.Of("", d.InvoiceID, d.CustomerID), d.Amount)
	})
	out.Promises = slices.DeleteFunc(slices.Clone(l.Promises), func(p datasets.Promise) bool {
		return !keep(p.InvoiceID, cs.Of("", p.InvoiceID, p.CustomerID), p.Amount)
	})
	out.CreditDecisions = slices.DeleteFunc(slices.Clone(l.CreditDecisions), func(d datasets.CreditDecision) bool {
		return !keep("", cs.Customer(d.CustomerID), cmp.Or(d.OldLimit, d.NewLimit))
	})
	out.Customers = slices.Clone(l.Customers)
	for i := range out.Customers {
		c := &out.Customers[i]
		if !keep("", cs.Customer(c.ID), c.CreditLimit) {
			c.CreditLimit, c.CreditLimitBlank = 0, true
		}
	}
	if len(bad) == 0 && len(others) == 0 && len(applied) == 0 {
		return l, nil
	}
	// What the invoices left out owed at t, by the history's own rule.
	left := &datasets.Ledger{}
	for _, v := range l.Invoices {
		if _, ok := bad[v.ID]; ok {
			left.Invoices = append(left.Invoices, v)
		}
	}
	for _, p := range l.Payments {
		if _, ok := bad[p.InvoiceID]; ok && p.InvoiceID != "" {
			left.Payments = append(left.Payments, p)
		}
	}
	for _, n := range l.CreditNotes {
		if _, ok := bad[n.InvoiceID]; ok && n.InvoiceID != "" {
			left.CreditNotes = append(left.CreditNotes, n)
		}
	}
	by := map[string]*UnconvertedCurrency{}
	get := func(cur string) *UnconvertedCurrency {
		if by[cur] == nil {
			by[cur] = &UnconvertedCurrency{Currency: cur}
		}
		return by[cur]
	}
	for cur, n := range others {
		get(cur).OtherRecords = n
	}
	appliedOpen := 0
	for _, v := range l.Invoices {
		cur, ok := applied[v.ID]
		if !ok || v.IssueDate > t {
			continue
		}
		c := get(cur)
		c.Applied++
		if v.SettledDate == 0 || v.SettledDate > t {
			c.AppliedOpen++
			appliedOpen++
		}
	}
	h := NewHistory(left, nil)
	custs := map[string]map[string]bool{}
	closed := map[string][]string{}
	for i := range h.inv {
		v := &h.inv[i]
		if v.IssueDate > t {
			continue // not issued by t: not part of its book
		}
		cur := bad[v.ID]
		c := get(cur)
		c.Invoices++
		o := v.outstanding(t)
		if o <= 0 {
			closed[cur] = append(closed[cur], v.ID)
			continue
		}
		c.OpenInvoices++
		c.Outstanding += Money(o)
		c.Examples = append(c.Examples, v.ID)
		if custs[cur] == nil {
			custs[cur] = map[string]bool{}
		}
		custs[cur][v.CustomerID] = true
	}
	u := &Unconverted{To: fx.To, OpenInvoices: appliedOpen}
	for _, cur := range slices.Sorted(maps.Keys(by)) {
		c := by[cur]
		c.Customers = len(custs[cur])
		if len(c.Examples) == 0 {
			c.Examples = closed[cur]
		}
		slices.Sort(c.Examples)
		c.Examples = slices.Clip(c.Examples[:min(len(c.Examples), maxUnconvertedExamples)])
		u.OpenInvoices += c.OpenInvoices
		u.Currencies = append(u.Currencies, *c)
	}
	return &out, u
}
