package credit

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

func flagsOf(t *testing.T, l *datasets.Ledger, pol *Policy, id string) CustomerFlags {
	t.Helper()
	fs, problems, err := Flags(l, asOf, pol, Options{Risk: map[string]Risk{"C1": {PD: 0.01, Source: "model"}}, Customers: []string{id}})
	if err != nil || len(problems) > 0 {
		t.Fatalf("flags: %v %v", err, problems)
	}
	if len(fs) == 0 {
		return CustomerFlags{}
	}
	return fs[0]
}

func kinds(f CustomerFlags) []string {
	var out []string
	for _, x := range f.Flags {
		out = append(out, x.Kind)
	}
	return out
}

func flagOf(t *testing.T, f CustomerFlags, kind string) Flag {
	t.Helper()
	for _, x := range f.Flags {
		if x.Kind == kind {
			return x
		}
	}
	t.Fatalf("no %s flag among %v", kind, kinds(f))
	return Flag{}
}

func TestFlags(t *testing.T) {
	pol := DefaultPolicy()
	l := baseLedger()
	exposure := exposureOf(l, "C1", asOf)
	if f := flagsOf(t, l, pol, "C1"); len(f.Flags) != 1 || f.Flags[0].Kind != FlagOverLimit {
		t.Fatalf("base ledger: flags %v, want over_limit only (owes %s against %s)", kinds(f), exposure, baseLimit)
	}
	over := flagOf(t, flagsOf(t, l, pol, "C1"), FlagOverLimit)
	if over.Amount.Money() != exposure-baseLimit || !over.BlocksOrders {
		t.Fatalf("over limit by %s, want %s (blocking)", over.Amount.Money(), exposure-baseLimit)
	}
	// Invoices not yet due come in at their due date plus the usual 10 days.
	if !strings.Contains(over.Reason, "over") || !strings.Contains(over.Resolution, "back under the limit by") ||
		!strings.Contains(over.Resolution, "pays 10 days late on average") {
		t.Fatalf("over limit: %q / %q", over.Reason, over.Resolution)
	}

	// An invoice 101 days overdue, promised for 5 July, and two broken
	// promises in the window. The limit in force is the decision's.
	l.CreditDecisions[0].NewLimit = 1_000_000_00
	for i := range l.Invoices {
		if l.Invoices[i].ID == "I0031" {
			l.Invoices[i].SettledDate = 0
		}
	}
	l.Payments = dropPayment(l.Payments, "PI0031")
	l.Promises = []datasets.Promise{
		{ID: "PR1", CustomerID: "C1", InvoiceID: "I0031", Made: asOf.AddDays(-2), PromisedDate: asOf.AddDays(5), Amount: baseAmount, Status: datasets.PromiseOpen},
		{ID: "PR2", CustomerID: "C1", InvoiceID: "I0031", Made: asOf.AddDays(-40), PromisedDate: asOf.AddDays(-30), Amount: baseAmount, Status: datasets.PromiseBroken},
		{ID: "PR3", CustomerID: "C1", InvoiceID: "I0031", Made: asOf.AddDays(-25), PromisedDate: asOf.AddDays(-15), Amount: baseAmount, Status: datasets.PromiseBroken},
		// Made after asOf: not known.
		{ID: "PR4", CustomerID: "C1", InvoiceID: "I0031", Made: asOf.AddDays(3), PromisedDate: asOf.AddDays(-20), Amount: baseAmount, Status: datasets.PromiseBroken},
	}
	f := flagsOf(t, l, pol, "C1")
	if got := strings.Join(kinds(f), ","); got != "overdue,broken_promises" {
		t.Fatalf("flags %s, want overdue,broken_promises", got)
	}
	od := flagOf(t, f, FlagOverdue)
	var due datasets.Date
	for _, v := range l.Invoices {
		if v.ID == "I0031" {
			due = v.DueDate
		}
	}
	if od.Amount.Money() != baseAmount || !strings.Contains(od.Reason, "more than 60 days overdue") ||
		od.Resolution != "the 10,000 EUR due on "+longDate(due)+" is promised for 5 July 2024" {
		t.Fatalf("overdue: %s %q / %q", od.Amount.Money(), od.Reason, od.Resolution)
	}
	bp := flagOf(t, f, FlagBrokenPromises)
	if bp.Amount.Money() != 2*baseAmount || !strings.HasPrefix(bp.Reason, "2 promises to pay broken in the last 90 days") {
		t.Fatalf("broken promises: %s %q", bp.Amount.Money(), bp.Reason)
	}
	// The shipped policy holds orders over the limit only; a policy that
	// blocks on these flags holds them.
	if f.Blocked() {
		t.Fatalf("overdue and broken promises hold orders under the shipped policy: %+v", f.Flags)
	}
	pol.Flags.BlockOrdersOn = []string{FlagOverdue}
	if f := flagsOf(t, l, pol, "C1"); !f.Blocked() || !flagOf(t, f, FlagOverdue).BlocksOrders || flagOf(t, f, FlagBrokenPromises).BlocksOrders {
		t.Fatalf("blocking on overdue: %+v", f.Flags)
	}
}

