package recommender

import (
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// responseWindowDays is how soon after a contact a payment counts as its
// response in a customer's history ("pays within 5 days of a call").
const responseWindowDays = 14

// historyDays is the look-back of a customer's payment history.
const historyDays = 365

// Book is the receivables ledger as known on the morning of Day: only
// records dated Day−1 or earlier count, so a Book of a past day is what a
// credit manager saw that morning. Amounts are kept in each invoice's
// currency and, as Value, in the scenario file's currency.
type Book struct {
	Day      datasets.Date
	Currency string
	Accounts []*Account // customers with at least one open invoice, by id
	// Randomised counts the actions chosen at random with a recorded
	// propensity; Contacts all contacts (actions other than waits).
	Randomised, Contacts int
	byID                 map[string]*Account
	// profiles counts customers per payment profile and, of them, those
	// in default: the base of the default hazard (see hazard).
	profiles map[string][2]int
}

// hazard is the estimated daily default hazard of a customer of the
// profile: the share of the ledger's customers of that profile who are in
// default, spread over a year, with half a default of prior so that a
// profile without defaults is not deemed safe for ever.
func (b *Book) hazard(profile string) float64 {
	n := b.profiles[profile]
	return (float64(n[1]) + 0.5) / (float64(n[0]) + 1) / 365
}

// Account is one customer's open book and history.
type Account struct {
	Customer datasets.Customer
	Open     []*Item // open invoices, oldest due date first
	// LastContact is the day of the latest contact (not a wait), zero when
	// none; LastContactType its type.
	LastContact     datasets.Date
	LastContactType string
	// Defaulted: a write-off or a credit decision for default is on record.
	Defaulted bool
	// PromisedUntil is the latest promised date of an open customer-level
	// promise (one without an invoice), zero when none.
	PromisedUntil datasets.Date
	History       History
	// Risk is the payment model's view, when the worklist was given one.
	Risk *CustomerRisk
	// CreditLimit is the credit limit in force on the book's day (the
	// latest credit decision known by then, else the limit the first
	// later decision replaced, else the master's), in the book's
	// currency; zero when none is recorded (blank, or a customer the
	// importer derived from invoices).
	CreditLimit datasets.Money
	// CreditHoldDay is the day of the latest customer-level credit hold
	// (a credit_hold action naming no invoice), zero when none.
	CreditHoldDay datasets.Date
}

// Exposure is what the account owes on its open invoices, due or not, in
// the book's currency.
func (a *Account) Exposure() datasets.Money {
	var s datasets.Money
	for _, it := range a.Open {
		s += it.Value
	}
	return s
}

// Item is an open invoice on the book's day.
type Item struct {
	Invoice     datasets.Invoice
	Outstanding datasets.Money // in the invoice's currency
	Value       datasets.Money // outstanding in the book's currency
	DPD         int            // days past due on the book's day (negative before due)
	Disputed    bool           // a dispute is open
	DisputeOpen datasets.Date
	// DisputeFlag says the dispute is the invoice's disputed flag (a
	// ledger without dispute records), which carries no opening date.
	DisputeFlag bool
	// PromisedUntil is the latest promised date of a promise on the invoice
	// not known to be broken, zero when none.
	PromisedUntil datasets.Date
	// LastDecision is the latest action or wait on the invoice, zero when
	// none: a scenario step whose day is on or before it is handled.
	LastDecision datasets.Date
	Attempts     map[string]int // contacts by type
}

// History is what a customer's last 365 days say about its payments.
type History struct {
	Settled, Late  int     // invoices settled, and of them after their due date
	DaysLate       []int   // days late of each settled invoice (0 when on time), sorted
	Issued         int     // invoices issued
	IssuedValue    float64 // their amount in the book's currency (units)
	DaysSinceFirst int     // days since the first invoice or the relationship's start
	// Responses per contact type, oldest first: days from the contact to
	// the invoice's payment, or -1 when it was not paid within
	// responseWindowDays.
	Responses map[string][]int
}

// LateShare is the share of settled invoices paid late; ok is false when
// none was settled.
func (h *History) LateShare() (float64, bool) {
	if h.Settled == 0 {
		return 0, false
	}
	return float64(h.Late) / float64(h.Settled), true
}

// MedianDaysLate is the median days late of the settled invoices.
func (h *History) MedianDaysLate() int {
	if len(h.DaysLate) == 0 {
		return 0
	}
	return h.DaysLate[len(h.DaysLate)/2]
}

// MeanInvoice is the mean invoice in the book's currency (units), zero
// when none was issued.
func (h *History) MeanInvoice() float64 {
	if h.Issued == 0 {
		return 0
	}
	return h.IssuedValue / float64(h.Issued)
}

// Profile is the customer's payment profile (ProfileNew, ...).
func (h *History) Profile() string {
	share, ok := h.LateShare()
	switch {
	case !ok || h.Settled < 3:
		return ProfileNew
	case share <= 0.2:
		return ProfilePrompt
	case h.MedianDaysLate() <= 5:
		return ProfileErratic
	}
	return ProfileLate
}

// Overdue is the account's overdue total in the book's currency.
func (a *Account) Overdue() datasets.Money {
	var s datasets.Money
	for _, it := range a.Open {
		if it.DPD > 0 {
			s += it.Value
		}
	}
	return s
}

// overdueItems lists the account's overdue invoices, those Overdue adds.
func (a *Account) overdueItems() []*Item {
	var out []*Item
	for _, it := range a.Open {
		if it.DPD > 0 {
			out = append(out, it)
		}
	}
	return out
}

// Account returns a customer's account, nil when it has nothing open.
func (b *Book) Account(customerID string) *Account { return b.byID[customerID] }

// NewBook builds the book of day from a ledger. fx converts amounts to
// currency; it may be empty when every amount is in currency already (an
// amount in another currency without a rate is an error naming it).
func NewBook(l *datasets.Ledger, day datasets.Date, currency string, fx datasets.FX) (*Book, error) {
	ix := &ledgerIndex{}
	ix.sync(l)
	return ix.book(day, newConverter(currency, fx))
}

// book builds the book of day from an index synced with its ledger.
func (ix *ledgerIndex) book(day datasets.Date, conv *converter) (*Book, error) {
	b := ix.accounts(day, conv)
	if err := conv.err(); err != nil {
		return nil, err
	}
	return b, nil
}

// accounts builds the book of day from an index synced with its ledger,
// counting in conv the amounts it found no rate for.
func (ix *ledgerIndex) accounts(day datasets.Date, conv *converter) *Book {
	b := &Book{Day: day, Currency: conv.currency, byID: map[string]*Account{}, profiles: map[string][2]int{}}
	// Accounts are independent: build them on every core, each worker
	// with its own converter (they cache rates and count what is missing).
	type built struct {
		acc                  *Account
		randomised, contacts int
	}
	out := make([]built, len(ix.customers))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(ix.customers)/256))
	convs := make([]*converter, workers)
	var wg sync.WaitGroup
	for w := range workers {
		convs[w] = newConverter(conv.currency, conv.fx)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(ix.customers); i += workers {
				acc, r, c := ix.customers[i].account(ix.l, ix.facts, day, convs[w])
				out[i] = built{acc, r, c}
			}
		}()
	}
	wg.Wait()
	for _, c := range convs {
		for cur, n := range c.missing {
			conv.missing[cur] += n
		}
	}
	for _, o := range out {
		acc := o.acc
		b.Randomised += o.randomised
		b.Contacts += o.contacts
		if acc.History.Issued > 0 || acc.Defaulted {
			n := b.profiles[acc.History.Profile()]
			n[0]++
			if acc.Defaulted {
				n[1]++
			}
			b.profiles[acc.History.Profile()] = n
		}
		if len(acc.Open) > 0 {
			b.Accounts = append(b.Accounts, acc)
			b.byID[acc.Customer.ID] = acc
		}
	}
	return b
}

