package datasets

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"strings"
)

// Rate is an exchange rate in billionths: units of the reporting currency
// per unit of another, fixed-point so that converting money stays exact
// integer arithmetic.
type Rate int64

const rateScale = 1_000_000_000

// ErrFX means amounts could not be converted to the reporting currency.
var ErrFX = errors.New("currency conversion")

// ParseRate reads a positive decimal rate ("0.0869", "11.5"). Decimals
// beyond the ninth are rounded, since inverted rates (1/11.5) rarely stop.
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || !allDigits(whole) || !allDigits(frac) || len(whole) > 9 {
		if hint := commaHint(s); hint != "" {
			return 0, fmt.Errorf("rate %q: %s", s, hint)
		}
		return 0, fmt.Errorf("rate %q: want a positive decimal number", s)
	}
	up := false
	if len(frac) > 9 {
		up = frac[9] >= '5'
		frac = frac[:9]
	}
	var r int64
	for _, c := range whole + frac + strings.Repeat("0", 9-len(frac)) {
		r = r*10 + int64(c-'0')
	}
	if up {
		r++
	}
	if r == 0 {
		return 0, fmt.Errorf("rate %q: must be positive (at least 0.000000001)", s)
	}
	return Rate(r), nil
}

// commaHint says how to write a rate that holds a comma: rates are read
// with a decimal point whatever the locale, so "1,16" (a decimal comma) or
// "1,000.5" (a thousands separator) would otherwise be refused without
// saying why.
func commaHint(s string) string {
	if !strings.Contains(s, ",") {
		return ""
	}
	whole, frac, _ := strings.Cut(s, ",")
	if whole != "" && frac != "" && allDigits(whole) && allDigits(frac) {
		return fmt.Sprintf("a decimal comma? write it with a decimal point, %s.%s", whole, frac)
	}
	return "want a positive decimal number with a decimal point and no thousands separators"
}

// String formats r with the decimals it needs.
func (r Rate) String() string {
	s := fmt.Sprintf("%d.%09d", r/rateScale, r%rateScale)
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// MarshalText writes r as a decimal, so rates read as rates in JSON.
func (r Rate) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads a decimal rate.
func (r *Rate) UnmarshalText(b []byte) error {
	v, err := ParseRate(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Convert returns m × r rounded to the cent, halves away from zero; ok is
// false when the result does not fit in Money.
func (m Money) Convert(r Rate) (Money, bool) { return m.ConvertVia(r, rateScale) }

// ConvertVia returns m × from / into rounded to the cent, halves away from
// zero, in one step: from and into are the rates of two currencies to the
// same third, so m in the first is worth that much in the second (with
// into the third's own rate, one, it is Convert(from)). ok is false when
// the result does not fit in Money, from is negative or into is not
// positive. The product
// is exact in 128 bits, so the one rounding is the only one.
func (m Money) ConvertVia(from, into Rate) (Money, bool) {
	if from < 0 || into <= 0 {
		return 0, false
	}
	neg := m < 0
	a := uint64(m)
	if neg {
		a = uint64(-m) // also right for math.MinInt64
	}
	hi, lo := bits.Mul64(a, uint64(from))
	d := uint64(into)
	if hi >= d {
		return 0, false
	}
	q, rem := bits.Div64(hi, lo, d)
	if rem >= d-rem { // rem ≥ d/2, exactly: rounds halves away from zero
		if q == math.MaxUint64 {
			return 0, false
		}
		q++
	}
	switch {
	case neg && q == 1<<63:
		return math.MinInt64, true
	case q > math.MaxInt64:
		return 0, false
	case neg:
		return -Money(q), true
	}
	return Money(q), true
}

// FX converts amounts into one reporting currency at one rate per currency
// (constant-currency reporting: the same invoice weighs the same in every
// period).
type FX struct {
	To    string          `json:"to"`    // the reporting currency, ISO 4217
	Rates map[string]Rate `json:"rates"` // per other currency; To itself is 1
}

// Rate returns the rate of currency c.
func (fx FX) Rate(c string) (Rate, bool) {
	if c == fx.To {
		return rateScale, true
	}
	r, ok := fx.Rates[c]
	return r, ok
}

// ReadFX reads a rates file: a header naming the columns currency and rate
// (others are ignored), then one row per currency giving the units of
// currency to that one unit of it is worth. A row with more fields than the
// header is refused, not read by position: it is nearly always a rate typed
// with a decimal comma. name is the file name used in errors, which give
// the line and the field.
func ReadFX(r io.Reader, name, to string) (FX, error) {
	fx := FX{To: strings.ToUpper(strings.TrimSpace(to)), Rates: map[string]Rate{}}
	if !isCurrencyCode(fx.To) {
		return fx, fmt.Errorf("%w: reporting currency %q: want a 3-letter ISO 4217 code", ErrFX, to)
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err == io.EOF {
		return fx, fmt.Errorf("%w: %s:1: empty file, want a header currency,rate", ErrFX, name)
	}
	if err != nil {
		return fx, fmt.Errorf("%w: %s: %v", ErrFX, name, err)
	}
	ci, ri := -1, -1
	for i, h := range head {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "currency":
			ci = i
		case "rate":
			ri = i
		}
	}
	if ci < 0 || ri < 0 {
		return fx, fmt.Errorf("%w: %s:1: header %q lacks the columns currency and rate", ErrFX, name, strings.Join(head, ","))
	}
	var errs []error
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				errs = append(errs, fmt.Errorf("%s:%d: %v (noticed on line %d)", name, pe.StartLine, pe.Err, pe.Line))
				continue
			}
			errs = append(errs, fmt.Errorf("%s: %v", name, err))
			break
		}
		line, _ := cr.FieldPos(0)
		// A row longer than the header is misread whatever its fields
		// hold: "GBP,1,16" (a decimal comma typed into a comma-separated
		// file) would otherwise read GBP at 1.
		if len(rec) > len(head) {
			errs = append(errs, fmt.Errorf("%s:%d: %d fields, want %s%s", name, line, len(rec), headNames(head), splitRateHint(rec, ri)))
			continue
		}
		if len(rec) <= max(ci, ri) {
			field := head[ri]
			if ci > ri {
				field = head[ci]
			}
			errs = append(errs, fmt.Errorf("%s:%d: field %s: missing (%d fields)", name, line, strings.TrimSpace(field), len(rec)))
			continue
		}
		c := strings.ToUpper(strings.TrimSpace(rec[ci]))
		if !isCurrencyCode(c) {
			errs = append(errs, fmt.Errorf("%s:%d: field currency: %q is not a 3-letter code", name, line, rec[ci]))
			continue
		}
		rate, err := ParseRate(rec[ri])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: field rate: %v", name, line, err))
			continue
		}
		if old, dup := fx.Rates[c]; dup && old != rate {
			errs = append(errs, fmt.Errorf("%s:%d: field currency: %s already has rate %s", name, line, c, old))
			continue
		}
		if c == fx.To && rate != rateScale {
			errs = append(errs, fmt.Errorf("%s:%d: field rate: the reporting currency %s must have rate 1, not %s", name, line, c, rate))
			continue
		}
		fx.Rates[c] = rate
	}
	// A wrong rate would silently distort every figure, so a rates file
	// with any bad row is refused as a whole.
	if len(errs) > 0 {
		return fx, fmt.Errorf("%w: %w", ErrFX, errors.Join(errs...))
	}
	return fx, nil
}

