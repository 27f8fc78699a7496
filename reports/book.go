package reports

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/model/forecast"
)

// Sentinel errors of the package.
var (
	// ErrNoECharts means the build does not carry ECharts (make echarts
	// fetches it): a site without it would draw no chart.
	ErrNoECharts = errors.New("ECharts is missing from this build: run `make echarts` (or `make build`), which fetches the npm package echarts into reports/assets/echarts/, then rebuild")
	// ErrInput marks an Input that cannot make a report.
	ErrInput = errors.New("report input")
	// ErrPageNotFound is returned for a path that names no page of the site.
	ErrPageNotFound = errors.New("no such page")
)

// DefaultMonths is how many calendar months of history the trend charts show.
const DefaultMonths = 24

// DefaultPeriodDays is the length of the headline period, the days ending
// on the report's date whose figures the pages lead with. It was the
// report date's month so far: a trial's report as of 4 September led with
// 1–4 September (CEI 17.9 %, DSO 38.8 days, GB DSO 367.8 days), figures
// nobody reads a portfolio by. Thirty days is the month a DSO is most
// often quoted over, whatever the day.
const DefaultPeriodDays = 30

// Input is what a report is made from.
type Input struct {
	// Ledger is the ledger as loaded from the store, amounts in their own
	// currencies.
	Ledger *datasets.Ledger
	// FX converts every amount to the reporting currency; nil reports the
	// amounts as they are (and a ledger in several currencies is then
	// summed unconverted, which every page says).
	FX *datasets.FX
	// AsOf is the date the report describes (end of day).
	AsOf datasets.Date
	// Months of history in the trend charts (default DefaultMonths).
	Months int
	// PeriodDays is the headline period's length in days, ending on AsOf
	// (default DefaultPeriodDays).
	PeriodDays int
	// Models is the model registry; nil or empty leaves the scores and the
	// model evidence out, saying so.
	Models Models
	// Backtest and BacktestRows are the result of `dsopilot backtest` (its
	// --json output and its --predictions rows), for the model evidence
	// page: the baselines, and the ROC and reliability curves.
	Backtest     *model.Backtest
	BacktestRows []model.PredictionRow
	// Parts built by other packages; nil says "not available yet".
	Forecast    ForecastSource
	Collections CollectionsSource
	Credit      CreditSource
	// Build names the dsopilot build in the page footers.
	Build string
	Log   *slog.Logger
}

// invoiceView is an invoice as known at the report's date, with what is
// linked to it.
type invoiceView struct {
	datasets.Invoice // amounts in the reporting currency
	cust             *customer
	// Currency is the invoice's own currency (before conversion).
	Currency string
	// Paid is the day it was settled (or paid in full) by the report's
	// date; zero while open.
	Paid datasets.Date
	// Open is what is still owed at the report's date.
	Open datasets.Money
	// DaysLate is paid − due for a settled invoice, as-of − due for an
	// open one (negative: days before due).
	DaysLate int
	// WrittenOff is what write-off notes took off a settled invoice that
	// was mostly written off (datasets.Invoice.MostlyWrittenOff over its
	// notes, real or implied: the report gets the settled ledger); zero
	// for one that was paid. Such an invoice is shown written off, never
	// "paid late".
	WrittenOff datasets.Money
	// residue is what write-off notes took off a settled invoice that was
	// mostly paid (a residue, or a part under half): shown beside "paid".
	residue  datasets.Money
	payments []datasets.Payment
	credits  []datasets.CreditNote
	disputes []datasets.Dispute
	promises []datasets.Promise
	actions  []datasets.Action
	score    *model.Prediction
	// risk is Open × the probability of ending 90+ days overdue or written
	// off (very late when the model has no 90+ part).
	risk datasets.Money
	// slice keys: the invoice's own attribute, else its customer's.
	segment, country, currency string
}

func (v *invoiceView) isOpen() bool { return v.Open > 0 }
func (v *invoiceView) bucket() int  { return features.AgingBucket(v.DaysLate) }

// flaggedOnly says the invoice is open and disputed by its flag alone
// (see book.flagged).
func (v *invoiceView) flaggedOnly() bool { return v.cust.b.flagged && v.Invoice.Disputed && v.isOpen() }

var bucketNames = [5]string{"current", "1–30 days", "31–60 days", "61–90 days", "over 90 days"}
var bucketIDs = [5]string{"current", "d1-30", "d31-60", "d61-90", "d90"}

