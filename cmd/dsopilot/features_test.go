package main

import (
	"strings"
	"testing"
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
