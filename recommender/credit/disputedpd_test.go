package credit

import (
	"context"
	"math"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
)

// The payment model's PD leaves out the invoices in dispute: a customer
// with an open disputed invoice 120 days overdue gets the PD it has
// without that invoice, and a customer whose only open invoice is in
// dispute gets none from the model (its segment's rate stands in). An
// undisputed invoice as old still counts. Before, a trial's good payer
// with one disputed invoice of 206 EUR open had a PD of 40.5%.
func TestThePaymentModelsPDLeavesOutDisputes(t *testing.T) {
	ctx := context.Background()
	l, _, asOf := historyLedger(t)
	b, err := model.Train(ctx, features.NewIndex(l), model.TrainOptions{AsOf: asOf.AddDays(-120), Seed: 1, Families: []string{model.FamilyLogistic}})
	if err != nil {
		t.Fatal(err)
	}
	src := ModelRisk{Bundle: b}
	base, err := src.CustomerRisk(ctx, l, asOf)
	if err != nil {
		t.Fatal(err)
	}
	// A customer the model scores, and one with nothing open.
	var scored, idle string
	open := map[string]bool{}
	for i := range l.Invoices {
		if v := &l.Invoices[i]; v.IssueDate <= asOf && (v.SettledDate == 0 || v.SettledDate > asOf) {
			open[v.CustomerID] = true
		}
	}
	for i := range l.Customers {
		id := l.Customers[i].ID
		if _, ok := base[id]; ok && scored == "" && base[id].PD < 0.3 {
			scored = id
		}
		if !open[id] && idle == "" {
			idle = id
		}
	}
	if scored == "" || idle == "" {
		t.Fatalf("no scored customer (%q) or none with nothing open (%q)", scored, idle)
	}
	stale := func(l *datasets.Ledger, id, inv string, disputed bool) *datasets.Ledger {
		c := *l
		c.Invoices = append(append([]datasets.Invoice(nil), l.Invoices...), datasets.Invoice{ID: inv, CustomerID: id,
			IssueDate: asOf.AddDays(-150), DueDate: asOf.AddDays(-120), Amount: 50_000_00, Currency: customerCurrency(l, id)})
		if disputed {
			c.Disputes = append(append([]datasets.Dispute(nil), l.Disputes...), datasets.Dispute{ID: "DSP-" + inv, CustomerID: id, InvoiceID: inv, Opened: asOf.AddDays(-100)})
		}
		return &c
	}
	cases := []struct {
		name     string
		l        *datasets.Ledger
		id       string
		want     float64 // -1: no PD from the model
		unchange bool    // want the PD without the invoice
	}{
		{"disputed beside other open invoices", stale(l, scored, "ZD1", true), scored, base[scored].PD, true},
		{"only a disputed invoice open", stale(l, idle, "ZD2", true), idle, -1, true},
		{"undisputed and as old", stale(l, scored, "ZU1", false), scored, base[scored].PD, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := src.CustomerRisk(ctx, c.l, asOf)
			if err != nil {
				t.Fatal(err)
			}
			r, ok := got[c.id]
			switch {
			case c.want < 0 && ok:
				t.Fatalf("%s: PD %v from the model, want none (its only open invoice is in dispute)", c.id, r.PD)
			case c.want >= 0 && c.unchange && (!ok || math.Abs(r.PD-c.want) > 1e-12):
				t.Fatalf("%s: PD %v (%v), want %v, the PD without the disputed invoice", c.id, r.PD, ok, c.want)
			case c.want >= 0 && !c.unchange && (!ok || r.PD <= c.want):
				t.Fatalf("%s: PD %v, want above %v: an undisputed invoice 120 days overdue counts", c.id, r.PD, c.want)
			}
		})
	}
}

func customerCurrency(l *datasets.Ledger, id string) string {
	for i := range l.Customers {
		if l.Customers[i].ID == id {
			return l.Customers[i].Currency
		}
	}
	return ""
}
