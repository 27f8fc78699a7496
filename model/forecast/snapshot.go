package forecast

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// Snapshot returns r as a snapshot to save (id, the time it is saved and
// the model it used). The caller sets its FX to the rates r was converted
// at (datasets.SnapshotFX), which Result does not hold.
func (r *Result) Snapshot(id string, created time.Time, model string) *datasets.ForecastSnapshot {
	s := &datasets.ForecastSnapshot{ID: id, AsOf: r.AsOf, CreatedAt: created.UTC().Truncate(time.Second), Currency: r.Currency,
		Model: model, Invoices: r.Book.Invoices, Outstanding: r.Book.Outstanding.Money()}
	band := func(b Band) datasets.SnapshotBand {
		return datasets.SnapshotBand{Mean: b.Mean.Money(), P10: b.P10.Money(), P50: b.P50.Money(), P90: b.P90.Money()}
	}
	for _, w := range r.Weeks {
		s.Weeks = append(s.Weeks, datasets.SnapshotWeek{Start: w.Start, End: w.End, Open: band(w.Open), New: band(w.New)})
	}
	// The total's band is over the weeks reported, those the snapshot
	// keeps (simulate's TotalWeeks).
	if r.TotalWeeks == len(r.Weeks) {
		s.Total = &datasets.SnapshotTotal{Open: band(r.Total.Open), New: band(r.Total.New), All: band(r.Total.Total)}
	}
	return s
}

// SnapshotID names a snapshot by its as-of date and the second it was
// saved: readable, sortable, and unique unless two are saved within a
// second (the later then replaces the earlier).
func SnapshotID(asOf datasets.Date, created time.Time) string {
	return fmt.Sprintf("%s-%s", asOf, created.UTC().Format("20060102T150405Z"))
}

// Comparison lines a saved forecast up against what has since been
// received.
type Comparison struct {
	Snapshot string        `json:"snapshot"`
	AsOf     datasets.Date `json:"as_of"`
	Currency string        `json:"currency"`
	Model    string        `json:"model"`
	// Through is the last day the ledger records: weeks ending by then are
	// complete, the week holding it partial, later ones pending.
	Through datasets.Date  `json:"through"`
	Weeks   []ComparedWeek `json:"weeks"`
	// Scores of the open-book P50 over the complete weeks (zero when
	// none): WAPE, the expected receipts' bias, and the share of weeks
	// whose receipts fell within P10–P90.
	Complete int     `json:"complete_weeks"`
	WAPE     float64 `json:"wape"`
	Bias     float64 `json:"bias"`
	Coverage float64 `json:"coverage_p10_p90"`
	// NewWAPE and NewBias score the new-business mean against what the
	// invoices issued after the as-of date brought in, over the complete
	// weeks (Σ|mean − actual| / Σ actual, Σ(mean − actual) / Σ actual).
	NewWAPE float64 `json:"new_wape"`
	NewBias float64 `json:"new_bias"`
	// Total lines what the weeks brought in, in all, up against the
	// snapshot's band of its total over them; nil when the snapshot kept
	// no total band (saved before snapshots kept one), which TotalKept
	// says: its weeks' bands do not give the total's.
	Total     *ComparedTotal `json:"total,omitempty"`
	TotalKept bool           `json:"total_band_kept"`
	// Received sums the weeks' receipts, by line, over the weeks shown
	// (complete and partial): its Total is all the cash the ledger
	// records in them.
	Received Received `json:"received"`
	// BookNow is the open book at the as-of date as the ledger shows it
	// today; it differs from the snapshot's when later exports rewrote
	// history (BookChanged).
	BookNow     BookCount `json:"open_book_now"`
	BookChanged bool      `json:"open_book_changed"`
	// ActualsFX is the rates the receipts since the as-of date were
	// converted to Currency at (absent when nothing was converted), set by
	// the caller that converted them (see ActualsRates). ActualsFXFrom
	// says whose they are: "snapshot", the rates the forecast was made at,
	// kept with it, completed by the rates given to the comparison for the
	// currencies listed in ActualsFXGivenFor; or "given", the rates given
	// to the comparison, for a snapshot saved before snapshots kept their
	// rates, so that a move in rates between the two counts as forecast
	// error.
	ActualsFX         *datasets.FX `json:"actuals_fx,omitempty"`
	ActualsFXFrom     string       `json:"actuals_fx_from,omitempty"`
	ActualsFXGivenFor []string     `json:"actuals_fx_given_for,omitempty"`
}

