package api

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/recommender"
)

// The tests of this file hold what an integrating engineer found
// incoherent in the API's answers (trial 30): warnings an ingest left
// out, rejects and problems that named a row's error differently, an
// action of any type, errors reported one at a time, an amount quoted as
// it was not sent, and optional dates written "".

// errAt finds the field error at where (FieldError.Where), nil when none.
func errAt(p Problem, where string) *FieldError {
	for i := range p.Errors {
		if p.Errors[i].Where() == where {
			return &p.Errors[i]
		}
	}
	return nil
}

// TestIngestAnswersTheImportersWarnings: a negative payment and a payment
// of an invoice neither stored nor in the body load, but dsopilot import
// warns of both; the API's answer said nothing (no warnings field, 200,
// rejected 0).
func TestIngestAnswersTheImportersWarnings(t *testing.T) {
	ts := newTestServer(t, nil)
	snap := ts.srv.snap.Load()
	cust := snap.ledger.Customers[0].ID
	body := "payment_id,customer_id,invoice_id,payment_date,amount\n" +
		"W-1," + cust + ",,2024-03-10,-50.00\n" +
		"W-2," + cust + ",SI-NOPE,2024-03-10,10.00\n" +
		"W-3," + cust + ",SI-NOPE,2024-03-11,12.00\n"
	w := ts.do(req{method: "POST", path: "/v1/ingest/payments", role: "admin", body: body, ctype: "text/csv"})
	expect(t, w, 200)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := raw["warnings"]; !ok {
		t.Fatalf("no warnings in %s", w.Body.String())
	}
	// Read as a client reads it, by the names on the wire.
	type row struct {
		Line         int
		Field, Value string
	}
	type warning struct {
		Line                 int
		Field, Value, Reason string
		Count                int
		Rows                 []row
	}
	type answer struct {
		Loaded, Rejected, Warned int
		Warnings                 []warning
		Truncated                bool `json:"warnings_truncated"`
	}
	res := decode[answer](t, w)
	if res.Loaded != 3 || res.Rejected != 0 || res.Warned != 3 || len(res.Warnings) != 2 || res.Truncated {
		t.Fatalf("%+v: want 3 loaded, 3 warned in 2 kinds, every row listed", res)
	}
	neg := slices.IndexFunc(res.Warnings, func(x warning) bool { return strings.Contains(x.Reason, "negative payment") })
	ref := slices.IndexFunc(res.Warnings, func(x warning) bool { return strings.Contains(x.Reason, "invoice neither in the store") })
	if neg < 0 || ref < 0 {
		t.Fatalf("warnings %+v: want the negative payment and the unknown invoice", res.Warnings)
	}
	if n := res.Warnings[neg]; n.Line != 2 || n.Field != "amount" || n.Value != "-50.00" || n.Count != 1 {
		t.Errorf("negative payment %+v: want line 2, amount, -50.00, 1", n)
	}
	if r := res.Warnings[ref]; r.Line != 3 || r.Field != "invoice_id" || r.Value != "SI-NOPE" || r.Count != 2 {
		t.Errorf("unknown invoice %+v: want line 3, invoice_id, SI-NOPE, 2", r)
	}
	// Every warned row, not each kind's first only (the answer named
	// line 3 and counted 2).
	if r := res.Warnings[ref].Rows; fmt.Sprint(r) != "[{3 invoice_id SI-NOPE} {4 invoice_id SI-NOPE}]" {
		t.Errorf("unknown invoice rows %+v, want lines 3 and 4", r)
	}
	if r := res.Warnings[neg].Rows; fmt.Sprint(r) != "[{2 amount -50.00}]" {
		t.Errorf("negative payment rows %+v, want line 2", r)
	}
	// More warned rows than an answer lists: the first 1000, the count of
	// all, truncated.
	var many strings.Builder
	many.WriteString("payment_id,customer_id,invoice_id,payment_date,amount\n")
	for i := range 1001 {
		fmt.Fprintf(&many, "WM-%d,%s,,2024-03-10,-1.00\n", i, cust)
	}
	w = ts.do(req{method: "POST", path: "/v1/ingest/payments", role: "admin", body: many.String(), ctype: "text/csv"})
	expect(t, w, 200)
	if res = decode[answer](t, w); res.Warned != 1001 || len(res.Warnings) != 1 || res.Warnings[0].Count != 1001 ||
		len(res.Warnings[0].Rows) != 1000 || res.Warnings[0].Rows[999].Line != 1001 || !res.Truncated {
		t.Errorf("1001 negative payments: warned %d, truncated %v, warnings %d", res.Warned, res.Truncated, len(res.Warnings))
	}
	// None: an empty list, never absent, and not truncated.
	ok := "payment_id,customer_id,payment_date,amount\nW-4," + cust + ",2024-03-10,5.00\n"
	w = ts.do(req{method: "POST", path: "/v1/ingest/payments", role: "admin", body: ok, ctype: "text/csv"})
	if res = decode[answer](t, w); res.Warned != 0 || res.Truncated || !strings.Contains(w.Body.String(), `"warnings":[]`) {
		t.Errorf("a clean body: %s", w.Body.String())
	}
}

