package peers

import (
	"fmt"

	"github.com/sjwhitworth/golearn/kdtree"
	"github.com/sjwhitworth/golearn/metrics/pairwise"
)

// This file is the only place that touches golearn; nothing of it leaves
// this file but plain Go values, and every call goes through guard, since
// golearn panics on bad input in many places.

// guard runs f and turns a panic inside it into an error wrapping
// ErrGolearn, tagged with op.
func guard(op string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: %w: panic: %v", op, ErrGolearn, r)
		}
	}()
	return f()
}

// kdTree is golearn's k-d tree as a Searcher.
type kdTree struct {
	t *kdtree.Tree
	n int
}

var _ Searcher = (*kdTree)(nil)

// newKDTree builds golearn's k-d tree over points.
func newKDTree(points [][]float64) (Searcher, error) {
	t := kdtree.New()
	err := guard("peers: build k-d tree", func() error { return t.Build(points) })
	if err != nil {
		return nil, err
	}
	return &kdTree{t: t, n: len(points)}, nil
}

// Nearest implements Searcher. golearn's search walks the tree exactly (its
// heap keeps the k best), and answers nearest first.
func (k *kdTree) Nearest(q []float64, n int) ([]int, error) {
	var idx []int
	err := guard("peers: k-d tree search", func() error {
		var err error
		idx, _, err = k.t.Search(n, pairwise.NewEuclidean(), q)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, i := range idx {
		if i < 0 || i >= k.n {
			return nil, fmt.Errorf("peers: k-d tree search: %w: neighbour %d of %d points", ErrGolearn, i, k.n)
		}
	}
	return idx, nil
}
