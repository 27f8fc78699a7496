package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
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

// A credit list with customers left out says how many, and fails when
// they outnumber the customers it covers.
func TestCreditLeftOutIsCountedAndFailsWhenMost(t *testing.T) {
	two := []string{"customer A: no rate from GBP to EUR (pass the rates with --fx)", "customer B: no rate from USD to EUR (pass the rates with --fx)"}
	for _, c := range []struct {
		name     string
		problems []string
		kept     int
		wantErr  bool
		wantLast string
	}{
		{"none left out", nil, 5, false, ""},
		{"fewer than kept", two, 3, false, "dsopilot: warning: credit suggest: 2 of 5 customers left out (listed above)"},
		{"as many as kept", two, 2, false, "dsopilot: warning: credit suggest: 2 of 4 customers left out (listed above)"},
		{"most left out", two, 1, true, "customer B: no rate from USD to EUR (pass the rates with --fx)"},
		{"kept unknown", two, -1, false, "dsopilot: warning: credit suggest: 2 customers left out (listed above); the list covers the others"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var w strings.Builder
			err := leftOut(&w, "credit suggest", c.problems, c.kept)
			if (err != nil) != c.wantErr {
				t.Fatalf("error %v, want one: %v", err, c.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "2 of 3 customers left out") {
				t.Errorf("error %q does not count them", err)
			}
			lines := strings.Split(strings.TrimSuffix(w.String(), "\n"), "\n")
			if got := lines[len(lines)-1]; !strings.HasSuffix(got, c.wantLast) {
				t.Errorf("last line %q, want %q", got, c.wantLast)
			}
			if len(c.problems) > 0 && !strings.Contains(w.String(), "credit suggest: customer A: no rate") {
				t.Errorf("the problems are not listed:\n%s", w.String())
			}
		})
	}
}
