package forecast

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
)

// A forecast over a ledger larger than memory (FromParts) reads the ledger
// in parts of whole customers twice. Most of a forecast is a customer's own
// business (its open invoices, its timing record and rates, its run-rate),
// but four things are the whole portfolio's: the shrinkage targets of the
// promise-kept and dispute-credit rates and the mean delay, the timing
// curve every customer's is mixed with, the seasonal factor of new
// business, and the dates the ledger spans. The first pass gathers those
// (portfolio); the second forecasts each part's open book and new business
// against them and keeps the records of the customers the shock replays
// sample. What is held at once is one part, the open book's items, the new
// business per customer, the portfolio's timing observations of one year
// (8 bytes an invoice) and the replay sample (at most replayCustomers
// customers, all of them on a ledger that has no more).

// portfolio is what a forecast as of asOf over weeks takes from the whole
// ledger (see above).
type portfolio struct {
	asOf             datasets.Date
	weeks            int
	first, last      datasets.Date
	customers        int
	disputesKnown    bool
	kept, credited   tally
	delaySum, delayN float64
	lyH, lyBase      float64
	obs              []obs
	// curve is the timing curve of obs, laid out in pCash and pDone as
	// Timing lays out the portfolio's.
	curve        delayCurve
	pCash, pDone []float64
}

// add adds the part of the ledger h holds. Every sum is of whole cents,
// whole days or counts, exact in any order, so the parts add up to what
// the whole ledger gives.
func (pf *portfolio) add(h *History) {
	if h.first != 0 && (pf.first == 0 || h.first < pf.first) {
		pf.first = h.first
	}
	pf.last = max(pf.last, h.last)
	pf.customers += len(h.cust)
	pf.disputesKnown = pf.disputesKnown || h.disputesKnown
	r := h.measure(pf.asOf, nil)
	pf.kept.add(r.kept)
	pf.credited.add(r.credited)
	pf.delaySum += r.delaySum
	pf.delayN += r.delayN
	pf.obs = append(pf.obs, h.timingObs(pf.asOf, nil, nil)...)
	_, lyH, lyBase := h.runRateSums(pf.asOf, pf.weeks, nil)
	pf.lyH += lyH
	pf.lyBase += lyBase
}

// finish estimates the portfolio's timing curve once every part is added:
// the observations are sorted before use, so their order does not matter.
func (pf *portfolio) finish() {
	pf.curve = *newDelayCurve(pf.obs)
	var raw []float64
	pf.curve.denseInto(portfolioLo, portfolioHi, &pf.pCash, &pf.pDone, &raw)
	pf.obs = nil
}

// attach makes h, a part of the ledger, answer the portfolio's questions
// as of pf.asOf with the whole ledger's answers.
func (h *History) attach(pf *portfolio) {
	h.pf = pf
	h.first, h.last, h.disputesKnown = pf.first, pf.last, pf.disputesKnown
	h.population = pf.customers
}

// PartsInfo is what FromParts learnt of the ledger besides the forecast.
type PartsInfo struct {
	// Mixed lists the currencies added unconverted (several, no fx).
	Mixed []string
	// LastDay is the latest day the ledger records (datasets.Ledger.LastDay).
	LastDay datasets.Date
}

// FromParts is FromLedger over a ledger read in parts of whole customers
// (features.Parts), read twice (see the comment above portfolio): the same
// forecast, value for value, holding one part at a time.
func FromParts(ctx context.Context, parts features.Parts, b *model.Bundle, fx *datasets.FX, o Options) (*Result, PartsInfo, error) {
	var info PartsInfo
	o, err := o.Validate()
	if err != nil {
		return nil, info, err
	}
	t := o.AsOf
	pf := &portfolio{asOf: t, weeks: o.Weeks}
	mixed := map[string]bool{}
	err = parts(func(l *datasets.Ledger, _ features.LedgerFacts) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, m, err := ReportingHistory(l, fx)
		if err != nil {
			return err
		}
		for _, c := range m {
			mixed[c] = true
		}
		info.LastDay = max(info.LastDay, l.LastDay())
		pf.add(h)
		return nil
	})
	if err != nil {
		return nil, info, err
	}
	if err := checkAsOf(pf.first, t); err != nil {
		return nil, info, err
	}
	pf.finish()
	switch {
	case fx != nil:
		o.Currency = fx.To
	case len(mixed) == 1:
		for c := range mixed {
			o.Currency = c
		}
	case len(mixed) > 1:
		info.Mixed = make([]string, 0, len(mixed))
		for c := range mixed {
			info.Mixed = append(info.Mixed, c)
		}
		slices.Sort(info.Mixed)
	}
	sfx, err := b.ScoringFX(nil)
	if err != nil {
		return nil, info, err
	}
	share := float64(o.replaySample) / float64(pf.customers)
	var (
		books    []*Inputs
		news     []*NewBusiness
		sample   datasets.Ledger
		sampleCu = map[string]string{}
	)
	err = parts(func(l *datasets.Ledger, whole features.LedgerFacts) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		rep, _, err := l.InCurrency(fx)
		if err != nil {
			return err
		}
		cur := InvoiceCurrencies(l)
		h := NewHistory(rep, cur)
		h.attach(pf)
		ml := l
		if sfx != nil {
			if ml, err = l.Convert(*sfx); err != nil {
				return fmt.Errorf("the model learned in %s: %w", sfx.To, err)
			}
		}
		preds, err := Predict(features.NewPartIndex(ml, whole), b, t)
		if err != nil {
			return err
		}
		in, err := h.prepare(t, o.Weeks, preds)
		if err != nil {
			return err
		}
		books = append(books, in)
		news = append(news, h.newBusiness(t, o.Weeks, in.timing))
		addSample(&sample, sampleCu, rep, cur, func(id string) bool { return share >= 1 || inSample(id, share) })
		return nil
	})
	if err != nil {
		return nil, info, err
	}
	in := mergeInputs(t, o.Weeks, books)
	if len(in.Book) == 0 {
		return nil, info, fmt.Errorf("%w at the end of %s", ErrEmptyBook, t)
	}
	var s Shocks
	if o.Shocks != nil {
		s = *o.Shocks
	} else {
		sh := NewHistory(&sample, sampleCu)
		sh.first, sh.last, sh.disputesKnown, sh.population = pf.first, pf.last, pf.disputesKnown, pf.customers
		s = sh.estimateShocks(t, o.Weeks, o.replaySample)
	}
	res, err := in.simulate(ctx, mergeNewBusiness(news, o.Weeks), s, o)
	return res, info, err
}

