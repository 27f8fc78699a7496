package forecast

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
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
	WAPEByWeek []float64 `json:"wape_by_week"`
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
	New      PartScore     `json:"new"`
	Actual   Money         `json:"actual"`
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
	WAPE       float64   `json:"wape"`
	Bias       float64   `json:"bias"`
	WAPEByWeek []float64 `json:"wape_by_week"`
}

// PartScore is a part's accuracy: the P50's WAPE, the mean's bias and
// the P10–P90 coverage.
type PartScore struct {
	WAPE     float64 `json:"wape"`
	Bias     float64 `json:"bias"`
	Coverage float64 `json:"coverage_p10_p90"`
}

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
	s := Score{WAPE: ratio(a.abs, a.actual), Bias: ratio(a.signed, a.actual), WAPEByWeek: make([]float64, len(a.absK))}
	for k := range a.absK {
		s.WAPEByWeek[k] = ratio(a.absK[k], a.actualK[k])
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
	if len(origins) == 0 {
		return fmt.Errorf("%w: no origin", ErrOptions)
	}
	first, last := h.Span()
	for _, o := range origins {
		if o < first.AddDays(replayHistory) {
			return fmt.Errorf("%w: origin %s: the data start %s, at least %d days of history are needed before an origin", ErrBeforeData, o, first, replayHistory)
		}
		if end := o.AddDays(7 * weeks); end > last {
			return fmt.Errorf("%w: origin %s: its %d weeks end %s, after the last record (%s)", ErrAfterData, o, weeks, end, last)
		}
	}
	return nil
}

// RunBacktest trains a model at each origin on what was known then,
// forecasts the open book and the new business, and compares with what
// was received, alongside the two baselines treasurers use on the same
// weeks. l is the ledger in the reporting currency.
func RunBacktest(ctx context.Context, l *datasets.Ledger, currency map[string]string, o BacktestOptions) (*Backtest, []PredictionRow, error) {
	start := time.Now()
	if o.Weeks == 0 {
		o.Weeks = DefaultWeeks
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	h := NewHistory(l, currency)
	if err := h.CheckOrigins(o.Origins, o.Weeks); err != nil {
		return nil, nil, err
	}
	origins := slices.Clone(o.Origins)
	slices.Sort(origins)
	ix := features.NewIndex(l)
	W := o.Weeks
	res := &Backtest{Origins: origins, Weeks: W, Invoices: len(l.Invoices)}
	model50, mean, timing := newAccumulator(W), newAccumulator(W), newAccumulator(W)
	due, avg := newAccumulator(W), newAccumulator(W)
	nw := newAccumulator(W)
	var pin Pinball
	var covered, cells, newCovered, newCells, totCovered int
	var totAbs, totSigned, totActual float64
	var rows []PredictionRow
	for _, t := range origins {
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
		fc, err := Forecast(ctx, h, preds, Options{AsOf: t, Weeks: W, Paths: o.Paths, Seed: o.Seed, Currency: o.Currency, Log: o.Log})
		if err != nil {
			return nil, nil, fmt.Errorf("origin %s: %w", t, err)
		}
		in, err := h.Prepare(t, W, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("origin %s: %w", t, err)
		}
		actOpen := h.bookReceipts(t, in.Book, W)
		actNew := h.newReceiptsActual(t, W, nil)
		rates := h.Measure(t)
		dd := DueDateSchedule(t, in.Book, W)
		ad := AverageDelaySchedule(t, in.Book, rates, W)
		tmean := make([]float64, W)
		for i := range in.Book {
			for k := range W {
				tmean[k] += in.Mean[i*W+k]
			}
		}
		for k := range W {
			wk := fc.Weeks[k]
			y := float64(actOpen[k])
			model50.add(k, float64(wk.Open.P50), y)
			mean.add(k, float64(wk.Open.Mean), y)
			timing.add(k, tmean[k], y)
			due.add(k, float64(dd[k]), y)
			avg.add(k, float64(ad[k]), y)
			pin.P10 += pinball(0.1, float64(wk.Open.P10), y)
			pin.P50 += pinball(0.5, float64(wk.Open.P50), y)
			pin.P90 += pinball(0.9, float64(wk.Open.P90), y)
			cells++
			if y >= float64(wk.Open.P10) && y <= float64(wk.Open.P90) {
				covered++
			}
			yn := float64(actNew[k])
			nw.add(k, float64(wk.New.P50), yn)
			newCells++
			if yn >= float64(wk.New.P10) && yn <= float64(wk.New.P90) {
				newCovered++
			}
			rows = append(rows, PredictionRow{Part: "open", Origin: t, WeekStart: wk.Start, Band: wk.Open, Actual: Money(actOpen[k])},
				PredictionRow{Part: "new", Origin: t, WeekStart: wk.Start, Band: wk.New, Actual: Money(actNew[k])})
		}
		var y float64
		for _, m := range actOpen {
			y += float64(m)
		}
		tot := fc.Total.Open
		totAbs += math.Abs(float64(tot.P50) - y)
		totSigned += float64(tot.Mean) - y
		totActual += y
		if y >= float64(tot.P10) && y <= float64(tot.P90) {
			totCovered++
		}
		res.PerOrig = append(res.PerOrig, OriginShock{Origin: t, Invoices: len(in.Book), Model: b.Champion, Shocks: fc.Shocks})
		res.Paths = fc.Paths
		o.Log.Info("forecast backtest origin", "origin", t, "open_invoices", len(in.Book), "shocks", fc.Shocks, "seconds", time.Since(start).Seconds())
	}
	s := model50.score()
	res.WAPE, res.BiasP50, res.WAPEByWeek = s.WAPE, s.Bias, s.WAPEByWeek
	res.Mean, res.TimingOnly = mean.score(), timing.score()
	res.Bias = res.Mean.Bias
	res.Baselines.DueDate, res.Baselines.AvgDelay = due.score(), avg.score()
	res.Coverage = ratio(float64(covered), float64(cells))
	res.Pinball = Pinball{P10: ratio(pin.P10, model50.actual), P50: ratio(pin.P50, model50.actual), P90: ratio(pin.P90, model50.actual)}
	res.VsBestBaseline = ratio(res.WAPE, min(res.Baselines.DueDate.WAPE, res.Baselines.AvgDelay.WAPE))
	res.Horizon = PartScore{WAPE: ratio(totAbs, totActual), Bias: ratio(totSigned, totActual), Coverage: ratio(float64(totCovered), float64(len(origins)))}
	ns := nw.score()
	res.New = PartScore{WAPE: ns.WAPE, Bias: ns.Bias, Coverage: ratio(float64(newCovered), float64(newCells))}
	res.Actual = cents(model50.actual)
	res.Seconds = time.Since(start).Seconds()
	return res, rows, nil
}

// bookReceipts is what the book's invoices brought in per week after t.
func (h *History) bookReceipts(t datasets.Date, book []Item, weeks int) []datasets.Money {
	out := make([]datasets.Money, weeks)
	for i := range book {
		h.inv[book[i].pos].receipts(t, out)
	}
	return out
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
