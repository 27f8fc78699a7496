package model

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model/gbdt"
	"github.com/dsopilot/dsopilot/model/peers"
)

// TrainOptions configure training.
type TrainOptions struct {
	// AsOf is the cut-off: nothing dated after it is used.
	AsOf datasets.Date
	// LookbackDays bounds the issue dates learned from (default 730).
	LookbackDays int
	// GraceDays: late means settled after due date + grace (default 0).
	GraceDays int
	// VeryLateDays: very late means more than this many days late (default 30).
	VeryLateDays int
	// ValidFraction is the most recent share of labelled invoices held out
	// for the reported validation: nothing is fitted, stopped, chosen or
	// calibrated on it (default 0.2).
	ValidFraction float64
	Seed          uint64
	// L2 is the ridge penalty of the logistic regression and the scorecard
	// (default 1e-3, on the mean loss of standardised features).
	L2   float64
	GBDT gbdt.Params
	// Families to compare (default gbdt and logistic).
	Families    []string
	MinExamples int // default 200
	MinEach     int // minimum examples of each class (default 20)
	// MaxInvoices caps the invoices learned from (default 100,000; negative
	// means no cap). A larger window is sampled by a hash of the invoice id
	// and Seed, every snapshot of a kept invoice staying in: the models
	// gain nothing measurable beyond this size (see the README's figures)
	// while training time grows with it.
	MaxInvoices int
	// Prior is the cold-start prior the models read on a small window
	// (peerprior.go; default DefaultPrior): PriorOff, PriorSegment or
	// PriorPeers, so that what each adds can be measured.
	Prior    ColdPrior
	Features features.Options
	// FX, when set, is the conversion the ledger was put through before
	// training (amount features then share one currency). It is recorded in
	// the bundle so that scoring converts the open book the same way.
	FX  *datasets.FX
	Log *slog.Logger
	// Progress, when set, is called at stage boundaries with the stage's
	// name and how many of its units are done.
	Progress func(stage string, done, total int64)
}

func (o TrainOptions) progress(stage string, done, total int64) {
	if o.Progress != nil {
		o.Progress(stage, done, total)
	}
}

