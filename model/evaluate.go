package model

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model/metrics"
)

// Metrics measure late-payment predictions against outcomes. A prediction
// counts as "late" when its calibrated probability is at least the
// threshold the metrics were computed at (the bundle's, see threshold.go;
// 0.5 for the baselines).
type Metrics struct {
	N         int     `json:"n"`
	LateShare float64 `json:"late_share"`
	AUC       Figure  `json:"auc"`
	Brier     float64 `json:"brier"`
	LogLoss   float64 `json:"log_loss"`
	Accuracy  float64 `json:"accuracy"`
	// Threshold is the probability at or above which a prediction was
	// called late: accuracy, macro F1, the confusion matrix and the errors
	// cut are at it.
	Threshold   float64 `json:"threshold"`
	MacroF1     float64 `json:"macro_f1"`
	ECE         float64 `json:"ece"`
	MAEDaysLate float64 `json:"mae_days_late"`
	// MAEDaysLateOfLate is the same error over the invoices paid late
	// (NLate of them): most invoices are paid on time and predicted 0
	// days late, so the mean over all hides the error where it matters.
	MAEDaysLateOfLate float64                 `json:"mae_days_late_of_late"`
	NLate             int                     `json:"n_late"`
	ErrorCutVsNaive   float64                 `json:"error_cut_vs_naive"`
	Confusion         metrics.ConfusionMatrix `json:"confusion"`
}

// score computes Metrics of probabilities p for outcomes y, calling late
// at p ≥ threshold; prior is the training share of late invoices, whose
// majority class is the naive guess.
// daysPred and daysTrue, when given, measure the days-late error.
func score(p, y []float64, prior, threshold float64, daysPred, daysTrue []float64) Metrics {
	m := Metrics{N: len(p), Threshold: threshold}
	if len(p) == 0 {
		return m
	}
	late := 0.0
	for _, v := range y {
		late += v
	}
	m.LateShare = late / float64(len(y))
	m.AUC = Figure(metrics.AUC(p, y, nil))
	m.Brier = metrics.Brier(p, y)
	m.LogLoss = metrics.LogLoss(p, y)
	m.ECE = metrics.ECE(p, y, 10)
	m.Confusion = metrics.Confusion(p, y, threshold)
	m.Accuracy = m.Confusion.Accuracy()
	m.MacroF1 = m.Confusion.MacroF1()
	naive := 0.0 // the majority class of training
	if prior >= 0.5 {
		naive = 1
	}
	naiveErr := 0.0
	for _, v := range y {
		if v != naive {
			naiveErr++
		}
	}
	modelErr := float64(m.Confusion.FP + m.Confusion.FN)
	if naiveErr > 0 {
		m.ErrorCutVsNaive = 1 - modelErr/naiveErr
	}
	if len(daysPred) > 0 {
		m.MAEDaysLate = metrics.MAE(daysPred, daysTrue)
		var lp, lt []float64
		for i, d := range daysTrue {
			if d > 0 {
				lp, lt = append(lp, daysPred[i]), append(lt, d)
			}
		}
		if m.NLate = len(lt); m.NLate > 0 {
			m.MAEDaysLateOfLate = metrics.MAE(lp, lt)
		}
	}
	return m
}

// evaluate scores the validation examples (issue-date snapshots only),
// with the peers of each example's date when the bundle reads a cold-start
// prior (h, which training keeps).
func evaluate(b *Bundle, valid []features.Example, h *peerHistory) (Metrics, error) {
	m, _, _, err := evaluatePredictions(b, valid, h)
	return m, err
}

// evaluatePredictions is evaluate with the probabilities and outcomes it
// measured.
func evaluatePredictions(b *Bundle, valid []features.Example, h *peerHistory) (Metrics, []float64, []float64, error) {
	specs := features.InvoiceSpecs(b.Options.Features)
	sc, err := NewScorer(b, specs)
	if err != nil {
		return Metrics{}, nil, nil, err
	}
	if sc.peerOn && h != nil {
		sc.peersAt = h.at
	}
	var p, y, dp, dt []float64
	var xs []*features.Example
	var rows []features.Row
	for i := range valid {
		if x := &valid[i]; x.AsOf == x.IssueDate {
			xs, rows = append(xs, x), append(rows, x.Row)
		}
	}
	preds := make([]Prediction, len(rows))
	if err := sc.ScoreBatch(rows, 0, preds); err != nil {
		return Metrics{}, nil, nil, err
	}
	for i, x := range xs {
		pr := &preds[i]
		p = append(p, pr.PLate)
		y = append(y, b2f(x.Late))
		if !x.Censored {
			dp, dt = append(dp, pr.PredictedDaysLate), append(dt, float64(x.DaysLate))
		}
	}
	return score(p, y, b.Late.Base, b.Threshold(), dp, dt), p, y, nil
}

