package recommender

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// Rules that can block a contact, as the worklist names them.
const (
	RuleDispute       = "dispute"        // open dispute: routed to dispute handling
	RulePromise       = "promise"        // open promise to pay, until its date plus grace
	RuleHold          = "hold"           // manual hold on the customer or invoice
	RuleDefault       = "default"        // the customer is in default: legal, not dunning
	RuleQuietDay      = "quiet_day"      // weekend or public holiday in the customer's country
	RuleContactCap    = "contact_cap"    // contacted less than the interval ago
	RuleCapacity      = "capacity"       // the channel's or collector's capacity is used up
	RuleBudget        = "budget"         // the day's contact budget is used up
	RuleMinEscalation = "min_escalation" // overdue total below the escalation minimum
	RuleAfter         = "after"          // the type needs an earlier one first (a final notice before the agency)
)

// Blocked is a rule that kept something from being done.
type Blocked struct {
	Rule      string `json:"rule"`
	InvoiceID string `json:"invoice_id,omitempty"`
	Action    string `json:"action,omitempty"`
	Detail    string `json:"detail"`
}

// assessment is what the rules allow for one account on the book's day.
type assessment struct {
	acc      *Account
	scenario *Scenario
	risk     string
	profile  string
	overdue  datasets.Money
	eligible []*Item
	blocked  []Blocked // invoice-level and type-level blocks
	// stop is the account-level block (quiet day, contact cap, default,
	// hold), empty when the customer may be contacted today.
	stop Blocked
	// moveTo is the next working day when today is quiet.
	moveTo datasets.Date
}

// assess applies the global rules to an account.
func (s *Scenarios) assess(b *Book, acc *Account) *assessment {
	a := &assessment{acc: acc, overdue: acc.Overdue(), profile: acc.History.Profile()}
	share, ok := acc.History.LateShare()
	if !ok {
		share = 0.5
	}
	if acc.Risk != nil {
		share = acc.Risk.PLate // the payment model's, when one was given
	}
	a.risk = s.RiskClass(share)
	a.scenario = s.For(acc.Customer.Segment, a.risk, a.profile)
	r := &s.Rules
	day := b.Day
	country := acc.Customer.Country
	if country == "" && len(acc.Open) > 0 {
		country = acc.Open[0].Invoice.Country
	}
	switch {
	case acc.Defaulted:
		a.stop = Blocked{Rule: RuleDefault, Detail: "the customer is in default (write-off or default decision on record): legal collection, not dunning"}
	case r.HoldCustomers[acc.Customer.ID]:
		a.stop = Blocked{Rule: RuleHold, Detail: "the customer is on a manual hold"}
	case acc.PromisedUntil != 0 && acc.PromisedUntil.AddDays(r.PromiseGraceDays) >= day:
		a.stop = Blocked{Rule: RulePromise, Detail: fmt.Sprintf("promised to pay by %s; waiting until %s",
			acc.PromisedUntil, acc.PromisedUntil.AddDays(r.PromiseGraceDays))}
	case acc.LastContact != 0 && r.ContactIntervalDays > 0 && acc.LastContact.AddDays(r.ContactIntervalDays) > day:
		a.stop = Blocked{Rule: RuleContactCap, Detail: fmt.Sprintf("contacted on %s (%s); one contact per %s",
			acc.LastContact, acc.LastContactType, Plural(r.ContactIntervalDays, "day"))}
	case r.Quiet(country, day):
		a.moveTo = r.NextWorkingDay(country, day)
		a.stop = Blocked{Rule: RuleQuietDay, Detail: fmt.Sprintf("%s is a quiet day in %s; next working day %s", day, country, a.moveTo)}
	}
	for _, it := range acc.Open {
		switch {
		case it.Disputed && it.DisputeFlag:
			a.blocked = append(a.blocked, Blocked{Rule: RuleDispute, InvoiceID: it.Invoice.ID,
				Detail: "marked disputed in the ledger (the invoice's flag; no dispute records): routed to dispute handling"})
		case it.Disputed:
			a.blocked = append(a.blocked, Blocked{Rule: RuleDispute, InvoiceID: it.Invoice.ID,
				Detail: fmt.Sprintf("open dispute since %s: routed to dispute handling", it.DisputeOpen)})
		case r.HoldInvoices[it.Invoice.ID]:
			a.blocked = append(a.blocked, Blocked{Rule: RuleHold, InvoiceID: it.Invoice.ID, Detail: "the invoice is on a manual hold"})
		case it.PromisedUntil != 0 && it.PromisedUntil.AddDays(r.PromiseGraceDays) >= day:
			a.blocked = append(a.blocked, Blocked{Rule: RulePromise, InvoiceID: it.Invoice.ID,
				Detail: fmt.Sprintf("promised for %s; waiting until %s", it.PromisedUntil, it.PromisedUntil.AddDays(r.PromiseGraceDays))})
		default:
			a.eligible = append(a.eligible, it)
		}
	}
	return a
}

