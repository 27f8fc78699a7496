package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An ERP export's dunning levels (Mahnstufe, Mahndatum) load as actions,
// and the worklist continues each invoice's dunning after its level
// instead of starting it again: the built-in scenario's levels are
// 1=reminder, 2=call, 3=final_notice. Without the columns mapped, the
// same invoices get the scenario's earliest feasible step. Importing the
// file again adds no action.
func TestImportedDunningLevelsContinueTheScenario(t *testing.T) {
	dir := t.TempDir()
	customers := filepath.Join(dir, "Kunden.csv")
	os.WriteFile(customers, []byte("Kundennummer;Name;Zahlungsbedingung\nA;Alpha;30 Tage netto\nB;Beta;30 Tage netto\nC;Gamma;30 Tage netto\n"), 0o644)
	invoices := filepath.Join(dir, "Rechnungen.csv")
	os.WriteFile(invoices, []byte("Kundennummer;Belegnummer;Belegdatum;Fälligkeit;Betrag;Mahnstufe;Mahndatum\n"+
		"A;RA;31.01.2026;02.03.2026;5.000,00;1;10.03.2026\n"+ // reminder at due+8
		"B;RB;02.03.2026;01.04.2026;5.000,00;2;23.04.2026\n"+ // call at due+22
		"C;RC;06.12.2025;05.01.2026;5.000,00;3;\n"), 0o644) // final_notice, dated by its step: due+45
	base := "customer_id=Kundennummer,invoice_id=Belegnummer,issue_date=Belegdatum,due_date=Fälligkeit,amount=Betrag"
	cases := []struct {
		customer, asOf string
		without, with  string // the action recommended, "" for none
	}{
		{customer: "A", asOf: "2026-03-13", without: "reminder", with: ""},              // due+11: the reminder is done, the call comes at due+21
		{customer: "B", asOf: "2026-05-21", without: "call", with: "final_notice"},      // due+50: the call is done
		{customer: "C", asOf: "2026-04-10", without: "call", with: "collection_agency"}, // due+95: the final notice is done
	}
	for _, mapped := range []bool{false, true} {
		store := filepath.Join(dir, "without")
		cols := base
		if mapped {
			store = filepath.Join(dir, "with")
			cols += ",invoices.dunning_level=Mahnstufe,invoices.last_dunning_date=Mahndatum"
		}
		if out, _, err := call(t, nil, "import", "--store", store, "--kind", "customers", "--columns", "customer_id=Kundennummer,name=Name,payment_terms=Zahlungsbedingung", customers); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		for run := range 2 {
			out, stderr, err := call(t, nil, "import", "--store", store, "--kind", "invoices", "--date-format", "%d.%m.%Y", "--columns", cols, "--json", invoices)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			var sum struct {
				DunningActions int `json:"dunning_actions"`
			}
			if err := json.Unmarshal([]byte(out), &sum); err != nil {
				t.Fatal(err)
			}
			want := 0
			if mapped {
				want = 3
				if !strings.Contains(stderr, `Rechnungen.csv:4 dunning_level "3": final_notice assumed on 19.02.2026 (due 05.01.2026)`) {
					t.Errorf("run %d: stderr lacks the date assumed for line 4:\n%s", run, stderr)
				}
			}
			if l := loadStore(t, store); sum.DunningActions != want || len(l.Actions) != want {
				t.Fatalf("run %d: %d dunning actions counted, %d stored, want %d", run, sum.DunningActions, len(l.Actions), want)
			}
		}
	}
	for _, tc := range cases {
		for _, store := range []string{filepath.Join(dir, "without"), filepath.Join(dir, "with")} {
			out, _, err := call(t, nil, "recommend", "--store", store, "--as-of", tc.asOf, "--holdout", "0", "--format", "json")
			if err != nil {
				t.Fatal(err)
			}
			var w struct {
				Recommendations []struct {
					CustomerID string `json:"customer_id"`
					Action     string `json:"action"`
				} `json:"recommendations"`
			}
			if err := json.Unmarshal([]byte(out), &w); err != nil {
				t.Fatal(err)
			}
			got := ""
			for _, r := range w.Recommendations {
				if r.CustomerID == tc.customer {
					got = r.Action
				}
			}
			want := tc.without
			if strings.HasSuffix(store, "with") {
				want = tc.with
			}
			if got != want {
				t.Errorf("%s on %s, store %s: recommended %q, want %q\n%s", tc.customer, tc.asOf, filepath.Base(store), got, want, out)
			}
		}
	}
}