// merge adds the book of other customers, of the same day and currency, to
// b. Accounts are left in the order added: sort them by id after the last.
func (b *Book) merge(o *Book) {
	b.Accounts = append(b.Accounts, o.Accounts...)
	for id, acc := range o.byID {
		b.byID[id] = acc
	}
	for p, n := range o.profiles {
		m := b.profiles[p]
		b.profiles[p] = [2]int{m[0] + n[0], m[1] + n[1]}
	}
	b.Randomised += o.Randomised
	b.Contacts += o.Contacts
}

// converter turns amounts into the book's currency at one rate each.
type converter struct {
	currency string
	fx       datasets.FX
	rates    map[string]float64
	missing  map[string]int
}

func newConverter(currency string, fx datasets.FX) *converter {
	return &converter{currency: currency, fx: fx, rates: map[string]float64{}, missing: map[string]int{}}
}

func (c *converter) value(m datasets.Money, cur string) datasets.Money {
	if cur == "" || cur == c.currency {
		return m
	}
	r, ok := c.rates[cur]
	if !ok {
		rate, found := c.fx.Rate(cur)
		if !found || c.fx.To != c.currency {
			c.missing[cur]++
			return m
		}
		r = float64(rate) / 1e9
		c.rates[cur] = r
	}
	return datasets.Money(float64(m)*r + 0.5)
}

