package importer

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Accounting exports (QuickBooks, NetSuite, Xero, Excel's accounting
// format) write a negative amount in parentheses, "(361.95)", and many put
// the currency before or after the amount: "$2,278.48", "€ 12,50",
// "12.50 EUR", "($361.95)". Refusing them made every row of such an export
// a reject, and its credit memos, written in parentheses, were lost. They
// are read, and the currency written is checked against the row's
// currency field: "£12.00" on a row in EUR is refused, never converted.

// currencySigns are the signs an amount may carry, with the currencies
// each may stand for: "$" is many currencies' sign, so it agrees with any
// of them; a code (EUR, USD) stands for itself.
var currencySigns = []struct {
	sign       string
	currencies []string
}{
	// Longest first: "US$" before "$". CA$, AU$, MX$, NT$, R$ and CN¥ are
	// how an en-US ledger (NetSuite, QuickBooks) writes the foreign ones.
	{"US$", []string{"USD"}}, {"NZ$", []string{"NZD"}}, {"HK$", []string{"HKD"}},
	{"CA$", []string{"CAD"}}, {"AU$", []string{"AUD"}}, {"MX$", []string{"MXN"}}, {"NT$", []string{"TWD"}},
	{"CN¥", []string{"CNY"}},
	{"C$", []string{"CAD"}}, {"A$", []string{"AUD"}}, {"S$", []string{"SGD"}}, {"R$", []string{"BRL"}},
	{"$", []string{"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN", "TWD", "BSD", "BBD", "BZD", "BMD", "BND", "KYD",
		"FJD", "GYD", "JMD", "LRD", "NAD", "SBD", "SRD", "TTD", "XCD", "CLP", "COP", "ARS", "UYU"}},
	{"£", []string{"GBP", "GIP", "FKP", "SHP"}},
	{"€", []string{"EUR"}},
	{"¥", []string{"JPY", "CNY"}},
	{"₹", []string{"INR"}},
}

// warnSignUnchecked is the warning kind of an amount written with a
// currency on a row that names none to check it against.
const warnSignUnchecked = "amount written with a currency, on a row that names none to check it against: read as written, never converted"

// errSignInParentheses is an amount negative twice over: "(-12.00)".
var errSignInParentheses = errors.New("a sign inside parentheses: write (12.00) or -12.00")

// accountingAmount takes off what accounting exports put around an
// amount: the parentheses of a negative one and a currency sign or
// three-letter code before or after it. body is the amount left, with a
// leading "-" for parentheses; sign is the currency written ("$", "EUR"),
// "" when none. A plain amount ("1234.50", "-12", "12.50-") comes back as
// it is.
func accountingAmount(s string) (body, sign string, err error) {
	lead := s
	if lead != "" && (lead[0] == '-' || lead[0] == '+') {
		lead = lead[1:]
	}
	if lead == "" || isDigit(lead[0]) && (isDigit(s[len(s)-1]) || s[len(s)-1] == '-') {
		return s, "", nil
	}
	body = s
	neg := false
	if strings.HasPrefix(body, "(") && strings.HasSuffix(body, ")") {
		neg, body = true, strings.TrimSpace(body[1:len(body)-1])
	}
	sg := ""
	if strings.HasPrefix(body, "-") || strings.HasPrefix(body, "+") {
		sg, body = body[:1], body[1:]
	}
	body, sign = cutCurrencySign(body)
	body = sg + body
	if neg {
		if body == "" {
			return s, sign, nil // the amount parser says what is wrong
		}
		if strings.ContainsAny(body[:1], "-+") || strings.HasSuffix(body, "-") {
			return s, sign, errSignInParentheses
		}
		body = "-" + body
	}
	return body, sign, nil
}

// cutCurrencySign takes a currency sign or code off either end of s, with
// the space that may part it from the digits.
func cutCurrencySign(s string) (rest, sign string) {
	for _, c := range currencySigns {
		if r, ok := strings.CutPrefix(s, c.sign); ok {
			return strings.TrimSpace(r), c.sign
		}
		if r, ok := strings.CutSuffix(s, c.sign); ok {
			return strings.TrimSpace(r), c.sign
		}
	}
	if len(s) > 4 && isCode(s[:3]) && (s[3] == ' ' || isDigit(s[3]) || s[3] == '-') {
		return strings.TrimSpace(s[3:]), s[:3]
	}
	if n := len(s); n > 4 && isCode(s[n-3:]) && (s[n-4] == ' ' || isDigit(s[n-4])) {
		return strings.TrimSpace(s[:n-3]), s[n-3:]
	}
	return s, ""
}

// amountCodes are the ISO 4217 codes an amount may be written with
// ("EUR 12,50"): three capital letters alone are not enough ("ABC123"
// would read as 123), and an export writes the currencies it trades in.
// A code missing here leaves the amount to the amount parser, which
// refuses it with its line and field.
var amountCodes = strings.Fields(`AED ARS AUD BGN BHD BRL CAD CHF CLP CNY COP CZK DKK EGP EUR GBP HKD HUF IDR ILS INR ISK JPY
	KES KRW KWD MAD MXN MYR NGN NOK NZD PEN PHP PKR PLN QAR RON RSD RUB SAR SEK SGD THB TND TRY TWD UAH USD UYU VND XAF XOF ZAR`)

// signMatches says whether an amount written with sign may be in
// currency (an upper-case ISO code).
func signMatches(sign, currency string) bool {
	for _, c := range currencySigns {
		if c.sign == sign {
			return slices.Contains(c.currencies, currency)
		}
	}
	return sign == currency
}

// signMismatch is the reason an amount written with sign is refused on a
// row in currency.
func signMismatch(sign, currency string) string {
	return fmt.Sprintf("written in %s, but the row's currency is %s (amounts are never converted on import)", sign, currency)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isCode(s string) bool { return slices.Contains(amountCodes, s) }
