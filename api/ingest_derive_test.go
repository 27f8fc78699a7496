package api

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/embedded"
)

// A ledger imported without a customer master (a cleared-items export)
// has customers derived from its invoices; an ingest of invoices of a new
// customer derives it too rather than rejecting every row. With a master
// (the fixture's customers have names), TestIngest shows the rejection.
func TestIngestDerivesNewCustomersWithoutAMaster(t *testing.T) {
	f := testFixture(t)
	derived := *f.ledger
	derived.Customers = make([]datasets.Customer, len(f.ledger.Customers))
	for i, c := range f.ledger.Customers {
		derived.Customers[i] = datasets.Customer{ID: c.ID, Segment: c.Segment, Country: c.Country, Currency: c.Currency, Channel: c.Channel}
	}
	storeDir := filepath.Join(t.TempDir(), "derived")
	st, err := embedded.Open(context.Background(), storeDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Put(context.Background(), &derived); err != nil {
		t.Fatal(err)
	}
	st.Close()
	ts := newTestServer(t, func(c *Config) {
		c.OpenStore = func(ctx context.Context) (Store, error) { return embedded.Open(ctx, storeDir, nil) }
	})
	for _, cust := range []string{"NEW-A", "NEW-B"} {
		body := "customer_id,invoice_id,issue_date,due_date,amount,currency\n" +
			cust + "," + cust + "-1,2024-03-01,2024-03-31,100.00,EUR\n" +
			cust + "," + cust + "-2,2024-03-02,2024-04-01,50.00,EUR\n"
		w := ts.do(req{method: "POST", path: "/v1/ingest/invoices", role: "admin", body: body, ctype: "text/csv"})
		res := decode[IngestResult](t, w)
		if w.Code != 200 || res.Loaded != 2 || res.Rejected != 0 || res.DerivedCustomers != 1 {
			t.Fatalf("%s: %d %+v; want both invoices loaded and the customer derived", cust, w.Code, res)
		}
	}
	ts.settle()
	n := 0
	for _, c := range ts.srv.snap.Load().ledger.Customers {
		if strings.HasPrefix(c.ID, "NEW-") {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("the snapshot holds %d of the 2 new customers", n)
	}
}
