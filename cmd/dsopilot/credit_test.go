package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/recommender/credit"
)

func TestCreditCommands(t *testing.T) {
	ledger, store := simulated(t)
	fx := filepath.Join(ledger, "fx_rates.csv")
	out, _, err := call(t, nil, "credit", "suggest", "--store", store, "--as-of", "2023-12-31", "--fx", fx, "--json")
	if err != nil {
		t.Fatalf("suggest: %v", err)
	}
	var sg struct {
		Rows []struct {
			CustomerID string   `json:"customer_id"`
			Currency   string   `json:"currency"`
			Current    float64  `json:"current_limit"`
			Suggested  float64  `json:"suggested_limit"`
			RiskClass  string   `json:"risk_class"`
			CreditRisk string   `json:"credit_risk_class"`
			Review     string   `json:"review_date"`
			Reasons    []string `json:"reasons"`
		} `json:"suggestions"`
	}
	if err := json.Unmarshal([]byte(out), &sg); err != nil || len(sg.Rows) == 0 {
		t.Fatalf("suggest JSON: %v\n%s", err, out)
	}
	customer, limit := "", 0.0
	for _, r := range sg.Rows {
		if r.RiskClass == "" || r.Review == "" || len(r.Reasons) < 2 {
			t.Fatalf("suggestion without class, review date or reasons: %+v", r)
		}
		// The credit class by PD has a name of its own (not the
		// worklist's lateness class); risk_class is kept, the same value.
		if r.CreditRisk != r.RiskClass {
			t.Fatalf("credit_risk_class %q, risk_class %q: want the same class under both names", r.CreditRisk, r.RiskClass)
		}
		if customer == "" && r.Currency == "EUR" && r.Current > 0 {
			customer, limit = r.CustomerID, r.Current
		}
	}
	if out, _, err := call(t, nil, "credit", "flags", "--store", store, "--as-of", "2023-12-31", "--fx", fx); err != nil || !strings.Contains(out, "customers flagged as of 2023-12-31") {
		t.Fatalf("flags: %v\n%s", err, out)
	}

	if _, _, err := call(t, nil, "credit", "propose", "--store", store, "--customer", customer, "--limit", "-5", "--reason", "x", "--by", "ann", "--role", "credit_analyst"); err == nil || !strings.Contains(err.Error(), "invalid amount") || exitCode(err) == 0 {
		t.Fatalf("negative limit: %v", err)
	}
	if _, _, err := call(t, nil, "credit", "propose", "--store", store, "--customer", "NOPE", "--limit", "5", "--reason", "x", "--by", "ann", "--role", "credit_analyst"); err == nil || !strings.Contains(err.Error(), `no customer "NOPE"`) {
		t.Fatalf("unknown customer: %v", err)
	}
	newLimit := fmt.Sprintf("%.2f", limit+20000)
	propose := []string{"credit", "propose", "--store", store, "--customer", customer, "--limit", newLimit, "--reason", "new contract", "--by", "ann"}
	for _, tc := range []struct{ extra []string }{{nil}, {[]string{"--role", "cfo"}}} {
		if _, _, err := call(t, nil, append(propose, tc.extra...)...); err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "--role") {
			t.Fatalf("propose with %v: %v, want a usage error naming --role", tc.extra, err)
		}
	}
	out, _, err = call(t, nil, append(propose, "--role", "credit_analyst", "--json")...)
	if err != nil {
		t.Fatalf("propose: %v", err)
	}
	var p struct {
		ID           string `json:"id"`
		RequiredRole string `json:"required_role"`
		ProposedRole string `json:"proposed_role"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil || p.ID == "" || p.ProposedRole != "credit_analyst" {
		t.Fatalf("propose JSON (want proposed_role credit_analyst): %v\n%s", err, out)
	}
	for _, tc := range []struct{ by, role, want string }{
		{"ann", "finance_director", "four eyes"},
		{"bob", "credit_analyst", "role below the approval threshold"},
	} {
		if _, _, err := call(t, nil, "credit", "approve", p.ID, "--store", store, "--by", tc.by, "--role", tc.role); err == nil || !strings.Contains(err.Error(), tc.want) || exitCode(err) != 1 {
			t.Fatalf("approve by %s as %s: %v, want %q", tc.by, tc.role, err, tc.want)
		}
	}
	out, _, err = call(t, nil, "credit", "approve", p.ID, "--store", store, "--by", "bob", "--role", "credit_manager", "--comment", "ok", "--json")
	if err != nil || !strings.Contains(out, `"status": "approved"`) {
		t.Fatalf("approve: %v\n%s", err, out)
	}
	if _, _, err := call(t, nil, "credit", "reject", p.ID, "--store", store, "--by", "carl", "--role", "credit_manager"); err == nil || !strings.Contains(err.Error(), "conflict: proposal "+p.ID+" was approved by bob") {
		t.Fatalf("reject after approval: %v", err)
	}
	out, _, err = call(t, nil, "credit", "list", "--store", store, "--status", "approved")
	if err != nil || !strings.Contains(out, p.ID) {
		t.Fatalf("list: %v\n%s", err, out)
	}
	// The approval is dated today: a suggestion as of today starts from it.
	out, _, err = call(t, nil, "credit", "suggest", "--store", store, "--fx", fx, "--customer", customer, "--json")
	if err != nil || !strings.Contains(out, fmt.Sprintf(`"current_limit": %s`, strings.TrimRight(strings.TrimRight(newLimit, "0"), "."))) {
		t.Fatalf("the approved limit is not the current one: %v\n%s", err, out)
	}
}

// importFiles writes files (name: CSV text) into the ledger directory and
// imports them into the embedded store at store.
func importFiles(t *testing.T, ledger, store string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(ledger, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(ledger, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := call(t, nil, "import", "--store", store, "--rejects", filepath.Join(filepath.Dir(ledger), "r.csv"), ledger); err != nil {
		t.Fatalf("import: %v", err)
	}
}

// creditLedger imports a small ledger in three currencies into a fresh
// embedded store: A1 (EUR) has a master limit of 50,000 and no credit
// decision since 2015, Z1 (EUR) a limit written 0.00, U1 and U2 are in
// USD, S1 in CHF; each owes one invoice of 2024.
func creditLedger(t *testing.T) (dir, store string) {
	t.Helper()
	dir = t.TempDir()
	ledger, store := filepath.Join(dir, "ledger"), filepath.Join(dir, "store")
	files := map[string]string{
		"customers.csv": "customer_id,name,segment,country,currency,credit_limit,payment_terms,since\n" +
			"A1,Alpha GmbH,mid_market,DE,EUR,50000.00,NET30,2015-01-01\n" +
			"Z1,Zero AG,mid_market,DE,EUR,0.00,NET30,2020-01-01\n" +
			"U2,Ubar Inc,mid_market,US,USD,9000.00,NET30,2020-01-01\n" +
			"U1,Ufoo Inc,mid_market,US,USD,9000.00,NET30,2020-01-01\n" +
			"S1,Suisse SA,mid_market,CH,CHF,9000.00,NET30,2020-01-01\n",
		"invoices.csv": "customer_id,invoice_id,issue_date,due_date,amount,currency\n" +
			"A1,IA1,2024-06-01,2024-07-01,1000.00,EUR\n" +
			"Z1,IZ1,2024-06-01,2024-07-01,500.00,EUR\n" +
			"U1,IU1,2024-06-01,2024-07-01,700.00,USD\n" +
			"U2,IU2,2024-06-01,2024-07-01,800.00,USD\n" +
			"S1,IS1,2024-06-01,2024-07-01,900.00,CHF\n",
		"fx.csv": "currency,rate\nUSD,0.9\nCHF,1.05\n",
	}
	importFiles(t, ledger, store, files)
	return dir, store
}

// Customers in a currency without a rate are not left out: credit suggest
// and flags refuse (exit 1), naming each currency with one of its
// customers and what to give; --currency assesses one currency alone, and
// says so. A limit written 0.00 is no credit, and a master limit with no
// decision on record is never expired.
func TestCreditCurrenciesAndLimitsInForce(t *testing.T) {
	dir, store := creditLedger(t)
	fx := filepath.Join(dir, "ledger", "fx.csv")
	base := []string{"--store", store, "--as-of", "2024-06-30"}
	if err := os.WriteFile(filepath.Join(dir, "usd_only.csv"), []byte("currency,rate\nUSD,0.9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	eurPolicy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(eurPolicy, credit.DefaultPolicyYAML(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"suggest", "flags"} {
		// Customers in several currencies, no --currency: which one to
		// report in is the user's to say (credit_currency_test.go).
		_, _, err := call(t, nil, append([]string{"credit", sub}, base...)...)
		want := "the customers are in CHF, EUR, USD: give --currency CODE"
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s without rates: %v, want exit 2 and %q", sub, err, want)
		}
		// With --currency and rates lacking a currency: refused, naming it.
		_, _, err = call(t, nil, append([]string{"credit", sub, "--currency", "EUR", "--fx", filepath.Join(dir, "usd_only.csv")}, base...)...)
		want = "no rate to EUR for CHF (1 customer, e.g. customer S1)"
		if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s --currency EUR --fx (no CHF rate): %v, want exit 1 and %q", sub, err, want)
		}
		// The built-in policy's amounts are stated in the reporting
		// currency: USD alone needs no rate (TestBuiltInPolicyAndScenarioFollowTheReportingCurrency).
		// A policy file keeps its own currency: USD alone needs its rate.
		_, _, err = call(t, nil, append([]string{"credit", sub, "--currency", "usd", "--policy", eurPolicy}, base...)...)
		if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "no rate to EUR for USD") || !strings.Contains(err.Error(), "the policy's amounts are in EUR") {
			t.Fatalf("%s --currency usd --policy (EUR) without rates: %v", sub, err)
		}
		if _, _, err := call(t, nil, append([]string{"credit", sub, "--currency", "euro"}, base...)...); exitCode(err) != 2 || !strings.Contains(err.Error(), "--currency") {
			t.Fatalf("%s --currency euro: %v, want a usage error", sub, err)
		}
		if _, _, err := call(t, nil, append([]string{"credit", sub, "--currency", "EUR", "--customer", "U1"}, base...)...); err == nil || !strings.Contains(err.Error(), "customer U1 is in USD, not EUR") {
			t.Fatalf("%s --currency EUR --customer U1: %v", sub, err)
		}
	}

	out, _, err := call(t, nil, append([]string{"credit", "flags", "--currency", "eur"}, base...)...)
	if err != nil || !strings.HasSuffix(out, "1 customer flagged as of 2024-06-30, customers in EUR only: 1 with orders held\n") {
		t.Fatalf("flags --currency eur: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Z1 (Zero AG): owes 500 EUR, limit 0 — orders held") ||
		!strings.Contains(out, "owes 500 EUR against a limit of 0 EUR: no credit, so all of it is over the limit") {
		t.Fatalf("the limit of 0.00 is not no credit:\n%s", out)
	}
	if strings.Contains(out, "A1") {
		t.Fatalf("the master limit with no decision on record is flagged:\n%s", out)
	}
	out, _, err = call(t, nil, append([]string{"credit", "suggest", "--currency", "EUR"}, base...)...)
	if err != nil || !strings.HasPrefix(out, "customers in EUR only (3 customers in CHF, USD not assessed)\n") ||
		strings.Contains(out, "U1") || !strings.Contains(out, "Z1: owes 500 EUR against a limit of 0 EUR: no credit") {
		t.Fatalf("suggest --currency EUR: %v\n%s", err, out)
	}
	out, _, err = call(t, nil, append([]string{"credit", "suggest", "--currency", "EUR", "--json"}, base...)...)
	if err != nil || !strings.Contains(out, `"currency": "EUR"`) || !strings.Contains(out, `"other_currencies": {`) {
		t.Fatalf("suggest --currency EUR --json: %v\n%s", err, out)
	}
	// Where the limit comes from: A1's is the master's, no decision on record.
	if !strings.Contains(out, `"limit_source": "customer_master"`) || strings.Contains(out, `"limit_set_date"`) {
		t.Fatalf("suggest --json: want limit_source customer_master and no limit_set_date\n%s", out)
	}
	out, _, err = call(t, nil, append([]string{"credit", "suggest", "--currency", "EUR", "--customer", "A1"}, base...)...)
	if err != nil || !strings.Contains(out, "limit_from") || !strings.Contains(out, "master") {
		t.Fatalf("suggest --customer A1: want the limit_from column saying master: %v\n%s", err, out)
	}
	// With the rates every customer is assessed.
	out, _, err = call(t, nil, append([]string{"credit", "flags", "--fx", fx}, base...)...)
	if err != nil || !strings.Contains(out, "1 customer flagged as of 2024-06-30: ") || strings.Contains(out, "A1") {
		t.Fatalf("flags --fx: %v\n%s", err, out)
	}
}

// credit suggest and flags warn, as score does, when the as-of date lies
// outside the ledger: before its first invoice, or long after its latest
// record.
func TestCreditWarnsOfAsOfOutsideTheLedger(t *testing.T) {
	dir, store := creditLedger(t)
	fx := filepath.Join(dir, "ledger", "fx.csv")
	for _, c := range []struct{ asOf, want string }{
		{"2024-06-05", ""},
		{"2023-01-31", "is before the ledger's first invoice (2024-06-01)"},
		{"2025-06-30", "the ledger's latest record is of 2024-06-01"},
	} {
		for _, sub := range []string{"suggest", "flags"} {
			_, errOut, err := call(t, nil, "credit", sub, "--store", store, "--fx", fx, "--as-of", c.asOf)
			if err != nil {
				t.Fatalf("%s as of %s: %v", sub, c.asOf, err)
			}
			errOut = withoutPDWarning(errOut) // this ledger has no defaults (TestCreditTellsWhyThePDsAreTheSegments)
			warned := strings.Contains(errOut, "dsopilot: warning: credit "+sub+": ")
			if c.want == "" && warned || c.want != "" && (!warned || !strings.Contains(errOut, c.want)) {
				t.Errorf("%s as of %s: stderr %q, want %q", sub, c.asOf, errOut, c.want)
			}
		}
	}
}

// credit propose warns, as suggest does, when the suggestion it starts
// from is as of a day long after the ledger's latest record (by default
// yesterday: it proposed "limit 0 -> 0" on an old export without a word);
// and a limit approved today, a credit decision dsopilot records itself,
// does not make the old ledger look current: suggest as of today warned
// before the approval and not after.
func TestCreditWarnsOfAStaleLedgerAfterProposeAndApprove(t *testing.T) {
	dir, store := creditLedger(t)
	fx := filepath.Join(dir, "ledger", "fx.csv")
	stale := "the ledger's latest record is of 2024-06-01"
	propose := []string{"credit", "propose", "--store", store, "--customer", "A1", "--limit", "60000", "--reason", "growth",
		"--by", "ann", "--role", "credit_analyst", "--fx", fx}
	out, errOut, err := call(t, nil, append(propose, "--as-of", "2024-06-05")...)
	if errOut = withoutPDWarning(errOut); err != nil || strings.Contains(errOut, "warning") {
		t.Fatalf("propose as of a day in the ledger: %v, stderr %q, want no warning", err, errOut)
	}
	// One proposal pending per customer: the first is withdrawn.
	if _, _, err := call(t, nil, "credit", "reject", strings.Fields(out)[0], "--store", store, "--by", "ann", "--role", "credit_analyst", "--fx", fx); err != nil {
		t.Fatalf("reject the first proposal: %v", err)
	}
	out, errOut, err = call(t, nil, propose...)
	if err != nil || !strings.Contains(errOut, "dsopilot: warning: credit propose: "+stale) {
		t.Fatalf("propose as of yesterday: %v, stderr %q, want %q", err, errOut, stale)
	}
	id := strings.Fields(out)[0]
	if _, _, err := call(t, nil, "credit", "approve", id, "--store", store, "--by", "bob", "--role", "finance_director", "--fx", fx); err != nil {
		t.Fatalf("approve: %v", err)
	}
	_, errOut, err = call(t, nil, "credit", "suggest", "--store", store, "--fx", fx)
	if err != nil || !strings.Contains(errOut, "dsopilot: warning: credit suggest: "+stale) {
		t.Fatalf("suggest as of today after an approval today: %v, stderr %q, want %q", err, errOut, stale)
	}
	_, errOut, err = call(t, nil, "features", "--store", store)
	if err != nil || !strings.Contains(errOut, "dsopilot: warning: features: "+stale) {
		t.Fatalf("features as of today after an approval today: %v, stderr %q, want %q", err, errOut, stale)
	}
}

// credit propose for a customer in a currency without a rate fails as
// suggest and flags do, saying what to give.
func TestCreditProposeSaysWhatRatesToGive(t *testing.T) {
	dir, store := creditLedger(t)
	propose := []string{"credit", "propose", "--store", store, "--customer", "U1", "--limit", "12000", "--reason", "growth",
		"--by", "ann", "--role", "credit_analyst", "--as-of", "2024-06-30"}
	_, _, err := call(t, nil, propose...)
	want := "credit propose: currency conversion: no rate to EUR for USD (1 customer, e.g. customer U1); " +
		"the policy's amounts are in EUR: give --fx FILE with a rate for USD to EUR, or --policy FILE with currency USD"
	if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), want) {
		t.Fatalf("propose without rates: %v, want exit 1 and %q", err, want)
	}
	out, _, err := call(t, nil, append(propose, "--fx", filepath.Join(dir, "ledger", "fx.csv"))...)
	if err != nil || !strings.Contains(out, "proposed: customer U1, limit 9,000 -> 12,000 USD") {
		t.Fatalf("propose with the rates: %v\n%s", err, out)
	}
	// Approving weighs the change against thresholds in EUR: it too says
	// what to give, and takes --fx (its usage used not to show it).
	id := strings.Fields(out)[0]
	approve := []string{"credit", "approve", id, "--store", store, "--by", "bob", "--role", "finance_director"}
	_, _, err = call(t, nil, approve...)
	if want := "give the rates (--fx FILE) with one for USD"; err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), want) {
		t.Fatalf("approve without rates: %v, want exit 1 and %q", err, want)
	}
	if out, _, err = call(t, nil, append(approve, "--fx", filepath.Join(dir, "ledger", "fx.csv"))...); err != nil || !strings.Contains(out, "approved: customer U1") {
		t.Fatalf("approve with the rates: %v\n%s", err, out)
	}
}

// An invoice in another currency than its customer's is converted to the
// customer's: credit suggest and flags used to add 700 USD to A1's
// exposure as 700 EUR, without a word. Without the rate they refuse, even
// with --currency EUR, naming the invoice.
func TestCreditConvertsInvoicesInAnotherCurrency(t *testing.T) {
	dir := t.TempDir()
	ledger, store := filepath.Join(dir, "ledger"), filepath.Join(dir, "store")
	files := map[string]string{
		"customers.csv": "customer_id,name,segment,country,currency,credit_limit,payment_terms,since\n" +
			"A1,Alpha GmbH,mid_market,DE,EUR,1000.00,NET30,2020-01-01\n",
		"invoices.csv": "customer_id,invoice_id,issue_date,due_date,amount,currency\n" +
			"A1,IA1,2024-06-01,2024-07-01,1000.00,EUR\n" +
			"A1,IX1,2024-06-02,2024-07-02,700.00,USD\n",
		"fx.csv": "currency,rate\nUSD,0.9\n",
	}
	importFiles(t, ledger, store, files)
	base := []string{"--store", store, "--as-of", "2024-06-30"}
	for _, c := range []struct {
		name string
		args []string
		want string // in the error; "" for an answer
	}{
		{"no rates", nil, `no rate to EUR for USD (1 invoice not in their customer's currency, e.g. invoice "IX1" of customer A1); give --fx FILE with rates to EUR`},
		{"EUR alone, no rates", []string{"--currency", "EUR"}, `no rate to EUR for USD (1 invoice not in their customer's currency, e.g. invoice "IX1" of customer A1); give --fx FILE`},
		{"rates", []string{"--fx", filepath.Join(ledger, "fx.csv")}, ""},
	} {
		for _, sub := range []string{"suggest", "flags"} {
			t.Run(c.name+"/"+sub, func(t *testing.T) {
				out, _, err := call(t, nil, append(append([]string{"credit", sub, "--json"}, base...), c.args...)...)
				if c.want != "" {
					if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), c.want) {
						t.Fatalf("%v, want exit 1 and %q", err, c.want)
					}
					return
				}
				// 1000 EUR and 700 USD at 0.9: 1630 EUR, not 1700.
				if err != nil || !strings.Contains(out, `"exposure": 1630`) {
					t.Fatalf("%v\n%s\nwant an exposure of 1630 EUR", err, out)
				}
			})
		}
	}
}

