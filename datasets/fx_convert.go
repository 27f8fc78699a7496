package datasets

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// AmountCurrencies gives each amount of a ledger the currency Convert
// converts it from: a record's own, else its invoice's, else its
// customer's; a customer's is its master record's, else that of its first
// invoice that has one. What Convert converts, and what a forecast left
// without a rate leaves out (model/forecast), read it alike.
type AmountCurrencies struct {
	cust map[string]string
	inv  map[string]string
}

// NewAmountCurrencies works out the currencies of l's amounts.
func NewAmountCurrencies(l *Ledger) AmountCurrencies {
	c := AmountCurrencies{cust: make(map[string]string, len(l.Customers)), inv: make(map[string]string, len(l.Invoices))}
	for _, m := range l.Customers {
		if m.Currency != "" {
			c.cust[m.ID] = m.Currency
		}
	}
	for _, v := range l.Invoices {
		if _, ok := c.cust[v.CustomerID]; !ok && v.Currency != "" {
			c.cust[v.CustomerID] = v.Currency
		}
	}
	for _, v := range l.Invoices {
		c.inv[v.ID] = currencyOf(v.Currency, c.cust[v.CustomerID])
	}
	return c
}

// Of returns the currency of a record with its own currency (may be
// empty), invoice and customer.
func (c AmountCurrencies) Of(own, invoiceID, customerID string) string {
	if own != "" {
		return own
	}
	if cur, ok := c.inv[invoiceID]; ok && invoiceID != "" {
		return cur
	}
	return c.cust[customerID]
}

// Invoice returns the currency of invoice id's amount; ok is false for an
// invoice not in the ledger.
func (c AmountCurrencies) Invoice(id string) (cur string, ok bool) {
	cur, ok = c.inv[id]
	return cur, ok
}

// Customer returns the currency of customer id's credit limits.
func (c AmountCurrencies) Customer(id string) string { return c.cust[id] }

func currencyOf(own, fallback string) string {
	if own != "" {
		return own
	}
	return fallback
}

