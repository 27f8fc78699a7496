package recommender

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// Bases of a worklist.
const (
	BasisEffects  = "effects"  // expected values from effects learnt on randomised history
	BasisScenario = "scenario" // the scenario's steps: no randomised history to learn from
	BasisOracle   = "oracle"   // the simulator's true effects (evaluation only)
)

// Recommendation is the next action for one customer.
type Recommendation struct {
	CustomerID string        `json:"customer_id"`
	Customer   string        `json:"customer,omitempty"`
	Collector  string        `json:"collector,omitempty"`
	Date       datasets.Date `json:"date"`
	Action     string        `json:"action"`
	Channel    string        `json:"channel,omitempty"`
	Invoices   []string      `json:"invoices"`
	// Amount is what the covered invoices still owe, in the worklist's
	// currency (exact cents, a JSON number with two decimals).
	Amount features.KPIMoney `json:"amount"`
	// ExpectedValue (currency units): cash brought forward × cost of
	// capital + reduction in expected loss − the action's cost; nil on a
	// scenario basis, where no effect is known.
	ExpectedValue *float64 `json:"expected_value"`
	Cost          float64  `json:"cost"`
	// Uplift is the estimated change in P(paid within the horizon),
	// weighted by amount over the invoices, with its 95% interval; nil on a
	// scenario basis.
	Uplift     *Uplift   `json:"uplift,omitempty"`
	Basis      string    `json:"basis"`
	RiskClass  string    `json:"risk_class"`
	Profile    string    `json:"payment_profile"`
	Scenario   string    `json:"scenario,omitempty"`
	Step       string    `json:"scenario_step,omitempty"` // the step due today, if any
	Relation   string    `json:"relation"`                // follows, replaces, ahead_of or scenario
	Blocked    []Blocked `json:"blocked,omitempty"`
	Reasons    []string  `json:"reasons"`
	Policy     string    `json:"policy"`
	Propensity float64   `json:"propensity"`
	// HoldoutExempt says why the randomised holdout may not touch this
	// account (severe: 90+ days past due, over its limit, on credit hold,
	// at the final notice or beyond); empty when it may.
	HoldoutExempt string `json:"holdout_exempt,omitempty"`
}

// Worklist is the day's recommendations, most valuable first.
type Worklist struct {
	Day      datasets.Date `json:"date"`
	Currency string        `json:"currency"`
	Basis    string        `json:"basis"`
	// Note says why the basis is what it is (no randomised history, ...).
	Note            string           `json:"note,omitempty"`
	Recommendations []Recommendation `json:"recommendations"`
	// Deferred are customers with something to do that a rule kept off
	// today's list (capacity, quiet day), with the rule.
	Deferred []Recommendation `json:"deferred"`
	// Excluded counts customers with open invoices kept from any contact,
	// by rule.
	Excluded map[string]int `json:"excluded"`
	// ExcludedCustomers are those customers, each with the rule that kept
	// it off the list (the counts above are theirs).
	ExcludedCustomers []Exclusion `json:"excluded_customers"`
	// Disputes lists invoices routed to dispute handling.
	Disputes []Blocked `json:"disputes"`
	// Effects, on an effects basis, is what the list rests on: each action
	// type's doubly-robust average uplift on P(paid within HorizonDays)
	// over waiting, from Randomised randomised decisions.
	Effects *EffectsSummary `json:"effects,omitempty"`
}

// Exclusion is a customer with open invoices that a rule kept from any
// contact today: a promise, the contact cap, a hold, a default, or every
// open invoice disputed or promised.
type Exclusion struct {
	CustomerID string `json:"customer_id"`
	Customer   string `json:"customer,omitempty"`
	Collector  string `json:"collector,omitempty"`
	Rule       string `json:"rule"`
	Detail     string `json:"detail"`
	// Overdue is the customer's overdue total in the worklist's currency.
	Overdue features.KPIMoney `json:"overdue"`
	// Blocked are the invoice-level blocks, when they are the reason.
	Blocked []Blocked `json:"blocked,omitempty"`
}

