package main

import (
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/features"
)

// features --customer with an id the ledger does not know says so: an
// error when none is known, a warning naming it beside the others' rows.
func TestFeaturesNamesUnknownCustomers(t *testing.T) {
	_, store := simulated(t)
	_, _, err := call(t, nil, "features", "--store", store, "--as-of", "2023-12-31", "--customer", "NOPE")
	if err == nil || !strings.Contains(err.Error(), "no customer NOPE known as of 2023-12-31") {
		t.Fatalf("an unknown customer alone: %v", err)
	}
	out, errOut, err := call(t, nil, "features", "--store", store, "--as-of", "2023-12-31", "--customer", "C000001", "--customer", "NOPE")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "\nC000001,") || !strings.Contains(errOut, "no customer NOPE known as of 2023-12-31: left out") {
		t.Fatalf("a known and an unknown customer: stdout %q, stderr %q", out, errOut)
	}
}

// The KPI text names the written-off settlements the days to pay leave out
// only when there are some: "0 of N written off, left out" says nothing.
func TestKPITextNamesWriteOffsOnlyWhenThereAreSome(t *testing.T) {
	for _, tc := range []struct {
		name       string
		writtenOff int
		want       string
		wantNot    string
	}{
		{"none written off", 0, "days to pay n/a (amount-weighted n/a)", "left out"},
		{"some written off", 2, "(amount-weighted n/a; 2 of 5 settled written off, left out)", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := &features.KPIReport{}
			rep.KPIs.InvoicesSettled = 5
			rep.KPIs.InvoicesWrittenOff = tc.writtenOff
			var b strings.Builder
			if err := printKPIs(&b, rep); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), tc.want) || (tc.wantNot != "" && strings.Contains(b.String(), tc.wantNot)) {
				t.Fatalf("want %q without %q in\n%s", tc.want, tc.wantNot, b.String())
			}
		})
	}
}
