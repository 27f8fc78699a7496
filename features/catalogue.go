package features

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// CatalogueVersion changes whenever a definition changes; models record it.
const CatalogueVersion = "4"

// Kind says how a feature is encoded.
type Kind int

// Feature kinds.
const (
	Numeric Kind = iota
	Categorical
)

// Unit says what a numeric feature measures, which decides how models read
// it (amounts span orders of magnitude and are read on a log scale by the
// linear models).
type Unit int

// Units of numeric features; categorical ones have Level.
const (
	Count    Unit = iota // a number of records
	Money                // an amount in the ledger's (or the reporting) currency
	Ratio                // a share, or a ratio of like quantities
	Days                 // a number of days
	Calendar             // a day of the month or a month of the year
	Flag                 // 0 or 1
	Level                // a categorical level
)

// Spec defines one feature: its name, what it means, and exactly how it is
// computed. The Go engine evaluates num or cat; the ClickHouse engine has
// the same definition in SQL, and tests hold the two equal. Models carry
// specs, not names: Base and Window say which statistic over which history
// window a feature is (late_ratio over 365 days), Unit how to read it.
type Spec struct {
	Name string
	// Base is Name without its window suffix; Window is the history window
	// in days, 0 for a feature without one.
	Base       string
	Window     int
	Kind       Kind
	Unit       Unit
	Group      string
	Meaning    string
	Definition string
	// Core marks the compact set of features a model that cannot read
	// the whole catalogue reads (the pay-date hazard, fitted on millions
	// of invoice-weeks): the customer's payment timing, the invoice's age
	// and terms, the state of the customer's open book and what holds
	// payment back. Models pick it by this flag, never by name.
	Core bool
	num  func(s *custStats, iv *invoiceCtx) float64
	cat  func(s *custStats, iv *invoiceCtx) string
}

// invoiceCtx is the invoice being described, for invoice-level features.
type invoiceCtx struct {
	pos      int
	v        *datasets.Invoice
	open     datasets.Money
	disputed bool
}

// Options configure the feature definitions.
type Options struct {
	// Windows are the history windows in days (default 90, 180, 365).
	Windows []int
	// GraceDays: an invoice is late when settled more than this many days
	// after its due date (default 0).
	GraceDays int
	// ResponseDays: a dunning action counts as answered when a payment or
	// a promise follows it within this many days (default 7).
	ResponseDays int
	// DisputeOpenedAfterDays, when set, is the user's assumption that a
	// dispute opens this many days after the invoice's issue: on a ledger
	// without dispute records, the invoices' undated disputed flag is then
	// used from that day on. Unset, the flag is used only as of the
	// ledger's own date (scoring today's open book), since it says what was
	// disputed at the export, not since when.
	DisputeOpenedAfterDays *int `json:",omitempty"`
}

// WithDefaults fills unset options.
func (o Options) WithDefaults() Options {
	if len(o.Windows) == 0 {
		o.Windows = []int{90, 180, 365}
	}
	if o.ResponseDays == 0 {
		o.ResponseDays = 7
	}
	return o
}

// Longest is the longest history window in days (of the defaults when
// Windows is empty).
func (o Options) Longest() int { return slices.Max(o.WithDefaults().Windows) }

// Shortest is the shortest history window in days.
func (o Options) Shortest() int { return slices.Min(o.WithDefaults().Windows) }

// Find returns the position of the feature with base name base over window
// (0 for a feature without one) among specs: its index in Row.Num when it
// is numeric, in Row.Cat when categorical. ok is false when specs lack it.
func Find(specs []Spec, base string, window int) (pos int, ok bool) {
	ni, ci := 0, 0
	for _, s := range specs {
		if s.Base == base && s.Window == window {
			if s.Kind == Numeric {
				return ni, true
			}
			return ci, true
		}
		if s.Kind == Numeric {
			ni++
		} else {
			ci++
		}
	}
	return -1, false
}

func num(name, group string, unit Unit, meaning, def string, f func(*custStats, *invoiceCtx) float64) Spec {
	return Spec{Name: name, Base: name, Kind: Numeric, Unit: unit, Group: group, Meaning: meaning, Definition: def, num: f}
}

