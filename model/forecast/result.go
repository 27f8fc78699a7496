package forecast

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
)

// Running the simulation and turning its paths into the Result: weeks,
// the horizon, the book's totals and the breakdowns.

// simulate runs the paths over the inputs' weeks (the computed horizon,
// computedWeeks) and assembles the result over the first o.Weeks of them:
// the weeks, the totals (percentiles of each path's sum over the weeks
// reported), the due schedule, the book's amount beyond them and the new
// business's invoicing over them. The new business's seasonal factor and
// the shock scales stay those of the computed horizon.
func (in *Inputs) simulate(ctx context.Context, nb *NewBusiness, s Shocks, o Options) (*Result, error) {
	W := in.Weeks
	R := min(o.Weeks, W)
	res := &Result{AsOf: in.AsOf, Currency: o.Currency, Shocks: s, Paths: o.Paths, Seed: o.Seed, By: o.By, Silence: in.quiet}
	if err := in.summarise(&res.Book, R); err != nil {
		return nil, err
	}
	if nb != nil {
		res.NewBusiness = *nb
		res.NewBusiness.setInvoicing(R)
	}
	cust := func(i int) int32 { return in.Book[i].cust }
	draws := newDraws(o.Seed, o.Paths, W)
	scale := boundaryScales(s, boundaryCalendar(in.AsOf, W))
	vol := newVolume(o.Seed, o.Paths, W, s.NewVolume, s.NewWeek)
	open := make([]float64, o.Paths*W)
	newEngine(in.simItems(nil, cust), W, s, scale).run(o.Seed, 1, draws, open)
	meanOpen := make([]float64, W)
	for i := range in.Book {
		for k := range W {
			meanOpen[k] += in.Mean[i*W+k]
		}
	}
	var nw *newPart
	if nb != nil {
		nw = &nb.total
	}
	newPaths := make([]float64, o.Paths*W)
	simulateNew(o.Seed, 1, vol, nw, W, newPaths)
	res.Weeks, res.Total = assemble(in.AsOf, W, R, open, meanOpen, nw, newPaths)
	res.TotalWeeks = R
	res.DueSchedule = in.dueSchedule(R)
	if o.By != "" {
		groups, err := in.breakdown(ctx, o, R, s, scale, draws, vol, nb, cust)
		if err != nil {
			return nil, err
		}
		res.Groups = groups
	}
	return res, nil
}

// volume holds the new business's draws of each path shared by every
// customer: a volume factor and a factor per week, lognormal with mean 1.
type volume struct {
	factor []float64
	week   []float64 // paths × weeks
}

func newVolume(seed uint64, paths, weeks int, sigma, weekSigma float64) volume {
	r := newRand(seed, 0xb12)
	v := volume{factor: make([]float64, paths), week: make([]float64, paths*weeks)}
	for p := range v.factor {
		v.factor[p] = math.Exp(sigma*r.NormFloat64() - sigma*sigma/2)
		for k := range weeks {
			v.week[p*weeks+k] = math.Exp(weekSigma*r.NormFloat64() - weekSigma*weekSigma/2)
			// The standard normal the new business once drew here: kept,
			// so that the factors stay the draws they were.
			r.NormFloat64()
		}
	}
	return v
}

// assemble turns simulated open-book paths and new business (nw nil:
// none; newPaths its simulated paths, simulateNew's layout), both of W
// weeks a path, into the first R weeks and their total: its percentiles
// are those of each path's sum over those R weeks.
func assemble(t datasets.Date, W, R int, open, meanOpen []float64, nw *newPart, newPaths []float64) ([]Week, Horizon) {
	P := len(open) / W
	weeks := make([]Week, R)
	colO, colN, colT := make([]float64, P), make([]float64, P), make([]float64, P)
	totO, totN, totT := make([]float64, P), make([]float64, P), make([]float64, P)
	var sumO, sumN float64
	for k := range R {
		mn := 0.0
		if nw != nil {
			mn = nw.mean[k]
		}
		for p := range P {
			o, n := open[p*W+k], newPaths[p*W+k]
			colO[p], colN[p], colT[p] = o, n, o+n
			totO[p] += o
			totN[p] += n
			totT[p] += o + n
		}
		sumO += meanOpen[k]
		sumN += mn
		weeks[k] = Week{Start: t.AddDays(7*k + 1), End: t.AddDays(7*k + 7),
			Open: band(meanOpen[k], colO), New: band(mn, colN), Total: band(meanOpen[k]+mn, colT)}
	}
	return weeks, Horizon{Open: band(sumO, totO), New: band(sumN, totN), Total: band(sumO+sumN, totT)}
}

