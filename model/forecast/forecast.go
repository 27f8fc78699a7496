package forecast

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
)

// Sentinel errors of the package.
var (
	// ErrEmptyBook means no invoice was open at the as-of date.
	ErrEmptyBook = errors.New("no invoice is open")
	// ErrBeforeData means the as-of date or an origin precedes the ledger.
	ErrBeforeData = errors.New("date before the data")
	// ErrAfterData means a backtest origin's horizon runs past the data.
	ErrAfterData = errors.New("horizon past the data")
	// ErrOptions marks invalid options.
	ErrOptions = errors.New("invalid forecast options")
	// ErrPredictions means the predictions do not describe the open book.
	ErrPredictions = errors.New("predictions do not match the open book")
	// ErrOverflow means a money total does not fit in 64 bits of cents.
	ErrOverflow = errors.New("money total overflows")
)

// Breakdowns Options.By accepts.
const (
	ByCurrency = "currency"
	BySegment  = "segment"
	ByCustomer = "customer"
	ByCountry  = "country"
)

// DefaultWeeks is the horizon of a treasury cash forecast.
const DefaultWeeks = 13

// DefaultPaths is the number of simulated paths: enough that P10 and P90
// move by well under a percent between seeds.
const DefaultPaths = 2000

// MinPaths is the fewest paths a forecast accepts.
const MinPaths = 100

// Options configure a forecast.
type Options struct {
	// AsOf is the date of the open book: week k covers AsOf+7(k−1)+1 …
	// AsOf+7k.
	AsOf datasets.Date
	// Weeks is the horizon (default 13, at most the model's curve).
	Weeks int
	// Paths is the number of simulated paths (default 2000, at least 100).
	Paths int
	Seed  uint64
	// By breaks the forecast down by currency, segment, customer or
	// country; empty for the portfolio only.
	By string
	// Currency names the currency the history's amounts are in.
	Currency string
	// Shocks, when not nil, are used instead of estimating them from the
	// history (tests; the backtest's fixed-settings check).
	Shocks *Shocks
	Log    *slog.Logger
	// replaySample is how many customers the shock replays sample
	// (default replayCustomers); tests lower it to sample a small ledger.
	replaySample int
	// actuals, when set, gathers what each part's open book and new
	// business brought in after the as-of date, from the forecast's own
	// inputs (RunBacktest, BacktestParts).
	actuals *originActuals
}

