package importer

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// Open balances of an invoices file. An AR export (QuickBooks' "Open
// Balance", SAP's "Offener Betrag") says what is still owed on each
// invoice as of the day it was taken. Without a payments file, the
// instalments already paid on an open invoice are in that column only,
// and an invoice read at its full amount is owed more than it is. So an
// invoices file's open_balance column (--columns
// invoices.open_balance=<header>), when mapped, is read on every invoice
// row that is not a credit note:
//
//   - blank, or equal to the amount: nothing is derived;
//   - below the amount, the invoice not settled: the difference was paid
//     or credited by the export date. What the import's payments and
//     credit notes of the invoice (and the store's) do not cover is
//     loaded as one payment of the rest, dated the export date, its id
//     OpenBalancePrefix + invoice + date (OpenBalancePayment), warned of
//     once with its count and every row. Dated the export date because
//     when it was paid is not known, only that it was by then: a backtest
//     as of an earlier day does not see it (never before the date it was
//     known), and a later export's smaller balance derives only the
//     further difference, at its own date;
//   - 0 with no settled date: settled at an unknown date, by the export
//     date. The invoice is settled on the export date (the latest it can
//     have been) and the uncovered rest derived as above, warned of: left
//     open, a paid invoice would stay overdue in every worklist;
//   - below 0, above the amount, or above 0 on a settled invoice: the row
//     is rejected, naming the field;
//
// A ledger without any payment records (a cleared-items export, no
// payments file in the import or the store) reads a settlement as the
// invoice's cash, and the first payment record would end that reading for
// every invoice (features' PaymentsKnown: a settled invoice its payments
// do not cover becomes an implied write-off). There the difference is
// loaded as a credit note instead, of reason OpenBalanceReason, the id a
// payment's would have: it lowers what is owed from the export date on,
// as the payment would, without turning the ledger's settlements into
// write-offs; and a balance of 0 only settles the invoice (a settlement
// is that ledger's cash). The summary counts them apart (DerivedCredits).
//
// The export date is --export-date (Options.ExportDate) when given, else
// the newest date of the file (an issue, settlement or dunning date),
// the latest day it is known to have been taken on; the summary says
// which, in a note. Amounts are never converted: the open balance is in
// the invoice's currency, a currency sign of another is rejected as the
// amount's would be.

// OpenBalancePrefix starts the id of a payment derived from an open
// balance: the store's payments have no field to mark one derived, and
// the id is what a reader (and a re-import) can tell them by.
const OpenBalancePrefix = "open-balance:"

// OpenBalanceReason is the Reason of a credit note derived from an open
// balance in a ledger without payment records.
const OpenBalanceReason = "open balance: paid or credited by the export date (a ledger without payment records)"

// OpenBalancePayment says whether p was derived from an open balance
// rather than read from a payments file.
func OpenBalancePayment(p *datasets.Payment) bool {
	return strings.HasPrefix(p.ID, OpenBalancePrefix)
}

// openBalanceID is the id of the payment derived for invoice on date: a
// re-import of the same file derives the same payment again (upserted),
// a later export its own.
func openBalanceID(invoice string, date datasets.Date) string {
	return OpenBalancePrefix + invoice + ":" + date.String()
}

// Summary texts of open balances.
const (
	warnOpenBalancePaid = "open balance below the amount, with no payment or credit note in the import or the store for the difference: a payment of the difference derived, dated the export date (when it was paid is not known; see the note on the export date)"
	warnOpenBalanceZero = "open balance 0 without a settled date: settled on the export date (the day it was known by); what its payments and credit notes do not cover is derived on that date as for a balance below the amount (in a ledger without payment records, the settlement is its cash)"
	warnOpenBalanceOver = "payments and credit notes of the invoice dated by the export date are more than its amount less its open balance: no payment derived"
	noteExportDate      = "open balances read as of the export date"
	warnOpenBalanceNote = "open balance below the amount, in a ledger without payment records (no payments file in the import or the store): the difference loaded as a credit note dated the export date, reason \"" + OpenBalanceReason + "\" (a payment would turn every settled invoice without payments into an implied write-off)"
)

// exportDateOf is the export date of an invoices file and how it was
// found: Options.ExportDate, else the import's own day (UTC). Not the
// newest date in the file: an open-items export taken on the 20th whose
// newest invoice is of the 30th before would date a payment of the 15th on
// the 30th, and a backtest of the days between would see it early; the
// import's day is never before the export.
func (im *run) exportDateOf() (datasets.Date, string) {
	if im.opts.ExportDate != 0 {
		return im.opts.ExportDate, "--export-date"
	}
	return min(datasets.DateOf(im.opts.Now().UTC()), im.opts.LatestDay),
		"the import's day (pass --export-date to give the export's own, so that backtests see the derived records from then)"
}