// customer is one customer as known at the report's date.
type customer struct {
	b *book
	datasets.Customer
	// Currency is the customer's own currency (before conversion).
	Currency  string
	invoices  []*invoiceView // issued by the report's date, by issue date
	open      []*invoiceView
	payments  []datasets.Payment // all, unallocated included
	credits   []datasets.CreditNote
	disputes  []datasets.Dispute
	actions   []datasets.Action
	promises  []datasets.Promise
	decisions []datasets.CreditDecision
	// next is the first credit decision after the report's date (by date,
	// then id), nil when none: its old limit is the limit in force then.
	next   *datasets.CreditDecision
	months []features.KPIs // per month of the history; nil when inactive
	now    features.KPIs
	// receivables, overdue and risk at the report's date.
	receivables, overdue, risk datasets.Money
	// settled12, late12: invoices settled in the last 12 months, and late.
	settled12, late12 int
	segment, country  string
}

// slice is a part of the portfolio with its KPIs and what makes them.
type slice struct {
	Slice
	months    []features.KPIs
	now       features.KPIs
	customers []*customer
	open      []*invoiceView // by days late, largest first
	issued    []*invoiceView // in the headline month
	settled   []*invoiceView
	risk      datasets.Money
}

func (s *slice) label() string {
	switch s.Kind {
	case kindPortfolio:
		return "Portfolio"
	case kindSegment:
		return "Segment " + keyLabel(s.Key)
	case kindCountry:
		return "Country " + keyLabel(s.Key)
	case kindCurrency:
		return "Currency " + keyLabel(s.Key)
	}
	return s.Key
}

// keyLabel shows an empty attribute as such.
func keyLabel(k string) string {
	if k == "" {
		return "(none)"
	}
	return k
}

// book is everything the pages show, computed once.
type book struct {
	in       Input
	asOf     datasets.Date
	currency string   // reporting currency; "" when not converted
	mixed    []string // currencies added unconverted, when more than one
	// ledger is Input.Ledger without what FX has no rate for, and
	// unconverted what that is (nil: nothing), by the cash forecast's rule
	// (forecast.LeaveOutUnconverted), so that every page reads the book
	// the forecast pages forecast, and says what it left out.
	ledger      *datasets.Ledger
	unconverted *forecast.Unconverted
	// leftOut is the customers with invoices left out for want of a
	// rate (leftOutCustomers), computed once.
	leftOut     []leftOutCustomer
	leftOutOnce sync.Once
	// months of the history: first days and labels (2024-01).
	monthStart []datasets.Date
	monthLabel []string
	// the headline period: the report date's month up to the report date.
	periodFrom datasets.Date

	portfolio *slice
	dims      map[string][]*slice // by kind, largest receivables first
	byName    map[string]map[string]*slice

	customers []*customer // by id
	custByID  map[string]*customer
	custByPN  map[string]*customer // by PathName(id)
	invByID   map[string]*invoiceView

	disputes []datasets.Dispute // opened by the report's date
	actions  []datasets.Action  // taken by the report's date
	// flagged says the invoices' disputed flags stand in for dispute
	// records: the ledger has none, and the report's date is the
	// ledger's own or later (the flags are undated: a past report must
	// not read today's disputes into its day).
	flagged bool

	scores   int    // open invoices scored
	scoreErr string // why there are no scores
	ev       evidence

	forecasts map[Slice]*Forecast
	snapshots []ForecastSnapshot
	worklist  []NextAction
	keptOff   []KeptOff
	effects   []ActionEffect
	credit    map[string]*CreditAdvice
	// notes say what a source failed with, by part.
	notes map[string]string
}

// empty reports whether nothing was invoiced by the report's date.
func (b *book) empty() bool { return len(b.invByID) == 0 }

// unit names what amounts are in, for axis names and headings.
func (b *book) unit() string {
	switch {
	case b.currency != "":
		return b.currency
	case len(b.mixed) == 1:
		return b.mixed[0]
	case len(b.mixed) > 1:
		return strings.Join(b.mixed, "+")
	}
	return "amount"
}

