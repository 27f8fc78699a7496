package importer

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// importSAP imports body as an invoices file with the columns and
// options given, and returns the summary and what the store holds.
func importSAP(t *testing.T, st testStore, body, columns string, set func(*Options)) (*Summary, *datasets.Ledger) {
	t.Helper()
	ctx := context.Background()
	o := opts(t)
	o.Kind, o.DateFormat = datasets.EntityInvoices, "%d.%m.%Y"
	o.Columns = map[string]string{}
	if err := ParseColumns(o.Columns, columns); err != nil {
		t.Fatal(err)
	}
	if set != nil {
		set(&o)
	}
	sum, err := Import(ctx, st, []string{writeFile(t, t.TempDir(), "fbl5n.csv", body)}, o)
	if err != nil {
		t.Fatal(err)
	}
	l, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return sum, l
}

// An SAP export writes its payment terms as keys (ZB30) and leaves some
// due dates blank: with the keys named (--terms), a blank due date is the
// issue date plus the key's terms, counted as derived; a key not named
// rejects its row, naming the field and --terms; a due date written is
// kept whatever the key.
func TestTermsKeysDeriveBlankDueDates(t *testing.T) {
	const body = "Account;Document Number;Document Date;Net due date;Amount in doc. curr.;Terms of Payment\n" +
		"K1;A1;02.03.2026;;100,00;ZB30\n" + // 2
		"K1;A2;02.03.2026;;100,00;0001\n" + // 3
		"K1;A3;02.03.2026;;100,00;ZN60\n" + // 4
		"K1;A4;02.03.2026;15.03.2026;100,00;ZB30\n" // 5
	const columns = "customer_id=Account,invoice_id=Document Number,issue_date=Document Date,due_date=Net due date,amount=Amount in doc. curr.,invoices.payment_terms=Terms of Payment"
	cases := []struct {
		name    string
		keys    string
		due     []string // id due
		derived int
		rejects []string // line field
	}{
		{name: "keys named", keys: "zb30=30,0001=0", due: []string{"A1 2026-04-01", "A2 2026-03-02", "A4 2026-03-15"}, derived: 2, rejects: []string{"4 payment_terms"}},
		// A bare number is days (0001 is NET1 unless named): the key
		// named wins over it above.
		{name: "no keys", due: []string{"A2 2026-03-03", "A4 2026-03-15"}, derived: 1, rejects: []string{"2 payment_terms", "4 payment_terms"}},
	}
	for store, open := range stores(t) {
		for _, tc := range cases {
			t.Run(store+"/"+tc.name, func(t *testing.T) {
				keys := map[string]datasets.Terms{}
				if err := datasets.ParseTermsKeys(keys, tc.keys); err != nil {
					t.Fatal(err)
				}
				sum, l := importSAP(t, open(t), body, columns, func(o *Options) { o.TermsKeys = keys })
				var due []string
				for _, v := range l.Invoices {
					due = append(due, v.ID+" "+v.DueDate.String())
				}
				slices.Sort(due)
				if fmt.Sprint(due) != fmt.Sprint(tc.due) || sum.DerivedDueDates != tc.derived {
					t.Fatalf("due dates %v (%d derived), want %v (%d)", due, sum.DerivedDueDates, tc.due, tc.derived)
				}
				var at []string
				for _, r := range sum.FirstRejects {
					at = append(at, fmt.Sprintf("%d %s", r.Line, r.Field))
					if !strings.HasSuffix(r.File, "fbl5n.csv") || !strings.Contains(r.Reason, "--terms ZB30=30") {
						t.Errorf("reject %v names no file or not --terms", r)
					}
				}
				if fmt.Sprint(at) != fmt.Sprint(tc.rejects) {
					t.Fatalf("rejects at %v, want %v", at, tc.rejects)
				}
			})
		}
	}
}

