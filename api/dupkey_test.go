package api

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestDuplicateKeyIsRefused: a key twice in one object of a body was
// read by its last value without a word (encoding/json keeps the last).
// Score, a record endpoint and ingest (NDJSON) now refuse it, naming the
// JSON pointer of the second key, nested objects included.
func TestDuplicateKeyIsRefused(t *testing.T) {
	ts := newTestServer(t, nil)
	snap := ts.srv.snap.Load()
	a := openInvoice(t, snap, 0)
	inv := `{"invoice_id":"b","customer_id":"c","issue_date":"2024-01-10","due_date":"2024-02-01","amount":1}`
	for _, c := range []struct {
		name, path, role, body, pointer string
	}{
		{"score: top level", "/v1/score", "viewer", `{"invoice_ids":["x"],"invoice_ids":[` + fmt.Sprintf("%q", a.InvoiceID) + `]}`, "/invoice_ids"},
		{"score: in the fourth invoice", "/v1/score", "viewer",
			`{"invoices":[` + strings.Repeat(inv+",", 3) + `{"invoice_id":"d","customer_id":"c","issue_date":"2024-01-10","due_date":"2024-02-01","amount":1,"amount":1000}]}`, "/invoices/3/amount"},
		{"promise", "/v1/promises", "collector", fmt.Sprintf(`{"customer_id":%q,"invoice_id":%q,"made_date":%q,"promised_date":%q,"amount":5,"amount":7}`,
			a.CustomerID, a.InvoiceID, snap.asOf, snap.asOf), "/amount"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := problemOf(t, ts.do(req{method: "POST", path: c.path, role: c.role, body: c.body}), 422)
			if !slices.ContainsFunc(p.Errors, func(e FieldError) bool { return e.Where() == c.pointer && e.Detail == "duplicate key" }) {
				t.Fatalf("errors %+v lack %s: duplicate key", p.Errors, c.pointer)
			}
		})
	}
	// Keys that differ only in case: encoding/json reads both into one
	// field (the last kept), so they are the same key twice.
	for _, c := range []struct {
		name, path, role, body, pointer string
	}{
		{"score: in the second invoice", "/v1/score", "viewer",
			`{"invoices":[` + inv + `,{"invoice_id":"d","customer_id":"c","issue_date":"2024-01-10","due_date":"2024-02-01","amount":1,"Amount":1000}]}`, "/invoices/1/Amount"},
		{"promise", "/v1/promises", "collector", fmt.Sprintf(`{"customer_id":%q,"invoice_id":%q,"made_date":%q,"promised_date":%q,"AMOUNT":5,"amount":7}`,
			a.CustomerID, a.InvoiceID, snap.asOf, snap.asOf), "/amount"},
	} {
		t.Run("case/"+c.name, func(t *testing.T) {
			p := problemOf(t, ts.do(req{method: "POST", path: c.path, role: c.role, body: c.body}), 422)
			if !slices.ContainsFunc(p.Errors, func(e FieldError) bool {
				return e.Where() == c.pointer && strings.HasPrefix(e.Detail, "duplicate key: ") && strings.Contains(e.Detail, "regardless of case")
			}) {
				t.Fatalf("errors %+v lack %s: duplicate key regardless of case", p.Errors, c.pointer)
			}
		})
	}
	// Ingest: the line with a key twice is rejected (the others load),
	// its reason naming the key's pointer in the line.
	cust := snap.ledger.Customers[0].ID
	nd := fmt.Sprintf(`{"payment_id":"DUP-P1","customer_id":%q,"payment_date":"2024-03-20","amount":"40.00"}`+"\n"+
		`{"payment_id":"DUP-P2","customer_id":%q,"payment_date":"2024-03-20","amount":"1.00","amount":"100.00"}`+"\n", cust, cust)
	w := ts.do(req{method: "POST", path: "/v1/ingest/payments", role: "admin", body: nd, ctype: "application/x-ndjson"})
	res := decode[IngestResult](t, w)
	if w.Code != 200 || res.Loaded != 1 || res.Rejected != 1 || len(res.Rejects) != 1 || res.Rejects[0].Line != 2 ||
		!strings.Contains(res.Rejects[0].Reason, "/amount: duplicate key") {
		t.Fatalf("ingest %d %+v", w.Code, res)
	}
	// A nested object of a line too; the only line rejected is a 422.
	nd = fmt.Sprintf(`{"payment_id":"DUP-P3","customer_id":%q,"payment_date":"2024-03-20","amount":"1.00","x":{"y":1,"y":2}}`+"\n", cust)
	p := problemOf(t, ts.do(req{method: "POST", path: "/v1/ingest/payments", role: "admin", body: nd, ctype: "application/x-ndjson"}), 422)
	if len(p.Errors) != 1 || !strings.Contains(p.Errors[0].Detail, "/x/y: duplicate key") {
		t.Fatalf("nested duplicate in ingest: %+v", p.Errors)
	}
}