// newBook computes the report's data.
func newBook(ctx context.Context, in Input) (*book, error) {
	if in.Ledger == nil {
		return nil, fmt.Errorf("%w: no ledger", ErrInput)
	}
	if in.AsOf < datasets.MinDate || in.AsOf > datasets.MaxDate {
		return nil, fmt.Errorf("%w: as-of date %q is not set or out of range", ErrInput, in.AsOf)
	}
	if in.Months == 0 {
		in.Months = DefaultMonths
	}
	if in.Months < 1 || in.Months > 120 {
		return nil, fmt.Errorf("%w: %d months of history: want 1..120", ErrInput, in.Months)
	}
	if in.PeriodDays == 0 {
		in.PeriodDays = DefaultPeriodDays
	}
	if in.PeriodDays < 1 || in.PeriodDays > 366 {
		return nil, fmt.Errorf("%w: a headline period of %d days: want 1..366", ErrInput, in.PeriodDays)
	}
	if in.Log == nil {
		in.Log = slog.New(slog.DiscardHandler)
	}
	start := time.Now()
	b := &book{in: in, asOf: in.AsOf, custByID: map[string]*customer{}, custByPN: map[string]*customer{},
		invByID: map[string]*invoiceView{}, byName: map[string]map[string]*slice{}, dims: map[string][]*slice{},
		forecasts: map[Slice]*Forecast{}, credit: map[string]*CreditAdvice{}, notes: map[string]string{}}
	rep, err := b.reportingLedger()
	if err != nil {
		return nil, err
	}
	b.gather(rep)
	if b.empty() {
		in.Log.Info("report: nothing invoiced yet", "as_of", b.asOf.String())
		return b, nil
	}
	b.layMonths(rep)
	ix := features.NewIndex(rep)
	in.Log.Debug("report: ledger gathered and indexed", "seconds", time.Since(start).Seconds())
	if err := b.kpis(ix); err != nil {
		return nil, err
	}
	b.slices()
	in.Log.Debug("report: KPIs", "seconds", time.Since(start).Seconds())
	b.score(ix)
	in.Log.Debug("report: scores", "seconds", time.Since(start).Seconds())
	b.evidence()
	b.sources(ctx)
	in.Log.Info("report: data ready", "customers", len(b.customers), "invoices", len(b.invByID), "scored", b.scores,
		"seconds", time.Since(start).Seconds())
	return b, nil
}

// reportingLedger converts the ledger when asked, keeping every invoice's
// and customer's own currency as its label so that "by currency" still
// groups by the currency the invoice was issued in. An amount in a
// currency the rates lack is left out with its invoice, as the cash
// forecast leaves it out (named on every page); more than half the open
// invoices without a rate fail the report, as they fail the forecast.
func (b *book) reportingLedger() (*datasets.Ledger, error) {
	l := b.in.Ledger
	b.ledger = l
	if b.in.FX == nil {
		b.mixed = l.Currencies()
		return l, nil
	}
	l, u, err := forecast.LeaveOutUnconverted(l, b.in.FX, b.asOf)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	b.ledger, b.unconverted = l, u
	conv, err := l.Convert(*b.in.FX)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	b.currency = b.in.FX.To
	// Convert keeps the records in place; restore the labels.
	for i := range conv.Invoices {
		conv.Invoices[i].Currency = l.Invoices[i].Currency
	}
	for i := range conv.Customers {
		conv.Customers[i].Currency = l.Customers[i].Currency
	}
	return conv, nil
}

// monthOf is the first day of d's month.
func monthOf(d datasets.Date) datasets.Date {
	y, m, _ := d.Time().Date()
	return datasets.NewDate(y, m, 1)
}

// layMonths sets the history's months: Months calendar months up to the
// report's date, not before the first invoice's month.
func (b *book) layMonths(l *datasets.Ledger) {
	first := b.asOf
	for _, v := range l.Invoices {
		if v.IssueDate < first {
			first = v.IssueDate
		}
	}
	y, m, _ := b.asOf.Time().Date()
	from := datasets.NewDate(y, m-time.Month(b.in.Months-1), 1)
	from = max(from, monthOf(first))
	b.periodFrom = b.asOf.AddDays(-(b.in.PeriodDays - 1))
	for d := from; d <= b.asOf; {
		b.monthStart = append(b.monthStart, d)
		b.monthLabel = append(b.monthLabel, d.Time().Format("2006-01"))
		y, m, _ := d.Time().Date()
		d = datasets.NewDate(y, m+1, 1)
	}
}

// kpis computes the KPIs month by month for the portfolio, every segment,
// country and currency, and every customer.
func (b *book) kpis(ix *features.Index) error {
	from := b.monthStart[0]
	o := features.KPIOptions{Monthly: true}
	rep, err := features.ComputeKPIsWith(ix, from, b.asOf, o)
	if err != nil {
		return fmt.Errorf("report: KPIs: %w", err)
	}
	// The headline period's figures (periodFrom to the report's date),
	// beside the months of the trends.
	head, err := features.ComputeKPIsWith(ix, b.periodFrom, b.asOf, features.KPIOptions{})
	if err != nil {
		return fmt.Errorf("report: KPIs of the headline period: %w", err)
	}
	b.portfolio = &slice{months: rep.Months, now: head.KPIs}
	for _, kind := range []string{kindSegment, kindCountry, kindCurrency, kindCustomer} {
		o.By = kind
		rep, err := features.ComputeKPIsWith(ix, from, b.asOf, o)
		if err != nil {
			return fmt.Errorf("report: KPIs by %s: %w", kind, err)
		}
		heads, err := features.ComputeKPIsWith(ix, b.periodFrom, b.asOf, features.KPIOptions{By: kind})
		if err != nil {
			return fmt.Errorf("report: KPIs of the headline period by %s: %w", kind, err)
		}
		now := headlines(head.KPIs, heads)
		if kind == kindCustomer {
			for _, g := range rep.Groups {
				if c := b.custByID[g.Key]; c != nil {
					c.months, c.now = g.Months, now(g.Key)
				}
			}
			continue
		}
		b.byName[kind] = map[string]*slice{}
		for _, g := range rep.Groups {
			s := &slice{Slice: Slice{Kind: kind, Key: g.Key}, months: g.Months, now: now(g.Key)}
			b.dims[kind] = append(b.dims[kind], s)
			b.byName[kind][PathName(g.Key)] = s
		}
	}
	return nil
}

