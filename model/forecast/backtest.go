package forecast

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
)

// Predict scores every invoice open at the end of day t with bundle b:
// the pay-date curves a forecast starts from.
func Predict(ix *features.Index, b *model.Bundle, t datasets.Date) ([]model.Prediction, error) {
	tab := features.NewEngine(ix, b.Options.Features).OpenInvoices(t)
	sc, err := model.NewScorer(b, tab.Specs)
	if err != nil {
		return nil, fmt.Errorf("score the open book: %w", err)
	}
	preds := make([]model.Prediction, len(tab.Rows))
	if err := sc.ScoreBatch(tab.Rows, 0, preds); err != nil {
		return nil, fmt.Errorf("score the open book: %w", err)
	}
	return preds, nil
}

// BacktestOptions configure a backtest.
type BacktestOptions struct {
	Origins []datasets.Date
	Weeks   int
	Paths   int
	Seed    uint64
	// Train are the model options; AsOf is set to each origin.
	Train    model.TrainOptions
	Currency string
	Log      *slog.Logger
}

// Backtest measures forecasts made at past origins against what was then
// received from the invoices open at each origin. Errors are summed over
// every origin-week: WAPE = Σ|P50 − actual| / Σ actual; bias =
// Σ(mean − actual) / Σ actual, whether the expected receipts run high or
// low (the P50 of a lumpy book lies below its mean by design, so its own
// bias, BiasP50, is negative there without anything being wrong); pinball
// losses are scaled by Σ actual like WAPE (the P50's is half its WAPE).
type Backtest struct {
	Origins  []datasets.Date `json:"origins"`
	Weeks    int             `json:"weeks"`
	WAPE     float64         `json:"wape"`
	Bias     float64         `json:"bias"`
	BiasP50  float64         `json:"bias_p50"`
	Coverage float64         `json:"coverage_p10_p90"`
	Pinball  Pinball         `json:"pinball"`
	// WAPEByWeek is the P50's WAPE per week ahead.
	WAPEByWeek Ratios `json:"wape_by_week"`
	Baselines  struct {
		DueDate  Score `json:"due_date"`
		AvgDelay Score `json:"avg_delay"`
	} `json:"baselines"`
	// VsBestBaseline is WAPE over the better baseline's WAPE.
	VsBestBaseline float64 `json:"wape_vs_best_baseline"`
	// Mean scores the expected value rather than the P50; TimingOnly the
	// expected value of the timing record alone, without the model.
	Mean       Score `json:"mean"`
	TimingOnly Score `json:"timing_only"`
	// Horizon scores each origin's whole-horizon open-book receipts: its
	// P50's WAPE, the mean's bias and the share of origins whose receipts
	// fell within the horizon's P10–P90.
	Horizon PartScore `json:"total_13w"`
	// New scores the new-business part (receipts from invoices issued
	// after each origin).
	New PartScore `json:"new"`
	// Total scores the weeks' whole receipts, open book and new business
	// together (the total band's P50, the mean's bias, the weekly P10–P90
	// coverage), against the baseline a treasurer already has: the run
	// rate, every week the mean weekly receipts of the 13 weeks before
	// the origin (a trial's treasurer found dsopilot's total no better
	// than it on a ledger of steady invoicing).
	Total  TotalScore `json:"total_receipts"`
	Actual Money      `json:"actual"`
	// Currency is the amounts' currency; empty when the ledger's were
	// added unconverted.
	Currency string        `json:"currency,omitempty"`
	PerOrig  []OriginShock `json:"per_origin"`
	Paths    int           `json:"paths"`
	Seconds  float64       `json:"seconds"`
	Invoices int           `json:"ledger_invoices"`
}

// Pinball holds scaled pinball losses.
type Pinball struct {
	P10 float64 `json:"p10"`
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
}

// Score is a point forecast's accuracy.
type Score struct {
	WAPE       float64 `json:"wape"`
	Bias       float64 `json:"bias"`
	WAPEByWeek Ratios  `json:"wape_by_week"`
}

// Ratios are ratios per week ahead. A week in which nothing was received
// at any origin has none (its WAPE divides by zero): NaN here, null in
// JSON, rather than a 0 that would read as a perfect forecast.
type Ratios []float64