// windowed marks the specs of window w: their Base drops the "_<w>d"
// suffix their Name carries.
func windowed(specs []Spec, w int) []Spec {
	sfx := fmt.Sprintf("_%dd", w)
	for i := range specs {
		specs[i].Base, specs[i].Window = strings.TrimSuffix(specs[i].Name, sfx), w
	}
	return specs
}

// CustomerSpecs lists the customer features in output order.
func CustomerSpecs(o Options) []Spec {
	o = o.WithDefaults()
	var specs []Spec
	for k, w := range o.Windows {
		k, sfx := k, fmt.Sprintf("_%dd", w)
		win := fmt.Sprintf("in the window (t−%d, t]", w)
		ws := func(s *custStats) *winStats { return &s.win[k] }
		specs = append(specs, windowed([]Spec{
			num("invoices_issued"+sfx, "history", Count, "invoices issued", "count of invoices with issue_date "+win,
				func(s *custStats, _ *invoiceCtx) float64 { return float64(ws(s).issued) }),
			num("amount_issued"+sfx, "history", Money, "amount invoiced", "sum of amount of invoices with issue_date "+win,
				func(s *custStats, _ *invoiceCtx) float64 { return ws(s).issuedAmt.Float() }),
			num("invoices_settled"+sfx, "history", Count, "invoices paid", "count of invoices with settled_date "+win+" that were not written off (see invoices_written_off); the payment-timing features below read these only",
				func(s *custStats, _ *invoiceCtx) float64 { return float64(ws(s).settled) }),
			num("amount_settled"+sfx, "history", Money, "amount settled", "sum of amount of those invoices",
				func(s *custStats, _ *invoiceCtx) float64 { return ws(s).settledAmt.Float() }),
			num("invoices_settled_late"+sfx, "history", Count, "invoices settled late", "count of invoices_settled with settled_date > due_date + grace",
				func(s *custStats, _ *invoiceCtx) float64 { return float64(ws(s).late) }),
			num("amount_settled_late"+sfx, "history", Money, "amount settled late", "sum of amount of those invoices",
				func(s *custStats, _ *invoiceCtx) float64 { return ws(s).lateAmt.Float() }),
			num("late_ratio"+sfx, "history", Ratio, "share of settlements that were late, by count", "invoices_settled_late / invoices_settled; missing when none settled",
				func(s *custStats, _ *invoiceCtx) float64 { return ratio(float64(ws(s).late), float64(ws(s).settled)) }),
			num("late_amount_ratio"+sfx, "history", Ratio, "share of settlements that were late, by amount", "amount_settled_late / amount_settled; missing when zero",
				func(s *custStats, _ *invoiceCtx) float64 {
					return ratio(ws(s).lateAmt.Float(), ws(s).settledAmt.Float())
				}),
			num("invoices_written_off"+sfx, "history", Count, "invoices written off", "count of invoices with settled_date "+win+" settled mostly by write-off: write-off notes on the invoice dated by the settlement, and what of its amount its payments, its credit notes and the customer's cash on account dated by the settlement do not cover (on a ledger with payments; the implied write-off, whatever the undated disputed flag), come to at least half its amount. A write-off is no payment: these are in none of the payment-timing features",
				func(s *custStats, _ *invoiceCtx) float64 { return float64(ws(s).writtenOff) }),
			num("write_off_rate"+sfx, "history", Ratio, "share of settlements that were write-offs", "invoices_written_off / (invoices_settled + invoices_written_off); missing when none",
				func(s *custStats, _ *invoiceCtx) float64 {
					return ratio(float64(ws(s).writtenOff), float64(ws(s).settled+ws(s).writtenOff))
				}),
			num("days_late_mean"+sfx, "history", Days, "mean days late", "mean of max(0, settled_date − due_date) over invoices_settled; missing when none",
				func(s *custStats, _ *invoiceCtx) float64 { return mean(ws(s).daysLate) }),
			num("days_late_median"+sfx, "history", Days, "median days late", "exact quantile 0.5 (element floor(0.5·n) of the sorted values) of the same",
				func(s *custStats, _ *invoiceCtx) float64 { return quantile(ws(s).daysLate, 0.5) }),
			num("days_late_p90"+sfx, "history", Days, "90th percentile of days late", "exact quantile 0.9 (element floor(0.9·n)) of the same",
				func(s *custStats, _ *invoiceCtx) float64 { return quantile(ws(s).daysLate, 0.9) }),
			num("days_late_std"+sfx, "history", Days, "spread of days late", "population standard deviation of the same",
				func(s *custStats, _ *invoiceCtx) float64 { return stddev(ws(s).daysLate) }),
			num("days_to_pay_mean"+sfx, "history", Days, "mean days to pay", "mean of settled_date − issue_date over invoices_settled",
				func(s *custStats, _ *invoiceCtx) float64 { return mean(ws(s).daysToPay) }),
			num("days_to_pay_median"+sfx, "history", Days, "median days to pay", "exact quantile 0.5 of the same",
				func(s *custStats, _ *invoiceCtx) float64 { return quantile(ws(s).daysToPay, 0.5) }),
			num("days_to_pay_p90"+sfx, "history", Days, "90th percentile of days to pay", "exact quantile 0.9 of the same",
				func(s *custStats, _ *invoiceCtx) float64 { return quantile(ws(s).daysToPay, 0.9) }),
			num("days_to_pay_std"+sfx, "history", Days, "spread of days to pay", "population standard deviation of the same",
				func(s *custStats, _ *invoiceCtx) float64 { return stddev(ws(s).daysToPay) }),
			num("disputes_opened"+sfx, "disputes", Count, "disputes opened", "count of disputes with opened_date "+win,
				func(s *custStats, _ *invoiceCtx) float64 { return float64(ws(s).disputesOpened) }),
			num("dispute_rate"+sfx, "disputes", Ratio, "disputes per invoice", "disputes_opened / invoices_issued; missing when none issued",
				func(s *custStats, _ *invoiceCtx) float64 {
					return ratio(float64(ws(s).disputesOpened), float64(ws(s).issued))
				}),
			num("dunning_actions"+sfx, "dunning", Count, "dunning actions received", "count of actions with action_date "+win+", a holdout's decision to wait (type "+datasets.ActionWait+") excluded",
				func(s *custStats, _ *invoiceCtx) float64 { return float64(ws(s).actions) }),
			num("dunning_response_rate"+sfx, "dunning", Ratio, "share of dunning actions answered by payment or promise",
				fmt.Sprintf("answered actions / dunning_actions; missing when none. An action is answered when a payment linked to its invoice (any payment of the customer when it names none) or that invoice's settlement is dated in (action_date, action_date + %d], or a promise about it (any, when it names none) is made in [action_date, action_date + %d], all ≤ t. The recorded outcome is not read: an export writes it as seen at its own date", o.ResponseDays, o.ResponseDays),
				func(s *custStats, _ *invoiceCtx) float64 {
					return ratio(float64(ws(s).actionResponses), float64(ws(s).actions))
				}),
			num("promises_made"+sfx, "promises", Count, "promises to pay made", "count of promises with made_date "+win,
				func(s *custStats, _ *invoiceCtx) float64 { return float64(ws(s).promisesMade) }),
			num("promises_kept"+sfx, "promises", Count, "promises kept", "of those, promised_date < t and kept: the promise's invoice settled by promised_date, or payments linked to it (any of the customer's when it names none) dated in [made_date, promised_date] adding up to its amount (at least a cent). The recorded status is not read",
				func(s *custStats, _ *invoiceCtx) float64 { return float64(ws(s).kept) }),
			num("promises_broken"+sfx, "promises", Count, "promises broken", "of those, promised_date < t and not kept",
				func(s *custStats, _ *invoiceCtx) float64 { return float64(ws(s).broken) }),
			num("promise_kept_rate"+sfx, "promises", Ratio, "share of due promises kept", "promises_kept / (promises_kept + promises_broken); missing when none due",
				func(s *custStats, _ *invoiceCtx) float64 {
					return ratio(float64(ws(s).kept), float64(ws(s).kept+ws(s).broken))
				}),
			num("partial_payment_share"+sfx, "relationship", Ratio, "share of invoice payments that were partial", "the customer's payments linked to one of its invoices with payment_date "+win+" and amount < the invoice amount / all such linked payments; missing when none",
				func(s *custStats, _ *invoiceCtx) float64 {
					return ratio(float64(ws(s).partialPays), float64(ws(s).linkedPayments))
				}),
		}, w)...)
	}
	short, long := -1, -1
	for k, w := range o.Windows {
		if w == o.Shortest() && short < 0 {
			short = k
		}
		if w == o.Longest() && long < 0 {
			long = k
		}
	}
	specs = append(specs,
		num("days_late_trend", "history", Days, "is lateness getting worse",
			fmt.Sprintf("days_late_mean_%dd − days_late_mean_%dd; missing when either is", o.Shortest(), o.Longest()),
			func(s *custStats, _ *invoiceCtx) float64 {
				return mean(s.win[short].daysLate) - mean(s.win[long].daysLate)
			}),
		num("last3_days_late_mean", "history", Days, "days late of the latest settlements",
			"mean days late of the 3 most recent settlements by settled_date ≤ t that were not written off (ties: higher invoice_id first); missing when none",
			func(s *custStats, _ *invoiceCtx) float64 { return mean(s.last3DaysLate) }),
		num("last3_vs_window", "history", Days, "latest settlements against the long window",
			fmt.Sprintf("last3_days_late_mean − days_late_mean_%dd", o.Longest()),
			func(s *custStats, _ *invoiceCtx) float64 { return mean(s.last3DaysLate) - mean(s.win[long].daysLate) }),
		// A customer that has already let invoices go 90+ past due is the
		// likeliest to do it again; the settled history shows it only once
		// they are paid or written off, the aging only while they are open.
		num("invoices_past_90", "history", Count, "invoices that went more than 90 days past due", "count of invoices issued ≤ t whose 90-day mark (due_date + 90) is ≤ t and that were still outstanding at the end of it (outstanding as in open_invoices, at the mark): paid, if ever, more than 90 days past due, settled or written off by t or still open. An invoice whose mark is after t is not counted",
			func(s *custStats, _ *invoiceCtx) float64 { return float64(s.past90) }),
		num("past_90_rate", "history", Ratio, "share of invoices that went more than 90 days past due", "invoices_past_90 / count of invoices issued ≤ t whose 90-day mark is ≤ t; missing when none",
			func(s *custStats, _ *invoiceCtx) float64 { return ratio(float64(s.past90), float64(s.matured90)) }),
		num("days_since_past_90", "history", Days, "days since an invoice last went more than 90 days past due", "t − the latest 90-day mark of invoices_past_90; missing when none",
			func(s *custStats, _ *invoiceCtx) float64 {
				if s.lastPast90 == 0 {
					return nan()
				}
				return float64(s.t - s.lastPast90)
			}),
		num("open_invoices", "exposure", Count, "invoices open at t", "count of invoices issued ≤ t with outstanding > 0, where outstanding = 0 once settled_date ≤ t, else amount − linked payments ≤ t − linked credit notes ≤ t, floored at 0",
			func(s *custStats, _ *invoiceCtx) float64 { return float64(s.openCount) }),
		num("open_amount", "exposure", Money, "receivable at t", "sum of outstanding at t",
			func(s *custStats, _ *invoiceCtx) float64 { return s.openAmt.Float() }),
		num("overdue_invoices", "exposure", Count, "invoices overdue at t", "open invoices with due_date < t",
			func(s *custStats, _ *invoiceCtx) float64 { return float64(s.overdueCount) }),
		num("overdue_amount", "exposure", Money, "overdue receivable at t", "sum of outstanding of open invoices with due_date < t",
			func(s *custStats, _ *invoiceCtx) float64 { return s.overdueAmt.Float() }),
		num("aging_current", "exposure", Money, "not yet due", "outstanding with t − due_date ≤ 0",
			func(s *custStats, _ *invoiceCtx) float64 { return s.aging[0].Float() }),
		num("aging_1_30", "exposure", Money, "1–30 days overdue", "outstanding with t − due_date in 1..30",
			func(s *custStats, _ *invoiceCtx) float64 { return s.aging[1].Float() }),
		num("aging_31_60", "exposure", Money, "31–60 days overdue", "outstanding with t − due_date in 31..60",
			func(s *custStats, _ *invoiceCtx) float64 { return s.aging[2].Float() }),
		num("aging_61_90", "exposure", Money, "61–90 days overdue", "outstanding with t − due_date in 61..90",
			func(s *custStats, _ *invoiceCtx) float64 { return s.aging[3].Float() }),
		num("aging_90_plus", "exposure", Money, "over 90 days overdue", "outstanding with t − due_date > 90",
			func(s *custStats, _ *invoiceCtx) float64 { return s.aging[4].Float() }),
		num("oldest_overdue_days", "exposure", Days, "age of the oldest overdue item", "max of t − due_date over open overdue invoices; 0 when none",
			func(s *custStats, _ *invoiceCtx) float64 { return float64(s.oldestOverdue) }),
		// A customer drifting toward default leaves invoices open past
		// due: the settled history does not show it until they settle (or
		// are written off), the open book does at once.
		num("overdue_share", "exposure", Ratio, "share of the receivable overdue", "overdue_amount / open_amount; missing when nothing is open",
			func(s *custStats, _ *invoiceCtx) float64 { return ratio(s.overdueAmt.Float(), s.openAmt.Float()) }),
		num("overdue_days_weighted", "exposure", Days, "days overdue of the receivable, weighted by amount", "Σ outstanding × max(0, t − due_date) / Σ outstanding over the open invoices; missing when nothing is open",
			func(s *custStats, _ *invoiceCtx) float64 {
				return ratio(float64(s.overdueCentDays), float64(s.openAmt))
			}),
		num("credit_limit", "exposure", Money, "credit limit in force at t", "new_limit of the latest credit decision ≤ t; before the first decision its old_limit; without decisions the customer's credit_limit",
			func(s *custStats, _ *invoiceCtx) float64 { return s.limit.Float() }),
		num("credit_utilisation", "exposure", Ratio, "share of the limit in use", "open_amount / credit_limit; missing when the limit is 0",
			func(s *custStats, _ *invoiceCtx) float64 { return ratio(s.openAmt.Float(), s.limit.Float()) }),
		num("disputes_open", "disputes", Count, "disputes open at t", "disputes with opened_date ≤ t and (no resolved_date or resolved_date > t)",
			func(s *custStats, _ *invoiceCtx) float64 { return float64(s.disputesOpen) }),
		num("dispute_resolution_days_mean", "disputes", Days, "mean days to resolve a dispute", "mean of resolved_date − opened_date over disputes resolved ≤ t; missing when none",
			func(s *custStats, _ *invoiceCtx) float64 {
				return ratio(float64(s.resolutionDaysSum), float64(s.resolvedDisputes))
			}),
		num("tenure_days", "relationship", Days, "length of the relationship", "t − since; without since, t − the first issue_date ≤ t; missing when neither exists or the start is after t",
			func(s *custStats, _ *invoiceCtx) float64 {
				start := s.c.c.Since
				if start == 0 {
					start = s.firstIssue
				}
				if start == 0 || start > s.t {
					return nan()
				}
				return float64(s.t - start)
			}),
		num("days_since_last_payment", "relationship", Days, "days since cash last came in", "t − the latest payment_date ≤ t of the payments filed under the customer (a payment filed under another customer is that customer's, whichever invoice it names); missing when none",
			func(s *custStats, _ *invoiceCtx) float64 {
				if s.lastPayment == 0 {
					return nan()
				}
				return float64(s.t - s.lastPayment)
			}),
		num("unallocated_cash", "relationship", Money, "cash on account at t, matched to no invoice", "sum of amount of the payments dated ≤ t that name no invoice of the customer (none, or an id it has no invoice of; refunds too), less what of that cash the invoices settled ≤ t took: what each still owed at its settlement, its implied write-off taken off (on a ledger with payments). The customer's KPI unapplied_cash at t",
			func(s *custStats, _ *invoiceCtx) float64 { return s.unallocatedCash.Float() }),
		num("terms_days", "relationship", Days, "the customer's payment terms in days", "the customer master's terms days (EOM terms count from month end)",
			func(s *custStats, _ *invoiceCtx) float64 { return float64(s.c.c.Terms.Days) }),
		Spec{Name: "segment", Base: "segment", Kind: Categorical, Unit: Level, Group: "relationship", Meaning: "customer segment", Definition: "the customer master's segment",
			cat: func(s *custStats, _ *invoiceCtx) string { return s.c.c.Segment }},
		Spec{Name: "country", Base: "country", Kind: Categorical, Unit: Level, Group: "relationship", Meaning: "customer country", Definition: "the customer master's country",
			cat: func(s *custStats, _ *invoiceCtx) string { return s.c.c.Country }},
		Spec{Name: "channel", Base: "channel", Kind: Categorical, Unit: Level, Group: "relationship", Meaning: "delivery channel", Definition: "the customer master's channel",
			cat: func(s *custStats, _ *invoiceCtx) string { return s.c.c.Channel }},
	)
	return markCore(specs, o.Longest())
}

