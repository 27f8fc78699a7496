package forecast

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

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
// customers, all of them on a ledger that has no more). A ledger that
// comes as one part (the embedded store's) is read and arranged once, and
// replayed from its own history, as FromLedger does.

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
	season           seasonSums
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
	widen(&pf.first, &pf.last, h)
	pf.customers += len(h.cust)
	pf.disputesKnown = pf.disputesKnown || h.disputesKnown
	r := h.measure(pf.asOf, nil)
	pf.kept.add(r.kept)
	pf.credited.add(r.credited)
	pf.delaySum += r.delaySum
	pf.delayN += r.delayN
	pf.obs = append(pf.obs, h.timingObs(pf.asOf, nil, nil)...)
	_, ss := h.runRateSums(pf.asOf, pf.weeks, nil)
	pf.season.add(ss)
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

// strays are the records of a ledger read in parts that point at an
// invoice of another part: a payment, dispute or promise naming one
// customer on another customer's invoice (an invoice moved between
// accounts, a parent paying for a subsidiary). A part holds the records
// naming its customers, and NewHistory links a record to its invoice
// whatever customer it names, so the part holding the invoice is given
// them too; the part of the customer they name keeps them for that
// customer's own record.
type strays struct {
	payments map[string][]datasets.Payment // by invoice id
	disputes map[string][]datasets.Dispute
	promises map[string][]datasets.Promise
}

func newStrays() *strays {
	return &strays{payments: map[string][]datasets.Payment{}, disputes: map[string][]datasets.Dispute{}, promises: map[string][]datasets.Promise{}}
}

// collect adds l's records that point at an invoice l does not hold.
func (s *strays) collect(l *datasets.Ledger) {
	own := make(map[string]bool, len(l.Invoices))
	for i := range l.Invoices {
		own[l.Invoices[i].ID] = true
	}
	away := func(id string) bool { return id != "" && !own[id] }
	for _, p := range l.Payments {
		if away(p.InvoiceID) {
			s.payments[p.InvoiceID] = append(s.payments[p.InvoiceID], p)
		}
	}
	for _, d := range l.Disputes {
		if away(d.InvoiceID) {
			s.disputes[d.InvoiceID] = append(s.disputes[d.InvoiceID], d)
		}
	}
	for _, p := range l.Promises {
		if away(p.InvoiceID) {
			s.promises[p.InvoiceID] = append(s.promises[p.InvoiceID], p)
		}
	}
}