// addSample adds to sample the records of l's customers that keep
// selects, as NewHistory links them: invoices by customer, payments and
// credit notes by invoice, disputes and promises by invoice or customer.
// cur gives the invoices' original currencies (InvoiceCurrencies).
func addSample(sample *datasets.Ledger, sampleCu map[string]string, l *datasets.Ledger, cur map[string]string, keep func(id string) bool) {
	inv := map[string]bool{}
	for _, c := range l.Customers {
		if keep(c.ID) {
			sample.Customers = append(sample.Customers, c)
		}
	}
	for _, v := range l.Invoices {
		if keep(v.CustomerID) {
			sample.Invoices = append(sample.Invoices, v)
			inv[v.ID] = true
			if c, ok := cur[v.ID]; ok {
				sampleCu[v.ID] = c
			}
		}
	}
	for _, p := range l.Payments {
		if inv[p.InvoiceID] {
			sample.Payments = append(sample.Payments, p)
		}
	}
	for _, n := range l.CreditNotes {
		if inv[n.InvoiceID] {
			sample.CreditNotes = append(sample.CreditNotes, n)
		}
	}
	for _, d := range l.Disputes {
		if inv[d.InvoiceID] || keep(d.CustomerID) {
			sample.Disputes = append(sample.Disputes, d)
		}
	}
	for _, p := range l.Promises {
		if inv[p.InvoiceID] || keep(p.CustomerID) {
			sample.Promises = append(sample.Promises, p)
		}
	}
}

// mergeInputs puts the parts' open books together in the whole ledger's
// order (customer, issue date, id: each part's is in it already, and no
// customer spans two parts), renumbering the customers in that order.
func mergeInputs(t datasets.Date, weeks int, books []*Inputs) *Inputs {
	type ref struct{ part, i int }
	var order []ref
	out := &Inputs{AsOf: t, Weeks: weeks}
	for p, in := range books {
		for i := range in.Book {
			order = append(order, ref{p, i})
		}
		out.Unscored += in.Unscored
		out.PastModel += in.PastModel
	}
	slices.SortStableFunc(order, func(a, b ref) int {
		return cmp.Compare(books[a.part].Book[a.i].CustomerID, books[b.part].Book[b.i].CustomerID)
	})
	out.Book = make([]Item, len(order))
	out.Q = make([]float64, 0, len(order)*weeks)
	out.Mean = make([]float64, 0, len(order)*weeks)
	cust := int32(-1)
	for n, r := range order {
		in := books[r.part]
		it := in.Book[r.i]
		if n == 0 || out.Book[n-1].CustomerID != it.CustomerID {
			cust++
		}
		// pos points into a part's history, gone now: nothing after
		// Prepare reads it but the replays, which have their own.
		it.cust, it.pos = cust, -1
		out.Book[n] = it
		out.Q = append(out.Q, in.Q[r.i*weeks:(r.i+1)*weeks]...)
		out.Mean = append(out.Mean, in.Mean[r.i*weeks:(r.i+1)*weeks]...)
	}
	return out
}

// mergeNewBusiness puts the parts' new business together, summed in
// customer order as the whole ledger's is.
func mergeNewBusiness(parts []*NewBusiness, weeks int) *NewBusiness {
	nb := &NewBusiness{perCust: map[string]newPart{}, labels: map[string]Item{}, perDay: map[string]float64{}}
	for _, p := range parts {
		// Every part's seasonal factor is the portfolio's.
		nb.Seasonal = p.Seasonal
		for id, v := range p.perCust {
			nb.perCust[id], nb.labels[id], nb.perDay[id] = v, p.labels[id], p.perDay[id]
		}
	}
	var invoicing float64
	for _, id := range slices.Sorted(maps.Keys(nb.perCust)) {
		nb.total.add(nb.perCust[id])
		invoicing += nb.perDay[id] * float64(7*weeks)
	}
	if nb.total.mean == nil {
		nb.total = newPart{mean: make([]float64, weeks), vari: make([]float64, weeks)}
	}
	nb.Customers = len(nb.perCust)
	nb.Invoicing = cents(invoicing)
	return nb
}
