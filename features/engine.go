// Package features computes point-in-time payment-behaviour features per
// customer and per invoice, and the receivables KPIs. A feature as of date t
// uses only what was known at the end of day t; tests prove that events
// after t change nothing. The same definitions run as ClickHouse SQL (see
// SQLEngine) so that large ledgers never leave the database; tests hold the
// two engines equal.
//
// The KPIs (KPIs, ComputeKPIs) report two balances: gross receivables, the
// open invoices' balances, and what the customers hold on account (payments
// and credit notes on no invoice, and what overpaid invoices leave); net
// receivables is the first less the second. DSO, the aging and the other
// ratios use the gross receivables, as their definitions do: they measure
// how long invoices stay open, and money on account is no invoice paid.
package features

import (
	"math"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
)

// Table is a feature matrix: one Row per entity, values in Specs order
// (numeric values in Num, categorical in Cat, each in spec order).
type Table struct {
	Level string // customer or invoice
	AsOf  datasets.Date
	Specs []Spec
	Rows  []Row
}

// Row is one entity's features. InvoiceID is empty at customer level.
type Row struct {
	CustomerID string
	InvoiceID  string
	AsOf       datasets.Date
	Num        []float64
	Cat        []string
}

// DropNotStarted removes, at customer level, the customers whose
// relationship had not started at t: tenure_days is missing (no start
// date ≤ t and no invoice issued ≤ t), so every feature of theirs is
// empty or zero. The engines list every customer of the store at every t,
// as training wants the same rows at each snapshot; someone reading the
// features as of t does not expect a customer that did not exist yet,
// least of all one the importer derived from a later invoice. It returns
// how many rows it dropped; a table without tenure_days is left alone.
func (t *Table) DropNotStarted() int {
	if t.Level != "customer" {
		return 0
	}
	k := -1 // tenure_days's place among the numeric values
	for i, n := 0, 0; i < len(t.Specs) && k < 0; i++ {
		switch {
		case t.Specs[i].Kind == Categorical:
		case t.Specs[i].Name == "tenure_days":
			k = n
		default:
			n++
		}
	}
	if k < 0 {
		return 0
	}
	n := len(t.Rows)
	t.Rows = slices.DeleteFunc(t.Rows, func(r Row) bool { return k < len(r.Num) && math.IsNaN(r.Num[k]) })
	return n - len(t.Rows)
}

// Engine computes features over an Index in Go.
type Engine struct {
	ix   *Index
	opts Options
}

// NewEngine returns an engine over ix.
func NewEngine(ix *Index, o Options) *Engine {
	return &Engine{ix: ix, opts: o.WithDefaults()}
}

// Options returns the engine's options with defaults filled.
func (e *Engine) Options() Options { return e.opts }

func split(specs []Spec) (nums, cats []Spec) {
	for _, s := range specs {
		if s.Kind == Numeric {
			nums = append(nums, s)
		} else {
			cats = append(cats, s)
		}
	}
	return nums, cats
}

func fill(specs []Spec, s *custStats, iv *invoiceCtx) ([]float64, []string) {
	var num []float64
	var cat []string
	for _, sp := range specs {
		if sp.Kind == Numeric {
			v := sp.num(s, iv)
			if math.IsInf(v, 0) {
				v = math.NaN()
			}
			num = append(num, v)
		} else {
			cat = append(cat, sp.cat(s, iv))
		}
	}
	return num, cat
}

// Customers returns the features of every customer known at t (a customer
// whose first invoice is after t and whose master record starts after t
// still gets a row: the model sees "no history"). ids, when given, restricts
// the rows to those customers.
func (e *Engine) Customers(t datasets.Date, ids ...string) *Table {
	specs := CustomerSpecs(e.opts)
	tab := &Table{Level: "customer", AsOf: t, Specs: specs}
	for _, c := range e.pick(ids) {
		s := computeCustomer(e.ix, c, t, e.opts)
		n, k := fill(specs, s, nil)
		tab.Rows = append(tab.Rows, Row{CustomerID: c.c.ID, AsOf: t, Num: n, Cat: k})
	}
	return tab
}

func (e *Engine) pick(ids []string) []*customerIndex {
	if len(ids) == 0 {
		return e.ix.customers
	}
	var out []*customerIndex
	for _, id := range ids {
		if c, ok := e.ix.byID[id]; ok {
			out = append(out, c)
		}
	}
	return out
}

// OpenInvoices returns the features of every invoice open at the end of day
// t (issued ≤ t, outstanding > 0), ordered by customer, issue date and id.
func (e *Engine) OpenInvoices(t datasets.Date, ids ...string) *Table {
	specs := InvoiceSpecs(e.opts)
	tab := &Table{Level: "invoice", AsOf: t, Specs: specs}
	for _, c := range e.pick(ids) {
		var s *custStats
		for i := range c.invoices {
			v := &c.invoices[i]
			if v.IssueDate > t {
				break
			}
			left := c.outstanding(i, t)
			if left <= 0 {
				continue
			}
			if s == nil {
				s = computeCustomer(e.ix, c, t, e.opts)
			}
			iv := &invoiceCtx{pos: i, v: v, open: left, disputed: e.ix.disputedAt(c, i, t, e.opts.DisputeOpenedAfterDays)}
			n, k := fill(specs, s, iv)
			tab.Rows = append(tab.Rows, Row{CustomerID: c.c.ID, InvoiceID: v.ID, AsOf: t, Num: n, Cat: k})
		}
	}
	return tab
}

// InvoiceAt returns the features of invoice (customer, position) as of t;
// used by training sets, which describe each invoice at chosen dates.
func (e *Engine) invoiceAt(c *customerIndex, i int, t datasets.Date, specs []Spec, cache map[datasets.Date]*custStats) Row {
	s, ok := cache[t]
	if !ok {
		s = computeCustomer(e.ix, c, t, e.opts)
		cache[t] = s
	}
	v := &c.invoices[i]
	iv := &invoiceCtx{pos: i, v: v, open: c.outstanding(i, t), disputed: e.ix.disputedAt(c, i, t, e.opts.DisputeOpenedAfterDays)}
	n, k := fill(specs, s, iv)
	return Row{CustomerID: c.c.ID, InvoiceID: v.ID, AsOf: t, Num: n, Cat: k}
}
