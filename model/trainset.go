package model

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model/peers"
)

// trainStages is the number of stages Train reports progress in.
const trainStages = 6

// TrainingData is what Train learns from, gathered one index of whole
// customers at a time (Add), so that a ledger larger than memory is never
// held: only the labelled examples are kept (feature rows, labels, keys),
// and, when a cold-start prior is asked for, the established customers of
// every month end. Every input of training that spans customers is
// computed from these after the last Add (the time split and folds, the
// segment and portfolio rates, the pay-date hazard's rows, the peer sets),
// or given whole to NewTrainingData (the number of invoices the sample
// share is taken of). Examples are put in customer order before training,
// which is the order one index of the whole ledger gives: the model trained
// from parts is the whole ledger's, byte for byte.
type TrainingData struct {
	o           TrainOptions
	from        datasets.Date
	share       float64
	customers   float64 // share of the customers the parts added hold (0: all)
	start       time.Time
	specs       []features.Spec
	all         []features.Example
	assumptions []string
	parts       int
	// peerDates are the month ends of the window and AsOf; peerRows[i]
	// the established customers as of peerDates[i] (only with a prior).
	peerDates []datasets.Date
	peerRows  [][]peers.Peer
}

// TrainingWindow is the issue dates Train learns from with options o:
// LookbackDays (default 730) up to AsOf.
func TrainingWindow(o TrainOptions) (from, to datasets.Date) {
	o = o.withDefaults()
	return o.AsOf.AddDays(-o.LookbackDays), o.AsOf
}

// NewTrainingData starts gathering the examples of a training with options
// o. issued is the number of invoices of the whole ledger issued in
// TrainingWindow(o) (Index.InvoicesIssued of the whole ledger; on a
// database, a count there): above MaxInvoices, each part keeps the same
// hashed share of its invoices as the whole ledger would.
func NewTrainingData(o TrainOptions, issued int) (*TrainingData, error) {
	o = o.withDefaults()
	if o.AsOf == 0 {
		return nil, fmt.Errorf("train: no as-of date")
	}
	var err error
	if o.Prior, err = ParseColdPrior(string(o.Prior)); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	d := &TrainingData{o: o, from: o.AsOf.AddDays(-o.LookbackDays), share: 1, start: time.Now()}
	if o.MaxInvoices > 0 && issued > o.MaxInvoices {
		d.share = float64(o.MaxInvoices) / float64(issued)
	}
	if o.Prior != PriorOff {
		for m := d.from.MonthIndex(); m <= o.AsOf.MonthIndex(); m++ {
			if t := datasets.MonthStart(m+1) - 1; t >= d.from && t <= o.AsOf {
				d.peerDates = append(d.peerDates, t)
			}
		}
		d.peerDates = append(d.peerDates, o.AsOf)
		d.peerRows = make([][]peers.Peer, len(d.peerDates))
	}
	o.progress("training set", 0, trainStages)
	return d, nil
}

// Add describes the customers of ix, an index of whole customers (the
// whole ledger's, or a part's with the whole ledger's facts:
// features.NewPartIndex), and keeps their examples. Each customer must be
// added once.
func (d *TrainingData) Add(ix *features.Index) error {
	o := d.o
	eng := features.NewEngine(ix, o.Features)
	// Besides the issue date, each invoice is described a week before its
	// due date and 7 and 30 days after it, so that the pay-date model knows
	// invoices of every age, as it meets them when scoring an open book.
	specs, xs, err := eng.TrainingSet(features.TrainingOptions{From: d.from, To: o.AsOf, Cutoff: o.AsOf, GraceDays: o.GraceDays,
		DaysBeforeDue: []int{7, -7, -30}, Sample: d.share, SampleSeed: o.Seed})
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	d.specs = specs
	d.all = append(d.all, xs...)
	// The facts the assumptions read are the whole ledger's in every part,
	// but the flagged invoices are the part's: any part with one makes
	// the assumption (DisputeFlags).
	if a := Assumptions(ix, o.Features); len(a) > 0 {
		d.assumptions = a
	}
	for i, t := range d.peerDates {
		ps, err := peerRowsAt(eng, t)
		if err != nil {
			return fmt.Errorf("train: %w", err)
		}
		d.peerRows[i] = append(d.peerRows[i], ps...)
	}
	d.parts++
	return nil
}

// examples returns every example in customer order (as one index of the
// whole ledger lists them: customers by id, each one's examples as
// TrainingSet gives them), and sorts the peers likewise.
func (d *TrainingData) examples() []features.Example {
	if d.parts > 1 {
		slices.SortStableFunc(d.all, func(a, b features.Example) int { return cmp.Compare(a.CustomerID, b.CustomerID) })
		for _, ps := range d.peerRows {
			slices.SortStableFunc(ps, func(a, b peers.Peer) int { return cmp.Compare(a.ID, b.ID) })
		}
	}
	return d.all
}

// peerHistory is the peer sets at the window's month ends, and the set as
// of AsOf that scoring reads.
func (d *TrainingData) peerHistory() (*peerHistory, *peers.Set, error) {
	h := &peerHistory{}
	last := len(d.peerDates) - 1
	for i := range last {
		s, err := peerSetOf(d.peerRows[i])
		if err != nil {
			return nil, nil, err
		}
		h.dates, h.sets = append(h.dates, d.peerDates[i]), append(h.sets, s)
	}
	if last < 0 {
		return h, nil, nil
	}
	at, err := peerSetOf(d.peerRows[last])
	return h, at, err
}

// SampleCustomers records that the parts added hold only this share of the
// ledger's customers (a sample drawn where the ledger is stored), so that
// the bundle's Sample is the share of the window's invoices learned from.
func (d *TrainingData) SampleCustomers(share float64) {
	if share > 0 && share < 1 {
		d.customers = share
	}
}

// sample is the share of the window's invoices learned from: the invoice
// sample's share of the customer sample's.
func (d *TrainingData) sample() float64 {
	if d.customers > 0 {
		return d.share * d.customers
	}
	return d.share
}
