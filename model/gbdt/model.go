package gbdt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
)

// node is a tree node; feature < 0 marks a leaf. An internal node sends x
// left when x[feature] < threshold, right otherwise, and a missing (NaN)
// value to its default side.
type node struct {
	threshold   float64
	value       float64 // leaf value (already scaled by the learning rate)
	cover       float64 // hessian sum of the training rows reaching the node
	gain        float64 // split gain (internal nodes)
	feature     int32
	left, right int32
	defaultLeft bool
}

type tree struct {
	nodes []node
	// exp[i] is the cover-weighted mean leaf value below node i, for
	// path-based contributions; filled by newTree.
	exp []float64
}

// newTree wraps nodes and precomputes the expected value of every node.
func newTree(nodes []node) tree {
	t := tree{nodes: nodes, exp: make([]float64, len(nodes))}
	// Children follow their parents, so a backward pass sees children first.
	for i := len(nodes) - 1; i >= 0; i-- {
		nd := &nodes[i]
		if nd.feature < 0 {
			t.exp[i] = nd.value
			continue
		}
		l, r := &nodes[nd.left], &nodes[nd.right]
		t.exp[i] = (l.cover*t.exp[nd.left] + r.cover*t.exp[nd.right]) / (l.cover + r.cover)
	}
	return t
}

func (t *tree) leaf(x []float64) int {
	i := 0
	for {
		nd := &t.nodes[i]
		if nd.feature < 0 {
			return i
		}
		v := x[nd.feature]
		var left bool
		if v != v {
			left = nd.defaultLeft
		} else {
			left = v < nd.threshold
		}
		if left {
			i = int(nd.left)
		} else {
			i = int(nd.right)
		}
	}
}

func (t *tree) value(x []float64) float64 { return t.nodes[t.leaf(x)].value }

// Model is a trained boosted tree ensemble. It is safe for concurrent use
// once trained (or unmarshalled).
type Model struct {
	nFeatures int
	base      float64 // margin before any tree (log-odds of the weighted mean label)
	trees     []tree
	// fl is the compiled form used for prediction; nil when the trees are
	// too deep to pad (see maxFlatDepth).
	fl *flat
}

// Padding every tree to the deepest one grows as trees × 2^depth; beyond
// these bounds (24 bytes a padded node) the trees are walked node by node.
const (
	maxFlatDepth = 10
	maxFlatNodes = 1 << 22
)

// prepare compiles the trees for prediction once they are final.
func (m *Model) prepare() {
	m.fl = nil
	d := 0
	for i := range m.trees {
		d = max(d, m.trees[i].depth(0))
	}
	if d <= maxFlatDepth && len(m.trees)<<d <= maxFlatNodes {
		m.fl = compile(m.trees)
	}
}

// Trees is the number of trees (boosting rounds kept).
func (m *Model) Trees() int { return len(m.trees) }

// Features is the number of input features.
func (m *Model) Features() int { return m.nFeatures }

// Margin is the raw log-odds score of row x (len = Features(); NaN = missing).
func (m *Model) Margin(x []float64) float64 {
	if m.fl != nil {
		return m.fl.margin(m.base, x[:m.nFeatures])
	}
	s := m.base
	for i := range m.trees {
		s += m.trees[i].value(x)
	}
	return s
}

// MarginsFlat writes the margins of the rows of X to out: row i is
// X[i*stride : i*stride+Features()], stride ≥ Features(), len(X) ≥
// len(out)*stride. It is the batch form of Margin, several times faster
// for blocks of a few hundred rows.
func (m *Model) MarginsFlat(X []float64, stride int, out []float64) {
	if stride < m.nFeatures {
		panic(fmt.Sprintf("gbdt: MarginsFlat: stride %d < %d features", stride, m.nFeatures))
	}
	for i := range out {
		out[i] = m.base
	}
	if m.fl != nil {
		m.fl.addMargins(X, stride, out)
		return
	}
	for i := range out {
		x := X[i*stride : i*stride+m.nFeatures]
		for t := range m.trees {
			out[i] += m.trees[t].value(x)
		}
	}
}

// Predict is the probability of label 1 for x: sigmoid(Margin(x)).
func (m *Model) Predict(x []float64) float64 { return sigmoid(m.Margin(x)) }

// PredictBatch writes Predict(X[i]) to out[i] (len(out) must be >= len(X)),
// spreading blocks of rows over GOMAXPROCS goroutines.
func (m *Model) PredictBatch(X [][]float64, out []float64) {
	if len(out) < len(X) {
		panic(fmt.Sprintf("gbdt: PredictBatch: len(out) = %d < len(X) = %d", len(out), len(X)))
	}
	const block = 256
	parallelFor(runtime.GOMAXPROCS(0), (len(X)+block-1)/block, func(b int) {
		lo, hi := b*block, min(len(X), (b+1)*block)
		for i := lo; i < hi; i++ {
			out[i] = m.base
		}
		if m.fl != nil {
			for i := lo; i < hi; i++ {
				out[i] = sigmoid(m.fl.margin(m.base, X[i][:m.nFeatures]))
			}
			return
		}
		// Tree-major within a block keeps one tree hot in cache.
		for t := range m.trees {
			tr := &m.trees[t]
			for i := lo; i < hi; i++ {
				out[i] += tr.value(X[i])
			}
		}
		for i := lo; i < hi; i++ {
			out[i] = sigmoid(out[i])
		}
	})
}

// Importance returns the total split gain of each feature over all trees.
func (m *Model) Importance() []float64 {
	imp := make([]float64, m.nFeatures)
	for _, t := range m.trees {
		for _, nd := range t.nodes {
			if nd.feature >= 0 {
				imp[nd.feature] += nd.gain
			}
		}
	}
	return imp
}

