package gbdt

import "fmt"

// Contributions writes exact Tree SHAP values (path-dependent, Lundberg et
// al. 2018, "Consistent Individualized Feature Attribution for Tree
// Ensembles", Algorithm 2) of x's margin into out (len = Features()) and
// returns the bias, the expected margin over the training distribution as
// seen by the trees (base score + cover-weighted mean leaf of each tree), so
// that bias + Σ out == Margin(x) up to rounding. A feature that no tree
// splits on gets exactly 0.
func (m *Model) Contributions(x []float64, out []float64) float64 {
	if len(out) != m.nFeatures {
		panic(fmt.Sprintf("gbdt: Contributions: len(out) = %d, want %d", len(out), m.nFeatures))
	}
	clear(out)
	bias := m.base
	var buf []pathElem
	for ti := range m.trees {
		t := &m.trees[ti]
		bias += t.expected(0)
		if len(t.nodes) == 1 {
			continue
		}
		d := t.depth(0)
		if need := (d + 2) * (d + 3) / 2; len(buf) < need {
			buf = make([]pathElem, need)
		}
		t.shap(x, out, 0, buf, 0, 1, 1, -1)
	}
	return bias
}

// expected is the cover-weighted mean leaf value below node i.
func (t *tree) expected(i int) float64 {
	nd := &t.nodes[i]
	if nd.feature < 0 {
		return nd.value
	}
	l, r := &t.nodes[nd.left], &t.nodes[nd.right]
	return (l.cover*t.expected(int(nd.left)) + r.cover*t.expected(int(nd.right))) / (l.cover + r.cover)
}

func (t *tree) depth(i int) int {
	nd := &t.nodes[i]
	if nd.feature < 0 {
		return 0
	}
	return 1 + max(t.depth(int(nd.left)), t.depth(int(nd.right)))
}

// pathElem is one feature on the unique path to a node: the fraction of
// "zero" (feature not in the coalition: follow both children by cover) and
// "one" (feature in the coalition: follow x) paths flowing through, and the
// permutation weight.
type pathElem struct {
	feature   int
	zero, one float64
	weight    float64
}

// extendPath appends a feature with the given fractions to path[:depth] (so
// the path then has depth+1 elements) and updates the permutation weights.
func extendPath(path []pathElem, depth int, zero, one float64, feature int) {
	w := 0.0
	if depth == 0 {
		w = 1
	}
	path[depth] = pathElem{feature: feature, zero: zero, one: one, weight: w}
	fd := float64(depth + 1)
	for i := depth - 1; i >= 0; i-- {
		path[i+1].weight += one * path[i].weight * float64(i+1) / fd
		path[i].weight = zero * path[i].weight * float64(depth-i) / fd
	}
}

// unwindPath removes element k from path[:depth+1], undoing its extension.
func unwindPath(path []pathElem, depth, k int) {
	one, zero := path[k].one, path[k].zero
	next := path[depth].weight
	fd := float64(depth + 1)
	for i := depth - 1; i >= 0; i-- {
		if one != 0 {
			tmp := path[i].weight
			path[i].weight = next * fd / (float64(i+1) * one)
			next = tmp - path[i].weight*zero*float64(depth-i)/fd
		} else {
			path[i].weight = path[i].weight * fd / (zero * float64(depth-i))
		}
	}
	for i := k; i < depth; i++ {
		path[i].feature, path[i].zero, path[i].one = path[i+1].feature, path[i+1].zero, path[i+1].one
	}
}

// unwoundSum is the total weight of path[:depth+1] with element k removed,
// without modifying the path.
func unwoundSum(path []pathElem, depth, k int) float64 {
	one, zero := path[k].one, path[k].zero
	next := path[depth].weight
	fd := float64(depth + 1)
	total := 0.0
	for i := depth - 1; i >= 0; i-- {
		if one != 0 {
			tmp := next * fd / (float64(i+1) * one)
			total += tmp
			next = path[i].weight - tmp*zero*float64(depth-i)/fd
		} else if zero != 0 {
			total += path[i].weight * fd / (zero * float64(depth-i))
		}
	}
	return total
}

// shap recurses into node i. buf[:d] holds the parent's unique path (d
// elements); this call's path is built in buf[d:2d+1] and its children use
// the space from buf[d:] on (their parent path being this call's path).
func (t *tree) shap(x, phi []float64, i int, buf []pathElem, d int, zero, one float64, feature int) {
	path := buf[d : 2*d+1]
	copy(path, buf[:d])
	extendPath(path, d, zero, one, feature)
	nd := &t.nodes[i]
	if nd.feature < 0 {
		for k := 1; k <= d; k++ {
			w := unwoundSum(path, d, k)
			phi[path[k].feature] += w * (path[k].one - path[k].zero) * nd.value
		}
		return
	}
	v := x[nd.feature]
	var goLeft bool
	if v != v {
		goLeft = nd.defaultLeft
	} else {
		goLeft = v < nd.threshold
	}
	hot, cold := int(nd.right), int(nd.left)
	if goLeft {
		hot, cold = cold, hot
	}
	ud := d
	inZero, inOne := 1.0, 1.0
	for k := 1; k <= ud; k++ {
		if path[k].feature == int(nd.feature) {
			inZero, inOne = path[k].zero, path[k].one
			unwindPath(path, ud, k)
			ud--
			break
		}
	}
	cover := t.nodes[hot].cover + t.nodes[cold].cover
	child := buf[d:]
	t.shap(x, phi, hot, child, ud+1, inZero*t.nodes[hot].cover/cover, inOne, int(nd.feature))
	t.shap(x, phi, cold, child, ud+1, inZero*t.nodes[cold].cover/cover, 0, int(nd.feature))
}

// PathContributions writes path-based (Saabas) contributions of x's margin
// into out and returns the bias: along x's path through each tree, the
// feature split on is credited with the change in the expected value from a
// node to the child x goes to. bias + Σ out == Margin(x) exactly as Tree SHAP,
// at O(depth) per tree instead of O(leaves·depth²); the split of credit
// between features is less even-handed than Shapley values' (it depends on
// the order of the splits), which is acceptable for reason codes.
func (m *Model) PathContributions(x []float64, out []float64) float64 {
	if len(out) != m.nFeatures {
		panic(fmt.Sprintf("gbdt: PathContributions: len(out) = %d, want %d", len(out), m.nFeatures))
	}
	clear(out)
	bias := m.base
	for ti := range m.trees {
		t := &m.trees[ti]
		bias += t.exp[0]
		i := 0
		for {
			nd := &t.nodes[i]
			if nd.feature < 0 {
				break
			}
			v := x[nd.feature]
			next := int(nd.right)
			if (v != v && nd.defaultLeft) || (v == v && v < nd.threshold) {
				next = int(nd.left)
			}
			out[nd.feature] += t.exp[next] - t.exp[i]
			i = next
		}
	}
	return bias
}