// headNames is the header of a rates file as its columns are named.
func headNames(head []string) string {
	names := make([]string, len(head))
	for i, h := range head {
		names[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
	}
	return strings.Join(names, ",")
}

// splitRateHint explains a row one field too long when the rate's field and
// the next are both digits: a rate written with a decimal comma.
func splitRateHint(rec []string, ri int) string {
	if ri+1 >= len(rec) {
		return ""
	}
	whole, frac := strings.TrimSpace(rec[ri]), strings.TrimSpace(rec[ri+1])
	if whole == "" || frac == "" || !allDigits(whole) || !allDigits(frac) {
		return ""
	}
	return fmt.Sprintf(" (is %s,%s a rate with a decimal comma? write it with a decimal point, %s.%s)", whole, frac, whole, frac)
}

// isCurrencyCode reports whether c looks like an ISO 4217 code.
func isCurrencyCode(c string) bool {
	if len(c) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if c[i] < 'A' || c[i] > 'Z' {
			return false
		}
	}
	return true
}

// currencies works out the currency of every amount of a ledger: a
// record's own, else its invoice's, else its customer's; a customer's is
// its master record's, else that of its first invoice that has one.
type currencies struct {
	cust map[string]string
	inv  map[string]string
}

func newCurrencies(l *Ledger) currencies {
	c := currencies{cust: make(map[string]string, len(l.Customers)), inv: make(map[string]string, len(l.Invoices))}
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

// of returns the currency of a record with its own currency (may be
// empty), invoice and customer.
func (c currencies) of(own, invoiceID, customerID string) string {
	if own != "" {
		return own
	}
	if cur, ok := c.inv[invoiceID]; ok && invoiceID != "" {
		return cur
	}
	return c.cust[customerID]
}

func currencyOf(own, fallback string) string {
	if own != "" {
		return own
	}
	return fallback
}

// Currencies lists the currencies of l's amounts (invoices, payments and
// credit limits), sorted.
func (l *Ledger) Currencies() []string {
	cs := newCurrencies(l)
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
		seen[cs.of(p.Currency, p.InvoiceID, p.CustomerID)] = true
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
	cs := newCurrencies(l)
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
		cur := cs.of(p.Currency, p.InvoiceID, p.CustomerID)
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
			n.Amount = conv(n.Amount, cs.of("", n.InvoiceID, n.CustomerID), RefCreditNote, n.ID)
		}
	}
	for id, recs := range byInvoice {
		if !ConvertRunning(recs, func(total Money, _ *Applied) Money { return conv(total, cs.inv[id], RefInvoice, id) }) {
			overflow++
		}
	}
	for i := range out.Disputes {
		d := &out.Disputes[i]
		d.Amount = conv(d.Amount, cs.of("", d.InvoiceID, d.CustomerID), RefDispute, d.ID)
	}
	for i := range out.Promises {
		p := &out.Promises[i]
		p.Amount = conv(p.Amount, cs.of("", p.InvoiceID, p.CustomerID), RefPromise, p.ID)
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
