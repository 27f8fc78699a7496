package credit

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/recommender"
)

// Flag is a reason to hold a customer's orders, or to look at it: what
// (Kind), the amount concerned, why, and how it is expected to be resolved.
// The amount is, by kind: over_limit the exposure over the limit; overdue
// the overdue debt not in dispute; review_due and expired the limit under
// review, whatever is owed (a limit is reviewed, and its lapse holds
// orders, whether or not anything is owed now: the exposure is the
// customer's own); broken_promises the sum of the promises broken.
type Flag struct {
	Kind       string            `json:"kind"`
	Amount     features.KPIMoney `json:"amount"`
	Reason     string            `json:"reason"`
	Resolution string            `json:"resolution"`
	// BlocksOrders says the policy holds orders on this flag.
	BlocksOrders bool `json:"blocks_orders"`
}

// CustomerFlags are one customer's flags. Amounts are in its currency.
type CustomerFlags struct {
	CustomerID string            `json:"customer_id"`
	Customer   string            `json:"customer,omitempty"`
	Currency   string            `json:"currency,omitempty"`
	Limit      features.KPIMoney `json:"limit"`
	// LimitSource and LimitSet say where Limit comes from and the day its
	// decision was taken, as a suggestion's (Suggestion.LimitSource).
	LimitSource string        `json:"limit_source"`
	LimitSet    datasets.Date `json:"limit_set_date,omitempty"`
	// LimitReview is the day Limit is (or was) due for review; none for
	// the customer master's limit with no credit decision on record. It
	// has the name the API's advice gives it: a suggestion's review_date
	// is the suggested limit's, which a flag does not have.
	LimitReview datasets.Date `json:"limit_review_date,omitempty"`
	// ReviewBasis says which class, read on which day, set LimitReview.
	ReviewBasis
	// Exposure is what the customer owes, net of what it holds on account
	// (ExposureBasis says how).
	Exposure features.KPIMoney `json:"exposure"`
	ExposureBasis
	Flags []Flag `json:"flags"`
	// OrdersHeld says a flag holds the customer's orders (Blocked), so a
	// reader of the JSON need not work it out from the flags.
	OrdersHeld bool `json:"orders_held"`
}

// ExposureBasis is what an exposure nets: Exposure = GrossExposure −
// UnappliedCash − UnappliedCredits, never below 0. GrossExposure is the
// open invoices' outstanding; UnappliedCash the payments on account (naming
// no invoice of the customer) less what its settled invoices took from
// them, UnappliedCredits its credit notes naming no invoice, by the as-of
// day: what features.KPIs reports for the customer. A credit manager sees
// why a customer owing 10,000 on its invoices is 7,000 exposed.
type ExposureBasis struct {
	GrossExposure    features.KPIMoney `json:"gross_exposure"`
	UnappliedCash    features.KPIMoney `json:"unapplied_cash"`
	UnappliedCredits features.KPIMoney `json:"unapplied_credits"`
}

func (a *account) exposureBasis() ExposureBasis {
	return ExposureBasis{GrossExposure: features.KPIMoney(a.gross), UnappliedCash: features.KPIMoney(a.unappliedCash),
		UnappliedCredits: features.KPIMoney(a.unappliedCredits)}
}

// owes says what the customer owes for a reason: the exposure, and when
// anything is on account, how it nets (amt formats an amount).
func (a *account) owes(amt func(datasets.Money) string) string {
	// Only what is on account nets (netExposure): a refund naming no
	// invoice, below 0, does not.
	if a.unappliedCash <= 0 && a.unappliedCredits <= 0 {
		return amt(a.exposure)
	}
	var less []string
	if a.unappliedCash > 0 {
		less = append(less, amt(a.unappliedCash)+" of unapplied cash")
	}
	if a.unappliedCredits > 0 {
		less = append(less, amt(a.unappliedCredits)+" of unapplied credit notes")
	}
	return fmt.Sprintf("%s net (%s open on its invoices less %s)", amt(a.exposure), amt(a.gross), strings.Join(less, " and "))
}

// Blocked reports whether a flag holds the customer's orders.
func (f *CustomerFlags) Blocked() bool {
	for _, x := range f.Flags {
		if x.BlocksOrders {
			return true
		}
	}
	return false
}

// Flags returns the customers with at least one flag as of the end of asOf,
// most exposed first.
func Flags(l *datasets.Ledger, asOf datasets.Date, pol *Policy, o Options) ([]CustomerFlags, []string, error) {
	as, err := assess(l, asOf, pol, o)
	if err != nil {
		return nil, nil, err
	}
	return as.flagged(false)
}

