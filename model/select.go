package model

import (
	"context"
	"fmt"
	"math"

	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model/calib"
	"github.com/dsopilot/dsopilot/model/gbdt"
	"github.com/dsopilot/dsopilot/model/metrics"
)

// How a training window is used. The latest ValidFraction of the labelled
// invoices is the report slice: nothing is fitted, stopped, chosen or
// calibrated on it before the reported validation is measured, so that
// figure is out of sample. The rest is the fit window, in which time-series
// folds (each model learns from the invoices before its fold and is scored
// on the fold) stop the boosting, choose the family and its regularisation,
// and calibrate the model that is validated:
//
//   - a large window (at least smallWindow examples) has one fold, the last
//     foldShare of the fit window;
//   - a small window has smallFolds expanding folds of foldShare each and a
//     grid of regularisation settings per family; the chosen setting is
//     refitted on the whole fit window (boosting for the folds' mean number
//     of rounds) and calibrated on the pooled out-of-fold margins, together
//     with the customer's own late ratio when that adds to them (see
//     HistoryStack), else by Platt scaling.
//
// Once validated, the model is completed with the report slice (see
// bundleModel): recalibrated on it with one fold, refitted with it on a
// small window.
//
// Every cut falls between issue dates, so an invoice's snapshots never sit
// on both sides. (Stopping the boosting on the last rows of each fold's own
// training data instead was tried: on a 600-customer simulated ledger it
// stopped after 22 trees where the fold asked for 88, and cost 0.013 AUC.)
const (
	smallWindow = 40_000
	smallFolds  = 3
	foldShare   = 0.15
)

// fold is one time-series fold over the fit window: rows [0, train) learn
// and rows [train, valid) stop the boosting and are predicted out of fold.
type fold struct{ train, valid int }

// windowPlan is a training window cut into its fit window, its folds and
// its report slice.
type windowPlan struct {
	fit, report []features.Example
	folds       []fold
	grid        bool // try the regularisation grid
}

// cutAtIssue moves i forward past examples issued on the same day as
// xs[i-1], so that no issue date straddles the cut.
func cutAtIssue(xs []features.Example, i int) int {
	i = min(max(i, 0), len(xs))
	for i > 0 && i < len(xs) && xs[i].IssueDate == xs[i-1].IssueDate {
		i++
	}
	return i
}

// planWindow cuts known (sorted by issue date) into fit and report slices
// and plans the folds over the fit slice.
func planWindow(known []features.Example, reportShare float64) windowPlan {
	r := cutAtIssue(known, len(known)-int(float64(len(known))*reportShare))
	p := windowPlan{fit: known[:r], report: known[r:]}
	p.folds = planFolds(p.fit)
	p.grid = len(p.folds) > 1
	return p
}

// planFolds lays the folds over xs (sorted by issue date): one for a large
// set, smallFolds for a small one.
func planFolds(xs []features.Example) []fold {
	k := 1
	if len(xs) < smallWindow {
		k = smallFolds
	}
	n := float64(len(xs))
	var out []fold
	for j := k; j >= 1; j-- {
		train := cutAtIssue(xs, int(n*(1-float64(j)*foldShare)))
		valid := cutAtIssue(xs, int(n*(1-float64(j-1)*foldShare)))
		if train == 0 || valid <= train {
			continue
		}
		out = append(out, fold{train: train, valid: valid})
	}
	return out
}

// setting is one family with one regularisation.
type setting struct {
	family string
	name   string // how candidates show it
	l2     float64
	gbdt   gbdt.Params
}

// settings lists what to try: each family with the trained defaults and,
// on a small window, with stronger and weaker regularisation.
func settings(o TrainOptions, grid bool) []setting {
	var out []setting
	for _, fam := range o.Families {
		switch fam {
		case FamilyGBDT:
			out = append(out, setting{family: fam, name: "default", gbdt: o.GBDT})
			if grid {
				p := o.GBDT
				p.MaxDepth, p.MinChildWeight, p.Lambda, p.LearningRate = 3, 20, 5, 0.1
				out = append(out, setting{family: fam, name: "depth 3", gbdt: p})
			}
		case FamilyScorecard:
			// Its bins, not its ridge, are its regularisation.
			out = append(out, setting{family: fam, name: "default", l2: o.L2})
		default:
			out = append(out, setting{family: fam, name: "default", l2: o.L2})
			if grid {
				for _, f := range []float64{10, 100} {
					out = append(out, setting{family: fam, name: fmt.Sprintf("L2 %g", o.L2*f), l2: o.L2 * f})
				}
			}
		}
	}
	return out
}

// design is the encoding of a set of examples for one family: rows and
// labels.
type design struct {
	X [][]float64
	y []float64
}