// A limit set longer ago than its class's cadence is flagged expired.
func TestFlagsExpiredLimit(t *testing.T) {
	pol := DefaultPolicy()
	l := baseLedger()
	l.Customers[0].CreditLimit = 1_000_000_00
	l.CreditDecisions[0].Date = asOf.AddDays(-400) // a low-risk limit is reviewed yearly
	l.CreditDecisions[0].NewLimit = 1_000_000_00
	f := flagsOf(t, l, pol, "C1")
	ex := flagOf(t, f, FlagExpired)
	if ex.Amount.Money() != 1_000_000_00 || !strings.Contains(ex.Reason, "was due for review on") || f.LimitReview != asOf.AddDays(-400).AddMonths(12) {
		t.Fatalf("expired: %+v review %s", ex, f.LimitReview)
	}
	// The review date of the approval that recorded the decision replaces
	// the cadence.
	fs, _, err := Flags(l, asOf, pol, Options{Risk: map[string]Risk{"C1": {PD: 0.01}}, Customers: []string{"C1"},
		Events: []datasets.CreditEvent{{Kind: datasets.CreditApproved, CustomerID: "C1", At: asOf.AddDays(-400).Time().Add(9 * time.Hour), Review: asOf.AddDays(30)}}})
	if err != nil || len(fs) != 0 {
		t.Fatalf("with a review date in a month: %v %v", fs, err)
	}
}

// The customer master's limit with no credit decision on record is the
// limit in force, and never expired, however long the relationship: it
// was counted from the relationship's start, which held the orders of
// nearly every customer of a fresh import. Before its first decision, a
// customer's limit is that decision's old limit, with no review either.
func TestFlagsMasterLimitWithoutDecisionNeverExpires(t *testing.T) {
	pol := DefaultPolicy()
	for _, c := range []struct {
		name      string
		decisions func(l *datasets.Ledger)
	}{
		{"no decision", func(l *datasets.Ledger) { l.CreditDecisions = nil }},
		{"decided only after the day", func(l *datasets.Ledger) {
			l.CreditDecisions[0].Date = asOf.AddDays(10)
			l.CreditDecisions[0].OldLimit = l.Customers[0].CreditLimit
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := baseLedger()
			l.Customers[0].CreditLimit = 1_000_000_00 // not over it
			l.Customers[0].Since = asOf.AddDays(-3000)
			c.decisions(l)
			f := flagsOf(t, l, pol, "C1")
			if len(f.Flags) != 0 || f.LimitReview != 0 {
				t.Fatalf("flags %v (review %s), want none", f.Flags, f.LimitReview)
			}
		})
	}
}

