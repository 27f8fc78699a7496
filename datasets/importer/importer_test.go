package importer

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/embedded"
	"github.com/dsopilot/dsopilot/datasets/storetest"
)

func openStore(t *testing.T) *embedded.Store {
	t.Helper()
	s, err := embedded.Open(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func opts(t *testing.T) Options {
	return Options{RejectsPath: filepath.Join(t.TempDir(), "rejects.csv")}
}

func TestCanonicalDirectoryRoundTripsAndReimportChangesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := datasets.WriteDir(dir, storetest.Sample()); err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	for pass := 1; pass <= 2; pass++ {
		sum, err := Import(ctx, st, []string{dir}, opts(t))
		if err != nil {
			t.Fatalf("pass %d: %v", pass, err)
		}
		want := storetest.Sample().Len()
		if sum.Read != want || sum.Loaded != want || sum.Rejected != 0 {
			t.Fatalf("pass %d: read %d loaded %d rejected %d, want %d %d 0", pass, sum.Read, sum.Loaded, sum.Rejected, want, want)
		}
		c, err := st.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c != storetest.Sample().Counts() {
			t.Fatalf("pass %d: counts %+v, want %+v", pass, c, storetest.Sample().Counts())
		}
	}
	got, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, storetest.Sample()) {
		t.Fatalf("loaded ledger differs:\n got %+v\nwant %+v", got, storetest.Sample())
	}
}

func TestBadRowsAreReportedAndGoodRowsLoad(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeFile(t, dir, "customers.csv", "customer_id,name\nC1,Acme\nC2,Zeta\n")
	writeFile(t, dir, "invoices.csv", strings.Join([]string{
		"customer_id,invoice_id,issue_date,due_date,amount,currency",
		"C1,I1,2024-01-05,2024-02-04,100.00,EUR",       // line 2 good
		"C1,I2,2024-13-05,2024-02-04,100.00,EUR",       // line 3 bad issue_date
		"C1,I3,2024-01-05,2024-01-04,100.00,EUR",       // line 4 due before issue
		"C1,,2024-01-05,2024-02-04,100.00,EUR",         // line 5 empty id
		"C2,I5,2024-01-05,2024-02-04,1O0.00,EUR",       // line 6 letter O in amount
		"C9,I6,2024-01-05,2024-02-04,100.00,EUR",       // line 7 unknown customer
		"C2,I7,2024-01-05",                             // line 8 short row
		"C2,I8,2024-01-06,2024-02-05,\"1,250.50\",EUR", // line 9 good, thousands separator
	}, "\n")+"\n")
	o := opts(t)
	st := openStore(t)
	sum, err := Import(ctx, st, []string{dir}, o)
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("err = %v, want ErrRejected: 6 of the 8 invoices are bad", err)
	}
	inv := sum.Files[1]
	if inv.Read != 8 || inv.Loaded != 2 || inv.Rejected != 6 || !inv.Failed {
		t.Fatalf("invoices read %d loaded %d rejected %d, want 8 2 6", inv.Read, inv.Loaded, inv.Rejected)
	}
	f, err := os.Open(o.RejectsPath)
	if err != nil {
		t.Fatalf("rejects file: %v", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ line, field string }
	got := map[key]bool{}
	for _, r := range recs[1:] {
		if r[0] != filepath.Join(dir, "invoices.csv") || r[4] == "" {
			t.Errorf("reject %v lacks file or reason", r)
		}
		got[key{r[1], r[2]}] = true
	}
	for _, k := range []key{{"3", "issue_date"}, {"4", "due_date"}, {"5", "invoice_id"}, {"6", "amount"}, {"7", "customer_id"}, {"8", ""}} {
		if !got[k] {
			t.Errorf("no reject for line %s field %q; rejects: %v", k.line, k.field, recs)
		}
	}
	l, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Invoices) != 2 || l.Invoices[1].Amount != 125050 {
		t.Fatalf("stored invoices %+v, want I1 and I8 (1250.50)", l.Invoices)
	}
}

