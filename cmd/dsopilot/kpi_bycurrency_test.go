package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/features"
)

// kpi --by currency in text prints each currency's own line and no
// portfolio line, which would add one currency's amounts to another's;
// the JSON keeps the totals and the warning says they mix units.
func TestKPIByCurrencyTextAddsNoCurrencies(t *testing.T) {
	_, store := simulated(t)
	args := []string{"kpi", "--store", store, "--from", "2023-10-01", "--to", "2023-12-31", "--by", "currency"}
	js, jsWarn, err := call(t, nil, append(args, "--json")...)
	if err != nil {
		t.Fatalf("kpi --json: %v", err)
	}
	var rep features.KPIReport
	if err := json.Unmarshal([]byte(js), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Groups) < 2 || len(rep.Currencies) < 2 {
		t.Fatalf("the test ledger has %d currency groups (%v): the test needs several", len(rep.Groups), rep.Currencies)
	}
	if !strings.Contains(jsWarn, "unconverted") {
		t.Errorf("kpi --by currency --json warned %q, want the mixed totals named", jsWarn)
	}
	text, warn, err := call(t, nil, args...)
	if err != nil {
		t.Fatalf("kpi: %v", err)
	}
	if warn != "" {
		t.Errorf("kpi --by currency warned %q with nothing mixed printed", warn)
	}
	for _, mixed := range []string{"invoiced ", "aging:", rep.Receivables.Money().Grouped()} {
		if strings.Contains(text, mixed) {
			t.Errorf("kpi --by currency printed the portfolio's %q:\n%s", mixed, text)
		}
	}
	for _, g := range rep.Groups {
		line := ""
		for _, l := range strings.Split(text, "\n") {
			if f := strings.Fields(l); len(f) > 0 && f[0] == g.Key {
				line = l
			}
		}
		if !strings.Contains(line, g.Receivables.Money().Grouped()) {
			t.Errorf("currency %s: line %q, want its receivables %s", g.Key, line, g.Receivables)
		}
	}
}
