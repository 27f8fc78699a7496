package features

import (
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// DefaultCountbackMonths is how many calendar months countback DSO walks back
// at most, the month containing the period end included.
const DefaultCountbackMonths = 36

// maxCountbackMonths bounds KPIOptions.CountbackMonths (100 years).
const maxCountbackMonths = 1200

// KPIOptions configure ComputeKPIsWith.
type KPIOptions struct {
	// By groups the report: "" (portfolio only), "segment", "country",
	// "currency", "customer" or "collector" (KPIGroupings). A collector
	// is the customer's alone. Invoices go to the group of their own
	// Segment, Country or Currency when set, else to their customer's. A payment, dispute or promise
	// linked to a known invoice of its customer follows that invoice; one
	// that is not (unallocated cash, a customer-level dispute or promise)
	// follows its customer's attributes.
	By string
	// Monthly adds the same KPIs for every calendar month overlapping the
	// period, each clipped to [from, to].
	Monthly bool
	// CountbackMonths is the countback DSO horizon: the most calendar months
	// it walks back (default DefaultCountbackMonths).
	CountbackMonths int
}

// KPIReport is the receivables KPIs of a period: the portfolio's figures at
// top level, then per group (By) and per calendar month (Months) when asked.
type KPIReport struct {
	// By is the grouping ("" for none).
	By string `json:"by,omitempty"`
	// Currency is the reporting currency every amount was converted to;
	// empty when the ledger was not converted.
	Currency string `json:"currency,omitempty"`
	// Currencies lists the currencies whose amounts were added together
	// unconverted: more than one means money totals mix units (group by
	// currency or convert the ledger first). Set by the caller, which
	// knows how the ledger was prepared.
	Currencies []string `json:"currencies,omitempty"`
	KPIs
	// Months holds the portfolio's KPIs per calendar month overlapping the
	// period, in order, the first and last clipped to the period.
	Months []KPIs `json:"months,omitempty"`
	// Groups holds the KPIs per group key, sorted by key. Only groups with
	// activity are listed: receivables or anything on account (OnAccount)
	// at the start or at a period end, or an invoice issued or settled, a
	// payment, dispute or promise in the period. Groups partition the portfolio, so additive figures (amounts,
	// counts) of the groups sum to the portfolio's.
	Groups []KPIGroup `json:"groups,omitempty"`
}

// KPIGroup is one group's KPIs; Months is set when the report is monthly.
type KPIGroup struct {
	// Key is the segment, country or customer id; "" when an invoice and its
	// customer both leave the attribute empty.
	Key string `json:"key"`
	KPIs
	Months []KPIs `json:"months,omitempty"`
}

// KPIs are the receivables KPIs of one period [From, To] (both inclusive;
// "at d" always means at the end of day d). Ratios over nothing (division by
// zero) are nil and encode as JSON null. Amounts are KPIMoney, exact cents
// that encode as JSON numbers with two decimals.
//
// Two balances, as a credit manager reads an aged ledger:
//
//   - Gross receivables (Receivables) at d are Σ outstanding(i, d) over
//     invoices issued on or before d: zero once the invoice is settled,
//     else its amount less its cover by d, never below zero. An invoice's
//     cover by d is what its own records dated by d took off it: the
//     payments naming it and its customer and the credit notes naming it
//     (by id alone), a cash discount and a credit note of the same amount
//     on it counted once (see Overpayments).
//   - Cash on account (OnAccount) at d is what the customers hold against
//     their invoices that reduces none of them: payments naming no invoice
//     of their customer (UnappliedCash), credit notes naming no invoice
//     (UnappliedCredits), and what an invoice's own records dated by d
//     cover beyond its amount (Overpayments). NetReceivables = gross − on
//     account, the customers' balance, per group and for the portfolio.
//
// DSO, countback DSO, best-possible DSO, ADD, the CEI, the aging, the
// overdue ratio and the recovery rate stay on the gross receivables, as
// their usual definitions have them: they measure how long invoices stay
// open, and money on account is not an invoice collected. Netting it would
// let one customer's overpayment shorten another's days and hide overdue
// invoices behind a credit balance that a collector cannot spend on them
// until it is applied. An invoice is current at d when its due date is on
// or after d, overdue when its due date is before d.
type KPIs struct {
	// From and To bound the period (YYYY-MM-DD, inclusive).
	From string `json:"from"`
	To   string `json:"to"`
	// Days is To − From + 1.
	Days int `json:"days"`

	// DSO = receivables(To) / Invoiced × Days; nil unless Invoiced > 0.
	// A 31-day month with 100,000 invoiced and 40,000 receivable at its end
	// has a DSO of 12.4.
	DSO *float64 `json:"dso"`
	// CountbackDSO starts from receivables(To) and walks back calendar
	// months: the month containing To (from its first day through To), then
	// each whole earlier month, regardless of From. For a month with sales S
	// (Σ amount of invoices issued in it, through To) and D days: while the
	// remaining receivables R ≥ S, add D days and R −= S; when R < S, add
	// D × R / S and stop. A month with S ≤ 0 adds D days and leaves R. It
	// is 0 when receivables(To) is 0, and never nil.
	CountbackDSO *float64 `json:"countback_dso"`
	// CountbackCapped is true when receivables remained after
	// CountbackMonths months: CountbackDSO is then a lower bound.
	CountbackCapped bool `json:"countback_capped"`
	// BestPossibleDSO = current receivables(To) / Invoiced × Days; nil
	// unless Invoiced > 0.
	BestPossibleDSO *float64 `json:"best_possible_dso"`
	// ADD (average days delinquent) = DSO − BestPossibleDSO, that is
	// overdue receivables(To) / Invoiced × Days; nil unless Invoiced > 0.
	ADD *float64 `json:"add"`
	// CEI (collection effectiveness index, percent) =
	// (OpeningReceivables + Invoiced − Receivables) /
	// (OpeningReceivables + Invoiced − CurrentReceivables) × 100;
	// nil when the denominator is not positive.
	CEI *float64 `json:"cei"`
	// LateRate = InvoicesSettledLate / InvoicesSettled (a fraction); nil
	// when none was settled in the period. Invoices written off count as
	// settled, and as late when settled after their due date: never paid
	// is not paid on time.
	LateRate *float64 `json:"late_rate"`
	// RecoveryRate is the share of old debt recovered in the period. The
	// base is RecoveryBase: Σ outstanding(From−1) over invoices more than 90
	// days past due at From−1 (From−1 − due date > 90). Recovered is, over
	// the same invoices, Σ max(0, outstanding(From−1) − outstanding(To) −
	// write-offs linked to the invoice dated in [From, To]): what payments,
	// settlement or commercial credit notes took off, write-offs excluded.
	// Settled is not paid: on a ledger with payments, an invoice settled
	// for more than its payments and credit notes by then cover counts the
	// remainder as written off at its settlement (datasets.ImpliedWriteOffs;
	// as a commercial credit note when the invoice is flagged disputed), so
	// an export without its credit notes does not recover 100% of old debt.
	// RecoveryRate = Recovered / RecoveryBase; nil when the base is 0.
	RecoveryRate *float64 `json:"recovery_rate"`
	// OverdueRatio = OverdueReceivables / Receivables; nil when Receivables
	// is 0.
	OverdueRatio *float64 `json:"overdue_ratio"`
	// AvgDaysToPay is the mean of settled date − issue date over the
	// invoices paid in the period: settled in it (settled date in [From,
	// To]) and not mostly written off, that is InvoicesSettled −
	// InvoicesWrittenOff of them; nil when there are none. A written-off
	// invoice was never paid: its settled date is the day it was given up
	// on, which would lengthen the time customers take to pay.
	AvgDaysToPay *float64 `json:"avg_days_to_pay"`
	// AvgDaysToPayWeighted is the same mean over the same invoices,
	// weighted by invoice amount; nil unless their amounts sum to more
	// than 0.
	AvgDaysToPayWeighted *float64 `json:"avg_days_to_pay_weighted"`
	// DisputeRate = DisputesOpened / InvoicesIssued; nil when no invoice
	// was issued in the period.
	DisputeRate *float64 `json:"dispute_rate"`
	// DisputeResolutionDays is the mean of resolved − opened over disputes
	// resolved in the period (DisputesResolved); nil when there are none or
	// the ledger has no dispute records.
	DisputeResolutionDays *float64 `json:"dispute_resolution_days"`
	// PromiseKeptRate = PromisesKept / (PromisesKept + PromisesBroken) over
	// promises whose promised date is in the period (made by To); open
	// promises do not count. nil when there are none. Statuses are as
	// recorded in the ledger, which may know an outcome settled after To.
	PromiseKeptRate *float64 `json:"promise_kept_rate"`

	// Aging splits Receivables by days past due at To.
	Aging KPIAging `json:"aging"`
	// OpeningReceivables are the receivables at From−1.
	OpeningReceivables KPIMoney `json:"opening_receivables"`
	// Receivables, CurrentReceivables and OverdueReceivables are at To.
	Receivables        KPIMoney `json:"receivables"`
	CurrentReceivables KPIMoney `json:"current_receivables"`
	OverdueReceivables KPIMoney `json:"overdue_receivables"`
	// UnappliedCash is the cash on account at To: Σ amount of the
	// payments dated by To that name no invoice of their customer (none,
	// or an id the customer has no invoice of; refunds, negative, too),
	// less what of it the invoices settled by To took. That is the pool
	// datasets.ImpliedWriteOffs matches to settled invoices: an invoice
	// settled for more than its own payments and credit notes cover took
	// the rest from the customer's cash on account (what is left is
	// implied written off), so that cash is applied, not on account. It
	// is counted in the group of the payments' customer, and what an
	// invoice took in the invoice's group (--by segment, country or
	// currency: the two differ only for an invoice carrying its own
	// attribute; the portfolio's and each customer's are exact). A payment
	// naming an unknown invoice is included: that reduces nothing either.
	// The customer feature unallocated_cash is the same sum for one
	// customer as of its date.
	UnappliedCash KPIMoney `json:"unapplied_cash"`
	// UnappliedCredits is Σ amount of the credit notes dated by To that
	// name no invoice of the ledger (none, or an unknown id), of either
	// kind: a write-off booked on the account rather than on an invoice
	// reduces what the customer owes as a commercial credit note does.
	// A note naming a known invoice reduces that invoice, whoever's it is.
	UnappliedCredits KPIMoney `json:"unapplied_credits"`
	// Overpayments is Σ over invoices of what their own records dated by
	// To cover beyond their amount: max(0, payments naming the invoice and
	// its customer + credit notes naming it − its amount), the invoice
	// settled or not. An invoice paid 1,100.00 for 1,000.00 owes nothing
	// and leaves 100.00 on account from the day of the payment that
	// overpaid it (never before: a surplus exists at To only from records
	// dated by To). A payment naming an invoice issued after To is all on
	// account at To (a prepayment); an invoice of a negative amount (a
	// credit written as an invoice) is on account from its issue. The write-offs this engine implies for
	// an invoice settled short (datasets.ImpliedWriteOffs) are no cover
	// here: they are what no record explains, and a late payment on an
	// invoice given up on is recovered debt, not the customer's credit.
	//
	// A cash discount the importer derived from a payment's discount
	// column (a credit note whose id starts importer.DiscountPrefix, with
	// importer.DiscountReason) and a ledger credit note of the same amount
	// on the same invoice are one credit booked twice (the ERP's credit
	// memo for the discount taken): the pair counts once, from the earlier
	// of its two dates; with k discounts and m notes of one amount on an
	// invoice by d, max(k, m) of them count. The credit note, the ERP's
	// own document, is what remains once both are dated; the ledger keeps
	// both records. Counted in the invoice's group.
	Overpayments KPIMoney `json:"overpayments"`
	// OnAccount = UnappliedCash + UnappliedCredits + Overpayments: all the
	// customers hold on account at To.
	OnAccount KPIMoney `json:"on_account"`
	// NetReceivables = Receivables − OnAccount: the customers' balance at
	// To. It is negative when they hold more on account than their
	// invoices owe (a credit balance). The DSO, aging and other ratios stay
	// on the gross Receivables.
	NetReceivables KPIMoney `json:"net_receivables"`
	// Invoiced is Σ amount of invoices issued in the period.
	Invoiced KPIMoney `json:"invoiced"`
	// Collected is Σ payments dated in the period, unallocated cash
	// included, on a ledger with payment records. On one without any (a
	// cleared-items export, which gives each invoice its clearing date
	// only) it is what the settlements in the period cleared: Σ over the
	// invoices settled in it of their amount less the credit notes linked
	// to them dated by the settlement, never below zero. That is cash,
	// credit not exported and write-offs alike, since the export cannot
	// tell them apart. CollectedBasis says which.
	Collected KPIMoney `json:"collected"`
	// CollectedBasis is CollectedPayments or CollectedCleared: what
	// Collected sums.
	CollectedBasis string `json:"collected_basis"`
	// RecoveryBase and Recovered are RecoveryRate's denominator and numerator.
	RecoveryBase KPIMoney `json:"recovery_base"`
	Recovered    KPIMoney `json:"recovered"`

	// InvoicesIssued counts invoices issued in the period.
	InvoicesIssued int `json:"invoices_issued"`
	// InvoicesSettled counts invoices whose settled date is in the period.
	InvoicesSettled int `json:"invoices_settled"`
	// InvoicesWrittenOff counts those of them settled mostly by write-off
	// (datasets.Invoice.MostlyWrittenOff: write-off notes on the invoice
	// dated by its settlement, real or implied as RecoveryRate says, come
	// to at least half its amount). They are left out of AvgDaysToPay and
	// AvgDaysToPayWeighted, kept in LateRate.
	InvoicesWrittenOff int `json:"invoices_written_off"`
	// InvoicesSettledLate counts the invoices settled in the period after
	// their due date, written off or not.
	InvoicesSettledLate int `json:"invoices_settled_late"`
	// DisputesOpened counts disputes opened in the period. When the ledger
	// has no dispute records at all (a cleared-items export), it counts the
	// invoices issued in the period that carry the disputed flag instead.
	DisputesOpened int `json:"disputes_opened"`
	// DisputesResolved counts disputes resolved in the period.
	DisputesResolved int `json:"disputes_resolved"`
	// PromisesKept and PromisesBroken count promises due in the period.
	PromisesKept   int `json:"promises_kept"`
	PromisesBroken int `json:"promises_broken"`
}

// The bases of KPIs.Collected.
const (
	// CollectedPayments: the payments dated in the period.
	CollectedPayments = "payments"
	// CollectedCleared: the ledger has no payment records; the amounts
	// its settlements in the period cleared.
	CollectedCleared = "cleared"
)

// KPIAging is receivables by days past due (as of − due date): Current ≤ 0,
// then 1–30, 31–60, 61–90 and more than 90. The buckets sum to Receivables.
type KPIAging struct {
	Current    KPIMoney `json:"current"`
	Days1To30  KPIMoney `json:"1_30"`
	Days31To60 KPIMoney `json:"31_60"`
	Days61To90 KPIMoney `json:"61_90"`
	Over90     KPIMoney `json:"90_plus"`
}

// KPIMoney is an exact amount in cents that encodes as a JSON number with
// two decimals (1234.50), so no float rounding ever touches it.
type KPIMoney datasets.Money

// Money returns m as datasets.Money.
func (m KPIMoney) Money() datasets.Money { return datasets.Money(m) }

// Float returns m in currency units, for display.
func (m KPIMoney) Float() float64 { return datasets.Money(m).Float() }

// String formats m with two decimals.
func (m KPIMoney) String() string { return datasets.Money(m).String() }

// MarshalJSON writes m as a JSON number with two decimals.
func (m KPIMoney) MarshalJSON() ([]byte, error) { return []byte(datasets.Money(m).String()), nil }

// UnmarshalJSON reads a JSON number (or a quoted decimal) into m.
func (m *KPIMoney) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" {
		return nil
	}
	v, err := datasets.ParseMoney(s)
	if err != nil {
		return err
	}
	*m = KPIMoney(v)
	return nil
}
