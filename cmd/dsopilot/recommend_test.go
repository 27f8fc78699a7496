package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRecommendOnAStoreWithoutRandomisation(t *testing.T) {
	_, ledger, store := simulatedWith(t, 200, 8, 4)
	fx := filepath.Join(ledger, "fx_rates.csv")
	out, stderr, err := call(t, nil, "recommend", "--store", store, "--as-of", "2023-08-21", "--fx", fx, "--capacity", "call=2")
	if err != nil {
		t.Fatalf("recommend: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "scenario-based") {
		t.Errorf("stderr does not say the list is scenario-based: %q", stderr)
	}
	if !strings.Contains(stderr, " on the list") || !strings.Contains(stderr, "kept from any contact (") {
		t.Errorf("stderr does not say what the rules kept off the list: %q", stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("CSV: %v, %d rows", err, len(rows))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	calls := 0
	for _, r := range rows[1:] {
		if r[col["basis"]] != "scenario" || r[col["date"]] != "2023-08-21" || r[col["invoices"]] == "" {
			t.Errorf("row %v", r)
		}
		if r[col["action"]] == "call" {
			calls++
		}
	}
	if calls > 2 {
		t.Errorf("%d calls over --capacity call=2", calls)
	}
	out, _, err = call(t, nil, "recommend", "--store", store, "--as-of", "2023-08-21", "--fx", fx, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var w struct {
		Basis           string           `json:"basis"`
		Note            string           `json:"note"`
		Recommendations []map[string]any `json:"recommendations"`
	}
	if err := json.Unmarshal([]byte(out), &w); err != nil || w.Basis != "scenario" || w.Note == "" || len(w.Recommendations) == 0 {
		t.Fatalf("JSON %v: %+v", err, w)
	}
	// Amounts in SEK, GBP and USD need rates.
	if _, _, err := call(t, nil, "recommend", "--store", store, "--as-of", "2023-08-21"); err == nil || !strings.Contains(err.Error(), "--fx") {
		t.Errorf("without rates: %v", err)
	}
}

func TestRecommendRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(bad, []byte("scenarios:\n  - name: s\n    steps: [{offset: 7, action: sms}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := call(t, nil, "recommend", "--store", dir, "--as-of", "2024-01-01", "--scenario", bad)
	if err == nil || !strings.Contains(err.Error(), "s.yaml:3: scenarios[0].steps[0].action") {
		t.Errorf("bad scenario: %v", err)
	}
	for _, args := range [][]string{
		{"recommend", "--store", dir, "--capacity", "call=-4"},
		{"recommend", "--store", dir, "--capacity", "call"},
		{"recommend", "--store", dir, "--format", "xml"},
		{"recommend", "--store", dir, "--holdout", "0.9"},
		{"recommend", "--store", dir, "--meta", "x"},
		{"policy", "simulate"},
		{"policy", "evaluate", "--explore", "0"},
		{"policy", "evaluate", "--meta", "x"},
	} {
		if _, _, err := call(t, nil, args...); exitCode(err) != 2 {
			t.Errorf("%v: exit %d (%v), want 2", args, exitCode(err), err)
		}
	}
}

func TestPolicyEvaluateJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates three policies")
	}
	out, stderr, err := call(t, nil, "policy", "evaluate", "--customers", "80", "--months", "1", "--train-months", "6",
		"--seed", "3", "--policies", "none,scenario,recommender", "--json")
	if err != nil {
		t.Fatalf("policy evaluate: %v\n%s", err, stderr)
	}
	var rep struct {
		Seed     uint64                    `json:"seed"`
		Policies map[string]map[string]any `json:"policies"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Seed != 3 || len(rep.Policies) != 3 {
		t.Fatalf("seed %d, policies %v", rep.Seed, rep.Policies)
	}
	for _, k := range []string{"dso", "add", "collected", "collected_on_time_share", "contacts", "contact_cost", "bad_debt", "value"} {
		if _, ok := rep.Policies["recommender"][k]; !ok {
			t.Errorf("recommender lacks %s", k)
		}
	}
}

func TestRecommendWithAPaymentModel(t *testing.T) {
	dir, ledger, store := simulatedWith(t, 120, 10, 6)
	reg := filepath.Join(dir, "models")
	fx := filepath.Join(ledger, "fx_rates.csv")
	if _, stderr, err := call(t, nil, "train", "--store", store, "--as-of", "2023-10-20", "--registry", reg,
		"--currency", "EUR", "--fx", fx, "--families", "logistic"); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	out, stderr, err := call(t, nil, "recommend", "--store", store, "--as-of", "2023-10-23", "--fx", fx,
		"--registry", reg, "--model", "promoted", "--format", "json")
	if err != nil {
		t.Fatalf("recommend: %v\n%s", err, stderr)
	}
	var w struct {
		Recommendations []struct {
			RiskClass string `json:"risk_class"`
		} `json:"recommendations"`
	}
	if err := json.Unmarshal([]byte(out), &w); err != nil || len(w.Recommendations) == 0 {
		t.Fatalf("JSON %v, %d recommendations", err, len(w.Recommendations))
	}
	for _, r := range w.Recommendations {
		if r.RiskClass != "low" && r.RiskClass != "medium" && r.RiskClass != "high" {
			t.Fatalf("risk class %q", r.RiskClass)
		}
	}
	if _, _, err := call(t, nil, "recommend", "--store", store, "--as-of", "2023-10-23", "--fx", fx, "--registry", reg, "--model", "nosuch"); err == nil {
		t.Error("an unknown model was accepted")
	}
}
