package features

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/dsopilot/dsopilot/datasets/chstore/chsql"
)

// openRecordColumn names the column of open_invoices.sql that packs a
// customer's open invoices' own features, one record per invoice.
const openRecordColumn = "invoice_records"

// openRecordFeatures are the features of an open-invoice record, in the
// order open_invoices.sql writes them (invoice_columns): the invoice's own
// features, as InvoiceSpecs lists them before its customer's. The
// categorical ones are the sale's own value, which is the customer's
// feature named without "inv_" when the invoice has none (”).
func openRecordFeatures() []string {
	return []string{"inv_amount", "inv_amount_vs_usual", "inv_outstanding", "inv_terms_days", "inv_days_to_due",
		"inv_age_days", "inv_due_day_of_month", "inv_due_month", "inv_due_month_end", "inv_due_quarter_end",
		"inv_disputed", "inv_channel", "inv_country", "inv_segment"}
}

// readOpenInvoices is the featureReader of the open-invoice queries
// (open_invoices.sql). Their result has one row per customer with open
// invoices, not one per invoice: customer_id, then invoice_records, a String
// that packs the customer's open invoices, one record each (unpackRecords),
// then the customer's features, one column per spec named after it, as
// readFeatures reads them. Each such row is unfolded here into one row per
// open invoice, the customer's features copied onto each, the customer's
// invoices in the Go engine's order (openInvoiceOrder).
//
// Unfolding on the server sent the customer's features once per open
// invoice: on the 1M-invoice benchmark ledger 175k rows of 130 columns,
// which cost the server and the read more than the unfolding costs here.
func (e *SQLEngine) readOpenInvoices(ctx context.Context, q chsql.Querier, text string, args []any, tab *Table) ([]Row, error) {
	own := len(tab.Specs) - len(e.custNames)
	if tab.Level != "invoice" || own < 0 || !slices.Equal(specNames(tab.Specs[own:]), e.custNames) ||
		!slices.Equal(specNames(tab.Specs[:own]), openRecordFeatures()) {
		return nil, errors.New("open invoice features: the table's specs are not the invoice's own, as open_invoices.sql packs them, then the customer's")
	}
	nums, cats := split(tab.Specs)
	ownNums, ownCats := split(tab.Specs[:own])
	custCats := cats[len(ownCats):]
	// defaults[k]: the index among the customer's categorical features of
	// the one own categorical feature k falls back on.
	defaults := make([]int, len(ownCats))
	for k, s := range ownCats {
		if defaults[k] = slices.IndexFunc(custCats, func(c Spec) bool { return "inv_"+c.Name == s.Name }); defaults[k] < 0 {
			return nil, fmt.Errorf("open invoice features: no customer feature for %s to fall back on", s.Name)
		}
	}
	age, err := ageColumn(ownNums)
	if err != nil {
		return nil, fmt.Errorf("order the open invoices: %w", err)
	}
	rows, err := q.Query(ctx, text, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	want := append([]string{"customer_id", openRecordColumn}, e.custNames...)
	if got := rows.Columns(); !slices.Equal(got, want) {
		return nil, fmt.Errorf("query returned columns %v, want %v", got, want)
	}
	var (
		customer, packed string
		custNum          = make([]float64, len(nums)-len(ownNums))
		custCat          = make([]string, len(custCats))
	)
	dest := make([]any, 0, len(want))
	dest = append(dest, &customer, &packed)
	ni, ci := 0, 0
	for _, s := range tab.Specs[own:] {
		if s.Kind == Numeric {
			dest = append(dest, &custNum[ni])
			ni++
		} else {
			dest = append(dest, &custCat[ci])
			ci++
		}
	}
	var (
		out  []Row
		recs openRecords
		slab rowSlab
	)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("scan features: %w", err)
		}
		if err := recs.unpack(packed, len(ownNums), len(ownCats)); err != nil {
			return nil, fmt.Errorf("customer %s: %s: %w", customer, openRecordColumn, err)
		}
		n := len(recs.ids)
		numBuf, catBuf := slab.take(n*len(nums), n*len(cats))
		first := len(out)
		for i, id := range recs.ids {
			// Each row's slices are capped, so that an append to one
			// cannot reach the next.
			r := Row{CustomerID: customer, InvoiceID: id, AsOf: tab.AsOf,
				Num: numBuf[i*len(nums) : (i+1)*len(nums) : (i+1)*len(nums)],
				Cat: catBuf[i*len(cats) : (i+1)*len(cats) : (i+1)*len(cats)]}
			copy(r.Num, recs.nums[i*len(ownNums):(i+1)*len(ownNums)])
			copy(r.Num[len(ownNums):], custNum)
			for k, v := range recs.cats[i*len(ownCats) : (i+1)*len(ownCats)] {
				if v == "" {
					v = custCat[defaults[k]]
				}
				r.Cat[k] = v
			}
			copy(r.Cat[len(ownCats):], custCat)
			out = append(out, r)
		}
		mine := out[first:]
		slices.SortFunc(mine, func(a, b Row) int { return openInvoiceOrder(a, b, age) })
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read features: %w", err)
	}
	return out, nil
}

// rowSlab hands out the values of many rows from a few large allocations
// instead of one (or two) per customer: on the 1M-invoice benchmark ledger
// 43k customers' open invoices.
type rowSlab struct {
	nums []float64
	cats []string
}

// slabSize is how many values of each kind a rowSlab allocates at least at
// once.
const slabSize = 1 << 16