// openBalanceRow is what the current invoice row says of its open balance.
type openBalanceRow struct {
	given bool
	open  datasets.Money
	text  string
	// settledAtExport says the row had no settled date and an open
	// balance of 0: it is settled on the export date.
	settledAtExport bool
}

// rowAmount reads an amount column beside a row's own (text as written;
// numeric when an NDJSON number) in the row's currency, rejecting it in p
// when it is no amount or is written with another currency's sign (ok
// false): an open balance, a payment's discount.
func (p *parser) rowAmount(field, text string, numeric bool, currency string) (m datasets.Money, ok bool) {
	var err error
	if numeric {
		m, err = p.amounts.jsonAmount(text)
	} else {
		body, sign, aerr := accountingAmount(text)
		if err = aerr; err == nil {
			m, err = p.column(field).parse(body, p.line)
		}
		if err == nil && sign != "" && currency != "" && !signMatches(sign, currency) {
			p.errs = append(p.errs, fieldError{field: field, value: text, reason: signMismatch(sign, currency),
				kind: "amount written in another currency than the row's"})
			return 0, false
		}
	}
	if err != nil {
		p.failErr(field, text, err)
		return 0, false
	}
	return m, true
}

// readOpenBalance reads the row's open balance (text as written; numeric
// when an NDJSON number) of invoice v into o, rejecting it in p when it
// cannot be: not an amount, below 0, above the amount, or above 0 on a
// settled invoice. exportDate settles an invoice whose balance is 0.
func (im *run) readOpenBalance(p *parser, text string, numeric bool, v *datasets.Invoice, exportDate datasets.Date, o *openBalanceRow) {
	*o = openBalanceRow{text: text}
	if text == "" {
		return
	}
	m, ok := p.rowAmount("open_balance", text, numeric, v.Currency)
	switch {
	case !ok:
		return
	case m < 0:
		p.fail("open_balance", text, "an open balance below zero: what is owed on an invoice is at least 0 (an overpayment is a payment, not a balance)")
		return
	case m > v.Amount && v.Amount >= 0:
		p.errs = append(p.errs, fieldError{field: "open_balance", value: text, kind: "open balance above the amount",
			reason: fmt.Sprintf("open balance %s is more than the invoice's amount %s", m, v.Amount)})
		return
	case m > 0 && v.SettledDate != 0:
		p.errs = append(p.errs, fieldError{field: "open_balance", value: text, kind: "open balance on a settled invoice",
			reason: fmt.Sprintf("open balance %s on an invoice settled on %s: one of them is wrong", m, p.dates.Write(v.SettledDate))})
		return
	case v.IssueDate > exportDate:
		p.errs = append(p.errs, fieldError{field: "open_balance", value: text, kind: "open balance of an invoice issued after the export date",
			reason: fmt.Sprintf("an open balance as of the export date %s, of an invoice issued later", p.dates.Write(exportDate))})
		return
	}
	o.given, o.open = true, m
	if m == 0 && v.SettledDate == 0 {
		v.SettledDate, o.settledAtExport = exportDate, true
	}
}

// openBalances are the invoices of the import whose open balance says
// part of them was paid, with what the import pays and credits them.
type openBalances struct {
	cands map[string]*openCandidate
	// credits are the credit notes of the invoices files by the invoice
	// they apply to (a credit-note row may come before its invoice's).
	credits map[string]map[string]applied
}

// rederived is the ids of the records the import derives again itself
// (nil for none): superseding leaves them to it.
func (ob *openBalances) rederived() map[string]bool {
	if ob == nil {
		return nil
	}
	out := make(map[string]bool, len(ob.cands))
	for id, cand := range ob.cands {
		out[openBalanceID(id, cand.date)] = true
	}
	return out
}

// openCandidate is one invoice whose open balance is below its amount.
type openCandidate struct {
	inv      datasets.Invoice
	open     datasets.Money
	date     datasets.Date // the export date
	fr       *fileRun
	line     int
	text     string
	paid     map[string]applied // payment id: amount and date
	credited map[string]applied // credit note id: amount and date
	dates    DateParser
}

