// Package peers gives a customer without payment history a prior: the share
// of invoices paid late by the established customers most like it. Most
// counterparties of many real ledgers are new; what is known of a new one is
// its segment, country and sales channel, the size of its invoices and its
// terms, and the customers of the same kind who already have a history.
//
// A Set holds established customers' profiles as of one date, with their
// late shares as known then, and answers Prior for a profile: the mean late
// share of its K nearest peers. Profiles are compared as vectors (one-hot
// segment, country and channel; the log of the usual invoice amount in
// standard deviations of the peers'; the terms in months). The search runs
// behind the Searcher interface; the implementation is golearn's k-d tree
// (github.com/sjwhitworth/golearn/kdtree), whose panics are turned into
// errors wrapping ErrGolearn.
//
// A Set is plain data that round-trips through encoding/json; Prepare (or
// New) builds the search structure, after which it is safe for concurrent
// use.
package peers

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Sentinel errors of the package.
var (
	// ErrGolearn means golearn panicked or answered something inconsistent.
	ErrGolearn = errors.New("golearn failed")
	// ErrNoPeers means a Set has no peer to compare with.
	ErrNoPeers = errors.New("no established peers")
)

// Profile is what is known of a customer's kind.
type Profile struct {
	Segment string  `json:"segment"`
	Country string  `json:"country"`
	Channel string  `json:"channel"`
	Amount  float64 `json:"amount"` // its usual (or first) invoice amount
	Terms   float64 `json:"terms"`  // days of terms
}

// Peer is an established customer: its profile and the share of its
// settled invoices that were paid late.
type Peer struct {
	Profile
	Late float64 `json:"late"`
}

// Searcher finds the k points nearest to q among those it was built on,
// nearest first, as indices into them.
type Searcher interface {
	Nearest(q []float64, k int) ([]int, error)
}

// Set is the established customers as of one date.
type Set struct {
	Peers []Peer `json:"peers"`
	K     int    `json:"k"`

	levels          [3][]string
	amtMean, amtStd float64
	search          Searcher
	newSearch       func(points [][]float64) (Searcher, error)
	prepared        bool
}

// New prepares a Set of peers answering with the mean of k neighbours (at
// most as many as there are peers).
func New(peers []Peer, k int) (*Set, error) {
	s := &Set{Peers: peers, K: k}
	if err := s.Prepare(); err != nil {
		return nil, err
	}
	return s, nil
}

// Prepare builds the encoding and the search structure of a Set read from
// JSON. It is idempotent.
func (s *Set) Prepare() error {
	if s.prepared {
		return nil
	}
	if len(s.Peers) == 0 {
		return ErrNoPeers
	}
	if s.K < 1 {
		return fmt.Errorf("peers: k = %d, want at least 1", s.K)
	}
	for a := range s.levels {
		seen := map[string]bool{}
		for _, p := range s.Peers {
			if v := attr(&p.Profile, a); !seen[v] {
				seen[v] = true
				s.levels[a] = append(s.levels[a], v)
			}
		}
		slices.Sort(s.levels[a])
	}
	n := float64(len(s.Peers))
	for _, p := range s.Peers {
		s.amtMean += logAmount(p.Amount) / n
	}
	for _, p := range s.Peers {
		d := logAmount(p.Amount) - s.amtMean
		s.amtStd += d * d / n
	}
	s.amtStd = math.Sqrt(s.amtStd)
	if !(s.amtStd > 1e-9) {
		s.amtStd = 1
	}
	points := make([][]float64, len(s.Peers))
	for i := range s.Peers {
		points[i] = s.vector(&s.Peers[i].Profile)
	}
	build := s.newSearch
	if build == nil {
		build = newKDTree
	}
	var err error
	if s.search, err = build(points); err != nil {
		return err
	}
	s.prepared = true
	return nil
}

func attr(p *Profile, a int) string {
	switch a {
	case 0:
		return p.Segment
	case 1:
		return p.Country
	}
	return p.Channel
}

func logAmount(a float64) float64 { return math.Log1p(max(a, 0)) }

// vector encodes a profile for the distance: a level the peers lack is
// equally far from all of them.
func (s *Set) vector(p *Profile) []float64 {
	var v []float64
	for a, ls := range s.levels {
		x := attr(p, a)
		for _, l := range ls {
			if l == x {
				v = append(v, 1)
			} else {
				v = append(v, 0)
			}
		}
	}
	amt := 0.0
	if !math.IsNaN(p.Amount) {
		amt = (logAmount(p.Amount) - s.amtMean) / s.amtStd
	}
	terms := 0.0
	if !math.IsNaN(p.Terms) {
		terms = p.Terms / 30
	}
	return append(v, amt, terms)
}

// Prior is the mean late share of the K peers nearest to q.
func (s *Set) Prior(q Profile) (float64, error) {
	if !s.prepared {
		if err := s.Prepare(); err != nil {
			return math.NaN(), err
		}
	}
	idx, err := s.search.Nearest(s.vector(&q), min(s.K, len(s.Peers)))
	if err != nil {
		return math.NaN(), err
	}
	sum := 0.0
	for _, i := range idx {
		sum += s.Peers[i].Late
	}
	return sum / float64(len(idx)), nil
}