func encodeDesign(enc *Encoder, family string, xs []features.Example, label func(*features.Example) bool) design {
	d := design{X: make([][]float64, len(xs)), y: make([]float64, len(xs))}
	for i := range xs {
		d.X[i] = enc.encode(family, nil, &xs[i].Row)
		if label(&xs[i]) {
			d.y[i] = 1
		}
	}
	return d
}

func positives(y []float64) int {
	n := 0
	for _, v := range y {
		if v == 1 {
			n++
		}
	}
	return n
}

// cvFit is one setting fitted on every fold of a window.
type cvFit struct {
	s              setting
	margins, y     []float64 // out of fold, folds in order
	rows           []int     // the design's rows they are of
	trees          []int     // boosting rounds kept per fold
	ends           []int     // where each fold's margins end
	last           *Classifier
	folds, skipped int
}

// crossValidate fits s on every fold of folds over d. A fold whose training
// rows lack either class (or whose validation rows do) is skipped; with no
// fold left it fails with ErrTooLittleData.
func crossValidate(ctx context.Context, s setting, d design, folds []fold, cols []string, o TrainOptions) (*cvFit, error) {
	cv := &cvFit{s: s}
	minEach := max(1, o.MinEach/2)
	for _, f := range folds {
		p, vp := positives(d.y[:f.train]), positives(d.y[f.train:f.valid])
		if p < minEach || f.train-p < minEach || vp == 0 || vp == f.valid-f.train {
			cv.skipped++
			continue
		}
		c, err := fitSetting(ctx, s, d, f, cols, o)
		if err != nil {
			return nil, err
		}
		for i := f.train; i < f.valid; i++ {
			cv.margins = append(cv.margins, c.Margin(d.X[i]))
			cv.rows = append(cv.rows, i)
			cv.y = append(cv.y, d.y[i])
		}
		if c.gb != nil {
			cv.trees = append(cv.trees, c.gb.Trees())
		}
		cv.last = c
		cv.folds++
		cv.ends = append(cv.ends, len(cv.margins))
	}
	if cv.folds == 0 {
		return nil, fmt.Errorf("%w: %s: no time-series fold of %d examples holds both outcomes (%d positive)", ErrTooLittleData, s.family, len(d.y), positives(d.y))
	}
	return cv, nil
}

// fitSetting trains s on the rows of fold f that it learns from; a booster
// stops on the fold's own rows.
func fitSetting(ctx context.Context, s setting, d design, f fold, cols []string, o TrainOptions) (*Classifier, error) {
	return trainClassifier(ctx, s, d.X[:f.train], d.y[:f.train], d.X[f.train:f.valid], d.y[f.train:f.valid], cols, o.Seed)
}

// candidate scores a setting's out-of-fold margins (before calibration).
func (cv *cvFit) candidate() Candidate {
	p := make([]float64, len(cv.margins))
	for i, m := range cv.margins {
		p[i] = sigmoid(m)
	}
	return Candidate{Family: cv.s.family, Setting: cv.s.name, Folds: cv.folds, N: len(p),
		AUC: metrics.AUC(p, cv.y, nil), LogLoss: metrics.LogLoss(p, cv.y), Brier: metrics.Brier(p, cv.y)}
}

// better reports whether candidate a beats b: higher AUC, ties to the lower
// log loss.
func better(a, b Candidate) bool {
	if math.Abs(a.AUC-b.AUC) > 1e-9 {
		return a.AUC > b.AUC
	}
	return a.LogLoss < b.LogLoss
}

// smallBag is the number of boosters refit averages when it learns from
// fewer than bagWindow examples. Fitted with different seeds (their row and
// column subsamples differ), their mean has less variance than any one: on
// the 12 small real-format ledgers of scripts/smallledgers.sh (seeds 0, 7
// and 13; 2,000-3,000 examples each) five lowered the mean Brier from
// 0.1507 to 0.1496 and the mean gap to the simulator's true probabilities
// from 0.125 to 0.123, and raised the mean AUC from 0.831 to 0.833. A
// larger window has the rows to be steady, and an open book large enough
// that five times the trees would cost scoring time.
const (
	smallBag  = 5
	bagWindow = 10_000
)

