package importer

import (
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// Cash discounts taken with a payment. Terms such as "14 Tage 2% Skonto,
// 30 Tage netto" or "2/10 net 30" let a customer pay 98% within the
// discount days and settle the invoice: the 2% is a discount the seller
// grants, not debt. ERPs list it beside the payment (SAP's Skontobetrag,
// DATEV's Skonto, "Discount Taken"). A payments file's discount column
// (--columns payments.discount=<header>), when mapped, is read on every
// row: a positive amount is loaded as a credit note on the invoice the
// payment names, of kind credit_note, dated the payment's day, its id
// DiscountPrefix + the payment's id and its reason DiscountReason, so
// that the payment and the discount together cover the invoice (and
// settle it: settlecover.go; a cleared-items export's settlement then
// implies no write-off). Without it the discount would stay owed: 2% of
// every invoice of a customer who pays within the discount days, overdue
// in every worklist, in the 90+ bucket, in DSO. Blank or 0: no discount.
// Not an amount, or written with another currency's sign: the row is
// rejected, naming the field. Below 0, on a payment that names no invoice
// (the discount is credited to the invoice it settles) or on a refund (a
// negative payment): the payment loads, its cash being real, and the
// discount is left out with a warning naming the row.
// Counted (DerivedDiscounts) and noted with the first rows.

// DiscountPrefix starts the id of a credit note derived from a payment's
// discount, and DiscountReason is its reason: the store's credit notes
// have no field to mark one derived.
const (
	DiscountPrefix = "discount:"
	DiscountReason = "cash discount taken with the payment"
)

// Warnings of a discount left out, its payment loaded.
const (
	warnDiscountBelowZero = "discount below zero left out (a discount is what the customer did not have to pay; write a charge as an invoice): the payment is loaded without it"
	warnDiscountNoInvoice = "discount on a payment that names no invoice left out (a cash discount is credited to the invoice the payment settles: give its invoice_id): the payment is loaded without it"
	warnDiscountRefund    = "discount on a refund (a negative payment) left out (a discount goes with a payment): the refund is loaded without it"
	warnDiscountRate      = "discount written as a rate (2%), not an amount, left out (map the column that holds the discount amount, Skontobetrag): the payment is loaded without it"
)

// noteDiscount is the note of a discount loaded so.
const noteDiscount = "cash discount(s) of payments loaded as credit notes on the invoices they pay (not owed: the payment and its discount settle the invoice)"

// readDiscount reads the discount (text as written; numeric when an
// NDJSON number) taken with payment pay, rejecting it in p when it
// cannot be one; 0 when there is none.
func (im *run) readDiscount(p *parser, text string, numeric bool, pay *datasets.Payment) datasets.Money {
	if text == "" {
		return 0
	}
	if !numeric && strings.HasSuffix(strings.TrimSpace(text), "%") {
		p.warns = append(p.warns, fieldError{field: "discount", value: text, kind: warnDiscountRate, reason: warnDiscountRate})
		return 0
	}
	m, ok := p.rowAmount("discount", text, numeric, pay.Currency)
	switch {
	case !ok:
		return 0
	case m < 0:
		p.warns = append(p.warns, fieldError{field: "discount", value: text, kind: warnDiscountBelowZero, reason: warnDiscountBelowZero})
		return 0
	case m == 0:
		return 0
	case pay.InvoiceID == "":
		p.warns = append(p.warns, fieldError{field: "discount", value: text, kind: warnDiscountNoInvoice, reason: warnDiscountNoInvoice})
		return 0
	case pay.Amount < 0:
		p.warns = append(p.warns, fieldError{field: "discount", value: text, kind: warnDiscountRefund, reason: warnDiscountRefund})
		return 0
	}
	return m
}

// discountNote is the credit note of discount m taken with payment pay.
func discountNote(pay *datasets.Payment, m datasets.Money) datasets.CreditNote {
	return datasets.CreditNote{ID: DiscountPrefix + pay.ID, CustomerID: pay.CustomerID, InvoiceID: pay.InvoiceID,
		Date: pay.Date, Amount: m, Kind: datasets.KindCreditNote, Reason: DiscountReason}
}