// A reason-code column flags its invoices disputed: any code not blank,
// or with --dispute-reasons only those listed (in any case), the others
// warned of; the codes are counted on the summary. A disputed column
// beside it flags too.
func TestDisputeReasonFlagsInvoices(t *testing.T) {
	const body = "Account;Document Number;Document Date;Net due date;Amount in doc. curr.;Reason code;Disputed\n" +
		"K1;A1;02.03.2026;01.04.2026;100,00;Z1;\n" +
		"K1;A2;02.03.2026;01.04.2026;100,00;Z2;\n" +
		"K1;A3;02.03.2026;01.04.2026;100,00;;\n" +
		"K1;A4;02.03.2026;01.04.2026;100,00;;yes\n" +
		"K1;A5;02.03.2026;01.04.2026;100,00;Z1;\n"
	const columns = "customer_id=Account,invoice_id=Document Number,issue_date=Document Date,due_date=Net due date,amount=Amount in doc. curr.,invoices.dispute_reason=Reason code"
	cases := []struct {
		name     string
		reasons  []string
		disputed []string
		counted  string // the note's example: the codes counted
		byReason int    // invoices flagged by their code
		warned   int
	}{
		{name: "any code", disputed: []string{"A1", "A2", "A4", "A5"}, counted: `"Z1" 2, "Z2" 1`, byReason: 3},
		{name: "listed codes", reasons: []string{"z1", "Z3"}, disputed: []string{"A1", "A4", "A5"}, counted: `"Z1" 2`, byReason: 2, warned: 1},
	}
	for store, open := range stores(t) {
		for _, tc := range cases {
			t.Run(store+"/"+tc.name, func(t *testing.T) {
				sum, l := importSAP(t, open(t), body, columns, func(o *Options) { o.DisputeReasons = tc.reasons })
				var disputed []string
				for _, v := range l.Invoices {
					if v.Disputed {
						disputed = append(disputed, v.ID)
					}
				}
				slices.Sort(disputed)
				if fmt.Sprint(disputed) != fmt.Sprint(tc.disputed) {
					t.Fatalf("disputed %v, want %v", disputed, tc.disputed)
				}
				if sum.DisputedByReason != tc.byReason {
					t.Fatalf("disputed by reason %d, want %d", sum.DisputedByReason, tc.byReason)
				}
				if !slices.ContainsFunc(sum.Notes, func(x Warning) bool {
					return x.Reason == noteDisputeReasons && x.Count == tc.byReason && strings.HasSuffix(x.Example, ": "+tc.counted)
				}) {
					t.Fatalf("notes %+v, want the reasons %s", sum.Notes, tc.counted)
				}
				warned := 0
				for _, w := range sum.Warnings {
					if w.Reason == warnReasonNotDispute {
						warned = w.Count
					}
				}
				if warned != tc.warned {
					t.Fatalf("warned %d codes that are no dispute, want %d", warned, tc.warned)
				}
			})
		}
	}
}

// An SAP export's "Dunning level" is found by its name, and so is its
// date beside it under the names ERPs give it ("Last dunned",
// "Mahndatum"): the actions are dated by it, none assumed. A column
// mapped is looked up by its mapping only; a date without a level is
// not read.
func TestDunningDateFoundByItsERPName(t *testing.T) {
	cases := []struct {
		name, header, columns string
		action                string // type date
		assumed               bool
	}{
		{name: "SAP English", header: "Dunning level;Last dunned", action: "call 2026-04-22"},
		{name: "SAP German, the level mapped", header: "Mahnstufe;Mahndatum", columns: ",invoices.dunning_level=Mahnstufe", action: "call 2026-04-22"},
		{name: "a date without a level", header: "Bemerkung;Last dunned"},
		{name: "English", header: "Dunning Level;Dunning Date", action: "call 2026-04-22"},
		{name: "no date column", header: "Dunning level;Bemerkung", action: "call 2026-04-21", assumed: true},
		{name: "mapped elsewhere", header: "Dunning level;Last dunned", columns: ",invoices.last_dunning_date=Mahn-Datum", action: "call 2026-04-21", assumed: true},
	}
	latest, _ := datasets.ParseDate("2026-06-30")
	for store, open := range stores(t) {
		for _, tc := range cases {
			t.Run(store+"/"+tc.name, func(t *testing.T) {
				body := "Account;Document Number;Document Date;Net due date;Amount in doc. curr.;" + tc.header + "\n" +
					"K1;A1;01.03.2026;31.03.2026;1.100,00;2;22.04.2026\n"
				cols := "customer_id=Account,invoice_id=Document Number,issue_date=Document Date,due_date=Net due date,amount=Amount in doc. curr." + tc.columns
				sum, l := importSAP(t, open(t), body, cols, func(o *Options) { o.DunningLevels, o.LatestDay = testLevels, latest })
				var got []string
				for _, a := range l.Actions {
					got = append(got, a.Type+" "+a.Date.String())
				}
				want := []string{tc.action}
				if tc.action == "" {
					want = nil
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("actions %v, want %s", got, tc.action)
				}
				assumed := slices.ContainsFunc(sum.Warnings, func(w Warning) bool { return w.Reason == warnDunningAssumed })
				if assumed != tc.assumed {
					t.Fatalf("warnings %+v, assumed %v, want %v", sum.Warnings, assumed, tc.assumed)
				}
			})
		}
	}
}