// hazard is the customer's daily default hazard: from the payment model's
// probability of ending 90+ days overdue when there is one (a constant
// hazard giving that probability over 90 days), else the book's estimate
// for its payment profile.
func (a *assessment) hazard(b *Book) float64 {
	if r := a.acc.Risk; r != nil && r.PDefault90 > 0 {
		return -math.Log1p(-math.Min(r.PDefault90, 0.999)) / 90
	}
	return b.hazard(a.profile)
}

// feasible reports whether a contact of type t may cover the item.
func (t *ActionType) feasible(it *Item) bool {
	if it.DPD < t.MinDPD || it.DPD > t.MaxDPD {
		return false
	}
	return len(t.After) == 0 || slices.ContainsFunc(t.After, func(x string) bool { return it.Attempts[x] > 0 })
}

// candidate is one possible contact with an account.
type candidate struct {
	typ   *ActionType
	items []*Item
	value datasets.Money // Σ item values covered
}

// candidates lists the contacts the rules allow for an account, one per
// type of the toolbox that covers at least one eligible invoice, and records
// the types the escalation minimum or a missing earlier step ruled out.
func (s *Scenarios) candidates(a *assessment, toolbox []string) []candidate {
	var out []candidate
	for _, name := range toolbox {
		t := s.Types[name]
		if t == nil {
			continue
		}
		var c candidate
		needsEarlier := false
		for _, it := range a.eligible {
			if t.feasible(it) {
				c.items = append(c.items, it)
				c.value += it.Value
			} else if it.DPD >= t.MinDPD && it.DPD <= t.MaxDPD {
				needsEarlier = true
			}
		}
		if len(c.items) == 0 {
			if needsEarlier {
				// Said in full: a new user whose ledger holds no dunning
				// history saw calls on debts 695 days overdue and did
				// not know why nothing escalated.
				a.blocked = append(a.blocked, afterBlock(t))
			}
			continue
		}
		if t.Escalation && a.overdue < s.Rules.MinEscalationAmount {
			a.blocked = append(a.blocked, Blocked{Rule: RuleMinEscalation, Action: name,
				Detail: s.belowEscalation(a)})
			continue
		}
		c.typ = t
		out = append(out, c)
	}
	return out
}

// afterBlock is the block of type t on invoices without the earlier
// step it needs on record.
func afterBlock(t *ActionType) Blocked {
	return Blocked{Rule: RuleAfter, Action: t.Name,
		Detail: fmt.Sprintf("%s needs %s on record first, and these invoices have none: escalation starts at the first step "+
			"(import the ERP's dunning history, or its dunning levels with --columns invoices.dunning_level=..., to carry it on)",
			t.Name, strings.Join(t.After, " or "))}
}

// belowEscalation says why an escalation was ruled out, quoting what the
// customer owes in its invoices' own currencies (a collector reads it out)
// and the converted total compared with the minimum.
func (s *Scenarios) belowEscalation(a *assessment) string {
	min := s.Rules.MinEscalationAmount.Grouped() + " " + s.Currency
	items := a.acc.overdueItems()
	if len(items) == 0 {
		return "nothing is overdue: escalation needs an overdue total of at least " + min
	}
	owed, only := ownSums(items)
	if only != s.Currency {
		// Cents shown: the comparison is made on them.
		owed += fmt.Sprintf(" (%s %s converted at the worklist's rates)", a.overdue.Grouped(), s.Currency)
	}
	return fmt.Sprintf("overdue %s is below the escalation minimum %s", owed, min)
}

