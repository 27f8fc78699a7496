// Package peers gives a customer without payment history a prior: the share
// of invoices paid late by the established customers most like it. Most
// counterparties of many real ledgers are new; what is known of a new one is
// its segment, country and sales channel, the size of its invoices and its
// terms, and the customers of the same kind who already have a history.
//
// A Set holds established customers' profiles as of one date, with their
// late shares and settled counts as known then. Prior answers for a profile
// with the pooled late share of its K nearest peers (late invoices over
// settled ones), shrunk toward the segment's pooled rate by Shrink
// pseudo-invoices: K peers with few settlements say little. Every answer can
// leave one customer out (exclude), so that an established customer's own
// rows get the prior of the others, the same prior a new one gets; PriorOf
// answers for a customer of the Set with its own profile. SegmentRate is
// the segment's pooled late rate without the neighbours, the baseline the
// neighbours are measured against. Profiles are compared as vectors (one-hot
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

// Peer is an established customer: its id, its profile, how many of its
// invoices were settled and the share of them that were paid late.
type Peer struct {
	ID string `json:"id"`
	Profile
	Late    float64 `json:"late"`
	Settled float64 `json:"settled"`
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
	// Shrink is the weight, in settled invoices, of the segment's rate in
	// a prior (0: the neighbours' pooled rate as it is).
	Shrink float64 `json:"shrink"`

	levels          [3][]string
	amtMean, amtStd float64
	search          Searcher
	newSearch       func(points [][]float64) (Searcher, error)
	prepared        bool
	byID            map[string]int
	// Late and settled invoices per segment and in all.
	segLate, segN map[string]float64
	totLate, totN float64
	own           []float64 // PriorOf each peer, filled by Prepare
}

// New prepares a Set of peers answering with the pooled rate of k
// neighbours (at most as many as there are other peers) shrunk toward the
// segment's by shrink settled invoices.
func New(peers []Peer, k int, shrink float64) (*Set, error) {
	s := &Set{Peers: peers, K: k, Shrink: shrink}
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
	if !(s.Shrink >= 0) {
		return fmt.Errorf("peers: shrink = %v, want at least 0", s.Shrink)
	}
	s.byID = make(map[string]int, len(s.Peers))
	s.segLate, s.segN = map[string]float64{}, map[string]float64{}
	for i, p := range s.Peers {
		if !(p.Settled >= 1) || !(p.Late >= 0 && p.Late <= 1) {
			return fmt.Errorf("peers: peer %q: %v settled, late share %v: want at least 1 and a share", p.ID, p.Settled, p.Late)
		}
		if _, dup := s.byID[p.ID]; dup {
			return fmt.Errorf("peers: peer %q twice", p.ID)
		}
		s.byID[p.ID] = i
		s.segLate[p.Segment] += p.Late * p.Settled
		s.segN[p.Segment] += p.Settled
		s.totLate += p.Late * p.Settled
		s.totN += p.Settled
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
	// Each peer's own prior (the others', with its profile), once: an
	// established customer's rows all ask for it.
	s.own = make([]float64, len(s.Peers))
	for i := range s.Peers {
		if s.own[i], err = s.Prior(s.Peers[i].Profile, s.Peers[i].ID); err != nil {
			s.prepared = false
			return err
		}
	}
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

// SegmentRate is the pooled late rate of the peers in segment seg but
// exclude (of all peers but exclude when no other is in seg); NaN when no
// other peer is left.
func (s *Set) SegmentRate(seg, exclude string) float64 {
	late, n := s.segLate[seg], s.segN[seg]
	tl, tn := s.totLate, s.totN
	if i, ok := s.byID[exclude]; ok {
		p := &s.Peers[i]
		if p.Segment == seg {
			late, n = late-p.Late*p.Settled, n-p.Settled
		}
		tl, tn = tl-p.Late*p.Settled, tn-p.Settled
	}
	if n >= 0.5 {
		return clamp01(late / n)
	}
	if tn >= 0.5 {
		return clamp01(tl / tn)
	}
	return math.NaN()
}

// clamp01 keeps a rate computed by subtraction inside [0, 1].
func clamp01(x float64) float64 { return min(1, max(0, x)) }

// Prior is the pooled late rate of the K peers nearest to q other than
// exclude, shrunk toward SegmentRate(q.Segment, exclude) by Shrink settled
// invoices; NaN when exclude is the only peer.
func (s *Set) Prior(q Profile, exclude string) (float64, error) {
	if !s.prepared {
		if err := s.Prepare(); err != nil {
			return math.NaN(), err
		}
	}
	self, in := s.byID[exclude]
	k, avail := s.K, len(s.Peers)
	if in {
		avail--
	}
	k = min(k, avail)
	if k < 1 {
		return math.NaN(), nil
	}
	ask := k
	if in {
		ask++
	}
	idx, err := s.search.Nearest(s.vector(&q), ask)
	if err != nil {
		return math.NaN(), err
	}
	var late, n float64
	used := 0
	for _, i := range idx {
		if (in && i == self) || used == k {
			continue
		}
		late += s.Peers[i].Late * s.Peers[i].Settled
		n += s.Peers[i].Settled
		used++
	}
	seg := s.SegmentRate(q.Segment, exclude)
	if s.Shrink > 0 && !math.IsNaN(seg) {
		return (late + s.Shrink*seg) / (n + s.Shrink), nil
	}
	return late / n, nil
}

// PriorOf is Prior for peer id with its own profile, leaving it out; ok is
// false when id is not a peer.
func (s *Set) PriorOf(id string) (v float64, ok bool, err error) {
	if err := s.Prepare(); err != nil {
		return math.NaN(), false, err
	}
	i, ok := s.byID[id]
	if !ok {
		return math.NaN(), false, nil
	}
	return s.own[i], true, nil
}