// TestIngestRowErrorsCarryTheRejectsNames: a body all of whose rows are
// bad is a 422 whose errors named a row's error line/column/detail, while
// a body with one good row answered rejects line/field/value/reason: the
// errors carry both now, and the details count in good English.
func TestIngestRowErrorsCarryTheRejectsNames(t *testing.T) {
	ts := newTestServer(t, nil)
	cust := ts.srv.snap.Load().ledger.Customers[0].ID
	for _, c := range []struct {
		body, detail string
	}{
		{"customer_id,invoice_id,issue_date,due_date,amount\n" + cust + ",RE-1,2024-13-01,2024-03-31,100.00\n", "the body's only row was rejected"},
		{"customer_id,invoice_id,issue_date,due_date,amount\n" + cust + ",RE-1,2024-13-01,2024-03-31,100.00\n" +
			cust + ",RE-2,2024-14-01,2024-03-31,100.00\n", "all 2 rows were rejected"},
	} {
		w := ts.do(req{method: "POST", path: "/v1/ingest/invoices", role: "admin", body: c.body, ctype: "text/csv"})
		p := problemOf(t, w, 422)
		if !strings.HasPrefix(p.Detail, c.detail) {
			t.Errorf("detail %q, want %q", p.Detail, c.detail)
		}
		// Read by the names on the wire.
		e := decode[struct {
			Errors []struct {
				Line                                 int
				Column, Field, Value, Reason, Detail string
			}
		}](t, w).Errors[0]
		if e.Line != 2 || e.Column != "issue_date" || e.Field != "issue_date" || e.Value != "2024-13-01" || e.Reason == "" || e.Reason != e.Detail {
			t.Errorf("row error %+v: want line 2, field and column issue_date, value 2024-13-01, reason = detail", e)
		}
	}

	// The missing-rate 503 counts one stored row as one.
	fx := recommender.SimFX()
	tf := newTestServer(t, func(c *Config) { c.FX = &fx })
	cust = tf.srv.snap.Load().ledger.Customers[0].ID
	body := "customer_id,invoice_id,issue_date,due_date,amount,currency\n" +
		cust + ",FX-1,2024-03-01,2024-03-31,100.00,CHF\n" +
		cust + ",FX-2,2024-03-01,2024-03-31,100.00,CHF\n" +
		cust + ",FX-3,2024-03-01,2024-03-31,100.00,EUR\n"
	p := problemOf(t, tf.do(req{method: "POST", path: "/v1/ingest/invoices", role: "admin", body: body, ctype: "text/csv"}), 503)
	for _, want := range []string{"2 rows in CHF were not stored, though valid: each one's error says", "1 row was stored (rows are upserts by id: sending the body again only writes it again)"} {
		if !strings.Contains(p.Detail, want) {
			t.Errorf("detail %q\nwant %q", p.Detail, want)
		}
	}
	if strings.Contains(p.Detail, "invalid") {
		t.Errorf("detail %q speaks of invalid rows: there are none", p.Detail)
	}
}

