package model

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model/calib"
	"github.com/dsopilot/dsopilot/model/gbdt"
	"github.com/dsopilot/dsopilot/model/linear"
	"github.com/dsopilot/dsopilot/model/metrics"
)

// Sentinel errors of training.
var (
	// ErrTooLittleData means the training window cannot support a model.
	ErrTooLittleData = errors.New("not enough data to train")
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
	// to choose the champion and calibrate it (default 0.2).
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
	Features    features.Options
	// FX, when set, is the conversion the ledger was put through before
	// training (amount features then share one currency). It is recorded in
	// the bundle so that scoring converts the open book the same way.
	FX  *datasets.FX
	Log *slog.Logger
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
	if o.GBDT.Trees == 0 {
		o.GBDT = gbdt.Params{Trees: 300, MaxDepth: 5, LearningRate: 0.15, MinChildWeight: 5, Lambda: 1, MaxBins: 128, Subsample: 1, ColSample: 1, EarlyStopping: 30}
	}
	if len(o.Families) == 0 {
		o.Families = []string{FamilyGBDT, FamilyLogistic, FamilyScorecard}
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

// Candidate is one family's validation result.
type Candidate struct {
	Family  string  `json:"family"`
	AUC     float64 `json:"auc"`
	LogLoss float64 `json:"log_loss"`
	Brier   float64 `json:"brier"`
}

// Bundle is a trained model set: late, very late and 90+ classifiers, the
// pay-date hazard, the encoder and the evidence of how they did.
type Bundle struct {
	Encoder      *Encoder           `json:"encoder"`
	Late         *Classifier        `json:"late"`
	VeryLate     *Classifier        `json:"very_late"`
	Default90    *Classifier        `json:"default_90"`
	PayDate      *linear.Hazard     `json:"pay_date"`
	PayDateEnc   *Encoder           `json:"pay_date_encoder"`
	SegmentLate  map[string]float64 `json:"segment_late_rate"`
	Champion     string             `json:"champion"`
	Candidates   []Candidate        `json:"candidates"`
	Validation   Metrics            `json:"validation"`
	Options      BundleOptions      `json:"options"`
	TrainWindow  [2]string          `json:"train_window"`
	TrainExample int                `json:"train_examples"`
	ValidExample int                `json:"valid_examples"`
	// Importance is the late-payment model's global explanation: each
	// feature's mean absolute contribution to the score on the held-out
	// invoices, as a share of the total, largest first.
	Importance []FeatureWeight `json:"importance"`
	// Sample is the share of the window's invoices learned from (1 = all;
	// 0 in bundles trained before sampling existed, which used all).
	Sample float64 `json:"invoice_sample"`
	// Assumptions name what the training took on trust about data that
	// carries no date (see Assumptions); the CLI prints them.
	Assumptions []string `json:"assumptions,omitempty"`
}

// Assumptions names, for a credit manager, how the features read statuses
// that carry no date on this ledger: the invoices' disputed flag, when it
// stands in for dispute records, is known only as of the ledger's own date
// unless the user stated when disputes open.
func Assumptions(ix *features.Index, o features.Options) []string {
	used, from := ix.DisputeFlags()
	if !used {
		return nil
	}
	if n := o.DisputeOpenedAfterDays; n != nil {
		return []string{fmt.Sprintf("no dispute records: an invoice's disputed flag is assumed known %d days after its issue date (--dispute-opened-after-days %d)", *n, *n)}
	}
	return []string{fmt.Sprintf("no dispute records: the invoices' disputed flag carries no date, so it is read only as of %s, the ledger's latest date (give --dispute-opened-after-days N to assume disputes open N days after issue)", from)}
}

// BundleOptions are the options a bundle needs again at scoring time.
type BundleOptions struct {
	AsOf         string           `json:"as_of"`
	GraceDays    int              `json:"grace_days"`
	VeryLateDays int              `json:"very_late_days"`
	Features     features.Options `json:"features"`
	Seed         uint64           `json:"seed"`
	// FX is the currency conversion the training ledger went through, which
	// scoring applies to the open book; nil when amounts were used as they
	// were.
	FX *datasets.FX `json:"fx,omitempty"`
}

// examples builds the labelled training rows known at o.AsOf.
type labelled struct {
	specs []features.Spec
	rows  []features.Example
}

// Train learns a Bundle from the ledger index ix using only what was known
// at o.AsOf.
func Train(ctx context.Context, ix *features.Index, o TrainOptions) (*Bundle, error) {
	o = o.withDefaults()
	if o.AsOf == 0 {
		return nil, fmt.Errorf("train: no as-of date")
	}
	eng := features.NewEngine(ix, o.Features)
	from := o.AsOf.AddDays(-o.LookbackDays)
	start := time.Now()
	share := 1.0
	if n := ix.InvoicesIssued(from, o.AsOf); o.MaxInvoices > 0 && n > o.MaxInvoices {
		share = float64(o.MaxInvoices) / float64(n)
	}
	// Besides the issue date, each invoice is described a week before its
	// due date and 7 and 30 days after it, so that the pay-date model knows
	// invoices of every age, as it meets them when scoring an open book.
	specs, all, err := eng.TrainingSet(features.TrainingOptions{From: from, To: o.AsOf, Cutoff: o.AsOf, GraceDays: o.GraceDays,
		DaysBeforeDue: []int{7, -7, -30}, Sample: share, SampleSeed: o.Seed})
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	o.Log.Info("training set", "snapshots", len(all), "invoice_sample", share, "seconds", time.Since(start).Seconds())
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
	nValid := int(float64(len(known)) * o.ValidFraction)
	if nValid < o.MinEach*2 {
		nValid = min(len(known)/3, o.MinEach*2)
	}
	train, valid := known[:len(known)-nValid], known[len(known)-nValid:]
	rows := make([]features.Row, len(train))
	for i := range train {
		rows[i] = train[i].Row
	}
	enc, err := FitEncoder(specs, rows)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	b := &Bundle{Encoder: enc, Options: BundleOptions{AsOf: o.AsOf.String(), GraceDays: o.GraceDays, VeryLateDays: o.VeryLateDays, Features: o.Features, Seed: o.Seed, FX: o.FX},
		TrainWindow: [2]string{from.String(), o.AsOf.String()}, TrainExample: len(train), ValidExample: len(valid), Sample: share}
	b.SegmentLate = segmentRates(specs, train)
	b.Assumptions = Assumptions(ix, o.Features)

	late := func(x *features.Example) bool { return x.Late }
	b.Late, b.Candidates, err = champion(ctx, enc, train, valid, late, o)
	if err != nil {
		return nil, fmt.Errorf("train late model: %w", err)
	}
	b.Champion = b.Late.Family
	o.Log.Info("late-payment champion", "family", b.Champion, "candidates", b.Candidates, "seconds", time.Since(start).Seconds())

	veryLate := func(x *features.Example) bool { return x.DaysLate > o.VeryLateDays }
	if b.VeryLate, err = fitFamily(ctx, enc, b.Champion, train, valid, veryLate, o); err != nil {
		return nil, fmt.Errorf("train very-late model: %w", err)
	}
	// 90+ needs invoices whose 90 days past due have passed by the cut-off.
	var tr90, va90 []features.Example
	for _, x := range train {
		if x.DueDate.AddDays(90) < o.AsOf {
			tr90 = append(tr90, x)
		}
	}
	for _, x := range valid {
		if x.DueDate.AddDays(90) < o.AsOf {
			va90 = append(va90, x)
		}
	}
	d90 := func(x *features.Example) bool { return x.DaysLate > 90 }
	if len(va90) < o.MinEach {
		tr90, va90 = splitTail(tr90, o.ValidFraction)
	}
	o.Log.Info("very-late model", "seconds", time.Since(start).Seconds())
	if b.Default90, err = fitFamily(ctx, enc, b.Champion, tr90, va90, d90, o); err != nil {
		o.Log.Warn("90+ model not trained", "err", err)
		b.Default90 = nil
	}
	o.Log.Info("90+ model", "seconds", time.Since(start).Seconds())
	if b.PayDateEnc, err = payDateEncoder(specs, rows); err != nil {
		return nil, fmt.Errorf("train pay-date model: %w", err)
	}
	if b.PayDate, err = trainPayDate(ctx, b.PayDateEnc, all, o); err != nil {
		return nil, fmt.Errorf("train pay-date model: %w", err)
	}
	o.Log.Info("pay-date model", "seconds", time.Since(start).Seconds())
	b.Validation = evaluate(b, valid, o.GraceDays)
	b.Importance = importance(b, valid)
	return b, nil
}

func splitTail(xs []features.Example, frac float64) (head, tail []features.Example) {
	n := int(float64(len(xs)) * frac)
	return xs[:len(xs)-n], xs[len(xs)-n:]
}

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

// design encodes examples for a family.
func design(enc *Encoder, family string, xs []features.Example, label func(*features.Example) bool) ([][]float64, []float64) {
	X := make([][]float64, len(xs))
	y := make([]float64, len(xs))
	for i := range xs {
		X[i] = enc.encode(family, nil, &xs[i].Row)
		if label(&xs[i]) {
			y[i] = 1
		}
	}
	return X, y
}

// champion trains every family, compares them on the validation slice and
// returns the best by AUC (ties: lower log loss), calibrated on that slice.
func champion(ctx context.Context, enc *Encoder, train, valid []features.Example, label func(*features.Example) bool, o TrainOptions) (*Classifier, []Candidate, error) {
	var best *Classifier
	var cands []Candidate
	bestAUC, bestLL := -1.0, math.Inf(1)
	for _, fam := range o.Families {
		c, err := fitFamily(ctx, enc, fam, train, valid, label, o)
		if err != nil {
			return nil, nil, err
		}
		X, y := design(enc, fam, valid, label)
		p := make([]float64, len(X))
		for i := range X {
			p[i] = sigmoid(c.Margin(X[i]))
		}
		cand := Candidate{Family: fam, AUC: metrics.AUC(p, y, nil), LogLoss: metrics.LogLoss(p, y), Brier: metrics.Brier(p, y)}
		cands = append(cands, cand)
		if cand.AUC > bestAUC+1e-9 || (math.Abs(cand.AUC-bestAUC) <= 1e-9 && cand.LogLoss < bestLL) {
			best, bestAUC, bestLL = c, cand.AUC, cand.LogLoss
		}
	}
	return best, cands, nil
}

// fitFamily trains one family and calibrates it isotonically on valid.
func fitFamily(ctx context.Context, enc *Encoder, fam string, train, valid []features.Example, label func(*features.Example) bool, o TrainOptions) (*Classifier, error) {
	if err := enough(train, label, TrainOptions{MinExamples: o.MinExamples / 2, MinEach: max(1, o.MinEach/2)}, "positive"); err != nil {
		return nil, err
	}
	X, y := design(enc, fam, train, label)
	VX, vy := design(enc, fam, valid, label)
	c, err := trainClassifier(ctx, fam, X, y, VX, vy, enc.columns(fam), o)
	if err != nil {
		return nil, err
	}
	if len(VX) > 0 {
		m := make([]float64, len(VX))
		for i := range VX {
			m[i] = c.Margin(VX[i])
		}
		if pl, err := calib.FitPlatt(m, vy, nil); err == nil {
			c.Platt = &pl
		} else {
			o.Log.Warn("calibration skipped", "family", fam, "err", err)
		}
	}
	return c, nil
}

// segmentRates is each segment's share of late invoices in training, the
// fallback evidence for customers without history.
func segmentRates(specs []features.Spec, xs []features.Example) map[string]float64 {
	seg := -1
	ci := 0
	for _, s := range specs {
		if s.Kind == features.Categorical {
			if s.Name == "inv_segment" {
				seg = ci
			}
			ci++
		}
	}
	n, late := map[string]float64{}, map[string]float64{}
	for _, x := range xs {
		k := ""
		if seg >= 0 {
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

// trainPayDate fits the weekly hazard of payment from the issue date, with
// invoices still open at the cut-off as censored observations.
func trainPayDate(ctx context.Context, enc *Encoder, xs []features.Example, o TrainOptions) (*linear.Hazard, error) {
	var X [][]float64
	var dur []int
	var ev []bool
	for i := range xs {
		x := &xs[i]
		t := x.AsOf
		if x.Censored {
			weeks := int(o.AsOf-t) / 7
			if weeks < 1 {
				continue // not one full week observed: no information
			}
			X = append(X, enc.EncodeLinear(nil, &x.Row))
			dur = append(dur, min(weeks, payDatePeriods))
			ev = append(ev, false)
			continue
		}
		days := int(x.IssueDate.AddDays(x.DaysToPay) - t)
		week := days/7 + 1
		X = append(X, enc.EncodeLinear(nil, &x.Row))
		if week > payDatePeriods {
			dur, ev = append(dur, payDatePeriods), append(ev, false)
		} else {
			dur, ev = append(dur, week), append(ev, true)
		}
	}
	return linear.TrainHazard(ctx, X, dur, ev, linear.HazardOptions{Periods: payDatePeriods, L2: o.L2, MaxRows: 1_000_000, Seed: o.Seed, MaxIter: 200, Tol: 1e-5})
}

// payDateFeatures are the features of the pay-date hazard: the customer's
// payment timing, the invoice's age and terms, and what holds payment back.
// A compact set keeps the hazard fit fast on millions of invoice-weeks.
func payDateFeatures(o features.Options) []string {
	var names []string
	for _, w := range o.WithDefaults().Windows {
		for _, f := range []string{"late_ratio", "days_late_mean", "days_late_p90", "days_to_pay_mean", "days_to_pay_median", "invoices_settled", "dunning_response_rate"} {
			names = append(names, fmt.Sprintf("%s_%dd", f, w))
		}
	}
	return append(names, "last3_days_late_mean", "inv_days_to_due", "inv_age_days", "inv_terms_days", "inv_amount",
		"inv_amount_vs_usual", "inv_outstanding", "inv_disputed", "inv_due_month_end", "overdue_amount", "oldest_overdue_days",
		"disputes_open", "credit_utilisation", "days_since_last_payment", "tenure_days", "promise_kept_rate_365d")
}

// payDateEncoder fits the linear encoding of the pay-date features.
func payDateEncoder(specs []features.Spec, rows []features.Row) (*Encoder, error) {
	want := map[string]bool{}
	for _, n := range payDateFeatures(features.Options{}) {
		want[n] = true
	}
	var sub []features.Spec
	var keep []int
	ni := 0
	for _, s := range specs {
		if s.Kind != features.Numeric {
			continue
		}
		if want[s.Name] {
			sub = append(sub, s)
			keep = append(keep, ni)
		}
		ni++
	}
	proj := make([]features.Row, len(rows))
	for i := range rows {
		proj[i] = project(&rows[i], keep)
	}
	enc, err := FitEncoder(sub, proj)
	if err != nil {
		return nil, err
	}
	enc.Keep = keep
	return enc, nil
}

// project keeps the numeric values at positions keep.
func project(r *features.Row, keep []int) features.Row {
	out := features.Row{CustomerID: r.CustomerID, InvoiceID: r.InvoiceID, AsOf: r.AsOf, Num: make([]float64, len(keep))}
	for j, k := range keep {
		out.Num[j] = r.Num[k]
	}
	return out
}

// payDatePeriods is the pay-date horizon in weeks: a 13-week cash forecast.
const payDatePeriods = 13
