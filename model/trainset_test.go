package model

import (
	"bytes"
	"context"
	"encoding/json"
	"hash/fnv"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// ledgerParts splits l into n parts of whole customers, as a store's
// LoadPart does: every record of a customer in one part, a credit note with
// its invoice's customer (else its own).
func ledgerParts(l *datasets.Ledger, n int) []*datasets.Ledger {
	part := func(customer string) int {
		h := fnv.New32a()
		h.Write([]byte(customer))
		return int(h.Sum32() % uint32(n))
	}
	out := make([]*datasets.Ledger, n)
	for k := range out {
		out[k] = &datasets.Ledger{}
	}
	owner := map[string]string{}
	for _, v := range l.Invoices {
		owner[v.ID] = v.CustomerID
		p := out[part(v.CustomerID)]
		p.Invoices = append(p.Invoices, v)
	}
	for _, c := range l.Customers {
		p := out[part(c.ID)]
		p.Customers = append(p.Customers, c)
	}
	for _, x := range l.Payments {
		p := out[part(x.CustomerID)]
		p.Payments = append(p.Payments, x)
	}
	for _, x := range l.CreditNotes {
		c, ok := owner[x.InvoiceID]
		if !ok {
			c = x.CustomerID
		}
		p := out[part(c)]
		p.CreditNotes = append(p.CreditNotes, x)
	}
	for _, x := range l.Disputes {
		p := out[part(x.CustomerID)]
		p.Disputes = append(p.Disputes, x)
	}
	for _, x := range l.Actions {
		p := out[part(x.CustomerID)]
		p.Actions = append(p.Actions, x)
	}
	for _, x := range l.Promises {
		p := out[part(x.CustomerID)]
		p.Promises = append(p.Promises, x)
	}
	for _, x := range l.CreditDecisions {
		p := out[part(x.CustomerID)]
		p.CreditDecisions = append(p.CreditDecisions, x)
	}
	for _, x := range l.Financials {
		p := out[part(x.CustomerID)]
		p.Financials = append(p.Financials, x)
	}
	return out
}

// A model trained from parts of whole customers, each indexed with the
// whole ledger's facts, is the model trained from the whole ledger, JSON
// byte for byte: with the invoice sample, with either cold-start prior
// (peer sets of customers from every part), and without dispute records
// (the assumption names the whole ledger's date).
func TestTrainingInPartsIsWhole(t *testing.T) {
	l, _ := simulate(t, 120, 18, 5)
	noDisputes := *l
	noDisputes.Disputes = nil
	asOf := datasets.NewDate(2024, 5, 31)
	for _, c := range []struct {
		name string
		l    *datasets.Ledger
		o    TrainOptions
	}{
		{"boosted trees", l, TrainOptions{AsOf: asOf, Seed: 7, GBDT: quickGBDT, Families: []string{FamilyGBDT}}},
		{"sampled", l, TrainOptions{AsOf: asOf, Seed: 3, GBDT: quickGBDT, MaxInvoices: 1500, Families: []string{FamilyScorecard}}},
		{"peers", l, TrainOptions{AsOf: asOf, Seed: 7, GBDT: quickGBDT, Families: []string{FamilyLogistic}, Prior: PriorPeers}},
		{"segment", l, TrainOptions{AsOf: asOf, Seed: 7, GBDT: quickGBDT, Families: []string{FamilyLogistic}, Prior: PriorSegment}},
		{"no dispute records", &noDisputes, TrainOptions{AsOf: asOf, Seed: 7, GBDT: quickGBDT, Families: []string{FamilyLogistic}}},
	} {
		whole := features.NewIndex(c.l)
		b, err := Train(context.Background(), whole, c.o)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		want, _ := json.Marshal(b)
		if c.o.Prior != "" && c.o.Prior != PriorOff && b.Peers == nil {
			t.Fatalf("%s: the whole ledger's model kept no peers", c.name)
		}
		if c.o.MaxInvoices > 0 && !(b.Sample < 1) {
			t.Fatalf("%s: sample %v, want a share", c.name, b.Sample)
		}
		// One part is Train itself.
		for _, n := range []int{3} {
			d, err := NewTrainingData(c.o, whole.InvoicesIssued(TrainingWindow(c.o)))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ledgerParts(c.l, n) {
				if err := d.Add(features.NewPartIndex(p, whole.Facts())); err != nil {
					t.Fatal(err)
				}
			}
			pb, err := d.Train(context.Background())
			if err != nil {
				t.Fatalf("%s in %d parts: %v", c.name, n, err)
			}
			if got, _ := json.Marshal(pb); !bytes.Equal(got, want) {
				t.Errorf("%s: the model trained in %d parts differs from the whole ledger's (%d vs %d bytes)", c.name, n, len(got), len(want))
			}
		}
	}
}