// BacktestOptions configure a backtest.
type BacktestOptions struct {
	// Cutoff splits time: train on what was known then, test on invoices
	// issued from it on. Zero means the Split quantile of issue dates.
	Cutoff datasets.Date
	Split  float64
	Train  TrainOptions
	// Progress, when set, is called at stage boundaries: the training's
	// stages, then "test" (unless Train.Progress is set, which then gets
	// the training's own).
	Progress func(stage string, done, total int64)
}

// Backtest is the honest out-of-time evaluation of a model trained at a
// cut-off, against two baselines.
type Backtest struct {
	Cutoff     string      `json:"cutoff"`
	DataEnd    string      `json:"data_end"`
	NTrain     int         `json:"n_train"`
	NTest      int         `json:"n_test"`
	NTestOpen  int         `json:"n_test_unresolved"`
	Champion   string      `json:"champion"`
	Candidates []Candidate `json:"candidates"`
	// Assumptions are the trained bundle's (see Bundle.Assumptions).
	Assumptions []string `json:"assumptions,omitempty"`
	// Metrics are the model's, at the threshold chosen in training (see
	// threshold.go).
	Metrics
	Baselines struct {
		Prior           Metrics `json:"prior"`
		CustomerHistory Metrics `json:"customer_history"`
	} `json:"baselines"`
	// ColdStart measures the test invoices of customers without a settled
	// invoice in the longest history window (whose customer-history
	// baseline is the prior); nil when there are none.
	ColdStart *ColdStartMetrics `json:"cold_start,omitempty"`
}

// ColdStartMetrics are the model's and the prior's figures on the
// cold-start share of a backtest.
type ColdStartMetrics struct {
	Model Metrics `json:"model"`
	Prior Metrics `json:"prior"`
}

// PredictionRow is one test invoice's prediction and outcome.
type PredictionRow struct {
	InvoiceID         string
	PLate             float64
	PredictedDaysLate float64
	ActualLate        bool
	// ColdStart: the customer had no settled invoice in the history window.
	ColdStart bool
	// Late is the model's call: PLate at or above the bundle's threshold.
	Late bool
	// PVeryLate is the predicted probability of paying very late; DaysLate
	// the days late (a lower bound when Censored: still open at the end).
	PVeryLate float64
	DaysLate  int
	Censored  bool
}

// RunBacktest trains at the cut-off and tests on later invoices whose
// outcome is known by the end of the data: settled, or open past due +
// grace (late). Invoices still open and not yet due at the end are counted
// as unresolved and left out.
func RunBacktest(ctx context.Context, l *datasets.Ledger, o BacktestOptions) (*Backtest, []PredictionRow, error) {
	if len(l.Invoices) == 0 {
		return nil, nil, fmt.Errorf("backtest: %w: the ledger has no invoices", ErrTooLittleData)
	}
	end := datasets.Date(0)
	issues := make([]datasets.Date, len(l.Invoices))
	for i, v := range l.Invoices {
		issues[i] = v.IssueDate
		end = max(end, v.IssueDate, v.SettledDate)
	}
	for _, p := range l.Payments {
		end = max(end, p.Date)
	}
	cut := o.Cutoff
	if cut == 0 {
		if o.Split <= 0 || o.Split >= 1 {
			return nil, nil, fmt.Errorf("backtest: --split %v must be between 0 and 1", o.Split)
		}
		sort.Slice(issues, func(a, b int) bool { return issues[a] < issues[b] })
		cut = issues[int(float64(len(issues))*o.Split)]
	}
	ix := features.NewIndex(l)
	b, err := Train(ctx, ix, BacktestTrainOptions(o, cut))
	if err != nil {
		return nil, nil, err
	}
	t := NewBacktestTest(b, o, cut, end)
	if err := t.Add(ix); err != nil {
		return nil, nil, err
	}
	return t.Result()
}

// BacktestTrainOptions are the training options of a backtest cut at cut:
// everything known before the first test day.
func BacktestTrainOptions(o BacktestOptions, cut datasets.Date) TrainOptions {
	to := o.Train
	to.AsOf = cut - 1
	if to.Progress == nil {
		to.Progress = o.Progress
	}
	return to
}

// BacktestTest gathers the test invoices of a backtest (issued from the
// cut-off to the end of the data) one index of whole customers at a time,
// and scores them with the bundle trained at the cut-off.
type BacktestTest struct {
	b        *Bundle
	to       TrainOptions
	cut, end datasets.Date
	specs    []features.Spec
	test     []features.Example
	parts    int
}