// refit trains s on every row of d, boosting for the folds' mean number of
// rounds (trees), and calibrates it on margins and y (predictions of the
// same setting by models that had not seen them): with the customer's
// record when st is given, else by Platt scaling. A booster on fewer than
// bagWindow rows is the average of smallBag of them.
func refit(ctx context.Context, s setting, trees []int, d design, margins, y []float64, st *stackInput, cols []string, o TrainOptions) (*Classifier, error) {
	if s.family == FamilyGBDT {
		s.gbdt.EarlyStopping = 0
		if len(trees) > 0 {
			sum := 0
			for _, t := range trees {
				sum += t
			}
			s.gbdt.Trees = max(1, (sum+len(trees)/2)/len(trees))
		}
	}
	c, err := trainClassifier(ctx, s, d.X, d.y, nil, nil, cols, o.Seed)
	if err != nil {
		return nil, err
	}
	if s.family == FamilyGBDT && len(d.y) < bagWindow {
		if err := bag(ctx, c, s, d, cols, o); err != nil {
			return nil, err
		}
	}
	calibrate(c, s, margins, y, st, o)
	return c, nil
}

// stackInput is what a history stack is fitted on beside the margins: its
// columns and training rate, and each margin's customer-history log-odds.
type stackInput struct {
	tmpl  HistoryStack
	hist  []float64
	flags []float64 // nil when the stack weighs no flag
}

// bag replaces booster c, fitted on d with o.Seed, by the average of it and
// smallBag-1 more fitted with the following seeds.
func bag(ctx context.Context, c *Classifier, s setting, d design, cols []string, o TrainOptions) error {
	ms := []*gbdt.Model{c.gb}
	for j := 1; j < smallBag; j++ {
		cj, err := trainClassifier(ctx, s, d.X, d.y, nil, nil, cols, o.Seed+uint64(j))
		if err != nil {
			return err
		}
		ms = append(ms, cj.gb)
	}
	avg, err := gbdt.Average(ms)
	if err != nil {
		return fmt.Errorf("bag: %w", err)
	}
	b, err := avg.MarshalBinary()
	if err != nil {
		return fmt.Errorf("bag: encode trees: %w", err)
	}
	c.Trees, c.gb = b, avg
	return nil
}

// calibrate fits c's calibration on out-of-sample margins: a history
// stack when st is given and the customer's record adds to the margins,
// else Platt scaling.
func calibrate(c *Classifier, s setting, margins, y []float64, st *stackInput, o TrainOptions) {
	c.Setting = s.name
	c.Calibration = len(margins)
	c.Platt, c.History = nil, nil
	if st != nil {
		h := st.tmpl
		err := h.fit(margins, st.hist, st.flags, y)
		if err == nil {
			c.History = &h
			return
		}
		o.Log.Info("history stack not used", "family", s.family, "err", err)
	}
	if pl, err := calib.FitPlatt(margins, y, nil); err == nil {
		c.Platt = &pl
	} else {
		o.Log.Warn("calibration skipped", "family", s.family, "err", err)
	}
}

// final is the classifier a cross-validated setting stands for on the rows
// of d it was folded over: the fold's own model when there was one fold,
// else the setting refitted on every row; either way calibrated on the
// out-of-fold margins, which no model fitted on (with the customer's record
// when hs is given and there are several folds).
func (cv *cvFit) final(ctx context.Context, d design, nFolds int, hs *HistoryStack, cols []string, o TrainOptions) (*Classifier, error) {
	if nFolds > 1 {
		return refit(ctx, cv.s, cv.trees, d, cv.margins, cv.y, cv.stackInput(hs, d, nil), cols, o)
	}
	calibrate(cv.last, cv.s, cv.margins, cv.y, nil, o)
	return cv.last, nil
}

// stackInput is hs's input for the out-of-fold margins of d's rows, then
// the rows of more; nil without hs.
func (cv *cvFit) stackInput(hs *HistoryStack, d design, more [][]float64) *stackInput {
	if hs == nil {
		return nil
	}
	st := &stackInput{tmpl: *hs}
	var own [][]float64
	for _, i := range cv.rows {
		st.hist = append(st.hist, hs.history(d.X[i]))
		own = append(own, d.X[i])
	}
	st.hist = append(st.hist, hs.histories(more)...)
	if hs.withFlag {
		st.flags = append(hs.flags(own), hs.flags(more)...)
	}
	return st
}

// stackFlag is the invoice flag the history stack weighs: the disputed
// flag when the user stated when an undated one is known (on a ledger
// without dispute records it is then the one trace of a dispute; with
// them, disputes_open and the rates say more than a rare invoice flag).
func stackFlag(o features.Options) *specKey {
	if o.DisputeOpenedAfterDays == nil {
		return nil
	}
	return &specKey{base: "inv_disputed"}
}

// chosen is the outcome of the champion's selection: the winning setting
// fitted on the fit window, ready to be validated on the report slice.
type chosen struct {
	cv    *cvFit
	model *Classifier
	d     design // the fit window's encoding for the setting's family
	cols  []string
	// hs is the history stack's input on a small window (nil: Platt
	// scaling).
	hs *HistoryStack
}

