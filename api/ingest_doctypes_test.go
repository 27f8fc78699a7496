package api

import (
	"net/url"
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
		"Memo,DT-R," + cust + ",2024-03-06,,5.00,\n"
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

// An SAP open-items body as SAP writes it: with its payment and clearing
// types named, its payment loads as a payment, its clearing line is
// skipped, its blank due date comes from the terms key and its reason
// code flags a dispute, each counted in the answer as the import's
// summary counts them; without the payment type named, the body is
// stored but incomplete (dsopilot import exits 1), though the rows of
// the unnamed type are fewer than half.
func TestIngestSAPBodyWithPaymentsTermsAndReasons(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.srv.snap.Load().ledger.Customers[0]
	row := func(doc, typ, date, due, amount, clearing, terms, reason string) string {
		return strings.Join([]string{c.ID, doc, typ, date, due, amount, c.Currency, clearing, terms, reason, doc}, ";") + "\n"
	}
	body := "Account;Document Number;Document Type;Document Date;Net due date;Amount in doc. curr.;Document currency;Clearing Document;Terms of Payment;Reason code;Assignment\n" +
		row("SAP-1", "RV", "01.03.2024", "31.03.2024", "1.000,00", "SAP-P1", "ZB30", "") +
		row("SAP-P1", "DZ", "20.03.2024", "20.03.2024", "1.000,00-", "SAP-P1", "", "") +
		row("SAP-2", "RV", "05.03.2024", "", "250,00", "", "ZN60", "Z2") +
		row("SAP-X", "AB", "20.03.2024", "20.03.2024", "0,00", "SAP-P1", "", "")
	cols := "customer_id=Account,invoice_id=Document Number,issue_date=Document Date,due_date=Net due date,amount=Amount in doc. curr.," +
		"currency=Document currency,invoices.type=Document Type,invoices.applies_to=Assignment,invoices.payment_terms=Terms of Payment," +
		"invoices.dispute_reason=Reason code,invoices.clearing_document=Clearing Document"
	type answer struct {
		Loaded, Rejected int
		Payments         int  `json:"payments_from_invoices"`
		Skipped          int  `json:"skipped_by_type"`
		Disputed         int  `json:"disputed_by_reason"`
		Derived          int  `json:"derived_due_dates"`
		Incomplete       bool `json:"incomplete"`
	}
	path := "/v1/ingest/invoices?date_format=%25d.%25m.%25Y&decimal_comma=true&terms=ZB30=30,ZN60=60&columns=" + url.QueryEscape(cols)
	w := ts.do(req{method: "POST", path: path + "&doc_types=invoice=RV,payment=DZ,skip=AB", role: "admin", body: body, ctype: "text/csv"})
	expect(t, w, 200)
	if got := decode[answer](t, w); got != (answer{Loaded: 3, Payments: 1, Skipped: 1, Disputed: 1, Derived: 1}) {
		t.Errorf("named types: %+v, want 3 loaded (1 payment), 1 skipped, 1 disputed, 1 due date derived, complete", got)
	}
	w = ts.do(req{method: "POST", path: path + "&doc_types=invoice=RV", role: "admin", body: body, ctype: "text/csv"})
	expect(t, w, 200)
	if got := decode[answer](t, w); got.Rejected != 2 || got.Loaded != 2 || !got.Incomplete {
		t.Errorf("payment and clearing types unnamed: %+v, want 2 rejected, 2 loaded, incomplete", got)
	}
	w = ts.do(req{method: "POST", path: "/v1/ingest/invoices?terms=ZB30", role: "admin", body: body, ctype: "text/csv"})
	expect(t, w, 422)
	if !strings.Contains(w.Body.String(), `"parameter":"terms"`) {
		t.Errorf("a bad terms: %s", w.Body.String())
	}
}
