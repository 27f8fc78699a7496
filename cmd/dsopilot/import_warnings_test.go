package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The terminal lists up to five rows of each warning kind with file,
// line and field, and says how many more --json has.
func TestImportWarningsListTheirFirstRows(t *testing.T) {
	dir := t.TempDir()
	export := filepath.Join(dir, "export")
	os.Mkdir(export, 0o755)
	os.WriteFile(filepath.Join(export, "customers.csv"), []byte("customer_id,name,credit_limit\nA,Acme,\nB,Beta,\nC,Gamma,10.00\n"), 0o644)
	var pay strings.Builder
	pay.WriteString("payment_id,customer_id,invoice_id,payment_date,amount\n")
	for i := range 7 {
		fmt.Fprintf(&pay, "P%d,A,X%d,2024-01-05,1.00\n", i, i)
	}
	os.WriteFile(filepath.Join(export, "payments.csv"), []byte(pay.String()), 0o644)
	_, stderr, err := call(t, nil, "import", "--store", filepath.Join(dir, "store"), export)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		listed []string
		absent []string
	}{
		{name: "blank credit limits: both rows, nothing more", listed: []string{
			"customers.csv:2 credit_limit \"\"", "customers.csv:3 credit_limit \"\""}, absent: []string{"customers.csv:4"}},
		{name: "unknown invoices: five rows and how many more", listed: []string{
			"payments.csv:2 invoice_id \"X0\"", "payments.csv:6 invoice_id \"X4\"", "  … and 2 more (see --json)\n"},
			absent: []string{"payments.csv:7 "}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, s := range tc.listed {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
			for _, s := range tc.absent {
				if strings.Contains(stderr, s) {
					t.Errorf("stderr lists %q:\n%s", s, stderr)
				}
			}
		})
	}
}