// into returns l with the strays on its invoices added (l itself when
// there are none), for NewHistory; the feature engine keys records by the
// customer they name and takes l as it is.
func (s *strays) into(l *datasets.Ledger) *datasets.Ledger {
	if len(s.payments)+len(s.disputes)+len(s.promises) == 0 {
		return l
	}
	var pays []datasets.Payment
	var disputes []datasets.Dispute
	var promises []datasets.Promise
	for i := range l.Invoices {
		id := l.Invoices[i].ID
		pays = append(pays, s.payments[id]...)
		disputes = append(disputes, s.disputes[id]...)
		promises = append(promises, s.promises[id]...)
	}
	if len(pays)+len(disputes)+len(promises) == 0 {
		return l
	}
	out := *l
	out.Payments = append(slices.Clip(l.Payments), pays...)
	out.Disputes = append(slices.Clip(l.Disputes), disputes...)
	out.Promises = append(slices.Clip(l.Promises), promises...)
	return &out
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
	// Computed over the full horizon, reported over o.Weeks (computedWeeks).
	H := computedWeeks(o.Weeks)
	pf := &portfolio{asOf: t, weeks: H}
	away := newStrays()
	type onePart struct {
		l     *datasets.Ledger
		whole features.LedgerFacts
		h     *History
	}
	var (
		nParts int
		only   onePart
		// unconv is what was left out for want of a rate, bookOpen the
		// open invoices kept.
		unconv   *Unconverted
		bookOpen int
		// Every part's amounts without a rate are counted before the
		// forecast fails; without conversion it gathers the currencies.
		repConv = datasets.NewPartConverter(fx)
	)
	err = parts(func(l *datasets.Ledger, whole features.LedgerFacts) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		// What has no rate is left out, part by part (whole customers:
		// each part's is its own), and counted over every part.
		info.LastDay = max(info.LastDay, l.LastDay())
		l, u := leaveOutUnconverted(l, fx, t)
		unconv = unconv.add(u)
		rep, ok, err := repConv.Convert(l)
		if err != nil || !ok {
			return err // !ok: missing rates, counted over every part below
		}
		h := NewHistory(rep, InvoiceCurrencies(l))
		bookOpen += h.openInvoices(t)
		pf.add(h)
		away.collect(l)
		// A ledger read as one part (the embedded store's) is kept with
		// its history for the second pass, which then neither reads nor
		// arranges it again, and replays from it as FromLedger does.
		if nParts++; nParts == 1 {
			only = onePart{l, whole, h}
		} else {
			only = onePart{}
		}
		return nil
	})
	if err == nil {
		err = repConv.Err()
	}
	if err == nil {
		err = unconv.check(bookOpen)
	}
	if err != nil {
		return nil, info, err
	}
	if err := checkAsOf(pf.first, t); err != nil {
		return nil, info, err
	}
	pf.finish()
	switch mixed := repConv.Mixed(); {
	case fx != nil:
		o.Currency = fx.To
	case len(mixed) == 1:
		o.Currency = mixed[0]
	case len(mixed) > 1:
		info.Mixed = mixed
	}
	sfx, err := b.ScoringFX(nil)
	if err != nil {
		return nil, info, err
	}
	var modelConv *datasets.PartConverter
	if sfx != nil {
		modelConv = datasets.NewPartConverter(sfx)
	}
	share := float64(o.replaySample) / float64(pf.customers)
	var (
		books  []*Inputs
		news   []*NewBusiness
		sample = newReplaySample(func(id string) bool { return share >= 1 || inSample(id, share) })
	)
	// forecastPart forecasts the book and new business of part l, whose
	// history h answers the portfolio's questions with pf's answers.
	forecastPart := func(l *datasets.Ledger, whole features.LedgerFacts, h *History) error {
		h.attach(pf)
		ml := l
		if modelConv != nil {
			c, ok, err := modelConv.Convert(l)
			if err != nil {
				return fmt.Errorf("the model learned in %s: %w", sfx.To, err)
			}
			if !ok {
				return nil // missing rates, counted over every part below
			}
			ml = c
		}
		preds, err := Predict(features.NewPartIndex(ml, whole), b, t)
		if err != nil {
			return err
		}
		in, err := h.prepare(t, H, preds, o.actuals != nil)
		if err != nil {
			return err
		}
		if o.actuals != nil {
			o.actuals.add(h, t, in)
			in.timingMean = nil
		}
		news = append(news, h.newBusiness(t, H, in.timing))
		// The timing record points at the part's whole history: drop it,
		// so that only the book's items and curves outlive the part.
		in.timing = nil
		books = append(books, in)
		return nil
	}
	if only.h != nil {
		err = forecastPart(only.l, only.whole, only.h)
	} else {
		err = parts(func(l *datasets.Ledger, whole features.LedgerFacts) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			// Converted with the strays, which take their invoice's
			// currency as in the whole ledger.
			l, _ = leaveOutUnconverted(l, fx, t)
			rep, _, err := away.into(l).InCurrency(fx)
			if err != nil {
				return err
			}
			cur := InvoiceCurrencies(l)
			sample.add(rep, cur, len(l.Disputes), len(l.Promises))
			return forecastPart(l, whole, NewHistory(rep, cur))
		})
	}
	if err == nil && modelConv != nil {
		if err = modelConv.Err(); err != nil {
			err = fmt.Errorf("the model learned in %s: %w", sfx.To, err)
		}
	}
	if err != nil {
		return nil, info, err
	}
	in := mergeInputs(t, H, books)
	if len(in.Book) == 0 {
		return nil, info, fmt.Errorf("%w at the end of %s", ErrEmptyBook, t)
	}
	// The shocks are estimated, and the silence factors learned, from the
	// replays' customers: those a forecast of the whole ledger samples.
	rh := only.h
	if rh == nil {
		rh = NewHistory(sample.finish(), sample.currency)
		rh.first, rh.last, rh.disputesKnown, rh.population = pf.first, pf.last, pf.disputesKnown, pf.customers
	}
	var s Shocks
	if o.Shocks != nil {
		s = *o.Shocks
	} else {
		s = rh.estimateShocks(t, H, o.replaySample)
	}
	in.applySilence(rh.learnSilence(t, H, o.replaySample))
	res, err := in.simulate(ctx, mergeNewBusiness(news, H), s, o)
	if err != nil {
		return nil, info, err
	}
	res.Unconverted = unconv
	return res, info, nil
}

