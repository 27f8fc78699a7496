package recommender

import (
	"context"
	"fmt"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
)

// A prompt payer with one stray invoice past 90 days is no default: the
// model's 90+ probability of that invoice is 1 by definition once it is
// open at 90 days, and as the customer's PD it made the prompt payer look
// like a defaulter (PD 1 with that invoice its only open one). The
// customer's PD must stay low, and below a customer that stopped paying.
func TestModelRiskOfAPromptPayerWithOneStrayInvoice(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates a ledger and trains a payment model")
	}
	ctx := context.Background()
	env := logged(t, 200, 15, 5, 0)
	l := env.Ledger()
	end := env.End() - 1
	terms := l.Customers[0].Terms
	// Monthly invoices of 10,000 EUR due in 30 days: the prompt payer
	// pays 40 two days early, the 41st (its latest) at day 95; the
	// defaulter paid its first 34 on time and none of the 7 since.
	first := end.AddDays(-30*41 - 100)
	stray := first.AddDays(30*40 + 30) // the 41st's due date
	asOf := stray.AddDays(92)          // 92 days past due, still open
	for _, c := range []struct {
		id     string
		paidAt func(i int, due datasets.Date) datasets.Date // zero: unpaid
	}{
		{"PROMPT", func(i int, due datasets.Date) datasets.Date {
			if i == 40 {
				return due.AddDays(95)
			}
			return due.AddDays(-2)
		}},
		{"STOPPED", func(i int, due datasets.Date) datasets.Date {
			if i >= 34 {
				return 0
			}
			return due.AddDays(-2)
		}},
	} {
		l.Customers = append(l.Customers, datasets.Customer{ID: c.id, Name: c.id, Country: "DE", Currency: "EUR", Segment: "mid_market",
			CreditLimit: 5_000_000, Terms: terms})
		for i := range 41 {
			issued := first.AddDays(30 * i)
			inv := datasets.Invoice{ID: fmt.Sprintf("%s-%02d", c.id, i), CustomerID: c.id, IssueDate: issued, DueDate: issued.AddDays(30),
				Amount: 1_000_000, Currency: "EUR", Country: "DE", Segment: "mid_market"}
			if paid := c.paidAt(i, inv.DueDate); paid != 0 {
				inv.SettledDate = paid
				l.Payments = append(l.Payments, datasets.Payment{ID: "P" + inv.ID, CustomerID: c.id, InvoiceID: inv.ID, Date: paid,
					Amount: inv.Amount, Currency: "EUR"})
			}
			l.Invoices = append(l.Invoices, inv)
		}
	}
	b, err := model.Train(ctx, features.NewIndex(l), model.TrainOptions{AsOf: asOf.AddDays(-100), Seed: 1, Families: []string{model.FamilyLogistic}})
	if err != nil {
		t.Fatal(err)
	}
	if b.Default90 == nil {
		t.Fatal("the model has no 90+ classifier: the test would check nothing")
	}
	risk, err := ModelRisk(ctx, l, b, asOf)
	if err != nil {
		t.Fatal(err)
	}
	prompt, stopped := risk["PROMPT"], risk["STOPPED"]
	t.Logf("as of %s: prompt payer PD %.3f, the one that stopped paying %.3f", asOf, prompt.PDefault90, stopped.PDefault90)
	if prompt.PDefault90 <= 0 || prompt.PDefault90 > 0.2 {
		t.Errorf("prompt payer with one stray 92-day invoice: PD %.3f, want above 0 and at most 0.2", prompt.PDefault90)
	}
	if stopped.PDefault90 <= 2*prompt.PDefault90 {
		t.Errorf("a customer unpaid for seven months: PD %.3f, not clearly above the prompt payer's %.3f", stopped.PDefault90, prompt.PDefault90)
	}
	// The hazard the worklist values loss avoided with follows the PD.
	hp := (&assessment{acc: &Account{Risk: &prompt}}).hazard(&Book{})
	hs := (&assessment{acc: &Account{Risk: &stopped}}).hazard(&Book{})
	if hp >= hs || hp > 0.01 {
		t.Errorf("daily default hazard: prompt payer %.4f, stopped %.4f", hp, hs)
	}
}
