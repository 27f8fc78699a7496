package credit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model/gbdt"
	"github.com/dsopilot/dsopilot/recommender"
)

// errTooFewDefaults: the ledger has too few defaults to learn a default
// model from (LearnedRisk then falls back).
var errTooFewDefaults = errors.New("too few defaults to learn from")

// The default model's inputs: how a customer pays and owes, as features
// defines them. Missing values (no settlement in the window) are 0, with
// noHistory saying so. The share of its limit in use (credit_utilisation)
// is not one: the PD sizes the limit (the risk appetite's cap), so a PD
// reading the limit feeds the policy's own decisions back into the risk it
// sizes them by: a cut raised the utilisation, which raised the PD at the
// next weekly review, which cut again (and a raise the other way), and a
// limit of 0 read as none in use, the safest. (In the credit simulation's
// seed 55 a customer that never defaulted had its limit swing 2.92M →
// 235k → 1.48M in 12 weeks with its PD.)
var defaultModelFeatures = []string{
	"days_late_mean_90d", "days_late_trend", "last3_vs_window", "late_ratio_90d",
	"partial_payment_share_365d", "promises_broken_365d", "oldest_overdue_days",
}

// Default-model settings.
const (
	pdHorizonMonths  = 12 // the PD is of a default within a year
	pdLookbackMonths = 12 // snapshots of the last year learn
	pdMinDefaults    = 10 // fewer default events: no model
	dpdDefault       = 90 // days past due that count as a default
)

// pdTrees are the default model's trees: few and shallow, for a few dozen
// default events among thousands of customer-months. They rank defaults
// better than a logistic regression on the same inputs (on the simulator's
// tuning seeds 1 and 2, out of time: AUC 0.90–0.91 against 0.87–0.89), whose
// straight lines miss that partial payments matter only when frequent.
var pdTrees = gbdt.Params{Trees: 150, MaxDepth: 3, LearningRate: 0.05, MinChildWeight: 1, Lambda: 1, MaxBins: 64, Subsample: 1, ColSample: 1}

// DefaultModel is a customer's probability of default within a year, from
// its payment behaviour: gradient-boosted trees (model/gbdt), fitted on the
// ledger's own month-end snapshots, of "defaults within the next 30 days"
// on defaultModelFeatures, turned into a year's probability as
// 1 − (1 − h)^12.
// A default is a loss event: a write-off, a credit decision for default or
// insolvency, or a credit hold. Debt 90+ days overdue is not one: most of it
// is paid in the end (by slow payers who never lose anyone a cent), and
// counting it made every slow payer a defaulter whose limit the risk
// appetite cut; it enters as a predictor (oldest_overdue_days) and through
// the hard rule that freezes increases.
//
// The payment model's probability that an invoice ends 90+ days overdue is
// the chance of a loss on that invoice; it stays low for a customer in
// distress until it defaults, because most of its invoices are still paid
// (late). The credit limit weighs the customer's risk over the life of its
// exposure, which this model is for.
type DefaultModel struct {
	m      interface{ Predict(x []float64) float64 }
	Events int // default events it learnt from
	Rows   int // customer-months
}

var _ RiskSource = (*DefaultModel)(nil)

// defaultDays returns each customer's default day known by the end of
// asOf: its first write-off (against the written-off invoice's customer,
// datasets.Ledger.CreditNoteOwner), credit decision for default or
// insolvency, or credit hold.
func defaultDays(l *datasets.Ledger, asOf datasets.Date) map[string]datasets.Date {
	out := map[string]datasets.Date{}
	note := func(id string, d datasets.Date) {
		if d <= asOf && (out[id] == 0 || d < out[id]) {
			out[id] = d
		}
	}
	owner := l.CreditNoteOwner()
	for i := range l.CreditNotes {
		// Implied write-offs are no default events (see events in
		// account.go).
		if n := &l.CreditNotes[i]; n.RecordsDefault() {
			note(owner(n), n.Date)
		}
	}
	for i := range l.CreditDecisions {
		d := &l.CreditDecisions[i]
		if d.RecordsDefault() {
			note(d.CustomerID, d.Date)
		}
	}
	for i := range l.Actions {
		if a := &l.Actions[i]; a.Type == "credit_hold" {
			note(a.CustomerID, a.Date)
		}
	}
	return out
}

// pdFeatures reads the model's inputs from a customer feature table.
type pdFeatures struct {
	col       []int
	issued365 int
	settled90 int
}

