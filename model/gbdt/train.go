package gbdt

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
)

// ghPair is a gradient/hessian pair (also a histogram cell).
type ghPair struct{ g, h float64 }

// rowBlock is the fixed number of rows per task of element-wise loops.
const rowBlock = 8192

// parallelFor runs fn(0..n-1) on up to threads goroutines. Callers only use
// it for tasks whose results do not depend on scheduling.
func parallelFor(threads, n int, fn func(i int)) {
	if threads <= 1 || n <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	threads = min(threads, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(threads)
	for t := 0; t < threads; t++ {
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// parallelRows runs fn over [lo,hi) blocks of rowBlock rows covering [0,n).
func parallelRows(threads, n int, fn func(lo, hi int)) {
	parallelFor(threads, (n+rowBlock-1)/rowBlock, func(b int) {
		fn(b*rowBlock, min(n, (b+1)*rowBlock))
	})
}

func train(ctx context.Context, X [][]float64, y, w []float64, valid *Set, p Params, nf int) (*Model, error) {
	n := len(X)
	bd := binData(X, nf, p.MaxBins, p.Threads)

	var sw, swy float64
	for i, yi := range y {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		sw += wi
		swy += wi * yi
	}
	mean := swy / sw
	m := &Model{nFeatures: nf, base: math.Log(mean / (1 - mean))}

	margin := make([]float64, n)
	for i := range margin {
		margin[i] = m.base
	}
	var vMargin []float64
	if valid != nil {
		vMargin = make([]float64, len(valid.X))
		for i := range vMargin {
			vMargin[i] = m.base
		}
	}

	rng := rand.New(rand.NewPCG(p.Seed, 0x6a09e667f3bcc909))
	tb := newTreeBuilder(bd, p)
	gh := make([]ghPair, n)
	var rows []int32
	if p.Subsample < 1 {
		rows = make([]int32, 0, n)
	}
	allFeats := make([]int, nf)
	for f := range allFeats {
		allFeats[f] = f
	}

	bestLoss, bestTrees, since := math.Inf(1), 0, 0
	for t := 0; t < p.Trees; t++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("gbdt: train: round %d: %w", t, err)
		}
		parallelRows(p.Threads, n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				pr := sigmoid(margin[i])
				wi := 1.0
				if w != nil {
					wi = w[i]
				}
				gh[i] = ghPair{(pr - y[i]) * wi, max(pr*(1-pr), 1e-16) * wi}
			}
		})
		// Row and feature sampling draw from one generator in a fixed order.
		sampled := false
		if p.Subsample < 1 {
			rows = rows[:0]
			for i := 0; i < n; i++ {
				if rng.Float64() < p.Subsample {
					rows = append(rows, int32(i))
				}
			}
			if len(rows) == 0 {
				rows = append(rows, int32(rng.IntN(n)))
			}
			sampled = true
		}
		feats := allFeats
		if p.ColSample < 1 {
			k := max(1, int(math.Round(p.ColSample*float64(nf))))
			feats = rng.Perm(nf)[:k]
			slices.Sort(feats)
		}
		var sub []int32
		if sampled {
			sub = rows
		}
		tr := tb.build(gh, sub, feats)
		m.trees = append(m.trees, newTree(tr.nodes))

		if !sampled {
			// Every row sits in exactly one leaf's range of tb.pos.
			parallelFor(p.Threads, len(tb.leaves), func(li int) {
				lf := tb.leaves[li]
				for _, r := range tb.pos[lf.start:lf.end] {
					margin[r] += lf.value
				}
			})
		} else {
			parallelRows(p.Threads, n, func(lo, hi int) {
				for r := lo; r < hi; r++ {
					margin[r] += tr.binnedValue(bd, r)
				}
			})
		}
		if valid != nil {
			nt := &m.trees[len(m.trees)-1]
			parallelRows(p.Threads, len(valid.X), func(lo, hi int) {
				for i := lo; i < hi; i++ {
					vMargin[i] += nt.value(valid.X[i])
				}
			})
			if p.EarlyStopping > 0 {
				loss := setLogLoss(valid, vMargin)
				if loss < bestLoss {
					bestLoss, bestTrees, since = loss, len(m.trees), 0
				} else if since++; since >= p.EarlyStopping {
					break
				}
			}
		}
	}
	if p.EarlyStopping > 0 {
		m.trees = m.trees[:bestTrees]
	}
	m.prepare()
	return m, nil
}

// setLogLoss is the weighted mean log loss of s at the given margins.
func setLogLoss(s *Set, margin []float64) float64 {
	var sl, sw float64
	for i, yi := range s.Y {
		wi := 1.0
		if s.W != nil {
			wi = s.W[i]
		}
		sl += wi * logLoss1(yi, margin[i])
		sw += wi
	}
	return sl / sw
}