// For returns a customer's recommendation of the day, or, when a rule
// deferred it, the deferred one (ok false when the customer has nothing
// to do).
func (w *Worklist) For(customerID string) (Recommendation, bool) {
	for _, list := range [][]Recommendation{w.Recommendations, w.Deferred} {
		for _, r := range list {
			if r.CustomerID == customerID {
				return r, true
			}
		}
	}
	return Recommendation{}, false
}

// Recommender builds worklists. Set the fields, then call Worklist; in the
// simulator it is a synth.Policy (see Decide).
type Recommender struct {
	S  *Scenarios
	FX datasets.FX
	// Effects are the learnt effects; nil gives scenario-based
	// recommendations, marked as such.
	Effects *Effects
	// Capacity overrides the file's channel capacities.
	Capacity map[string]int
	// Holdout is the share of recommendations replaced by a random
	// alternative (negative: the file's).
	Holdout float64
	// Collector, when set, keeps only that collector's agenda.
	Collector string
	// Customers, when set, keeps only these customers (the next action of
	// one customer for an API): they then compete for the day's capacity
	// only among themselves.
	Customers []string
	// Risk is a payment model's view per customer (ModelRisk); nil: the
	// customers' own history sets risk classes and default hazards.
	Risk map[string]CustomerRisk
	// Note explains a scenario basis (set by the caller that tried to learn).
	Note   string
	Seed   uint64
	rng    *rand.Rand
	valuer valuer
	ix     ledgerIndex
	policy string
}

// valuer prices one candidate contact. fork returns a valuer for another
// goroutine.
type valuer interface {
	value(b *Book, a *assessment, c *candidate) actionValue
	fork() valuer
}

type actionValue struct {
	ev     float64 // currency units
	uplift Uplift
}

// Worklist returns the recommendations of day from a ledger.
func (r *Recommender) Worklist(l *datasets.Ledger, day datasets.Date) (*Worklist, error) {
	b, err := NewBook(l, day, r.S.Currency, r.FX)
	if err != nil {
		return nil, err
	}
	return r.worklist(b), nil
}

func (r *Recommender) holdout() float64 {
	if r.Holdout < 0 {
		return r.S.Holdout
	}
	return r.Holdout
}

// planned is an account's options for the day.
type planned struct {
	a        *assessment
	cands    []candidate
	values   []actionValue
	scenario candidate
	step     int
	hasStep  bool
}

