package features

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
)

// Index is a ledger arranged for point-in-time queries: every record of a
// customer together, each list sorted by date. Build it once and query it as
// of many dates; it never changes after NewIndex.
type Index struct {
	customers []*customerIndex
	byID      map[string]*customerIndex
	// disputesKnown is false when the ledger has no dispute records at all
	// (a cleared-items export); the invoices' disputed flag then stands in
	// for the dispute history, but only where it is known (see flagsAsOf).
	disputesKnown bool
	// flagsAsOf is the ledger's last day (datasets.Ledger.LastDay: the
	// latest day any invoice, payment, credit note, dispute or promise
	// gives): the undated disputed flag describes the ledger as exported,
	// which is at least that late, so it is only known as of then. (It was
	// the latest issue or settled date alone: an export whose payments ran
	// three weeks past its last invoice read its flags three weeks early.)
	flagsAsOf datasets.Date
	// paymentsKnown is false when the ledger has no payment records at
	// all: a settled invoice's cash cannot then be told from its credit,
	// and no write-off is implied (datasets.ImpliedWriteOffs).
	paymentsKnown bool
	// impliedErr is why the implied write-offs could not be derived (a sum
	// that overflows a Money); the KPIs fail with it rather than count
	// settled invoices as paid.
	impliedErr error
	// implied counts the implied write-offs and credits the index added.
	implied int
	// noteOnly are the customers known only by an unapplied credit note
	// (customerIndex.unappliedCredits): the KPIs count their notes, the
	// features list no such customer.
	noteOnly []*customerIndex
}

// LedgerFacts are what the index of a part of a ledger cannot tell from
// the part: whether the whole ledger has dispute records, and its last
// day (from which the invoices' undated disputed flag is known:
// FlagsStandIn). Features and KPIs read them; every
// other input is per customer.
//
// PaymentsKnown says whether the whole ledger has payment records: only
// then is a settled invoice that its payments and credit notes do not cover
// read as partly written off (datasets.ImpliedWriteOffs), since settled is
// not paid; a ledger without any payments cannot tell.
type LedgerFacts struct {
	DisputesKnown bool
	FlagsAsOf     datasets.Date
	PaymentsKnown bool
}

// Facts returns the facts of the ledger ix indexes.
func (ix *Index) Facts() LedgerFacts {
	return LedgerFacts{DisputesKnown: ix.disputesKnown, FlagsAsOf: ix.flagsAsOf, PaymentsKnown: ix.paymentsKnown}
}

// ImpliedNotes is how many credit notes the index implied for settled
// invoices that no payment or credit note covers (see
// datasets.ImpliedWriteOffs), a note already in the ledger not counted.
func (ix *Index) ImpliedNotes() int { return ix.implied }

// Parts reads a ledger in parts that each hold whole customers (every record
// of each of its customers, as chstore's LoadPart reads them): it calls fn
// with one part at a time, and with the facts of the whole ledger, which a
// part alone cannot tell. A command over a ledger larger than memory then
// holds one part and what it keeps of each, never the whole ledger. No
// customer may span two parts.
type Parts func(fn func(part *datasets.Ledger, whole LedgerFacts) error) error

// WholeLedger is l read as one part.
func WholeLedger(l *datasets.Ledger) Parts {
	return func(fn func(*datasets.Ledger, LedgerFacts) error) error {
		return fn(l, FactsOf(l))
	}
}

// SettledParts is p with each part carrying the write-offs its settlements
// imply (datasets.Ledger.WithImpliedWriteOffs), when the whole ledger has
// payments: settled is not paid. The implied notes of a customer depend on
// its own records and the credit notes on its invoices only, which its
// part holds, so the parts imply what the whole ledger does. A part that
// already carries them gets nothing more.
func SettledParts(p Parts) Parts {
	return func(fn func(*datasets.Ledger, LedgerFacts) error) error {
		return p(func(part *datasets.Ledger, whole LedgerFacts) error {
			s, _, err := part.WithImpliedWriteOffs(whole.PaymentsKnown)
			if err != nil {
				return fmt.Errorf("settled invoices: %w", err)
			}
			return fn(s, whole)
		})
	}
}

// PartsOf reads l in n parts of whole customers (datasets.Ledger's
// SplitByCustomer) with l's facts, as a store reading parts would: the
// parts code of a command runs on a ledger held in memory.
func PartsOf(l *datasets.Ledger, n int) Parts {
	facts, parts := FactsOf(l), l.SplitByCustomer(n)
	return func(fn func(*datasets.Ledger, LedgerFacts) error) error {
		for _, p := range parts {
			if err := fn(p, facts); err != nil {
				return err
			}
		}
		return nil
	}
}

