package datasets

import (
	"errors"
	"strings"
)

// errNotDecimal is ExpandExponent's error for what is not a JSON number.
var errNotDecimal = errors.New("not a plain decimal amount")

// ExpandExponent rewrites a JSON number (an optional minus, digits, an
// optional fraction and exponent: 1.5e3) as a plain decimal ("1500")
// exactly, by moving the decimal point, never through a float, so that
// ParseMoney can read it. A number without an exponent comes back as it
// is; an exponent of more than three digits is refused (no amount needs
// one).
func ExpandExponent(s string) (string, error) {
	mant, exp, hasExp := strings.Cut(strings.ToLower(s), "e")
	neg := strings.HasPrefix(mant, "-")
	mant = strings.TrimPrefix(mant, "-")
	whole, frac, _ := strings.Cut(mant, ".")
	if whole == "" || !allDigits(whole) || !allDigits(frac) {
		return "", errNotDecimal
	}
	if !hasExp {
		return s, nil
	}
	sign := 1
	switch {
	case strings.HasPrefix(exp, "-"):
		sign, exp = -1, exp[1:]
	case strings.HasPrefix(exp, "+"):
		exp = exp[1:]
	}
	if exp == "" || !allDigits(exp) || len(exp) > 3 {
		return "", errNotDecimal
	}
	e := 0
	for _, d := range exp {
		e = e*10 + int(d-'0')
	}
	digits := whole + frac
	point := len(whole) + sign*e
	switch {
	case point <= 0:
		whole, frac = "0", strings.Repeat("0", -point)+digits
	case point >= len(digits):
		whole, frac = digits+strings.Repeat("0", point-len(digits)), ""
	default:
		whole, frac = digits[:point], digits[point:]
	}
	out := whole
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out, nil
}
