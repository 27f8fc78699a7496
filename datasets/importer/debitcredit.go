package importer

import "strings"

// Debit and credit columns. A German OPOS list (DATEV, SAP) writes an
// amount in one of two columns, Soll (debit: invoices) or Haben (credit:
// credit notes), rather than signed in one. An invoices file's
// credit_amount column (--columns invoices.amount=Soll,
// invoices.credit_amount=Haben), when mapped, is read on every row: a row
// with a credit amount and no debit (blank or zero) is read as the
// negative of it, a credit note as a signed amount column writes it (by
// the type column, --doc-types, or as the negative-amount rows are);
// a row with both is rejected naming the field, as is a credit amount
// written negative (a leading or trailing minus, parentheses). Mapped
// alone, the Gutschriften were rejected as "amount "": missing amount"
// with no word of the Haben column. A zero is no amount whether written
// 0, 0,00, -0 or "0,00 €". An NDJSON credit written as a JSON number is
// read as one (moved reports the move, so that the amount is read as
// the number it came as, never by the file's decimal mark).

// debitCredit reads the row's credit amount into its amount column
// vals[amountAt] when only the credit is given (moved); the reason the
// row is wrong otherwise, "" when it is not.
func debitCredit(vals []string, amountAt, creditAt int) (moved bool, why string) {
	if creditAt >= len(vals) || amountAt >= len(vals) {
		return false, ""
	}
	debit, credit := trimSpace(vals[amountAt]), trimSpace(vals[creditAt])
	switch {
	case credit == "" || zeroAmount(credit):
		return false, ""
	case negativeAmount(credit):
		return false, "a credit amount (the Haben column) is written positive: the column says it is a credit"
	case debit != "" && !zeroAmount(debit):
		return false, "both a debit (amount) and a credit amount on one row: a row is one or the other"
	}
	vals[amountAt] = "-" + credit
	return true, ""
}

// bareAmount is s without the currency sign or code and the parentheses
// accounting exports put around it (accountingAmount); s as it is when
// they are not read.
func bareAmount(s string) string {
	if body, _, err := accountingAmount(s); err == nil {
		return body
	}
	return s
}

// zeroAmount reports whether s writes 0 (0, 0,00, 0.00, -0, 0,00 €).
func zeroAmount(s string) bool {
	b := bareAmount(s)
	return strings.Trim(b, "0.,+-' ") == "" && strings.ContainsRune(b, '0')
}

// negativeAmount reports whether s is written negative: a minus before
// or after it ("-20,00", "20,00-", SAP's way), or in parentheses.
func negativeAmount(s string) bool {
	b := bareAmount(s)
	return strings.HasPrefix(b, "-") || strings.HasSuffix(b, "-") || strings.HasPrefix(strings.TrimSpace(s), "(")
}
