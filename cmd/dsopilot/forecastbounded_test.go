package main

import (
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/model/forecast"
)

// The forecast's text names the largest run-rate changes of the outlier
// bound, not one line per customer (the demo bounds 150 of 559), with
// their net, and says "raised" where the year's excess outweighs the
// window's.
func TestPrintBoundedNamesTheLargestChanges(t *testing.T) {
	bs := []forecast.Bounded{
		{CustomerID: "A", Invoices: 1, Lowered: 100_00},
		{CustomerID: "B", Invoices: 1, Lowered: -900_00},
		{CustomerID: "C", Invoices: 2, Lowered: 50_00},
		{CustomerID: "D", Invoices: 1, Lowered: 500_00},
		{CustomerID: "E", Invoices: 1, Lowered: 1_00},
	}
	var b strings.Builder
	printBounded(&b, bs, func(m forecast.Money) string { return m.Money().Grouped() })
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 1+boundedShown {
		t.Fatalf("%d lines, want a summary and %d customers:\n%s", len(lines), boundedShown, b.String())
	}
	if !strings.Contains(lines[0], "5 customers' run-rates") || !strings.Contains(lines[0], "raised by 249.00 in all") {
		t.Errorf("summary %q: want 5 customers and the net (100 − 900 + 50 + 500 + 1 = −249: raised)", lines[0])
	}
	for i, id := range []string{"B", "D", "A"} {
		if !strings.Contains(lines[i+1], "customer "+id+"'s") {
			t.Errorf("line %d %q: want customer %s (largest changes first)", i+1, lines[i+1], id)
		}
	}
	if !strings.Contains(lines[1], "raised by 900.00") {
		t.Errorf("line %q: want raised by 900.00", lines[1])
	}
}