// FactsOf returns the facts of ledger l without indexing it: what
// NewIndex(l).Facts() returns.
func FactsOf(l *datasets.Ledger) LedgerFacts {
	return LedgerFacts{DisputesKnown: len(l.Disputes) > 0, PaymentsKnown: len(l.Payments) > 0, FlagsAsOf: l.LastDay()}
}

// FlagsStandIn reports whether, on day t, the invoices' disputed flags
// stand in for dispute records without an assumption: the ledger has no
// dispute records and t is its last day or later (the flags are undated:
// known as of the export, which is at least the latest day any record
// gives; an earlier day must not read them).
func (f LedgerFacts) FlagsStandIn(t datasets.Date) bool { return !f.DisputesKnown && t >= f.FlagsAsOf }

// NewPartIndex indexes l, a part of a ledger holding whole customers (every
// record of each, and the credit notes on their invoices: chstore's
// LoadPart), with the whole ledger's facts, so that its features are those
// an index of the whole ledger gives for the same customers.
func NewPartIndex(l *datasets.Ledger, whole LedgerFacts) *Index {
	return newIndex(l, whole)
}

type customerIndex struct {
	c        datasets.Customer
	invoices []datasets.Invoice // by issue date, then id
	// per invoice (same order as invoices): linked payments and credit
	// notes, each sorted by date.
	invPayments [][]datasets.Payment
	invCredits  [][]datasets.CreditNote
	payments    []datasets.Payment // all of the customer's, by date
	// unappliedPays are the payments naming no invoice of the customer
	// (none, or an id it has no invoice of), by date: cash on account,
	// which reduces no invoice (KPIs.UnappliedCash).
	unappliedPays []datasets.Payment
	// unappliedCredits are the customer's credit notes, of any kind, that
	// name no invoice of the ledger (none, or an unknown id), in ledger
	// order: they reduce no invoice (KPIs.UnappliedCredits).
	unappliedCredits []datasets.CreditNote
	disputes         []datasets.Dispute
	actions          []datasets.Action
	promises         []datasets.Promise
	decisions        []datasets.CreditDecision // by date, then id
	// invDisputes maps an invoice position to its disputes.
	invDisputes map[int][]datasets.Dispute
	// follow holds the dated events that can answer a dunning action or
	// keep a promise, by the invoice id they name ("" for those naming
	// none); only ids that an action or a promise names are kept.
	follow map[string]*followUps
}

// followUps are the dated events that follow up an invoice id of one
// customer (or, under "", the customer as a whole): its settlement when it is
// the customer's invoice, the customer's payments linked to it (all of them
// under ""), and the promises made about it (all under ""). Dunning
// outcomes and promise states are derived from them as of t, never taken
// from the recorded outcome or status, which an export writes as seen at
// its own date.
type followUps struct {
	settled  datasets.Date      // 0 unless the id is the customer's settled invoice
	pays     []datasets.Payment // by date, then id
	promised []datasets.Date    // made dates, ascending
}

// answered reports whether an action of day d was answered by the end of
// day t: a payment or the settlement dated in (d, d+days], or a promise made
// in [d, d+days], and none of it after t.
func (f *followUps) answered(d, t datasets.Date, days int) bool {
	if f == nil {
		return false
	}
	hi := min(d.AddDays(days), t)
	if f.settled > d && f.settled <= hi {
		return true
	}
	i, _ := slices.BinarySearchFunc(f.pays, d+1, func(p datasets.Payment, x datasets.Date) int { return cmp.Compare(p.Date, x) })
	if i < len(f.pays) && f.pays[i].Date <= hi {
		return true
	}
	j, _ := slices.BinarySearch(f.promised, d)
	return j < len(f.promised) && f.promised[j] <= hi
}

// kept reports whether a promise made on day made to pay amount by day by
// was kept: the invoice was settled by then, or the payments dated in
// [made, by] add up to the amount (at least a cent). Everything it reads is
// dated ≤ by, so it is known at any t > by.
func (f *followUps) kept(made, by datasets.Date, amount datasets.Money) bool {
	if f == nil {
		return false
	}
	if f.settled != 0 && f.settled <= by {
		return true
	}
	i, _ := slices.BinarySearchFunc(f.pays, made, func(p datasets.Payment, x datasets.Date) int { return cmp.Compare(p.Date, x) })
	paid := datasets.Money(0)
	for ; i < len(f.pays) && f.pays[i].Date <= by; i++ {
		paid += f.pays[i].Amount
	}
	return paid >= max(amount, 1)
}