// replaySample gathers, part by part, the records of the customers the
// shock replays sample, as NewHistory links them: invoices by customer,
// payments and credit notes by invoice, disputes and promises by invoice
// or customer. A dispute or promise naming one customer on another
// part's invoice (a stray, see strays) is taken from the invoice's part,
// converted at its invoice's currency as in the whole ledger, when its
// invoice or its customer is sampled; one whose invoice no part holds is
// taken from its customer's part once every part is read (finish).
type replaySample struct {
	keep     func(customer string) bool
	l        datasets.Ledger
	currency map[string]string // the invoices' original currencies
	// absorbed: invoice ids whose strays a part took; pending: sampled
	// customers' records on invoices of other parts, kept until it is
	// known whether a part held the invoice.
	absorbed        map[string]bool
	pendingDisputes []datasets.Dispute
	pendingPromises []datasets.Promise
}

func newReplaySample(keep func(string) bool) *replaySample {
	return &replaySample{keep: keep, currency: map[string]string{}, absorbed: map[string]bool{}}
}

// add adds the part l (converted, with the strays on its invoices from
// the ownDisputes-th dispute and ownPromises-th promise on), whose
// invoices' original currencies cur gives.
func (rs *replaySample) add(l *datasets.Ledger, cur map[string]string, ownDisputes, ownPromises int) {
	local := make(map[string]bool, len(l.Invoices))
	inv := map[string]bool{} // the sampled invoices
	for _, c := range l.Customers {
		if rs.keep(c.ID) {
			rs.l.Customers = append(rs.l.Customers, c)
		}
	}
	for _, v := range l.Invoices {
		local[v.ID] = true
		if rs.keep(v.CustomerID) {
			rs.l.Invoices = append(rs.l.Invoices, v)
			inv[v.ID] = true
			if c, ok := cur[v.ID]; ok {
				rs.currency[v.ID] = c
			}
		}
	}
	for _, p := range l.Payments {
		if inv[p.InvoiceID] {
			rs.l.Payments = append(rs.l.Payments, p)
		}
	}
	for _, n := range l.CreditNotes {
		if inv[n.InvoiceID] {
			rs.l.CreditNotes = append(rs.l.CreditNotes, n)
		}
	}
	// pick says whether to take the i-th record (own: not a stray) of a
	// customer on an invoice, and whether to hold it back as pending.
	pick := func(i, own int, customer, invoice string) (take, pending bool) {
		k := rs.keep(customer)
		switch {
		case i >= own: // a stray from another part, on a local invoice
			rs.absorbed[invoice] = true
			return inv[invoice] || k, false
		case invoice != "" && !local[invoice]: // this part's stray elsewhere
			return false, k
		}
		return inv[invoice] || k, false
	}
	for i, d := range l.Disputes {
		switch take, pending := pick(i, ownDisputes, d.CustomerID, d.InvoiceID); {
		case take:
			rs.l.Disputes = append(rs.l.Disputes, d)
		case pending:
			rs.pendingDisputes = append(rs.pendingDisputes, d)
		}
	}
	for i, p := range l.Promises {
		switch take, pending := pick(i, ownPromises, p.CustomerID, p.InvoiceID); {
		case take:
			rs.l.Promises = append(rs.l.Promises, p)
		case pending:
			rs.pendingPromises = append(rs.pendingPromises, p)
		}
	}
}