// orders_held is whether any of the customer's flags holds orders, in the
// JSON, so that a reader counting held customers need not work it out.
func TestOrdersHeldIsAnyBlockingFlag(t *testing.T) {
	pol := DefaultPolicy()
	l := baseLedger()
	l.Customers[0].CreditLimit = 1_000_00 // C1 far over its limit: held
	fs, _, err := Flags(l, asOf, pol, Options{Risk: map[string]Risk{"C1": {PD: 0.01}}})
	if err != nil || len(fs) == 0 {
		t.Fatalf("flags %v, %v", fs, err)
	}
	held := 0
	for _, f := range fs {
		blocks := false
		for _, x := range f.Flags {
			blocks = blocks || x.BlocksOrders
		}
		if f.OrdersHeld != blocks {
			t.Errorf("%s: orders_held %v, flags %+v", f.CustomerID, f.OrdersHeld, f.Flags)
		}
		if f.OrdersHeld {
			held++
		}
	}
	if held == 0 {
		t.Fatal("no customer held: the test would not see a wrong orders_held")
	}
}

// A flag's resolution asks for something "before releasing orders" only
// when the policy holds orders on that flag: the shipped policy holds none
// on overdue debt or broken promises, and said so of both.
func TestFlagResolutionsMentionReleasingOrdersOnlyWhenHeld(t *testing.T) {
	l := baseLedger()
	l.CreditDecisions[0].NewLimit = 1_000_000_00 // not over the limit
	for i := range l.Invoices {
		if l.Invoices[i].ID == "I0031" {
			l.Invoices[i].SettledDate = 0
		}
	}
	l.Payments = dropPayment(l.Payments, "PI0031")
	l.Promises = []datasets.Promise{ // two broken, none open
		{ID: "PR2", CustomerID: "C1", InvoiceID: "I0031", Made: asOf.AddDays(-40), PromisedDate: asOf.AddDays(-30), Amount: baseAmount, Status: datasets.PromiseBroken},
		{ID: "PR3", CustomerID: "C1", InvoiceID: "I0031", Made: asOf.AddDays(-25), PromisedDate: asOf.AddDays(-15), Amount: baseAmount, Status: datasets.PromiseBroken},
	}
	for _, tc := range []struct {
		name  string
		block []string
	}{
		{"the shipped policy", nil},
		{"holding on overdue", []string{FlagOverLimit, FlagExpired, FlagOverdue}},
		{"holding on broken promises", []string{FlagOverLimit, FlagExpired, FlagBrokenPromises}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pol := DefaultPolicy()
			if tc.block != nil {
				pol.Flags.BlockOrdersOn = tc.block
			}
			f := flagsOf(t, l, pol, "C1")
			if got := strings.Join(kinds(f), ","); got != "overdue,broken_promises" {
				t.Fatalf("flags %s, want overdue,broken_promises", got)
			}
			for _, x := range f.Flags {
				says := strings.Contains(x.Resolution, "releasing orders")
				if says != x.BlocksOrders || x.BlocksOrders != pol.blocks(x.Kind) {
					t.Errorf("%s (blocks orders: %v): resolution %q", x.Kind, x.BlocksOrders, x.Resolution)
				}
			}
			if want := map[bool]string{false: "no promise to pay: escalate (final notice or collection agency)",
				true: "no promise to pay: escalate (final notice or collection agency) before releasing orders"}[pol.blocks(FlagOverdue)]; flagOf(t, f, FlagOverdue).Resolution != want {
				t.Errorf("overdue resolution %q, want %q", flagOf(t, f, FlagOverdue).Resolution, want)
			}
		})
	}
}