// Currencies lists the currencies of l's amounts (invoices, payments and
// credit limits), sorted.
func (l *Ledger) Currencies() []string {
	cs := NewAmountCurrencies(l)
	seen := map[string]bool{}
	for _, m := range l.Customers {
		if m.CreditLimit != 0 {
			seen[cs.cust[m.ID]] = true
		}
	}
	for _, v := range l.Invoices {
		seen[cs.inv[v.ID]] = true
	}
	for _, p := range l.Payments {
		seen[cs.Of(p.Currency, p.InvoiceID, p.CustomerID)] = true
	}
	delete(seen, "")
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// Convert returns a copy of l with every amount in fx.To, each at the rate
// of its currency (see Currencies). Amounts with no currency anywhere are
// taken to be in fx.To already. Payments and credit notes linked to an
// invoice in the same currency are converted as running totals, so that
// what settled an invoice in full still settles it in full after rounding.
// Convert fails, converting nothing, when a currency has no rate or an
// amount overflows; the error names the currency and how many amounts use
// it.
func (l *Ledger) Convert(fx FX) (*Ledger, error) {
	cs := NewAmountCurrencies(l)
	missing := map[string]int{}
	examples := map[string]RecordRef{}
	overflow := 0
	// conv converts m from cur; kind and id name the record for the error
	// when cur has no rate.
	conv := func(m Money, cur string, kind RecordKind, id string) Money {
		if cur == "" || m == 0 {
			return m
		}
		r, ok := fx.Rate(cur)
		if !ok {
			missing[cur]++
			examples[cur] = firstRef(examples[cur], RecordRef{kind, id})
			return m
		}
		v, ok := m.Convert(r)
		if !ok {
			overflow++
		}
		return v
	}
	out := &Ledger{
		Customers:       slices.Clone(l.Customers),
		Invoices:        slices.Clone(l.Invoices),
		Payments:        slices.Clone(l.Payments),
		CreditNotes:     slices.Clone(l.CreditNotes),
		Disputes:        slices.Clone(l.Disputes),
		Actions:         slices.Clone(l.Actions),
		Promises:        slices.Clone(l.Promises),
		CreditDecisions: slices.Clone(l.CreditDecisions),
	}
	for i := range out.Customers {
		c := &out.Customers[i]
		c.CreditLimit = conv(c.CreditLimit, cs.cust[c.ID], RefCustomer, c.ID)
		if c.Currency != "" {
			c.Currency = fx.To
		}
	}
	for i := range out.Invoices {
		v := &out.Invoices[i]
		v.Amount = conv(v.Amount, cs.inv[v.ID], RefInvoice, v.ID)
		v.Currency = fx.To
	}
	// What was applied to each invoice in its own currency: converted as
	// running totals (ConvertRunning).
	byInvoice := map[string][]Applied{}
	for i := range out.Payments {
		p := &out.Payments[i]
		cur := cs.Of(p.Currency, p.InvoiceID, p.CustomerID)
		if inv, ok := cs.inv[p.InvoiceID]; ok && p.InvoiceID != "" && inv == cur && cur != "" {
			byInvoice[p.InvoiceID] = append(byInvoice[p.InvoiceID], Applied{Date: p.Date, Key: "p" + p.ID, Amount: &p.Amount})
		} else {
			p.Amount = conv(p.Amount, cur, RefPayment, p.ID)
		}
		p.Currency = fx.To
	}
	for i := range out.CreditNotes {
		n := &out.CreditNotes[i]
		if _, ok := cs.inv[n.InvoiceID]; ok && n.InvoiceID != "" && cs.inv[n.InvoiceID] != "" {
			byInvoice[n.InvoiceID] = append(byInvoice[n.InvoiceID], Applied{Date: n.Date, Key: "n" + n.ID, Amount: &n.Amount})
		} else {
			n.Amount = conv(n.Amount, cs.Of("", n.InvoiceID, n.CustomerID), RefCreditNote, n.ID)
		}
	}
	for id, recs := range byInvoice {
		if !ConvertRunning(recs, func(total Money, _ *Applied) Money { return conv(total, cs.inv[id], RefInvoice, id) }) {
			overflow++
		}
	}
	for i := range out.Disputes {
		d := &out.Disputes[i]
		d.Amount = conv(d.Amount, cs.Of("", d.InvoiceID, d.CustomerID), RefDispute, d.ID)
	}
	for i := range out.Promises {
		p := &out.Promises[i]
		p.Amount = conv(p.Amount, cs.Of("", p.InvoiceID, p.CustomerID), RefPromise, p.ID)
	}
	for i := range out.CreditDecisions {
		d := &out.CreditDecisions[i]
		d.OldLimit = conv(d.OldLimit, cs.cust[d.CustomerID], RefCreditDecision, d.ID)
		d.NewLimit = conv(d.NewLimit, cs.cust[d.CustomerID], RefCreditDecision, d.ID)
	}
	if len(missing) > 0 {
		return nil, &MissingRatesError{To: fx.To, Amounts: missing, Examples: examples}
	}
	if overflow > 0 {
		return nil, fmt.Errorf("%w: %d amounts overflow when converted to %s", ErrFX, overflow, fx.To)
	}
	return out, nil
}

// Applied is an amount applied to an invoice (a payment or a credit note
// on it) in the invoice's currency, for ConvertRunning: its date, a key
// that orders records of one date, the record to name in errors, and the
// amount, converted in place.
type Applied struct {
	Date   Date
	Key    string
	Ref    RecordRef
	Amount *Money
}

// ConvertRunning converts the amounts applied to one invoice as running
// totals: in date (then key) order, each record takes conv of the running
// total less what the earlier ones took, so that what settled the invoice
// in full still settles it in full after rounding (converted one by one,
// the parts would round apart from the whole). conv gets the running total
// and the record that brings it there. recs is sorted in place. It reports
// false, leaving the rest unconverted, when the running total overflows.
func ConvertRunning(recs []Applied, conv func(total Money, r *Applied) Money) bool {
	slices.SortFunc(recs, func(a, b Applied) int { return cmp.Or(cmp.Compare(a.Date, b.Date), cmp.Compare(a.Key, b.Key)) })
	var raw, done Money
	for i := range recs {
		r := &recs[i]
		var ok bool
		if raw, ok = raw.Add(*r.Amount); !ok {
			return false
		}
		total := conv(raw, r)
		*r.Amount = total - done
		done = total
	}
	return true
}

// MissingRatesError is Convert's error when amounts are in currencies
// without a rate. It is an ErrFX.
type MissingRatesError struct {
	To      string
	Amounts map[string]int // per currency without a rate, how many amounts
	// Examples name, per currency, one record with such an amount (the
	// first of firstRef's order, the same whole or in parts), so that the
	// error leads to the line that brought it.
	Examples map[string]RecordRef
}

// RecordKind names a kind of record in errors.
type RecordKind string

// The kinds of record with amounts, in the order an example is chosen.
const (
	RefInvoice        RecordKind = "invoice"
	RefPayment        RecordKind = "payment"
	RefCreditNote     RecordKind = "credit note"
	RefCustomer       RecordKind = "customer"
	RefDispute        RecordKind = "dispute"
	RefPromise        RecordKind = "promise"
	RefCreditDecision RecordKind = "credit decision"
)

// RecordRef names one record.
type RecordRef struct {
	Kind RecordKind
	ID   string
}

func (r RecordRef) String() string { return fmt.Sprintf("%s %q", r.Kind, r.ID) }

// firstRef is the earlier of a (zero: none) and b: by kind in the order
// above, then id.
// It runs once per amount without a rate, so it allocates nothing.
func firstRef(a, b RecordRef) RecordRef {
	if a.Kind == "" || b.Kind.rank() < a.Kind.rank() || b.Kind == a.Kind && b.ID < a.ID {
		return b
	}
	return a
}

// rank is k's place in the order of the constants above.
func (k RecordKind) rank() int {
	switch k {
	case RefInvoice:
		return 0
	case RefPayment:
		return 1
	case RefCreditNote:
		return 2
	case RefCustomer:
		return 3
	case RefDispute:
		return 4
	case RefPromise:
		return 5
	}
	return 6
}

func (e *MissingRatesError) Error() string {
	parts := make([]string, 0, len(e.Amounts))
	for c, n := range e.Amounts {
		if ex, ok := e.Examples[c]; ok {
			parts = append(parts, fmt.Sprintf("%s (%d amounts, e.g. %s)", c, n, ex))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s (%d amounts)", c, n))
	}
	slices.Sort(parts)
	return fmt.Sprintf("%v: no rate to %s for %s", ErrFX, e.To, strings.Join(parts, ", "))
}

func (e *MissingRatesError) Unwrap() error { return ErrFX }

// PartConverter converts the parts of a ledger read in parts of whole
// customers as InCurrency converts a ledger, and adds up over every part
// the amounts that have no rate, so that a run failing for want of rates
// names every currency and counts every part's amounts instead of the
// first failing part's. The counts are those of Convert on the whole
// ledger when every record names its invoice's customer; a record naming
// another customer lies in that customer's part and takes that customer's
// currency there (the whole ledger gives it its invoice's). Without
// conversion it gathers the currencies the parts' amounts are in (Mixed).
type PartConverter struct {
	fx      *FX
	missing *MissingRatesError
	mixed   map[string]bool
}

// NewPartConverter converts parts with fx (nil: not at all).
func NewPartConverter(fx *FX) *PartConverter {
	return &PartConverter{fx: fx, mixed: map[string]bool{}}
}

// Convert converts the part l as l.InCurrency(fx) does. ok is false, with
// no error, when a rate is missing in l or in an earlier part: the caller
// skips the part's work and, once every part is read, Err reports the
// missing rates. Other errors (an overflow, a ledger in other currencies
// and no rates) are returned as they are.
func (c *PartConverter) Convert(l *Ledger) (conv *Ledger, ok bool, err error) {
	if c.fx == nil || len(c.fx.Rates) == 0 {
		conv, mixed, err := l.InCurrency(c.fx)
		if err != nil {
			return nil, false, err
		}
		for _, cur := range mixed {
			c.mixed[cur] = true
		}
		return conv, true, nil
	}
	conv, err = l.Convert(*c.fx)
	var m *MissingRatesError
	switch {
	case errors.As(err, &m):
		if c.missing == nil {
			c.missing = &MissingRatesError{To: m.To, Amounts: map[string]int{}, Examples: map[string]RecordRef{}}
		}
		for cur, n := range m.Amounts {
			c.missing.Amounts[cur] += n
			if ex, ok := m.Examples[cur]; ok {
				c.missing.Examples[cur] = firstRef(c.missing.Examples[cur], ex)
			}
		}
		return nil, false, nil
	case err != nil:
		return nil, false, err
	case c.missing != nil:
		return nil, false, nil
	}
	return conv, true, nil
}

// Err is the missing rates of every part converted so far, or nil.
func (c *PartConverter) Err() error {
	if c.missing == nil {
		return nil
	}
	return c.missing
}

// Mixed lists, sorted, the currencies of the parts left unconverted (none
// when c converts).
func (c *PartConverter) Mixed() []string {
	out := make([]string, 0, len(c.mixed))
	for cur := range c.mixed {
		out = append(out, cur)
	}
	slices.Sort(out)
	return out
}
