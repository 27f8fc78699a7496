package importer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// testLevels are the built-in scenario's dunning steps, the last without
// a step to date it by.
var testLevels = []DunningLevel{
	{Type: "reminder", Channel: "email", Offset: 7, HasOffset: true},
	{Type: "call", Channel: "phone", Offset: 21, HasOffset: true},
	{Type: "final_notice", Channel: "letter", Offset: 45, HasOffset: true},
	{Type: "collection_agency", Channel: "letter"},
}

const dunningColumns = "customer_id=Kunde,invoice_id=Beleg,issue_date=Datum,due_date=Fällig,amount=Betrag,settled_date=Ausgleich," +
	"invoices.dunning_level=Mahnstufe,invoices.last_dunning_date=Mahndatum"

// An ERP's dunning level on its invoices loads as one action per dunned
// invoice, of the level's step type, dated by the file's date or, with a
// warning quoting the date assumed in the file's format, by the step's
// day; a bad level or date rejects the row naming its field; importing
// the file again stores no action twice.
func TestDunningLevelsLoadAsActions(t *testing.T) {
	rows := []struct {
		row    string // Beleg;Ausgleich;Mahnstufe;Mahndatum
		action string // type date policy, "" for none
		reject string // field
		warn   string // in a warning's row
	}{
		{row: "R1;;2;22.04.2026", action: "call 2026-04-22"},
		{row: "R2;;1;", action: "reminder 2026-04-07", warn: `dunning_level "1": reminder assumed on 07.04.2026 (due 31.03.2026)`},
		{row: "R3;05.04.2026;3;", action: "final_notice 2026-04-05", warn: `final_notice assumed on 05.04.2026`},
		{row: "R4;;0;"},
		{row: "R5;;;"},
		{row: "R6;;;10.04.2026", warn: `last_dunning_date "10.04.2026"`},
		{row: "R7;;5;10.04.2026", reject: "dunning_level"},
		{row: "R8;;zwei;", reject: "dunning_level"},
		{row: "R9;;2;20.02.2026", reject: "last_dunning_date"},
		{row: "R10;;2;01.08.2026", reject: "last_dunning_date"},
		{row: "R11;;4;", reject: "last_dunning_date"},
		{row: "R12;;2;31.04.2026", reject: "last_dunning_date"},
		{row: "R13;;+4;15.06.2026", action: "collection_agency 2026-06-15"},
	}
	var b strings.Builder
	b.WriteString("Kunde;Beleg;Datum;Fällig;Betrag;Ausgleich;Mahnstufe;Mahndatum\n")
	for _, r := range rows {
		id, rest, _ := strings.Cut(r.row, ";")
		fmt.Fprintf(&b, "K1;%s;01.03.2026;31.03.2026;1.100,00;%s\n", id, rest)
	}
	latest, _ := datasets.ParseDate("2026-06-30")
	for store, open := range stores(t) {
		t.Run(store, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			p := writeFile(t, t.TempDir(), "Rechnungen.csv", b.String())
			for run := range 2 {
				o := opts(t)
				o.Kind, o.DateFormat, o.LatestDay, o.DunningLevels = datasets.EntityInvoices, "%d.%m.%Y", latest, testLevels
				o.Columns = map[string]string{}
				if err := ParseColumns(o.Columns, dunningColumns); err != nil {
					t.Fatal(err)
				}
				sum, err := Import(ctx, st, []string{p}, o)
				if err != nil {
					t.Fatal(err)
				}
				l, err := st.Load(ctx)
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]string{}
				for _, a := range l.Actions {
					if a.Policy != PolicyERPDunning || a.CustomerID != "K1" || a.Channel == "" {
						t.Errorf("action %+v", a)
					}
					got[a.InvoiceID] = a.Type + " " + a.Date.String()
				}
				rejected := map[int]string{}
				for _, r := range sum.FirstRejects {
					rejected[r.Line] = r.Field
				}
				var warned []string
				for _, w := range sum.Warnings {
					warned = append(warned, w.Rows...)
				}
				want := 0
				for i, r := range rows {
					id, _, _ := strings.Cut(r.row, ";")
					line := i + 2
					if got[id] != r.action {
						t.Errorf("run %d: line %d (%s): action %q, want %q", run, line, r.row, got[id], r.action)
					}
					if rejected[line] != r.reject {
						t.Errorf("run %d: line %d (%s): rejected field %q, want %q", run, line, r.row, rejected[line], r.reject)
					}
					w := slices.ContainsFunc(warned, func(s string) bool {
						return strings.Contains(s, fmt.Sprintf("Rechnungen.csv:%d ", line)) && strings.Contains(s, r.warn)
					})
					if r.warn != "" && !w {
						t.Errorf("run %d: line %d: no warning %q in %q", run, line, r.warn, warned)
					}
					if r.action != "" {
						want++
					}
				}
				if len(l.Actions) != want || sum.DunningActions != want || sum.Files[0].DunningActions != want {
					t.Fatalf("run %d: %d actions stored, %d counted, want %d", run, len(l.Actions), sum.DunningActions, want)
				}
				noted := slices.ContainsFunc(sum.Notes, func(n Warning) bool { return n.Reason == noteDunning && n.Count == want })
				if !noted {
					t.Errorf("notes %+v lack the %d dunning actions", sum.Notes, want)
				}
			}
		})
	}
}