// credit flags --json names where each customer's limit comes from as
// credit suggest --json does (limit_source, limit_set_date), and its
// review date as the API does (limit_review_date, the current limit's): it
// gave that as review_date, which in suggest and the API is the suggested
// limit's, and lacked the other two.
func TestCreditFlagsJSONNamesTheLimitAsSuggestDoes(t *testing.T) {
	ledger, store := simulated(t)
	base := []string{"--store", store, "--as-of", "2023-12-31", "--fx", filepath.Join(ledger, "fx_rates.csv"), "--json"}
	out, _, err := call(t, nil, append([]string{"credit", "suggest"}, base...)...)
	if err != nil {
		t.Fatalf("suggest: %v", err)
	}
	var sg struct {
		Rows []map[string]any `json:"suggestions"`
	}
	if err := json.Unmarshal([]byte(out), &sg); err != nil {
		t.Fatal(err)
	}
	suggested := map[string]map[string]any{}
	for _, r := range sg.Rows {
		suggested[r["customer_id"].(string)] = r
	}
	out, _, err = call(t, nil, append([]string{"credit", "flags"}, base...)...)
	if err != nil {
		t.Fatalf("flags: %v", err)
	}
	var fl struct {
		Customers []map[string]any `json:"customers"`
	}
	if err := json.Unmarshal([]byte(out), &fl); err != nil {
		t.Fatal(err)
	}
	decided := 0
	for _, c := range fl.Customers {
		id := c["customer_id"].(string)
		s := suggested[id]
		set, hasSet := c["limit_set_date"].(string)
		review, hasReview := c["limit_review_date"].(string)
		if _, ok := c["review_date"]; ok {
			t.Errorf("%s: flags give review_date %v, the suggested limit's name in suggest and the API", id, c["review_date"])
		}
		if c["limit_source"] == nil || c["limit_source"] != s["limit_source"] || c["limit_set_date"] != s["limit_set_date"] {
			t.Errorf("%s: flags say limit_source %v set %v, suggest %v set %v", id, c["limit_source"], c["limit_set_date"], s["limit_source"], s["limit_set_date"])
		}
		// suggest gives the current limit's review date under the same
		// name (its review_date is the suggested limit's).
		if c["limit_review_date"] != s["limit_review_date"] {
			t.Errorf("%s: flags give limit_review_date %v, suggest %v", id, c["limit_review_date"], s["limit_review_date"])
		}
		if hasReview != hasSet || hasReview && review <= set {
			t.Errorf("%s: limit_review_date %q with limit_set_date %q: want one after the decision, none without", id, review, set)
		}
		if hasSet {
			decided++
		}
	}
	if decided == 0 {
		t.Fatalf("no flagged customer's limit comes from a decision: the test sees nothing\n%s", out)
	}
}