// NewIndex arranges l for feature computation. Records of customers missing
// from l.Customers get a bare customer, so nothing is dropped. When l has
// payments, a settled invoice that its payments and credit notes do not
// cover gets the credit note datasets.ImpliedWriteOffs derives for the
// remainder: settled is not paid.
func NewIndex(l *datasets.Ledger) *Index {
	return newIndex(l, FactsOf(l))
}

// newIndex indexes l with the facts of the whole ledger it is (a part of).
func newIndex(l *datasets.Ledger, whole LedgerFacts) *Index {
	ix := &Index{byID: make(map[string]*customerIndex, len(l.Customers)),
		disputesKnown: whole.DisputesKnown, flagsAsOf: whole.FlagsAsOf, paymentsKnown: whole.PaymentsKnown}
	get := func(id string) *customerIndex {
		c, ok := ix.byID[id]
		if !ok {
			c = &customerIndex{c: datasets.Customer{ID: id}}
			ix.byID[id] = c
		}
		return c
	}
	for _, c := range l.Customers {
		get(c.ID).c = c
	}
	for _, v := range l.Invoices {
		c := get(v.CustomerID)
		c.invoices = append(c.invoices, v)
	}
	for _, p := range l.Payments {
		c := get(p.CustomerID)
		c.payments = append(c.payments, p)
	}
	for _, d := range l.Disputes {
		get(d.CustomerID).disputes = append(get(d.CustomerID).disputes, d)
	}
	for _, a := range l.Actions {
		c := get(a.CustomerID)
		if a.Type == datasets.ActionWait {
			// A holdout's decision to wait is recorded as an action but
			// contacted no one: the customer is known, the action is no
			// dunning action.
			continue
		}
		c.actions = append(c.actions, a)
	}
	for _, p := range l.Promises {
		get(p.CustomerID).promises = append(get(p.CustomerID).promises, p)
	}
	for _, d := range l.CreditDecisions {
		get(d.CustomerID).decisions = append(get(d.CustomerID).decisions, d)
	}
	credits := map[string][]datasets.CreditNote{}
	for _, n := range l.CreditNotes {
		if n.InvoiceID != "" {
			credits[n.InvoiceID] = append(credits[n.InvoiceID], n)
		}
	}
	ix.fileUnappliedCredits(l)
	// An implied note belongs to its customer's invoice alone (another
	// customer may use the same invoice id), where a ledger's own notes
	// follow the invoice id.
	var implied map[impliedKey]datasets.CreditNote
	if ix.paymentsKnown {
		notes, err := datasets.ImpliedWriteOffs(l)
		ix.impliedErr, ix.implied = err, len(notes)
		implied = make(map[impliedKey]datasets.CreditNote, len(notes))
		for _, n := range notes {
			implied[impliedKey{n.CustomerID, n.InvoiceID}] = n
		}
	}
	for _, c := range ix.byID {
		ix.customers = append(ix.customers, c)
		c.finish(credits, implied)
	}
	slices.SortFunc(ix.customers, func(a, b *customerIndex) int { return cmp.Compare(a.c.ID, b.c.ID) })
	return ix
}

// fileUnappliedCredits files the credit notes of l that name no invoice of
// l (none, or an id no invoice has) under their customer. A note that
// names a known invoice is that invoice's (credits, above), whoever's it
// is; in a part of a ledger such a note sits in its invoice's part
// (datasets.CreditNoteOwner), so a part tells unapplied notes as the whole
// ledger does. A customer known only by such notes is kept apart
// (noteOnly): a bare customer in the index would be listed by the
// customer features.
func (ix *Index) fileUnappliedCredits(l *datasets.Ledger) {
	var known map[string]bool
	apart := map[string]*customerIndex{}
	for _, n := range l.CreditNotes {
		if n.InvoiceID != "" {
			if known == nil {
				known = make(map[string]bool, len(l.Invoices))
				for i := range l.Invoices {
					known[l.Invoices[i].ID] = true
				}
			}
			if known[n.InvoiceID] {
				continue
			}
		}
		c, ok := ix.byID[n.CustomerID]
		if !ok {
			if c, ok = apart[n.CustomerID]; !ok {
				c = &customerIndex{c: datasets.Customer{ID: n.CustomerID}}
				apart[n.CustomerID] = c
				ix.noteOnly = append(ix.noteOnly, c)
			}
		}
		c.unappliedCredits = append(c.unappliedCredits, n)
	}
	slices.SortFunc(ix.noteOnly, func(a, b *customerIndex) int { return cmp.Compare(a.c.ID, b.c.ID) })
}