// The reject of a dunning date before the issue quotes the issue date as
// the file writes it.
func TestDunningDateBeforeIssueQuotesTheFilesDate(t *testing.T) {
	st := openStore(t)
	o := opts(t)
	o.Kind, o.DateFormat, o.DunningLevels = datasets.EntityInvoices, "%d.%m.%Y", testLevels
	o.Columns = map[string]string{}
	if err := ParseColumns(o.Columns, dunningColumns); err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, t.TempDir(), "Rechnungen.csv", "Kunde;Beleg;Datum;Fällig;Betrag;Ausgleich;Mahnstufe;Mahndatum\n"+
		"K1;R1;01.03.2026;31.03.2026;10,00;;1;02.04.2026\nK1;R2;01.03.2026;31.03.2026;10,00;;2;20.02.2026\n")
	sum, err := Import(context.Background(), st, []string{p}, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.FirstRejects) != 1 || sum.FirstRejects[0].String() != p+`:3: last_dunning_date "20.02.2026": last_dunning_date is before issue_date 01.03.2026` {
		t.Fatalf("rejects %v", sum.FirstRejects)
	}
}

// A file's dunning columns need a level column and a mapping of levels;
// without a date column every level is dated by its step, with a warning,
// and a level whose type has no step rejects its row naming the level.
func TestDunningColumnsOfAFile(t *testing.T) {
	cases := []struct {
		name, header, row, columns string
		levels                     []DunningLevel
		fails                      string // the file's error
		action, reject, warn       string
	}{
		{name: "date without level", header: "Kunde;Beleg;Datum;Fällig;Betrag;Mahndatum", row: "K1;R1;01.03.2026;31.03.2026;10,00;02.04.2026",
			columns: "invoices.last_dunning_date=Mahndatum", levels: testLevels, fails: `dunning dates (the column "Mahndatum") but no dunning level`},
		{name: "no mapping of levels", header: "Kunde;Beleg;Datum;Fällig;Betrag;Mahnstufe", row: "K1;R1;01.03.2026;31.03.2026;10,00;1",
			columns: "invoices.dunning_level=Mahnstufe", fails: "no mapping of levels to action types"},
		{name: "no date column", header: "Kunde;Beleg;Datum;Fällig;Betrag;Mahnstufe", row: "K1;R1;01.03.2026;31.03.2026;10,00;2",
			columns: "invoices.dunning_level=Mahnstufe", levels: testLevels, action: "call 2026-04-21", warn: "call assumed on 21.04.2026"},
		{name: "no date and no step", header: "Kunde;Beleg;Datum;Fällig;Betrag;Mahnstufe", row: "K1;R1;01.03.2026;31.03.2026;10,00;4",
			columns: "invoices.dunning_level=Mahnstufe", levels: testLevels, reject: "dunning_level"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t)
			o := opts(t)
			o.Kind, o.DateFormat, o.DunningLevels = datasets.EntityInvoices, "%d.%m.%Y", tc.levels
			o.Columns = map[string]string{}
			if err := ParseColumns(o.Columns, "customer_id=Kunde,invoice_id=Beleg,issue_date=Datum,due_date=Fällig,amount=Betrag,"+tc.columns); err != nil {
				t.Fatal(err)
			}
			p := writeFile(t, t.TempDir(), "Rechnungen.csv", tc.header+"\n"+tc.row+"\n")
			sum, err := Import(ctx, st, []string{p}, o)
			if tc.fails != "" {
				if !errors.Is(err, ErrFiles) || !strings.Contains(err.Error(), tc.fails) {
					t.Fatalf("error %v, want the file failed: %s", err, tc.fails)
				}
				return
			}
			if err != nil && !(tc.reject != "" && errors.Is(err, ErrRejected)) {
				t.Fatal(err)
			}
			l, err := st.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			for _, a := range l.Actions {
				got = a.Type + " " + a.Date.String()
			}
			if got != tc.action {
				t.Errorf("action %q, want %q", got, tc.action)
			}
			rej := ""
			if len(sum.FirstRejects) > 0 {
				rej = sum.FirstRejects[0].Field
			}
			if rej != tc.reject {
				t.Errorf("rejects %v, want field %q", sum.FirstRejects, tc.reject)
			}
			if tc.warn != "" && !slices.ContainsFunc(sum.Warnings, func(w Warning) bool { return strings.Contains(w.Example, tc.warn) }) {
				t.Errorf("warnings %+v lack %q", sum.Warnings, tc.warn)
			}
		})
	}
}