// band rounds an expected value and the percentiles of paths (reordered)
// to cents.
func band(mean float64, paths []float64) Band {
	slices.Sort(paths)
	return Band{Mean: cents(mean), P10: cents(quantile(paths, 0.1)), P50: cents(quantile(paths, 0.5)), P90: cents(quantile(paths, 0.9))}
}

// quantile is the q-quantile of sorted xs, interpolating between order
// statistics (type 7, as R and NumPy default).
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	h := q * float64(len(xs)-1)
	i := int(h)
	if i >= len(xs)-1 {
		return xs[len(xs)-1]
	}
	return xs[i] + (h-float64(i))*(xs[i+1]-xs[i])
}

// cents rounds a simulated amount to Money, half away from zero.
func cents(x float64) Money {
	return Money(roundHalfAway(x))
}

// summarise totals the open book exactly; what it is expected to bring
// after the first R weeks (the weeks reported) is beyond the horizon.
func (in *Inputs) summarise(b *BookSummary, R int) error {
	var out, over, disp, credit, prom, beyond int64
	ok := true
	add := func(s *int64, m datasets.Money) {
		v, o := addChecked(*s, int64(m))
		*s, ok = v, ok && o
	}
	W := in.Weeks
	for i := range in.Book {
		it := &in.Book[i]
		add(&out, it.Outstanding)
		if it.DueDate < in.AsOf {
			add(&over, it.Outstanding)
		}
		add(&disp, it.Disputed)
		add(&credit, it.Outstanding-it.Expected())
		if it.PromiseDate != 0 {
			add(&prom, it.PromiseAmount)
		}
		got := 0.0
		for _, v := range in.Mean[i*W : i*W+R] {
			got += v
		}
		add(&beyond, datasets.Money(roundHalfAway(float64(it.Expected())-got)))
	}
	if !ok {
		return fmt.Errorf("%w: the open book of %d invoices", ErrOverflow, len(in.Book))
	}
	*b = BookSummary{Invoices: len(in.Book), Customers: in.customers(), Outstanding: Money(out), Overdue: Money(over), Disputed: Money(disp),
		ExpectedCredit: Money(credit), Promised: Money(prom), Beyond: Money(beyond), Unscored: in.Unscored, PastModel: in.PastModel}
	b.RunPayers = in.RunPayers
	n, held := in.silentSummary(R)
	b.Silent, b.SilentHeld, b.SilentByRecord = n, Money(roundHalfAway(held)), in.SilentByRecord
	for _, g := range in.runs {
		b.RunInvoices += len(g.members)
	}
	return nil
}

// customers is the number of distinct customers of the book: counted at
// each change of customer when the book is listed by customer, as Book
// lists it (a map of a million look-ups cost 0.05 s), else in a map.
func (in *Inputs) customers() int {
	n := 0
	for i := range in.Book {
		if i == 0 || in.Book[i].CustomerID != in.Book[i-1].CustomerID {
			if i > 0 && in.Book[i].CustomerID < in.Book[i-1].CustomerID {
				seen := map[string]bool{}
				for j := range in.Book {
					seen[in.Book[j].CustomerID] = true
				}
				return len(seen)
			}
			n++
		}
	}
	return n
}

// addChecked adds without wrapping around; ok is false on overflow.
func addChecked(a, b int64) (int64, bool) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, false
	}
	return s, true
}

