package forecast

import (
	"math"

	"github.com/dsopilot/dsopilot/datasets"
)

// Item is one invoice open at the as-of date, as the forecast sees it.
type Item struct {
	CustomerID string        `json:"customer_id"`
	InvoiceID  string        `json:"invoice_id"`
	IssueDate  datasets.Date `json:"issue_date"`
	DueDate    datasets.Date `json:"due_date"`
	// Outstanding is what the invoice still owed at the end of the as-of
	// day, after partial payments and credit notes.
	Outstanding datasets.Money `json:"outstanding"`
	// Disputed is the part of Outstanding under a dispute open at the
	// as-of date; CreditRate of it is expected to be credited, not paid.
	Disputed   datasets.Money `json:"disputed"`
	CreditRate float64        `json:"credit_rate"`
	// Promise is an open promise to pay at the as-of date (made by then,
	// promised for a later day); KeptRate is the customer's measured share
	// of promises kept.
	PromiseDate   datasets.Date  `json:"promise_date,omitempty"`
	PromiseAmount datasets.Money `json:"promise_amount,omitempty"`
	KeptRate      float64        `json:"kept_rate,omitempty"`
	// Currency, Segment and Country label the breakdowns.
	Currency string `json:"currency"`
	Segment  string `json:"segment"`
	Country  string `json:"country"`
	pos      int    // position in History.inv
	cust     int32  // position of its customer in History.cust
}

// Expected is what the invoice is expected to bring in at most: its
// outstanding less the expected credit on its open dispute, in cents.
func (it *Item) Expected() datasets.Money {
	return it.Outstanding - datasets.Money(math.Round(it.CreditRate*float64(it.Disputed)))
}

// Rates are the customer behaviours the open book is adjusted with,
// measured point-in-time: each customer's own record known at the as-of
// date, shrunk towards the portfolio's when it is short.
type Rates struct {
	// PromiseKept and DisputeCredited are the portfolio's shares of due
	// promises kept and of resolved disputes credited.
	PromiseKept, DisputeCredited float64
	keptByCust, creditByCust     map[string]float64
	// MeanDelay is each customer's mean days from due date to settlement
	// over invoices settled in the year to the as-of date (negative:
	// early); PortfolioDelay the same over all customers.
	MeanDelay      map[string]float64
	PortfolioDelay float64
	// The portfolio's counts behind PromiseKept, DisputeCredited and
	// PortfolioDelay, which a forecast in parts adds up (see portfolio).
	kept, credited   tally
	delaySum, delayN float64
}

// tally counts records and those of them that say yes.
type tally struct{ yes, n float64 }

func (t *tally) add(o tally) { t.yes, t.n = t.yes+o.yes, t.n+o.n }

// shrink is the weight, in records, of the portfolio's rate in a
// customer's: a customer with 4 resolved promises counts half its own.
const shrink = 4

// Measure computes the Rates known at the end of day t.
func (h *History) Measure(t datasets.Date) *Rates { return h.measure(t, nil) }

// measure computes the Rates of the customers at positions custs (nil:
// all), the portfolio's rates being theirs.
func (h *History) measure(t datasets.Date, custs []int) *Rates {
	r := &Rates{keptByCust: map[string]float64{}, creditByCust: map[string]float64{}, MeanDelay: map[string]float64{}}
	kept := make([]tally, len(h.cust))
	cred := make([]tally, len(h.cust))
	var keptAll, credAll tally
	for _, ci := range h.customers(custs) {
		c := &h.cust[ci]
		for _, p := range c.promises {
			// A promise's outcome is known once its date has passed (the
			// feature engine's rule).
			if p.Made > t || p.PromisedDate >= t || p.Status == datasets.PromiseOpen {
				continue
			}
			kept[ci].n++
			if p.Status == datasets.PromiseKept {
				kept[ci].yes++
			}
		}
		for _, d := range c.disputes {
			if d.Resolved == 0 || d.Resolved > t {
				continue
			}
			cred[ci].n++
			if d.Outcome == "credited" {
				cred[ci].yes++
			}
		}
		keptAll.add(kept[ci])
		credAll.add(cred[ci])
	}
	r.kept, r.credited = keptAll, credAll
	// A part of a ledger forecast in parts rates its customers against
	// the whole portfolio's record.
	pf := h.portfolioAt(t, custs)
	if pf != nil {
		keptAll, credAll = pf.kept, pf.credited
	}
	// Without any record, a promise counts as likely kept as not, and a
	// dispute as likely credited as not.
	r.PromiseKept, r.DisputeCredited = 0.5, 0.5
	if keptAll.n > 0 {
		r.PromiseKept = keptAll.yes / keptAll.n
	}
	if credAll.n > 0 {
		r.DisputeCredited = credAll.yes / credAll.n
	}
	var delaySum, delayN float64
	for _, ci := range h.customers(custs) {
		c := &h.cust[ci]
		if kept[ci].n > 0 {
			r.keptByCust[c.ID] = (kept[ci].yes + shrink*r.PromiseKept) / (kept[ci].n + shrink)
		}
		if cred[ci].n > 0 {
			r.creditByCust[c.ID] = (cred[ci].yes + shrink*r.DisputeCredited) / (cred[ci].n + shrink)
		}
		var s, n float64
		for _, i := range c.inv {
			v := &h.inv[i]
			if v.IssueDate > t {
				break
			}
			if v.SettledDate != 0 && v.SettledDate <= t && v.SettledDate > t-365 && !v.writeOff {
				s += float64(v.SettledDate - v.DueDate)
				n++
			}
		}
		if n > 0 {
			r.MeanDelay[c.ID] = s / n
			delaySum += s
			delayN += n
		}
	}
	r.delaySum, r.delayN = delaySum, delayN
	if pf != nil {
		delaySum, delayN = pf.delaySum, pf.delayN
	}
	if delayN > 0 {
		r.PortfolioDelay = delaySum / delayN
	}
	return r
}