// champion cross-validates every setting of every family on the fit window
// and returns the best (by out-of-fold AUC, ties to the lower log loss) as
// the fit window's calibrated model, with each family's best candidate.
func champion(ctx context.Context, enc *Encoder, specs []features.Spec, plan windowPlan, label func(*features.Example) bool, o TrainOptions) (*chosen, []Candidate, error) {
	designs := map[bool]design{}
	var best *cvFit
	var bestC Candidate
	var cands []Candidate
	ss := settings(o, plan.grid)
	for i, s := range ss {
		tree := treeEncoded(s.family)
		d, ok := designs[tree]
		if !ok {
			d = encodeDesign(enc, s.family, plan.fit, label)
			designs[tree] = d
		}
		cv, err := crossValidate(ctx, s, d, plan.folds, enc.columns(s.family), o)
		if err != nil {
			return nil, nil, err
		}
		c := cv.candidate()
		o.progress("choose the late-payment model", int64(i+1), int64(len(ss)))
		if k := len(cands) - 1; k >= 0 && cands[k].Family == c.Family {
			if better(c, cands[k]) {
				cands[k] = c
			}
		} else {
			cands = append(cands, c)
		}
		if best == nil || better(c, bestC) {
			best, bestC = cv, c
		}
	}
	if best == nil {
		return nil, nil, fmt.Errorf("no model family to train")
	}
	ch := &chosen{cv: best, d: designs[treeEncoded(best.s.family)], cols: enc.columns(best.s.family)}
	if plan.grid {
		if hs, ok := newHistoryStack(specs, o.Features.Longest(), float64(positives(ch.d.y))/float64(len(ch.d.y)), stackFlag(o.Features)); ok {
			ch.hs = &hs
		}
	}
	var err error
	if ch.model, err = best.final(ctx, ch.d, len(plan.folds), ch.hs, ch.cols, o); err != nil {
		return nil, nil, err
	}
	return ch, cands, nil
}

// bundleModel is the bundle's late-payment model, once the fit window's
// model has been validated on the report slice. With one fold it is that
// model itself, recalibrated on the fold's and the report slice's
// predictions (the latest invoices set the level). With several folds the
// setting is refitted on the fit window and the report slice together (on
// little data the latest invoices are too many to leave out) and calibrated
// on the out-of-fold margins and the report slice's from the fit window's
// model. (Refitting on everything with one fold too was tried: the same
// AUC, but Platt scaling fitted on one model's margins and applied to
// another's took the drift between them into account twice, ECE 0.040
// instead of 0.024 on the demo ledger.)
func (ch *chosen) bundleModel(ctx context.Context, enc *Encoder, report []features.Example, nFolds int, label func(*features.Example) bool, o TrainOptions) (*Classifier, error) {
	rd := encodeDesign(enc, ch.cv.s.family, report, label)
	margins := append([]float64(nil), ch.cv.margins...)
	y := append([]float64(nil), ch.cv.y...)
	for i, x := range rd.X {
		margins = append(margins, ch.model.rawMargin(x))
		y = append(y, rd.y[i])
	}
	if nFolds == 1 {
		c := *ch.model
		calibrate(&c, ch.cv.s, margins, y, nil, o)
		return &c, nil
	}
	all := design{X: append(append([][]float64(nil), ch.d.X...), rd.X...), y: append(append([]float64(nil), ch.d.y...), rd.y...)}
	return refit(ctx, ch.cv.s, ch.cv.trees, all, margins, y, ch.cv.stackInput(ch.hs, ch.d, rd.X), ch.cols, o)
}

// fitOutcome trains the champion's setting for another outcome on xs (the
// window's examples that can carry it), with its own folds. It returns nil
// and the reason when the outcome is too rare to learn.
func fitOutcome(ctx context.Context, enc *Encoder, s setting, xs []features.Example, label func(*features.Example) bool, o TrainOptions) (*Classifier, string, error) {
	d := encodeDesign(enc, s.family, xs, label)
	p := positives(d.y)
	if p < max(1, o.MinEach/2) || len(xs)-p < max(1, o.MinEach/2) {
		return nil, fmt.Sprintf("%d of %d invoices", p, len(xs)), nil
	}
	folds := planFolds(xs)
	cv, err := crossValidate(ctx, s, d, folds, enc.columns(s.family), o)
	if err != nil {
		if isTooLittle(err) {
			return nil, fmt.Sprintf("%d of %d invoices, too few in the time-series folds", p, len(xs)), nil
		}
		return nil, "", err
	}
	c, err := cv.final(ctx, d, len(folds), nil, enc.columns(s.family), o)
	return c, "", err
}
