package datasets

import (
	"fmt"
	"strings"
)

// Settled is not paid. A cleared-items export marks an invoice settled
// (cleared) whatever cleared it: cash, a credit note or a write-off. When
// the ledger comes without its credit notes, an invoice settled for more
// than its payments cover would count as paid in full: recovery rates of
// 100% on written-off debt, and a forecast that expects the written-off
// money as cash. ImpliedWriteOffs names the money no record explains.

// ImpliedNoteReason is the Reason of a credit note ImpliedWriteOffs
// derives, and ImpliedNotePrefix the start of its id: both say that no
// export holds the note.
const (
	ImpliedNoteReason = "implied: settled without cash or credit to cover it"
	ImpliedNotePrefix = "implied:"
)

// Implied reports whether n was derived by ImpliedWriteOffs rather than
// read from the ledger.
func (n *CreditNote) Implied() bool {
	return n.Reason == ImpliedNoteReason && strings.HasPrefix(n.ID, ImpliedNotePrefix)
}

// ImpliedWriteOffs returns, for each settled invoice of l whose payments
// and credit notes dated on or before its settlement do not cover its
// amount, a credit note for the remainder dated at the settlement: of kind
// KindCreditNote (a dispute credit) when the invoice is flagged disputed,
// else KindWriteOff. Payments count when they name the invoice and its
// customer, credit notes when they name the invoice (as features.Index
// links them). Only records dated by the settlement count, so the note is
// what was known on its own date: point-in-time. An invoice already
// covered, by real credit notes or otherwise, gets none: nothing is
// counted twice. The notes are in l's invoice order.
//
// It assumes that the ledger records payments: on one without any (an
// invoices-only export) every settled invoice would be written off in
// full, which is not what the export says either. Use
// Ledger.WithImpliedWriteOffs, which only applies when told the ledger has
// payments.
func ImpliedWriteOffs(l *Ledger) ([]CreditNote, error) {
	type key struct{ customer, invoice string }
	settled := map[key]int{}
	byID := map[string][]int{}
	for i := range l.Invoices {
		v := &l.Invoices[i]
		if v.SettledDate == 0 || v.ID == "" {
			continue
		}
		settled[key{v.CustomerID, v.ID}] = i
		byID[v.ID] = append(byID[v.ID], i)
	}
	if len(settled) == 0 {
		return nil, nil
	}
	covered := make([]MoneySum, len(l.Invoices))
	for k := range l.Payments {
		p := &l.Payments[k]
		if p.InvoiceID == "" {
			continue
		}
		if i, ok := settled[key{p.CustomerID, p.InvoiceID}]; ok && p.Date <= l.Invoices[i].SettledDate {
			covered[i].Add(p.Amount)
		}
	}
	for k := range l.CreditNotes {
		n := &l.CreditNotes[k]
		for _, i := range byID[n.InvoiceID] {
			if n.Date <= l.Invoices[i].SettledDate {
				covered[i].Add(n.Amount)
			}
		}
	}
	var out []CreditNote
	for i := range l.Invoices {
		v := &l.Invoices[i]
		if v.SettledDate == 0 || v.ID == "" {
			continue
		}
		if j := settled[key{v.CustomerID, v.ID}]; j != i {
			continue // a duplicate id of the customer: the last one counts, once
		}
		c, err := covered[i].Total()
		if err != nil {
			return nil, fmt.Errorf("implied write-offs: invoice %s of customer %s: payments and credit notes: %w", v.ID, v.CustomerID, err)
		}
		left, ok := v.Amount.Add(-c)
		if !ok {
			return nil, fmt.Errorf("implied write-offs: invoice %s of customer %s: amount less payments: %w", v.ID, v.CustomerID, ErrOverflow)
		}
		if left <= 0 {
			continue
		}
		kind := KindWriteOff
		if v.Disputed {
			kind = KindCreditNote
		}
		out = append(out, CreditNote{
			ID: ImpliedNotePrefix + v.CustomerID + "/" + v.ID, CustomerID: v.CustomerID, InvoiceID: v.ID,
			Date: v.SettledDate, Amount: left, Kind: kind, Reason: ImpliedNoteReason,
		})
	}
	return out, nil
}

// WithImpliedWriteOffs returns l with the credit notes ImpliedWriteOffs
// derives appended to its own, and how many it added. paymentsKnown says
// whether the ledger records payments at all (for a part of a ledger: the
// whole's, see features.LedgerFacts); when it does not, l is returned as it
// is, since an export without payments cannot tell cash from credit. l is
// not changed: the result shares every other slice with it.
func (l *Ledger) WithImpliedWriteOffs(paymentsKnown bool) (*Ledger, int, error) {
	if !paymentsKnown {
		return l, 0, nil
	}
	notes, err := ImpliedWriteOffs(l)
	if err != nil || len(notes) == 0 {
		return l, 0, err
	}
	out := *l
	out.CreditNotes = make([]CreditNote, 0, len(l.CreditNotes)+len(notes))
	out.CreditNotes = append(append(out.CreditNotes, l.CreditNotes...), notes...)
	return &out, len(notes), nil
}
