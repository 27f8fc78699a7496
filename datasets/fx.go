package datasets

import (
	"bufio"
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
	// The delimiter is the header's, as the importer reads it: a
	// spreadsheet in a decimal-comma locale saves "currency;rate".
	br := bufio.NewReader(r)
	first, _ := br.Peek(4096)
	line, _, _ := strings.Cut(string(first), "\n")
	cr := csv.NewReader(br)
	cr.Comma = GuessDelimiter(line)
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
	// A file of rates to another currency reads as rates to fx.To at
	// par for that currency: "USD,1 CAD,0.72" asked as rates to EUR would
	// take every dollar for a euro. Its tell is a currency other than
	// fx.To at rate 1 while fx.To itself is not listed; listing fx.To at
	// 1 says the file is meant (as for a currency pegged at par).
	if _, listed := fx.Rates[fx.To]; !listed && len(errs) == 0 {
		var par []string
		for c, r := range fx.Rates {
			if r == rateScale {
				par = append(par, c)
			}
		}
		if len(par) > 0 {
			slices.Sort(par)
			errs = append(errs, fmt.Errorf("%s: %s at rate 1 and no row for %s: the file looks like rates to %s, not to %s; give --currency %s, or add the row %s,1 if these are rates to %s",
				name, strings.Join(par, " and "), fx.To, par[0], fx.To, par[0], fx.To, fx.To))
		}
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

// isCurrencyCode reports whether c looks like a currency code: three
// capitals. Rates files, stored snapshots and the currency a user asks
// for are held to this: a store may hold records of a code the ISO list
// refuses now (loaded before it was checked), and its rates must still
// convert them. New records are held to the list (isISOCurrency).
func isCurrencyCode(c string) bool { return threeCapitals(c) }

// isISOCurrency reports whether c is an ISO 4217 code, in capitals
// (iso4217.go): what a record's currency must be.
func isISOCurrency(c string) bool { return isoCurrencies[c] }

// currencyProblem says why c, not a currency code, is not.
func currencyProblem(c string) string {
	if threeCapitals(c) {
		return "not a currency code: " + c + " is no ISO 4217 currency, current or withdrawn since 2000 (e.g. EUR)"
	}
	return "not a currency code: want three letters (ISO 4217), e.g. EUR"
}

// threeCapitals reports whether c is three letters A to Z.
func threeCapitals(c string) bool {
	return len(c) == 3 && strings.IndexFunc(c, func(r rune) bool { return r < 'A' || r > 'Z' }) < 0
}
