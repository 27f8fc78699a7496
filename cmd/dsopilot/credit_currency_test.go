package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A company reporting in USD uses the built-in credit policy and dunning
// scenario with --currency USD: their amounts are stated in USD (the same
// round figures), so a ledger in USD needs no rates and the output names
// the currency. A file given keeps its own currency. Before, the built-in
// ones were in EUR whatever the reporting currency: a USD ledger needed
// rates to EUR, or copies of both files with currency: USD.
func TestBuiltInPolicyAndScenarioFollowTheReportingCurrency(t *testing.T) {
	dir, store := creditLedger(t)
	base := []string{"--store", store, "--as-of", "2024-06-30"}
	for _, sub := range []string{"suggest", "flags"} {
		out, _, err := call(t, nil, append([]string{"credit", sub, "--currency", "USD", "--json"}, base...)...)
		if err != nil || !strings.Contains(out, `"policy_currency": "USD"`) || !strings.Contains(out, `"policy": "default_policy.yaml (amounts in USD)"`) ||
			sub == "suggest" && !strings.Contains(out, `"U1"`) {
			t.Fatalf("credit %s --currency USD: %v\n%s", sub, err, out)
		}
	}
	// The starting limit is the file's 5,000... stated in USD: U2, a new
	// customer by the policy's count, is suggested the same figure as an
	// EUR customer would be.
	usd, _, err := call(t, nil, append([]string{"credit", "suggest", "--currency", "USD", "--customer", "U2", "--json"}, base...)...)
	if err != nil {
		t.Fatal(err)
	}
	eur, _, err := call(t, nil, append([]string{"credit", "suggest", "--currency", "EUR", "--customer", "A1", "--json"}, base...)...)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := field(t, usd, "suggested_limit"), field(t, eur, "suggested_limit"); got != want {
		t.Fatalf("U2's suggestion in USD %s, A1's in EUR %s: want the same round figure", got, want)
	}
	out, _, err := call(t, nil, "credit", "policy", "--currency", "usd")
	if err != nil || !strings.Contains(out, "\ncurrency: USD\n") || strings.Contains(out, "currency: EUR") {
		t.Fatalf("credit policy --currency usd: %v\n%s", err, out)
	}

	// recommend: the built-in scenario in USD, no rates for a USD ledger.
	usdOnly := usdLedger(t, dir)
	rec := []string{"recommend", "--store", usdOnly, "--as-of", "2024-06-10", "--format", "json"}
	if _, _, err := call(t, nil, rec...); err == nil || !strings.Contains(err.Error(), "USD") {
		t.Fatalf("recommend on a USD ledger, built-in scenario in EUR, no rates: %v, want refused for want of a rate", err)
	}
	out, _, err = call(t, nil, append(rec, "--currency", "USD")...)
	if err != nil || !strings.Contains(out, `"currency": "USD"`) || !strings.Contains(out, `"IU1"`) {
		t.Fatalf("recommend --currency USD: %v\n%s", err, out)
	}
	scen := filepath.Join(dir, "scenario.yaml")
	if b, err := os.ReadFile(filepath.Join("..", "..", "recommender", "default_scenarios.yaml")); err != nil {
		t.Fatal(err)
	} else if err := os.WriteFile(scen, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = call(t, nil, append(rec, "--currency", "USD", "--scenario", scen)...)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "--currency USD, but the scenario file") || !strings.Contains(err.Error(), "states its amounts in EUR") {
		t.Fatalf("recommend --currency USD with a scenario file in EUR: %v, want a usage error", err)
	}
}

// field is the first value of "name": in a JSON text.
func field(t *testing.T, js, name string) string {
	t.Helper()
	_, rest, ok := strings.Cut(js, `"`+name+`": `)
	if !ok {
		t.Fatalf("no %s in\n%s", name, js)
	}
	v, _, _ := strings.Cut(rest, ",")
	return strings.TrimSpace(v)
}

// approve reads the currency a proposal was made under: a proposal made
// with --currency USD (the built-in policy's thresholds in USD, no rates
// needed) is approved without it, against the same thresholds; an approval
// given another currency is refused, naming the proposal's. Before, approve
// needed the same --currency: without it the policy was in EUR and the USD
// proposal was refused for want of a rate to EUR.
func TestApproveReadsTheProposalsCurrency(t *testing.T) {
	_, store := creditLedger(t)
	out, _, err := call(t, nil, "credit", "propose", "--store", store, "--customer", "U1", "--limit", "15000", "--as-of", "2024-06-30",
		"--reason", "growth", "--by", "ann", "--role", "credit_analyst", "--currency", "USD", "--json")
	if err != nil {
		t.Fatalf("propose --currency USD: %v\n%s", err, out)
	}
	id := strings.Trim(field(t, out, "id"), `"`)
	_, _, err = call(t, nil, "credit", "approve", id, "--store", store, "--by", "bob", "--role", "credit_manager", "--currency", "EUR")
	if exitCode(err) == 0 || !strings.Contains(fmt.Sprint(err), "made under a credit policy in USD") || !strings.Contains(fmt.Sprint(err), "--currency USD") {
		t.Fatalf("approve --currency EUR of a proposal made in USD: %v, want a refusal naming USD", err)
	}
	out, stderr, err := call(t, nil, "credit", "approve", id, "--store", store, "--by", "bob", "--role", "credit_manager", "--json")
	if err != nil || !strings.Contains(out, `"status": "approved"`) {
		t.Fatalf("approve without --currency: %v\n%s%s", err, out, stderr)
	}
}

// The reporting currency of credit suggest and flags: without --currency,
// the customers' one currency (a GBP ledger was assessed against the
// policy in EUR and refused for want of a rate to EUR); with --currency
// and --fx, every customer converted to it, as kpi, forecast and
// recommend convert theirs (the customers in other currencies were "not
// assessed").
func TestCreditReportingCurrency(t *testing.T) {
	dir, store := creditLedger(t)
	fx := filepath.Join(dir, "ledger", "fx.csv")
	out, _, err := call(t, nil, "credit", "suggest", "--store", store, "--as-of", "2024-06-30", "--currency", "EUR", "--fx", fx, "--json")
	if err != nil || strings.Contains(out, `"other_currencies"`) || !strings.Contains(out, `"U1"`) || !strings.Contains(out, `"S1"`) {
		t.Fatalf("suggest --currency EUR --fx: %v, want every customer assessed\n%s", err, out)
	}
	usd := usdLedger(t, dir)
	for _, sub := range []string{"suggest", "flags"} {
		out, stderr, err := call(t, nil, "credit", sub, "--store", usd, "--as-of", "2024-06-30", "--json")
		if err != nil || !strings.Contains(out, `"policy_currency": "USD"`) {
			t.Fatalf("credit %s on a USD ledger without --currency: %v, want the policy in USD\n%s%s", sub, err, out, stderr)
		}
	}
}

// usdLedger imports, under dir, a one-customer ledger in USD alone (U1, an
// invoice IU1 of 700.00) into a store of its own, and returns the store.
func usdLedger(t *testing.T, dir string) string {
	t.Helper()
	store := filepath.Join(dir, "usd")
	importFiles(t, filepath.Join(dir, "usdledger"), store, map[string]string{
		"customers.csv": "customer_id,name,segment,country,currency,credit_limit,payment_terms,since\n" +
			"U1,Ufoo Inc,mid_market,US,USD,9000.00,NET30,2020-01-01\n",
		"invoices.csv": "customer_id,invoice_id,issue_date,due_date,amount,currency\n" +
			"U1,IU1,2024-05-01,2024-05-31,700.00,USD\n",
	})
	return store
}
