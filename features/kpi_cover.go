package features

import (
	"math"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/importer"
)

// An invoice's cover as the KPIs count it (KPIs.Overpayments): its own
// payments and credit notes, a cash discount and a credit note of the same
// amount on it counted once. kpi.sql computes the same (kpi_vectors: ovl,
// outs, v_overpaid); tests hold the two equal.

// derivedDiscount reports whether n is a cash discount the importer
// derived from a payment's discount column rather than a credit note of
// the ledger.
func derivedDiscount(n *datasets.CreditNote) bool {
	return n.Reason == importer.DiscountReason && strings.HasPrefix(n.ID, importer.DiscountPrefix)
}

// coverOverlap is what of invoice i's credit notes dated by t counts twice:
// for each amount a > 0, a × min(discounts of a, ledger notes of a) among
// them, implied write-offs left out. An ERP that books the discount taken
// as a credit memo as well as in the payment's discount column records one
// credit twice; the pair counts once, from the earlier of its two dates.
// The sum is in plain Money, as the outstanding amount it corrects (kpi.sql
// computes both in Int64).
func (c *customerIndex) coverOverlap(i int, t datasets.Date) datasets.Money {
	notes := c.invCredits[i]
	var ov datasets.Money
	for k := range notes {
		n := &notes[k]
		if n.Date > t || n.Amount <= 0 || !derivedDiscount(n) {
			continue
		}
		// n is the rank-th discount of its amount dated by t; it
		// duplicates a note when there are at least rank of those.
		rank, ledger := 0, 0
		for j := range notes {
			m := &notes[j]
			if m.Date > t || m.Amount != n.Amount || m.Implied() {
				continue
			}
			if !derivedDiscount(m) {
				ledger++
			} else if j <= k {
				rank++
			}
		}
		if rank <= ledger {
			ov += n.Amount
		}
	}
	return ov
}

// kpiOutstanding is what invoice i owes at the end of day t as the KPIs
// count it: nothing once settled, else its amount less its payments and
// credit notes dated by t, a discount and a note of one amount counted
// once (coverOverlap), never below zero. Without such a pair it is
// outstanding, what the features read.
func (c *customerIndex) kpiOutstanding(i int, t datasets.Date) datasets.Money {
	if v := &c.invoices[i]; v.SettledDate != 0 && v.SettledDate <= t {
		return 0
	}
	return c.owedWith(i, t, c.coverOverlap(i, t))
}

// overpaid adds to a, at every bound, what invoice i's own records dated
// by it cover beyond its amount (KPIs.Overpayments): its payments and its
// ledger credit notes (not the write-offs implied at its settlement), less
// what counts twice, less its amount once it is issued. An invoice of a
// negative amount (a credit written as an invoice) is thus on account from
// its issue. Summed exactly; a surplus beyond a Money marks a overflowed.
func (p *kpiPlan) overpaid(c *customerIndex, i int, a *kpiAcc) {
	v := &c.invoices[i]
	pays, notes := c.invPayments[i], c.invCredits[i]
	// Nearly every invoice is covered at most by its amount, by records
	// dated on or after its issue: no surplus at any bound then.
	var most datasets.MoneySum
	first := datasets.Date(math.MaxInt32)
	for k := range pays {
		most.Add(max(pays[k].Amount, 0))
		first = min(first, pays[k].Date)
	}
	for k := range notes {
		if !notes[k].Implied() {
			most.Add(max(notes[k].Amount, 0))
			first = min(first, notes[k].Date)
		}
	}
	if t, err := most.Total(); err == nil && t <= v.Amount && first >= v.IssueDate {
		return
	}
	for j, b := range p.bounds {
		var s datasets.MoneySum
		for k := range pays {
			if pays[k].Date <= b {
				s.Add(pays[k].Amount)
			}
		}
		for k := range notes {
			if n := &notes[k]; n.Date <= b && !n.Implied() {
				s.Add(n.Amount)
			}
		}
		subMoney(&s, c.coverOverlap(i, b))
		if v.IssueDate <= b {
			subMoney(&s, v.Amount)
		}
		t, err := s.Total()
		if err != nil {
			a.overflow = true
			continue
		}
		if t > 0 {
			a.addMoney(&a.points[j].overpaid, t)
		}
	}
}

// subMoney subtracts m from s exactly: −MinInt64 is no Money, so it is
// taken off in two steps.
func subMoney(s *datasets.MoneySum, m datasets.Money) {
	if m == math.MinInt64 {
		s.Add(math.MaxInt64)
		s.Add(1)
		return
	}
	s.Add(-m)
}