// credit policy prints the built-in policy, which parses as a policy file
// and is the one the commands use without --policy; the help of --policy
// points at the command, not at a source path the binary does not ship.
func TestCreditPolicyPrintsTheBuiltInOne(t *testing.T) {
	out, _, err := call(t, nil, "credit", "policy")
	if err != nil || out != string(credit.DefaultPolicyYAML()) {
		t.Fatalf("credit policy: %v\n%s", err, out)
	}
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := credit.LoadPolicy(path)
	if err != nil || !reflect.DeepEqual(p.Flags, credit.DefaultPolicy().Flags) || !reflect.DeepEqual(p.RiskClasses, credit.DefaultPolicy().RiskClasses) {
		t.Fatalf("the printed policy: %v", err)
	}
	if _, _, err := call(t, nil, "credit", "policy", "extra"); exitCode(err) != 2 {
		t.Fatalf("credit policy extra: %v, want a usage error", err)
	}
	for _, args := range [][]string{{"credit", "--help"}, {"credit", "suggest", "--help"}, {"credit", "policy", "--help"}} {
		out, _, _ := call(t, nil, args...)
		if strings.Contains(out, "recommender/credit/default_policy.yaml") || !strings.Contains(out, "credit policy") {
			t.Errorf("%v: want the help to name credit policy, not a source path:\n%s", args, out)
		}
	}
}