// A level whose step's day is still ahead is dated yesterday, never today
// or later: the ERP dunned before it exported, and a worklist as of today
// sees only the days before it. At 12:00 UTC the latest record day
// (UTC+14) is already tomorrow.
func TestAssumedDunningDateIsNeverLaterThanYesterday(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	p := writeFile(t, t.TempDir(), "Rechnungen.csv", "Kunde;Beleg;Datum;Fällig;Betrag;Ausgleich;Mahnstufe;Mahndatum\n"+
		"K1;R1;01.03.2026;31.03.2026;1.100,00;;2;\n")
	o := opts(t)
	o.Kind, o.DateFormat, o.DunningLevels = datasets.EntityInvoices, "%d.%m.%Y", testLevels
	o.Now = func() time.Time { return time.Date(2026, 4, 10, 12, 0, 0, 0, time.UTC) }
	o.Columns = map[string]string{}
	if err := ParseColumns(o.Columns, dunningColumns); err != nil {
		t.Fatal(err)
	}
	if _, err := Import(ctx, st, []string{p}, o); err != nil {
		t.Fatal(err)
	}
	l, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Actions) != 1 || l.Actions[0].Date.String() != "2026-04-09" {
		t.Fatalf("actions %+v, want one call dated 2026-04-09 (the step's day, 2026-04-21, is ahead)", l.Actions)
	}
}

// Importing the same file again on a later day assumed a later date for a
// level whose step's day was capped at yesterday (2026-04-09 on the 10th,
// 2026-04-14 on the 15th): the stored action moved. Now the date an
// earlier import assumed is kept (same file, same dates), in both stores;
// a level whose step day has passed keeps its own day.
func TestReimportKeepsTheAssumedDunningDates(t *testing.T) {
	for storeName, open := range stores(t) {
		t.Run(storeName, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			p := writeFile(t, t.TempDir(), "Rechnungen.csv", "Kunde;Beleg;Datum;Fällig;Betrag;Ausgleich;Mahnstufe;Mahndatum\n"+
				"K1;R1;01.03.2026;31.03.2026;1.100,00;;2;\n"+
				"K1;R2;01.01.2026;31.01.2026;500,00;;1;\n")
			var got []string
			for _, day := range []int{10, 15, 30} {
				o := opts(t)
				o.Kind, o.DateFormat, o.DunningLevels = datasets.EntityInvoices, "%d.%m.%Y", testLevels
				o.Now = func() time.Time { return time.Date(2026, 4, day, 12, 0, 0, 0, time.UTC) }
				o.Columns = map[string]string{}
				if err := ParseColumns(o.Columns, dunningColumns); err != nil {
					t.Fatal(err)
				}
				sum, err := Import(ctx, st, []string{p}, o)
				if err != nil {
					t.Fatal(err)
				}
				if sum.DunningActions != 2 {
					t.Fatalf("day %d: %d dunning actions", day, sum.DunningActions)
				}
				l, err := st.Load(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var dates []string
				for _, a := range l.Actions {
					dates = append(dates, a.InvoiceID+" "+a.Date.String())
				}
				slices.Sort(dates)
				if got == nil {
					got = dates
				} else if !slices.Equal(got, dates) {
					t.Fatalf("imported again on April %d: actions %v, first %v", day, dates, got)
				}
			}
			if got[0] != "R1 2026-04-09" {
				t.Fatalf("actions %v: want R1's call on 2026-04-09", got)
			}
		})
	}
}