// Whose rates a comparison converted the receipts at (ActualsFXFrom).
const (
	RatesOfSnapshot = "snapshot"
	RatesGiven      = "given"
)

// ActualsRates returns the rates a comparison of s converts what came in
// since at, whose they are (RatesOfSnapshot, RatesGiven; "" when nothing
// is converted) and the currencies given's rates were taken for. The
// snapshot's own rates come first, those its forecast was made at, so a
// later move in rates is not counted as forecast error; given (the rates
// given now, to s's currency; may be nil) adds only the currencies the
// snapshot has no rate for, a currency new since, say. A snapshot saved
// before snapshots kept rates has only given's.
func ActualsRates(s *datasets.ForecastSnapshot, given *datasets.FX) (fx *datasets.FX, from string, added []string) {
	if s.FX == nil {
		if given == nil {
			return nil, "", nil
		}
		return given, RatesGiven, nil
	}
	fx = &datasets.FX{To: s.FX.To, Rates: maps.Clone(s.FX.Rates)}
	if given != nil && given.To == fx.To {
		for _, c := range slices.Sorted(maps.Keys(given.Rates)) {
			if _, ok := fx.Rate(c); ok {
				continue
			}
			if fx.Rates == nil {
				fx.Rates = map[string]datasets.Rate{}
			}
			fx.Rates[c] = given.Rates[c]
			added = append(added, c)
		}
	}
	return fx, RatesOfSnapshot, added
}

// ComparedWeek is one week of a comparison.
type ComparedWeek struct {
	Start  datasets.Date `json:"week_start"`
	End    datasets.Date `json:"week_end"`
	Status string        `json:"status"` // complete, partial or pending
	Open   Band          `json:"open"`
	New    Band          `json:"new"`
	// ActualOpen and ActualNew are what the open book's invoices and
	// invoices issued after the as-of date brought in (so far).
	ActualOpen Money `json:"actual_open"`
	ActualNew  Money `json:"actual_new"`
	// Received is all the cash the ledger records in the week, by line:
	// its Open and New are ActualOpen and ActualNew.
	Received Received `json:"received"`
	// Within reports whether ActualOpen lies within the open P10–P90
	// (complete weeks only).
	Within bool `json:"within_p10_p90"`
}

// ComparedTotal is a comparison's total over the snapshot's weeks.
type ComparedTotal struct {
	// Status is complete when every week is, partial when the ledger has
	// reached the first week but not the end of the last (the amounts
	// received are so far), pending before.
	Status string `json:"status"`
	// Weeks is how many weeks the total spans, Complete how many of them
	// are complete.
	Weeks    int `json:"weeks"`
	Complete int `json:"complete_weeks"`
	// Open is the open book's total, New the new business's, All both
	// together (the forecast's lines: cash on closed invoices and
	// unapplied cash are in neither).
	Open ComparedLine `json:"open"`
	New  ComparedLine `json:"new"`
	All  ComparedLine `json:"all"`
}

// ComparedLine is a total's band and what came in against it.
type ComparedLine struct {
	Band   Band  `json:"band"`
	Actual Money `json:"actual"`
	// Within reports whether Actual lies within the band's P10–P90, and
	// Position where it lies (within, below_p10 or above_p90); both only
	// once the total is complete (Position empty before).
	Within   bool   `json:"within_p10_p90"`
	Position string `json:"position,omitempty"`
}

// Positions of a complete total against its band (ComparedLine.Position).
const (
	PositionWithin = "within"
	PositionBelow  = "below_p10"
	PositionAbove  = "above_p90"
)