func TestClearedItemsExportWithMappingDateFormatAndDecimalComma(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := writeFile(t, dir, "fbl5n.csv", "\ufeffKunde;Beleg;Belegdatum;Nettofällig;Betrag;Währung;Ausgleich;Land\n"+
		"4711;90001;05.01.2024;04.02.2024;1.234,56;EUR;10.02.2024;de\n"+
		"4711;90002;06.01.2024;05.02.2024;99,00;EUR;;de\n"+
		"4712;90003;07.01.2024;06.02.2024;10,00-;EUR;;fr\n")
	o := germanExport(t)
	st := openStore(t)
	sum, err := Import(ctx, st, []string{p}, o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Loaded != 2 || sum.Rejected != 1 || sum.DerivedCustomers != 1 {
		t.Fatalf("loaded %d rejected %d derived %d, want 2 1 1 (the credit memo is rejected)", sum.Loaded, sum.Rejected, sum.DerivedCustomers)
	}
	// The reject says how to load a credit memo instead.
	if rj, err := os.ReadFile(o.RejectsPath); err != nil || !strings.Contains(string(rj), "import it as credit notes (--kind credit_notes") {
		t.Errorf("rejects %q (%v): want the way to load the credit memo", rj, err)
	}
	l, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := datasets.Invoice{ID: "90001", CustomerID: "4711", IssueDate: datasets.NewDate(2024, 1, 5), DueDate: datasets.NewDate(2024, 2, 4),
		Amount: 123456, Currency: "EUR", SettledDate: datasets.NewDate(2024, 2, 10), Country: "DE"}
	if !reflect.DeepEqual(l.Invoices[0], want) {
		t.Fatalf("invoice = %+v, want %+v", l.Invoices[0], want)
	}
	if len(l.Customers) != 1 || l.Customers[0].ID != "4711" || l.Customers[0].Country != "DE" {
		t.Fatalf("derived customers = %+v", l.Customers)
	}
}

func TestHeaderDetectsTheEntity(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "export.csv", "customer_id,invoice_id,issue_date,due_date,amount\nC1,I1,2024-01-01,2024-01-31,5\n")
	sum, err := Import(context.Background(), openStore(t), []string{p}, opts(t))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Files[0].Entity != datasets.EntityInvoices || sum.Loaded != 1 {
		t.Fatalf("file summary %+v, want 1 invoice loaded", sum.Files[0])
	}
}

func TestNDJSON(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "invoices.ndjson", `{"customer_id":"C1","invoice_id":"I1","issue_date":"2024-01-01","due_date":"2024-01-31","amount":1234.5,"disputed":true}
{"customer_id":"C1","invoice_id":"I2","issue_date":"2024-01-01","due_date":"2024-01-31","amount":"0.10"}

{"customer_id":"C1","invoice_id":"I3", broken
{"customer_id":"C1","invoice_id":"I4","issue_date":"2024-01-01","due_date":"2024-01-31"}
`)
	st := openStore(t)
	sum, err := Import(context.Background(), st, []string{dir}, opts(t))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Loaded != 2 || sum.Rejected != 2 {
		t.Fatalf("loaded %d rejected %d, want 2 2; rejects %v", sum.Loaded, sum.Rejected, sum.FirstRejects)
	}
	if sum.FirstRejects[0].Line != 4 || sum.FirstRejects[1].Line != 5 || sum.FirstRejects[1].Field != "amount" {
		t.Fatalf("rejects %v, want line 4 (JSON) and line 5 amount", sum.FirstRejects)
	}
	l, _ := st.Load(context.Background())
	if l.Invoices[0].Amount != 123450 || !l.Invoices[0].Disputed {
		t.Fatalf("I1 = %+v", l.Invoices[0])
	}
}

func TestAFileMissingARequiredColumnIsReportedAndOthersLoad(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "customers.csv", "customer_id\nC1\n")
	writeFile(t, dir, "payments.csv", "payment_id,customer_id,amount\nP1,C1,5\n")
	sum, err := Import(context.Background(), openStore(t), []string{dir}, opts(t))
	if !errors.Is(err, ErrFiles) {
		t.Fatalf("err = %v, want ErrFiles", err)
	}
	if !strings.Contains(err.Error(), `missing required column "payment_date"`) {
		t.Fatalf("error %q does not name the missing column", err)
	}
	if sum.Loaded != 1 || sum.Files[1].Error == "" {
		t.Fatalf("summary %+v, want the customer loaded and the payments file in error", sum)
	}
}