func (o TrainOptions) withDefaults() TrainOptions {
	if o.LookbackDays == 0 {
		o.LookbackDays = 730
	}
	if o.VeryLateDays == 0 {
		o.VeryLateDays = 30
	}
	if o.ValidFraction == 0 {
		o.ValidFraction = 0.2
	}
	if o.L2 == 0 {
		// The penalty is on the mean loss of standardised features: 1e-3
		// steadies rare one-hot columns without shrinking real effects.
		o.L2 = 1e-3
	}

	if len(o.Families) == 0 {
		o.Families = []string{FamilyGBDT, FamilyLogistic, FamilyScorecard}
	}
	if o.Prior == "" {
		o.Prior = DefaultPrior
	}
	if o.MinExamples == 0 {
		o.MinExamples = 200
	}
	if o.MinEach == 0 {
		o.MinEach = 20
	}
	if o.MaxInvoices == 0 {
		o.MaxInvoices = 100_000
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	o.Features = o.Features.WithDefaults()
	o.Features.GraceDays = o.GraceDays
	return o
}

// Train learns a Bundle from the ledger index ix using only what was known
// at o.AsOf. The latest ValidFraction of the labelled invoices is held out
// for the reported validation and the importances; the families, their
// regularisation, the boosting rounds and the calibration are chosen on
// time-series folds of the rest (see planWindow).
func Train(ctx context.Context, ix *features.Index, o TrainOptions) (*Bundle, error) {
	d, err := NewTrainingData(o, ix.InvoicesIssued(TrainingWindow(o)))
	if err != nil {
		return nil, err
	}
	if err := d.Add(ix); err != nil {
		return nil, err
	}
	return d.Train(ctx)
}

// Train learns a Bundle from the examples gathered, as Train does from an
// index of the whole ledger.
func (d *TrainingData) Train(ctx context.Context) (*Bundle, error) {
	o, specs, from, share, start := d.o, d.specs, d.from, d.sample(), d.start
	all := d.examples()
	var err error
	const stages = trainStages
	o.Log.Info("training set", "snapshots", len(all), "parts", d.parts, "invoice_sample", share, "seconds", time.Since(start).Seconds())
	// Only invoices whose late label is settled at the cut-off for every
	// invoice of their issue date teach the classifier without bias: those
	// due (plus grace) before it. Later ones enter the pay-date model as
	// censored observations.
	// Snapshots taken after due + grace are late by definition: they teach
	// the classifier nothing.
	var known []features.Example
	for _, x := range all {
		lateAfter := x.DueDate.AddDays(o.GraceDays)
		if lateAfter < o.AsOf && x.AsOf <= lateAfter {
			known = append(known, x)
		}
	}
	sort.SliceStable(known, func(a, b int) bool { return known[a].IssueDate < known[b].IssueDate })
	if err := enough(known, func(x *features.Example) bool { return x.Late }, o, "late"); err != nil {
		return nil, err
	}
	plan := planWindow(known, o.ValidFraction)
	if o.GBDT.Trees == 0 {
		o.GBDT = gbdtDefaults(len(plan.fit))
	}
	if len(plan.folds) == 0 || len(plan.report) == 0 {
		return nil, fmt.Errorf("%w: %d invoices with a known outcome cannot be cut into training folds and a held-out slice", ErrTooLittleData, len(known))
	}
	rows := make([]features.Row, len(plan.fit))
	for i := range plan.fit {
		rows[i] = plan.fit[i].Row
	}
	// On a small window the models also read the cold-start prior; xplan
	// holds the examples they learn from, the catalogue's features and then
	// it.
	xplan, modelSpecs := plan, specs
	var peerHist *peerHistory
	var peersAsOf *peers.Set
	if rr, ok := newRowReader(specs, o.Features.Longest()); ok && o.Prior != PriorOff && len(plan.fit) < smallWindow {
		if peerHist, peersAsOf, err = d.peerHistory(); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		if peerHist.any() {
			if xplan.fit, err = withPrior(o.Prior, plan.fit, rr, peerHist); err != nil {
				return nil, fmt.Errorf("train: %w", err)
			}
			if xplan.report, err = withPrior(o.Prior, plan.report, rr, peerHist); err != nil {
				return nil, fmt.Errorf("train: %w", err)
			}
			modelSpecs = append(specs[:len(specs):len(specs)], o.Prior.spec())
		} else {
			peerHist = nil
		}
	}
	xrows := make([]features.Row, len(xplan.fit))
	for i := range xplan.fit {
		xrows[i] = xplan.fit[i].Row
	}
	enc, err := FitEncoder(modelSpecs, xrows)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	b := &Bundle{Encoder: enc, Options: BundleOptions{AsOf: o.AsOf.String(), GraceDays: o.GraceDays, VeryLateDays: o.VeryLateDays, Features: o.Features, Seed: o.Seed, FX: o.FX},
		TrainWindow: [2]string{firstIssue(from, plan.fit, plan.report).String(), o.AsOf.String()}, TrainExample: len(plan.fit), ValidExample: len(plan.report), Sample: share,
		Folds: len(plan.folds)}
	b.SegmentLate = segmentRates(specs, plan.fit)
	b.PortfolioLate = portfolioRate(plan.fit)
	b.Assumptions = d.assumptions
	if peerHist != nil {
		b.Prior, b.Peers = o.Prior, peersAsOf
	}

	o.progress("late-payment model", 1, stages)
	late := func(x *features.Example) bool { return x.Late }
	ch, cands, err := champion(ctx, enc, modelSpecs, xplan, late, o)
	if err != nil {
		return nil, fmt.Errorf("train late model: %w", err)
	}
	b.Candidates, b.Champion = cands, ch.cv.s.family
	o.Log.Info("late-payment champion", "family", b.Champion, "setting", ch.cv.s.name, "folds", len(plan.folds), "candidates", b.Candidates, "seconds", time.Since(start).Seconds())
	// The threshold the validation calls late at: chosen on the folds'
	// issue-date predictions, calibrated across folds (threshold.go).
	foldP, foldY, foldOf := issueDateRows(xplan.fit, ch.cv.rows, ch.crossCalibrated(o), ch.cv.y, ch.cv.ends)
	tc := chooseThreshold(foldP, foldY, foldOf)
	b.LateThreshold, b.ThresholdExamples = tc.T, tc.N
	o.Log.Info("late threshold on the folds", "threshold", tc.T, "predictions", tc.N, "accuracy", tc.Acc, "accuracy_at_0.5", tc.AccHalf)

	o.progress("pay-date model", 2, stages)
	if b.PayDateEnc, err = payDateEncoder(specs, rows); err != nil {
		return nil, fmt.Errorf("train pay-date model: %w", err)
	}
	// The pay-date model learns from every snapshot but those of the
	// held-out invoices, so that the reported days-late error is out of
	// sample too.
	held := make(map[string]bool, len(plan.report))
	for _, x := range plan.report {
		held[x.InvoiceID] = true
	}
	var payRows []features.Example
	for _, x := range all {
		if !held[x.InvoiceID] {
			payRows = append(payRows, x)
		}
	}
	if b.PayDate, err = trainPayDate(ctx, b.PayDateEnc, payRows, o); err != nil {
		return nil, fmt.Errorf("train pay-date model: %w", err)
	}
	// The overdue survival learns from the same invoices (see
	// paydate_overdue.go), censored at the cut-off.
	if b.OverdueSurvival, err = overdueSurvival(payRows); err != nil {
		return nil, fmt.Errorf("train pay-date model: %w", err)
	}
	if b.OverdueScaled, err = overdueScaled(payRows, specs, overdueScaleBase, 0, overdueScaleOffset, overdueScaleStep); err != nil {
		return nil, fmt.Errorf("train pay-date model: %w", err)
	}
	o.Log.Info("pay-date model", "seconds", time.Since(start).Seconds())

	// The reported validation: the chosen setting as fitted on the fit
	// window, on the held-out invoices that no fit, stop, choice or
	// calibration saw.
	o.progress("validation", 3, stages)
	b.Late, b.VeryLate = ch.model, priorClassifier(0, 1)
	var reportP, reportY []float64
	if b.Validation, reportP, reportY, err = evaluatePredictions(b, plan.report, peerHist); err != nil {
		return nil, fmt.Errorf("train: validate: %w", err)
	}
	// The bundle's threshold is chosen again with the held-out invoices'
	// predictions, out of sample as the folds' are, as the bundle's model
	// learns from them too.
	// The held-out invoices count as one more fold.
	reportFold := make([]int, len(reportP))
	for i := range reportFold {
		reportFold[i] = len(ch.cv.ends)
	}
	tc = chooseThreshold(append(foldP, reportP...), append(foldY, reportY...), append(foldOf, reportFold...))
	b.LateThreshold, b.ThresholdExamples = tc.T, tc.N
	o.Log.Info("late threshold", "threshold", tc.T, "predictions", tc.N, "accuracy", tc.Acc, "accuracy_at_0.5", tc.AccHalf)
	// The bundle's model then learns from the held-out invoices too.
	if b.Late, err = ch.bundleModel(ctx, enc, xplan.report, len(plan.folds), late, o); err != nil {
		return nil, fmt.Errorf("train late model: %w", err)
	}
	o.Log.Info("late-payment model completed with the held-out invoices", "seconds", time.Since(start).Seconds())

	xknown := append(xplan.fit[:len(xplan.fit):len(xplan.fit)], xplan.report...)
	// The very-late and 90+ models boost faster than the late-payment
	// model: their probabilities are secondary, and every tree of theirs
	// costs scoring time (at the late model's rate they grew 270 and 73
	// trees where it grew 178).
	secondary := ch.cv.s
	if secondary.family == FamilyGBDT {
		secondary.gbdt.LearningRate, secondary.gbdt.Trees, secondary.gbdt.EarlyStopping = max(secondary.gbdt.LearningRate, 0.15), 300, 30
	}
	o.progress("very-late model", 4, stages)
	// Very late needs invoices whose very-late line has passed by the
	// cut-off: one due a week before it and still open may yet be.
	veryLate := func(x *features.Example) bool { return x.DaysLate > o.VeryLateDays }
	var xknownVL []features.Example
	for _, x := range xknown {
		if x.DueDate.AddDays(o.VeryLateDays) < o.AsOf {
			xknownVL = append(xknownVL, x)
		}
	}
	var why string
	if b.VeryLate, why, err = fitOutcome(ctx, enc, secondary, xknownVL, veryLate, o); err != nil {
		return nil, fmt.Errorf("train very-late model: %w", err)
	}
	if b.VeryLate == nil {
		n := 0
		for i := range xknownVL {
			if veryLate(&xknownVL[i]) {
				n++
			}
		}
		b.VeryLate = priorClassifier(n, max(1, len(xknownVL)))
		b.Skipped = append(b.Skipped, fmt.Sprintf("very-late model: %s were more than %d days late, too few to learn from; it predicts their share", why, o.VeryLateDays))
		o.Log.Warn("very-late model not trained", "why", why)
	}
	o.Log.Info("very-late model", "seconds", time.Since(start).Seconds())

	o.progress("90+ model", 5, stages)
	// 90+ needs invoices whose 90 days past due have passed by the cut-off.
	var xknown90 []features.Example
	for _, x := range xknown {
		if x.DueDate.AddDays(default90Days) < o.AsOf {
			xknown90 = append(xknown90, x)
		}
	}
	d90 := func(x *features.Example) bool { return x.DaysLate > default90Days }
	// Kept only when it holds on customers held out, else a share of the
	// very-late probability: see default90.go.
	if b.Default90, b.Default90OfVeryLate, why, err = fitDefault90(ctx, enc, secondary, xknown90, d90, o); err != nil {
		return nil, fmt.Errorf("train 90+ model: %w", err)
	}
	if b.Default90OfVeryLate != nil {
		past90, ok := features.Find(specs, "invoices_past_90", 0)
		if !ok {
			past90 = -1
		}
		r, h := ofVeryLateByHistory(xknown90, d90, o.VeryLateDays, o.MinEach, past90)
		b.Default90OfVeryLate, b.Default90OfVeryLatePast90 = &r, h
		if h != nil {
			o.Log.Info("90+ share of the very-late probability by the customer's own 90+ history", "without", r, "with", *h)
		} else {
			o.Log.Info("90+ share of the very-late probability: one for every customer", "share", r)
		}
		// The customer's own share, kept when it wins on the folds: see
		// default90_customer.go.
		if c := fitCustomer90(all, specs, d90, o.VeryLateDays, o.AsOf); c != nil {
			b.Default90Customer = c
			o.Log.Info("90+ share of the very-late probability per customer", "kept", c.Kept, "gain", c.Gain, "intercept", c.Intercept, "weights", c.Coef, "prior_mean", c.PriorMean, "prior_strength", c.PriorStrength)
		}
	}
	if b.Default90 != nil {
		// A customer that has stopped paying: see default90_stopped.go.
		if b.Default90Stopped = fitStopped(all, specs, d90, o.AsOf); b.Default90Stopped != nil {
			o.Log.Info("90+ share of customers that stopped paying", "share", b.Default90Stopped.Share, "customers", b.Default90Stopped.Customers, "invoices", b.Default90Stopped.Invoices, "positives", b.Default90Stopped.Positives)
		} else {
			o.Log.Warn("90+: no customer stopped paying in the training window's history; such customers' 90+ probabilities are the model's own")
		}
	}
	if b.Default90 == nil {
		b.Skipped = append(b.Skipped, fmt.Sprintf("90+ model: %s ended more than 90 days late, too few to learn from; scores carry no 90+ probability", why))
		o.Log.Warn("90+ model not trained", "why", why)
	}
	o.Log.Info("90+ model", "seconds", time.Since(start).Seconds())

	if b.Importance, err = importance(b, xplan.report); err != nil {
		return nil, fmt.Errorf("train: importance: %w", err)
	}
	o.progress("done", stages, stages)
	return b, nil
}

// gbdtDefaults are the boosting parameters for a fit window of n examples:
// a slow learning rate with row and column subsampling (each tree costs
// less for it). On the simulated ledgers learning rate 0.08 brought the mean
// gap to the true probabilities from 0.071 to 0.065 (seed 3, against 0.15)
// and 0.05 to 0.066 on seeds 9 and 21 (0.069, 0.068 at 0.08); a window of
// more than largeWindow examples learns at 0.08, which keeps training on a
// 1M-invoice ledger within its minute.
func gbdtDefaults(n int) gbdt.Params {
	p := gbdt.Params{Trees: 1000, MaxDepth: 5, LearningRate: 0.05, MinChildWeight: 10, Lambda: 2, MaxBins: 128, Subsample: 0.8, ColSample: 0.8, EarlyStopping: 60}
	if n > largeWindow {
		p.Trees, p.LearningRate, p.EarlyStopping = 600, 0.08, 40
	}
	return p
}

// largeWindow is the fit window above which boosting learns faster.
const largeWindow = 150_000

func isTooLittle(err error) bool { return errors.Is(err, ErrTooLittleData) }

// enough fails with a message naming what is missing.
func enough(xs []features.Example, pos func(*features.Example) bool, o TrainOptions, what string) error {
	p := 0
	for i := range xs {
		if pos(&xs[i]) {
			p++
		}
	}
	switch {
	case len(xs) < o.MinExamples:
		return fmt.Errorf("%w: %d invoices with a known %s outcome (due before the cut-off) in the window, need at least %d: use a longer history or a later --as-of",
			ErrTooLittleData, len(xs), what, o.MinExamples)
	case p < o.MinEach:
		return fmt.Errorf("%w: only %d of %d invoices were %s, need at least %d of each outcome", ErrTooLittleData, p, len(xs), what, o.MinEach)
	case len(xs)-p < o.MinEach:
		return fmt.Errorf("%w: only %d of %d invoices were not %s, need at least %d of each outcome", ErrTooLittleData, len(xs)-p, len(xs), what, o.MinEach)
	}
	return nil
}

// segmentRates is each segment's share of late invoices in training, the
// fallback evidence for customers without history.
func segmentRates(specs []features.Spec, xs []features.Example) map[string]float64 {
	seg, ok := features.Find(specs, "inv_segment", 0)
	n, late := map[string]float64{}, map[string]float64{}
	for _, x := range xs {
		k := ""
		if ok {
			k = x.Cat[seg]
		}
		n[k]++
		if x.Late {
			late[k]++
		}
	}
	out := map[string]float64{}
	for k, v := range n {
		out[k] = late[k] / v
	}
	return out
}

// portfolioRate is the share of xs paid late; nil when xs is empty.
func portfolioRate(xs []features.Example) *float64 {
	if len(xs) == 0 {
		return nil
	}
	late := 0
	for i := range xs {
		if xs[i].Late {
			late++
		}
	}
	v := float64(late) / float64(len(xs))
	return &v
}

// firstIssue is the earliest issue date of the examples learned from,
// or from when there are none: the training window as the ledger fills
// it, not the lookback reaching back before its first invoice.
func firstIssue(from datasets.Date, sets ...[]features.Example) datasets.Date {
	first := datasets.Date(0)
	for _, xs := range sets {
		for i := range xs {
			if d := xs[i].IssueDate; first == 0 || d < first {
				first = d
			}
		}
	}
	if first == 0 || first < from {
		return from
	}
	return first
}