// impliedKey is a customer's invoice.
type impliedKey struct{ customer, invoice string }

func (c *customerIndex) finish(credits map[string][]datasets.CreditNote, implied map[impliedKey]datasets.CreditNote) {
	slices.SortFunc(c.invoices, func(a, b datasets.Invoice) int {
		return cmp.Or(cmp.Compare(a.IssueDate, b.IssueDate), cmp.Compare(a.ID, b.ID))
	})
	slices.SortFunc(c.payments, func(a, b datasets.Payment) int {
		return cmp.Or(cmp.Compare(a.Date, b.Date), cmp.Compare(a.ID, b.ID))
	})
	slices.SortFunc(c.decisions, func(a, b datasets.CreditDecision) int {
		return cmp.Or(cmp.Compare(a.Date, b.Date), cmp.Compare(a.ID, b.ID))
	})
	pos := make(map[string]int, len(c.invoices))
	for i, v := range c.invoices {
		pos[v.ID] = i
	}
	c.invPayments = make([][]datasets.Payment, len(c.invoices))
	c.invCredits = make([][]datasets.CreditNote, len(c.invoices))
	for _, p := range c.payments {
		if i, ok := pos[p.InvoiceID]; ok && p.InvoiceID != "" {
			c.invPayments[i] = append(c.invPayments[i], p)
		} else {
			c.unappliedPays = append(c.unappliedPays, p)
		}
	}
	for i, v := range c.invoices {
		c.invCredits[i] = credits[v.ID]
		if n, ok := implied[impliedKey{c.c.ID, v.ID}]; ok && v.SettledDate == n.Date {
			c.invCredits[i] = append(slices.Clip(c.invCredits[i]), n)
		}
	}
	c.invDisputes = map[int][]datasets.Dispute{}
	for _, d := range c.disputes {
		if i, ok := pos[d.InvoiceID]; ok {
			c.invDisputes[i] = append(c.invDisputes[i], d)
		}
	}
	c.follow = map[string]*followUps{}
	for _, a := range c.actions {
		c.follow[a.InvoiceID] = &followUps{}
	}
	for _, p := range c.promises {
		c.follow[p.InvoiceID] = &followUps{}
	}
	if len(c.follow) == 0 {
		return
	}
	for id, f := range c.follow {
		if i, ok := pos[id]; ok && id != "" {
			f.settled = c.invoices[i].SettledDate
		}
	}
	for _, p := range c.payments { // by date, then id
		if f := c.follow[p.InvoiceID]; f != nil && p.InvoiceID != "" {
			f.pays = append(f.pays, p)
		}
		if f := c.follow[""]; f != nil {
			f.pays = append(f.pays, p)
		}
	}
	for _, p := range c.promises {
		if p.Made == 0 {
			continue
		}
		if f := c.follow[p.InvoiceID]; p.InvoiceID != "" {
			f.promised = append(f.promised, p.Made)
		}
		if f := c.follow[""]; f != nil {
			f.promised = append(f.promised, p.Made)
		}
	}
	for _, f := range c.follow {
		slices.Sort(f.promised)
	}
}

// outstanding is what is still owed on invoice i at the end of day t: zero
// once it is settled, else its amount less the payments and credit notes
// linked to it by then, never below zero. Only defined for issued invoices.
func (c *customerIndex) outstanding(i int, t datasets.Date) datasets.Money {
	if v := &c.invoices[i]; v.SettledDate != 0 && v.SettledDate <= t {
		return 0
	}
	return c.owedBy(i, t)
}

// owedBy is invoice i's amount less the payments and credit notes linked
// to it by the end of day t, never below zero, whether or not it is
// settled by then.
func (c *customerIndex) owedBy(i int, t datasets.Date) datasets.Money { return c.owedWith(i, t, 0) }