const (
	magic         = "DSOGBDT\x00"
	formatVersion = 1
	nodeBytes     = 8*4 + 4*3 + 1
)

// MarshalBinary encodes the model in a little-endian format; equal models
// give identical bytes.
func (m *Model) MarshalBinary() ([]byte, error) {
	size := len(magic) + 4 + 4 + 8 + 4
	for _, t := range m.trees {
		size += 4 + len(t.nodes)*nodeBytes
	}
	b := make([]byte, 0, size)
	le := binary.LittleEndian
	b = append(b, magic...)
	b = le.AppendUint32(b, formatVersion)
	b = le.AppendUint32(b, uint32(m.nFeatures))
	b = le.AppendUint64(b, math.Float64bits(m.base))
	b = le.AppendUint32(b, uint32(len(m.trees)))
	for _, t := range m.trees {
		b = le.AppendUint32(b, uint32(len(t.nodes)))
		for _, nd := range t.nodes {
			b = le.AppendUint64(b, math.Float64bits(nd.threshold))
			b = le.AppendUint64(b, math.Float64bits(nd.value))
			b = le.AppendUint64(b, math.Float64bits(nd.cover))
			b = le.AppendUint64(b, math.Float64bits(nd.gain))
			b = le.AppendUint32(b, uint32(nd.feature))
			b = le.AppendUint32(b, uint32(nd.left))
			b = le.AppendUint32(b, uint32(nd.right))
			var dl byte
			if nd.defaultLeft {
				dl = 1
			}
			b = append(b, dl)
		}
	}
	return b, nil
}

// UnmarshalBinary decodes a model written by MarshalBinary, checking its
// structure (children after their parent, features in range).
func (m *Model) UnmarshalBinary(data []byte) error {
	errShort := errors.New("gbdt: unmarshal: truncated data")
	if !bytes.HasPrefix(data, []byte(magic)) {
		return errors.New("gbdt: unmarshal: not a gbdt model")
	}
	r := data[len(magic):]
	le := binary.LittleEndian
	u32 := func() (uint32, bool) {
		if len(r) < 4 {
			return 0, false
		}
		v := le.Uint32(r)
		r = r[4:]
		return v, true
	}
	f64 := func() (float64, bool) {
		if len(r) < 8 {
			return 0, false
		}
		v := math.Float64frombits(le.Uint64(r))
		r = r[8:]
		return v, true
	}
	ver, ok := u32()
	if !ok {
		return errShort
	}
	if ver != formatVersion {
		return fmt.Errorf("gbdt: unmarshal: format version %d, want %d", ver, formatVersion)
	}
	nf, ok1 := u32()
	base, ok2 := f64()
	nt, ok3 := u32()
	if !ok1 || !ok2 || !ok3 {
		return errShort
	}
	if nf == 0 || nf > math.MaxInt32 {
		return fmt.Errorf("gbdt: unmarshal: bad feature count %d", nf)
	}
	if uint64(nt)*4 > uint64(len(r)) {
		return errShort
	}
	trees := make([]tree, nt)
	for ti := range trees {
		nn, ok := u32()
		if !ok {
			return errShort
		}
		if nn == 0 || uint64(nn)*nodeBytes > uint64(len(r)) {
			return errShort
		}
		nodes := make([]node, nn)
		for i := range nodes {
			nd := &nodes[i]
			nd.threshold, _ = f64()
			nd.value, _ = f64()
			nd.cover, _ = f64()
			nd.gain, _ = f64()
			f, _ := u32()
			l, _ := u32()
			rt, _ := u32()
			nd.feature, nd.left, nd.right = int32(f), int32(l), int32(rt)
			nd.defaultLeft = r[0] == 1
			r = r[1:]
			if nd.feature >= 0 {
				if int64(nd.feature) >= int64(nf) || nd.left <= int32(i) || nd.right <= int32(i) ||
					int64(nd.left) >= int64(nn) || int64(nd.right) >= int64(nn) {
					return fmt.Errorf("gbdt: unmarshal: tree %d node %d is malformed", ti, i)
				}
			}
		}
		trees[ti] = newTree(nodes)
	}
	if len(r) != 0 {
		return fmt.Errorf("gbdt: unmarshal: %d trailing bytes", len(r))
	}
	*m = Model{nFeatures: int(nf), base: base, trees: trees}
	m.prepare()
	return nil
}

// Average is the model whose margin is the mean of the given models'
// margins: every tree of each, its leaf values divided by the number of
// models. A bag of boosters fitted with different seeds (their row and
// column subsamples differ) averaged this way has less variance than any
// one of them, which matters on small training sets; scoring, contributions
// and the binary form are those of one model with more trees.
func Average(models []*Model) (*Model, error) {
	if len(models) == 0 {
		return nil, errors.New("gbdt: average: no models")
	}
	k := float64(len(models))
	out := &Model{nFeatures: models[0].nFeatures}
	for _, m := range models {
		if m.nFeatures != out.nFeatures {
			return nil, fmt.Errorf("gbdt: average: a model reads %d features, another %d", out.nFeatures, m.nFeatures)
		}
		out.base += m.base / k
		for _, t := range m.trees {
			nodes := append([]node(nil), t.nodes...)
			for i := range nodes {
				if nodes[i].feature < 0 {
					nodes[i].value /= k
				}
			}
			out.trees = append(out.trees, newTree(nodes))
		}
	}
	out.prepare()
	return out, nil
}