// MarshalJSON writes NaN as null.
func (r Ratios) MarshalJSON() ([]byte, error) {
	if r == nil {
		return []byte("null"), nil
	}
	b := []byte{'['}
	for i, v := range r {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			b = append(b, "null"...)
			continue
		}
		b = strconv.AppendFloat(b, v, 'g', -1, 64)
	}
	return append(b, ']'), nil
}

// UnmarshalJSON reads null as NaN.
func (r *Ratios) UnmarshalJSON(b []byte) error {
	var ps []*float64
	if err := json.Unmarshal(b, &ps); err != nil {
		return err
	}
	if ps == nil {
		*r = nil
		return nil
	}
	*r = make(Ratios, len(ps))
	for i, p := range ps {
		(*r)[i] = math.NaN()
		if p != nil {
			(*r)[i] = *p
		}
	}
	return nil
}

// PartScore is a part's accuracy: the P50's WAPE, the mean's bias and
// the P10–P90 coverage.
type PartScore struct {
	WAPE     float64 `json:"wape"`
	Bias     float64 `json:"bias"`
	Coverage float64 `json:"coverage_p10_p90"`
	// BiasP50 is the P50's bias beside the mean's (Bias), for the new
	// business, whose P50 sits below its mean by design (a customer's
	// invoices are few and lumpy); absent elsewhere.
	BiasP50 float64 `json:"bias_p50,omitempty"`
}

// TotalScore is the accuracy of the weeks' whole receipts and of the run
// rate on the same weeks; VsRunRate is WAPE over the run rate's WAPE.
type TotalScore struct {
	PartScore
	RunRate   Score   `json:"run_rate"`
	VsRunRate float64 `json:"wape_vs_run_rate"`
}

// runRateWeeks is how many weeks before an origin the run rate averages.
const runRateWeeks = 13

// OriginShock records what each origin's forecast rested on.
type OriginShock struct {
	Origin   datasets.Date `json:"origin"`
	Invoices int           `json:"open_invoices"`
	Model    string        `json:"champion"`
	Shocks   Shocks        `json:"shocks"`
}

// PredictionRow is one origin-week of a backtest: a part (open or new),
// its forecast and what was received.
type PredictionRow struct {
	Part      string
	Origin    datasets.Date
	WeekStart datasets.Date
	Band      Band
	Actual    Money
}

// accumulator sums errors over origin-weeks.
type accumulator struct {
	abs, signed, actual float64
	absK, actualK       []float64
}

func newAccumulator(weeks int) *accumulator {
	return &accumulator{absK: make([]float64, weeks), actualK: make([]float64, weeks)}
}

func (a *accumulator) add(k int, f, y float64) {
	a.abs += math.Abs(f - y)
	a.signed += f - y
	a.actual += y
	a.absK[k] += math.Abs(f - y)
	a.actualK[k] += y
}