// markCore sets Core on the compact set (see Spec.Core).
func markCore(specs []Spec, longest int) []Spec {
	for i := range specs {
		if sp := &specs[i]; sp.Kind == Numeric {
			sp.Core = isCore(sp.Base, sp.Window, longest)
		}
	}
	return specs
}

// isCore says whether the feature base over window is in the compact set.
func isCore(base string, window, longest int) bool {
	switch base {
	case "late_ratio", "days_late_mean", "days_late_p90", "days_to_pay_mean", "days_to_pay_median", "invoices_settled", "dunning_response_rate":
		return window > 0
	case "promise_kept_rate":
		return window == longest
	case "last3_days_late_mean", "inv_days_to_due", "inv_age_days", "inv_terms_days", "inv_amount",
		"inv_amount_vs_usual", "inv_outstanding", "inv_disputed", "inv_due_month_end",
		"overdue_amount", "oldest_overdue_days", "overdue_share", "overdue_days_weighted",
		"disputes_open", "credit_utilisation", "days_since_last_payment", "tenure_days":
		return window == 0
	}
	return false
}

// InvoiceSpecs lists the invoice features, then the customer's.
func InvoiceSpecs(o Options) []Spec {
	o = o.WithDefaults()
	usual := fmt.Sprintf("amount_issued_%dd / invoices_issued_%dd", o.Longest(), o.Longest())
	var long int
	for k, w := range o.Windows {
		if w == o.Longest() {
			long = k
			break
		}
	}
	specs := []Spec{
		num("inv_amount", "invoice", Money, "invoice amount", "amount",
			func(_ *custStats, iv *invoiceCtx) float64 { return iv.v.Amount.Float() }),
		num("inv_amount_vs_usual", "invoice", Ratio, "amount against the customer's usual invoice", "amount / ("+usual+"); missing when no invoices in the window",
			func(s *custStats, iv *invoiceCtx) float64 {
				ws := s.win[long]
				return ratio(iv.v.Amount.Float(), ratio(ws.issuedAmt.Float(), float64(ws.issued)))
			}),
		num("inv_outstanding", "invoice", Money, "still owed on the invoice at t", "outstanding at t (see open_invoices)",
			func(_ *custStats, iv *invoiceCtx) float64 { return iv.open.Float() }),
		num("inv_terms_days", "invoice", Days, "days granted", "due_date − issue_date",
			func(_ *custStats, iv *invoiceCtx) float64 { return float64(iv.v.DueDate - iv.v.IssueDate) }),
		num("inv_days_to_due", "invoice", Days, "days until due (negative when overdue)", "due_date − t",
			func(s *custStats, iv *invoiceCtx) float64 { return float64(iv.v.DueDate - s.t) }),
		num("inv_age_days", "invoice", Days, "days since issue", "t − issue_date",
			func(s *custStats, iv *invoiceCtx) float64 { return float64(s.t - iv.v.IssueDate) }),
		num("inv_due_day_of_month", "invoice", Calendar, "day of month of the due date", "1..31",
			func(_ *custStats, iv *invoiceCtx) float64 { return float64(iv.v.DueDate.Time().Day()) }),
		num("inv_due_month", "invoice", Calendar, "month of the due date", "1..12",
			func(_ *custStats, iv *invoiceCtx) float64 { return float64(iv.v.DueDate.Time().Month()) }),
		num("inv_due_month_end", "invoice", Flag, "due in the last 3 days of a month", "1 when due_date is within 2 days of its month's last day, else 0",
			func(_ *custStats, iv *invoiceCtx) float64 { return b2f(monthEnd(iv.v.DueDate)) }),
		num("inv_due_quarter_end", "invoice", Flag, "due at a quarter end", "inv_due_month_end and month in 3, 6, 9, 12",
			func(_ *custStats, iv *invoiceCtx) float64 {
				return b2f(monthEnd(iv.v.DueDate) && iv.v.DueDate.Time().Month()%3 == 0)
			}),
		num("inv_disputed", "invoice", Flag, "disputed at t", "1 when a dispute on the invoice has opened_date ≤ t and is unresolved at t. For ledgers without dispute records, the invoice's disputed flag, which carries no date: known only when t ≥ the latest issue or settled date of any invoice (the open book as exported), or, under the stated assumption that disputes open N days after issue (--dispute-opened-after-days N), when t ≥ issue_date + N",
			func(_ *custStats, iv *invoiceCtx) float64 { return b2f(iv.disputed) }),
		Spec{Name: "inv_channel", Base: "inv_channel", Kind: Categorical, Unit: Level, Group: "invoice", Meaning: "channel of the sale", Definition: "the invoice's channel, else the customer's",
			cat: func(s *custStats, iv *invoiceCtx) string { return or(iv.v.Channel, s.c.c.Channel) }},
		Spec{Name: "inv_country", Base: "inv_country", Kind: Categorical, Unit: Level, Group: "invoice", Meaning: "country of the sale", Definition: "the invoice's country, else the customer's",
			cat: func(s *custStats, iv *invoiceCtx) string { return or(iv.v.Country, s.c.c.Country) }},
		Spec{Name: "inv_segment", Base: "inv_segment", Kind: Categorical, Unit: Level, Group: "invoice", Meaning: "segment of the buyer", Definition: "the invoice's segment, else the customer's",
			cat: func(s *custStats, iv *invoiceCtx) string { return or(iv.v.Segment, s.c.c.Segment) }},
	}
	return append(markCore(specs, o.Longest()), CustomerSpecs(o)...)
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// monthEnd reports whether d is within 2 days of its month's last day.
func monthEnd(d datasets.Date) bool { return d.MonthEnd()-d <= 2 }

// Markdown renders the catalogue as docs/features.md.
func Markdown(o Options) string {
	o = o.WithDefaults()
	var b strings.Builder
	fmt.Fprintf(&b, "# Feature catalogue (version %s)\n\n", CatalogueVersion)
	b.WriteString("Generated by `dsopilot features --catalogue`; a test keeps this file equal to the code.\n\n")
	b.WriteString("Every feature is computed as of a date t using only what was known at the end of day t: ")
	b.WriteString("invoices issued ≤ t, settlements, payments, credit notes and actions dated ≤ t, disputes opened ≤ t. ")
	b.WriteString("A status that carries no date of its own (a dunning action's outcome, a promise's status, an invoice's disputed flag) is not read as of t: it is derived from dated events or, for the flag, used only where it is current. ")
	fmt.Fprintf(&b, "Windows are (t−W, t] for W in %v days; an invoice is late when settled after due_date + %d grace days. ", o.Windows, o.GraceDays)
	b.WriteString("*Missing* (empty in CSV, null in JSON) is a value: it means no history, not zero.\n\n")
	for _, level := range []struct {
		title string
		specs []Spec
	}{{"Invoice features", InvoiceSpecs(o)[:len(InvoiceSpecs(o))-len(CustomerSpecs(o))]}, {"Customer features", CustomerSpecs(o)}} {
		fmt.Fprintf(&b, "## %s\n\n| name | group | meaning | definition |\n|---|---|---|---|\n", level.title)
		for _, s := range level.specs {
			kind := ""
			if s.Kind == Categorical {
				kind = " (categorical)"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s%s | %s |\n", s.Name, s.Group, s.Meaning, kind, s.Definition)
		}
		b.WriteString("\n")
	}
	return b.String()
}
