package model

import (
	"fmt"
	"math"
	"sort"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model/peers"
)

// The cold-start prior is a feature the models derive, not the catalogue:
// what customers of the same kind paid late, for every invoice, as known at
// the last month end before the invoice's date. Every row gets it, computed
// the same way and leaving the row's own customer out, so that the models
// learn from the established customers' rows how far it goes, and a new
// customer's rows get the same quantity. Two kinds (ColdPrior):
//   - PriorSegment: the pooled late rate of the other established customers
//     of the row's segment;
//   - PriorPeers: the pooled late rate of the peerK other established
//     customers nearest in segment, country, channel and invoice size
//     (golearn's k-d tree, model/peers), shrunk toward the segment's rate by
//     peerShrink settled invoices. An established customer is compared by
//     its usual invoice amount, a customer not yet established by the
//     invoice's.
//
// It is meant for small training windows, where most counterparties can be
// new and the trees see too few of each kind to learn it themselves;
// scoring uses the customers as of the training cut-off. Neither kind
// measurably improved cold-start predictions on simulated or real-format
// small ledgers, so it is off unless asked for (TrainOptions.Prior).
const (
	peerK = 5
	// An established peer has at least this many settlements in the
	// longest window.
	peerMinSettled = 3
	// The segment's rate weighs as much as this many of the neighbours'
	// settled invoices (set a priori, not tuned).
	peerShrink = 10
)

// ColdPrior is the kind of cold-start prior the models read.
type ColdPrior string

// The cold-start priors.
const (
	PriorOff     ColdPrior = "off"
	PriorSegment ColdPrior = "segment"
	PriorPeers   ColdPrior = "peers"
	// DefaultPrior is what training uses unless told: off, since neither
	// prior measurably helps (the README's cold-start figures); segment and
	// peers stay for measurement and for ledgers where they may.
	DefaultPrior = PriorOff
)

// ParseColdPrior reads a --peer-prior value ("true" and "false" read as
// peers and off, as when the switch was a boolean).
func ParseColdPrior(s string) (ColdPrior, error) {
	switch ColdPrior(s) {
	case PriorOff, "false":
		return PriorOff, nil
	case PriorSegment:
		return PriorSegment, nil
	case PriorPeers, "true":
		return PriorPeers, nil
	}
	return "", fmt.Errorf("cold-start prior %q: want off, segment or peers", s)
}

// name is the derived feature's name.
func (c ColdPrior) name() string {
	if c == PriorSegment {
		return "segment_late_prior"
	}
	return "peer_late_prior"
}

// spec is the derived feature's spec.
func (c ColdPrior) spec() features.Spec {
	if c == PriorSegment {
		return features.Spec{Name: c.name(), Base: c.name(), Kind: features.Numeric, Unit: features.Ratio, Group: "peers",
			Meaning: "late share of the other established customers of the segment",
			Definition: fmt.Sprintf("late invoices over settled ones of the established customers (%d+ settlements in the longest window) of the invoice's segment but its own customer, as of the last month end before t",
				peerMinSettled)}
	}
	return features.Spec{Name: c.name(), Base: c.name(), Kind: features.Numeric, Unit: features.Ratio, Group: "peers",
		Meaning: "late share of the established customers most like this one",
		Definition: fmt.Sprintf("late invoices over settled ones of the %d other established customers (%d+ settlements in the longest window) nearest in segment, country, channel and log usual invoice amount, shrunk toward their segment's rate by %d invoices, as of the last month end before t",
			peerK, peerMinSettled, peerShrink)}
}

// rowReader reads the features a peer prior needs from invoice rows.
type rowReader struct {
	settled, amount, segment, country, channel int
}

func newRowReader(specs []features.Spec, longest int) (rowReader, bool) {
	var r rowReader
	var ok [5]bool
	r.settled, ok[0] = features.Find(specs, "invoices_settled", longest)
	r.amount, ok[1] = features.Find(specs, "inv_amount", 0)
	r.segment, ok[2] = features.Find(specs, "inv_segment", 0)
	r.country, ok[3] = features.Find(specs, "inv_country", 0)
	r.channel, ok[4] = features.Find(specs, "inv_channel", 0)
	return r, ok == [5]bool{true, true, true, true, true}
}

func (rr rowReader) profile(r *features.Row) peers.Profile {
	return peers.Profile{Segment: r.Cat[rr.segment], Country: r.Cat[rr.country], Channel: r.Cat[rr.channel], Amount: r.Num[rr.amount]}
}