func (a *accumulator) score() Score {
	s := Score{WAPE: ratio(a.abs, a.actual), Bias: ratio(a.signed, a.actual), WAPEByWeek: make(Ratios, len(a.absK))}
	for k := range a.absK {
		s.WAPEByWeek[k] = math.NaN()
		if a.actualK[k] != 0 {
			s.WAPEByWeek[k] = a.absK[k] / a.actualK[k]
		}
	}
	return s
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func pinball(q, f, y float64) float64 {
	if y >= f {
		return q * (y - f)
	}
	return (1 - q) * (f - y)
}

// CheckOrigins reports origins the history cannot test: before its first
// record (or with less than replayHistory days of history, too little to
// learn from), or with a horizon running past its last record.
func (h *History) CheckOrigins(origins []datasets.Date, weeks int) error {
	return checkOrigins(h.first, h.last, origins, weeks)
}

// checkOrigins is CheckOrigins for a ledger spanning first … last.
func checkOrigins(first, last datasets.Date, origins []datasets.Date, weeks int) error {
	if len(origins) == 0 {
		return fmt.Errorf("%w: no origin", ErrOptions)
	}
	through := DataThrough(last)
	for _, o := range origins {
		if o < first.AddDays(replayHistory) {
			return fmt.Errorf("%w: origin %s: the data start %s, at least %d days of history are needed before an origin", ErrBeforeData, o, first, replayHistory)
		}
		if end := o.AddDays(7 * weeks); end > through {
			return fmt.Errorf("%w: origin %s: its %d weeks end %s, after the data (the last record %s%s); the latest origin whose weeks it holds is %s",
				ErrAfterData, o, weeks, end, last, throughNote(last, through), through.AddDays(-7*weeks))
		}
	}
	return nil
}

// DataThrough is the last day a ledger whose latest record is dated last
// tells what was received on: last, or the Sunday after it when last is a
// Friday or a Saturday. Receipts are bank postings, which a weekend has
// none of, so an export taken on a Friday holds that weekend's cash too:
// a trial's backtest origin whose 13 weeks ended on the Sunday after its
// Friday export was refused as running past the data.
func DataThrough(last datasets.Date) datasets.Date {
	switch last.Time().Weekday() {
	case time.Friday:
		return last.AddDays(2)
	case time.Saturday:
		return last.AddDays(1)
	}
	return last
}

// throughNote says the weekend DataThrough added, if any.
func throughNote(last, through datasets.Date) string {
	if through == last {
		return ""
	}
	return fmt.Sprintf(", a %s, with the weekend after it through %s", last.Time().Weekday(), through)
}

// RunBacktest trains a model at each origin on what was known then,
// forecasts the open book and the new business, and compares with what
// was received, alongside the two baselines treasurers use on the same
// weeks. l is the ledger in the reporting currency.
func RunBacktest(ctx context.Context, l *datasets.Ledger, currency map[string]string, o BacktestOptions) (*Backtest, []PredictionRow, error) {
	start := time.Now()
	o = o.withDefaults()
	h := NewHistory(l, currency)
	if err := h.CheckOrigins(o.Origins, o.Weeks); err != nil {
		return nil, nil, err
	}
	ix := features.NewIndex(l)
	W := o.Weeks
	sc := newBacktestScorer(o.Origins, W, len(l.Invoices), o.Log, start)
	for _, t := range sc.res.Origins {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		to := o.Train
		to.AsOf = t
		b, err := model.Train(ctx, ix, to)
		if err != nil {
			return nil, nil, fmt.Errorf("origin %s: %w", t, err)
		}
		preds, err := Predict(ix, b, t)
		if err != nil {
			return nil, nil, fmt.Errorf("origin %s: %w", t, err)
		}
		a := newOriginActuals(W)
		fc, err := Forecast(ctx, h, preds, Options{AsOf: t, Weeks: W, Paths: o.Paths, Seed: o.Seed, Currency: o.Currency, Log: o.Log, actuals: a})
		if err != nil {
			return nil, nil, fmt.Errorf("origin %s: %w", t, err)
		}
		sc.add(t, b.Champion, fc, a)
	}
	res, rows := sc.result()
	return res, rows, nil
}

func (o BacktestOptions) withDefaults() BacktestOptions {
	if o.Weeks == 0 {
		o.Weeks = DefaultWeeks
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// originActuals is what the invoices open at an origin brought in over
// the weeks after it, what invoices issued after it brought in, and the
// schedules the forecast is scored against on the same weeks: the
// due-date and average-delay baselines and the timing record's expected
// receipts alone. Everything is in whole cents (the timing record's
// expected receipts rounded per invoice and week), so that the sums over
// the parts of a ledger are the whole ledger's, exactly.
type originActuals struct {
	open, new, due, avg, timing []datasets.Money
	invoices                    int
	// before is what every invoice brought in over the runRateWeeks
	// weeks up to the origin: the run rate's ground.
	before datasets.Money
}

func newOriginActuals(weeks int) *originActuals {
	mk := func() []datasets.Money { return make([]datasets.Money, weeks) }
	return &originActuals{open: mk(), new: mk(), due: mk(), avg: mk(), timing: mk()}
}

// add adds the actuals of the customers h holds as of origin t (a whole
// ledger, or a part attached to the whole portfolio), in being the
// forecast's inputs at t prepared from h with the timing record's own
// expected receipts (prepare's withTiming): the same book and rates, so
// that the baselines and the record are scored on the forecast's items.
func (a *originActuals) add(h *History, t datasets.Date, in *Inputs) {
	W := len(a.open)
	for _, s := range [][2][]datasets.Money{
		{a.open, h.bookReceipts(t, in.Book, W)},
		{a.new, h.newReceiptsActual(t, W, nil)},
		{a.due, DueDateSchedule(t, in.Book, W)},
		{a.avg, AverageDelaySchedule(t, in.Book, in.rates, W)},
	} {
		for k, m := range s[1] {
			s[0][k] += m
		}
	}
	a.before += h.receiptsBefore(t, runRateWeeks)
	// in is computed over the full horizon (computedWeeks), a.open over
	// the weeks reported.
	for i := range in.Book {
		for k := range W {
			a.timing[k] += datasets.Money(cents(in.timingMean[i*in.Weeks+k]))
		}
	}
	a.invoices += len(in.Book)
}

// backtestScorer sums a backtest's errors over its origins, logging each
// with the time since start.
type backtestScorer struct {
	log                                   *slog.Logger
	start                                 time.Time
	res                                   *Backtest
	model50, mean, timing, due, avg       *accumulator
	nw, nwMean, total, totalMean, runRate *accumulator
	totalCovered                          int
	pin                                   Pinball
	covered, cells, newCovered            int
	newCells, totCovered                  int
	totAbs, totSigned, totActual          float64
	rows                                  []PredictionRow
}

func newBacktestScorer(origins []datasets.Date, weeks, invoices int, log *slog.Logger, start time.Time) *backtestScorer {
	origins = slices.Clone(origins)
	slices.Sort(origins)
	return &backtestScorer{log: log, start: start, res: &Backtest{Origins: origins, Weeks: weeks, Invoices: invoices},
		model50: newAccumulator(weeks), mean: newAccumulator(weeks), timing: newAccumulator(weeks),
		due: newAccumulator(weeks), avg: newAccumulator(weeks), nw: newAccumulator(weeks), nwMean: newAccumulator(weeks),
		total: newAccumulator(weeks), totalMean: newAccumulator(weeks), runRate: newAccumulator(weeks)}
}

// add scores origin t's forecast fc, made with a model whose champion is
// champion, against a.
func (s *backtestScorer) add(t datasets.Date, champion string, fc *Result, a *originActuals) {
	for k := range s.res.Weeks {
		wk := fc.Weeks[k]
		y := float64(a.open[k])
		s.model50.add(k, float64(wk.Open.P50), y)
		s.mean.add(k, float64(wk.Open.Mean), y)
		s.timing.add(k, float64(a.timing[k]), y)
		s.due.add(k, float64(a.due[k]), y)
		s.avg.add(k, float64(a.avg[k]), y)
		s.pin.P10 += pinball(0.1, float64(wk.Open.P10), y)
		s.pin.P50 += pinball(0.5, float64(wk.Open.P50), y)
		s.pin.P90 += pinball(0.9, float64(wk.Open.P90), y)
		s.cells++
		if y >= float64(wk.Open.P10) && y <= float64(wk.Open.P90) {
			s.covered++
		}
		yn := float64(a.new[k])
		s.nw.add(k, float64(wk.New.P50), yn)
		s.nwMean.add(k, float64(wk.New.Mean), yn)
		s.newCells++
		if yn >= float64(wk.New.P10) && yn <= float64(wk.New.P90) {
			s.newCovered++
		}
		yt := y + yn
		s.total.add(k, float64(wk.Total.P50), yt)
		s.totalMean.add(k, float64(wk.Total.Mean), yt)
		s.runRate.add(k, float64(a.before)/runRateWeeks, yt)
		if yt >= float64(wk.Total.P10) && yt <= float64(wk.Total.P90) {
			s.totalCovered++
		}
		s.rows = append(s.rows, PredictionRow{Part: "open", Origin: t, WeekStart: wk.Start, Band: wk.Open, Actual: Money(a.open[k])},
			PredictionRow{Part: "new", Origin: t, WeekStart: wk.Start, Band: wk.New, Actual: Money(a.new[k])})
	}
	var y float64
	for _, m := range a.open {
		y += float64(m)
	}
	tot := fc.Total.Open
	s.totAbs += math.Abs(float64(tot.P50) - y)
	s.totSigned += float64(tot.Mean) - y
	s.totActual += y
	if y >= float64(tot.P10) && y <= float64(tot.P90) {
		s.totCovered++
	}
	s.res.PerOrig = append(s.res.PerOrig, OriginShock{Origin: t, Invoices: a.invoices, Model: champion, Shocks: fc.Shocks})
	s.res.Paths, s.res.Currency = fc.Paths, fc.Currency
	s.log.Info("forecast backtest origin", "origin", t, "open_invoices", a.invoices, "shocks", fc.Shocks, "seconds", time.Since(s.start).Seconds())
}

// result is the backtest scored over every origin added.
func (s *backtestScorer) result() (*Backtest, []PredictionRow) {
	res := s.res
	m := s.model50.score()
	res.WAPE, res.BiasP50, res.WAPEByWeek = m.WAPE, m.Bias, m.WAPEByWeek
	res.Mean, res.TimingOnly = s.mean.score(), s.timing.score()
	res.Bias = res.Mean.Bias
	res.Baselines.DueDate, res.Baselines.AvgDelay = s.due.score(), s.avg.score()
	res.Coverage = ratio(float64(s.covered), float64(s.cells))
	res.Pinball = Pinball{P10: ratio(s.pin.P10, s.model50.actual), P50: ratio(s.pin.P50, s.model50.actual), P90: ratio(s.pin.P90, s.model50.actual)}
	res.VsBestBaseline = ratio(res.WAPE, min(res.Baselines.DueDate.WAPE, res.Baselines.AvgDelay.WAPE))
	res.Horizon = PartScore{WAPE: ratio(s.totAbs, s.totActual), Bias: ratio(s.totSigned, s.totActual), Coverage: ratio(float64(s.totCovered), float64(len(res.Origins)))}
	// The new business's bias is its mean's, as the open book's and the
	// total's are: it was the P50's, whose skew read as a part running
	// 6–15% low on the trials' ledgers while its mean ran −4% to +6%.
	ns := s.nw.score()
	res.New = PartScore{WAPE: ns.WAPE, Bias: s.nwMean.score().Bias, BiasP50: ns.Bias, Coverage: ratio(float64(s.newCovered), float64(s.newCells))}
	ts, rr := s.total.score(), s.runRate.score()
	res.Total = TotalScore{PartScore: PartScore{WAPE: ts.WAPE, Bias: s.totalMean.score().Bias, Coverage: ratio(float64(s.totalCovered), float64(s.newCells))},
		RunRate: rr, VsRunRate: ratio(ts.WAPE, rr.WAPE)}
	res.Actual = cents(s.model50.actual)
	res.Seconds = time.Since(s.start).Seconds()
	return res, s.rows
}

// bookReceipts is what the book's invoices brought in per week after t.
func (h *History) bookReceipts(t datasets.Date, book []Item, weeks int) []datasets.Money {
	out := make([]datasets.Money, weeks)
	for i := range book {
		h.inv[book[i].pos].receipts(t, out)
	}
	return out
}

// receiptsBefore is what every invoice of h brought in over the weeks
// weeks up to and including day t: payments, and what a settlement
// without them cleared, as the actuals count receipts.
func (h *History) receiptsBefore(t datasets.Date, weeks int) datasets.Money {
	prior := make([]datasets.Money, weeks)
	for _, ci := range h.customers(nil) {
		for _, i := range h.cust[ci].inv {
			h.inv[i].receipts(t.AddDays(-7*weeks), prior)
		}
	}
	var sum datasets.Money
	for _, m := range prior {
		sum += m
	}
	return sum
}

// newReceiptsActual is what invoices issued after t brought in per week,
// from the customers at custs (nil: all).
func (h *History) newReceiptsActual(t datasets.Date, weeks int, custs []int) []datasets.Money {
	out := make([]datasets.Money, weeks)
	end := t.AddDays(7 * weeks)
	for _, ci := range h.customers(custs) {
		for _, i := range h.cust[ci].inv {
			if v := &h.inv[i]; v.IssueDate > t && v.IssueDate <= end {
				v.receipts(t, out)
			}
		}
	}
	return out
}