// builtTree is a tree with the bin thresholds used while training.
type builtTree struct {
	nodes  []node
	binThr []uint8 // left = value bins 1..binThr (missing: default direction)
}

func (t *builtTree) binnedValue(bd *binned, r int) float64 {
	i := 0
	for {
		nd := &t.nodes[i]
		if nd.feature < 0 {
			return nd.value
		}
		b := bd.cols[nd.feature][r]
		var left bool
		if b == missingBin {
			left = nd.defaultLeft
		} else {
			left = b <= t.binThr[i]
		}
		if left {
			i = int(nd.left)
		} else {
			i = int(nd.right)
		}
	}
}

type leafRange struct {
	start, end int
	value      float64
}

// nodeWork is a node of the level being grown.
type nodeWork struct {
	id         int // index in the tree's nodes
	start, end int // its rows are pos[start:end]
	G, H       float64
	depth      int
	hist       []ghPair // nil when the node will not be split
}

type splitInfo struct {
	gain        float64
	feature     int
	bin         int // left = value bins 1..bin
	defaultLeft bool
	GL, HL      float64
	ok          bool
}

type treeBuilder struct {
	bd        *binned
	p         Params
	pos       []int32  // row ids, each node owning a contiguous range
	posGH     []ghPair // gradients aligned with pos
	scratch   []int32
	scratchGH []ghPair
	ident     bool // pos is 0..n-1 (no row sampling) before any split
	pool      [][]ghPair
	parts     []ghPair // partial histograms of multi-block nodes
	leaves    []leafRange
}

func newTreeBuilder(bd *binned, p Params) *treeBuilder {
	return &treeBuilder{
		bd: bd, p: p,
		pos: make([]int32, bd.n), posGH: make([]ghPair, bd.n),
		scratch: make([]int32, bd.n), scratchGH: make([]ghPair, bd.n),
	}
}

// histLen is the length of a histogram buffer: every feature's segment
// starts at off[f] and a full 256-cell window from any offset is in range,
// so the inner loop indexes it by a byte without bounds checks.
func (tb *treeBuilder) histLen() int {
	nf := tb.bd.nf
	return tb.bd.off[nf-1] + tb.bd.nbins[nf-1] + 256
}

func (tb *treeBuilder) getHist() []ghPair {
	if k := len(tb.pool); k > 0 {
		h := tb.pool[k-1]
		tb.pool = tb.pool[:k-1]
		return h
	}
	return make([]ghPair, tb.histLen())
}

func (tb *treeBuilder) putHist(h []ghPair) {
	if h != nil {
		tb.pool = append(tb.pool, h)
	}
}

// canSplit reports whether a node could have two children that satisfy the
// depth and min child weight limits.
func (tb *treeBuilder) canSplit(nw *nodeWork) bool {
	return nw.depth < tb.p.MaxDepth && nw.end-nw.start >= 2 && nw.H >= 2*tb.p.MinChildWeight
}

// bestSplit scans feature f of node nw.
func (tb *treeBuilder) bestSplit(nw *nodeWork, f int) splitInfo {
	bd := tb.bd
	nb := bd.nbins[f]
	seg := nw.hist[bd.off[f] : bd.off[f]+nb]
	G, H, lam := nw.G, nw.H, tb.p.Lambda
	// A child needs MinChildWeight and must clearly exceed the rounding
	// residue of H - HL.
	minH := max(tb.p.MinChildWeight, 1e-10*(math.Abs(H)+1))
	parent := G * G / (H + lam)
	best := splitInfo{feature: f}
	eval := func(gl, hl float64, b int, defLeft bool) {
		hr := H - hl
		if hl < minH || hr < minH {
			return
		}
		gr := G - gl
		gain := 0.5*(gl*gl/(hl+lam)+gr*gr/(hr+lam)-parent) - tb.p.Gamma
		if gain > best.gain {
			best = splitInfo{gain: gain, feature: f, bin: b, defaultLeft: defLeft, GL: gl, HL: hl, ok: true}
		}
	}
	miss := seg[missingBin]
	var gl, hl float64
	for b := 1; b < nb; b++ {
		gl += seg[b].g
		hl += seg[b].h
		if b < nb-1 {
			eval(gl, hl, b, false)
			if miss.h > 0 {
				eval(gl+miss.g, hl+miss.h, b, true)
			}
		} else if miss.h > 0 {
			// All values left, missing right: missingness alone.
			eval(gl, hl, b, false)
		}
	}
	if best.ok && miss.h == 0 {
		// No missing values here: send unseen ones to the heavier child.
		best.defaultLeft = best.HL >= H-best.HL
	}
	return best
}