// worklist plans the book's day.
func (r *Recommender) worklist(b *Book) *Worklist {
	if r.rng == nil {
		r.rng = rand.New(rand.NewPCG(r.Seed, 0x4ec0))
	}
	basis := BasisScenario
	switch {
	case r.policy == PolicyOracle:
		basis = BasisOracle
	case r.Effects != nil:
		basis = BasisEffects
		if r.valuer == nil {
			r.valuer = &effectsValuer{e: r.Effects, s: r.S}
		}
	}
	w := &Worklist{Day: b.Day, Currency: r.S.Currency, Basis: basis, Note: r.Note, Excluded: map[string]int{}}
	var only map[string]bool
	if len(r.Customers) > 0 {
		only = map[string]bool{}
		for _, id := range r.Customers {
			only[id] = true
		}
	}
	var accounts []*Account
	for _, acc := range b.Accounts {
		if (r.Collector == "" || acc.Customer.Collector == r.Collector) && (only == nil || only[acc.Customer.ID]) {
			if risk, ok := r.Risk[acc.Customer.ID]; ok {
				acc.Risk = &risk
			}
			accounts = append(accounts, acc)
		}
	}
	// Valuing is the costly part: accounts are planned in parallel, each
	// worker with its own valuer (they cache per invoice).
	results := make([]accountPlan, len(accounts))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(accounts)/64))
	var wg sync.WaitGroup
	for wk := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var v valuer
			if r.valuer != nil {
				v = r.valuer.fork()
			}
			toolbox := r.S.ActionTypes()
			// Accounts go in chunks: their candidates are valued in one
			// batch when the valuer can (see effectsValuer.valuesMany).
			const chunk = 64
			var idx []int
			var pend []pendingAccount
			for i := wk; i < len(accounts); i += workers {
				idx = append(idx, i)
				pend = append(pend, r.prepareAccount(b, accounts[i], basis, toolbox))
				if len(idx) == chunk || i+workers >= len(accounts) {
					r.valuePending(b, pend, basis, v)
					for j, pa := range pend {
						results[idx[j]] = r.finishAccount(b, pa, basis)
					}
					idx, pend = idx[:0], pend[:0]
				}
			}
		}()
	}
	wg.Wait()
	var plans []*planned
	for _, res := range results {
		w.Disputes = append(w.Disputes, res.disputes...)
		switch {
		case res.excluded != nil:
			w.Excluded[res.excluded.Rule]++
			w.ExcludedCustomers = append(w.ExcludedCustomers, *res.excluded)
		case res.deferred != nil:
			w.Deferred = append(w.Deferred, *res.deferred)
		case res.p != nil:
			plans = append(plans, res.p)
		}
	}
	choice := r.allocate(plans, basis)
	capa := r.S.newCapacity(r.Capacity)
	for i, p := range plans {
		if choice[i] < 0 {
			continue
		}
		c := p.cands[choice[i]]
		capa.take(c.typ, c.typ.Channel, p.a.acc.Customer.Collector, c.typ.Cost)
	}
	hold := r.holdout()
	for i, p := range plans {
		if choice[i] < 0 {
			rec := r.recommendation(b, p, bestIndex(p.values), basis)
			rule := RuleCapacity
			if ok, why := capa.fits(rec.typ(r.S), rec.Channel, p.a.acc.Customer.Collector, r.S.Types[rec.Action].Cost); !ok {
				rule = why
			}
			rec.Blocked = append(rec.Blocked, Blocked{Rule: rule, Action: rec.Action, Detail: "the day's " + rec.Channel + " capacity went to more valuable contacts"})
			w.Deferred = append(w.Deferred, rec)
			continue
		}
		rec := r.recommendation(b, p, choice[i], basis)
		rec.Policy, rec.Propensity = r.policyName(), 1
		if basis == BasisScenario {
			rec.Policy = PolicyScenario // the scenario's step, with the holdout on top
		}
		if hold > 0 {
			r.randomise(&rec, b, p, choice[i], capa, hold)
		}
		w.Recommendations = append(w.Recommendations, rec)
	}
	slices.SortStableFunc(w.Recommendations, func(x, y Recommendation) int {
		if c := cmp.Compare(evOf(y), evOf(x)); c != 0 {
			return c
		}
		return cmp.Compare(y.Amount, x.Amount)
	})
	return w
}

// batchValuer values many accounts' candidates in one go.
type batchValuer interface {
	valuesMany(b *Book, accs []accountCands) [][]actionValue
}

var _ batchValuer = (*effectsValuer)(nil)

// accountPlan is what the rules and the values make of one account.
type accountPlan struct {
	p        *planned
	deferred *Recommendation
	excluded *Exclusion
	disputes []Blocked
}

// pendingAccount is an account assessed, its candidates not yet valued.
type pendingAccount struct {
	out   accountPlan
	p     *planned // nil: nothing to value (excluded, or no scenario step)
	cands []candidate
	vals  []actionValue
}

// prepareAccount assesses an account and lists its candidates.
func (r *Recommender) prepareAccount(b *Book, acc *Account, basis string, toolbox []string) pendingAccount {
	var pa pendingAccount
	a := r.S.assess(b, acc)
	for _, bl := range a.blocked {
		if bl.Rule == RuleDispute {
			pa.out.disputes = append(pa.out.disputes, bl)
		}
	}
	ex := Exclusion{CustomerID: acc.Customer.ID, Customer: acc.Customer.Name, Collector: acc.Customer.Collector,
		Overdue: features.KPIMoney(a.overdue)}
	switch {
	case a.stop.Rule != "" && a.stop.Rule != RuleQuietDay:
		ex.Rule, ex.Detail = a.stop.Rule, a.stop.Detail
		pa.out.excluded = &ex
		return pa
	case len(a.eligible) == 0 && len(a.blocked) > 0:
		// Every open invoice is disputed, promised or held: nothing may
		// be dunned, and the customer is listed rather than dropped
		// without a word.
		ex.Rule, ex.Detail = allBlocked(a.blocked)
		ex.Blocked = a.blocked
		pa.out.excluded = &ex
		return pa
	}
	p := &planned{a: a}
	p.scenario, p.step, p.hasStep = r.S.scenarioPlan(a)
	if basis == BasisScenario {
		if !p.hasStep {
			return pa
		}
		p.cands = []candidate{p.scenario}
		p.values = []actionValue{{}}
	} else {
		pa.cands = r.S.candidates(a, toolbox)
	}
	pa.p = p
	return pa
}