// owedWith is owedBy with back added to the amount before the records are
// taken off: what a discount and a credit note of one amount covered
// twice (the KPIs' coverOverlap).
func (c *customerIndex) owedWith(i int, t datasets.Date, back datasets.Money) datasets.Money {
	v := &c.invoices[i]
	left := v.Amount + back
	for _, p := range c.invPayments[i] {
		if p.Date <= t {
			left -= p.Amount
		}
	}
	for _, n := range c.invCredits[i] {
		if n.Date <= t {
			left -= n.Amount
		}
	}
	return max(left, 0)
}

// disputedAt reports whether invoice i has a dispute open at the end of day
// t. Without dispute records the invoice's disputed flag stands in, but it
// carries no date: it is known only as of the ledger's own date (flagsAsOf,
// when scoring today's open book), or, when the user states that disputes
// open openedAfter days after issue (≥ 0), from then on.
func (ix *Index) disputedAt(c *customerIndex, i int, t datasets.Date, openedAfter *int) bool {
	if !ix.disputesKnown {
		v := &c.invoices[i]
		return v.Disputed && (ix.Facts().FlagsStandIn(t) || (openedAfter != nil && t >= v.IssueDate.AddDays(*openedAfter)))
	}
	for _, d := range c.invDisputes[i] {
		if d.Opened <= t && (d.Resolved == 0 || d.Resolved > t) {
			return true
		}
	}
	return false
}

// DisputeFlags reports whether the invoices' disputed flag stands in for
// dispute records (the ledger has none, and some invoice carries the
// flag: a ledger with neither has nothing to assume, and a trial's
// training summary named an assumption about a column its file did not
// have), and the date from which the flag is known without an
// assumption: the latest issue or settled date of any invoice.
func (ix *Index) DisputeFlags() (used bool, knownFrom datasets.Date) {
	if ix.disputesKnown {
		return false, ix.flagsAsOf
	}
	for _, c := range ix.byID {
		for i := range c.invoices {
			if c.invoices[i].Disputed {
				return true, ix.flagsAsOf
			}
		}
	}
	return false, ix.flagsAsOf
}

// creditLimitAt is the limit in force at the end of day t: the newest
// decision by then; before the first decision, that decision's old limit;
// with no decisions, the customer master's limit.
func (c *customerIndex) creditLimitAt(t datasets.Date) datasets.Money {
	limit := c.c.CreditLimit
	for i, d := range c.decisions {
		if d.Date > t {
			if i == 0 {
				limit = d.OldLimit
			}
			break
		}
		limit = d.NewLimit
	}
	return limit
}

// OpenDisputes returns the customer's disputes open at the end of day t
// (opened by t, not resolved by t), oldest first; when invoiceID is not
// empty, only that invoice's. Reason codes quote them ("open dispute since
// 12 March"), so only what was known at t is returned.
func (ix *Index) OpenDisputes(customerID, invoiceID string, t datasets.Date) []datasets.Dispute {
	if ix == nil {
		return nil
	}
	c, ok := ix.byID[customerID]
	if !ok {
		return nil
	}
	var out []datasets.Dispute
	for _, d := range c.disputes {
		if d.Opened <= t && (invoiceID == "" || d.InvoiceID == invoiceID) && (d.Resolved == 0 || d.Resolved > t) {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b datasets.Dispute) int {
		return cmp.Or(cmp.Compare(a.Opened, b.Opened), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// InvoicesIssued counts the invoices issued in [from, to].
func (ix *Index) InvoicesIssued(from, to datasets.Date) int {
	n := 0
	for _, c := range ix.customers {
		for i := range c.invoices {
			if d := c.invoices[i].IssueDate; d >= from && d <= to {
				n++
			}
		}
	}
	return n
}

// Balance is an open invoice's amount and what is still owed on it, in
// the currency of the ledger the index was built on (converted, when it
// was).
type Balance struct {
	Amount, Outstanding datasets.Money
	Currency            string
}

// OpenBalances returns, by invoice id, the balance at the end of day t of
// every invoice open then (issued by t, something still owed): the
// invoices Engine.OpenInvoices describes.
func (ix *Index) OpenBalances(t datasets.Date) map[string]Balance {
	out := map[string]Balance{}
	for _, c := range ix.customers {
		for i := range c.invoices {
			v := &c.invoices[i]
			if v.IssueDate > t {
				break
			}
			if left := c.outstanding(i, t); left > 0 {
				out[v.ID] = Balance{Amount: v.Amount, Outstanding: left, Currency: v.Currency}
			}
		}
	}
	return out
}