func newPDFeatures(specs []features.Spec) (pdFeatures, error) {
	col, err := columns(specs, append(defaultModelFeatures, "invoices_issued_365d", "invoices_settled_90d", "open_amount")...)
	if err != nil {
		return pdFeatures{}, err
	}
	n := len(defaultModelFeatures)
	return pdFeatures{col: col[: n+1 : n+1], issued365: col[n], settled90: col[n+1]}, nil
}

// row returns the inputs of r, and whether the customer is active (issued
// in the year or owes something).
func (f pdFeatures) row(r *features.Row) ([]float64, bool) {
	x := make([]float64, len(defaultModelFeatures)+1)
	for i, c := range f.col[:len(defaultModelFeatures)] {
		v := r.Num[c]
		if math.IsNaN(v) || math.IsInf(v, 0) {
			v = 0
		}
		switch defaultModelFeatures[i] {
		case "oldest_overdue_days":
			v = min(v, 180)
		}
		x[i] = v
	}
	if r.Num[f.settled90] == 0 {
		x[len(x)-1] = 1 // no settlement in 90 days
	}
	open := r.Num[f.col[len(f.col)-1]]
	return x, r.Num[f.issued365] > 0 || open > 0
}

// TrainDefaultModel fits the default model on what was known by the end of
// asOf: month-end snapshots of the last year, each customer not yet in
// default labelled by whether it defaulted within the next 30 days.
func TrainDefaultModel(ctx context.Context, l *datasets.Ledger, asOf datasets.Date) (*DefaultModel, error) {
	return trainDefaultModel(ctx, features.WholeLedger(l), asOf)
}