// TestActionTypeAndChannelAreChecked: an action of type phonecall on
// channel pigeon was recorded (201): the recommender can neither learn
// from it nor count it against a rule.
func TestActionTypeAndChannelAreChecked(t *testing.T) {
	ts := newTestServer(t, nil)
	snap := ts.srv.snap.Load()
	cust := snap.ledger.Customers[0].ID
	post := func(typ, channel string) *Problem {
		w := ts.do(req{method: "POST", path: "/v1/actions", role: "collector",
			body: fmt.Sprintf(`{"customer_id":%q,"action_date":%q,"type":%q,"channel":%q}`, cust, snap.asOf, typ, channel)})
		if w.Code == 201 {
			return nil
		}
		p := problemOf(t, w, 422)
		return &p
	}
	p := post("phonecall", "pigeon")
	if p == nil {
		t.Fatal("phonecall by pigeon was recorded")
	}
	builtin := recommender.DefaultScenarios()
	ty, ch := errAt(*p, "/type"), errAt(*p, "/channel")
	if ty == nil || ch == nil {
		t.Fatalf("errors %+v: want /type and /channel", p.Errors)
	}
	for name := range builtin.Types {
		if !strings.Contains(ty.Detail, name) {
			t.Errorf("/type %q does not list %s", ty.Detail, name)
		}
	}
	for _, c := range builtin.Channels() {
		if !strings.Contains(ch.Detail, c) {
			t.Errorf("/channel %q does not list %s", ch.Detail, c)
		}
	}
	for _, c := range []struct{ typ, channel string }{{"Call", "Phone"}, {"reminder", ""}, {datasets.ActionWait, ""}, {"credit_hold", "letter"}} {
		if p := post(c.typ, c.channel); p != nil {
			t.Errorf("%s on %q refused: %+v", c.typ, c.channel, p.Errors)
		}
	}
	// The document lists the built-in vocabulary: it must be the file's.
	v := newActionVocabulary(nil)
	f, _ := reflectTypeOf[ActionInput]().FieldByName("Type")
	if want := strings.Join(slices.DeleteFunc(slices.Clone(v.types), func(s string) bool { return s == datasets.ActionWait }), ", "); !strings.Contains(f.Tag.Get("doc"), want) {
		t.Errorf("ActionInput.Type's doc %q does not list %s", f.Tag.Get("doc"), want)
	}
	f, _ = reflectTypeOf[ActionInput]().FieldByName("Channel")
	if want := strings.Join(v.channels, ", "); !strings.Contains(f.Tag.Get("doc"), want) {
		t.Errorf("ActionInput.Channel's doc %q does not list %s", f.Tag.Get("doc"), want)
	}
}