// flagged is the assessed customers with at least one flag, most exposed
// first, and the customers that could not be assessed; quote computes each
// one's suggestion for the flags to quote (the service's flags do; where
// the limit comes from is not quoted). A customer whose currency has no
// rate fails it with a *MissingRatesError.
func (as *assessment) flagged(quote bool) ([]CustomerFlags, []string, error) {
	if err := as.missingRates(); err != nil {
		return nil, nil, err
	}
	out := []CustomerFlags{}
	for _, a := range as.list {
		var sg *Suggestion
		if quote {
			s := as.suggest(a, nil)
			sg = &s
		}
		if f := as.flags(a, sg); len(f.Flags) > 0 {
			out = append(out, f)
		}
	}
	sortFlags(as, out)
	return out, as.problems, nil
}

// flags computes a customer's flags; sugg, when known, is its suggestion
// (quoted by the resolution of an expired limit).
func (as *assessment) flags(a *account, sugg *Suggestion) CustomerFlags {
	pol, t := as.pol, as.asOf
	cur := currencyOf(&a.c, pol)
	amt := func(m datasets.Money) string { return recommender.FormatAmount(m) + " " + cur }
	out := CustomerFlags{CustomerID: a.c.ID, Customer: a.c.Name, Currency: cur, Limit: features.KPIMoney(a.limit),
		Exposure: features.KPIMoney(a.exposure), ExposureBasis: a.exposureBasis(), Flags: []Flag{}}
	lr := as.limitReview(a)
	out.LimitReview, out.ReviewBasis = lr.date, lr.ReviewBasis
	out.LimitSource, out.LimitSet = as.approved.limitSource(a)
	add := func(kind string, m datasets.Money, reason, resolution string) {
		out.Flags = append(out.Flags, Flag{Kind: kind, Amount: features.KPIMoney(m), Reason: reason, Resolution: resolution, BlocksOrders: pol.blocks(kind)})
	}
	// beforeRelease asks for what a flag's resolution names before orders
	// are released, when the policy holds orders on that flag: of a flag
	// that holds none, it would send the reader looking for a hold.
	beforeRelease := func(kind, what string) string {
		if pol.blocks(kind) {
			return what + " before releasing orders"
		}
		return what
	}
	if a.notRecorded() {
		if a.exposure > 0 {
			why := "the customer master's credit_limit is blank (not 0.00, which would be no credit)"
			if a.derivedNoLimit() {
				why = "the customer was derived from its invoices, with no customer master and no credit decision"
			}
			add(FlagNoLimit, a.exposure, fmt.Sprintf("owes %s with no credit limit recorded: %s", a.owes(amt), why),
				beforeRelease(FlagNoLimit, fmt.Sprintf("set a limit (credit propose --customer %s --limit suggested, or 0 for no credit)", a.c.ID)))
		}
	} else if over := a.exposure - a.limit; over > 0 {
		reason := fmt.Sprintf("owes %s against a limit of %s: %s over", a.owes(amt), amt(a.limit), amt(over))
		if a.limit == 0 { // no credit: a limit of 0 is not "no limit"
			reason = fmt.Sprintf("owes %s against a limit of %s: no credit, so all of it is over the limit", a.owes(amt), amt(0))
		}
		add(FlagOverLimit, over, reason, a.underLimit(t, over, amt))
	}
	var overdue, disputed datasets.Money
	var late []item
	for _, it := range a.open {
		switch {
		case it.dpd(t) <= pol.Flags.OverdueDays:
		case it.disputed:
			disputed += it.outstanding
		default:
			overdue += it.outstanding
			late = append(late, it)
		}
	}
	if len(late) > 0 {
		old := late[0]
		reason := fmt.Sprintf("%s is more than %s overdue (%s; the oldest, %s of %s due on %s, is %s overdue)",
			amt(overdue), plural(pol.Flags.OverdueDays, "day"), plural(len(late), "invoice"), old.id, amt(old.outstanding), longDate(old.due), plural(old.dpd(t), "day"))
		if disputed > 0 {
			reason += fmt.Sprintf("; %s as overdue is in dispute and not counted", amt(disputed))
		}
		add(FlagOverdue, overdue, reason, overdueResolution(late, amt, beforeRelease(FlagOverdue, "escalate (final notice or collection agency)")))
	}
	// Only a limit that a decision set can be past its review: one from the
	// master data with no decision on record has no review date (reviewDate).
	// Within the grace it is due for review; past it, expired.
	if r := out.LimitReview; r != 0 && r < t && a.limit > 0 {
		reason := fmt.Sprintf("the limit of %s set on %s was due for review on %s", amt(a.limit), longDate(a.limitSet), longDate(r))
		if a.limitSet == 0 { // an approval's review date, its decision not in the ledger read
			reason = fmt.Sprintf("the approved limit of %s was due for review on %s", amt(a.limit), longDate(r))
		}
		kind, graceEnd := FlagExpired, r.AddDays(pol.Flags.ReviewGraceDays)
		switch {
		case t <= graceEnd:
			kind = FlagReviewDue
			reason += fmt.Sprintf(" (%s ago; the grace of %s runs to %s, after which it is expired)", plural(int(t-r), "day"), plural(pol.Flags.ReviewGraceDays, "day"), longDate(graceEnd))
		case pol.Flags.ReviewGraceDays > 0:
			reason += fmt.Sprintf(" (%s ago; the grace of %s ended on %s)", plural(int(t-r), "day"), plural(pol.Flags.ReviewGraceDays, "day"), longDate(graceEnd))
		}
		// Which class, read on which day, set the date: a reader can tell a
		// review brought forward by a worse class from the decision's own.
		reason += ": " + lr.words()
		resolution := "review it and propose a limit (dsopilot credit propose --limit suggested --by YOU --role ROLE)"
		if sugg != nil {
			resolution = fmt.Sprintf("review it: the suggestion is %s (%s); propose it with dsopilot credit propose --customer %s --limit suggested --as-of %s --by YOU --role ROLE",
				amt(sugg.Suggested.Money()), boundLabel(sugg.Bound), a.c.ID, t)
			if sugg.Suggested.Money() == a.limit {
				resolution = fmt.Sprintf("review it: the suggestion keeps %s (%s); renew it with dsopilot credit propose --customer %s --limit suggested --as-of %s --by YOU --role ROLE",
					amt(a.limit), boundLabel(sugg.Bound), a.c.ID, t)
			}
		}
		add(kind, a.limit, reason, resolution)
	}
	if n := len(a.broken); n >= pol.Flags.BrokenPromises {
		var sum datasets.Money
		for _, p := range a.broken {
			sum += p.Amount
		}
		last := a.broken[0]
		reason := fmt.Sprintf("%s to pay broken in the last %s (%s; the latest, %s, was for %s)",
			plural(n, "promise"), plural(pol.Flags.BrokenPromiseDays, "day"), amt(sum), amt(last.Amount), longDate(last.PromisedDate))
		resolution := beforeRelease(FlagBrokenPromises, "ask for payment") + ": no promise is open"
		if it, ok := nextPromise(a.open); ok {
			resolution = fmt.Sprintf("watch the next promise: the %s due on %s is promised for %s", amt(it.outstanding), longDate(it.due), longDate(it.promised))
		}
		add(FlagBrokenPromises, sum, reason, resolution)
	}
	out.OrdersHeld = out.Blocked()
	return out
}