// partition reorders pos[start:end] (stably) so rows going left come first
// and returns the first right position.
func (tb *treeBuilder) partition(nw *nodeWork, s splitInfo) int {
	col := tb.bd.cols[s.feature]
	thr := uint8(s.bin)
	pos, gh := tb.pos, tb.posGH
	l, k := nw.start, nw.start
	for i := nw.start; i < nw.end; i++ {
		r := pos[i]
		b := col[r]
		var left bool
		if b == missingBin {
			left = s.defaultLeft
		} else {
			left = b <= thr
		}
		if left {
			pos[l], gh[l] = r, gh[i]
			l++
		} else {
			tb.scratch[k], tb.scratchGH[k] = r, gh[i]
			k++
		}
	}
	copy(pos[l:nw.end], tb.scratch[nw.start:k])
	copy(gh[l:nw.end], tb.scratchGH[nw.start:k])
	return l
}

func (tb *treeBuilder) leafValue(G, H float64) float64 {
	return -G / (H + tb.p.Lambda) * tb.p.LearningRate
}

// build grows one tree depth-wise on the rows in sub (nil = all rows) using
// the features in feats.
func (tb *treeBuilder) build(gh []ghPair, sub []int32, feats []int) *builtTree {
	bd, p := tb.bd, tb.p
	m := bd.n
	if sub == nil {
		tb.ident = true
		for i := range tb.pos {
			tb.pos[i] = int32(i)
		}
		copy(tb.posGH, gh)
	} else {
		tb.ident = false
		m = copy(tb.pos, sub)
		for i, r := range tb.pos[:m] {
			tb.posGH[i] = gh[r]
		}
	}
	var G, H float64
	for _, v := range tb.posGH[:m] {
		G += v.g
		H += v.h
	}
	tb.leaves = tb.leaves[:0]
	t := &builtTree{nodes: []node{{feature: -1, cover: H}}, binThr: []uint8{0}}
	level := []*nodeWork{{id: 0, start: 0, end: m, G: G, H: H}}
	if tb.canSplit(level[0]) {
		level[0].hist = tb.getHist()
		tb.buildHists(level, feats)
	}
	nfs := len(feats)
	for len(level) > 0 {
		splits := make([]splitInfo, len(level)*nfs)
		parallelFor(p.Threads, len(splits), func(i int) {
			nw := level[i/nfs]
			if nw.hist != nil {
				splits[i] = tb.bestSplit(nw, feats[i%nfs])
			}
		})
		type split struct {
			parent      *nodeWork
			s           splitInfo
			left, right *nodeWork
		}
		var done []*split
		for i, nw := range level {
			var best splitInfo
			for _, s := range splits[i*nfs : (i+1)*nfs] {
				if s.ok && (!best.ok || s.gain > best.gain) {
					best = s
				}
			}
			if !best.ok {
				v := tb.leafValue(nw.G, nw.H)
				t.nodes[nw.id].value = v
				tb.leaves = append(tb.leaves, leafRange{nw.start, nw.end, v})
				tb.putHist(nw.hist)
				nw.hist = nil
				continue
			}
			thr := math.Inf(1)
			if best.bin-1 < len(bd.cuts[best.feature]) {
				thr = bd.cuts[best.feature][best.bin-1]
			}
			li := len(t.nodes)
			L := &nodeWork{id: li, G: best.GL, H: best.HL, depth: nw.depth + 1}
			R := &nodeWork{id: li + 1, G: nw.G - best.GL, H: nw.H - best.HL, depth: nw.depth + 1}
			t.nodes[nw.id] = node{feature: int32(best.feature), threshold: thr, left: int32(li), right: int32(li + 1),
				defaultLeft: best.defaultLeft, gain: best.gain, cover: L.H + R.H}
			t.binThr[nw.id] = uint8(best.bin)
			t.nodes = append(t.nodes, node{feature: -1, cover: L.H}, node{feature: -1, cover: R.H})
			t.binThr = append(t.binThr, 0, 0)
			done = append(done, &split{parent: nw, s: best, left: L, right: R})
		}
		parallelFor(p.Threads, len(done), func(i int) {
			d := done[i]
			mid := tb.partition(d.parent, d.s)
			d.left.start, d.left.end = d.parent.start, mid
			d.right.start, d.right.end = mid, d.parent.end
		})
		tb.ident = false
		// Histograms: build the smaller child, derive the larger one as
		// parent - smaller in the parent's buffer.
		var small []*nodeWork
		type pair struct{ parent, small, large *nodeWork }
		var pairs []pair
		next := make([]*nodeWork, 0, 2*len(done))
		for _, d := range done {
			next = append(next, d.left, d.right)
			needL, needR := tb.canSplit(d.left), tb.canSplit(d.right)
			if !needL && !needR {
				tb.putHist(d.parent.hist)
				d.parent.hist = nil
				continue
			}
			s, l := d.left, d.right
			if l.end-l.start < s.end-s.start {
				s, l = l, s
			}
			s.hist = tb.getHist()
			l.hist = d.parent.hist
			d.parent.hist = nil
			small = append(small, s)
			pairs = append(pairs, pair{d.parent, s, l})
		}
		tb.buildHists(small, feats)
		parallelFor(p.Threads, len(pairs)*nfs, func(i int) {
			pr := pairs[i/nfs]
			f := feats[i%nfs]
			off, nb := bd.off[f], bd.nbins[f]
			ls := pr.large.hist[off : off+nb]
			ss := pr.small.hist[off : off+nb]
			for b := range ls {
				ls[b].g -= ss[b].g
				ls[b].h -= ss[b].h
			}
		})
		for _, nw := range next {
			if nw.hist != nil && !tb.canSplit(nw) {
				tb.putHist(nw.hist)
				nw.hist = nil
			}
		}
		level = next
	}
	return t
}