// trainDefaultModel is TrainDefaultModel over a ledger read in parts of
// whole customers (features.Parts). The snapshots are put back in the
// whole ledger's order (month, then customer) before the fit, so that
// whatever it adds up over the rows is added in the same order.
func trainDefaultModel(ctx context.Context, parts features.Parts, asOf datasets.Date) (*DefaultModel, error) {
	type snapshot struct {
		k        int
		customer string
		x        []float64
		y        float64
	}
	var (
		rows   []snapshot
		events int
	)
	err := parts(func(l *datasets.Ledger, whole features.LedgerFacts) error {
		dd := defaultDays(l, asOf)
		eng := features.NewEngine(features.NewPartIndex(l, whole), features.Options{Windows: []int{90, 365}})
		var f pdFeatures
		for k := 1; k <= pdLookbackMonths; k++ {
			t := asOf.AddDays(-30 * k)
			tab := eng.Customers(t)
			if k == 1 {
				var err error
				if f, err = newPDFeatures(tab.Specs); err != nil {
					return err
				}
			}
			for i := range tab.Rows {
				r := &tab.Rows[i]
				d, defaulted := dd[r.CustomerID]
				if defaulted && d <= t {
					continue
				}
				x, active := f.row(r)
				if !active {
					continue
				}
				label := 0.0
				if defaulted && d <= t.AddDays(30) {
					label, events = 1, events+1
				}
				rows = append(rows, snapshot{k, r.CustomerID, x, label})
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(rows, func(a, b snapshot) int { return cmp.Or(cmp.Compare(a.k, b.k), cmp.Compare(a.customer, b.customer)) })
	X, y := make([][]float64, len(rows)), make([]float64, len(rows))
	for i, r := range rows {
		X[i], y[i] = r.x, r.y
	}
	return fitDefaultModel(ctx, X, y, events, asOf)
}

// fitDefaultModel fits the default model as of asOf on its snapshots,
// with events default events among them.
func fitDefaultModel(ctx context.Context, X [][]float64, y []float64, events int, asOf datasets.Date) (*DefaultModel, error) {
	if events < pdMinDefaults {
		return nil, &tooFewDefaults{events: events, asOf: asOf}
	}
	m, err := gbdt.Train(ctx, X, y, nil, nil, pdTrees)
	if err != nil {
		return nil, fmt.Errorf("fit the default model: %w", err)
	}
	return &DefaultModel{m: m, Events: events, Rows: len(X)}, nil
}

// CustomerRisk gives every customer not in default at asOf its probability
// of default within a year.
func (dm *DefaultModel) CustomerRisk(ctx context.Context, l *datasets.Ledger, asOf datasets.Date) (map[string]Risk, error) {
	return dm.CustomerRiskParts(ctx, features.WholeLedger(l), asOf)
}

// CustomerRiskParts is CustomerRisk over a ledger read in parts: a
// customer's probability is its own records'.
func (dm *DefaultModel) CustomerRiskParts(ctx context.Context, parts features.Parts, asOf datasets.Date) (map[string]Risk, error) {
	out := map[string]Risk{}
	err := parts(func(l *datasets.Ledger, whole features.LedgerFacts) error {
		dd := defaultDays(l, asOf)
		tab := features.NewEngine(features.NewPartIndex(l, whole), features.Options{Windows: []int{90, 365}}).Customers(asOf)
		f, err := newPDFeatures(tab.Specs)
		if err != nil {
			return err
		}
		for i := range tab.Rows {
			r := &tab.Rows[i]
			if _, defaulted := dd[r.CustomerID]; defaulted {
				out[r.CustomerID] = Risk{PD: 1, Source: "default"}
				continue
			}
			x, _ := f.row(r)
			h := dm.m.Predict(x)
			out[r.CustomerID] = Risk{PD: 1 - math.Pow(1-h, pdHorizonMonths), Source: "model"}
		}
		return ctx.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// tooFewDefaults is errTooFewDefaults with the count that fell short.
type tooFewDefaults struct {
	events int
	asOf   datasets.Date
}

func (e *tooFewDefaults) Error() string {
	return fmt.Sprintf("%v: %d default events in the last %d months (want %d)", errTooFewDefaults, e.events, pdLookbackMonths, pdMinDefaults)
}

func (e *tooFewDefaults) Unwrap() error { return errTooFewDefaults }

// warning says, in a line, that the model was not learnt, what the PDs
// are instead and what would change that. It was 700 characters, printed
// on every run; the README's credit section says the rest (a class can
// change between days when the count of default events crosses the
// minimum).
func (e *tooFewDefaults) warning(fallback string) string {
	return fmt.Sprintf("the default model (PD) was not learnt as of %s: %s in the last %d months, it needs %d; PDs are %s; --model ID gives a model's",
		e.asOf, plural(e.events, "default event"), pdLookbackMonths, pdMinDefaults, fallback)
}

// LearnedRisk is a RiskSource that learns the default model from the
// ledger it is asked about, and falls back to Fallback (or, when nil, to
// the segments' rates) when the ledger has too few defaults.
type LearnedRisk struct {
	Fallback RiskSource
	// Warn, when set, is told why when the model falls back: the PDs
	// change source (pd_source segment instead of model), which can flip
	// customers' risk classes between days, and a user must not learn it
	// only from the JSON.
	Warn func(msg string)
}

// CustomerRisk learns the default model as of asOf and applies it.
func (lr LearnedRisk) CustomerRisk(ctx context.Context, l *datasets.Ledger, asOf datasets.Date) (map[string]Risk, error) {
	return lr.CustomerRiskParts(ctx, features.WholeLedger(l), asOf)
}

// CustomerRiskParts is CustomerRisk over a ledger read in parts; a
// Fallback must then read parts too.
func (lr LearnedRisk) CustomerRiskParts(ctx context.Context, parts features.Parts, asOf datasets.Date) (map[string]Risk, error) {
	dm, err := trainDefaultModel(ctx, parts, asOf)
	if tf := (*tooFewDefaults)(nil); errors.As(err, &tf) && lr.Warn != nil {
		lr.Warn(tf.warning(lr.fallbackWords()))
	}
	switch {
	case errors.Is(err, errTooFewDefaults) && lr.Fallback != nil:
		r, err := riskParts(ctx, lr.Fallback, parts, asOf)
		if ce := (*recommender.ModelCutoffError)(nil); errors.As(err, &ce) {
			// A payment model trained after asOf has seen how its
			// customers went on: the segments' rates instead, as for the
			// review dates' month-ends before its cut-off.
			return nil, nil
		}
		return r, err
	case errors.Is(err, errTooFewDefaults):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return dm.CustomerRiskParts(ctx, parts, asOf)
}

// fallbackWords says what the PDs are when the model is not learnt.
func (lr LearnedRisk) fallbackWords() string {
	if _, ok := lr.Fallback.(ModelRisk); ok {
		return "the payment model's probability of 90+ (pd_source payment_model)"
	}
	if lr.Fallback != nil {
		return fmt.Sprintf("the fallback's (%T)", lr.Fallback)
	}
	return "the segments' observed rates (pd_source segment)"
}