func TestDuplicateIDsInOneFileAreCountedAndTheLastWins(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "customers.csv", "customer_id,name\nC1,Old\nC1,New\n")
	st := openStore(t)
	sum, err := Import(context.Background(), st, []string{p}, opts(t))
	if err != nil {
		t.Fatal(err)
	}
	l, _ := st.Load(context.Background())
	if sum.Duplicates != 1 || len(l.Customers) != 1 || l.Customers[0].Name != "New" {
		t.Fatalf("duplicates %d customers %+v, want 1 and C1 named New", sum.Duplicates, l.Customers)
	}
	// Not only counted: a warning names the line that replaced the other.
	var w []Warning
	for _, f := range sum.Files {
		w = append(w, f.Warnings...)
	}
	if len(w) != 1 || w[0].Count != 1 || !strings.HasSuffix(w[0].Example, `customers.csv:3 customer_id "C1" repeats line 2; line 3 is kept; it changes name "Old" → "New"`) {
		t.Fatalf("warnings %+v, want one naming customers.csv:3, the line it repeats and what it changes", w)
	}
	// The duplicate replaced a record and added none.
	if sum.Read != 2 || sum.Loaded != 1 || sum.Read != sum.Loaded+sum.Rejected+sum.Duplicates {
		t.Fatalf("read %d loaded %d rejected %d duplicates %d, want read = loaded + rejected + duplicates = 2", sum.Read, sum.Loaded, sum.Rejected, sum.Duplicates)
	}
}