// Validate returns o with its defaults filled in, or what is wrong with it.
func (o Options) Validate() (Options, error) {
	if o.Weeks == 0 {
		o.Weeks = DefaultWeeks
	}
	if o.Paths == 0 {
		o.Paths = DefaultPaths
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.replaySample == 0 {
		o.replaySample = replayCustomers
	}
	switch {
	case o.AsOf == 0:
		return o, fmt.Errorf("%w: no as-of date", ErrOptions)
	case o.Weeks < 1:
		return o, fmt.Errorf("%w: weeks %d must be at least 1", ErrOptions, o.Weeks)
	case o.Paths < MinPaths:
		return o, fmt.Errorf("%w: paths %d, need at least %d", ErrOptions, o.Paths, MinPaths)
	}
	switch o.By {
	case "", ByCurrency, BySegment, ByCustomer, ByCountry:
	default:
		return o, fmt.Errorf("%w: by %q: want currency, segment, customer or country", ErrOptions, o.By)
	}
	return o, nil
}

// Money is an amount of the forecast: exact cents, written in JSON as a
// number with two decimals (the KPI reports' format).
type Money = features.KPIMoney

// Band is a forecast amount and its uncertainty: the expected value and
// the 10th, 50th and 90th percentiles of the simulated paths.
type Band struct {
	Mean Money `json:"mean"`
	P10  Money `json:"p10"`
	P50  Money `json:"p50"`
	P90  Money `json:"p90"`
}

// Week is one week of the forecast: receipts from the open book, from
// invoices still to be issued (new business), and both together.
type Week struct {
	Start datasets.Date `json:"week_start"`
	End   datasets.Date `json:"week_end"`
	Open  Band          `json:"open"`
	New   Band          `json:"new"`
	Total Band          `json:"total"`
	// Invoices are the open invoices behind the week's expected receipts,
	// largest first (customer breakdowns only).
	Invoices []InvoiceShare `json:"invoices,omitempty"`
}

// InvoiceShare is what one open invoice is expected to bring in a week.
type InvoiceShare struct {
	InvoiceID   string        `json:"invoice_id"`
	DueDate     datasets.Date `json:"due_date"`
	Outstanding Money         `json:"outstanding"`
	Expected    Money         `json:"expected"`
}

// Horizon is the whole horizon's receipts.
type Horizon struct {
	Open  Band `json:"open"`
	New   Band `json:"new"`
	Total Band `json:"total"`
}

// Scheduled is an amount per week from a schedule.
type Scheduled struct {
	Start  datasets.Date `json:"week_start"`
	End    datasets.Date `json:"week_end"`
	Amount Money         `json:"amount"`
}

// BookSummary describes the open book the forecast starts from.
type BookSummary struct {
	Invoices    int   `json:"invoices"`
	Customers   int   `json:"customers"`
	Outstanding Money `json:"outstanding"`
	Overdue     Money `json:"overdue"`
	Disputed    Money `json:"disputed"`
	// ExpectedCredit is what open disputes are expected to be credited.
	ExpectedCredit Money `json:"expected_credit"`
	// Promised is the amount under open promises to pay.
	Promised Money `json:"promised"`
	// Beyond is the expected part of the book not received within the
	// horizon (paid later, or never).
	Beyond Money `json:"beyond_horizon"`
	// Unscored counts open invoices the model gave no prediction for: their
	// timing record alone forecasts them.
	Unscored int `json:"unscored"`
	// PastModel counts open invoices already more than 90 days overdue:
	// the model says only that they are 90+ (not whether they will be paid
	// within the horizon), so their timing record alone forecasts them too.
	PastModel int `json:"past_model,omitempty"`
	// RunPayers counts the customers measured to pay in runs (several
	// invoices of one due date settled on one day, beyond chance: see
	// runs.go), RunInvoices their open invoices that move together.
	RunPayers   int `json:"run_payers,omitempty"`
	RunInvoices int `json:"run_invoices,omitempty"`
	// Silent counts the customers owing overdue money that have paid
	// nothing for long enough that the ledger's past says such customers
	// pay less than their record expects (silence.go); SilentHeld is what
	// that took off their expected receipts within the horizon.
	Silent     int   `json:"silent_customers,omitempty"`
	SilentHeld Money `json:"silent_held,omitempty"`
	// SilentByRecord counts the open invoices of customers silent 60 days
	// or more that their timing record forecasts without the model's
	// level (forecast.go, silentByRecord).
	SilentByRecord int `json:"silent_by_record,omitempty"`
}

// Group is one line of a breakdown.
type Group struct {
	Key string `json:"key"`
	// Name is the customer's name in the customer master, in a breakdown
	// by customer (empty when the master has none): a treasurer reads
	// names, not ids.
	Name  string  `json:"name,omitempty"`
	Weeks []Week  `json:"weeks"`
	Total Horizon `json:"total_13w"`
	// DueSchedule is what the due dates alone say of the group's open
	// invoices, week by week, so that a group's forecast can be set
	// against its own; the groups' schedules add up to the portfolio's.
	DueSchedule []Scheduled `json:"due_schedule,omitempty"`
}

// Result is a cash-receipts forecast.
type Result struct {
	AsOf     datasets.Date `json:"as_of"`
	Currency string        `json:"currency"`
	Weeks    []Week        `json:"weeks"`
	Total    Horizon       `json:"total_13w"`
	// TotalWeeks is how many weeks Total (and each group's) sums: the
	// weeks reported, 13 unless fewer were asked for. The key total_13w
	// stays for the readers that know it. (Never 0 in a forecast: omitted
	// only when unset, so that a result without it encodes as before.)
	TotalWeeks  int         `json:"total_weeks,omitempty"`
	DueSchedule []Scheduled `json:"due_schedule"`
	Book        BookSummary `json:"open_book"`
	NewBusiness NewBusiness `json:"new_business"`
	Shocks      Shocks      `json:"shocks"`
	Paths       int         `json:"paths"`
	Seed        uint64      `json:"seed"`
	By          string      `json:"by,omitempty"`
	Groups      []Group     `json:"groups,omitempty"`
	// Silence is what the forecast learned of customers that have gone
	// quiet (silence.go).
	Silence *Silence `json:"silence,omitempty"`
	// Unconverted is what was left out of the forecast for want of a rate
	// to Currency; absent when nothing was.
	Unconverted *Unconverted `json:"unconverted,omitempty"`
}

// Inputs are a forecast's ingredients at one date, before simulation:
// the open book with each invoice's expected receipts per week. Forecast
// builds them; backtests and snapshots read them.
type Inputs struct {
	AsOf  datasets.Date
	Weeks int
	Book  []Item
	// Q[i*Weeks+k] is the probability that item i is paid in week k (its
	// promise aside); Mean[i*Weeks+k] its expected receipts that week.
	Q, Mean   []float64
	Unscored  int
	PastModel int
	// SilentByRecord counts the items of long-silent customers the
	// timing record forecasts alone (silentByRecord).
	SilentByRecord int
	// RunPayers counts the customers with open invoices measured to pay
	// in runs (runs.go); runs are their due clusters of open invoices and
	// runOf each book item's cluster (-1: none; nil when there is none).
	RunPayers int
	runs      []runGroup
	runOf     []int32
	timing    *Timing
	// rates are the customers' rates the book was built with; timingMean,
	// when asked for (a backtest's actuals), is Mean from the timing
	// record alone, before the model levels it.
	rates      *Rates
	timingMean []float64
	// names are the customers' names from the customer master (those
	// with one), for the breakdown by customer.
	names map[string]string
	// silence is each item's customer's days of silence at AsOf (-1: no
	// overdue invoice; silence.go); live, once the silence factors are
	// applied, the probability that the customer pays at all (nil when
	// every customer does), and silence the factors applied.
	silence []int32
	live    []float64
	quiet   *Silence
}

// Prepare builds the inputs of a forecast at t: the open book, each
// invoice's weekly probabilities (the model's probability of payment
// within the horizon, spread over the weeks by the customer's timing
// record) and its expected receipts. preds may be nil (timing record
// alone).
func (h *History) Prepare(t datasets.Date, weeks int, preds []model.Prediction) (*Inputs, error) {
	return h.prepareBook(t, weeks, preds, false)
}

// prepareBook is prepare with an empty book an error.
func (h *History) prepareBook(t datasets.Date, weeks int, preds []model.Prediction, withTiming bool) (*Inputs, error) {
	in, err := h.prepare(t, weeks, preds, withTiming)
	if err != nil {
		return nil, err
	}
	if len(in.Book) == 0 {
		return nil, fmt.Errorf("%w at the end of %s", ErrEmptyBook, t)
	}
	return in, nil
}

// prepare is Prepare, an empty book included (a part of a ledger may
// have none open); withTiming also keeps the timing record's own
// expected receipts (Inputs.timingMean).
func (h *History) prepare(t datasets.Date, weeks int, preds []model.Prediction, withTiming bool) (*Inputs, error) {
	r := h.Measure(t)
	book := h.Book(t, r)
	for i := range preds {
		p := &preds[i]
		if p.AsOf != t {
			return nil, fmt.Errorf("%w: invoice %s was scored as of %s, the forecast is as of %s", ErrPredictions, p.InvoiceID, p.AsOf, t)
		}
		if len(p.PaidBy) < weeks {
			return nil, fmt.Errorf("%w: the model forecasts %d weeks, %d asked for", ErrOptions, len(p.PaidBy), weeks)
		}
	}
	predOf := matcher(book, preds)
	in := &Inputs{AsOf: t, Weeks: weeks, Book: book, Q: make([]float64, len(book)*weeks), Mean: make([]float64, len(book)*weeks), rates: r,
		names: h.customerNames()}
	if withTiming {
		in.timingMean = make([]float64, len(book)*weeks)
	}
	tm := h.Timing(t)
	in.timing = tm
	// The model says how much of an invoice arrives within the horizon and
	// the timing record when (level); both are read over at least
	// DefaultWeeks, then cut to the weeks asked for, so that a week's
	// forecast does not depend on how many weeks follow it. Leveled over
	// the weeks asked for, one week took the model's whole week-1
	// probability and read 61% above the same week of a 13-week forecast.
	lw := max(weeks, DefaultWeeks)
	qm := make([]float64, lw)
	ql := make([]float64, lw)
	var v view
	in.silence = make([]int32, len(book))
	for i := range book {
		it := &book[i]
		if i == 0 || book[i-1].CustomerID != it.CustomerID {
			tm.customerView(&v, book, i, lw)
			in.silence[i] = h.silence(int(it.cust), t)
		} else {
			in.silence[i] = in.silence[i-1]
		}
		// clampCurve caps the running sum, so the first weeks of a longer
		// curve are the shorter curve.
		v.weekly(int32(t-it.DueDate), ql)
		q := in.Q[i*weeks : (i+1)*weeks]
		if withTiming {
			it.expectedWeeks(t, ql[:weeks], in.timingMean[i*weeks:(i+1)*weeks])
		}
		switch p := predOf(i); {
		case p != nil && pastModel(p, t):
			in.PastModel++
		case p != nil && silenceCell(in.silence[i]) >= silentByRecord:
			in.SilentByRecord++
		case p != nil:
			WeeklyFromPaidBy(p.PaidBy, qm)
			level(ql, qm)
		case preds != nil:
			in.Unscored++
		}
		copy(q, ql)
		it.expectedWeeks(t, q, in.Mean[i*weeks:(i+1)*weeks])
	}
	h.applyRuns(in)
	return in, nil
}

// pastModel reports whether p is of an invoice already 90 days or more
// overdue at t (the day scoring gives it p_90_plus 1) with a certain 90+ probability, or with none because the
// model has no 90+ model: the model then leaves it
// unpaid for the whole horizon (model/paydate.go: its hazard is not
// trusted that far past due), which says nothing about when it is paid, so
// the customer's record of paying such invoices forecasts it instead. Left
// at zero, such invoices made the 13-week totals err low where overdue
// debts are cleared late (seed 33: 15 of them, all paid within the
// horizon). A bundle with an overdue survival (model/paydate_overdue.go)
// does time such an invoice, but by how the whole training ledger's old
// debts were settled, not by this customer's habits: the customer's record
// still forecasts it.
func pastModel(p *model.Prediction, t datasets.Date) bool {
	return (p.PDefault90 == nil || *p.PDefault90 >= 1) && t >= p.DueDate.AddDays(90)
}

// silentByRecord is the first silence cell (silence.go) whose customers'
// open invoices the timing record forecasts alone, not leveled by the
// model: 60 days without a payment while owing overdue money, the
// scorer's stopped-paying rule. The pay-date model does not read a
// customer's silence: on the stop-36 trial as of 2026-08-30 it expected
// 74–95% of the overdue invoices of C1021 (paid nothing for 131 days,
// nothing after) within the 13 weeks, where the customer's own record,
// which never waited that long, expected under 3%; the record's
// expectation for such customers is what the silence factors check
// against what they paid at the ledger's past origins, and scale.
var silentByRecord = 1

// matcher returns, for book item i, its prediction or nil. The feature
// engine lists open invoices in the book's order (customer, issue date,
// id), so the two are walked side by side; a map is built only when they
// are not in step.
func matcher(book []Item, preds []model.Prediction) func(i int) *model.Prediction {
	j := 0
	var byID map[string]*model.Prediction
	return func(i int) *model.Prediction {
		id := book[i].InvoiceID
		if byID == nil {
			if j < len(preds) && preds[j].InvoiceID == id {
				j++
				return &preds[j-1]
			}
			byID = make(map[string]*model.Prediction, len(preds))
			for k := range preds {
				byID[preds[k].InvoiceID] = &preds[k]
			}
		}
		return byID[id]
	}
}

// level rescales the timing record's weekly probabilities q to the
// model's probability of payment within the horizon (the sum of qm): the
// model, which sees the invoice, its disputes and dunning and the
// customer's recent behaviour, says how much arrives; the customer's
// record of paying relative to due dates says when. When the record
// expects nothing within the horizon, the model's own curve stands.
func level(q, qm []float64) {
	var sq, sm float64
	for k := range q {
		sq += q[k]
		sm += qm[k]
	}
	if sq <= 1e-9 {
		copy(q, qm)
		return
	}
	f := sm / sq
	for k := range q {
		q[k] *= f
	}
	clampCurve(q)
}

// expectedWeeks writes the item's expected receipts per week: with its
// promise kept (probability KeptRate) the promised amount arrives in the
// promised week and the rest follows q; broken, everything follows q.
func (it *Item) expectedWeeks(t datasets.Date, q, out []float64) {
	e := float64(it.Expected())
	p, w := it.promise(t, len(q))
	for k := range q {
		out[k] = (e - it.KeptRate*p) * q[k]
	}
	if p > 0 && w >= 0 {
		out[w] += it.KeptRate * p
	}
}

// promise returns the promised amount (at most what is expected) and its
// week (-1 beyond the horizon).
func (it *Item) promise(t datasets.Date, weeks int) (float64, int) {
	if it.PromiseDate == 0 || it.PromiseAmount <= 0 {
		return 0, -1
	}
	return math.Min(float64(it.PromiseAmount), math.Max(float64(it.Expected()), 0)), weekOf(t, it.PromiseDate, weeks)
}

// simItems turns the inputs' items (those selected by pick, or all) into
// simulation items.
func (in *Inputs) simItems(pick []int, cust func(i int) int32) []simItem {
	W := in.Weeks
	if pick == nil {
		pick = make([]int, len(in.Book))
		for i := range pick {
			pick[i] = i
		}
	}
	thr := make([]float64, len(pick)*W)
	out := make([]simItem, 0, len(pick))
	// A run's mean curve, as thresholds, once per run.
	runThr := map[int32][]float64{}
	for n, i := range pick {
		it := &in.Book[i]
		e := float64(it.Expected())
		if e <= 0 {
			continue
		}
		t := thr[n*W : (n+1)*W : (n+1)*W]
		s := simItem{amt: e, thr: t, cust: cust(i), pWeek: -1}
		live := 1.0
		if in.live != nil {
			live = in.live[i]
			s.quiet = 1 - live
		}
		if g := in.runOf; g != nil && g[i] >= 0 {
			// A run's member draws its own curve when the run does not
			// take it along, the run's when it does (sim.go); in.Q holds
			// the mixture of the two.
			r := &in.runs[g[i]]
			thresholds(r.own[slices.Index(r.members, i)], t)
			rt, ok := runThr[g[i]]
			if !ok {
				rt = make([]float64, W)
				thresholds(r.mean, rt)
				runThr[g[i]] = rt
			}
			s.run, s.runThr, s.runPi = g[i]+1, rt, r.pi
		} else if live > 0 && live < 1 {
			// A silent customer's item pays on its curve when the customer
			// pays at all (probability live): in.Q is live times it.
			q := make([]float64, W)
			for k := range q {
				q[k] = in.Q[i*W+k] / live
			}
			clampCurve(q)
			thresholds(q, t)
		} else {
			thresholds(in.Q[i*W:(i+1)*W], t)
		}
		if p, w := it.promise(in.AsOf, W); p > 0 {
			s.pAmt, s.pWeek, s.pThr = p, w, probit(it.KeptRate)
		}
		out = append(out, s)
	}
	return out
}

// Forecast computes the cash-receipts forecast as of o.AsOf from the
// history and the pay-date predictions for the invoices open then (nil:
// the timing record alone). The shock scales are estimated from the
// history known at the as-of date unless o.Shocks gives them.
func Forecast(ctx context.Context, h *History, preds []model.Prediction, o Options) (*Result, error) {
	o, err := o.Validate()
	if err != nil {
		return nil, err
	}
	if err := h.CheckAsOf(o.AsOf); err != nil {
		return nil, err
	}
	start := time.Now()
	H := computedWeeks(o.Weeks)
	in, err := h.prepareBook(o.AsOf, H, preds, o.actuals != nil)
	if err != nil {
		return nil, err
	}
	if o.actuals != nil {
		o.actuals.add(h, o.AsOf, in)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var s Shocks
	if o.Shocks != nil {
		s = *o.Shocks
	} else {
		s = h.estimateShocks(o.AsOf, H, o.replaySample)
	}
	in.applySilence(h.learnSilence(o.AsOf, H, o.replaySample))
	o.Log.Debug("forecast inputs", "invoices", len(in.Book), "shocks", s, "silence", in.quiet, "seconds", time.Since(start).Seconds())
	nb := h.newBusiness(o.AsOf, H, in.timing)
	res, err := in.simulate(ctx, nb, s, o)
	if err != nil {
		return nil, err
	}
	o.Log.Debug("forecast simulated", "paths", o.Paths, "seconds", time.Since(start).Seconds())
	return res, nil
}

// computedWeeks is the horizon a forecast of weeks weeks is computed over:
// DefaultWeeks, or weeks when longer. Only the weeks asked for are
// reported, so that week k of a shorter forecast is week k of the 13-week
// one, value for value and path for path: the shock scales (estimated
// per horizon), the new business's seasonal factor (last year's horizon
// weeks against the 13 before them) and the random streams (laid out per
// week) all depended on the horizon, and a 2-week forecast's first week
// read 3% off the 13-week one's P90 (the treasurer's trial). The cost is
// that of a 13-week forecast, whatever is asked.
func computedWeeks(weeks int) int {
	return max(weeks, DefaultWeeks)
}

// boundaryCalendar reports, per forecast week, whether the boundary at
// its end has a month end or a year-end holiday (24 December to 1
// January) within three days either side, where payment runs bunch and
// may land in either week: the calendar loading applies to it.
func boundaryCalendar(t datasets.Date, weeks int) []bool {
	out := make([]bool, weeks)
	for k := range out {
		end := t.AddDays(7 * (k + 1))
		for d := end.AddDays(-2); d <= end.AddDays(3); d++ {
			tm := d.Time()
			_, m, day := tm.Date()
			if tm.AddDate(0, 0, 1).Month() != m || (m == 12 && day >= 24) || (m == 1 && day == 1) {
				out[k] = true
				break
			}
		}
	}
	return out
}
