package synth

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
)

// ActionWait is the decision to contact no one: a policy logs it when a
// randomised holdout chose to wait, so that the effect of waiting can be
// measured. It is recorded in the ledger as an action of this type
// (datasets.ActionWait), costs nothing and changes nothing.
const ActionWait = datasets.ActionWait

// Decision is one contact with a customer, about some of its open invoices,
// taken on the observation's day.
type Decision struct {
	CustomerID string
	InvoiceIDs []string // the invoices the contact is about; at least one
	Type       string   // ActionReminder, ActionCall, ..., a custom type (no effect) or ActionWait
	Channel    string
	// Policy and Propensity are written to the ledger's action rows
	// (datasets.Action.Policy and .Propensity).
	Policy     string
	Propensity float64
}

// Observation is what a policy sees on the morning of Day: every record
// known by the end of Day−1, as a store would hold it (an invoice's
// SettledDate, a dispute's resolution, a promise's status and an action's
// outcome are filled in when they become known). The ledger is owned by the
// environment: read it, never change it, and do not keep it past the call.
type Observation struct {
	Day    datasets.Date
	Ledger *datasets.Ledger
}

// Policy chooses the day's dunning contacts. Implementations live with the
// recommender; NonePolicy is the do-nothing baseline.
type Policy interface {
	Decide(ctx context.Context, obs *Observation) ([]Decision, error)
}

// NonePolicy contacts no one.
type NonePolicy struct{}

// Decide returns no decision.
func (NonePolicy) Decide(context.Context, *Observation) ([]Decision, error) { return nil, nil }

var _ Policy = NonePolicy{}

// EnvConfig says what to simulate in closed loop.
type EnvConfig struct {
	Config
	// Capacity is the number of contacts a day allowed per channel; a
	// channel not listed is unlimited. Waits use no capacity.
	Capacity map[string]int
	// Credit sets limits and accepts or blocks orders; nil is the
	// simulator's own credit team (CreditTeam{}), which blocks nothing.
	Credit CreditPolicy
}

// Env is the closed-loop environment: the simulator's customers, advanced
// one day at a time, responding to the contacts a policy chooses. See the
// package documentation, "Closed loop".
type Env struct {
	cfg      EnvConfig
	per      period
	day      datasets.Date // the next day to simulate
	ledger   datasets.Ledger
	cust     []*envCustomer
	byID     map[string]*envCustomer
	invoices map[string]*envInvoice
	credit   CreditPolicy
	stats    EnvStats
	// expectedLoss accumulates EnvStats.ExpectedLoss in cents: an
	// expectation (hazard × exposure), so a float until it is reported.
	expectedLoss float64
}

// EnvStats are the environment's running totals, in EUR cents (converted
// at the simulation's own rates), since the start.
type EnvStats struct {
	Orders    int            // orders placed
	Sales     datasets.Money // invoiced
	LostSales datasets.Money // orders blocked by the credit policy
	LostCount int
	// BadDebt is the exposure at default: what defaulting customers still
	// owed on the day they defaulted (written off later).
	BadDebt  datasets.Money
	Defaults int
	// ExpectedLoss is the loss the exposure carried in expectation: Σ over
	// days and customers in distress of the true daily default hazard × the
	// exposure at the end of the day. BadDebt is one draw of it; this is
	// its mean, so it compares credit policies with far less noise.
	ExpectedLoss datasets.Money
}

// NewEnv lays out the environment; nothing happens before the first Step.
func NewEnv(cfg EnvConfig) (*Env, error) {
	per, err := cfg.period()
	if err != nil {
		return nil, err
	}
	for ch, n := range cfg.Capacity {
		if n < 0 {
			return nil, fmt.Errorf("%w: capacity of %q is negative (%d)", ErrConfig, ch, n)
		}
	}
	e := &Env{cfg: cfg, per: per, day: per.start, byID: make(map[string]*envCustomer, cfg.Customers),
		invoices: map[string]*envInvoice{}, credit: cfg.Credit}
	if e.credit == nil {
		e.credit = CreditTeam{}
	}
	for i := range cfg.Customers {
		c := newEnvCustomer(cfg.Seed, i, &per)
		e.cust = append(e.cust, c)
		e.byID[c.p.id] = c
		e.ledger.Customers = append(e.ledger.Customers, c.record(per.start))
	}
	return e, nil
}

// Day is the next day Step simulates.
func (e *Env) Day() datasets.Date { return e.day }

// Start and End bound the simulated period [Start, End).
func (e *Env) Start() datasets.Date { return e.per.start }

// End is the first day after the period.
func (e *Env) End() datasets.Date { return e.per.end }

// MonthStart is the first day of month m of the period (0 ≤ m ≤ Months).
func (e *Env) MonthStart(m int) datasets.Date { return e.per.months[m] }

// Ledger is everything recorded so far. Read it, never change it.
func (e *Env) Ledger() *datasets.Ledger { return &e.ledger }

// Stats returns the running totals.
func (e *Env) Stats() EnvStats {
	st := e.stats
	st.ExpectedLoss = datasets.Money(math.Round(e.expectedLoss))
	return st
}

