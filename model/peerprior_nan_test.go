package model

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// An established customer that invoiced nothing in the window (it only
// settled older invoices) has no usual amount: it is no peer, rather than
// a NaN coordinate that broke the search and the bundle's JSON ("encode
// model: json: unsupported value: NaN" from train on a simulated ledger).
func TestPeerWithoutInvoicesInTheWindowIsLeftOut(t *testing.T) {
	at := datasets.NewDate(2024, time.October, 31)
	l := &datasets.Ledger{}
	add := func(cust string, issued, paid datasets.Date) {
		for k := range 4 {
			id := fmt.Sprintf("%s-%d", cust, k)
			l.Invoices = append(l.Invoices, datasets.Invoice{ID: id, CustomerID: cust, IssueDate: issued, DueDate: issued.AddDays(30),
				Amount: datasets.Money(1000_00 * (k + 1)), Currency: "EUR", Segment: "smb", Country: "DE", Channel: "direct", SettledDate: paid})
			l.Payments = append(l.Payments, datasets.Payment{ID: "P" + id, CustomerID: cust, InvoiceID: id, Date: paid,
				Amount: datasets.Money(1000_00 * (k + 1)), Currency: "EUR"})
		}
	}
	for c := range peerK + 3 {
		add(fmt.Sprintf("C%d", c), at.AddDays(-200), at.AddDays(-160+c))
	}
	add("OLD", at.AddDays(-400), at.AddDays(-300)) // settled in the window, issued before it
	for _, id := range []string{"OLD"} {
		l.Customers = append(l.Customers, datasets.Customer{ID: id, Segment: "smb", Country: "DE", Channel: "direct"})
	}
	for c := range peerK + 3 {
		l.Customers = append(l.Customers, datasets.Customer{ID: fmt.Sprintf("C%d", c), Segment: "smb", Country: "DE", Channel: "direct"})
	}
	eng := features.NewEngine(features.NewIndex(l), features.Options{})
	set, err := peerSetAt(eng, at)
	if err != nil || set == nil {
		t.Fatalf("peer set %v, %v", set, err)
	}
	for _, p := range set.Peers {
		if p.ID == "OLD" {
			t.Fatalf("OLD, with no invoice in the window, is a peer with amount %v", p.Amount)
		}
	}
	if len(set.Peers) != peerK+3 {
		t.Fatalf("%d peers, want the %d that invoiced in the window", len(set.Peers), peerK+3)
	}
	if _, err := json.Marshal(set); err != nil {
		t.Fatalf("the set does not encode: %v", err)
	}
}