// line returns the total band b against actual, judged when complete.
func line(b datasets.SnapshotBand, actual Money, complete bool) ComparedLine {
	l := ComparedLine{Band: bandOf(b), Actual: actual}
	if !complete {
		return l
	}
	switch {
	case actual.Money() < b.P10:
		l.Position = PositionBelow
	case actual.Money() > b.P90:
		l.Position = PositionAbove
	default:
		l.Within, l.Position = true, PositionWithin
	}
	return l
}

// Received is the cash received in a week (or a comparison's weeks), by
// what it paid: the lines add up to Total, all the cash the ledger
// records then, so that a comparison reconciles to the bank and no
// receipt is silently left out. Cash counts as the forecast's actuals do
// (invoice.receipts): each payment on its date, and an invoice settled
// with more owed than its payments and credit notes explain at its
// settlement (a cleared-items export records no payments). A payment
// received on account and later matched by a settlement that names no
// payment counts at both, as the unapplied cash it was and as the
// settlement that cleared the invoice: the ledger does not say they are
// the same money.
type Received struct {
	// Open is what the invoices open at the as-of date (the ledger's book
	// now) brought in, the snapshot's open part; New what the invoices
	// issued after it brought in, its new part.
	Open Money `json:"open"`
	New  Money `json:"new"`
	// Closed is what invoices issued by the as-of date but not open then
	// brought in (a payment after the invoice was settled or credited:
	// an overpayment, a late-recorded one); the snapshot expected none.
	Closed Money `json:"closed"`
	// Unapplied is the payments that name no invoice, or one the ledger
	// does not hold: cash on account, which neither part forecast.
	Unapplied Money `json:"unapplied"`
	Total     Money `json:"total"`
}

func (r *Received) add(o Received) {
	r.Open += o.Open
	r.New += o.New
	r.Closed += o.Closed
	r.Unapplied += o.Unapplied
	r.Total += o.Total
}

// Compare lines snapshot s up against the history h, which must be in the
// snapshot's currency.
func Compare(h *History, s *datasets.ForecastSnapshot) (*Comparison, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	sum := h.compareSums(s)
	// A whole ledger: a payment naming an invoice h lacks names one the
	// ledger lacks.
	flowsByWeek(h.unknown, s.AsOf, sum.unapplied)
	return compareFrom(s, sum)
}