// TestEveryFieldErrorInOne422: an unknown field hid an invalid currency,
// an unknown query parameter a bad date: the 422 lists them all.
func TestEveryFieldErrorInOne422(t *testing.T) {
	ts := newTestServer(t, nil)
	snap := ts.srv.snap.Load()
	cust := snap.ledger.Customers[0].ID
	cases := []struct {
		name, method, path, role, body string
		want                           []string
	}{
		{"score", "POST", "/v1/score", "viewer",
			fmt.Sprintf(`{"invoices":[{"invoice_id":"D-1","customer_id":%q,"issue_date":"2024-03-01","due_date":"2024-03-31","amount":"100.00","colour":"red","currency":"EURO"}],"shade":1}`, cust),
			[]string{"/invoices/0/colour", "/invoices/0/currency", "/shade"}},
		{"score, a wrong type too", "POST", "/v1/score", "viewer",
			fmt.Sprintf(`{"invoices":[{"colour":"red","invoice_id":"D-1","customer_id":%q,"issue_date":"2024-03-01","due_date":"2024-03-31","amount":"1,5","disputed":"yes"}]}`, cust),
			[]string{"/invoices/0/colour", "/invoices/0/disputed", "/invoices/0/amount"}},
		{"score, every wrong type", "POST", "/v1/score", "viewer",
			fmt.Sprintf(`{"invoices":[{"invoice_id":"D-1","customer_id":%[1]q,"issue_date":"2024-03-01","due_date":"2024-03-31","amount":"100.00","disputed":"yes"},`+
				`{"invoice_id":"D-2","customer_id":%[1]q,"issue_date":"2024-03-01","due_date":"2024-03-31","amount":"100.00"},`+
				`{"invoice_id":7,"customer_id":%[1]q,"issue_date":"2024-03-01","due_date":"2024-03-31","amount":"100.00","segment":["x"]}]}`, cust),
			[]string{"/invoices/0/disputed", "/invoices/2/invoice_id", "/invoices/2/segment"}},
		{"action", "POST", "/v1/actions", "collector",
			fmt.Sprintf(`{"customer_id":%q,"action_date":"2024-02-30","type":"call","colour":"red","outcome":"maybe"}`, cust),
			[]string{"/colour", "/action_date", "/outcome"}},
		{"action, a wrong type", "POST", "/v1/actions", "collector",
			fmt.Sprintf(`{"customer_id":%q,"action_date":5,"type":"call","colour":"red"}`, cust),
			[]string{"/colour", "/action_date"}},
		{"credit proposal", "POST", "/v1/credit-proposals", "credit_manager",
			fmt.Sprintf(`{"customer_id":%q,"new_limit":"1.234,50","colour":"red"}`, cust),
			[]string{"/colour", "/new_limit", "/reason"}},
		{"query", "GET", "/v1/kpi?bogus=1&from=2025-13-01&monthly=maybe", "viewer", "",
			[]string{"query:bogus", "query:from", "query:monthly"}},
		{"query, known ones only", "GET", "/v1/invoices/X/score?reasons=x&as_of=2025-13-01", "viewer", "",
			[]string{"query:reasons", "query:as_of"}},
	}
	for _, c := range cases {
		p := problemOf(t, ts.do(req{method: c.method, path: c.path, role: c.role, body: c.body}), 422)
		var got []string
		for _, e := range p.Errors {
			got = append(got, e.Where())
		}
		for _, w := range c.want {
			if !slices.Contains(got, w) {
				t.Errorf("%s: errors at %v, want %s among them (%+v)", c.name, got, w, p.Errors)
			}
		}
		// The detail names the first error and says there are more.
		if !strings.Contains(p.Detail, fmt.Sprintf("(and %d more error", len(p.Errors)-1)) {
			t.Errorf("%s: detail %q does not say the errors hold %d more", c.name, p.Detail, len(p.Errors)-1)
		}
		// A wrong type is not reported again as missing.
		for _, e := range p.Errors {
			if e.Detail == "missing value" && slices.ContainsFunc(p.Errors, func(o FieldError) bool { return o.Where() == e.Where() && o.Detail != e.Detail }) {
				t.Errorf("%s: %s reported twice: %+v", c.name, e.Where(), p.Errors)
			}
		}
	}
}

