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
// written negative. Mapped alone, the Gutschriften were rejected as
// "amount "": missing amount" with no word of the Haben column.

// debitCredit reads the row's credit amount into its amount column
// vals[amountAt] when only the credit is given; the reason the row is
// wrong otherwise, "" when it is not.
func debitCredit(vals []string, amountAt, creditAt int) string {
	if creditAt >= len(vals) || amountAt >= len(vals) {
		return ""
	}
	debit, credit := trimSpace(vals[amountAt]), trimSpace(vals[creditAt])
	switch {
	case credit == "" || zeroAmount(credit):
		return ""
	case strings.HasPrefix(credit, "-"):
		return "a credit amount (the Haben column) is written positive: the column says it is a credit"
	case debit != "" && !zeroAmount(debit):
		return "both a debit (amount) and a credit amount on one row: a row is one or the other"
	}
	vals[amountAt] = "-" + credit
	return ""
}

// zeroAmount reports whether s writes 0 (0, 0,00, 0.00, -0).
func zeroAmount(s string) bool {
	return strings.Trim(s, "0.,+- ") == "" && strings.ContainsRune(s, '0')
}