// nextPromise is the open invoice whose promise falls first: the one to
// watch after broken promises. The first promised invoice by due date was
// quoted before, which could name a promise days after one on a later
// invoice. Of promises on one day, the larger amount (then the smaller
// invoice id) is quoted, so the choice does not hang on the items' order.
func nextPromise(open []item) (item, bool) {
	var best item
	found := false
	for _, it := range open {
		if it.promised == 0 {
			continue
		}
		if !found || cmp.Or(cmp.Compare(it.promised, best.promised), cmp.Compare(best.outstanding, it.outstanding), strings.Compare(it.id, best.id)) < 0 {
			best, found = it, true
		}
	}
	return best, found
}

// approvedReview is the review date an approval recorded, and the day of
// the approval.
type approvedReview struct {
	day, review datasets.Date
	class       string // the risk class it was proposed with
}

// staleBeyondDays is how many days beyond its usual lateness (and beyond
// twice it) an overdue invoice must be for the customer's average no
// longer to date its other invoices.
const staleBeyondDays = 30

// underLimit says which payments bring the exposure back under the limit,
// in the order they are expected: promised ones on their date, those not
// yet due on their due date plus the customer's usual days late; overdue
// ones without a promise have no date.
func (a *account) underLimit(t datasets.Date, over datasets.Money, amt func(datasets.Money) string) string {
	// byLate marks a note resting on the customer's lateness, which the
	// text says once, after the invoices.
	type exp struct {
		it     item
		on     datasets.Date
		note   string
		byLate bool
	}
	var dated, undated []exp
	// The usual lateness is the recent one when it drifted from the
	// history's average (a customer paying later and later had its next
	// invoices dated by the year's average).
	late := a.usualLate()
	// An invoice overdue far beyond the customer's usual lateness says
	// the average no longer holds (a trial's defaulter, 13 invoices over
	// 60 days overdue, had its next invoices "expected" 17 days after
	// due): then nothing unpromised is dated.
	stale := 0
	for _, it := range a.open {
		if it.promised == 0 && !it.disputed && it.due < t && it.dpd(t) > max(2*late, late+staleBeyondDays) {
			stale++
		}
	}
	for _, it := range a.open {
		switch {
		case it.promised != 0:
			dated = append(dated, exp{it, it.promised, "promised for " + longDate(it.promised), false})
		case it.due >= t && stale > 0:
			undated = append(undated, exp{it, 0, "not dated", true})
		case it.due >= t:
			on := it.due.AddDays(late)
			if late == 0 {
				dated = append(dated, exp{it, on, "expected on its due date", false})
				break
			}
			dated = append(dated, exp{it, on, "expected about " + longDate(on), true})
		case it.disputed:
			// A dispute, not a missing promise, holds it: the reader
			// must not chase the customer for it.
			undated = append(undated, exp{it, 0, plural(it.dpd(t), "day") + " overdue and in dispute (not expected before the dispute is resolved)", false})
		default:
			undated = append(undated, exp{it, 0, plural(it.dpd(t), "day") + " overdue with no promise to pay", false})
		}
	}
	slices.SortStableFunc(dated, func(x, y exp) int { return int(x.on - y.on) })
	var parts []string
	var paid datasets.Money
	when, allDated, byLate := datasets.Date(0), true, false
	for _, e := range append(dated, undated...) {
		parts = append(parts, fmt.Sprintf("the %s due on %s is %s", amt(e.it.outstanding), longDate(e.it.due), e.note))
		paid += e.it.outstanding
		when, allDated = max(when, e.on), allDated && e.on != 0
		byLate = byLate || e.byLate
		if paid >= over {
			break
		}
	}
	if len(parts) == 0 {
		return "no open invoice: the limit itself must rise"
	}
	if len(parts) > 3 {
		parts = append(parts[:3:3], fmt.Sprintf("%d more", len(parts)-3))
	}
	list := strings.Join(parts, "; ")
	// A dispute among the invoices not quoted is still named: the reader
	// must know that part of the debt waits on it, not on the customer.
	var disputed datasets.Money
	var oldest *item
	for i := range a.open {
		if it := &a.open[i]; it.disputed && it.due < t && !strings.Contains(list, amt(it.outstanding)+" due on "+longDate(it.due)) {
			disputed += it.outstanding
			if oldest == nil {
				oldest = it
			}
		}
	}
	disputeNote := ""
	if disputed > 0 {
		disputeNote = fmt.Sprintf("; %s overdue is in dispute (the oldest, %s of %s, %s overdue): not expected before the dispute is resolved",
			amt(disputed), oldest.id, amt(oldest.outstanding), plural(oldest.dpd(t), "day"))
	}
	switch {
	case byLate && stale > 0: // only the undated are then byLate
		list += fmt.Sprintf(" (not dated: it %s, with %s overdue well beyond that)", a.lateNote(), plural(stale, "invoice"))
	case byLate:
		list += " (it " + a.lateNote() + ")"
	}
	list += disputeNote
	switch {
	case paid < over:
		return "even with every open invoice paid it stays over the limit: " + list
	case allDated:
		return fmt.Sprintf("back under the limit by %s: %s", longDate(when), list)
	}
	return "back under the limit once paid: " + list
}

