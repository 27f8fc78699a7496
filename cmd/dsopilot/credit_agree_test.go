package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/embedded"
	"github.com/dsopilot/dsopilot/recommender/credit"
)

// credit suggest, the API's credit-limit route and the report's customer
// pages give the same PD, its source, the class and the suggestion for the
// same customer, day and registry: serve and report build their advice
// with creditAdvice, credit suggest with the same credit.Setup. Before,
// serve and report left the promoted model out (the segments' rates where
// the ledger has too few defaults) while credit suggest fell back to it: a
// trial's customer owing 11× its limit was "low" with no change on its
// page and in the API, "high" with a cut in credit suggest.
func TestCreditAdviceAgreesAcrossCommandAPIAndReport(t *testing.T) {
	dir, ledger, store := simulatedWith(t, 60, 10, 6)
	reg := filepath.Join(dir, "models")
	fx := filepath.Join(ledger, "fx_rates.csv")
	const asOf = "2023-10-31"
	if _, stderr, err := call(t, nil, "train", "--store", store, "--as-of", asOf, "--registry", reg,
		"--currency", "EUR", "--fx", fx, "--families", "logistic"); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	out, stderr, err := call(t, nil, "credit", "suggest", "--store", store, "--as-of", asOf, "--registry", reg, "--fx", fx, "--currency", "EUR", "--json")
	if err != nil {
		t.Fatalf("credit suggest: %v\n%s", err, stderr)
	}
	var cli credit.Suggestions
	if err := json.Unmarshal([]byte(out), &cli); err != nil {
		t.Fatal(err)
	}

	// The API's and the report's construction: the workflow's advice on
	// the ledger they hold, with the rates read to --currency.
	promoted, _, err := promotedModel(reg, slog.New(slog.DiscardHandler))
	if err != nil || promoted == nil {
		t.Fatalf("the promoted model: %v", err)
	}
	rates, err := reportingFX("EUR", fx)
	if err != nil {
		t.Fatal(err)
	}
	pol, cfx, risk, err := creditAdvice("", rates, promoted, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := embedded.Open(ctx, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	day, err := datasets.ParseDate(asOf)
	if err != nil {
		t.Fatal(err)
	}
	svc := &credit.Service{Store: st, Policy: pol, FX: cfx, Risk: risk}
	advice, err := svc.AdviceOn(ctx, l, day)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]credit.Advice{}
	for _, a := range advice {
		byID[a.CustomerID] = a
	}
	fromModel := 0
	for _, s := range cli.Rows {
		a, ok := byID[s.CustomerID]
		if !ok {
			t.Errorf("%s: in credit suggest, not in the advice", s.CustomerID)
			continue
		}
		if a.PD != s.PD || a.PDSource != s.PDSource || a.CreditRiskClass != s.CreditRiskClass || a.Suggested != s.Suggested || a.Bound != s.Bound {
			t.Errorf("%s: advice PD %v (%s) class %s suggested %v (%s), credit suggest PD %v (%s) class %s suggested %v (%s)", s.CustomerID,
				a.PD, a.PDSource, a.CreditRiskClass, a.Suggested, a.Bound, s.PD, s.PDSource, s.CreditRiskClass, s.Suggested, s.Bound)
		}
		if s.PDSource == "payment_model" {
			fromModel++
		}
	}
	if len(cli.Rows) == 0 || len(advice) != len(cli.Rows) {
		t.Fatalf("%d suggestions, %d advice", len(cli.Rows), len(advice))
	}
	// The case that differed: where the ledger has too few defaults to
	// learn the default model, the promoted model gives the PDs, in the
	// API's and the report's construction as in the command's.
	if want := credit.AdviceRisk(promoted, false, nil); !reflect.DeepEqual(risk, want) {
		t.Errorf("serve's and report's risk %#v, want the command's %#v", risk, want)
	}
	t.Logf("%d of %d PDs from the payment model", fromModel, len(cli.Rows))
}