// SetCredit makes p the credit policy from the next day on: a policy
// evaluation runs the history under one policy and the months it measures
// under another.
func (e *Env) SetCredit(p CreditPolicy) { e.credit = p }

// Capacity returns the configured capacity of a channel and whether it is
// limited.
func (e *Env) Capacity(channel string) (int, bool) {
	n, ok := e.cfg.Capacity[channel]
	return n, ok
}

// RunUntil steps until the day before end (exclusive), or the period's end.
func (e *Env) RunUntil(ctx context.Context, end datasets.Date, p Policy) error {
	for e.day < end && e.day < e.per.end {
		if err := e.Step(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// Step simulates one day: the credit policy's reviews, the policy's
// contacts (decided on what was known by the end of the day before), then
// the day's orders, payments, disputes, promises, defaults and write-offs.
func (e *Env) Step(ctx context.Context, p Policy) error {
	if e.day >= e.per.end {
		return fmt.Errorf("simulate %s: %w", e.day, ErrEnded)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("simulate %s: %w", e.day, err)
	}
	t := e.day
	obs := &Observation{Day: t, Ledger: &e.ledger}
	if err := e.review(ctx, obs); err != nil {
		return err
	}
	ds, err := p.Decide(ctx, obs)
	if err != nil {
		return fmt.Errorf("policy on %s: %w", t, err)
	}
	if err := e.apply(t, ds); err != nil {
		return err
	}
	for _, c := range e.cust {
		e.customerDay(c, t)
		if p := &c.p; p.hazard > 0 && t >= p.hazardFrom && t < c.defaultDay {
			// At risk of defaulting tomorrow with what it owes tonight.
			e.expectedLoss += p.hazard * float64(c.eur(c.exposure()))
		}
	}
	e.day++
	return nil
}

// apply checks the day's decisions and takes them.
func (e *Env) apply(t datasets.Date, ds []Decision) error {
	used := map[string]int{}
	seen := make(map[string]bool, len(ds))
	for i := range ds {
		d := &ds[i]
		c := e.byID[d.CustomerID]
		if c == nil {
			return fmt.Errorf("%w: unknown customer %q", ErrDecision, d.CustomerID)
		}
		if seen[d.CustomerID] {
			return fmt.Errorf("%w: two decisions for customer %s on %s", ErrDecision, d.CustomerID, t)
		}
		seen[d.CustomerID] = true
		if len(d.InvoiceIDs) == 0 {
			return fmt.Errorf("%w: decision for customer %s covers no invoice", ErrDecision, d.CustomerID)
		}
		if d.Type != ActionWait {
			used[d.Channel]++
			if n, ok := e.cfg.Capacity[d.Channel]; ok && used[d.Channel] > n {
				return fmt.Errorf("%w: more than %d %s contacts on %s", ErrDecision, n, d.Channel, t)
			}
		}
		for _, id := range d.InvoiceIDs {
			inv := e.invoices[id]
			if inv == nil || inv.cust != c {
				return fmt.Errorf("%w: invoice %q is not an invoice of customer %s", ErrDecision, id, d.CustomerID)
			}
		}
	}
	for i := range ds {
		e.contact(t, &ds[i])
	}
	return nil
}

// contact records a decision's action rows and draws the response of each
// invoice it covers.
func (e *Env) contact(t datasets.Date, d *Decision) {
	c := e.byID[d.CustomerID]
	step := stepOf(d.Type)
	for _, id := range d.InvoiceIDs {
		inv := e.invoices[id]
		a := datasets.Action{ID: c.nextID("ACT"), CustomerID: c.p.id, InvoiceID: id, Date: t, Type: d.Type,
			Channel: d.Channel, Policy: d.Policy, Propensity: d.Propensity}
		if d.Type != ActionWait {
			a.Outcome = outcomeNoResponse
		}
		idx := len(e.ledger.Actions)
		e.ledger.Actions = append(e.ledger.Actions, a)
		if d.Type == ActionWait {
			continue
		}
		inv.actions = append(inv.actions, idx)
		if step < 0 || !inv.responsive(t, inv.settle) {
			continue // a custom type has no known effect; a paid or disputed invoice none
		}
		o := inv.respondAt(e.cfg.Seed, c, step, int(inv.attempts[step]), t)
		inv.attempts[step]++
		switch {
		case step == stepCall && !o.contacted:
			e.ledger.Actions[idx].Outcome = outcomeContactFailed
		case o.promised:
			e.ledger.Actions[idx].Outcome = outcomePromise
			inv.promises = append(inv.promises, len(e.ledger.Promises))
			e.ledger.Promises = append(e.ledger.Promises, datasets.Promise{ID: c.nextID("PTP"), CustomerID: c.p.id,
				InvoiceID: id, Made: t, PromisedDate: o.at, Amount: inv.amount - inv.paid, Status: datasets.PromiseOpen})
		}
		if o.pays && o.at < inv.settle {
			inv.settle = o.at
		}
	}
}

// stepOf maps an action type to its effect, or -1 when the simulator knows
// no effect for it (custom types, credit holds, waits).
func stepOf(action string) int {
	for s := range numSteps {
		if scenario[s].action == action {
			return s
		}
	}
	return -1
}

// review applies the credit policy's limit changes of the day.
func (e *Env) review(ctx context.Context, obs *Observation) error {
	var ds []datasets.CreditDecision
	var err error
	if ct, ok := e.credit.(CreditTeam); ok {
		ds = ct.review(e, obs.Day)
	} else if ds, err = e.credit.Review(ctx, obs); err != nil {
		return fmt.Errorf("credit policy on %s: %w", obs.Day, err)
	}
	for _, d := range ds {
		c := e.byID[d.CustomerID]
		if c == nil {
			return fmt.Errorf("%w: credit decision for unknown customer %q", ErrDecision, d.CustomerID)
		}
		e.decide(c, obs.Day, d.NewLimit, d.Reason, d.DecidedBy)
	}
	return nil
}

func (e *Env) decide(c *envCustomer, t datasets.Date, limit datasets.Money, reason, by string) {
	e.ledger.CreditDecisions = append(e.ledger.CreditDecisions, datasets.CreditDecision{ID: c.nextID("CD"),
		CustomerID: c.p.id, Date: t, OldLimit: c.limit, NewLimit: limit, Reason: reason, DecidedBy: by})
	c.limit = limit
	e.ledger.Customers[c.p.index].CreditLimit = limit
}

// eur converts a customer's local amount to EUR cents at the simulation's
// rate.
func (c *envCustomer) eur(m datasets.Money) datasets.Money {
	return datasets.Money(math.Round(float64(m) / c.p.country.fx))
}

// Behaviour returns a customer's true behaviour type ("" when unknown): for
// the oracle policy and for scoring estimates against the truth.
func (e *Env) Behaviour(customerID string) string {
	if c := e.byID[customerID]; c != nil {
		return behaviours[c.p.b].name
	}
	return ""
}

// Outlook is what the simulator knows about an open invoice's natural
// payment, without its random draws: the oracle's knowledge. Days are
// relative to the due date.
type Outlook struct {
	Behaviour string
	Due       datasets.Date
	// Weights, means and standard deviations of the natural payment time's
	// two normal components (regular, slip), in days after due.
	Weight, Mean, SD [2]float64
	// Hazard is the customer's default hazard per day from HazardFrom on
	// (zero: never defaults).
	Hazard     float64
	HazardFrom datasets.Date
	Disputed   bool // the invoice's course is a dispute (known once opened)
}

// InvoiceOutlook returns the outlook of an invoice.
func (e *Env) InvoiceOutlook(invoiceID string) (Outlook, bool) {
	inv := e.invoices[invoiceID]
	if inv == nil {
		return Outlook{}, false
	}
	o := Outlook{Behaviour: behaviours[inv.cust.p.b].name, Due: inv.due, Disputed: inv.disputed}
	for i, c := range inv.comps {
		o.Weight[i], o.Mean[i], o.SD[i] = c.w, c.mean, c.sd
	}
	if inv.cust.p.hazard > 0 {
		o.Hazard, o.HazardFrom = inv.cust.p.hazard, inv.cust.p.hazardFrom
	}
	return o, true
}

// Contact is a dunning action in a replay: its day and type.
type Contact struct {
	Day  datasets.Date
	Type string
}

// Replay returns the day an invoice would have been paid (zero: not by
// until) had it received exactly the given contacts from the day from on,
// besides those it actually received before from, everything else as it
// was: its natural course, its dispute, its customer's default and the
// customer's responses are the same random draws the environment used
// (common random numbers), so a replay of what actually happened gives what
// actually happened. It answers "what if" for off-policy evaluation.
func (e *Env) Replay(invoiceID string, from, until datasets.Date, contacts []Contact) (datasets.Date, bool) {
	inv := e.invoices[invoiceID]
	if inv == nil {
		return 0, false
	}
	c := inv.cust
	settle := inv.natural
	if inv.disputed {
		settle = inv.disputeSettle
	}
	var attempts [numSteps]uint16
	consider := func(t datasets.Date, typ string) {
		s := stepOf(typ)
		if s < 0 || !inv.responsive(t, settle) {
			return
		}
		o := inv.respondAt(e.cfg.Seed, c, s, int(attempts[s]), t)
		attempts[s]++
		if o.pays && o.at < settle {
			settle = o.at
		}
	}
	for _, idx := range inv.actions {
		a := &e.ledger.Actions[idx]
		if a.Date >= from {
			break
		}
		consider(a.Date, a.Type)
	}
	cs := slices.Clone(contacts)
	slices.SortStableFunc(cs, func(a, b Contact) int { return int(a.Day - b.Day) })
	for _, k := range cs {
		if k.Day >= from {
			consider(k.Day, k.Type)
		}
	}
	if settle >= c.defaultDay || settle > until {
		return 0, true
	}
	return settle, true
}
