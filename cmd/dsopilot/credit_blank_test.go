package main

import (
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
	out, _, err := call(t, nil, "credit", "flags", "--store", store, "--as-of", "2024-06-30")
	if err != nil || !strings.Contains(out, "B1 (Blank AG): owes 500 EUR, limit none recorded\n") ||
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