// A duplicate is described: the line it repeats (in its file or an
// earlier one, never a rejected row), the fields it changes and the row
// kept; the counts add up to the rows read, and to what the store holds.
func TestDuplicatesAreDescribedAndNotCountedAsLoaded(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := writeFile(t, dir, "invoices_2024.csv", "customer_id,invoice_id,issue_date,due_date,amount,settled_date\n"+
		"C1,I9,2024-01-01,2024-01-31,9.00,\n")
	b := writeFile(t, dir, "invoices_2025.csv", "customer_id,invoice_id,issue_date,due_date,amount,settled_date\n"+
		"C1,I1,2024-01-01,2024-01-31,375.03,2024-02-14\n"+ // line 2
		"C1,I2,2024-01-01,2024-01-31,10.00,\n"+
		"C1,I1,2024-01-01,2024-01-31,bad,\n"+ // line 4, rejected
		"C1,I1,2024-01-01,2024-01-31,475.03,\n"+ // line 5 replaces line 2
		"C1,I2,2024-01-01,2024-01-31,10.00,\n"+ // line 6, the same as line 3
		"C1,I9,2024-01-01,2024-01-31,9.50,\n") // line 7 replaces the other file's
	st := openStore(t)
	sum, err := Import(ctx, st, []string{a, b}, opts(t))
	if err != nil {
		t.Fatal(err)
	}
	f := sum.Files[1]
	var got []string
	for _, d := range f.DuplicateRows {
		got = append(got, strings.TrimPrefix(d.String(), dir+"/"))
	}
	want := []string{
		`invoices_2025.csv:5 invoice_id "I1" repeats line 2; line 5 is kept; it changes amount "375.03" → "475.03", settled_date "2024-02-14" → ""`,
		`invoices_2025.csv:6 invoice_id "I2" repeats line 3; line 6 is kept; the rows are the same`,
		`invoices_2025.csv:7 invoice_id "I9" repeats ` + a + `:2; line 7 is kept; it changes amount "9.00" → "9.50"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("duplicates described\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if f.Read != 6 || f.Rejected != 1 || f.Duplicates != 3 || f.Loaded != 2 || sum.Loaded != 3 {
		t.Fatalf("file %+v, import loaded %d; want read 6 = loaded 2 + rejected 1 + duplicates 3, 3 loaded in all", f, sum.Loaded)
	}
	c, _ := st.Counts(ctx)
	if int(c.Invoices) != sum.Loaded {
		t.Fatalf("the store holds %d invoices, the import says %d loaded", c.Invoices, sum.Loaded)
	}
	l, _ := st.Load(ctx)
	for _, v := range l.Invoices {
		if v.ID == "I1" && (v.Amount != 47503 || v.SettledDate != 0) {
			t.Fatalf("I1 stored as %+v, want the kept row's 475.03, unsettled", v)
		}
	}
}

// A blank credit limit is stored as 0.00, which means no credit: the
// import says so, naming the first such line, where a written 0.00 and a
// file without the column say nothing.
func TestABlankCreditLimitIsSaidToMeanNoCredit(t *testing.T) {
	for _, c := range []struct {
		name, body string
		warned     int
	}{
		{"blank", "customer_id,credit_limit\nC1,5000.00\nC2,\nC3,\n", 2},
		{"written zero", "customer_id,credit_limit\nC1,0.00\n", 0},
		{"no column", "customer_id,name\nC1,Alpha\n", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "customers.csv", c.body)
			sum, err := Import(context.Background(), openStore(t), []string{p}, opts(t))
			if err != nil {
				t.Fatal(err)
			}
			var w []Warning
			for _, f := range sum.Files {
				w = append(w, f.Warnings...)
			}
			if c.warned == 0 {
				if len(w) != 0 {
					t.Fatalf("warnings %+v, want none", w)
				}
				return
			}
			if len(w) != 1 || w[0].Count != c.warned || !strings.Contains(w[0].Reason, "no credit") ||
				!strings.HasSuffix(w[0].Example, `customers.csv:3 credit_limit ""`) {
				t.Fatalf("warnings %+v, want one of %d rows saying no credit, first customers.csv:3", w, c.warned)
			}
		})
	}
}

func TestBadOptions(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "customers.csv", "customer_id\nC1\n")
	for _, o := range []Options{
		{Columns: map[string]string{"amout": "Betrag"}},
		{DateFormat: "%Q"},
		{Kind: "bananas"},
	} {
		if _, err := Import(context.Background(), openStore(t), []string{p}, o); !errors.Is(err, ErrUsage) {
			t.Errorf("options %+v: err = %v, want ErrUsage", o, err)
		}
	}
}

type failingStore struct {
	*embedded.Store
	after int
}

func (f *failingStore) Put(ctx context.Context, b *datasets.Ledger) error {
	if f.after == 0 {
		return errors.New("disk full")
	}
	f.after--
	return f.Store.Put(ctx, b)
}

func TestStoreFailureStopsAndCountsOnlyAcknowledgedRows(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("customer_id,name\n")
	for i := 0; i < 25; i++ {
		b.WriteString("C" + string(rune('A'+i)) + ",x\n")
	}
	p := writeFile(t, dir, "customers.csv", b.String())
	o := opts(t)
	o.BatchSize = 10
	st := &failingStore{Store: openStore(t), after: 1}
	sum, err := Import(context.Background(), st, []string{p}, o)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v, want the store failure", err)
	}
	c, _ := st.Counts(context.Background())
	if sum.Loaded != 10 || c.Customers != 10 {
		t.Fatalf("summary says %d loaded, store holds %d; want 10 and 10", sum.Loaded, c.Customers)
	}
}

// TestNewFieldsAndFinancials imports customers.collector, actions.policy
// and propensity, and a credit-information export with and without its own
// ids, and checks what was stored value by value.
func TestNewFieldsAndFinancials(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeFile(t, dir, "customers.csv", "customer_id,collector\nC1,Ann\nC2,\n")
	writeFile(t, dir, "actions.csv", "action_id,customer_id,action_date,type,policy,propensity\n"+
		"A1,C1,2024-02-05,Call,Holdout,0.25\n"+ // line 2
		"A2,C2,2024-02-06,reminder,,\n"+ // line 3: unknown propensity
		"A3,C2,2024-02-07,reminder,recommender,0\n"+ // line 4: 0 is no probability
		"A4,C2,2024-02-07,reminder,recommender,1.5\n") // line 5
	writeFile(t, dir, "financials.csv", "customer_id,date,tangible_net_worth,turnover,rating,score,source\n"+
		"C1,2024-01-15,-1250.50,1000000,BB+,0,creditreform\n"+ // a known score of 0
		"C2,2024-01-15,10,20,3,,dnb\n"+ // no score
		"C2,2024-01-16,,20,3,,dnb\n"+ // line 4: tangible net worth missing
		"C9,2024-01-16,1,20,3,,dnb\n") // line 5: unknown customer
	st := openStore(t)
	sum, err := Import(ctx, st, []string{dir}, opts(t))
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		line  int
		field string
	}
	var got []key
	for _, r := range sum.FirstRejects {
		got = append(got, key{r.Line, r.Field})
	}
	if want := []key{{4, "propensity"}, {5, "propensity"}, {4, "tangible_net_worth"}, {5, "customer_id"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("rejects %v, want %v", sum.FirstRejects, want)
	}
	l, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if l.Customers[0].Collector != "Ann" || l.Customers[1].Collector != "" {
		t.Errorf("collectors %+v", l.Customers)
	}
	d := datasets.NewDate
	wantActions := []datasets.Action{
		{ID: "A1", CustomerID: "C1", Date: d(2024, 2, 5), Type: "call", Policy: "holdout", Propensity: 0.25},
		{ID: "A2", CustomerID: "C2", Date: d(2024, 2, 6), Type: "reminder"},
	}
	if !reflect.DeepEqual(l.Actions, wantActions) {
		t.Errorf("actions\n got %+v\nwant %+v", l.Actions, wantActions)
	}
	wantFin := []datasets.Financial{
		{ID: "C1|2024-01-15|creditreform", CustomerID: "C1", Date: d(2024, 1, 15), TangibleNetWorth: -125050, Turnover: 100000000,
			Rating: "BB+", Score: 0, HasScore: true, Source: "creditreform"},
		{ID: "C2|2024-01-15|dnb", CustomerID: "C2", Date: d(2024, 1, 15), TangibleNetWorth: 1000, Turnover: 2000, Rating: "3", Source: "dnb"},
	}
	if !reflect.DeepEqual(l.Financials, wantFin) {
		t.Errorf("financials\n got %+v\nwant %+v", l.Financials, wantFin)
	}
}

// TestUnwritableRejectsFileLosesNoGoodRow: rejects go to the fallback, the
// summary says where, and every good row loads (issue 8: the file stopped
// at its first bad row). With a small batch and a store that fails, it is
// also the data race the race detector found: the writer crediting a file
// while its summary was copied.
func TestUnwritableRejectsFileLosesNoGoodRow(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("customer_id,name,credit_limit\n")
	for i := range 60 {
		limit := "100"
		if i%10 == 3 {
			limit = "lots"
		}
		fmt.Fprintf(&b, "C%02d,x,%s\n", i, limit)
	}
	p := writeFile(t, dir, "customers.csv", b.String())
	blocker := writeFile(t, dir, "not-a-dir", "")
	var fallback strings.Builder
	o := Options{RejectsPath: filepath.Join(blocker, "rejects.csv"), RejectsFallback: &fallback, BatchSize: 5}
	st := openStore(t)
	sum, err := Import(context.Background(), st, []string{p}, o)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := st.Counts(context.Background())
	if sum.Loaded != 54 || c.Customers != 54 || sum.Rejected != 6 {
		t.Fatalf("loaded %d (store %d), rejected %d; want 54, 54, 6", sum.Loaded, c.Customers, sum.Rejected)
	}
	if !strings.HasPrefix(sum.RejectsFile, "stderr") || strings.Count(fallback.String(), "credit_limit") != 6 {
		t.Fatalf("rejects file %q, fallback %q", sum.RejectsFile, fallback.String())
	}

	failing := &failingStore{Store: openStore(t), after: 4}
	sum, err = Import(context.Background(), failing, []string{p}, o)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v, want the store failure", err)
	}
	c, _ = failing.Counts(context.Background())
	if sum.Loaded != 20 || c.Customers != 20 {
		t.Fatalf("summary says %d loaded, store holds %d; want 20 and 20", sum.Loaded, c.Customers)
	}
}

func TestDefaultRejectsFileAndNoFileWithoutRejects(t *testing.T) {
	dir := t.TempDir()
	rejectsDir := t.TempDir()
	good := writeFile(t, dir, "customers.csv", "customer_id\nC1\n")
	sum, err := Import(context.Background(), openStore(t), []string{good}, Options{RejectsDir: rejectsDir})
	if err != nil || sum.RejectsFile != "" {
		t.Fatalf("clean import: %v, rejects file %q", err, sum.RejectsFile)
	}
	if left, _ := os.ReadDir(rejectsDir); len(left) != 0 {
		t.Fatalf("a clean import left %v", left)
	}
	bad := writeFile(t, dir, "payments.csv", "payment_id,customer_id,payment_date,amount\nP1,C1,2024-01-01,x\nP2,C1,2024-01-01,1\nP3,C1,2024-01-01,2\n")
	sum, err = Import(context.Background(), openStore(t), []string{bad}, Options{RejectsDir: rejectsDir})
	if err != nil || filepath.Dir(sum.RejectsFile) != rejectsDir {
		t.Fatalf("rejects file %q, %v; want one in %s", sum.RejectsFile, err, rejectsDir)
	}
	body, err := os.ReadFile(sum.RejectsFile)
	if err != nil || !strings.Contains(string(body), "payments.csv,2,amount,x,") {
		t.Fatalf("rejects file holds %q, %v", body, err)
	}
}

func TestLimitsFailTheFileFast(t *testing.T) {
	dir := t.TempDir()
	// A file without line breaks (or with old Mac ones) is one long line.
	mac := writeFile(t, dir, "customers.csv", "customer_id,name\r"+strings.Repeat("C1,Acme\r", 50_000))
	field := writeFile(t, dir, "payments.csv", "payment_id,customer_id,payment_date,amount,note\nP1,C1,2024-01-01,1,"+strings.Repeat("n", 5000)+"\n")
	sum, err := Import(context.Background(), openStore(t), []string{mac, field},
		Options{MaxLineBytes: 64 << 10, MaxFieldBytes: 1000, RejectsPath: filepath.Join(t.TempDir(), "r.csv")})
	if !errors.Is(err, ErrFiles) {
		t.Fatalf("err = %v, want ErrFiles", err)
	}
	if !strings.Contains(sum.Files[0].Error, "longer than 65536 bytes") || !strings.Contains(sum.Files[1].Error, "field longer than 1000 bytes") {
		t.Fatalf("errors %q and %q", sum.Files[0].Error, sum.Files[1].Error)
	}
	if len(err.Error()) > 1000 {
		t.Fatalf("the error is %d bytes long", len(err.Error()))
	}
}

// A summary's lists are in its JSON even when empty, as [].
func TestSummaryJSONHasEveryList(t *testing.T) {
	b, err := json.Marshal(&Summary{Read: 3, Loaded: 3})
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]json.RawMessage
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"warnings", "skipped", "files"} {
		if got := string(back[key]); got != "[]" {
			t.Errorf("%s = %q, want []", key, got)
		}
	}
	if string(back["loaded"]) != "3" {
		t.Errorf("loaded = %s, want 3", back["loaded"])
	}
}

// TestRejectsQuoteTheTextAsWritten: a reject names the value as the file
// wrote it, so the user can find it there: a date the schema finds out of
// order in the export's own format, an amount with its decimal comma, a
// currency in its own case, not as they were parsed.
func TestRejectsQuoteTheTextAsWritten(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := writeFile(t, dir, "export.csv", "Kunde;Beleg;Belegdatum;Nettofällig;Betrag;Währung;Ausgleich\n"+
		"4711;90001;05.01.2024;04.02.2024;1.234,56;EUR;10.02.2024\n"+
		"4711;90002;06.01.2024;05.02.2024;99,00;EUR;03.01.2024\n"+
		"4711;90003;07.01.2024;06.02.2024;10,00;euro;\n"+
		"4711;90004;09.01.2024;01.01.2024;5,00;EUR;\n"+
		"4711;90005;10.01.2024;09.02.2024;7,00;EUR;\n"+
		"4711;90006;11.01.2024;10.02.2024;8,00;EUR;\n"+
		"4711;90007;12.01.2024;11.02.2024;9,00;EUR;\n")
	o := germanExport(t)
	o.RejectsPath = filepath.Join(dir, "rejects.csv")
	sum, err := Import(ctx, openStore(t), []string{p}, o)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range sum.FirstRejects {
		got[r.Field] = r.Value
	}
	want := map[string]string{"settled_date": "03.01.2024", "currency": "euro", "due_date": "01.01.2024"}
	if sum.Loaded != 4 || len(got) != len(want) {
		t.Fatalf("loaded %d, rejects %+v; want 4 loaded and rejects of %v", sum.Loaded, sum.FirstRejects, want)
	}
	for f, v := range want {
		if got[f] != v {
			t.Errorf("reject of %s quotes %q, want %q as written", f, got[f], v)
		}
	}
	data, err := os.ReadFile(o.RejectsPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "03.01.2024") || strings.Contains(string(data), "2024-01-03") {
		t.Errorf("rejects file:\n%s", data)
	}
}

// germanExport is how a German ERP's cleared-items invoices file is read:
// its own column names (Land only when the file has it), day-first dates,
// decimal commas.
func germanExport(t *testing.T) Options {
	o := opts(t)
	o.Kind = datasets.EntityInvoices
	o.DateFormat = "%d.%m.%Y"
	o.DecimalComma = true
	o.Columns = map[string]string{"customer_id": "Kunde", "invoice_id": "Beleg", "issue_date": "Belegdatum",
		"due_date": "Nettofällig", "amount": "Betrag", "currency": "Währung", "settled_date": "Ausgleich", "country": "Land"}
	return o
}
