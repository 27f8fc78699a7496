package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// credit propose and approve take their reporting currency as credit
// suggest does when neither --currency nor --policy is given: the rates
// file's target (the one currency it lists at rate 1), or the ledger's one
// currency. On trial36 both failed with a USD rates file: "give --currency
// USD", the policy being in EUR.
func TestProposeAndApproveTakeTheRatesFilesCurrency(t *testing.T) {
	dir, store := creditLedger(t)
	usdRates := filepath.Join(dir, "fx_usd.csv")
	if err := os.WriteFile(usdRates, []byte("currency,rate\nUSD,1\nEUR,1.1\nCHF,1.15\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	usd := usdLedger(t, dir)
	cases := []struct {
		name  string
		store string
		extra []string
	}{
		{"a ledger in several currencies, a USD rates file", store, []string{"--fx", usdRates}},
		{"a ledger in USD alone, no rates", usd, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"credit", "propose", "--store", tc.store, "--customer", "U1", "--limit", "15000", "--as-of", "2024-06-30",
				"--reason", "growth", "--by", "ann", "--role", "credit_analyst", "--json"}, tc.extra...)
			out, stderr, err := call(t, nil, args...)
			// The policy in EUR refused it for want of a rate to EUR.
			if err != nil || !strings.Contains(out, `"currency": "USD"`) {
				t.Fatalf("propose without --currency: %v, want the policy in USD\n%s%s", err, out, stderr)
			}
			id := strings.Trim(field(t, out, "id"), `"`)
			out, stderr, err = call(t, nil, append([]string{"credit", "approve", id, "--store", tc.store, "--by", "bob", "--role", "credit_manager", "--json"}, tc.extra...)...)
			if err != nil || !strings.Contains(out, `"status": "approved"`) {
				t.Fatalf("approve without --currency: %v\n%s%s", err, out, stderr)
			}
		})
	}
	// A rates file that states no single target leaves the choice to the
	// user, as before.
	if got := ratesTarget(filepath.Join(dir, "ledger", "fx.csv")); got != "" {
		t.Errorf("rates target of a file listing no currency at 1: %q, want none", got)
	}
	if got := ratesTarget(usdRates); got != "USD" {
		t.Errorf("rates target of the USD file: %q, want USD", got)
	}
}