// allBlocked says why none of an account's open invoices may be dunned:
// the rule (a dispute first, as it asks for handling, then a hold, then a
// promise) and every rule's count.
func allBlocked(bs []Blocked) (rule, detail string) {
	n := map[string]int{}
	for _, b := range bs {
		n[b.Rule]++
	}
	var parts []string
	for _, r := range []string{RuleDispute, RuleHold, RulePromise} {
		if n[r] > 0 {
			if rule == "" {
				rule = r
			}
			parts = append(parts, fmt.Sprintf("%s: %s", label(r), Plural(n[r], "invoice")))
			delete(n, r)
		}
	}
	for _, b := range bs { // any other invoice-level rule, in order
		if n[b.Rule] > 0 {
			if rule == "" {
				rule = b.Rule
			}
			parts = append(parts, fmt.Sprintf("%s: %s", label(b.Rule), Plural(n[b.Rule], "invoice")))
			delete(n, b.Rule)
		}
	}
	return rule, "every open invoice is blocked (" + strings.Join(parts, ", ") + ")"
}

// valuePending values the candidates of the accounts, in one batch when
// the valuer can.
func (r *Recommender) valuePending(b *Book, pend []pendingAccount, basis string, v valuer) {
	if basis == BasisScenario {
		return
	}
	if bv, ok := v.(batchValuer); ok {
		var accs []accountCands
		var at []int
		for i := range pend {
			if pend[i].p != nil && len(pend[i].cands) > 0 {
				accs = append(accs, accountCands{a: pend[i].p.a, cands: pend[i].cands})
				at = append(at, i)
			}
		}
		for j, vals := range bv.valuesMany(b, accs) {
			pend[at[j]].vals = vals
		}
		return
	}
	for i := range pend {
		pa := &pend[i]
		if pa.p == nil {
			continue
		}
		pa.vals = make([]actionValue, len(pa.cands))
		for k := range pa.cands {
			pa.vals[k] = v.value(b, pa.p.a, &pa.cands[k])
		}
	}
}

// finishAccount keeps the candidates worth their cost and plans the
// account's contact, or defers it past a quiet day.
func (r *Recommender) finishAccount(b *Book, pa pendingAccount, basis string) accountPlan {
	out, p := pa.out, pa.p
	if p == nil {
		return out
	}
	if basis != BasisScenario {
		for i, c := range pa.cands {
			if pa.vals[i].ev > 0 {
				p.cands = append(p.cands, c)
				p.values = append(p.values, pa.vals[i])
			}
		}
		if len(p.cands) == 0 {
			return out
		}
	}
	a := p.a
	if a.stop.Rule == RuleQuietDay {
		rec := r.recommendation(b, p, bestIndex(p.values), basis)
		rec.Date = a.moveTo
		rec.Blocked = append(rec.Blocked, a.stop)
		out.deferred = &rec
		return out
	}
	out.p = p
	return out
}

func (r *Recommender) policyName() string {
	if r.policy != "" {
		return r.policy
	}
	return PolicyRecommender
}

func evOf(r Recommendation) float64 {
	if r.ExpectedValue == nil {
		return 0
	}
	return *r.ExpectedValue
}

func (rec *Recommendation) typ(s *Scenarios) *ActionType {
	if t := s.Types[rec.Action]; t != nil {
		return t
	}
	return &ActionType{Name: rec.Action}
}

func bestIndex(vs []actionValue) int {
	best := 0
	for i, v := range vs {
		if v.ev > vs[best].ev {
			best = i
		}
	}
	return best
}

