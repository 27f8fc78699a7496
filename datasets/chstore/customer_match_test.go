package chstore

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// customerMatchRows reads customer_match as the feature queries do
// (features/sql/ledger.sql, latest_customer_rows: each customer's row of
// its highest version, without FINAL, when it has records), one element
// per match row, keyed by customer and invoice id, each row with the
// recorded write-off notes (day/cents, sorted) it carries.
func customerMatchRows(t *testing.T, s *Store) (map[[2]string]matchRow, map[[2]string][]string) {
	t.Helper()
	rows, err := s.Query(context.Background(), `
		SELECT customer_id, r_invoice_id, r_invoice, r_issue, r_due, r_settled, r_cents, r_disputed,
			if(r_invoice = 1, concat(r_country, '/', r_segment, '/', r_channel), ''),
			arrayMap((d, c) -> concat(toString(d), '/', toString(c)), r_pay_days, r_pay_cents),
			arrayMap(d -> toString(d), r_action_days),
			arrayMap((d, u, c) -> concat(toString(d), '/', toString(u), '/', toString(c)), r_promise_days, r_promised_days, r_promise_cents),
			arrayMap((d, c) -> concat(toString(d), '/', toString(c)), r_credit_days, r_credit_cents),
			arrayMap((d, c) -> concat(toString(d), '/', toString(c)), r_wo_days, r_wo_cents)
		FROM customer_match
		ARRAY JOIN r_invoice_id, r_invoice, r_issue, r_due, r_settled, r_cents, r_disputed, r_country, r_segment, r_channel,
			r_pay_days, r_pay_cents, r_action_days, r_promise_days, r_promised_days, r_promise_cents,
			r_credit_days, r_credit_cents, r_wo_days, r_wo_cents
		WHERE (customer_id, version) GLOBAL IN (
			SELECT customer_id, max(version) FROM customer_match GROUP BY customer_id HAVING argMax(known, version) = 1)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[[2]string]matchRow{}
	wo := map[[2]string][]string{}
	for rows.Next() {
		var (
			c, i      string
			inv, disp uint8
			r         matchRow
			notes     []string
		)
		if err := rows.Scan(&c, &i, &inv, &r.Issue, &r.Due, &r.Settled, &r.Cents, &disp, &r.Sale, &r.Pays, &r.Actions, &r.Promise, &r.Credits, &notes); err != nil {
			t.Fatal(err)
		}
		r.Invoice, r.Disputed = inv == 1, disp == 1
		for _, a := range []*[]string{&r.Pays, &r.Actions, &r.Promise, &r.Credits, &notes} {
			if len(*a) == 0 {
				*a = nil
			}
			sort.Strings(*a)
		}
		k := [2]string{c, i}
		if _, dup := out[k]; dup {
			t.Fatalf("customer_match: row %v twice", k)
		}
		out[k] = r
		if notes != nil {
			wo[k] = notes
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out, wo
}

// assertCustomerMatch checks customer_match against the invoice match
// (synced by assertMatch) and ledger l: each customer's newest row holds
// its invoice match rows that have records, and on each the recorded
// write-off notes of l naming its invoice id; and no customer has two rows
// of one version, which the feature queries, reading without FINAL,
// would both take.
func assertCustomerMatch(t *testing.T, s *Store, l *datasets.Ledger) {
	t.Helper()
	var dups uint64
	if err := s.QueryRow(context.Background(),
		"SELECT count() FROM (SELECT customer_id, version FROM customer_match GROUP BY customer_id, version HAVING count() > 1)").Scan(&dups); err != nil {
		t.Fatal(err)
	}
	if dups > 0 {
		t.Fatalf("customer_match: %d customers with two rows of one version", dups)
	}
	got, gotWO := customerMatchRows(t, s)
	want := storedMatch(t, s)
	for k, r := range want {
		// customer_match carries the credit notes' days and cents, not
		// their ids (which only the sync reads, on invoice_match).
		var credits []string
		for _, c := range r.Credits {
			credits = append(credits, c[:strings.LastIndex(c, "/")])
		}
		sort.Strings(credits)
		r.Credits = credits
		want[k] = r
	}
	// storedMatch leaves out the rows of wait actions alone, which
	// customer_match keeps (they have records) and readers count as none.
	for k, r := range got {
		if _, ok := want[k]; !ok && !r.Invoice && len(r.Pays)+len(r.Actions)+len(r.Promise) == 0 {
			delete(got, k)
		}
	}
	wantWO := map[[2]string][]string{}
	for _, n := range l.CreditNotes {
		if n.Kind != datasets.KindWriteOff || n.InvoiceID == "" {
			continue
		}
		for k := range want {
			if k[1] == n.InvoiceID {
				wantWO[k] = append(wantWO[k], fmt.Sprintf("%d/%d", int32(n.Date), int64(n.Amount)))
			}
		}
	}
	for k := range wantWO {
		sort.Strings(wantWO[k])
	}
	if reflect.DeepEqual(got, want) && reflect.DeepEqual(gotWO, wantWO) {
		return
	}
	var diff []string
	for k, w := range want {
		if g, ok := got[k]; !ok || !reflect.DeepEqual(g, w) {
			diff = append(diff, fmt.Sprintf("%v: got %+v (stored %v), want %+v", k, g, ok, w))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			diff = append(diff, fmt.Sprintf("%v: got %+v, want no row", k, g))
		}
	}
	for k, w := range wantWO {
		if !slices.Equal(gotWO[k], w) {
			diff = append(diff, fmt.Sprintf("%v: write-off notes %v, want %v", k, gotWO[k], w))
		}
	}
	for k, g := range gotWO {
		if _, ok := wantWO[k]; !ok {
			diff = append(diff, fmt.Sprintf("%v: write-off notes %v, want none", k, g))
		}
	}
	slices.Sort(diff)
	t.Fatalf("customer_match differs from the invoice match in %d rows:\n%s", len(diff), strings.Join(diff[:min(len(diff), 10)], "\n"))
}
