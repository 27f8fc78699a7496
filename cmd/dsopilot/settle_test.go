package main

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/dsopilot/dsopilot/features"
)

// Settled is not paid: a ledger imported without its credit notes, as an
// ERP cleared-items export comes, reports the recovery of the full ledger,
// not 100%: the settlements no cash covers are read as write-offs, by the
// Go engine and, on ClickHouse, by the SQL one.
func TestKPIRecoveryOnALedgerWithoutCreditNotes(t *testing.T) {
	dir, ledger, store := simulatedWith(t, 150, 24, 7)
	bare, bareStore := withoutCreditNotes(t, dir, ledger)
	period := []string{"--from", "2024-07-01", "--to", "2024-12-31", "--json"}
	kpi := func(store string, more ...string) features.KPIReport {
		t.Helper()
		out, _, err := call(t, nil, append(append([]string{"kpi", "--store", store}, period...), more...)...)
		if err != nil {
			t.Fatalf("kpi --store %s: %v", store, err)
		}
		var r features.KPIReport
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	full, got := kpi(store), kpi(bareStore)
	if full.RecoveryBase == 0 || full.Recovered >= full.RecoveryBase {
		t.Fatalf("the full ledger recovers %s of %s: too little written off to test", full.Recovered, full.RecoveryBase)
	}
	if got.RecoveryBase != full.RecoveryBase || got.Recovered != full.Recovered {
		t.Fatalf("without credit notes: recovered %s of %s, want the full ledger's %s of %s",
			got.Recovered, got.RecoveryBase, full.Recovered, full.RecoveryBase)
	}
	if os.Getenv("DSOPILOT_TEST_CLICKHOUSE") == "" {
		return
	}
	ch := chStore(t)
	if _, _, err := call(t, nil, "import", "--store", ch, "--quiet", bare); err != nil {
		t.Fatalf("import into ClickHouse: %v", err)
	}
	for _, engine := range []string{"sql", "go"} {
		if r := kpi(ch, "--engine", engine); r.RecoveryBase != full.RecoveryBase || r.Recovered != full.Recovered {
			t.Fatalf("ClickHouse, --engine %s: recovered %s of %s, want %s of %s",
				engine, r.Recovered, r.RecoveryBase, full.Recovered, full.RecoveryBase)
		}
	}
}