// pending returns the scenario step an item is due for: the latest step
// whose day has come, that no decision on or after its day has handled, and
// whose conditions hold; -1 when none.
func (s *Scenarios) pending(a *assessment, it *Item) int {
	sc := a.scenario
	if sc == nil {
		return -1
	}
	for j := len(sc.Steps) - 1; j >= 0; j-- {
		st := &sc.Steps[j]
		if st.Offset > it.DPD {
			continue
		}
		if it.LastDecision >= it.Invoice.DueDate.AddDays(st.Offset) {
			return -1 // this step, and every earlier one, is handled
		}
		t := s.Types[st.Action]
		if t == nil || !t.feasible(it) || it.Value < st.MinAmount || a.overdue < st.MinCustomerOverdue ||
			(t.Escalation && a.overdue < s.Rules.MinEscalationAmount) {
			continue
		}
		return j
	}
	return -1
}

// scenarioPlan is the scenario's contact for an account: the most advanced
// pending step's type, covering every pending invoice it may cover; ok is
// false when nothing is pending.
func (s *Scenarios) scenarioPlan(a *assessment) (candidate, int, bool) {
	best := -1
	pend := make([]int, len(a.eligible))
	for i, it := range a.eligible {
		pend[i] = s.pending(a, it)
		best = max(best, pend[i])
	}
	if best < 0 {
		return candidate{}, -1, false
	}
	st := &a.scenario.Steps[best]
	t := s.Types[st.Action]
	// A later step whose day has come but that needs an earlier one on
	// record is said, as the value-based list says it: a trial's customer
	// 147 days overdue, with no dunning history in the export, got "call at
	// due+21" with no word of why not the final notice that credit flags
	// asked for.
	for j := best + 1; j < len(a.scenario.Steps); j++ {
		lt := s.Types[a.scenario.Steps[j].Action]
		if lt == nil || len(lt.After) == 0 || slices.ContainsFunc(a.blocked, func(b Blocked) bool { return b.Rule == RuleAfter && b.Action == lt.Name }) {
			continue
		}
		if slices.ContainsFunc(a.eligible, func(it *Item) bool {
			return a.scenario.Steps[j].Offset <= it.DPD && it.DPD >= lt.MinDPD && it.DPD <= lt.MaxDPD && !lt.feasible(it)
		}) {
			a.blocked = append(a.blocked, afterBlock(lt))
		}
	}
	c := candidate{typ: t}
	for i, it := range a.eligible {
		if pend[i] >= 0 && t.feasible(it) {
			c.items = append(c.items, it)
			c.value += it.Value
		}
	}
	return c, best, true
}

// capacity tracks what is left of the day's capacities.
type capacity struct {
	channels   map[string]int
	collectors map[string]int
	perColl    int // "*": every collector not listed; -1 unlimited
	budget     datasets.Money
	limited    bool // budget limited
}

func (s *Scenarios) newCapacity(extra map[string]int) *capacity {
	c := &capacity{channels: map[string]int{}, collectors: map[string]int{}, perColl: -1}
	for k, v := range s.Rules.ChannelCapacity {
		c.channels[k] = v
	}
	for k, v := range extra {
		c.channels[k] = v
	}
	for k, v := range s.Rules.CollectorCapacity {
		if k == "*" {
			c.perColl = v
		} else {
			c.collectors[k] = v
		}
	}
	if s.Rules.DailyBudget > 0 {
		c.budget, c.limited = s.Rules.DailyBudget, true
	}
	return c
}

// fits reports whether a contact of type t by collector fits, and which
// rule says no.
func (c *capacity) fits(t *ActionType, channel, collector string, cost datasets.Money) (bool, string) {
	if n, ok := c.channels[channel]; ok && n <= 0 {
		return false, RuleCapacity
	}
	if t.Personal && collector != "" {
		if n, ok := c.collectors[collector]; ok && n <= 0 {
			return false, RuleCapacity
		} else if !ok && c.perColl == 0 {
			return false, RuleCapacity
		}
	}
	if c.limited && cost > c.budget {
		return false, RuleBudget
	}
	return true, ""
}

func (c *capacity) take(t *ActionType, channel, collector string, cost datasets.Money) {
	if n, ok := c.channels[channel]; ok {
		c.channels[channel] = n - 1
	}
	if t.Personal && collector != "" {
		if n, ok := c.collectors[collector]; ok {
			c.collectors[collector] = n - 1
		} else if c.perColl > 0 {
			c.collectors[collector] = c.perColl - 1
		}
	}
	if c.limited {
		c.budget -= cost
	}
}