// dueSchedule is the due-date baseline over the first R weeks.
func (in *Inputs) dueSchedule(R int) []Scheduled {
	return in.scheduled(DueDateSchedule(in.AsOf, in.Book, R))
}

// groupDueSchedule is the due-date baseline of the items pick selects
// (none: a group with only new business) over the first R weeks: summed
// over a breakdown's groups, the portfolio's.
func (in *Inputs) groupDueSchedule(pick []int, R int) []Scheduled {
	sch := make(Schedule, R)
	for _, i := range pick {
		sch.addDue(in.AsOf, &in.Book[i])
	}
	return in.scheduled(sch)
}

// scheduled dates a schedule's weeks.
func (in *Inputs) scheduled(sch Schedule) []Scheduled {
	out := make([]Scheduled, len(sch))
	for k, m := range sch {
		out[k] = Scheduled{Start: in.AsOf.AddDays(7*k + 1), End: in.AsOf.AddDays(7*k + 7), Amount: Money(m)}
	}
	return out
}

// groupKey is the breakdown key of item i.
func (it *Item) groupKey(by string) string {
	switch by {
	case ByCurrency:
		return it.Currency
	case BySegment:
		return it.Segment
	case ByCountry:
		return it.Country
	}
	return it.CustomerID
}

// breakdown simulates each group on its own, with the portfolio and
// boundary factors of the whole (so that bad paths are bad for every
// group), and for customers lists the invoices behind each week; over
// the inputs' weeks, reported over the first R.
func (in *Inputs) breakdown(ctx context.Context, o Options, R int, s Shocks, scale []float64, draws []pathDraws, vol volume, nb *NewBusiness, cust func(int) int32) ([]Group, error) {
	W := in.Weeks
	members := map[string][]int{}
	for i := range in.Book {
		k := in.Book[i].groupKey(o.By)
		members[k] = append(members[k], i)
	}
	var newBy map[string]*newPart
	if nb != nil {
		newBy = nb.by(o.By)
		for k := range newBy {
			if _, ok := members[k]; !ok {
				members[k] = nil
			}
		}
	}
	keys := make([]string, 0, len(members))
	for k := range members {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]Group, 0, len(keys))
	paths := make([]float64, len(draws)*W)
	newPaths := make([]float64, len(draws)*W)
	for gi, key := range keys {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		pick := members[key]
		clear(paths)
		mean := make([]float64, W)
		if len(pick) > 0 {
			newEngine(in.simItems(pick, cust), W, s, scale).run(o.Seed, uint64(gi)+2, draws, paths)
			for _, i := range pick {
				for k := range W {
					mean[k] += in.Mean[i*W+k]
				}
			}
		}
		g := Group{Key: key, DueSchedule: in.groupDueSchedule(pick, R)}
		simulateNew(o.Seed, uint64(gi)+2, vol, newBy[key], W, newPaths)
		g.Weeks, g.Total = assemble(in.AsOf, W, R, paths, mean, newBy[key], newPaths)
		if o.By == ByCustomer {
			g.Name = in.names[key]
			in.listInvoices(pick, g.Weeks)
		}
		out = append(out, g)
	}
	return out, nil
}

// listInvoices attaches to each week the invoices expected to bring at
// least 1% of their expected amount (or a cent) in it, largest first.
func (in *Inputs) listInvoices(pick []int, weeks []Week) {
	W := in.Weeks
	for _, i := range pick {
		it := &in.Book[i]
		e := float64(it.Expected())
		for k := range weeks {
			m := in.Mean[i*W+k]
			if m >= 1 && m >= 0.01*e {
				weeks[k].Invoices = append(weeks[k].Invoices, InvoiceShare{InvoiceID: it.InvoiceID, DueDate: it.DueDate,
					Outstanding: Money(it.Outstanding), Expected: cents(m)})
			}
		}
	}
	for k := range weeks {
		slices.SortStableFunc(weeks[k].Invoices, func(a, b InvoiceShare) int {
			return cmp.Or(cmp.Compare(b.Expected, a.Expected), cmp.Compare(a.InvoiceID, b.InvoiceID))
		})
	}
}