// noteRow records an accepted invoice row's open balance: a candidate
// when it is below the amount (a later row of the same invoice replaces
// an earlier one, as the store does).
func (ob *openBalances) noteRow(fr *fileRun, line int, v *datasets.Invoice, o *openBalanceRow, date datasets.Date, dates DateParser) {
	delete(ob.cands, v.ID)
	if !o.given || o.open >= v.Amount || (v.SettledDate != 0 && !o.settledAtExport) {
		return
	}
	ob.cands[v.ID] = &openCandidate{inv: *v, open: o.open, date: date, fr: fr, line: line, text: o.text, dates: dates,
		paid: map[string]applied{}, credited: map[string]applied{}}
	if o.settledAtExport {
		fr.warn(warnOpenBalanceZero, fmt.Sprintf("%s:%d invoice_id %q open_balance %q: settled on %s", fr.sum.Path, line, clip(v.ID, 80), clip(o.text, 40), dates.Write(date)))
	}
}

// credit records a credit note of the import applied to an invoice.
func (ob *openBalances) credit(c *datasets.CreditNote) {
	if ob == nil || c.InvoiceID == "" {
		return
	}
	if cand := ob.cands[c.InvoiceID]; cand != nil {
		cand.credited[c.ID] = applied{c.Amount, c.Date}
		return
	}
	m := ob.credits[c.InvoiceID]
	if m == nil {
		m = map[string]applied{}
		ob.credits[c.InvoiceID] = m
	}
	m[c.ID] = applied{c.Amount, c.Date}
}

// payment records a payment of the import.
func (ob *openBalances) payment(p *datasets.Payment) {
	if ob == nil || p.InvoiceID == "" {
		return
	}
	if cand := ob.cands[p.InvoiceID]; cand != nil {
		cand.paid[p.ID] = applied{p.Amount, p.Date}
	}
}

// deriveOpenBalances loads, once every file is read, a payment of what
// each candidate's payments and credit notes (the import's, else the
// store's) dated by the export date leave of its amount less its open
// balance. Only those dated by then: the balance says what was paid by
// the export date, and a payment after it is not part of that (it would
// otherwise cover money the balance says was paid before it). The record
// it derived in an earlier import of the same export (the same id) is
// derived again: upserted with the new difference, and lowered to 0,
// warned of, when the records now cover it (a payments file imported
// since), so that an invoices file imported again never leaves a derived
// payment beside the real ones it duplicates.
func (im *run) deriveOpenBalances(ctx context.Context, w *writer) error {
	ob := im.openBal
	if ob == nil || len(ob.cands) == 0 {
		return nil
	}
	if err := im.recordsComplete(ctx); err != nil {
		return err
	}
	ids := slices.Sorted(maps.Keys(ob.cands))
	stored, err := im.storedRecords(ctx, ids)
	if err != nil {
		return fmt.Errorf("read the payments of the invoices whose open balance is below their amount: %w", err)
	}
	// Derived now as a payment, or in a ledger without payment records as
	// a credit note: a record of that kind with its id is the one derived
	// again (an earlier import of the file); one of the other kind (an
	// earlier import without payment records) covers its part.
	paymentsKnown, err := im.paymentsKnown(ctx, stored)
	if err != nil {
		return err
	}
	for id, m := range ob.credits {
		if cand := ob.cands[id]; cand != nil {
			for k, v := range m {
				cand.credited[k] = v
			}
		}
	}
	// own is the amount of each candidate's own derived record as stored.
	own := map[string]datasets.Money{}
	if stored != nil {
		for _, p := range stored.Payments {
			cand := ob.cands[p.InvoiceID]
			if cand == nil {
				continue
			}
			if now, ok := im.sup.lowered[p.ID]; ok {
				p.Amount = now // lowered by this import's payments (supersede.go)
			}
			if paymentsKnown && p.ID == openBalanceID(cand.inv.ID, cand.date) {
				own[cand.inv.ID] = p.Amount
				continue // its own derived payment, derived again now
			}
			if _, ok := cand.paid[p.ID]; !ok {
				cand.paid[p.ID] = applied{p.Amount, p.Date}
			}
		}
		for _, c := range stored.CreditNotes {
			cand := ob.cands[c.InvoiceID]
			if cand == nil {
				continue
			}
			if now, ok := im.sup.lowered[c.ID]; ok {
				c.Amount = now
			}
			if !paymentsKnown && c.ID == openBalanceID(cand.inv.ID, cand.date) {
				own[cand.inv.ID] = c.Amount
				continue
			}
			if _, ok := cand.credited[c.ID]; !ok {
				cand.credited[c.ID] = applied{c.Amount, c.Date}
			}
		}
	}
	byFile := map[*fileRun]*datasets.Ledger{}
	late := lateWarnings{}
	for _, id := range ids {
		cand := ob.cands[id]
		covered := datasets.Money(0)
		for _, a := range cand.paid {
			if a.date <= cand.date {
				covered += a.amount
			}
		}
		for _, a := range cand.credited {
			if a.date <= cand.date {
				covered += a.amount
			}
		}
		missing := cand.inv.Amount - cand.open - covered
		at := fmt.Sprintf("%s:%d invoice_id %q amount %s open_balance %q", cand.fr.sum.Path, cand.line, clip(id, 80), cand.inv.Amount, clip(cand.text, 40))
		b := byFile[cand.fr]
		if b == nil {
			b = &datasets.Ledger{}
			byFile[cand.fr] = b
		}
		switch {
		case missing > 0 && !paymentsKnown && cand.open == 0:
			// Settled on the export date: that ledger's cash.
		case missing > 0:
			if !paymentsKnown {
				b.CreditNotes = append(b.CreditNotes, datasets.CreditNote{ID: openBalanceID(id, cand.date), CustomerID: cand.inv.CustomerID, InvoiceID: id,
					Date: cand.date, Amount: missing, Kind: datasets.KindCreditNote, Reason: OpenBalanceReason})
				cand.fr.sum.DerivedCredits++
				late.warn(cand.fr, warnOpenBalanceNote, fmt.Sprintf("%s: credit note of %s derived on %s", at, missing, cand.dates.Write(cand.date)))
				continue
			}
			b.Payments = append(b.Payments, datasets.Payment{ID: openBalanceID(id, cand.date), CustomerID: cand.inv.CustomerID, InvoiceID: id,
				Date: cand.date, Amount: missing, Currency: cand.inv.Currency})
			cand.fr.sum.DerivedPayments++
			late.warn(cand.fr, warnOpenBalancePaid, fmt.Sprintf("%s: payment of %s derived on %s", at, missing, cand.dates.Write(cand.date)))
			continue
		case missing < 0:
			late.warn(cand.fr, warnOpenBalanceOver, fmt.Sprintf("%s: %s paid or credited by the export date", at, covered))
		}
		if was := own[id]; was > 0 {
			// Derived by an earlier import of the export; the records now
			// cover it: kept (the stores cannot delete) at 0.
			rid := openBalanceID(id, cand.date)
			if paymentsKnown {
				b.Payments = append(b.Payments, datasets.Payment{ID: rid, CustomerID: cand.inv.CustomerID, InvoiceID: id, Date: cand.date, Currency: cand.inv.Currency})
			} else {
				b.CreditNotes = append(b.CreditNotes, datasets.CreditNote{ID: rid, CustomerID: cand.inv.CustomerID, InvoiceID: id,
					Date: cand.date, Kind: datasets.KindCreditNote, Reason: OpenBalanceReason})
			}
			cand.fr.sum.SupersededDerived++
			late.warn(cand.fr, warnSuperseded, fmt.Sprintf("%s: derived %q of %s dated %s now %s, its payments and credit notes by then covering %s", at, clip(rid, 120), was, cand.dates.Write(cand.date), datasets.Money(0), covered))
		}
	}
	for _, fr := range im.files {
		if b := byFile[fr]; b != nil && b.Len() > 0 {
			w.send(b, fr, 0, 0) // not rows of the file: counted in DerivedPayments
		}
	}
	late.add(im.files)
	return nil
}