// NewBacktestTest starts the test of bundle b, trained with
// BacktestTrainOptions(o, cut), on the invoices issued in [cut, end].
func NewBacktestTest(b *Bundle, o BacktestOptions, cut, end datasets.Date) *BacktestTest {
	return &BacktestTest{b: b, to: BacktestTrainOptions(o, cut).withDefaults(), cut: cut, end: end}
}

// Add describes the test invoices of the customers of ix (the whole
// ledger's index, or a part's: features.NewPartIndex).
func (t *BacktestTest) Add(ix *features.Index) error {
	eng := features.NewEngine(ix, t.b.Options.Features)
	specs, test, err := eng.TrainingSet(features.TrainingOptions{From: t.cut, To: t.end, Cutoff: t.end, GraceDays: t.to.GraceDays})
	if err != nil {
		return err
	}
	t.specs, t.test = specs, append(t.test, test...)
	t.parts++
	return nil
}

// Result scores the test invoices, in customer order (as one index of the
// whole ledger lists them), and measures the model and the baselines.
func (t *BacktestTest) Result() (*Backtest, []PredictionRow, error) {
	if t.parts > 1 {
		slices.SortStableFunc(t.test, func(a, b features.Example) int { return cmp.Compare(a.CustomerID, b.CustomerID) })
	}
	b, to, cut, end, specs, test := t.b, t.to, t.cut, t.end, t.specs, t.test
	if specs == nil {
		specs = features.InvoiceSpecs(b.Options.Features)
	}
	sc, err := NewScorer(b, specs)
	if err != nil {
		return nil, nil, err
	}
	to.progress("test", 0, 1)
	defer to.progress("test", 1, 1)
	res := &Backtest{Cutoff: cut.String(), DataEnd: end.String(), NTrain: b.TrainExample + b.ValidExample, Champion: b.Champion, Candidates: b.Candidates,
		Assumptions: b.Assumptions}
	histIdx, ok := features.Find(specs, "late_ratio", b.Options.Features.Longest())
	if !ok {
		histIdx = -1
	}
	var p, y, prior, hist, dp, dt []float64
	var rows []PredictionRow
	var known []*features.Example
	var knownRows []features.Row
	for i := range test {
		if x := &test[i]; x.LateKnown {
			known, knownRows = append(known, x), append(knownRows, x.Row)
		} else {
			res.NTestOpen++
		}
	}
	preds := make([]Prediction, len(knownRows))
	if err := sc.ScoreBatch(knownRows, 0, preds); err != nil {
		return nil, nil, err
	}
	for i, x := range known {
		pr := &preds[i]
		p = append(p, pr.PLate)
		y = append(y, b2f(x.Late))
		prior = append(prior, b.Late.Base)
		h := b.Late.Base
		if histIdx >= 0 && !math.IsNaN(x.Num[histIdx]) {
			h = x.Num[histIdx]
		}
		hist = append(hist, h)
		if !x.Censored {
			dp, dt = append(dp, pr.PredictedDaysLate), append(dt, float64(x.DaysLate))
		}
		rows = append(rows, PredictionRow{InvoiceID: x.InvoiceID, PLate: pr.PLate, PredictedDaysLate: pr.PredictedDaysLate, ActualLate: x.Late, ColdStart: pr.ColdStart, Late: pr.Late,
			PVeryLate: pr.PVeryLate, DaysLate: x.DaysLate, Censored: x.Censored})
	}
	if len(p) == 0 {
		return nil, nil, fmt.Errorf("backtest: %w: no invoice issued from %s on has a known outcome", ErrTooLittleData, cut)
	}
	res.NTest = len(p)
	// The model calls late at its own threshold; the baselines call a
	// rate of one half late, as a customer's own record would be read.
	th := b.Threshold()
	res.Metrics = score(p, y, b.Late.Base, th, dp, dt)
	res.Baselines.Prior = score(prior, y, b.Late.Base, defaultThreshold, nil, nil)
	res.Baselines.CustomerHistory = score(hist, y, b.Late.Base, defaultThreshold, nil, nil)
	var cp, cy, cprior []float64
	for i, r := range rows {
		if r.ColdStart {
			cp, cy, cprior = append(cp, p[i]), append(cy, y[i]), append(cprior, prior[i])
		}
	}
	if len(cp) > 0 {
		res.ColdStart = &ColdStartMetrics{Model: score(cp, cy, b.Late.Base, th, nil, nil), Prior: score(cprior, cy, b.Late.Base, defaultThreshold, nil, nil)}
	}
	return res, rows, nil
}
