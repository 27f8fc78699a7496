package api

import (
	"cmp"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
)

// entityOps is what the API does with every entity's records alike,
// written once per record type from its datasets.Schema.
type entityOps interface {
	entity() datasets.Entity
	// byCustomer calls add with each record's customer and position.
	byCustomer(l *datasets.Ledger, add func(customer string, i int32))
	// gather appends the records at pos of src to dst.
	gather(src, dst *datasets.Ledger, pos []int32)
	// merge sets out's records to base's upserted with deltas' (in order,
	// the later record of an id winning), sorted by id. base is not
	// modified; when no delta has records of the entity, out shares base's.
	merge(base, out *datasets.Ledger, deltas []*datasets.Ledger)
	// sorted reports whether l's records are sorted by id, and sorts them
	// when not.
	sort(l *datasets.Ledger)
	len(l *datasets.Ledger) int
}

type ops[T any] struct{ s *datasets.Schema[T] }

// allEntities lists the operations of every entity, customers first.
func allEntities() []entityOps {
	return []entityOps{
		ops[datasets.Customer]{datasets.CustomersSchema()},
		ops[datasets.Invoice]{datasets.InvoicesSchema()},
		ops[datasets.Payment]{datasets.PaymentsSchema()},
		ops[datasets.CreditNote]{datasets.CreditNotesSchema()},
		ops[datasets.Dispute]{datasets.DisputesSchema()},
		ops[datasets.Action]{datasets.ActionsSchema()},
		ops[datasets.Promise]{datasets.PromisesSchema()},
		ops[datasets.CreditDecision]{datasets.CreditDecisionsSchema()},
		ops[datasets.Financial]{datasets.FinancialsSchema()},
	}
}

func (o ops[T]) entity() datasets.Entity      { return o.s.Entity() }
func (o ops[T]) len(l *datasets.Ledger) int   { return o.s.Len(l) }
func (o ops[T]) cmpID(a, b *T) int            { return cmp.Compare(o.s.ID(a), o.s.ID(b)) }
func (o ops[T]) byID(a, b T) int              { return o.cmpID(&a, &b) }
func (o ops[T]) rows(l *datasets.Ledger) *[]T { return o.s.Rows(l) }
func (o ops[T]) idOf(r *T) string             { return o.s.ID(r) }
func (o ops[T]) customerOf(r *T) string       { return o.s.CustomerID(r) }
func (o ops[T]) gather(src, dst *datasets.Ledger, pos []int32) {
	rows, out := *o.rows(src), o.rows(dst)
	for _, i := range pos {
		*out = append(*out, rows[i])
	}
}

func (o ops[T]) byCustomer(l *datasets.Ledger, add func(string, int32)) {
	rows := *o.rows(l)
	for i := range rows {
		add(o.customerOf(&rows[i]), int32(i))
	}
}

func (o ops[T]) sort(l *datasets.Ledger) {
	rows := *o.rows(l)
	if !slices.IsSortedFunc(rows, o.byID) {
		slices.SortStableFunc(rows, o.byID)
	}
}

func (o ops[T]) merge(base, out *datasets.Ledger, deltas []*datasets.Ledger) {
	old := *o.rows(base)
	var upd []T
	for _, d := range deltas {
		upd = append(upd, *o.rows(d)...)
	}
	if len(upd) == 0 {
		*o.rows(out) = old
		return
	}
	// Keep the last record of each id: a later write replaces an earlier.
	slices.SortStableFunc(upd, o.byID)
	w := 0
	for i := range upd {
		if i+1 < len(upd) && o.idOf(&upd[i]) == o.idOf(&upd[i+1]) {
			continue
		}
		upd[w] = upd[i]
		w++
	}
	upd = upd[:w]
	res := make([]T, 0, len(old)+len(upd))
	i, j := 0, 0
	for i < len(old) && j < len(upd) {
		switch c := o.cmpID(&old[i], &upd[j]); {
		case c < 0:
			res = append(res, old[i])
			i++
		case c > 0:
			res = append(res, upd[j])
			j++
		default:
			res = append(res, upd[j])
			i++
			j++
		}
	}
	res = append(res, old[i:]...)
	res = append(res, upd[j:]...)
	*o.rows(out) = res
}

// mergeLedger returns base upserted with deltas, sharing base's slices of
// the entities the deltas do not touch.
func mergeLedger(base *datasets.Ledger, deltas []*datasets.Ledger) *datasets.Ledger {
	out := &datasets.Ledger{}
	for _, o := range allEntities() {
		o.merge(base, out, deltas)
	}
	return out
}

// sortLedger puts every slice of l in id order (stores load them so; this
// makes sure before merges rely on it).
func sortLedger(l *datasets.Ledger) {
	for _, o := range allEntities() {
		o.sort(l)
	}
}

// customerRecords holds the positions of one customer's records in a
// ledger, per entity (in allEntities order).
type customerRecords [9][]int32

// indexCustomers groups every record's position by customer.
func indexCustomers(l *datasets.Ledger) map[string]*customerRecords {
	out := make(map[string]*customerRecords, len(l.Customers))
	for k, o := range allEntities() {
		o.byCustomer(l, func(c string, i int32) {
			r := out[c]
			if r == nil {
				r = &customerRecords{}
				out[c] = r
			}
			r[k] = append(r[k], i)
		})
	}
	return out
}

// customerLedger gathers the records of the given customers from l.
func customerLedger(l *datasets.Ledger, recs ...*customerRecords) *datasets.Ledger {
	out := &datasets.Ledger{}
	for k, o := range allEntities() {
		for _, r := range recs {
			if r != nil {
				o.gather(l, out, r[k])
			}
		}
	}
	return out
}

// findInvoice returns the invoice with id in l (sorted by id).
func findInvoice(l *datasets.Ledger, id string) (*datasets.Invoice, bool) {
	i, found := slices.BinarySearchFunc(l.Invoices, id, func(v datasets.Invoice, id string) int { return cmp.Compare(v.ID, id) })
	if !found {
		return nil, false
	}
	return &l.Invoices[i], true
}

// findCustomer returns the customer with id in l (sorted by id).
func findCustomer(l *datasets.Ledger, id string) (*datasets.Customer, bool) {
	i, found := slices.BinarySearchFunc(l.Customers, id, func(c datasets.Customer, id string) int { return cmp.Compare(c.ID, id) })
	if !found {
		return nil, false
	}
	return &l.Customers[i], true
}

// findDispute returns the dispute with id in l (sorted by id).
func findDispute(l *datasets.Ledger, id string) (*datasets.Dispute, bool) {
	i, found := slices.BinarySearchFunc(l.Disputes, id, func(d datasets.Dispute, id string) int { return cmp.Compare(d.ID, id) })
	if !found {
		return nil, false
	}
	return &l.Disputes[i], true
}

// outstanding is what invoice v still owes at the end of day t, from the
// payments and credit notes of l linked to it: zero once settled, never
// below zero. It is features.Index's definition; the index keeps its own
// private, so the API computes it for the few invoices a customer has.
func outstanding(l *datasets.Ledger, v *datasets.Invoice, t datasets.Date) datasets.Money {
	if v.SettledDate != 0 && v.SettledDate <= t {
		return 0
	}
	left := v.Amount
	for i := range l.Payments {
		if p := &l.Payments[i]; p.InvoiceID == v.ID && p.CustomerID == v.CustomerID && p.Date <= t {
			left -= p.Amount
		}
	}
	for i := range l.CreditNotes {
		if n := &l.CreditNotes[i]; n.InvoiceID == v.ID && n.Date <= t {
			left -= n.Amount
		}
	}
	return max(left, 0)
}
