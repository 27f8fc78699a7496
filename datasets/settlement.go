package datasets

import (
	"cmp"
	"fmt"
	"slices"
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

// RecordsDefault says whether n is evidence that its customer defaulted: a
// write-off on record. An implied one (Implied) is not: a cleared-items
// export settles a cash discount, a short payment or a commercial credit
// the same way, and read as defaults they took healthy customers off the
// dunning list and cut their limits to 0.
func (n *CreditNote) RecordsDefault() bool {
	return n.Kind == KindWriteOff && !n.Implied()
}

// RecordsDefault says whether d is evidence that its customer defaulted:
// the limit cut to 0 for a default or an insolvency.
func (d *CreditDecision) RecordsDefault() bool {
	r := strings.ToLower(d.Reason)
	return d.NewLimit == 0 && (strings.Contains(r, "default") || strings.Contains(r, "insolven"))
}

// ImpliedWriteOffs returns, for each settled invoice of l whose cash and
// credit dated on or before its settlement do not cover its amount, a
// credit note for the remainder dated at the settlement: of kind
// KindCreditNote (a dispute credit) when the invoice is flagged disputed,
// else KindWriteOff. The notes are in l's invoice order.
//
// What covers an invoice: the payments that name it and its customer and
// the credit notes that name it (by invoice id alone, as features.Index
// links them), then the customer's unallocated cash: its positive payments
// that name no invoice of its own (cash on account, matched to invoices
// later, which a clearing export does not say). That cash goes to the
// customer's shortfalls in the order of their settlement (then invoice
// id), each taking what the cash received by its own settlement day leaves
// after the earlier ones. Only records dated by the settlement count, so
// the note is what was known on its own date: point-in-time. An invoice
// already covered, by real credit notes or otherwise, gets none: nothing
// is counted twice.
//
// It assumes that the ledger records payments: on one without any (an
// invoices-only export) every settled invoice would be written off in
// full, which is not what the export says either. Use
// Ledger.WithImpliedWriteOffs, which only applies when told the ledger has
// payments.
func ImpliedWriteOffs(l *Ledger) ([]CreditNote, error) {
	own := make(map[coverKey]int, len(l.Invoices))
	for i := range l.Invoices {
		v := &l.Invoices[i]
		own[coverKey{v.CustomerID, v.ID}] = i // a duplicate id: the last counts, once
	}
	settled := func(i int) bool {
		v := &l.Invoices[i]
		return v.SettledDate != 0 && own[coverKey{v.CustomerID, v.ID}] == i
	}
	idx := NewCoverIndex(l, nil)
	covered := make([]MoneySum, len(l.Invoices))
	for i := range l.Invoices {
		v := &l.Invoices[i]
		if !settled(i) {
			continue
		}
		for _, k := range idx.Payments(v.CustomerID, v.ID) {
			if p := &l.Payments[k]; p.Date <= v.SettledDate {
				covered[i].Add(p.Amount)
			}
		}
		for _, k := range idx.Notes(v.ID) {
			if n := &l.CreditNotes[k]; n.Date <= v.SettledDate {
				covered[i].Add(n.Amount)
			}
		}
	}
	// The customers' unallocated cash: positive payments that name no
	// invoice of their own.
	pool := map[string][]Payment{}
	for k := range l.Payments {
		p := &l.Payments[k]
		if _, ok := own[coverKey{p.CustomerID, p.InvoiceID}]; (!ok || p.InvoiceID == "") && p.Amount > 0 {
			pool[p.CustomerID] = append(pool[p.CustomerID], *p)
		}
	}
	// The shortfalls, by customer.
	short := make([]Money, len(l.Invoices))
	byCustomer := map[string][]int{}
	for i := range l.Invoices {
		if !settled(i) {
			continue
		}
		v := &l.Invoices[i]
		c, err := covered[i].Total()
		if err != nil {
			return nil, fmt.Errorf("implied write-offs: invoice %s of customer %s: payments and credit notes: %w", v.ID, v.CustomerID, err)
		}
		left, ok := v.Amount.Add(-c)
		if !ok {
			return nil, fmt.Errorf("implied write-offs: invoice %s of customer %s: amount less payments: %w", v.ID, v.CustomerID, ErrOverflow)
		}
		if left > 0 {
			short[i] = left
			byCustomer[v.CustomerID] = append(byCustomer[v.CustomerID], i)
		}
	}
	// The unallocated cash of each customer covers its shortfalls in the
	// order they were settled: with received(k) the cash dated by the k-th
	// settlement and allocated(k) what the first k took, allocated(k) =
	// min(allocated(k−1) + shortfall(k), received(k)). kpi.sql computes the
	// same in closed form.
	for cust, invs := range byCustomer {
		cash := pool[cust]
		if len(cash) == 0 {
			continue
		}
		slices.SortFunc(invs, func(a, b int) int {
			return cmp.Or(cmp.Compare(l.Invoices[a].SettledDate, l.Invoices[b].SettledDate), strings.Compare(l.Invoices[a].ID, l.Invoices[b].ID))
		})
		slices.SortFunc(cash, func(a, b Payment) int { return cmp.Compare(a.Date, b.Date) })
		var received MoneySum
		var allocated Money
		next := 0
		for _, i := range invs {
			for ; next < len(cash) && cash[next].Date <= l.Invoices[i].SettledDate; next++ {
				received.Add(cash[next].Amount)
			}
			r, err := received.Total()
			if err != nil {
				return nil, fmt.Errorf("implied write-offs: unallocated cash of customer %s: %w", cust, err)
			}
			upTo, ok := allocated.Add(short[i])
			if !ok {
				return nil, fmt.Errorf("implied write-offs: shortfalls of customer %s: %w", cust, ErrOverflow)
			}
			now := min(upTo, r)
			short[i] -= now - allocated // allocated ≤ received then ≤ received now
			allocated = now
		}
	}
	var out []CreditNote
	for i := range l.Invoices {
		if short[i] <= 0 {
			continue
		}
		v := &l.Invoices[i]
		kind := KindWriteOff
		if v.Disputed {
			kind = KindCreditNote
		}
		out = append(out, CreditNote{
			ID: ImpliedNotePrefix + v.CustomerID + "/" + v.ID, CustomerID: v.CustomerID, InvoiceID: v.ID,
			Date: v.SettledDate, Amount: short[i], Kind: kind, Reason: ImpliedNoteReason,
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

// MostlyWrittenOff says whether the settled invoice v was mostly written
// off rather than paid: its write-off notes among notes (those on v, real
// or implied) dated by the settlement come to at least half its amount. A
// small residue written off (bank charges, say) leaves it paid.
func (v *Invoice) MostlyWrittenOff(notes []CreditNote) bool {
	if v.SettledDate == 0 {
		return false
	}
	var wo MoneySum
	for k := range notes {
		if n := &notes[k]; n.Kind == KindWriteOff && n.Date <= v.SettledDate {
			wo.Add(n.Amount)
		}
	}
	t, err := wo.Total()
	// An overflowing sum is far more than half of any amount.
	return err != nil || (t > 0 && t >= v.Amount-v.Amount/2)
}
