package model

import (
	"context"
	"fmt"
	"math"

	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model/calib"
	"github.com/dsopilot/dsopilot/model/gbdt"
	"github.com/dsopilot/dsopilot/model/linear"
	"github.com/dsopilot/dsopilot/model/scorecard"
)

// Model families. FamilyPrior is not trained: it stands for an outcome too
// rare in the training window to learn, and predicts its training rate.
const (
	FamilyGBDT      = "gbdt"
	FamilyLogistic  = "logistic"
	FamilyScorecard = "scorecard"
	FamilyPrior     = "prior"
)

// treeEncoded reports whether a family reads the tree encoding (raw values,
// missing as NaN) rather than the linear one (imputed, log-scaled).
func treeEncoded(family string) bool { return family != FamilyLogistic }

// encode appends the encoding of r that family reads.
func (e *Encoder) encode(family string, dst []float64, r *features.Row) []float64 {
	if treeEncoded(family) {
		return e.EncodeTree(dst, r)
	}
	return e.EncodeLinear(dst, r)
}

// columns names the columns of the encoding family reads.
func (e *Encoder) columns(family string) []string {
	if treeEncoded(family) {
		return e.TreeColumns()
	}
	return e.LinearColumns()
}

// Classifier is one trained binary model with its calibrator: a boosted
// tree ensemble over the tree encoding, or a logistic regression over the
// linear encoding, or a points scorecard (ChiMerge bins and weights of
// evidence) over the tree encoding. It is stored as JSON (the trees as their own
// deterministic bytes) so that the registry reproduces it bit for bit.
type Classifier struct {
	Family    string               `json:"family"`
	Trees     []byte               `json:"trees,omitempty"`
	Logistic  *linear.Logistic     `json:"logistic,omitempty"`
	Scorecard *scorecard.Scorecard `json:"scorecard,omitempty"`
	Isotonic  *calib.Isotonic      `json:"isotonic,omitempty"`
	Platt     *calib.Platt         `json:"platt,omitempty"`
	// History, when set, calibrates the margin with the customer's own
	// record in Platt scaling's place (see HistoryStack); Margin then
	// includes it.
	History   *HistoryStack `json:"history_stack,omitempty"`
	Base      float64       `json:"base_rate"` // training share of positives
	Positives int           `json:"positives"`
	Examples  int           `json:"examples"`
	// Setting names the regularisation chosen on the time-series folds;
	// Calibration is the number of out-of-fold predictions Platt scaling
	// was fitted on.
	Setting     string `json:"setting,omitempty"`
	Calibration int    `json:"calibration_examples,omitempty"`

	gb *gbdt.Model
}

// load decodes the trees after the classifier is read from JSON.
func (c *Classifier) load() error {
	if c.Family == FamilyGBDT && c.gb == nil {
		m := &gbdt.Model{}
		if err := m.UnmarshalBinary(c.Trees); err != nil {
			return fmt.Errorf("decode trees: %w", err)
		}
		c.gb = m
	}
	return nil
}

// priorClassifier predicts the share of positives among examples.
func priorClassifier(positives, examples int) *Classifier {
	return &Classifier{Family: FamilyPrior, Positives: positives, Examples: examples, Base: float64(positives) / float64(max(1, examples))}
}

// Margin is the log-odds of x: uncalibrated, or stacked with the
// customer's record when c has a history stack.
func (c *Classifier) Margin(x []float64) float64 {
	m := c.rawMargin(x)
	if c.History != nil {
		return c.History.apply(m, x)
	}
	return m
}

// rawMargin is the model's own uncalibrated log-odds of x.
func (c *Classifier) rawMargin(x []float64) float64 {
	switch c.Family {
	case FamilyGBDT:
		return c.gb.Margin(x)
	case FamilyScorecard:
		return c.Scorecard.Margin(x)
	case FamilyPrior:
		return calib.Logit(c.Base)
	}
	return c.Logistic.Margin(x)
}

