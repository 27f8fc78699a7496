package forecast

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestComparisonShowsOnlyTheBookItCounts: a comparison counts the open
// book's invoices, customers and outstanding as the ledger shows them now;
// it used to print the rest of a BookSummary as zeros (overdue 0.0,
// beyond_horizon 0.0 beside a forecast of that day saying a million
// overdue), figures it never computed.
func TestComparisonShowsOnlyTheBookItCounts(t *testing.T) {
	b, err := json.Marshal(Comparison{BookNow: BookCount{Invoices: 3, Customers: 2, Outstanding: 12345}})
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Book map[string]json.RawMessage `json:"open_book_now"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range v.Book {
		keys = append(keys, k)
	}
	for _, k := range []string{"invoices", "customers", "outstanding"} {
		if _, ok := v.Book[k]; !ok {
			t.Errorf("open_book_now lacks %s: %s", k, b)
		}
	}
	if len(v.Book) != 3 {
		t.Errorf("open_book_now has %d fields (%s), want the 3 it counts", len(v.Book), strings.Join(keys, ", "))
	}
}
