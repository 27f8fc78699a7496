package credit

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/embedded"
	"github.com/dsopilot/dsopilot/datasets/storetest"
	"github.com/dsopilot/dsopilot/datasets/synth"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/recommender"
)

// The credit workflow reading its store in parts of whole customers gives
// what it gives from the whole ledger, value for value: the default model
// learnt from the parts' snapshots in the whole ledger's order, each
// account with its segment's season summed over every part, the segments'
// fallback rates for a customer asked about alone, the flags and the
// advice.
func TestCreditInPartsIsWhole(t *testing.T) {
	ctx := context.Background()
	l, _, err := synth.Collect(ctx, synth.Config{Customers: 160, Months: 24, Seed: 9, Start: datasets.NewDate(2023, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	asOf := datasets.NewDate(2024, 10, 31)
	t.Run("simulated", func(t *testing.T) { creditInPartsIsWhole(t, l, asOf) })
	// Records naming another customer than their invoice's: a write-off
	// counts against the invoice's customer, and a promise still to come
	// dates its invoice, whichever part it lies in.
	strayed := storetest.WithStrays(l)
	writeOffs, promises := 0, 0
	open := map[string]bool{}
	for i := range l.Invoices {
		if v := &l.Invoices[i]; v.IssueDate <= asOf && (v.SettledDate == 0 || v.SettledDate > asOf) {
			open[v.ID] = true
		}
	}
	for i := range strayed.CreditNotes {
		if n := &strayed.CreditNotes[i]; n.Kind == datasets.KindWriteOff && n.Date <= asOf && n.CustomerID != l.CreditNotes[i].CustomerID {
			writeOffs++
		}
	}
	for i := range strayed.Promises {
		if p := &strayed.Promises[i]; p.CustomerID != l.Promises[i].CustomerID && p.Made <= asOf && p.PromisedDate >= asOf && open[p.InvoiceID] {
			promises++
		}
	}
	if writeOffs == 0 || promises == 0 {
		t.Fatalf("%d write-offs and %d promises to come on an open invoice name another customer: the stray case is not exercised", writeOffs, promises)
	}
	t.Run("records on other customers' invoices", func(t *testing.T) { creditInPartsIsWhole(t, strayed, asOf) })
	// Every fifth invoice, with its payments, in another currency than its
	// customer's: converted to the customer's alike in parts.
	mixed := foreignEveryFifth(l)
	t.Run("invoices in another currency than their customer's", func(t *testing.T) { creditInPartsIsWhole(t, mixed, asOf) })
}

// foreignEveryFifth is a copy of l with every fifth invoice and its
// payments in another currency than the invoice's customer's (USD, or GBP
// for a customer in USD).
func foreignEveryFifth(l *datasets.Ledger) *datasets.Ledger {
	out := *l
	out.Invoices = slices.Clone(l.Invoices)
	out.Payments = slices.Clone(l.Payments)
	moved := map[string]string{}
	for i := range out.Invoices {
		v := &out.Invoices[i]
		if i%5 != 0 {
			continue
		}
		if v.Currency == "USD" {
			v.Currency = "GBP"
		} else {
			v.Currency = "USD"
		}
		moved[v.ID] = v.Currency
	}
	for i := range out.Payments {
		if cur, ok := moved[out.Payments[i].InvoiceID]; ok {
			out.Payments[i].Currency = cur
		}
	}
	return &out
}

func creditInPartsIsWhole(t *testing.T, l *datasets.Ledger, asOf datasets.Date) {
	ctx := context.Background()
	st, err := embedded.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Put(ctx, l); err != nil {
		t.Fatal(err)
	}
	stored, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fx := recommender.SimFX()
	js := func(v any) string {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	whole := &Service{Store: st, Policy: DefaultPolicy(), Risk: LearnedRisk{}, FX: fx}
	all, err := whole.Suggest(ctx, asOf)
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]int{}
	var fallback string
	for _, r := range all.Rows {
		sources[r.PDSource]++
		if r.PDSource != "model" && fallback == "" {
			fallback = r.CustomerID
		}
	}
	if sources["model"] == 0 || fallback == "" || len(all.Rows) < 50 {
		t.Fatalf("the whole run is too thin to compare: %d suggestions, PD sources %v", len(all.Rows), sources)
	}
	flags, problems, err := whole.Flags(ctx, asOf)
	if err != nil || len(flags) == 0 {
		t.Fatalf("flags: %v, %d flagged", err, len(flags))
	}
	one, err := whole.Suggest(ctx, asOf, fallback)
	if err != nil {
		t.Fatal(err)
	}
	advice, err := whole.Advice(ctx, asOf, fallback, all.Rows[0].CustomerID)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 3, 8} {
		parts := &Service{Store: st, Policy: DefaultPolicy(), Risk: LearnedRisk{}, FX: fx, Parts: features.PartsOf(stored, n)}
		got, err := parts.Suggest(ctx, asOf)
		if err != nil || js(got) != js(all) {
			t.Errorf("suggestions in %d parts (%v):\n%s\nwhole:\n%s", n, err, js(got), js(all))
		}
		gotFlags, gotProblems, err := parts.Flags(ctx, asOf)
		if err != nil || js(gotFlags) != js(flags) || js(gotProblems) != js(problems) {
			t.Errorf("flags in %d parts (%v):\n%s\nwhole:\n%s", n, err, js(gotFlags), js(flags))
		}
		gotOne, err := parts.Suggest(ctx, asOf, fallback)
		if err != nil || js(gotOne) != js(one) {
			t.Errorf("%s alone in %d parts (%v):\n%s\nwhole:\n%s", fallback, n, err, js(gotOne), js(one))
		}
		gotAdvice, err := parts.Advice(ctx, asOf, fallback, all.Rows[0].CustomerID)
		if err != nil || js(gotAdvice) != js(advice) {
			t.Errorf("advice in %d parts (%v):\n%s\nwhole:\n%s", n, err, js(gotAdvice), js(advice))
		}
	}
	// A risk source that cannot read parts is an error, not a silent
	// whole-ledger read.
	bad := &Service{Store: st, Policy: DefaultPolicy(), Risk: fixedRisk{}, FX: fx, Parts: features.PartsOf(stored, 2)}
	if _, err := bad.Suggest(ctx, asOf); err == nil {
		t.Error("a risk source that cannot read parts was accepted")
	}
}

// A promise still to come dates its invoice whoever made it: asked about
// one customer alone, an account's open invoices carry the promised dates
// they carry among all the accounts, promises by customers not asked
// about included.
func TestPromisesDateInvoicesWhoeverMadeThem(t *testing.T) {
	l, _, err := synth.Collect(context.Background(), synth.Config{Customers: 160, Months: 24, Seed: 9, Start: datasets.NewDate(2023, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	strayed := storetest.WithStrays(l)
	asOf := datasets.NewDate(2024, 10, 31)
	all, err := accounts(strayed, asOf, DefaultPolicy(), datasets.FX{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	byOther := 0
	owner := map[string]string{}
	for i := range strayed.Invoices {
		owner[strayed.Invoices[i].ID] = strayed.Invoices[i].CustomerID
	}
	for i := range strayed.Promises {
		if p := &strayed.Promises[i]; p.Made <= asOf && p.PromisedDate >= asOf && owner[p.InvoiceID] != "" && owner[p.InvoiceID] != p.CustomerID {
			byOther++
			one, err := accounts(strayed, asOf, DefaultPolicy(), datasets.FX{}, []string{owner[p.InvoiceID]})
			if err != nil {
				t.Fatal(err)
			}
			a, want := one[owner[p.InvoiceID]], all[owner[p.InvoiceID]]
			if a == nil || want == nil || len(a.open) != len(want.open) {
				t.Fatalf("customer %s alone: %v, among all: %v", owner[p.InvoiceID], a, want)
			}
			for k := range a.open {
				if a.open[k] != want.open[k] {
					t.Errorf("customer %s alone, invoice %s: %+v, among all %+v", owner[p.InvoiceID], a.open[k].id, a.open[k], want.open[k])
				}
			}
		}
	}
	if byOther == 0 {
		t.Fatal("no promise to come names another customer than its invoice's: the case is not exercised")
	}
}
