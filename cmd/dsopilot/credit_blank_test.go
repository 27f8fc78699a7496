package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A blank credit_limit in the customer master is no limit recorded: credit
// flags and the proposals say "none recorded", never a limit of 0 (no
// credit), which a written 0.00 still is. (Both printed "limit 0".)
func TestCreditTextSaysABlankLimitIsNoneRecorded(t *testing.T) {
	dir := t.TempDir()
	ledger, store := filepath.Join(dir, "ledger"), filepath.Join(dir, "store")
	importFiles(t, ledger, store, map[string]string{
		"customers.csv": "customer_id,name,segment,country,currency,credit_limit,payment_terms,since\n" +
			"B1,Blank AG,mid_market,DE,EUR,,NET30,2020-01-01\n" +
			"Z1,Zero AG,mid_market,DE,EUR,0.00,NET30,2020-01-01\n",
		"invoices.csv": "customer_id,invoice_id,issue_date,due_date,amount,currency\n" +
			"B1,IB1,2024-06-01,2024-07-01,500.00,EUR\n" +
			"Z1,IZ1,2024-06-01,2024-07-01,500.00,EUR\n",
	})
	out, _, err := call(t, nil, "credit", "suggest", "--store", store, "--as-of", "2024-06-30")
	if b1 := lineOf(out, "B1 "); err != nil || !strings.Contains(b1, " none recorded ") || !strings.Contains(b1, " blank ") {
		t.Fatalf("suggest: %v; want B1's current limit none recorded (it was -)\n%s", err, out)
	}
	for _, c := range []struct{ cmd, field string }{{"suggest", "current_limit"}, {"flags", "limit"}} {
		js, _, err := call(t, nil, "credit", c.cmd, "--store", store, "--as-of", "2024-06-30", "--customer", "B1", "--json")
		if err != nil || !strings.Contains(js, `"`+c.field+`": null`) {
			t.Fatalf("%s --json: %v; want B1's %s null (it was 0.00)\n%s", c.cmd, err, c.field, js)
		}
	}
	out, _, err = call(t, nil, "credit", "flags", "--store", store, "--as-of", "2024-06-30")
	// B1's one flag, no_limit, is told in the one line of such customers.
	if err != nil || !strings.Contains(out, "no_limit: 1 customer owing 500 EUR has no credit limit on record (a blank credit_limit, or derived from invoices, and no credit decision: B1); its orders are not held.") ||
		!strings.Contains(out, "Z1 (Zero AG): owes 500 EUR, limit 0 — orders held\n") {
		t.Fatalf("flags: %v; want B1's limit none recorded, Z1's 0\n%s", err, out)
	}
	out, _, err = call(t, nil, "credit", "propose", "--store", store, "--customer", "B1", "--limit", "1000", "--reason", "first limit",
		"--by", "ann", "--role", "credit_analyst")
	if err != nil || !strings.Contains(out, "customer B1, limit none recorded -> 1,000 EUR") {
		t.Fatalf("propose: %v; want the old limit none recorded\n%s", err, out)
	}
	out, _, err = call(t, nil, "credit", "list", "--store", store)
	if err != nil || !strings.Contains(out, "none recorded") {
		t.Fatalf("list: %v; want the old limit none recorded\n%s", err, out)
	}
}

// lineOf is the first line of out starting with prefix (after its indent) ("" when none does).
func lineOf(out, prefix string) string {
	for line := range strings.Lines(out) {
		if strings.HasPrefix(strings.TrimLeft(line, " "), prefix) {
			return line
		}
	}
	return ""
}

// The credit commands need no model; a promoted one of another feature
// catalogue (which does not load) is passed over with a warning, not a
// failure of a command that worked without it.
func TestCreditPassesOverAStaleModel(t *testing.T) {
	dir := t.TempDir()
	ledger, store, reg := filepath.Join(dir, "ledger"), filepath.Join(dir, "store"), filepath.Join(dir, "models")
	importFiles(t, ledger, store, map[string]string{
		"customers.csv": "customer_id,name,segment,country,currency,credit_limit,payment_terms,since\nB1,Blank AG,mid_market,DE,EUR,1000.00,NET30,2020-01-01\n",
		"invoices.csv":  "customer_id,invoice_id,issue_date,due_date,amount,currency\nB1,IB1,2024-06-01,2024-07-01,500.00,EUR\n",
	})
	id := "2024-05-31-0123456789"
	if err := os.MkdirAll(filepath.Join(reg, id), 0o755); err != nil {
		t.Fatal(err)
	}
	meta := `{"id":"` + id + `","champion":"gbdt","catalogue_version":"2","train_window":["2023-01-01","2024-05-31"],"data_fingerprint":"ab"}`
	if err := os.WriteFile(filepath.Join(reg, id, "meta.json"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(reg, "PROMOTED"), []byte(id+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := call(t, nil, "credit", "flags", "--store", store, "--as-of", "2024-06-30", "--registry", reg)
	if err != nil || !strings.Contains(errOut, "the promoted model is not used for PDs") || !strings.Contains(errOut, `version "2"`) {
		t.Fatalf("flags: %v; stderr %q, stdout %q: want it to run and say why the model is not used", err, errOut, out)
	}
}