// headlines looks a group's headline-period KPIs up in rep by key: a group
// the period's report does not list had no activity in the period (no
// receivables, nothing issued, settled or paid), so its figures are the
// empty ones of the portfolio's period.
func headlines(portfolio features.KPIs, rep *features.KPIReport) func(key string) features.KPIs {
	by := make(map[string]features.KPIs, len(rep.Groups))
	for _, g := range rep.Groups {
		by[g.Key] = g.KPIs
	}
	return func(key string) features.KPIs {
		if k, ok := by[key]; ok {
			return k
		}
		return features.KPIs{From: portfolio.From, To: portfolio.To, Days: portfolio.Days}
	}
}

// slices puts the invoices and customers into their slices.
func (b *book) slices() {
	all := []*slice{b.portfolio}
	for _, kind := range []string{kindSegment, kindCountry, kindCurrency} {
		all = append(all, b.dims[kind]...)
	}
	of := func(kind, key string) *slice {
		if s := b.byName[kind][PathName(key)]; s != nil {
			return s
		}
		return nil
	}
	add := func(v *invoiceView, f func(*slice)) {
		f(b.portfolio)
		for _, s := range []*slice{of(kindSegment, v.segment), of(kindCountry, v.country), of(kindCurrency, v.currency)} {
			if s != nil {
				f(s)
			}
		}
	}
	for _, c := range b.customers {
		for _, v := range c.invoices {
			if v.isOpen() {
				add(v, func(s *slice) { s.open = append(s.open, v) })
			}
			if v.IssueDate >= b.periodFrom {
				add(v, func(s *slice) { s.issued = append(s.issued, v) })
			}
			if v.SettledDate >= b.periodFrom && v.SettledDate <= b.asOf {
				add(v, func(s *slice) { s.settled = append(s.settled, v) })
			}
		}
		b.portfolio.customers = append(b.portfolio.customers, c)
		for _, s := range []*slice{of(kindSegment, c.segment), of(kindCountry, c.country), of(kindCurrency, c.Currency)} {
			if s != nil {
				s.customers = append(s.customers, c)
			}
		}
	}
	for _, s := range all {
		sortOpen(s.open)
		slices.SortFunc(s.issued, func(x, y *invoiceView) int {
			return cmp.Or(cmp.Compare(y.IssueDate, x.IssueDate), cmp.Compare(x.ID, y.ID))
		})
		slices.SortFunc(s.settled, func(x, y *invoiceView) int {
			return cmp.Or(cmp.Compare(y.DaysLate, x.DaysLate), cmp.Compare(x.ID, y.ID))
		})
	}
	for _, kind := range []string{kindSegment, kindCountry, kindCurrency} {
		slices.SortStableFunc(b.dims[kind], func(x, y *slice) int {
			return cmp.Or(cmp.Compare(y.now.Receivables, x.now.Receivables), cmp.Compare(x.Key, y.Key))
		})
	}
}

// sortOpen orders open invoices the way a collector reads them: longest
// overdue first, then the largest.
func sortOpen(vs []*invoiceView) {
	slices.SortFunc(vs, func(x, y *invoiceView) int {
		return cmp.Or(cmp.Compare(y.DaysLate, x.DaysLate), cmp.Compare(y.Open, x.Open), cmp.Compare(x.ID, y.ID))
	})
}

// rankCustomers orders customers by overdue, then receivables.
func rankCustomers(cs []*customer) []*customer {
	out := slices.Clone(cs)
	slices.SortStableFunc(out, func(x, y *customer) int {
		return cmp.Or(cmp.Compare(y.overdue, x.overdue), cmp.Compare(y.receivables, x.receivables), cmp.Compare(x.ID, y.ID))
	})
	return out
}

// expected is amount × probability rounded to the cent, for amounts at
// risk (an expectation necessarily involves the model's float).
func expected(m datasets.Money, p float64) datasets.Money {
	return datasets.Money(math.Round(float64(m) * p))
}