// allocate chooses each account's contact under the day's capacities. On a
// scenario basis, where no value is known, the amount stands in for it:
// biggest debts first, as a collections team would.
func (r *Recommender) allocate(plans []*planned, basis string) []int {
	resIdx := map[string]int{}
	var capacity []float64
	resource := func(key string, c float64) int {
		if i, ok := resIdx[key]; ok {
			return i
		}
		resIdx[key] = len(capacity)
		capacity = append(capacity, c)
		return len(capacity) - 1
	}
	channels := map[string]int{}
	for k, v := range r.S.Rules.ChannelCapacity {
		channels[k] = v
	}
	for k, v := range r.Capacity {
		channels[k] = v
	}
	opts := make([][]option, len(plans))
	for i, p := range plans {
		coll := p.a.acc.Customer.Collector
		for j, c := range p.cands {
			o := option{value: p.values[j].ev}
			if basis == BasisScenario {
				o.value = c.value.Float() + 1
			}
			if n, ok := channels[c.typ.Channel]; ok {
				o.uses = append(o.uses, use{resource("channel:"+c.typ.Channel, float64(n)), 1})
			}
			if c.typ.Personal && coll != "" {
				n, ok := r.S.Rules.CollectorCapacity[coll]
				if !ok {
					n, ok = r.S.Rules.CollectorCapacity["*"]
				}
				if ok {
					o.uses = append(o.uses, use{resource("collector:"+coll, float64(n)), 1})
				}
			}
			if r.S.Rules.DailyBudget > 0 {
				o.uses = append(o.uses, use{resource("budget", r.S.Rules.DailyBudget.Float()), c.typ.Cost.Float()})
			}
			opts[i] = append(opts[i], o)
		}
	}
	return allocate(opts, capacity)
}

// randomise replaces a recommendation, with probability hold, by an
// alternative drawn uniformly from wait and the account's other options
// that fit the capacity left, recording the propensity. A severe account
// (holdoutExempt) keeps the recommendation, with propensity 1.
func (r *Recommender) randomise(rec *Recommendation, b *Book, p *planned, chosen int, capa *capacity, hold float64) {
	step := ""
	if p.hasStep {
		step = p.scenario.typ.Name
	}
	if why := r.S.holdoutExempt(p.a, b.Day, rec.Action, step); why != "" {
		rec.Propensity, rec.HoldoutExempt = 1, why
		rec.Reasons = append(rec.Reasons, "not eligible for the randomised holdout: "+why)
		return
	}
	alts := []int{-1} // wait
	for j, c := range p.cands {
		if j == chosen {
			continue
		}
		if ok, _ := capa.fits(c.typ, c.typ.Channel, p.a.acc.Customer.Collector, c.typ.Cost); ok {
			alts = append(alts, j)
		}
	}
	k := float64(len(alts))
	rec.Propensity = roundPropensity(1 - hold)
	if r.rng.Float64() >= hold {
		return
	}
	pick := alts[r.rng.IntN(len(alts))]
	c0 := p.cands[chosen]
	capa.give(c0.typ, c0.typ.Channel, p.a.acc.Customer.Collector, c0.typ.Cost)
	var alt Recommendation
	if pick < 0 {
		alt = *rec
		alt.Action, alt.Channel, alt.ExpectedValue, alt.Uplift, alt.Cost = ActionWait, "", nil, nil, 0
		alt.Reasons = []string{fmt.Sprintf("randomised holdout: waiting instead of the recommended %s, to keep measuring what %s achieves", rec.Action, rec.Action)}
	} else {
		c := p.cands[pick]
		capa.take(c.typ, c.typ.Channel, p.a.acc.Customer.Collector, c.typ.Cost)
		alt = r.recommendation(b, p, pick, rec.Basis)
		alt.Reasons = append([]string{fmt.Sprintf("randomised holdout: %s instead of the recommended %s", c.typ.Name, rec.Action)}, alt.Reasons...)
	}
	alt.Policy, alt.Propensity = PolicyHoldout, roundPropensity(hold/k)
	*rec = alt
}

func (c *capacity) give(t *ActionType, channel, collector string, cost datasets.Money) {
	if n, ok := c.channels[channel]; ok {
		c.channels[channel] = n + 1
	}
	if t.Personal && collector != "" {
		if n, ok := c.collectors[collector]; ok {
			c.collectors[collector] = n + 1
		}
	}
	if c.limited {
		c.budget += cost
	}
}
