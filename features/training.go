package features

import (
	"fmt"
	"hash/fnv"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/dsopilot/dsopilot/datasets"
)

// TrainingOptions choose which invoices become examples and how they are
// labelled.
type TrainingOptions struct {
	// From and To bound the issue dates of the invoices described (inclusive).
	From, To datasets.Date
	// Cutoff is the last day whose events are known: labels use nothing after
	// it. Zero means To.
	Cutoff datasets.Date
	// GraceDays: paid late means settled after due_date + GraceDays.
	GraceDays int
	// DaysBeforeDue adds, for each value n, a snapshot n days before the due
	// date (when that is after the issue date and not after Cutoff), besides
	// the snapshot at the issue date.
	DaysBeforeDue []int
	// Sample, when in (0,1), keeps about that share of the invoices, chosen
	// by a hash of the invoice id and SampleSeed: the same invoices whatever
	// the order of the ledger, and always all snapshots of a kept invoice.
	Sample     float64
	SampleSeed uint64
}

// sampled reports whether invoice id is in a Sample share.
func sampled(id string, share float64, seed uint64) bool {
	if !(share > 0 && share < 1) { // includes NaN: no sampling
		return true
	}
	h := fnv.New64a()
	var b [8]byte
	for i := range b {
		b[i] = byte(seed >> (8 * i))
	}
	h.Write(b[:])
	h.Write([]byte(id))
	// FNV's high bits barely change between ids that differ in their last
	// characters; a splitmix64 finaliser spreads every bit before the top
	// 53 become a uniform number in [0,1).
	z := h.Sum64()
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11)/(1<<53) < share
}

// Example is one labelled row: an invoice described as of Row.AsOf.
//
// Labels are what was known at the cut-off. An invoice settled by then has
// every label. One still open past its due date plus grace is known to be
// late (LateKnown), but its days late and days to pay are only lower bounds
// (Censored). One still open and not yet due plus grace has no late label
// either (LateKnown false): it is censored, not guessed.
type Example struct {
	Row
	IssueDate, DueDate datasets.Date
	Amount             datasets.Money
	LateKnown          bool
	Late               bool
	Censored           bool
	// DaysLate is max(0, settled − due); when censored, max(0, cutoff − due).
	DaysLate int
	// DaysToPay is settled − issue; when censored, cutoff − issue (a lower bound).
	DaysToPay int
	// WrittenOff: settled by the cut-off mostly by write-off (write-off
	// notes, recorded or implied, dated by the settlement cover at least
	// half its amount), so its settlement is no payment; DaysOverdue is
	// then max(0, cutoff − due), how long it has stayed unpaid. The
	// labels above still read the settlement (the late-payment models
	// learn that such an invoice was not paid on time).
	WrittenOff  bool
	DaysOverdue int
}

// TrainingSet builds labelled examples. It describes each snapshot with the
// invoice feature specs (InvoiceSpecs) as of the snapshot date.
func (e *Engine) TrainingSet(o TrainingOptions) ([]Spec, []Example, error) {
	if o.To < o.From {
		return nil, nil, fmt.Errorf("training set: to %s is before from %s", o.To, o.From)
	}
	if o.Cutoff == 0 {
		o.Cutoff = o.To
	}
	if o.Cutoff < o.To {
		return nil, nil, fmt.Errorf("training set: cut-off %s is before the last issue date %s", o.Cutoff, o.To)
	}
	specs := InvoiceSpecs(e.opts)
	// Customers are independent: describe them in parallel, then join their
	// examples in customer order so the set does not depend on scheduling.
	per := make([][]Example, len(e.ix.customers))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(1, len(per))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= len(per) {
					return
				}
				per[k] = e.customerExamples(e.ix.customers[k], specs, o)
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, xs := range per {
		total += len(xs)
	}
	out := make([]Example, 0, total)
	for _, xs := range per {
		out = append(out, xs...)
	}
	return specs, out, nil
}

// customerExamples describes one customer's invoices issued in [From, To].
func (e *Engine) customerExamples(c *customerIndex, specs []Spec, o TrainingOptions) []Example {
	var out []Example
	cache := map[datasets.Date]*custStats{}
	for i := range c.invoices {
		v := &c.invoices[i]
		if v.IssueDate < o.From {
			continue
		}
		if v.IssueDate > o.To {
			break
		}
		if !sampled(v.ID, o.Sample, o.SampleSeed) {
			continue
		}
		ex := label(v, o)
		if !ex.Censored && v.MostlyWrittenOff(c.invCredits[i]) {
			ex.WrittenOff, ex.DaysOverdue = true, max(0, int(o.Cutoff-v.DueDate))
		}
		snaps := []datasets.Date{v.IssueDate}
		for _, n := range o.DaysBeforeDue {
			if d := v.DueDate.AddDays(-n); d > v.IssueDate && d <= o.Cutoff {
				snaps = append(snaps, d)
			}
		}
		for _, t := range snaps {
			// A snapshot of an invoice already settled then teaches nothing.
			if t > v.IssueDate && v.SettledDate != 0 && v.SettledDate <= t {
				continue
			}
			x := ex
			x.Row = e.invoiceAt(c, i, t, specs, cache)
			out = append(out, x)
		}
	}
	return out
}

func label(v *datasets.Invoice, o TrainingOptions) Example {
	x := Example{IssueDate: v.IssueDate, DueDate: v.DueDate, Amount: v.Amount}
	lateAfter := v.DueDate.AddDays(o.GraceDays)
	if v.SettledDate != 0 && v.SettledDate <= o.Cutoff {
		x.LateKnown = true
		x.Late = v.SettledDate > lateAfter
		x.DaysLate = max(0, int(v.SettledDate-v.DueDate))
		x.DaysToPay = int(v.SettledDate - v.IssueDate)
		return x
	}
	x.Censored = true
	x.DaysLate = max(0, int(o.Cutoff-v.DueDate))
	x.DaysToPay = int(o.Cutoff - v.IssueDate)
	if o.Cutoff > lateAfter {
		x.LateKnown, x.Late = true, true
	}
	return x
}