// pdWarning begins the warning that the default model fell back.
const pdWarning = "the default model (PD) was not learnt as of "

// withoutPDWarning is stderr without the lines of pdWarning.
func withoutPDWarning(errOut string) string {
	var keep []string
	for _, line := range strings.SplitAfter(errOut, "\n") {
		if !strings.Contains(line, pdWarning) {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "")
}

// A default model that falls back to the segments' rates for want of
// default events says so on stderr, once per run, with the count and what
// would make it learn: the PDs' source flips risk classes between days.
// stdout keeps the JSON alone.
func TestCreditTellsWhyThePDsAreTheSegments(t *testing.T) {
	dir, store := creditLedger(t)
	fx := filepath.Join(dir, "ledger", "fx.csv")
	for _, args := range [][]string{
		{"credit", "suggest", "--json"}, {"credit", "flags", "--json"}, {"credit", "flags"}, {"credit", "suggest", "--parts", "2"},
	} {
		out, errOut, err := call(t, nil, append(args, "--store", store, "--fx", fx, "--as-of", "2024-06-30")...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		want := "dsopilot: warning: " + args[0] + " " + args[1] + ": " + pdWarning + "2024-06-30: 0 default events in the last 12 months"
		if strings.Count(errOut, pdWarning) != 1 || !strings.Contains(errOut, want) || !strings.Contains(errOut, "it needs 10") ||
			!strings.Contains(errOut, "--model") || strings.Contains(out, pdWarning) {
			t.Errorf("%v: stderr %q, want %q once (and stdout without it)", args, errOut, want)
		}
		if slices.Contains(args, "--json") && !jsonValid(out) {
			t.Errorf("%v: stdout is not JSON:\n%s", args, out)
		}
	}
}