// CompareParts is Compare over a ledger read in parts of whole customers
// (features.Parts), read twice, each converted with fx to the snapshot's
// currency (nil: none). Everything a comparison adds up is whole cents, invoices
// and days, so the parts give the whole ledger's comparison.
func CompareParts(parts features.Parts, fx *datasets.FX, s *datasets.ForecastSnapshot) (*Comparison, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	// First the records pointing at other parts' invoices (see strays),
	// then each part with those on its invoices.
	away := newStrays()
	err := parts(func(l *datasets.Ledger, _ features.LedgerFacts) error {
		away.collect(l)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var sum compareSums
	// A payment naming an invoice of no part is unapplied cash; one
	// naming another part's invoice is that part's (away.into).
	delivered := map[string]bool{}
	// Every part's amounts without a rate are counted before the
	// comparison fails.
	conv := datasets.NewPartConverter(fx)
	err = parts(func(l *datasets.Ledger, _ features.LedgerFacts) error {
		for i := range l.Invoices {
			if id := l.Invoices[i].ID; len(away.payments[id]) > 0 {
				delivered[id] = true
			}
		}
		rep, ok, err := conv.Convert(away.into(l))
		if err != nil {
			return fmt.Errorf("snapshot %s is in %s: %w", s.ID, s.Currency, err)
		}
		if !ok {
			return nil // missing rates, counted over every part below
		}
		sum.add(NewHistory(rep, nil).compareSums(s))
		return nil
	})
	if err == nil && conv.Err() == nil {
		if err = sum.addUndelivered(away, delivered, fx, s); err != nil {
			err = fmt.Errorf("snapshot %s is in %s: %w", s.ID, s.Currency, err)
		}
	}
	if err == nil {
		if err = conv.Err(); err != nil {
			err = fmt.Errorf("snapshot %s is in %s: %w", s.ID, s.Currency, err)
		}
	}
	if err != nil {
		return nil, err
	}
	return compareFrom(s, sum)
}

// compareSums is what a comparison adds up over the ledger: the dates it
// spans, the open book at the snapshot's date as the ledger now shows it,
// and what that book and the invoices issued after the date brought in,
// per week.
type compareSums struct {
	first, last         datasets.Date
	invoices, customers int
	outstanding         int64
	open, new           []datasets.Money
	closed, unapplied   []datasets.Money
}

func (h *History) compareSums(s *datasets.ForecastSnapshot) compareSums {
	W := len(s.Weeks)
	c := compareSums{open: make([]datasets.Money, W), new: make([]datasets.Money, W)}
	// A part whose records all come after the snapshot's date has no
	// book then, but may well have new business since.
	c.first, c.last = h.Span()
	book := h.Book(s.AsOf, h.Measure(s.AsOf))
	custs := map[string]bool{}
	for i := range book {
		c.outstanding += int64(book[i].Outstanding)
		custs[book[i].CustomerID] = true
	}
	c.invoices, c.customers = len(book), len(custs)
	c.open = h.bookReceipts(s.AsOf, book, W)
	c.new = h.newReceiptsActual(s.AsOf, W, nil)
	// What the invoices not in the book and not new brought in: every
	// invoice issued by the date, less the book's.
	c.closed = make([]datasets.Money, W)
	for _, ci := range h.customers(nil) {
		for _, i := range h.cust[ci].inv {
			if h.inv[i].IssueDate > s.AsOf {
				break
			}
			h.inv[i].receipts(s.AsOf, c.closed)
		}
	}
	for k := range c.closed {
		c.closed[k] -= c.open[k]
	}
	c.unapplied = make([]datasets.Money, W)
	flowsByWeek(h.unapplied, s.AsOf, c.unapplied)
	return c
}

// flowsByWeek adds to out[k] the flows dated in week k+1 after t.
func flowsByWeek(fs []flow, t datasets.Date, out []datasets.Money) {
	end := t.AddDays(7 * len(out))
	for _, f := range fs {
		if f.date > t && f.date <= end {
			out[int(f.date-t-1)/7] += f.amount
		}
	}
}

// addUndelivered adds the payments of the parts read that name an invoice
// no part holds (those away.into handed to no part: the ids not in
// delivered) as unapplied cash, converted with fx as their parts were.
func (c *compareSums) addUndelivered(away *strays, delivered map[string]bool, fx *datasets.FX, s *datasets.ForecastSnapshot) error {
	var pays []datasets.Payment
	for _, id := range slices.Sorted(maps.Keys(away.payments)) {
		if !delivered[id] {
			pays = append(pays, away.payments[id]...)
		}
	}
	if len(pays) == 0 {
		return nil
	}
	l := &datasets.Ledger{Payments: pays}
	if fx != nil {
		rep, ok, err := datasets.NewPartConverter(fx).Convert(l)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("no rate for the currency of a payment naming an invoice no part holds")
		}
		l = rep
	}
	fs := make([]flow, len(l.Payments))
	for i, p := range l.Payments {
		fs[i] = flow{p.Date, p.Amount}
	}
	if c.unapplied == nil {
		c.unapplied = make([]datasets.Money, len(s.Weeks))
	}
	flowsByWeek(fs, s.AsOf, c.unapplied)
	return nil
}

// add adds the sums of other customers.
func (c *compareSums) add(o compareSums) {
	if o.first != 0 && (c.first == 0 || o.first < c.first) {
		c.first = o.first
	}
	c.last = max(c.last, o.last)
	c.invoices += o.invoices
	c.customers += o.customers
	c.outstanding += o.outstanding
	if c.open == nil {
		c.open, c.new = make([]datasets.Money, len(o.open)), make([]datasets.Money, len(o.new))
		c.closed = make([]datasets.Money, len(o.open))
	}
	if c.unapplied == nil {
		c.unapplied = make([]datasets.Money, len(o.open))
	}
	for k := range o.open {
		c.open[k] += o.open[k]
		c.new[k] += o.new[k]
		c.closed[k] += o.closed[k]
		c.unapplied[k] += o.unapplied[k]
	}
}

// BookCount is what a comparison counts of the open book at the snapshot's
// as-of date as the ledger shows it now: the figures a snapshot keeps, to
// tell whether the book changed since. It is not a BookSummary, whose
// overdue, disputed and beyond-horizon parts a comparison does not compute
// (they read 0 there, which the forecast of that day contradicted).
type BookCount struct {
	Invoices    int   `json:"invoices"`
	Customers   int   `json:"customers"`
	Outstanding Money `json:"outstanding"`
}

// compareFrom turns the sums into the comparison of snapshot s.
func compareFrom(s *datasets.ForecastSnapshot, sum compareSums) (*Comparison, error) {
	first, last := sum.first, sum.last
	if first == 0 || s.AsOf < first {
		return nil, fmt.Errorf("%w: snapshot %s is as of %s, before the first record (%s)", ErrBeforeData, s.ID, s.AsOf, first)
	}
	W := len(s.Weeks)
	fill := func(m *[]datasets.Money) {
		if *m == nil {
			*m = make([]datasets.Money, W)
		}
	}
	fill(&sum.open)
	fill(&sum.new)
	fill(&sum.closed)
	fill(&sum.unapplied)
	c := &Comparison{Snapshot: s.ID, AsOf: s.AsOf, Currency: s.Currency, Model: s.Model, Through: last}
	c.BookNow = BookCount{Invoices: sum.invoices, Customers: sum.customers, Outstanding: Money(sum.outstanding)}
	c.BookChanged = sum.invoices != s.Invoices || datasets.Money(sum.outstanding) != s.Outstanding
	actOpen, actNew := sum.open, sum.new
	acc := newAccumulator(W)
	var mean, covered, newAbs, newErr, newAct float64
	for k, w := range s.Weeks {
		cw := ComparedWeek{Start: w.Start, End: w.End, Open: bandOf(w.Open), New: bandOf(w.New),
			ActualOpen: Money(actOpen[k]), ActualNew: Money(actNew[k])}
		cw.Received = Received{Open: Money(actOpen[k]), New: Money(actNew[k]), Closed: Money(sum.closed[k]), Unapplied: Money(sum.unapplied[k])}
		cw.Received.Total = cw.Received.Open + cw.Received.New + cw.Received.Closed + cw.Received.Unapplied
		if w.Start <= last {
			c.Received.add(cw.Received)
		}
		switch {
		case w.End <= last:
			cw.Status = "complete"
			y := float64(actOpen[k])
			acc.add(k, float64(w.Open.P50), y)
			mean += float64(w.Open.Mean) - y
			yn := float64(actNew[k])
			newAbs += math.Abs(float64(w.New.Mean) - yn)
			newErr += float64(w.New.Mean) - yn
			newAct += yn
			cw.Within = actOpen[k] >= w.Open.P10 && actOpen[k] <= w.Open.P90
			if cw.Within {
				covered++
			}
			c.Complete++
		case w.Start <= last:
			cw.Status = "partial"
		default:
			cw.Status = "pending"
		}
		c.Weeks = append(c.Weeks, cw)
	}
	if t := s.Total; t != nil {
		c.TotalKept = true
		var open, nw Money
		for k := range s.Weeks {
			open += Money(actOpen[k])
			nw += Money(actNew[k])
		}
		ct := &ComparedTotal{Weeks: W, Complete: c.Complete}
		done := c.Complete == W
		switch {
		case done:
			ct.Status = "complete"
		case s.Weeks[0].Start <= last:
			ct.Status = "partial"
		default:
			ct.Status = "pending"
		}
		ct.Open, ct.New, ct.All = line(t.Open, open, done), line(t.New, nw, done), line(t.All, open+nw, done)
		c.Total = ct
	}
	if c.Complete > 0 {
		c.WAPE = ratio(acc.abs, acc.actual)
		c.Bias = ratio(mean, acc.actual)
		c.Coverage = covered / float64(c.Complete)
		c.NewWAPE, c.NewBias = ratio(newAbs, newAct), ratio(newErr, newAct)
	}
	return c, nil
}

func bandOf(b datasets.SnapshotBand) Band {
	return Band{Mean: Money(b.Mean), P10: Money(b.P10), P50: Money(b.P50), P90: Money(b.P90)}
}
