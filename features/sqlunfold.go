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

// readOpenInvoices is the featureReader of the open-invoice queries
// (open_invoices.sql). Their result has one row per customer with open
// invoices, not one per invoice: its columns are tab's (customer_id,
// invoice_id, one per spec, named after it), but invoice_id and the
// invoice's own features (the InvoiceSpecs before the customer's) are
// Strings that pack a list with one item per open invoice (unpackList,
// unpackFloats); the customer's features are single values, as
// readFeatures reads them. Each such row is unfolded here into one row per
// open invoice, the customer's features copied onto each, the customer's
// invoices in the Go engine's order (openInvoiceOrder).
//
// Unfolding on the server sent the customer's features once per open
// invoice: on the 1M-invoice benchmark ledger 175k rows of 130 columns,
// which cost the server and the read more than the unfolding costs here.
func (e *SQLEngine) readOpenInvoices(ctx context.Context, q chsql.Querier, text string, args []any, tab *Table) ([]Row, error) {
	own := len(tab.Specs) - len(e.custNames)
	if tab.Level != "invoice" || own < 0 || !slices.Equal(specNames(tab.Specs[own:]), e.custNames) {
		return nil, errors.New("open invoice features: the table's specs are not the invoice's own, then the customer's")
	}
	nums, cats := split(tab.Specs)
	ownNums, _ := split(tab.Specs[:own])
	age, err := ageColumn(ownNums)
	if err != nil {
		return nil, fmt.Errorf("order the open invoices: %w", err)
	}
	rows, err := q.Query(ctx, text, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if got, want := rows.Columns(), tab.Header(); !slices.Equal(got, want) {
		return nil, fmt.Errorf("query returned columns %v, want %v", got, want)
	}
	var (
		customer, packedIDs string
		packed              = make([]string, own)
		custNum             = make([]float64, len(nums)-len(ownNums))
		custCat             = make([]string, len(cats)-(own-len(ownNums)))
	)
	dest := make([]any, 0, 2+len(tab.Specs))
	dest = append(dest, &customer, &packedIDs)
	for i := range packed {
		dest = append(dest, &packed[i])
	}
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
	var out []Row
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("scan features: %w", err)
		}
		ids, err := unpackList(packedIDs, nil)
		if err != nil {
			return nil, fmt.Errorf("customer %s: invoice_id: %w", customer, err)
		}
		n := len(ids)
		// One allocation per customer for all its invoices' values; each
		// row's slice is capped, so that an append to one cannot reach the
		// next.
		numBuf := make([]float64, n*len(nums))
		catBuf := make([]string, n*len(cats))
		first := len(out)
		for i, id := range ids {
			out = append(out, Row{CustomerID: customer, InvoiceID: id, AsOf: tab.AsOf,
				Num: numBuf[i*len(nums) : (i+1)*len(nums) : (i+1)*len(nums)],
				Cat: catBuf[i*len(cats) : (i+1)*len(cats) : (i+1)*len(cats)]})
		}
		mine := out[first:]
		ni, ci := 0, 0
		var items []string
		for k, s := range tab.Specs[:own] {
			if s.Kind == Numeric {
				if err := unpackFloats(packed[k], mine, ni); err != nil {
					return nil, fmt.Errorf("customer %s: %s: %w", customer, s.Name, err)
				}
				ni++
				continue
			}
			if items, err = unpackList(packed[k], items[:0]); err == nil && len(items) != n {
				err = fmt.Errorf("%d items for %d open invoices", len(items), n)
			}
			if err != nil {
				return nil, fmt.Errorf("customer %s: %s: %w", customer, s.Name, err)
			}
			for i, v := range items {
				mine[i].Cat[ci] = v
			}
			ci++
		}
		for i := range mine {
			copy(mine[i].Num[ni:], custNum)
			copy(mine[i].Cat[ci:], custCat)
		}
		slices.SortFunc(mine, func(a, b Row) int { return openInvoiceOrder(a, b, age) })
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read features: %w", err)
	}
	return out, nil
}

// unpackFloats reads a list of numbers packed by the "packed_floats"
// template of open_invoices.sql (each its 8 bytes, little-endian) into
// feature k of rows, one number per row.
func unpackFloats(packed string, rows []Row, k int) error {
	if len(packed) != 8*len(rows) {
		return fmt.Errorf("%d bytes for %d open invoices, want 8 each", len(packed), len(rows))
	}
	for i := range rows {
		s := packed[8*i : 8*i+8]
		rows[i].Num[k] = math.Float64frombits(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
	}
	return nil
}

// unpackList appends to dst the items of a list packed by the "packed"
// template of open_invoices.sql (each item as its length in bytes, a colon
// and its bytes) and returns it. The items share the packed string's
// memory.
func unpackList(packed string, dst []string) ([]string, error) {
	for s := packed; s != ""; {
		colon := strings.IndexByte(s, ':')
		if colon < 1 {
			return nil, fmt.Errorf("packed list at byte %d: no item length", len(packed)-len(s))
		}
		n, err := strconv.Atoi(s[:colon])
		if err != nil || n < 0 || n > len(s)-colon-1 {
			return nil, fmt.Errorf("packed list at byte %d: item length %q is not within the %d bytes left", len(packed)-len(s), s[:colon], len(s)-colon-1)
		}
		dst = append(dst, s[colon+1:colon+1+n])
		s = s[colon+1+n:]
	}
	return dst, nil
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
