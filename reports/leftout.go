package reports

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// leftOutCustomer is a customer whose invoices the report left out for
// want of a rate (forecast.LeaveOutUnconverted's rule, book.unconverted):
// the currencies without a rate, and its invoices open at the report's
// date among those left out, with what they were issued for, in each
// invoice's own currency (there is no rate to add them up in the report's).
type leftOutCustomer struct {
	ID         string
	Currencies []string
	Open       int
	Amounts    map[string]datasets.Money // by currency, the open ones
}

// leftOutCustomers lists, by id, the customers with invoices left out of
// the report for want of a rate: the invoices of the report's ledger the
// kept one lacks. Nil when nothing was left out.
func (b *book) leftOutCustomers() []leftOutCustomer {
	b.leftOutOnce.Do(func() {
		if b.unconverted == nil || b.ledger == nil {
			return
		}
		kept := make(map[string]bool, len(b.ledger.Invoices))
		for i := range b.ledger.Invoices {
			kept[b.ledger.Invoices[i].ID] = true
		}
		cs := datasets.NewAmountCurrencies(b.in.Ledger)
		by := map[string]*leftOutCustomer{}
		for _, v := range b.in.Ledger.Invoices {
			if kept[v.ID] {
				continue
			}
			c := by[v.CustomerID]
			if c == nil {
				c = &leftOutCustomer{ID: v.CustomerID, Amounts: map[string]datasets.Money{}}
				by[v.CustomerID] = c
			}
			cur, _ := cs.Invoice(v.ID)
			if !slices.Contains(c.Currencies, cur) {
				c.Currencies = append(c.Currencies, cur)
			}
			if v.IssueDate <= b.asOf && (v.SettledDate == 0 || v.SettledDate > b.asOf) {
				c.Open++
				c.Amounts[cur] += v.Amount
			}
		}
		for _, c := range by {
			slices.Sort(c.Currencies)
			b.leftOut = append(b.leftOut, *c)
		}
		slices.SortFunc(b.leftOut, func(x, y leftOutCustomer) int { return cmp.Compare(x.ID, y.ID) })
	})
	return b.leftOut
}

// leftOutOf returns customer id's entry of leftOutCustomers (nil: none).
func (b *book) leftOutOf(id string) *leftOutCustomer {
	lo := b.leftOutCustomers()
	if i, ok := slices.BinarySearchFunc(lo, id, func(c leftOutCustomer, id string) int { return cmp.Compare(c.ID, id) }); ok {
		return &lo[i]
	}
	return nil
}

// amounts lists c's open amounts, each in its own currency.
func (c *leftOutCustomer) amounts() string {
	var parts []string
	for _, cur := range slices.Sorted(maps.Keys(c.Amounts)) {
		parts = append(parts, fmtMoney(c.Amounts[cur])+" "+cur)
	}
	if len(parts) == 0 {
		return "none open"
	}
	return strings.Join(parts, ", ")
}

// leftOutTable lists the customers left out for want of a rate, the
// missing rates and their open invoices, for the pages whose figures
// leave them out (the worklist's): a reader sees whom the list does not
// cover, not only a count.
func (s *Site) leftOutTable(p *page, id, caption string) *table {
	b := s.b
	lo := b.leftOutCustomers()
	if len(lo) == 0 {
		return nil
	}
	t := &table{ID: id, Caption: caption, Cols: []col{{Title: "customer"}, {Title: "missing rate"}, {Title: "open invoices", Num: true}, {Title: "open amount (as issued)", Num: true}}}
	for i := range lo {
		c := &lo[i]
		cust := txt(c.ID)
		if cv := b.custByID[c.ID]; cv != nil {
			cust = ln(customerLabel(cv), p.href(customerPath(cv.ID)))
		}
		var rates []string
		for _, cur := range c.Currencies {
			rates = append(rates, fmt.Sprintf("%s to %s", cur, b.unit()))
		}
		t.Rows = append(t.Rows, row{Cells: []cell{cust, txt(strings.Join(rates, ", ")), num(fmtInt(c.Open)), num(c.amounts())}})
	}
	return t
}