func (c *converter) err() error {
	if len(c.missing) == 0 {
		return nil
	}
	// Typed, so that a server can tell its own missing rates (a 503 to
	// its operator) from a bad request.
	return fmt.Errorf("%w: %w: pass the rates (--fx)", ErrInput, &datasets.MissingRatesError{To: c.currency, Amounts: maps.Clone(c.missing)})
}

// account is the customer's account on the morning of day, with the number
// of randomised actions and of contacts known by then.
func (c *custRecords) account(l *datasets.Ledger, facts features.LedgerFacts, day datasets.Date, conv *converter) (acc *Account, randomised, contacts int) {
	known := day - 1
	acc = &Account{Customer: datasets.Customer{ID: c.id}}
	if c.master >= 0 {
		acc.Customer = l.Customers[c.master]
	}
	h := &acc.History
	n := len(c.invoices)
	// Per invoice of the customer: its open item, or when it was paid.
	items := make([]*Item, n)
	settled := make([]datasets.Date, n)
	// An invoice settled mostly by write-off is no payment; one short-paid
	// by a cash discount (an implied write-off of a few per cent) is.
	var writeOffs [][]datasets.CreditNote
	for _, cn := range c.creditNotes {
		r := &l.CreditNotes[cn.rec]
		if r.Kind != datasets.KindWriteOff || r.Date > known {
			continue
		}
		if r.RecordsDefault() {
			acc.Defaulted = true
		}
		if cn.inv >= 0 {
			if writeOffs == nil {
				writeOffs = make([][]datasets.CreditNote, n)
			}
			writeOffs[cn.inv] = append(writeOffs[cn.inv], *r)
		}
	}
	written := make([]bool, n)
	for pos, notes := range writeOffs {
		written[pos] = len(notes) > 0 && l.Invoices[c.invoices[pos]].MostlyWrittenOff(notes)
	}
	// The limit in force on the day, read as the credit workflow and the
	// features read a past day's (datasets.CreditLimitAt).
	own := make([]datasets.CreditDecision, 0, len(c.decisions))
	for _, d := range c.decisions {
		r := &l.CreditDecisions[d]
		if r.Date <= known && r.RecordsDefault() {
			acc.Defaulted = true
		}
		own = append(own, *r)
	}
	limit, blank := datasets.CreditLimitAt(&acc.Customer, own, known)
	if !blank && limit > 0 {
		cur := acc.Customer.Currency
		if cur == "" && len(c.invoices) > 0 {
			cur = l.Invoices[c.invoices[0]].Currency
		}
		acc.CreditLimit = conv.value(limit, cur)
	}
	since := acc.Customer.Since
	for pos, idx := range c.invoices {
		inv := &l.Invoices[idx]
		if inv.IssueDate > known {
			continue
		}
		if since.IsZero() || inv.IssueDate < since {
			since = inv.IssueDate
		}
		if inv.IssueDate > known-historyDays {
			h.Issued++
			h.IssuedValue += conv.value(inv.Amount, inv.Currency).Float()
		}
		if !inv.SettledDate.IsZero() && inv.SettledDate <= known {
			if written[pos] {
				continue
			}
			settled[pos] = inv.SettledDate
			if inv.SettledDate > known-historyDays {
				h.Settled++
				late := max(0, int(inv.SettledDate-inv.DueDate))
				if late > 0 {
					h.Late++
				}
				h.DaysLate = append(h.DaysLate, late)
			}
			continue
		}
		items[pos] = &Item{Invoice: *inv, Outstanding: inv.Amount, DPD: int(day - inv.DueDate)}
	}
	slices.Sort(h.DaysLate)
	if !since.IsZero() && since <= known {
		h.DaysSinceFirst = int(known - since)
	}
	for _, p := range c.payments {
		if p.inv >= 0 && items[p.inv] != nil && l.Payments[p.rec].Date <= known {
			items[p.inv].Outstanding -= l.Payments[p.rec].Amount
		}
	}
	for _, cn := range c.creditNotes {
		if cn.inv >= 0 && items[cn.inv] != nil && l.CreditNotes[cn.rec].Date <= known {
			items[cn.inv].Outstanding -= l.CreditNotes[cn.rec].Amount
		}
	}
	for _, dl := range c.disputes {
		d := &l.Disputes[dl.rec]
		if it := itemAt(items, dl.inv); it != nil && d.Opened <= known && (d.Resolved.IsZero() || d.Resolved > known) {
			it.Disputed = true
			if it.DisputeOpen.IsZero() || d.Opened < it.DisputeOpen {
				it.DisputeOpen = d.Opened
			}
		}
	}
	if facts.FlagsStandIn(known) {
		// An ERP's "disputed" flag on the invoice, undated: known as of
		// the export, so on the worklist of its day (a trial's worklist
		// called about invoices its ERP marked Litigio), never on a past
		// day's, which would read today's disputes into history.
		for _, it := range items {
			if it != nil && it.Invoice.Disputed {
				it.Disputed, it.DisputeFlag = true, true
			}
		}
	}
	for _, al := range c.actions {
		a := &l.Actions[al.rec]
		if a.Date > known {
			break // by date
		}
		wait := a.Type == ActionWait
		if !wait && a.Type != ActionCreditHold {
			contacts++
		}
		if a.Propensity > 0 && a.Propensity < 1 {
			randomised++
		}
		if it := itemAt(items, al.inv); it != nil {
			it.LastDecision = max(it.LastDecision, a.Date)
			if !wait {
				if it.Attempts == nil {
					it.Attempts = map[string]int{}
				}
				it.Attempts[a.Type]++
			}
		}
		if a.Type == ActionCreditHold && al.inv < 0 {
			acc.CreditHoldDay = max(acc.CreditHoldDay, a.Date)
		}
		if wait || a.Type == ActionCreditHold {
			continue
		}
		if a.Date >= acc.LastContact {
			acc.LastContact, acc.LastContactType = a.Date, a.Type
		}
		if al.inv < 0 || a.Date <= known-historyDays {
			continue
		}
		s := settled[al.inv]
		days := -1
		switch {
		case s != 0 && s > a.Date && s <= a.Date.AddDays(responseWindowDays):
			days = int(s - a.Date)
		case a.Date.AddDays(responseWindowDays) > known:
			continue // too recent to tell
		}
		if h.Responses == nil {
			h.Responses = map[string][]int{}
		}
		h.Responses[a.Type] = append(h.Responses[a.Type], days)
	}
	for _, pl := range c.promises {
		p := &l.Promises[pl.rec]
		if p.Made > known || (p.Status == datasets.PromiseBroken && p.PromisedDate < day) {
			continue
		}
		if it := itemAt(items, pl.inv); it != nil {
			it.PromisedUntil = max(it.PromisedUntil, p.PromisedDate)
		} else if p.InvoiceID == "" {
			acc.PromisedUntil = max(acc.PromisedUntil, p.PromisedDate)
		}
	}
	for _, it := range items {
		if it == nil || it.Outstanding <= 0 {
			continue
		}
		it.Value = conv.value(it.Outstanding, it.Invoice.Currency)
		acc.Open = append(acc.Open, it)
	}
	slices.SortFunc(acc.Open, func(x, y *Item) int {
		if x.Invoice.DueDate != y.Invoice.DueDate {
			return int(x.Invoice.DueDate - y.Invoice.DueDate)
		}
		return strings.Compare(x.Invoice.ID, y.Invoice.ID)
	})
	if acc.Customer.Country == "" && len(acc.Open) > 0 {
		acc.Customer.Country = acc.Open[0].Invoice.Country
	}
	if acc.Customer.Segment == "" && len(acc.Open) > 0 {
		acc.Customer.Segment = acc.Open[0].Invoice.Segment
	}
	return acc, randomised, contacts
}

func itemAt(items []*Item, pos int32) *Item {
	if pos < 0 {
		return nil
	}
	return items[pos]
}
