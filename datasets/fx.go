package datasets

import (
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

// ParseRate reads a positive decimal rate with at most 9 decimals ("0.0869",
// "11.5").
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || !allDigits(whole) || !allDigits(frac) || len(frac) > 9 || len(whole) > 9 {
		return 0, fmt.Errorf("rate %q: want a positive decimal with at most 9 decimals", s)
	}
	var r int64
	for _, c := range whole + frac + strings.Repeat("0", 9-len(frac)) {
		r = r*10 + int64(c-'0')
	}
	if r == 0 {
		return 0, fmt.Errorf("rate %q: must be positive", s)
	}
	return Rate(r), nil
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
func (m Money) Convert(r Rate) (Money, bool) {
	neg := m < 0
	a := uint64(m)
	if neg {
		a = uint64(-m) // also right for math.MinInt64
	}
	hi, lo := bits.Mul64(a, uint64(r))
	if hi >= rateScale {
		return 0, false
	}
	q, rem := bits.Div64(hi, lo, rateScale)
	if rem >= rateScale/2 {
		q++
	}
	if q > math.MaxInt64 {
		return 0, false
	}
	if neg {
		return -Money(q), true
	}
	return Money(q), true
}

// FX converts amounts into one reporting currency at one rate per currency
// (constant-currency reporting: the same invoice weighs the same in every
// period, and an invoice less its payments converts to its outstanding
// amount converted).
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
// currency to that one unit of it is worth. name is the file name used in
// errors, which give the line and the field.
func ReadFX(r io.Reader, name, to string) (FX, error) {
	fx := FX{To: strings.ToUpper(strings.TrimSpace(to)), Rates: map[string]Rate{}}
	if len(fx.To) != 3 {
		return fx, fmt.Errorf("%w: reporting currency %q: want a 3-letter ISO 4217 code", ErrFX, to)
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return fx, fmt.Errorf("%w: %s: read header: %v", ErrFX, name, err)
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
		line, _ := cr.FieldPos(0)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: %v", name, line, err))
			continue
		}
		if len(rec) <= max(ci, ri) {
			errs = append(errs, fmt.Errorf("%s:%d: %d fields, want at least %d", name, line, len(rec), max(ci, ri)+1))
			continue
		}
		c := strings.ToUpper(strings.TrimSpace(rec[ci]))
		if len(c) != 3 {
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

// Currencies lists the currencies of l's amounts, sorted; an invoice or
// payment without one takes its customer's.
func (l *Ledger) Currencies() []string {
	seen := map[string]bool{}
	cust := map[string]string{}
	for _, c := range l.Customers {
		cust[c.ID] = c.Currency
		if c.Currency != "" {
			seen[c.Currency] = true
		}
	}
	for _, v := range l.Invoices {
		seen[currencyOf(v.Currency, cust[v.CustomerID])] = true
	}
	for _, p := range l.Payments {
		seen[currencyOf(p.Currency, cust[p.CustomerID])] = true
	}
	delete(seen, "")
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

func currencyOf(own, customer string) string {
	if own != "" {
		return own
	}
	return customer
}

// Convert returns a copy of l with every amount in fx.To: invoices and
// payments at their own currency (else their customer's), credit notes,
// disputes and promises at their invoice's (else the customer's), credit
// limits at the customer's. It fails, converting nothing, when a currency
// has no rate or an amount overflows; the error names the currency and how
// many records use it.
func (l *Ledger) Convert(fx FX) (*Ledger, error) {
	cust := make(map[string]string, len(l.Customers))
	for _, c := range l.Customers {
		cust[c.ID] = c.Currency
	}
	invCur := make(map[string]string, len(l.Invoices))
	for _, v := range l.Invoices {
		invCur[v.ID] = currencyOf(v.Currency, cust[v.CustomerID])
	}
	missing := map[string]int{}
	overflow := 0
	conv := func(m Money, cur string) Money {
		if cur == "" || m == 0 {
			return m // no currency anywhere: taken as the reporting currency
		}
		r, ok := fx.Rate(cur)
		if !ok {
			missing[cur]++
			return m
		}
		v, ok := m.Convert(r)
		if !ok {
			overflow++
		}
		return v
	}
	linked := func(invoiceID, customerID string) string {
		if c, ok := invCur[invoiceID]; ok && invoiceID != "" {
			return c
		}
		return cust[customerID]
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
		c.CreditLimit = conv(c.CreditLimit, c.Currency)
		if c.Currency != "" {
			c.Currency = fx.To
		}
	}
	for i := range out.Invoices {
		v := &out.Invoices[i]
		v.Amount = conv(v.Amount, currencyOf(v.Currency, cust[v.CustomerID]))
		v.Currency = fx.To
	}
	for i := range out.Payments {
		p := &out.Payments[i]
		p.Amount = conv(p.Amount, currencyOf(p.Currency, cust[p.CustomerID]))
		p.Currency = fx.To
	}
	for i := range out.CreditNotes {
		n := &out.CreditNotes[i]
		n.Amount = conv(n.Amount, linked(n.InvoiceID, n.CustomerID))
	}
	for i := range out.Disputes {
		d := &out.Disputes[i]
		d.Amount = conv(d.Amount, linked(d.InvoiceID, d.CustomerID))
	}
	for i := range out.Promises {
		p := &out.Promises[i]
		p.Amount = conv(p.Amount, linked(p.InvoiceID, p.CustomerID))
	}
	for i := range out.CreditDecisions {
		d := &out.CreditDecisions[i]
		d.OldLimit = conv(d.OldLimit, cust[d.CustomerID])
		d.NewLimit = conv(d.NewLimit, cust[d.CustomerID])
	}
	if len(missing) > 0 {
		var parts []string
		for c, n := range missing {
			parts = append(parts, fmt.Sprintf("%s (%d amounts)", c, n))
		}
		slices.Sort(parts)
		return nil, fmt.Errorf("%w: no rate to %s for %s", ErrFX, fx.To, strings.Join(parts, ", "))
	}
	if overflow > 0 {
		return nil, fmt.Errorf("%w: %d amounts overflow when converted to %s", ErrFX, overflow, fx.To)
	}
	return out, nil
}