// partialRecords is a store whose InvoiceRecords may answer from a copy
// that lacks records (the API's, from its snapshot while its store is
// away): RecordsComplete says why it cannot read them in full, nil when
// it can.
type partialRecords interface {
	RecordsComplete(ctx context.Context) error
}

// recordsComplete fails when the store cannot read every payment and
// credit note of an invoice: an open balance derived from part of them
// would derive again what the others pay.
func (im *run) recordsComplete(ctx context.Context) error {
	if p, ok := im.st.(partialRecords); ok {
		if err := p.RecordsComplete(ctx); err != nil {
			return fmt.Errorf("open balances cannot be read: %w", err)
		}
	}
	return nil
}

// paymentsKnown says whether the ledger has payment records: rows of a
// payments file of the import, or the store's (stored holds those of the
// candidates; else the store's counts say).
func (im *run) paymentsKnown(ctx context.Context, stored *datasets.Ledger) (bool, error) {
	for _, fr := range im.files {
		if fr.sum.Entity == datasets.EntityPayments && fr.loaded.Load() > 0 {
			return true, nil
		}
	}
	if stored != nil {
		for i := range stored.Payments {
			if !OpenBalancePayment(&stored.Payments[i]) {
				return true, nil
			}
		}
	}
	c, ok := im.st.(interface {
		Counts(ctx context.Context) (datasets.Counts, error)
	})
	if !ok {
		return false, nil
	}
	n, err := c.Counts(ctx)
	if err != nil {
		return false, fmt.Errorf("count the stored payments: %w", err)
	}
	return n.Payments > 0, nil
}