// TestAmountErrorsQuoteWhatWasSent: "1.234,50" was answered `amount
// "1.23450" has more than 2 decimals`, a value the client never sent;
// and "1,5" was read as 15.00.
func TestAmountErrorsQuoteWhatWasSent(t *testing.T) {
	for _, c := range []struct {
		sent string
		want datasets.Money
		errs []string // in the detail; none: parsed
	}{
		{`"1.234,50"`, 0, []string{`"1.234,50"`, "decimal comma", "send 1234.50"}},
		{`"12,5"`, 0, []string{`"12,5"`, "decimal comma", "send 12.5"}},
		{`"1,5"`, 0, []string{`"1,5"`, "commas only between thousands"}},
		{`"1.234"`, 0, []string{`"1.234"`, "more than 2 decimals", "send 1234"}},
		{`1.234`, 0, []string{`"1.234"`, "more than 2 decimals"}},
		{`"1.23456"`, 0, []string{`"1.23456"`, "more than 2 decimals"}},
		{`"1,234,567.891"`, 0, []string{`"1,234,567.891"`, "more than 2 decimals"}},
		// The German trial's ERP client sent "1.500" for 1,500 euros: read
		// as 1.50, silently; import and ingest refuse it as ambiguous.
		{`"1.500"`, 0, []string{`"1.500"`, "ambiguous", "1500", "1.50"}},
		{`"-12.000"`, 0, []string{`"-12.000"`, "ambiguous"}},
		{`"1.50"`, 150, nil},
		{`"0.500"`, 50, nil}, // no thousands separator before a 0
		{`1.500`, 150, nil},  // a JSON number's point is a decimal point
		// Above the bound import applies, as import refuses it.
		{`1e15`, 0, []string{"too large"}},
		{`"10000000000000.00"`, 0, []string{"too large"}},
		{`"9999999999999.99"`, 999999999999999, nil},
		{`"1,234.50"`, 123450, nil},
		{`"-1,234"`, -123400, nil},
		{`1234.5`, 123450, nil},
		{`1.2e3`, 120000, nil},
	} {
		var fe fieldErrors
		m := fe.amount("/amount", AmountText(c.sent), true)
		if c.errs == nil {
			if len(fe) != 0 || m != c.want {
				t.Errorf("%s: %v %+v, want %v", c.sent, m, fe, c.want)
			}
			continue
		}
		if len(fe) != 1 {
			t.Errorf("%s: read as %v, want an error", c.sent, m)
			continue
		}
		for _, w := range c.errs {
			if !strings.Contains(fe[0].Detail, w) {
				t.Errorf("%s: %q, want %q in it", c.sent, fe[0].Detail, w)
			}
		}
		if strings.Contains(fe[0].Detail, "1.23450") {
			t.Errorf("%s: %q quotes what was not sent", c.sent, fe[0].Detail)
		}
	}
	// Served: one error at the amount, not a second saying a draft of
	// 0.00 owes nothing (the amount was not read as 0.00: it was not read).
	ts := newTestServer(t, nil)
	cust := ts.srv.snap.Load().ledger.Customers[0].ID
	p := problemOf(t, ts.do(req{method: "POST", path: "/v1/score", role: "viewer",
		body: fmt.Sprintf(`{"invoices":[{"invoice_id":"D-1","customer_id":%q,"issue_date":"2024-03-01","due_date":"2024-03-31","amount":"1.234,50"}]}`, cust)}), 422)
	if len(p.Errors) != 1 || p.Errors[0].Pointer != "/invoices/0/amount" || !strings.Contains(p.Errors[0].Detail, `"1.234,50"`) {
		t.Errorf("errors %+v: want one, at /invoices/0/amount, quoting \"1.234,50\"", p.Errors)
	}
}