// prior is the cold-start prior c of row r given the established customers
// known then (nil: too few), its own customer left out.
func (c ColdPrior) prior(rr rowReader, set *peers.Set, r *features.Row) (float64, error) {
	if set == nil {
		return math.NaN(), nil
	}
	if c == PriorSegment {
		return set.SegmentRate(r.Cat[rr.segment], r.CustomerID), nil
	}
	if v, ok, err := set.PriorOf(r.CustomerID); ok || err != nil {
		return v, err
	}
	return set.Prior(rr.profile(r), r.CustomerID)
}

// peerSetAt is the established customers as of the end of day t, or nil
// when there are not more than peerK.
func peerSetAt(eng *features.Engine, t datasets.Date) (*peers.Set, error) {
	ps, err := peerRowsAt(eng, t)
	if err != nil {
		return nil, err
	}
	return peerSetOf(ps)
}

// peerRowsAt lists the established customers of eng's index as of the end
// of day t, by customer id.
func peerRowsAt(eng *features.Engine, t datasets.Date) ([]peers.Peer, error) {
	tab := eng.Customers(t)
	longest := eng.Options().Longest()
	pos := func(base string, w int) int {
		i, ok := features.Find(tab.Specs, base, w)
		if !ok {
			i = -1
		}
		return i
	}
	settled, late := pos("invoices_settled", longest), pos("late_ratio", longest)
	amount, issued := pos("amount_issued", longest), pos("invoices_issued", longest)
	seg, country, channel := pos("segment", 0), pos("country", 0), pos("channel", 0)
	if min(settled, late, amount, issued, seg, country, channel) < 0 {
		return nil, fmt.Errorf("peer prior: customer features lack what it reads")
	}
	var ps []peers.Peer
	for _, r := range tab.Rows {
		// A peer is placed by its usual invoice amount: one that invoiced
		// nothing in the window (it only settled older invoices) has none,
		// and a NaN coordinate would break the search and the bundle's JSON.
		if r.Num[settled] < peerMinSettled || math.IsNaN(r.Num[late]) || !(r.Num[issued] > 0) {
			continue
		}
		usual := r.Num[amount] / r.Num[issued]
		ps = append(ps, peers.Peer{ID: r.CustomerID, Profile: peers.Profile{Segment: r.Cat[seg], Country: r.Cat[country], Channel: r.Cat[channel], Amount: usual},
			Late: r.Num[late], Settled: r.Num[settled]})
	}
	return ps, nil
}

// peerSetOf is the peer set of the established customers ps (by id), or
// nil when there are not more than peerK.
func peerSetOf(ps []peers.Peer) (*peers.Set, error) {
	// One more than peerK, so that a peer left out still has peerK.
	if len(ps) <= peerK {
		return nil, nil
	}
	return peers.New(ps, peerK, peerShrink)
}

// peerHistory is the peer sets of a training window, one per month end.
type peerHistory struct {
	dates []datasets.Date
	sets  []*peers.Set
}

// newPeerHistory builds the peer sets at every month end from from to to.
func newPeerHistory(eng *features.Engine, from, to datasets.Date) (*peerHistory, error) {
	h := &peerHistory{}
	for m := from.MonthIndex(); m <= to.MonthIndex(); m++ {
		d := datasets.MonthStart(m+1) - 1
		if d < from || d > to {
			continue
		}
		s, err := peerSetAt(eng, d)
		if err != nil {
			return nil, err
		}
		h.dates, h.sets = append(h.dates, d), append(h.sets, s)
	}
	return h, nil
}

// at is the peer set of the last month end by t (nil when none).
func (h *peerHistory) at(t datasets.Date) *peers.Set {
	i := sort.Search(len(h.dates), func(i int) bool { return h.dates[i] > t })
	if i == 0 {
		return nil
	}
	return h.sets[i-1]
}

// withPrior appends the cold-start prior c to a copy of every example's row.
func withPrior(c ColdPrior, xs []features.Example, rr rowReader, h *peerHistory) ([]features.Example, error) {
	out := make([]features.Example, len(xs))
	for i, x := range xs {
		v, err := c.prior(rr, h.at(x.AsOf), &x.Row)
		if err != nil {
			return nil, fmt.Errorf("%s prior of invoice %s: %w", c, x.InvoiceID, err)
		}
		x.Row.Num = append(x.Row.Num[:len(x.Row.Num):len(x.Row.Num)], v)
		out[i] = x
	}
	return out, nil
}

// any reports whether some month end had enough established peers.
func (h *peerHistory) any() bool {
	for _, s := range h.sets {
		if s != nil {
			return true
		}
	}
	return false
}