// Kept is customer id's promise-kept rate.
func (r *Rates) Kept(id string) float64 {
	if v, ok := r.keptByCust[id]; ok {
		return v
	}
	return r.PromiseKept
}

// Credited is customer id's dispute-credit rate.
func (r *Rates) Credited(id string) float64 {
	if v, ok := r.creditByCust[id]; ok {
		return v
	}
	return r.DisputeCredited
}

// Delay is customer id's mean days late, or the portfolio's.
func (r *Rates) Delay(id string) float64 {
	if v, ok := r.MeanDelay[id]; ok {
		return v
	}
	return r.PortfolioDelay
}

// Book returns the invoices open at the end of day t (issued by t, not
// settled by t, something still owed), by customer, issue date and id,
// with their disputes and promises as known at t.
func (h *History) Book(t datasets.Date, r *Rates) []Item { return h.book(t, r, nil) }

// book is Book for the customers at positions custs (nil: all).
func (h *History) book(t datasets.Date, r *Rates, custs []int) []Item {
	cs := h.customers(custs)
	// Sized first by the invoices issued and not settled by t: a book of a
	// million items grown by appending cost a third of a second of the
	// 1M-invoice forecast in copies.
	n := 0
	for _, ci := range cs {
		for _, i := range h.cust[ci].inv {
			v := &h.inv[i]
			if v.IssueDate > t {
				break
			}
			if v.SettledDate == 0 || v.SettledDate > t {
				n++
			}
		}
	}
	var out []Item // nil when none is open, as before
	if n > 0 {
		out = make([]Item, 0, n)
	}
	for _, ci := range cs {
		for _, i := range h.cust[ci].inv {
			if it, ok := h.openItem(i, t, r); ok {
				out = append(out, it)
			}
		}
	}
	return out
}

// customers returns custs, or every customer position when nil.
func (h *History) customers(custs []int) []int {
	if custs != nil {
		return custs
	}
	all := make([]int, len(h.cust))
	for i := range all {
		all[i] = i
	}
	return all
}

// openItem describes invoice i as open at the end of day t; ok is false
// when it was not open then.
func (h *History) openItem(i int, t datasets.Date, r *Rates) (Item, bool) {
	v := &h.inv[i]
	if v.IssueDate > t {
		return Item{}, false
	}
	left := v.outstanding(t)
	if left <= 0 {
		return Item{}, false
	}
	it := Item{CustomerID: v.CustomerID, InvoiceID: v.ID, IssueDate: v.IssueDate, DueDate: v.DueDate, Outstanding: left,
		Currency: v.label.currency, Segment: v.label.segment, Country: v.label.country, pos: i, cust: int32(v.cust)}
	if it.Disputed = h.disputedAt(v, t, left); it.Disputed > 0 {
		it.CreditRate = r.Credited(v.CustomerID)
	}
	var made datasets.Date
	for _, p := range v.promises {
		// The latest promise made by t for a later day is the one in
		// force; its final status is not known at t.
		if p.Made <= t && p.PromisedDate > t && (it.PromiseDate == 0 || p.Made >= made) {
			made = p.Made
			it.PromiseDate, it.PromiseAmount = p.PromisedDate, min(p.Amount, left)
			if it.PromiseAmount <= 0 {
				it.PromiseAmount = left
			}
			it.KeptRate = r.Kept(v.CustomerID)
		}
	}
	return it, true
}
