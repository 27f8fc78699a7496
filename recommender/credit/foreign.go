package credit

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// An account is in its customer's currency, but a customer's records need
// not be: an invoice billed in USD to a customer in EUR. Added in as they
// are, its amount would count as so many euros in the exposure, the
// run-rate and what is overdue. So the records in another currency than
// their customer's are converted to it before the account is built, at the
// rates of Options.FX (through FX.To: one step when the customer's currency
// is FX.To, else one exact cross conversion), and a record whose currency
// has no rate keeps the customer from being assessed, as a customer whose
// own currency has none.

// foreignRecords is, for one customer, its records in another currency
// than its own that have no rate: by currency, how many of each kind, and
// the first (by kind, then id) to name in the error.
type foreignRecords map[string]*foreignCount

type foreignCount struct {
	kinds map[datasets.RecordKind]int
	first datasets.RecordRef
}

func (f foreignRecords) add(cur string, ref datasets.RecordRef) {
	c := f[cur]
	if c == nil {
		c = &foreignCount{kinds: map[datasets.RecordKind]int{}}
		f[cur] = c
	}
	c.kinds[ref.Kind]++
	if c.first.Kind == "" || kindRank(ref.Kind) < kindRank(c.first.Kind) || ref.Kind == c.first.Kind && ref.ID < c.first.ID {
		c.first = ref
	}
}

// kindRank orders the kinds of record converted here, for examples.
func kindRank(k datasets.RecordKind) int {
	switch k {
	case datasets.RefInvoice:
		return 0
	case datasets.RefPayment:
		return 1
	}
	return 2
}