// Margins writes the margins of the rows of X (row i at
// X[i*stride : (i+1)*stride]) to out.
func (c *Classifier) Margins(X []float64, stride int, out []float64) {
	if c.Family == FamilyGBDT {
		c.gb.MarginsFlat(X, stride, out)
		if h := c.History; h != nil {
			for i := range out {
				out[i] = h.apply(out[i], X[i*stride:(i+1)*stride])
			}
		}
		return
	}
	if c.Family == FamilyPrior {
		m := c.Margin(nil)
		for i := range out {
			out[i] = m
		}
		return
	}
	w := c.width()
	for i := range out {
		out[i] = c.Margin(X[i*stride : i*stride+w])
	}
}

// width is the number of encoded columns the classifier reads.
// A prior reads none, and answers -1.
func (c *Classifier) width() int {
	switch c.Family {
	case FamilyGBDT:
		return c.gb.Features()
	case FamilyScorecard:
		return len(c.Scorecard.Features)
	case FamilyPrior:
		return -1
	}
	return len(c.Logistic.Coef)
}

// Calibrate turns a margin into the calibrated probability.
func (c *Classifier) Calibrate(m float64) float64 {
	switch {
	case c.Platt != nil:
		return c.Platt.ApplyMargin(m)
	case c.Isotonic != nil:
		return c.Isotonic.Apply(sigmoid(m))
	}
	return sigmoid(m)
}

// Contributions writes each column's additive share of the margin into out
// and returns the base, so that base + Σ out = Margin(x). Trees use
// path-based contributions: as additive as Tree SHAP and a hundred times
// cheaper, which matters when every open invoice carries its reasons.
func (c *Classifier) Contributions(x, out []float64) float64 {
	base := c.rawContributions(x, out)
	if c.History != nil {
		return c.History.contributions(x, out, base)
	}
	return base
}

// rawContributions are the contributions to rawMargin.
func (c *Classifier) rawContributions(x, out []float64) float64 {
	switch c.Family {
	case FamilyGBDT:
		return c.gb.PathContributions(x, out)
	case FamilyScorecard:
		return c.Scorecard.Contributions(x, out)
	case FamilyPrior:
		clear(out)
		return c.Margin(x)
	}
	return c.Logistic.Contributions(x, out)
}

func sigmoid(m float64) float64 { return 1 / (1 + math.Exp(-m)) }

// trainClassifier fits setting s on (X, y); a booster with early stopping
// stops on (VX, vy) when given.
func trainClassifier(ctx context.Context, s setting, X [][]float64, y []float64, VX [][]float64, vy []float64, cols []string, seed uint64) (*Classifier, error) {
	pos := positives(y)
	c := &Classifier{Family: s.family, Examples: len(y), Positives: pos, Base: float64(pos) / float64(len(y))}
	switch s.family {
	case FamilyGBDT:
		p := s.gbdt
		p.Seed = seed
		var vs *gbdt.Set
		if len(VX) > 0 && p.EarlyStopping > 0 {
			vs = &gbdt.Set{X: VX, Y: vy}
		} else {
			p.EarlyStopping = 0
		}
		m, err := gbdt.Train(ctx, X, y, nil, vs, p)
		if err != nil {
			return nil, fmt.Errorf("train gbdt: %w", err)
		}
		b, err := m.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("encode trees: %w", err)
		}
		c.Trees, c.gb = b, m
	case FamilyLogistic:
		m, err := linear.TrainLogistic(ctx, X, y, nil, linear.Options{L2: s.l2, MaxIter: 200, Tol: 1e-5})
		if err != nil {
			return nil, fmt.Errorf("train logistic: %w", err)
		}
		c.Logistic = m
	case FamilyScorecard:
		m, err := scorecard.Fit(ctx, X, y, cols, scorecard.Options{L2: s.l2, Seed: seed})
		if err != nil {
			return nil, fmt.Errorf("train scorecard: %w", err)
		}
		c.Scorecard = m
	default:
		return nil, fmt.Errorf("unknown model family %q", s.family)
	}
	return c, nil
}