// TestOptionalDatesAreNull: a pay date beyond the 13-week horizon was
// written "", which no date parser reads: it is null, and the document
// says the field is nullable.
func TestOptionalDatesAreNull(t *testing.T) {
	s := Score{InvoiceID: "x", PayDate: NullDate(datasets.NewDate(2024, 5, 1))}
	std, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{std, s.appendJSON(nil)} {
		for _, w := range []string{`"pay_date":"2024-05-01"`, `"pay_date_p10":null`, `"pay_date_p90":null`} {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s: want %s", b, w)
			}
		}
	}
	var back Score
	if err := json.Unmarshal(std, &back); err != nil || back.PayDate != s.PayDate || back.PayDateP90 != 0 {
		t.Errorf("read back %+v (%v)", back, err)
	}
	ts := newTestServer(t, nil)
	doc := decode[map[string]any](t, ts.do(req{method: "GET", path: "/openapi.json"}))
	props := doc["components"].(map[string]any)["schemas"].(map[string]any)["Score"].(map[string]any)["properties"].(map[string]any)
	for _, f := range []string{"pay_date", "pay_date_p10", "pay_date_p90"} {
		if p := props[f].(map[string]any); p["nullable"] != true || p["format"] != "date" {
			t.Errorf("schema of %s %v: want a nullable date", f, p)
		}
	}
	// Served: a stored score beyond the horizon answers null (the
	// document's check in ts.do holds it to the schema).
	snap := ts.srv.snap.Load()
	for i := range snap.scores {
		if snap.scores[i].PayDateP90 != 0 {
			continue
		}
		w := ts.do(req{method: "GET", path: "/v1/invoices/" + snap.scores[i].InvoiceID + "/score", role: "viewer"})
		expect(t, w, 200)
		if !strings.Contains(w.Body.String(), `"pay_date_p90":null`) {
			t.Errorf("served %s", w.Body.String())
		}
		break
	}
}

func reflectTypeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

// An ingest answers the conventions the importer read the body by (credit
// notes written negative, read as credits), and refuses a column mapped
// twice as the import does, where the last mapping used to win silently.
func TestIngestAnswersConventionsAndRefusesAColumnMappedTwice(t *testing.T) {
	ts := newTestServer(t, nil)
	snap := ts.srv.snap.Load()
	cust := snap.ledger.Customers[0].ID
	body := "credit_note_id,customer_id,date,amount\n" +
		"N-1," + cust + ",2024-03-10,-50.00\n" +
		"N-2," + cust + ",2024-03-11,-20.00\n"
	w := ts.do(req{method: "POST", path: "/v1/ingest/credit_notes", role: "admin", body: body, ctype: "text/csv"})
	expect(t, w, 200)
	type note struct {
		Line   int
		Reason string
		Count  int
	}
	res := decode[struct {
		Loaded   int
		Negative int `json:"negative_credit_notes"`
		Notes    []note
	}](t, w)
	if res.Loaded != 2 || res.Negative != 2 || len(res.Notes) != 1 || res.Notes[0].Count != 2 || res.Notes[0].Line != 2 ||
		!strings.Contains(res.Notes[0].Reason, "written negative") {
		t.Fatalf("%+v: want 2 loaded, 2 read as credits, one note from line 2\n%s", res, w.Body.String())
	}
	w = ts.do(req{method: "POST", path: "/v1/ingest/payments?columns=amount%3DTotal,amount%3DPaid", role: "admin",
		body: "payment_id,customer_id,payment_date,Total,Paid\nP-1," + cust + ",2024-03-10,5.00,6.00\n", ctype: "text/csv"})
	expect(t, w, 422)
	if !strings.Contains(w.Body.String(), `amount is mapped twice, to \"Total\" and to \"Paid\"`) {
		t.Errorf("a column mapped twice: %s", w.Body.String())
	}
}

// An empty body, or a header alone, stores nothing and says so (422), not
// 200 "read 0, loaded 0": a client that sent the wrong file must hear it.
func TestIngestOfNoRowsIsRefused(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, c := range []struct{ name, body, ctype, want string }{
		{"empty CSV (a blank line)", "\n", "text/csv", "cannot be read as invoices"},
		{"a header alone", "customer_id,invoice_id,issue_date,due_date,amount\n", "text/csv", "no rows"},
		{"empty NDJSON (a blank line)", "\n", "application/x-ndjson", "no rows"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := ts.do(req{method: "POST", path: "/v1/ingest/invoices", role: "admin", body: c.body, ctype: c.ctype})
			p := problemOf(t, w, 422)
			if !strings.Contains(p.Detail, c.want) {
				t.Errorf("detail %q, want %q", p.Detail, c.want)
			}
		})
	}
}