// describeKinds says "2 invoices and 1 payment".
func describeKinds(kinds map[datasets.RecordKind]int) string {
	var parts []string
	for _, k := range []datasets.RecordKind{datasets.RefInvoice, datasets.RefPayment, datasets.RefCreditNote} {
		if n := kinds[k]; n > 0 {
			parts = append(parts, plural(n, string(k)))
		}
	}
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// inOwnCurrency returns l with the amounts of its invoices, payments and
// credit notes in another currency than their customer's (currencyOf)
// converted to it with fx, and, by customer, the records it could not
// convert for want of a rate (left as they are: such a customer is not
// assessed). A payment or credit note on an invoice goes into the
// currency of the invoice's customer, whose open item it reduces, and
// those in the invoice's own currency are converted as running totals,
// as datasets' Ledger.Convert does, so that what settled an invoice in
// full still settles it after rounding. l itself is returned when
// nothing is in another currency. Disputes and promises keep their
// amounts: the accounts read only their dates and the disputed flag.
// An amount that overflows when converted is an error.
func inOwnCurrency(l *datasets.Ledger, pol *Policy, fx datasets.FX) (*datasets.Ledger, map[string]foreignRecords, error) {
	own := make(map[string]string, len(l.Customers))
	for i := range l.Customers {
		own[l.Customers[i].ID] = currencyOf(&l.Customers[i], pol)
	}
	// has: the customer is in l (records of others are not read).
	has := func(c string) bool { _, ok := own[c]; return ok }
	if oneCurrency(l, own) {
		return l, nil, nil
	}
	// An invoice's currency, and its customer's: what the records on it
	// are converted to.
	type invCur struct{ cur, to, customer string }
	invs := make(map[string]invCur, len(l.Invoices))
	foreign := false
	for i := range l.Invoices {
		v := &l.Invoices[i]
		to := own[v.CustomerID]
		ic := invCur{cmp.Or(v.Currency, to), to, v.CustomerID}
		invs[v.ID] = ic
		foreign = foreign || has(v.CustomerID) && ic.cur != to
	}
	// target is the currency and customer a payment or credit note is
	// converted for, cur its own currency (own: its currency field).
	target := func(ownCur, invoiceID, customerID string) (cur, to, customer string, onInvoice bool) {
		if ic, ok := invs[invoiceID]; ok && invoiceID != "" {
			return cmp.Or(ownCur, ic.cur), ic.to, ic.customer, true
		}
		to = own[customerID]
		return cmp.Or(ownCur, to), to, customerID, false
	}
	// payTarget is target for a payment. One naming another customer's
	// invoice reduces neither that invoice nor any of the payer's: it is
	// the payer's cash on account (features, KPIs.UnappliedCash), which
	// nets the payer's exposure, so it is in the payer's currency, as it
	// is in the payer's part of a ledger read in parts (the invoice is in
	// its own customer's part).
	payTarget := func(p *datasets.Payment) (cur, to, customer string, onInvoice bool) {
		if ic, ok := invs[p.InvoiceID]; ok && ic.customer != p.CustomerID {
			return target(p.Currency, "", p.CustomerID)
		}
		return target(p.Currency, p.InvoiceID, p.CustomerID)
	}
	for i := range l.Payments {
		p := &l.Payments[i]
		cur, to, c, _ := payTarget(p)
		foreign = foreign || has(c) && cur != to
	}
	for i := range l.CreditNotes {
		n := &l.CreditNotes[i]
		cur, to, c, _ := target("", n.InvoiceID, n.CustomerID)
		foreign = foreign || has(c) && cur != to
	}
	if !foreign {
		return l, nil, nil
	}

	out := *l
	out.Invoices = slices.Clone(l.Invoices)
	out.Payments = slices.Clone(l.Payments)
	out.CreditNotes = slices.Clone(l.CreditNotes)
	unrated := map[string]foreignRecords{}
	overflow := 0
	// conv converts m from cur to to, for customer c's record ref.
	conv := func(m datasets.Money, cur, to, c string, ref datasets.RecordRef) datasets.Money {
		from, ok1 := fx.Rate(cur)
		into, ok2 := fx.Rate(to)
		if !ok1 || !ok2 {
			if unrated[c] == nil {
				unrated[c] = foreignRecords{}
			}
			// Name the currency without a rate: the record's, else the
			// customer's (which then has none either).
			missing := cur
			if ok1 {
				missing = to
			}
			unrated[c].add(missing, ref)
			return m
		}
		v, ok := m.ConvertVia(from, into)
		if !ok {
			overflow++
			return m
		}
		return v
	}
	for i := range out.Invoices {
		v := &out.Invoices[i]
		if ic := invs[v.ID]; has(v.CustomerID) && ic.cur != ic.to {
			v.Amount = conv(v.Amount, ic.cur, ic.to, v.CustomerID, datasets.RecordRef{Kind: datasets.RefInvoice, ID: v.ID})
			v.Currency = ic.to
		}
	}
	// What was applied to each invoice in the invoice's own currency:
	// converted as running totals (datasets.ConvertRunning).
	byInvoice := map[string][]datasets.Applied{}
	for i := range out.Payments {
		p := &out.Payments[i]
		cur, to, c, onInvoice := payTarget(p)
		if !has(c) || cur == to {
			continue
		}
		ref := datasets.RecordRef{Kind: datasets.RefPayment, ID: p.ID}
		if onInvoice && cur == invs[p.InvoiceID].cur {
			byInvoice[p.InvoiceID] = append(byInvoice[p.InvoiceID], datasets.Applied{Date: p.Date, Key: "p" + p.ID, Ref: ref, Amount: &p.Amount})
		} else {
			p.Amount = conv(p.Amount, cur, to, c, ref)
		}
		p.Currency = to
	}
	for i := range out.CreditNotes {
		n := &out.CreditNotes[i]
		cur, to, c, onInvoice := target("", n.InvoiceID, n.CustomerID)
		if !has(c) || cur == to {
			continue
		}
		ref := datasets.RecordRef{Kind: datasets.RefCreditNote, ID: n.ID}
		if onInvoice {
			byInvoice[n.InvoiceID] = append(byInvoice[n.InvoiceID], datasets.Applied{Date: n.Date, Key: "n" + n.ID, Ref: ref, Amount: &n.Amount})
		} else {
			n.Amount = conv(n.Amount, cur, to, c, ref)
		}
	}
	for id, recs := range byInvoice {
		ic := invs[id]
		if !datasets.ConvertRunning(recs, func(total datasets.Money, r *datasets.Applied) datasets.Money {
			return conv(total, ic.cur, ic.to, ic.customer, r.Ref)
		}) {
			overflow++
		}
	}
	if overflow > 0 {
		return nil, nil, fmt.Errorf("%w: credit: %s overflow when converted to their customer's currency", datasets.ErrFX, plural(overflow, "amount"))
	}
	return &out, unrated, nil
}

// oneCurrency reports whether l's customers (own: their currencies) are
// all in one currency and its invoices and payments in it or unmarked:
// then nothing is in another currency than its customer's (a credit note
// is in its invoice's or its customer's), which a single-currency ledger
// learns without indexing its invoices.
func oneCurrency(l *datasets.Ledger, own map[string]string) bool {
	cur := ""
	for _, c := range own {
		if cur != "" && c != cur {
			return false
		}
		cur = c
	}
	for i := range l.Invoices {
		if c := l.Invoices[i].Currency; c != "" && c != cur {
			return false
		}
	}
	for i := range l.Payments {
		if c := l.Payments[i].Currency; c != "" && c != cur {
			return false
		}
	}
	return true
}
