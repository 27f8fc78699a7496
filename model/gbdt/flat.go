package gbdt

import "fmt"

// flatNode is an internal node of a compiled tree: x goes right when
// x[feature] >= threshold, and a missing value goes right when the node's
// default is right (bit 31 of fe).
type flatNode struct {
	thr float64
	fe  uint32 // feature | nanRight<<31
	_   uint32
}

const nanRightBit = 1 << 31

// flat is a model compiled for inference. Every tree is padded to a perfect
// binary tree of the ensemble's greatest depth D, stored in breadth-first
// order (children of k at 2k+1 and 2k+2), so that a row reaches its leaf in
// exactly D steps with no leaf test and no data-dependent branch: scoring a
// portfolio is then bound by memory latency, not by branch mispredictions.
// A leaf shallower than D is padded by a split whose two subtrees carry the
// same leaf value, so the padding never changes a prediction.
type flat struct {
	depth int
	inner int // 2^D − 1 internal nodes per tree
	nodes []flatNode
	leaf  []float64 // 2^D leaves per tree
}

// compile builds the flat form of m's trees.
func compile(trees []tree) *flat {
	d := 0
	for i := range trees {
		d = max(d, trees[i].depth(0))
	}
	f := &flat{depth: d, inner: 1<<d - 1}
	f.nodes = make([]flatNode, len(trees)*f.inner)
	f.leaf = make([]float64, len(trees)<<d)
	for ti := range trees {
		t := &trees[ti]
		nodes := f.nodes[ti*f.inner : (ti+1)*f.inner]
		leaves := f.leaf[ti<<d : (ti+1)<<d]
		var place func(src, k, level int)
		place = func(src, k, level int) {
			nd := &t.nodes[src]
			if level == d {
				leaves[k-f.inner] = nd.value
				return
			}
			if nd.feature < 0 {
				// Padding: both children repeat this leaf.
				nodes[k] = flatNode{thr: 0}
				place(src, 2*k+1, level+1)
				place(src, 2*k+2, level+1)
				return
			}
			fe := uint32(nd.feature)
			if !nd.defaultLeft {
				fe |= nanRightBit
			}
			nodes[k] = flatNode{thr: nd.threshold, fe: fe}
			place(int(nd.left), 2*k+1, level+1)
			place(int(nd.right), 2*k+2, level+1)
		}
		place(0, 0, 0)
	}
	return f
}

// step is the child offset (0 left, 1 right) of x at node n, without a
// branch the predictor could miss.
func step(n *flatNode, x []float64) int {
	v := x[n.fe&^nanRightBit]
	return b2i(v >= n.thr) | (b2i(v != v) & int(n.fe>>31))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// margin adds the leaf values x reaches to s, tree by tree in order (so
// that it equals the node-by-node traversal bit for bit).
func (f *flat) margin(s float64, x []float64) float64 {
	nt := len(f.leaf) >> f.depth
	for t := range nt {
		nodes := f.nodes[t*f.inner : (t+1)*f.inner]
		k := 0
		for range f.depth {
			k = 2*k + 1 + step(&nodes[k], x)
		}
		s += f.leaf[t<<f.depth+k-f.inner]
	}
	return s
}

// addMargins adds the leaf sums of the rows of X (row i at
// X[i*stride : i*stride+stride]) to out[i]. Trees are the outer loop so one
// tree stays in L1 while it meets every row of the block, and the rows'
// descents, being independent, overlap in the processor.
func (f *flat) addMargins(X []float64, stride int, out []float64) {
	n := len(out)
	if len(X) < n*stride {
		panic(fmt.Sprintf("gbdt: %d values do not hold %d rows of %d", len(X), n, stride))
	}
	nt := len(f.leaf) >> f.depth
	for t := range nt {
		nodes := f.nodes[t*f.inner : (t+1)*f.inner]
		leaf := f.leaf[t<<f.depth : (t+1)<<f.depth]
		if f.depth == 0 {
			for i := range out {
				out[i] += leaf[0]
			}
			continue
		}
		// Four rows descend together: their chains of dependent loads are
		// independent, so the processor overlaps them.
		i := 0
		for ; i+4 <= len(out); i += 4 {
			x0 := X[i*stride : i*stride+stride]
			x1 := X[(i+1)*stride : (i+1)*stride+stride]
			x2 := X[(i+2)*stride : (i+2)*stride+stride]
			x3 := X[(i+3)*stride : (i+3)*stride+stride]
			k0, k1, k2, k3 := 0, 0, 0, 0
			for range f.depth {
				k0 = 2*k0 + 1 + step(&nodes[k0], x0)
				k1 = 2*k1 + 1 + step(&nodes[k1], x1)
				k2 = 2*k2 + 1 + step(&nodes[k2], x2)
				k3 = 2*k3 + 1 + step(&nodes[k3], x3)
			}
			out[i] += leaf[k0-f.inner]
			out[i+1] += leaf[k1-f.inner]
			out[i+2] += leaf[k2-f.inner]
			out[i+3] += leaf[k3-f.inner]
		}
		for ; i < len(out); i++ {
			x := X[i*stride : i*stride+stride]
			k := 0
			for range f.depth {
				k = 2*k + 1 + step(&nodes[k], x)
			}
			out[i] += leaf[k-f.inner]
		}
	}
}