// overdueResolution says what is expected of the overdue invoices;
// escalate is what to do when none is promised.
func overdueResolution(late []item, amt func(datasets.Money) string, escalate string) string {
	var promised []string
	open := 0
	for _, it := range late {
		if it.promised != 0 {
			promised = append(promised, fmt.Sprintf("the %s due on %s is promised for %s", amt(it.outstanding), longDate(it.due), longDate(it.promised)))
		} else {
			open++
		}
	}
	switch {
	case open == 0:
		return strings.Join(promised, "; ")
	case len(promised) == 0:
		return "no promise to pay: " + escalate
	}
	return strings.Join(promised, "; ") + fmt.Sprintf("; %s without a promise: escalate", plural(open, "invoice"))
}

// plural is the recommender's one pluralising helper ("1 day", "2 days").
func plural(n int, word string) string { return recommender.Plural(n, word) }

// sortFlags puts the most exposed customers first.
func sortFlags(as *assessment, fs []CustomerFlags) {
	slices.SortStableFunc(fs, func(x, y CustomerFlags) int {
		return cmp.Or(cmp.Compare(as.inPolicy(y.CustomerID, y.Exposure.Money()), as.inPolicy(x.CustomerID, x.Exposure.Money())),
			strings.Compare(x.CustomerID, y.CustomerID))
	})
}
