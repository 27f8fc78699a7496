package model

import (
	"fmt"
	"math"
	"sort"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model/peers"
)

// The peer prior is a feature the models derive, not the catalogue: for an
// invoice of a customer without a settled invoice in the longest history
// window (cold start), the share of invoices paid late by the peerK
// established customers most like it (segment, country, channel, invoice
// size), as known at the last month end before the invoice's date; missing
// for every other invoice. It is used on small training windows, where most
// counterparties can be new and the trees see too few of each kind to learn
// it themselves; scoring uses the peers as of the training cut-off.
const (
	peerPriorName = "peer_late_ratio"
	peerK         = 5
	// An established peer has at least this many settlements in the
	// longest window.
	peerMinSettled = 3
)

// peerSpec is the derived feature's spec.
func peerSpec() features.Spec {
	return features.Spec{Name: peerPriorName, Base: peerPriorName, Kind: features.Numeric, Unit: features.Ratio, Group: "peers",
		Meaning: "late share of established customers like a new one",
		Definition: fmt.Sprintf("for a customer without settlements in the longest window: the mean late_ratio of the %d established customers (%d+ settlements) nearest in segment, country, channel and log usual invoice amount, as of the last month end before t; missing otherwise",
			peerK, peerMinSettled)}
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

func (rr rowReader) coldStart(r *features.Row) bool { return r.Num[rr.settled] == 0 }

func (rr rowReader) profile(r *features.Row) peers.Profile {
	return peers.Profile{Segment: r.Cat[rr.segment], Country: r.Cat[rr.country], Channel: r.Cat[rr.channel], Amount: r.Num[rr.amount]}
}

// prior is the peer prior of row r given the peers known then (nil: none).
func (rr rowReader) prior(set *peers.Set, r *features.Row) (float64, error) {
	if set == nil || !rr.coldStart(r) {
		return math.NaN(), nil
	}
	return set.Prior(rr.profile(r))
}

// peerSetAt is the established customers as of the end of day t, or nil
// when there are fewer than peerK.
func peerSetAt(eng *features.Engine, t datasets.Date) (*peers.Set, error) {
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
		if r.Num[settled] < peerMinSettled || math.IsNaN(r.Num[late]) {
			continue
		}
		usual := math.NaN()
		if r.Num[issued] > 0 {
			usual = r.Num[amount] / r.Num[issued]
		}
		ps = append(ps, peers.Peer{Profile: peers.Profile{Segment: r.Cat[seg], Country: r.Cat[country], Channel: r.Cat[channel], Amount: usual},
			Late: r.Num[late]})
	}
	if len(ps) < peerK {
		return nil, nil
	}
	return peers.New(ps, peerK)
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

// withPeerPrior appends the peer prior to a copy of every example's row.
func withPeerPrior(xs []features.Example, rr rowReader, h *peerHistory) ([]features.Example, error) {
	out := make([]features.Example, len(xs))
	for i, x := range xs {
		v, err := rr.prior(h.at(x.AsOf), &x.Row)
		if err != nil {
			return nil, fmt.Errorf("peer prior of invoice %s: %w", x.InvoiceID, err)
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