// The levels are the built-in scenario's steps after the due date, those
// of --scenario, or the types --dunning-levels names; a type the
// scenario lacks is a usage error naming it.
func TestImportDunningLevelMapping(t *testing.T) {
	dir := t.TempDir()
	scenario := filepath.Join(dir, "mahnwesen.yaml")
	os.WriteFile(scenario, []byte("currency: EUR\naction_types:\n"+
		"  mahnung1: {channel: email, cost: 0.50, dpd: [1, 365]}\n"+
		"  mahnung2: {channel: letter, cost: 2.00, after: [mahnung1], dpd: [10, 365]}\n"+
		"  anruf: {channel: phone, cost: 8.00, personal: true, dpd: [10, 365]}\n"+
		"  mahnung3: {channel: letter, cost: 3.00, after: [mahnung2], dpd: [20, 365]}\n"+
		"scenarios:\n  - name: standard\n    steps:\n"+
		"      - {offset: 7, action: mahnung1}\n      - {offset: 21, action: mahnung2}\n"+
		"      - {offset: 28, action: anruf}\n      - {offset: 35, action: mahnung3}\n"), 0o644)
	invoices := filepath.Join(dir, "Rechnungen.csv")
	os.WriteFile(invoices, []byte("Kundennummer;Belegnummer;Belegdatum;Fälligkeit;Betrag;Mahnstufe;Mahndatum\n"+
		"A;R1;31.01.2026;02.03.2026;5.000,00;3;10.04.2026\n"), 0o644)
	cases := []struct {
		name  string
		flags []string
		want  string // type channel, or the usage error
	}{
		{name: "built-in", want: "final_notice letter"},
		{name: "the scenario file's steps", flags: []string{"--scenario", scenario}, want: "anruf phone"},
		{name: "named levels", flags: []string{"--scenario", scenario, "--dunning-levels", "mahnung1, Mahnung2,mahnung3"}, want: "mahnung3 letter"},
		{name: "a type the scenario lacks", flags: []string{"--dunning-levels", "reminder,mahnung2"},
			want: `--dunning-levels: level 2's type "mahnung2" is no action type of the scenario`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := filepath.Join(t.TempDir(), "store")
			args := append([]string{"import", "--store", store, "--kind", "invoices", "--date-format", "%d.%m.%Y", "--columns",
				"customer_id=Kundennummer,invoice_id=Belegnummer,issue_date=Belegdatum,due_date=Fälligkeit,amount=Betrag,invoices.dunning_level=Mahnstufe,invoices.last_dunning_date=Mahndatum"},
				tc.flags...)
			out, _, err := call(t, nil, append(args, invoices)...)
			if strings.HasPrefix(tc.want, "--") {
				if exitCode(err) != 2 || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("exit %d (%v), want 2: %s", exitCode(err), err, tc.want)
				}
				if _, serr := os.Stat(store); serr == nil {
					t.Errorf("a usage error left a store behind")
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			l := loadStore(t, store)
			if len(l.Actions) != 1 || l.Actions[0].Type+" "+l.Actions[0].Channel != tc.want || l.Actions[0].Policy != "erp_dunning" {
				t.Fatalf("actions %+v, want one %s", l.Actions, tc.want)
			}
		})
	}
}
