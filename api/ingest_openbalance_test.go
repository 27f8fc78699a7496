package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// The ingest's invoice lookup, with the store away, answered from the
// snapshot's invoices without their payments: an invoices body's open
// balance then derived again the payment already spooled, and the money
// counted twice. Now a body with open balances is a 503 while the store
// is away (Retry-After; nothing of it stored), and once the store is back
// the spooled payment covers the difference: nothing is derived.
func TestIngestOpenBalanceWaitsForTheStore(t *testing.T) {
	var down atomic.Bool
	var puts atomic.Int64
	ts := newTestServer(t, withFlakyStore(&down, &puts))
	cust := ts.srv.snap.Load().ledger.Customers[0].ID
	down.Store(true)
	pay := fmt.Sprintf("payment_id,customer_id,invoice_id,payment_date,amount\nPOB-1,%s,OB-1,2024-03-10,40.00\n", cust)
	expect(t, ts.do(req{method: "POST", path: "/v1/ingest/payments", role: "admin", body: pay, ctype: "text/csv"}), 202)
	inv := fmt.Sprintf("customer_id,invoice_id,issue_date,due_date,amount,Open Balance\n%s,OB-1,2024-03-01,2024-03-31,100.00,60.00\n", cust)
	path := "/v1/ingest/invoices?columns=invoices.open_balance=Open%20Balance"
	w := ts.do(req{method: "POST", path: path, role: "admin", body: inv, ctype: "text/csv"})
	p := problemOf(t, w, 503)
	if w.Header().Get("Retry-After") == "" || !strings.Contains(p.Detail, "store does not answer") {
		t.Fatalf("Retry-After %q, problem %+v", w.Header().Get("Retry-After"), p)
	}
	if _, ok := findInvoice(ts.srv.snap.Load().ledger, "OB-1"); ok {
		t.Fatal("the invoice of the refused body was stored")
	}
	down.Store(false)
	waitFor(t, "the spool to drain", func() bool { return ts.srv.sink.spool.empty() })
	w = ts.do(req{method: "POST", path: path, role: "admin", body: inv, ctype: "text/csv"})
	res := decode[IngestResult](t, w)
	if w.Code != http.StatusOK || res.Loaded != 1 || res.DerivedPayments != 0 {
		t.Fatalf("store back: %d %+v; want the invoice loaded and nothing derived (POB-1 pays the 40.00)", w.Code, res)
	}
}

// The batches acknowledged but not in the snapshot yet were searched for
// invoices only: their payments, credit notes and actions were missing
// from the records of an invoice the importer checks against.
func TestIngestInvoiceRecordsHoldThePendingPayments(t *testing.T) {
	ts := newTestServer(t, nil)
	snap := ts.srv.snap.Load()
	v := snap.ledger.Invoices[0]
	ts.srv.pendingMu.Lock()
	ts.srv.pending = append(ts.srv.pending, &datasets.Ledger{
		Payments:    []datasets.Payment{{ID: "PEND-1", CustomerID: v.CustomerID, InvoiceID: v.ID, Date: v.IssueDate, Amount: 1}},
		CreditNotes: []datasets.CreditNote{{ID: "PEND-C", CustomerID: v.CustomerID, InvoiceID: v.ID, Date: v.IssueDate, Amount: 1}}})
	ts.srv.pendingMu.Unlock()
	st := &ingestStore{s: ts.srv}
	l, err := st.InvoiceRecords(context.Background(), []string{v.ID})
	if err != nil {
		t.Fatal(err)
	}
	has := func(n int, match func(i int) bool) bool {
		for i := range n {
			if match(i) {
				return true
			}
		}
		return false
	}
	if !has(len(l.Payments), func(i int) bool { return l.Payments[i].ID == "PEND-1" }) ||
		!has(len(l.CreditNotes), func(i int) bool { return l.CreditNotes[i].ID == "PEND-C" }) ||
		!has(len(l.Invoices), func(i int) bool { return l.Invoices[i].ID == v.ID }) {
		t.Fatalf("records of %s: %d invoices, payments %+v, credit notes %+v", v.ID, len(l.Invoices), l.Payments, l.CreditNotes)
	}
}

// A payment derived from an invoices body's open balance is superseded
// by the real payment a later body sends, while the store is away too
// (the snapshot then stands in for it): lowered, said in the answer, and
// stored so once the spool drains.
func TestIngestPaymentsSupersedeTheDerivedOne(t *testing.T) {
	var down atomic.Bool
	var puts atomic.Int64
	ts := newTestServer(t, withFlakyStore(&down, &puts))
	cust := ts.srv.snap.Load().ledger.Customers[0].ID
	inv := fmt.Sprintf("customer_id,invoice_id,issue_date,due_date,amount,Open Balance\n%s,OB-2,2024-03-01,2024-03-31,100.00,60.00\n", cust)
	res := decode[IngestResult](t, ts.do(req{method: "POST", path: "/v1/ingest/invoices?columns=invoices.open_balance=Open%20Balance", role: "admin", body: inv, ctype: "text/csv"}))
	if res.DerivedPayments != 1 {
		t.Fatalf("invoices: %+v", res)
	}
	ts.settle()
	down.Store(true)
	pay := fmt.Sprintf("payment_id,customer_id,invoice_id,payment_date,amount\nPOB-2,%s,OB-2,2024-03-10,40.00\n", cust)
	w := ts.do(req{method: "POST", path: "/v1/ingest/payments", role: "admin", body: pay, ctype: "text/csv"})
	res = decode[IngestResult](t, w)
	if w.Code != http.StatusAccepted || res.SupersededDerived != 1 || !strings.Contains(fmt.Sprint(res.Warnings), "now 0.00, replaced by POB-2 40.00") {
		t.Fatalf("payments while the store is away: %d %+v", w.Code, res)
	}
	down.Store(false)
	waitFor(t, "the spool to drain", func() bool { return ts.srv.sink.spool.empty() })
	l, err := ts.srv.store.st.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	paid := datasets.Money(0)
	for _, p := range l.Payments {
		if p.InvoiceID == "OB-2" {
			paid += p.Amount
		}
	}
	if paid != 4000 {
		t.Fatalf("OB-2 paid %s in the store, want 40.00 (the derived payment superseded)", paid)
	}
}
