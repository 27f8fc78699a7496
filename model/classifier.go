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

// Model families.
const (
	FamilyGBDT      = "gbdt"
	FamilyLogistic  = "logistic"
	FamilyScorecard = "scorecard"
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
	Base      float64              `json:"base_rate"` // training share of positives
	Positives int                  `json:"positives"`
	Examples  int                  `json:"examples"`

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

// Margin is the uncalibrated log-odds of x.
func (c *Classifier) Margin(x []float64) float64 {
	switch c.Family {
	case FamilyGBDT:
		return c.gb.Margin(x)
	case FamilyScorecard:
		return c.Scorecard.Margin(x)
	}
	return c.Logistic.Margin(x)
}

// Margins writes the margins of the rows of X (row i at
// X[i*stride : (i+1)*stride]) to out.
func (c *Classifier) Margins(X []float64, stride int, out []float64) {
	if c.Family == FamilyGBDT {
		c.gb.MarginsFlat(X, stride, out)
		return
	}
	w := c.width()
	for i := range out {
		out[i] = c.Margin(X[i*stride : i*stride+w])
	}
}

// width is the number of encoded columns the classifier reads.
func (c *Classifier) width() int {
	switch c.Family {
	case FamilyGBDT:
		return c.gb.Features()
	case FamilyScorecard:
		return len(c.Scorecard.Features)
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
	switch c.Family {
	case FamilyGBDT:
		return c.gb.PathContributions(x, out)
	case FamilyScorecard:
		return c.Scorecard.Contributions(x, out)
	}
	return c.Logistic.Contributions(x, out)
}

func sigmoid(m float64) float64 { return 1 / (1 + math.Exp(-m)) }

// trainClassifier fits one family on (X, y).
func trainClassifier(ctx context.Context, family string, X [][]float64, y []float64, valid [][]float64, validY []float64, cols []string, o TrainOptions) (*Classifier, error) {
	pos := 0
	for _, v := range y {
		if v == 1 {
			pos++
		}
	}
	c := &Classifier{Family: family, Examples: len(y), Positives: pos, Base: float64(pos) / float64(len(y))}
	switch family {
	case FamilyGBDT:
		p := o.GBDT
		p.Seed = o.Seed
		var vs *gbdt.Set
		if len(valid) > 0 && p.EarlyStopping > 0 {
			vs = &gbdt.Set{X: valid, Y: validY}
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
		m, err := linear.TrainLogistic(ctx, X, y, nil, linear.Options{L2: o.L2, MaxIter: 200, Tol: 1e-5})
		if err != nil {
			return nil, fmt.Errorf("train logistic: %w", err)
		}
		c.Logistic = m
	case FamilyScorecard:
		m, err := scorecard.Fit(ctx, X, y, cols, scorecard.Options{L2: o.L2, Seed: o.Seed})
		if err != nil {
			return nil, fmt.Errorf("train scorecard: %w", err)
		}
		c.Scorecard = m
	default:
		return nil, fmt.Errorf("unknown model family %q", family)
	}
	return c, nil
}