// A limit past its review date is due for review, listed without holding
// orders, for the policy's grace (flags.review_grace_days); past the grace
// it is expired, which holds them when the policy lists expired in
// block_orders_on (the shipped one no longer does: nolimit_test.go).
// Before, every limit a day past its review held the customer's orders.
func TestFlagsReviewDueWithinTheGrace(t *testing.T) {
	l := baseLedger()
	l.CreditDecisions[0].NewLimit = 1_000_000_00 // not over the limit: the review is the only flag
	d1 := l.CreditDecisions[0].Date
	for _, tc := range []struct {
		name      string
		late      int // days past the review date as of asOf
		grace     int
		kind      string
		held      bool
		reasonHas string
	}{
		{"a day late", 1, 30, FlagReviewDue, false, "(1 day ago; the grace of 30 days runs to 29 July 2024, after which it is expired)"},
		{"on the grace's last day", 30, 30, FlagReviewDue, false, "the grace of 30 days runs to 30 June 2024"},
		{"a day past the grace", 31, 30, FlagExpired, true, "(31 days ago; the grace of 30 days ended on 29 June 2024)"},
		{"no grace", 1, 0, FlagExpired, true, "was due for review on 29 June 2024"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pol := DefaultPolicy()
			pol.Flags.ReviewGraceDays = tc.grace
			pol.Flags.BlockOrdersOn = []string{FlagOverLimit, FlagExpired}
			// The approval that recorded the decision gave its review date.
			fs, _, err := Flags(l, asOf, pol, Options{Risk: map[string]Risk{"C1": {PD: 0.01}}, Customers: []string{"C1"},
				Events: []datasets.CreditEvent{{Kind: datasets.CreditApproved, CustomerID: "C1", At: d1.Time().Add(9 * time.Hour), Review: asOf.AddDays(-tc.late)}}})
			if err != nil || len(fs) != 1 {
				t.Fatalf("flags %v, %v", fs, err)
			}
			f := fs[0]
			if got := strings.Join(kinds(f), ","); got != tc.kind || f.OrdersHeld != tc.held || f.Flags[0].BlocksOrders != tc.held {
				t.Fatalf("flags %s, orders held %v; want %s, held %v", got, f.OrdersHeld, tc.kind, tc.held)
			}
			if !strings.Contains(f.Flags[0].Reason, tc.reasonHas) {
				t.Fatalf("reason %q, want it to say %q", f.Flags[0].Reason, tc.reasonHas)
			}
		})
	}
}

// The shipped cadences are the common practice's, yearly, half-yearly and
// quarterly by class: a medium-risk limit set four months ago is not due,
// nor a high-risk one set two months ago; a high-risk one set five months
// ago is expired. Before (3 and 1 months) all three held orders.
func TestDefaultReviewCadenceByClass(t *testing.T) {
	for _, tc := range []struct {
		name string
		pd   float64
		set  datasets.Date // the decision's day
		kind string
	}{
		{"medium, four months", 0.05, asOf.AddMonths(-4), ""},
		{"high, two months", 0.3, asOf.AddMonths(-2), ""},
		{"high, five months", 0.3, asOf.AddMonths(-5), FlagExpired},
		{"low, a year and 9 days", 0.01, asOf.AddDays(-375), FlagReviewDue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := baseLedger()
			l.CreditDecisions[0].NewLimit = 1_000_000_00
			l.CreditDecisions[0].Date = tc.set
			fs, _, err := Flags(l, asOf, DefaultPolicy(), Options{Risk: map[string]Risk{"C1": {PD: tc.pd}}, Customers: []string{"C1"}})
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if len(fs) > 0 {
				got = strings.Join(kinds(fs[0]), ",")
			}
			if got != tc.kind {
				t.Fatalf("flags %q, want %q", got, tc.kind)
			}
		})
	}
}

