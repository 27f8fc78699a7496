package api

import (
	"strings"
	"testing"
)

// An invoices body with a document type column mapped loads its
// credit-note rows as credit notes, counted in the answer; a type that is
// neither is rejected naming the line and field; ?doc_types= names other
// values, and a bad one is a 422 naming the parameter.
func TestIngestInvoicesTypeColumn(t *testing.T) {
	ts := newTestServer(t, nil)
	cust := ts.srv.snap.Load().ledger.Customers[0].ID
	body := "Type,invoice_id,customer_id,issue_date,due_date,amount,Ref\n" +
		"Invoice,DT-1," + cust + ",2024-03-01,2024-03-31,100.00,\n" +
		"Credit Note,DT-C1," + cust + ",2024-03-05,,-20.00,DT-1\n" +
		"Adj,DT-C2," + cust + ",2024-03-06,,-5.00,\n" +
		"Receipt,DT-R," + cust + ",2024-03-06,,5.00,\n"
	type answer struct {
		Loaded, Rejected int
		FromInvoices     int `json:"credit_notes_from_invoices"`
		Rejects          []struct {
			Line          int
			Field, Reason string
		}
	}
	w := ts.do(req{method: "POST", path: "/v1/ingest/invoices?columns=invoices.type=Type,invoices.applies_to=Ref&doc_types=credit_note=adj",
		role: "admin", body: body, ctype: "text/csv"})
	expect(t, w, 200)
	res := decode[answer](t, w)
	if res.Loaded != 3 || res.Rejected != 1 || res.FromInvoices != 2 || len(res.Rejects) != 1 || res.Rejects[0].Line != 5 ||
		res.Rejects[0].Field != "type" || !strings.Contains(res.Rejects[0].Reason, "unknown document type") ||
		!strings.Contains(res.Rejects[0].Reason, "?doc_types=") {
		t.Fatalf("%+v: want 3 loaded (2 credit notes from the invoices body), line 5 type rejected", res)
	}
	w = ts.do(req{method: "POST", path: "/v1/ingest/invoices?columns=invoices.type=Type&doc_types=debit=X",
		role: "admin", body: body, ctype: "text/csv"})
	expect(t, w, 422)
	if !strings.Contains(w.Body.String(), `"parameter":"doc_types"`) {
		t.Errorf("a bad doc_types: %s", w.Body.String())
	}
}
