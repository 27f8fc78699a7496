package datasets

import (
	"fmt"
	"os"
	"strings"
)

// A conversion to a reporting currency, as a user asks for it: a currency
// code and a rates file. The commands that convert (kpi, train, backtest,
// score) check and read it here, in one place.

// RequestError is a conversion asked for in a way that cannot work: rates
// without the currency they convert to, a code that is not ISO 4217, or a
// ledger in other currencies and no rates. The request is wrong, not the
// data.
type RequestError struct{ msg string }

func (e *RequestError) Error() string { return e.msg }

// ParseCurrency checks an ISO 4217 code as a user types it (any case,
// spaces around) and returns it in capitals.
func ParseCurrency(s string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(s))
	if !isCurrencyCode(c) {
		return "", &RequestError{fmt.Sprintf("currency %q: want a 3-letter ISO 4217 code", s)}
	}
	return c, nil
}

// CheckReporting checks a conversion request before anything is loaded:
// rates need the currency they convert to, and the currency must be a
// code. It returns the code in capitals ("" when none was asked for).
func CheckReporting(currency, ratesPath string) (string, error) {
	if currency == "" {
		if ratesPath != "" {
			return "", &RequestError{"--fx needs --currency, the currency its rates convert to"}
		}
		return "", nil
	}
	c, err := ParseCurrency(currency)
	if err != nil {
		return "", &RequestError{"--" + err.Error()}
	}
	return c, nil
}

// ReadFXFile reads a rates file (see ReadFX) to currency.
func ReadFXFile(path, currency string) (FX, error) {
	f, err := os.Open(path)
	if err != nil {
		return FX{}, fmt.Errorf("%w: %w", ErrFX, err)
	}
	defer f.Close()
	return ReadFX(f, path, currency)
}

// ReportingFX is the conversion asked for: nil when no currency was given,
// the rates of ratesPath to currency, or, without a rates file, the
// currency alone (enough for a ledger already in it).
func ReportingFX(currency, ratesPath string) (*FX, error) {
	c, err := CheckReporting(currency, ratesPath)
	if err != nil || c == "" {
		return nil, err
	}
	if ratesPath == "" {
		return &FX{To: c}, nil
	}
	fx, err := ReadFXFile(ratesPath, c)
	if err != nil {
		return nil, err
	}
	return &fx, nil
}

// InCurrency converts l with fx. Without fx it returns l itself and the
// currencies its amounts are in (more than one means its totals mix
// units). A conversion without rates is refused when l holds amounts in
// another currency.
func (l *Ledger) InCurrency(fx *FX) (*Ledger, []string, error) {
	have := l.Currencies()
	if fx == nil {
		return l, have, nil
	}
	if len(fx.Rates) == 0 {
		if len(have) > 1 || (len(have) == 1 && have[0] != fx.To) {
			return nil, nil, &RequestError{fmt.Sprintf("the ledger has amounts in %s: give --fx rates to %s", strings.Join(have, ", "), fx.To)}
		}
		return l, nil, nil
	}
	conv, err := l.Convert(*fx)
	if err != nil {
		return nil, nil, err
	}
	return conv, nil, nil
}
