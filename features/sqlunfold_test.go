package features

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// The open-invoice query sends one row per customer with open invoices,
// not one per invoice (its customer's features would repeat on each), and
// the engine unfolds them into the Go engine's rows, disputed invoices
// (by dispute records) included; the invoices' own features come in one
// column, one record per invoice.
func TestSQLEngineSendsOpenInvoicesPerCustomer(t *testing.T) {
	clickHouseServer(t)
	ctx := context.Background()
	start := datasets.NewDate(2023, 1, 1)
	l := oddLedger(randomLedger(6, 40, start, 540), start)
	s := ledgerDatabase(t, l)
	e := sqlEngine(s, Options{})
	for _, days := range []int{200, 400} {
		asOf := start.AddDays(days)
		t.Run(asOf.String(), func(t *testing.T) {
			want := NewEngine(NewIndex(l), Options{}).OpenInvoices(asOf)
			customers := map[string]int{}
			for _, r := range want.Rows {
				customers[r.CustomerID]++
			}
			if len(customers) == len(want.Rows) {
				t.Fatalf("%d open invoices of as many customers: nothing to unfold", len(want.Rows))
			}
			nums, _ := split(want.Specs)
			disputed := slices.IndexFunc(nums, func(s Spec) bool { return s.Name == "inv_disputed" })
			if !slices.ContainsFunc(want.Rows, func(r Row) bool { return r.Num[disputed] == 1 }) {
				t.Fatal("no open invoice is disputed: the dispute records' path goes untested")
			}

			d, err := e.disputeBasis(ctx)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := s.Query(withFeatureSettings(ctx), e.queries.openInvoices, e.params(asOf, nil, d)...)
			if err != nil {
				t.Fatal(err)
			}
			// The invoices' own features in one column (one record per
			// invoice), not one column each.
			if got, want := rows.Columns(), append([]string{"customer_id", openRecordColumn}, specNames(CustomerSpecs(Options{}))...); !slices.Equal(got, want) {
				t.Errorf("columns %v, want %v", got, want)
			}
			sent := 0
			for rows.Next() {
				sent++
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			rows.Close()
			if sent != len(customers) {
				t.Errorf("the query sent %d rows for %d open invoices of %d customers, want one per customer", sent, len(want.Rows), len(customers))
			}

			got, err := e.OpenInvoices(ctx, asOf)
			assertSameTables(t, got, err, want)
		})
	}
}

// sortOpenInvoices orders rows by customer, then the older invoice first,
// then by invoice id: runs of one customer's rows in order (as
// readOpenInvoices hands them on) or any rows at all.
func TestSortOpenInvoices(t *testing.T) {
	specs := InvoiceSpecs(Options{})
	nums, cats := split(specs)
	age := slices.IndexFunc(nums, func(s Spec) bool { return s.Name == "inv_age_days" })
	row := func(customer, invoice string, days float64) Row {
		r := Row{CustomerID: customer, InvoiceID: invoice, Num: make([]float64, len(nums)), Cat: make([]string, len(cats))}
		r.Num[age] = days
		return r
	}
	want := []Row{row("A", "I9", 30), row("A", "I1", 10), row("A", "I2", 10), row("B", "I3", 5), row("C", "I0", 7), row("C", "I4", 1)}
	for _, c := range []struct {
		name string
		rows []Row
	}{
		{"in order", slices.Clone(want)},
		{"runs shuffled", []Row{want[4], want[5], want[0], want[1], want[2], want[3]}},
		{"a customer in two runs", []Row{want[0], want[1], want[3], want[2], want[4], want[5]}},
		{"a run out of order", []Row{want[3], want[5], want[4], want[2], want[0], want[1]}},
		{"none", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			tab := &Table{Level: "invoice", Specs: specs, Rows: c.rows}
			if err := sortOpenInvoices(tab); err != nil {
				t.Fatal(err)
			}
			w := want
			if c.rows == nil {
				w = nil
			}
			if got, want := ids(tab.Rows), ids(w); !slices.Equal(got, want) {
				t.Errorf("order %v, want %v", got, want)
			}
		})
	}
}

func ids(rows []Row) []string {
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s/%s", r.CustomerID, r.InvoiceID))
	}
	return out
}

// openRecords.unpack reads each record as the server packs it: the
// numbers' 8 bytes each, little-endian (the very bits, nan and -0
// included, zero bytes kept), then the id and the categorical values as
// length, colon, bytes (colons and digits inside an item are bytes like
// any other); a truncated or malformed record is an error, not a guess.
func TestUnpackOpenRecords(t *testing.T) {
	nums := []float64{0, math.Copysign(0, -1), 1.5, -1234.25, math.NaN(), math.Float64frombits(0x7ff8000000000001), math.Inf(1), 1e-310}
	type record struct {
		id   string
		nums []float64
		cats []string
	}
	want := []record{
		{"INV-1", nums[:4], []string{"", "DE"}},
		{"12:3", nums[4:], []string{"web:shop", ""}},
		{"", []float64{0, 0, 0, 0}, []string{"", ""}},
	}
	var packed []byte
	for _, r := range want {
		for _, v := range r.nums {
			packed = binary.LittleEndian.AppendUint64(packed, math.Float64bits(v))
		}
		for _, v := range append([]string{r.id}, r.cats...) {
			packed = fmt.Appendf(packed, "%d:%s", len(v), v)
		}
	}
	var got openRecords
	if err := got.unpack(string(packed), 4, 2); err != nil {
		t.Fatal(err)
	}
	if len(got.ids) != len(want) {
		t.Fatalf("%d records, want %d", len(got.ids), len(want))
	}
	for i, r := range want {
		if got.ids[i] != r.id {
			t.Errorf("record %d: id %q, want %q", i+1, got.ids[i], r.id)
		}
		for k, v := range r.nums {
			if g := got.nums[4*i+k]; math.Float64bits(g) != math.Float64bits(v) {
				t.Errorf("record %d, number %d: bits %#x, want %#x", i+1, k+1, math.Float64bits(g), math.Float64bits(v))
			}
		}
		if g := got.cats[2*i : 2*i+2]; !slices.Equal(g, r.cats) {
			t.Errorf("record %d: values %q, want %q", i+1, g, r.cats)
		}
	}
	for _, bad := range []string{
		"",                              // no invoice
		string(packed[:len(packed)-1]),  // an item cut short
		string(packed[:len(packed)-3]),  // an item missing
		string(packed) + "x",            // bytes after the last record
		string(packed[:20]),             // numbers cut short
		string(packed[:32]) + "x:INV-1", // no length
		string(packed[:32]) + "-1:",     // a negative length
	} {
		if err := got.unpack(bad, 4, 2); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