// finish adds the pending records whose invoice no part held, and
// returns the sample's ledger.
func (rs *replaySample) finish() *datasets.Ledger {
	for _, d := range rs.pendingDisputes {
		if !rs.absorbed[d.InvoiceID] {
			rs.l.Disputes = append(rs.l.Disputes, d)
		}
	}
	for _, p := range rs.pendingPromises {
		if !rs.absorbed[p.InvoiceID] {
			rs.l.Promises = append(rs.l.Promises, p)
		}
	}
	return &rs.l
}

// mergeInputs puts the parts' open books together in the whole ledger's
// order (customer, issue date, id: each part's is in it already, and no
// customer spans two parts), renumbering the customers in that order.
func mergeInputs(t datasets.Date, weeks int, books []*Inputs) *Inputs {
	type ref struct{ part, i int }
	var order []ref
	out := &Inputs{AsOf: t, Weeks: weeks, names: map[string]string{}}
	for p, in := range books {
		maps.Copy(out.names, in.names)
		for i := range in.Book {
			order = append(order, ref{p, i})
		}
		out.Unscored += in.Unscored
		out.PastModel += in.PastModel
		out.SilentByRecord += in.SilentByRecord
		out.RunPayers += in.RunPayers
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
		out.silence = append(out.silence, in.silence[r.i])
		out.Mean = append(out.Mean, in.Mean[r.i*weeks:(r.i+1)*weeks]...)
	}
	mergeRuns(out, books, func(n int) (int, int) { return order[n].part, order[n].i })
	return out
}

// mergeRuns carries the parts' payment runs (runs.go) into the merged
// book out, whose item n is item i of part p (at(n)): the runs in part
// order, their members renumbered to the merged positions.
func mergeRuns(out *Inputs, books []*Inputs, at func(n int) (p, i int)) {
	base := make([]int32, len(books))
	pos := make([][]int, len(books))
	for p, in := range books {
		base[p] = int32(len(out.runs))
		pos[p] = make([]int, len(in.Book))
		for _, g := range in.runs {
			g.members = slices.Clone(g.members)
			out.runs = append(out.runs, g)
		}
	}
	if len(out.runs) == 0 {
		return
	}
	out.runOf = make([]int32, len(out.Book))
	for n := range out.Book {
		p, i := at(n)
		pos[p][i] = n
		out.runOf[n] = -1
		if r := books[p].runOf; r != nil && r[i] >= 0 {
			out.runOf[n] = base[p] + r[i]
		}
	}
	for p, in := range books {
		for g := range in.runs {
			m := out.runs[int(base[p])+g].members
			for j, i := range m {
				m[j] = pos[p][i]
			}
		}
	}
}

// mergeNewBusiness puts the parts' new business together, summed in
// customer order as the whole ledger's is.
func mergeNewBusiness(parts []*NewBusiness, weeks int) *NewBusiness {
	nb := &NewBusiness{}
	for _, p := range parts {
		// Every part's seasonal factor is the portfolio's.
		nb.Seasonal = p.Seasonal
		nb.byCust = append(nb.byCust, p.byCust...)
	}
	// By id; a customer in two parts counts once, as the later part has it.
	slices.SortStableFunc(nb.byCust, func(a, b custNew) int { return strings.Compare(a.id, b.id) })
	uniq := nb.byCust[:0]
	for i, c := range nb.byCust {
		if i+1 < len(nb.byCust) && nb.byCust[i+1].id == c.id {
			continue
		}
		uniq = append(uniq, c)
	}
	nb.byCust = uniq
	for _, c := range nb.byCust {
		nb.total.add(c.part)
	}
	if nb.total.mean == nil {
		nb.total = newPart{mean: make([]float64, weeks)}
	}
	nb.Customers = len(nb.byCust)
	nb.setInvoicing(weeks)
	return nb
}
