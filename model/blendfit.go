package model

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model/metrics"
)

// blendFit is a stacked blend being trained: the booster's and the
// logistic regression's best settings as cross-validated on the fit
// window, with their encodings of it.
type blendFit struct {
	tree, lin             *cvFit
	dt, dl                design
	ct, cl                []string
	histLate, histSettled int     // tree columns of the history member; -1: none
	base                  float64 // the fit window's late rate
	use                   [blendMembers]bool
}

// blendMode is how a small window combines the families (experiment
// switch; see chooseBlend).
func blendMode() string {
	if v := os.Getenv("DSO_BLEND"); v != "" {
		return v
	}
	return "glh"
}

// newBlendFit prepares the blend of the best booster and logistic settings,
// or returns nil when either is missing or their folds differ.
func newBlendFit(enc *Encoder, tree, lin *cvFit, dt, dl design, o TrainOptions) *blendFit {
	mode := blendMode()
	if mode == "off" || tree == nil || lin == nil || !slices.Equal(tree.rows, lin.rows) {
		return nil
	}
	bf := &blendFit{tree: tree, lin: lin, dt: dt, dl: dl, ct: enc.columns(FamilyGBDT), cl: enc.columns(FamilyLogistic), histLate: -1, histSettled: -1}
	bf.base = float64(positives(dt.y)) / float64(max(1, len(dt.y)))
	bf.use = [blendMembers]bool{true, true, false}
	if mode == "glh" || mode == "h" || mode == "avg3" || mode == "avgh" {
		l := o.Features.Longest()
		bf.histLate = slices.Index(enc.Numeric, fmt.Sprintf("invoices_settled_late_%dd", l))
		bf.histSettled = slices.Index(enc.Numeric, fmt.Sprintf("invoices_settled_%dd", l))
		bf.use[2] = bf.histLate >= 0 && bf.histSettled >= 0
	}
	if mode == "h" || mode == "avgh" {
		bf.use[1] = false
	}
	return bf
}

// blendOf is the Blend of members tree and lin with bf's history member
// and no weights yet.
func (bf *blendFit) blendOf(tree, lin *Classifier) *Blend {
	return &Blend{Tree: tree, Linear: lin, TreeWidth: len(bf.ct), HistLate: bf.histLate, HistSettled: bf.histSettled, Shrink: histShrink, Base: bf.base}
}

// oof is the members' out-of-fold margins, row by row, and the labels.
func (bf *blendFit) oof() ([][blendMembers]float64, []float64) {
	h := bf.blendOf(nil, nil)
	m := make([][blendMembers]float64, len(bf.tree.margins))
	for i := range m {
		m[i] = [blendMembers]float64{bf.tree.margins[i], bf.lin.margins[i], h.histMargin(bf.dt.X[bf.tree.rows[i]])}
	}
	return m, append([]float64(nil), bf.tree.y...)
}

// candidate scores the stack on the out-of-fold predictions its weights
// were fitted on: in sample for the weights, shown, not used to choose.
func (bf *blendFit) candidate(coef [blendMembers]float64, ic float64) Candidate {
	m, y := bf.oof()
	p := make([]float64, len(m))
	for i := range m {
		s := ic
		for j, c := range coef {
			s += c * m[i][j]
		}
		p[i] = sigmoid(s)
	}
	return Candidate{Family: FamilyBlend, Setting: fmt.Sprintf("%s + %s, stacked on these predictions", bf.tree.s.name, bf.lin.s.name), Folds: bf.tree.folds, N: len(p),
		AUC: metrics.AUC(p, y, nil), LogLoss: metrics.LogLoss(p, y), Brier: metrics.Brier(p, y)}
}

// fit refits both members on dt and dl (the rows they were folded over,
// perhaps with more after them) and stacks them on m and y: out-of-sample
// margins of the members.
func (bf *blendFit) fit(ctx context.Context, dt, dl design, m [][blendMembers]float64, y []float64, o TrainOptions) (*Classifier, error) {
	fitW := fitStack
	if strings.HasPrefix(blendMode(), "avg") {
		fitW = fitAverage
	}
	coef, ic, err := fitW(m, y, bf.use)
	if err != nil {
		return nil, fmt.Errorf("blend: %w", err)
	}
	tree, err := refit(ctx, bf.tree.s, bf.tree.trees, dt, bf.tree.margins, bf.tree.y, bf.ct, o)
	if err != nil {
		return nil, err
	}
	lin, err := refit(ctx, bf.lin.s, bf.lin.trees, dl, bf.lin.margins, bf.lin.y, bf.cl, o)
	if err != nil {
		return nil, err
	}
	b := bf.blendOf(tree, lin)
	b.Coef, b.Intercept = coef, ic
	pos := positives(dt.y)
	return &Classifier{Family: FamilyBlend, Blend: b, Base: float64(pos) / float64(len(dt.y)), Positives: pos, Examples: len(dt.y),
		Setting: tree.Setting + " + " + lin.Setting, Calibration: len(y)}, nil
}

// bundleBlend is the bundle's blend once the fit window's blend fw has
// been validated: its members refitted on the fit window and report rows,
// stacked on the out-of-fold margins and fw's members' margins on the
// report rows.
func (bf *blendFit) bundleBlend(ctx context.Context, enc *Encoder, fw *Classifier, report []features.Example, label func(*features.Example) bool, o TrainOptions) (*Classifier, error) {
	rt := encodeDesign(enc, FamilyGBDT, report, label)
	rl := encodeDesign(enc, FamilyLogistic, report, label)
	m, y := bf.oof()
	for i := range rt.X {
		x := append(append([]float64(nil), rt.X[i]...), rl.X[i]...)
		var r [blendMembers]float64
		fw.Blend.members(x, &r)
		r[2] = fw.Blend.histMargin(x)
		m, y = append(m, r), append(y, rt.y[i])
	}
	cat := func(a, b design) design {
		return design{X: append(append([][]float64(nil), a.X...), b.X...), y: append(append([]float64(nil), a.y...), b.y...)}
	}
	return bf.fit(ctx, cat(bf.dt, rt), cat(bf.dl, rl), m, y, o)
}