// After broken promises, the promise to watch is the one that falls first,
// not the first promised invoice by due date (C000031 of the trial quoted a
// promise for 2 January though one for 1 January was open); of promises on
// one day, the larger amount.
func TestBrokenPromisesWatchTheEarliestPromise(t *testing.T) {
	pol := DefaultPolicy()
	l := baseLedger()
	l.CreditDecisions[0].NewLimit = 1_000_000_00
	for i := range l.Invoices {
		if l.Invoices[i].ID == "I0031" {
			l.Invoices[i].SettledDate = 0
		}
	}
	l.Payments = dropPayment(l.Payments, "PI0031")
	last := l.Invoices[len(l.Invoices)-2] // C1's last invoice, not yet due
	if last.CustomerID != "C1" || last.DueDate <= asOf {
		t.Fatalf("fixture: %+v", last)
	}
	broken := []datasets.Promise{
		{ID: "PR2", CustomerID: "C1", InvoiceID: "I0031", Made: asOf.AddDays(-40), PromisedDate: asOf.AddDays(-30), Amount: baseAmount, Status: datasets.PromiseBroken},
		{ID: "PR3", CustomerID: "C1", InvoiceID: "I0031", Made: asOf.AddDays(-25), PromisedDate: asOf.AddDays(-15), Amount: baseAmount, Status: datasets.PromiseBroken},
	}
	for _, c := range []struct {
		name             string
		overdue, notDue  datasets.Date // the promised dates of I0031 and of the last invoice
		lastAmount       datasets.Money
		wantDue, wantFor datasets.Date
		wantAmount       string
	}{
		{"the later invoice is promised first", asOf.AddDays(5), asOf.AddDays(3), baseAmount, last.DueDate, asOf.AddDays(3), "10,000"},
		{"the earlier invoice is promised first", asOf.AddDays(2), asOf.AddDays(3), baseAmount, l.Invoices[30].DueDate, asOf.AddDays(2), "10,000"},
		{"one day: the larger amount", asOf.AddDays(4), asOf.AddDays(4), 2 * baseAmount, last.DueDate, asOf.AddDays(4), "20,000"},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := *l
			l.Invoices = append([]datasets.Invoice(nil), l.Invoices...)
			l.Invoices[len(l.Invoices)-2].Amount = c.lastAmount
			l.Promises = append(slices.Clone(broken),
				datasets.Promise{ID: "PR1", CustomerID: "C1", InvoiceID: "I0031", Made: asOf.AddDays(-2), PromisedDate: c.overdue, Amount: baseAmount, Status: datasets.PromiseOpen},
				datasets.Promise{ID: "PR5", CustomerID: "C1", InvoiceID: last.ID, Made: asOf.AddDays(-1), PromisedDate: c.notDue, Amount: c.lastAmount, Status: datasets.PromiseOpen})
			bp := flagOf(t, flagsOf(t, &l, pol, "C1"), FlagBrokenPromises)
			want := "watch the next promise: the " + c.wantAmount + " EUR due on " + longDate(c.wantDue) + " is promised for " + longDate(c.wantFor)
			if bp.Resolution != want {
				t.Fatalf("resolution %q, want %q", bp.Resolution, want)
			}
		})
	}
}

// An invoice overdue far beyond the customer's usual lateness (101 days
// against 10) and not promised: the invoices not yet due are no longer
// dated by the average (a trial's defaulter, 13 invoices over 60 days
// overdue, had its next ones "expected about" 17 days after due).
func TestOverLimitDatesNothingBeyondTheUsualLateness(t *testing.T) {
	pol := DefaultPolicy()
	l := baseLedger()
	for i := range l.Invoices {
		if l.Invoices[i].ID == "I0031" {
			l.Invoices[i].SettledDate = 0
		}
	}
	l.Payments = dropPayment(l.Payments, "PI0031")
	over := flagOf(t, flagsOf(t, l, pol, "C1"), FlagOverLimit)
	if strings.Contains(over.Resolution, "expected about") || strings.Contains(over.Resolution, "back under the limit by") ||
		!strings.Contains(over.Resolution, "not dated: it pays 10 days late on average, with 1 invoice overdue well beyond that") {
		t.Fatalf("resolution %q: want the invoices not yet due left undated", over.Resolution)
	}
}