// histBlock is the number of node positions one row-wise histogram task
// covers. It is fixed (not derived from Threads) so that the partial sums
// and their reduction order never depend on the thread count.
const histBlock = 32_768

// buildHists builds the histograms of the given nodes for feats row-wise:
// one task per block of histBlock positions, reading each row's bins
// contiguously, partial histograms of a node's blocks being summed in block
// order. Row-wise beat column-wise even at the root (5x per cell on 145
// features), because a column pass re-reads every gradient once per feature
// and stalls on runs of equal bins.
func (tb *treeBuilder) buildHists(nodes []*nodeWork, feats []int) {
	nfs := len(feats)
	type task struct {
		nw     *nodeWork
		lo, hi int
		dst    []ghPair
	}
	var tasks []task
	type multi struct {
		nw    *nodeWork
		parts []ghPair // concatenated partial histograms
		k     int
	}
	var multis []multi
	hl := tb.histLen()
	// Partial histograms live in one reused buffer: allocating them per
	// level made the garbage collector interrupt the histogram loops.
	need := 0
	for _, nw := range nodes {
		if k := (nw.end - nw.start + histBlock - 1) / histBlock; k > 1 {
			need += k * hl
		}
	}
	if cap(tb.parts) < need {
		tb.parts = make([]ghPair, need)
	}
	free := tb.parts[:need]
	for _, nw := range nodes {
		k := (nw.end - nw.start + histBlock - 1) / histBlock
		if k <= 1 {
			tasks = append(tasks, task{nw, nw.start, nw.end, nw.hist})
			continue
		}
		parts := free[:k*hl]
		free = free[k*hl:]
		for j := 0; j < k; j++ {
			lo := nw.start + j*histBlock
			tasks = append(tasks, task{nw, lo, min(nw.end, lo+histBlock), parts[j*hl : (j+1)*hl]})
		}
		multis = append(multis, multi{nw, parts, k})
	}
	all := nfs == tb.bd.nf
	parallelFor(tb.p.Threads, len(tasks), func(i int) {
		t := tasks[i]
		tb.buildHistRows(t.lo, t.hi, t.dst, feats, all)
	})
	bd := tb.bd
	parallelFor(tb.p.Threads, len(multis)*nfs, func(i int) {
		mu := multis[i/nfs]
		f := feats[i%nfs]
		off, nb := bd.off[f], bd.nbins[f]
		dst := mu.nw.hist[off : off+nb]
		copy(dst, mu.parts[off:off+nb])
		for j := 1; j < mu.k; j++ {
			src := mu.parts[j*hl+off : j*hl+off+nb]
			for b := range dst {
				dst[b].g += src[b].g
				dst[b].h += src[b].h
			}
		}
	})
}

// buildHistRows accumulates positions [lo,hi) into hist (row-wise).
func (tb *treeBuilder) buildHistRows(lo, hi int, hist []ghPair, feats []int, all bool) {
	bd := tb.bd
	for _, f := range feats {
		clear(hist[bd.off[f] : bd.off[f]+bd.nbins[f]])
	}
	nf := bd.nf
	off := bd.off[:nf]
	pos := tb.pos[lo:hi]
	gh := tb.posGH[lo:hi]
	gh = gh[:len(pos)]
	for i, r := range pos {
		g, h := gh[i].g, gh[i].h
		row := bd.rows[int(r)*nf : int(r)*nf+nf]
		if all {
			row = row[:len(off)]
			for f, b := range row {
				c := &hist[off[f]+int(b)]
				c.g += g
				c.h += h
			}
		} else {
			for _, f := range feats {
				c := &hist[off[f]+int(row[f])]
				c.g += g
				c.h += h
			}
		}
	}
}