// take returns n zero numbers and m empty strings, the slab's own until
// the next take.
func (s *rowSlab) take(n, m int) ([]float64, []string) {
	if len(s.nums) < n {
		s.nums = make([]float64, max(n, slabSize))
	}
	if len(s.cats) < m {
		s.cats = make([]string, max(m, slabSize))
	}
	nums, cats := s.nums[:n:n], s.cats[:m:m]
	s.nums, s.cats = s.nums[n:], s.cats[m:]
	return nums, cats
}

// openRecords are one customer's open invoices as unpacked from the
// invoice_records column: the ids, and per invoice its numbers and its
// categorical values (nums and cats, a fixed count per invoice, one
// invoice after another). The strings share the packed string's memory.
// The slices are reused from one customer to the next.
type openRecords struct {
	ids  []string
	nums []float64
	cats []string
}

// unpack reads the records packed by the invoice_columns template of
// open_invoices.sql, one after another: nums numbers of 8 bytes each
// (little-endian), then the invoice id and cats categorical values, each
// as its length in bytes, a colon and its bytes.
func (r *openRecords) unpack(packed string, nums, cats int) error {
	r.ids, r.nums, r.cats = r.ids[:0], r.nums[:0], r.cats[:0]
	for s := packed; s != ""; {
		at := len(packed) - len(s)
		if len(s) < 8*nums {
			return fmt.Errorf("record %d at byte %d: %d bytes left for %d numbers of 8 bytes", len(r.ids)+1, at, len(s), nums)
		}
		for k := range nums {
			b := s[8*k : 8*k+8]
			r.nums = append(r.nums, math.Float64frombits(uint64(b[0])|uint64(b[1])<<8|uint64(b[2])<<16|uint64(b[3])<<24|
				uint64(b[4])<<32|uint64(b[5])<<40|uint64(b[6])<<48|uint64(b[7])<<56))
		}
		s = s[8*nums:]
		for k := range 1 + cats {
			v, rest, err := unpackItem(s)
			if err != nil {
				return fmt.Errorf("record %d at byte %d: %w", len(r.ids)+1, len(packed)-len(s), err)
			}
			if k == 0 {
				r.ids = append(r.ids, v)
			} else {
				r.cats = append(r.cats, v)
			}
			s = rest
		}
	}
	if len(r.ids) == 0 {
		return errors.New("no open invoice")
	}
	return nil
}

// unpackItem reads one item off the front of s, written as its length in
// bytes, a colon and its bytes, and returns it and what follows.
func unpackItem(s string) (item, rest string, err error) {
	colon := strings.IndexByte(s, ':')
	if colon < 1 {
		return "", "", errors.New("no item length")
	}
	n, err := strconv.Atoi(s[:colon])
	if err != nil || n < 0 || n > len(s)-colon-1 {
		return "", "", fmt.Errorf("item length %q is not within the %d bytes left", s[:colon], len(s)-colon-1)
	}
	return s[colon+1 : colon+1+n], s[colon+1+n:], nil
}

// ageColumn returns the index of inv_age_days among the numeric specs
// nums, which order the open invoices.
func ageColumn(nums []Spec) (int, error) {
	age := slices.IndexFunc(nums, func(s Spec) bool { return s.Name == "inv_age_days" })
	if age < 0 {
		return 0, errors.New("no inv_age_days feature")
	}
	return age, nil
}

// openInvoiceOrder orders two open invoices of one customer as the Go
// engine does: by issue date, then by invoice id (by their bytes, as
// ClickHouse orders String). inv_age_days is t − issue date, exactly
// (whole days in a float64): the older invoice first. An invoice id is
// unique in its table, so the order is total.
func openInvoiceOrder(a, b Row, age int) int {
	if c := cmp.Compare(b.Num[age], a.Num[age]); c != 0 {
		return c
	}
	return strings.Compare(a.InvoiceID, b.InvoiceID)
}

// sortOpenInvoices puts the open invoices of every customer in the Go
// engine's order: by customer, then openInvoiceOrder. The whole-ledger
// queries leave the order to this: an ORDER BY over every open invoice's
// 130 columns cost the server 0.45-0.55 s on the 1M-invoice benchmark
// ledger (175,328 rows).
//
// readOpenInvoices hands each customer's invoices on together and in
// order, and a customer comes from one shard only, so only those runs are
// sorted, by customer (43k on that ledger, instead of 175k rows: the full
// sort cost 0.14-0.29 s on a loaded machine). Rows that are not in such
// runs still come out in order: a pass checks it, and the whole table is
// then sorted row by row.
func sortOpenInvoices(tab *Table) error {
	nums, _ := split(tab.Specs)
	age, err := ageColumn(nums)
	if err != nil {
		return fmt.Errorf("sort the open invoices: %w", err)
	}
	rows := tab.Rows
	type run struct{ from, to int }
	var runs []run
	for i := 0; i < len(rows); {
		j := i + 1
		for j < len(rows) && rows[j].CustomerID == rows[i].CustomerID {
			j++
		}
		runs = append(runs, run{i, j})
		i = j
	}
	slices.SortFunc(runs, func(a, b run) int { return strings.Compare(rows[a.from].CustomerID, rows[b.from].CustomerID) })
	out := make([]Row, 0, len(rows))
	for _, r := range runs {
		out = append(out, rows[r.from:r.to]...)
	}
	order := func(a, b Row) int {
		if c := strings.Compare(a.CustomerID, b.CustomerID); c != 0 {
			return c
		}
		return openInvoiceOrder(a, b, age)
	}
	if !slices.IsSortedFunc(out, order) {
		slices.SortFunc(out, order)
	}
	tab.Rows = out
	return nil
}
