package credit

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// The assessment of a portfolio: every customer's account with its risk
// and its rate to the policy's currency, which the suggestions and the
// flags are computed from.

// assessment is the accounts of a ledger with their risk and currency.
type assessment struct {
	pol      *Policy
	asOf     datasets.Date
	list     []*account // by customer id
	risk     map[string]Risk
	rate     map[string]float64        // policy currency per unit of the customer's
	review   map[string]approvedReview // the latest approval by the as-of day
	approved approvals                 // the workflow's approvals, for where a limit comes from
	requests map[string]Request
	// history is the customers' classes at the month-ends their limits'
	// review dates look at (nil without Options.RiskAt: limitReview).
	history *classHistory
	// problems says, customer by customer, which could not be assessed
	// for want of a rate; missing is the same by currency, for the error
	// of Suggest and Flags, which refuse rather than leave them out.
	problems []string
	missing  *MissingRatesError
	// other counts, by currency, the customers Options.Currency left aside.
	other map[string]int
}

// MissingRatesError is customers whose currency has no rate to the
// policy's, and records (invoices, payments, credit notes) in another
// currency than their customer's that has no rate to convert them to it:
// Suggest and Flags refuse to answer without them (a list that silently
// lacks a third of the customers passes for the whole, and an exposure
// that adds dollars as euros is wrong).
type MissingRatesError struct {
	// To is the policy's currency.
	To string
	// Customers counts the customers by currency; Examples gives the
	// first of each (by id), for the user to look up.
	Customers map[string]int
	Examples  map[string]string
	// Records counts by currency, and by kind, the records in another
	// currency than their customer's that have no rate; RecordExamples
	// gives one of each currency (the first by kind, then id) with its
	// customer. Nil when there are none.
	Records        map[string]map[datasets.RecordKind]int
	RecordExamples map[string]ForeignRecord
}

// ForeignRecord is a record in another currency than its customer's.
type ForeignRecord struct {
	datasets.RecordRef
	Customer string
}

func (e *MissingRatesError) Error() string {
	parts := make([]string, 0, len(e.Customers)+len(e.Records))
	for _, cur := range e.Currencies() {
		var what []string
		if n := e.Customers[cur]; n > 0 {
			what = append(what, fmt.Sprintf("%s, e.g. customer %s", plural(n, "customer"), e.Examples[cur]))
		}
		if kinds := e.Records[cur]; len(kinds) > 0 {
			ex := e.RecordExamples[cur]
			what = append(what, fmt.Sprintf("%s not in their customer's currency, e.g. %s of customer %s", describeKinds(kinds), ex.RecordRef, ex.Customer))
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", cur, strings.Join(what, "; ")))
	}
	return fmt.Sprintf("%v: no rate to %s for %s", datasets.ErrFX, e.To, strings.Join(parts, ", "))
}

// Unwrap makes the error a datasets.ErrFX, as the ledger's conversions'.
func (e *MissingRatesError) Unwrap() error { return datasets.ErrFX }

// Currencies lists the currencies without a rate, sorted.
func (e *MissingRatesError) Currencies() []string {
	seen := map[string]bool{}
	for cur := range e.Customers {
		seen[cur] = true
	}
	for cur := range e.Records {
		seen[cur] = true
	}
	return sortedIDs(seen)
}

// addCustomer counts customer id, in currency cur without a rate.
func (e *MissingRatesError) addCustomer(cur, id string) {
	if e.Customers[cur]++; e.Examples[cur] == "" || id < e.Examples[cur] {
		e.Examples[cur] = id
	}
}

// addRecords counts customer id's records without a rate.
func (e *MissingRatesError) addRecords(id string, f foreignRecords) {
	if e.Records == nil {
		e.Records, e.RecordExamples = map[string]map[datasets.RecordKind]int{}, map[string]ForeignRecord{}
	}
	for cur, c := range f {
		if e.Records[cur] == nil {
			e.Records[cur] = map[datasets.RecordKind]int{}
		}
		for k, n := range c.kinds {
			e.Records[cur][k] += n
		}
		// ids come sorted: the first customer's first record.
		if _, ok := e.RecordExamples[cur]; !ok {
			e.RecordExamples[cur] = ForeignRecord{c.first, id}
		}
	}
}

// missingRates is the assessment's missing rates as an error, or nil.
func (as *assessment) missingRates() error {
	if as.missing == nil {
		return nil
	}
	return as.missing
}

// currencyOf is the currency a customer's amounts are read in: its own,
// else the policy's.
func currencyOf(c *datasets.Customer, pol *Policy) string { return cmp.Or(c.Currency, pol.Currency) }

// assess builds the accounts and settles each one's risk and exchange rate.
// Customers whose currency has no rate, or with records in another
// currency that has none, are left out, listed in problems and counted in
// missing; with Options.Currency, those in another currency are left
// aside and counted in other (their records need no rate).
func assess(l *datasets.Ledger, asOf datasets.Date, pol *Policy, o Options) (*assessment, error) {
	return assessParts(features.WholeLedger(l), asOf, pol, o)
}

// assessParts is assess over a ledger read in parts of whole customers
// (features.Parts); it reads them again when a selected customer needs
// the segments' fallback rates, which are the whole portfolio's.
func assessParts(parts features.Parts, asOf datasets.Date, pol *Policy, o Options) (*assessment, error) {
	byID, err := accountsParts(parts, asOf, pol, o.FX, o.Customers)
	if err != nil {
		return nil, err
	}
	for _, id := range o.Customers {
		if byID[id] == nil {
			return nil, fmt.Errorf("%w: customer %q", ErrNotFound, id)
		}
		if cur := currencyOf(&byID[id].c, pol); o.Currency != "" && cur != o.Currency {
			return nil, fmt.Errorf("%w: customer %s is in %s, not %s", ErrInput, id, cur, o.Currency)
		}
	}
	if o.Currency != "" && len(byID) > 0 {
		// A currency no customer is in (a typo) would answer with an empty
		// list, which reads as "nothing to do".
		have := map[string]bool{}
		for _, a := range byID {
			have[currencyOf(&a.c, pol)] = true
		}
		if !have[o.Currency] {
			return nil, fmt.Errorf("%w: no customer is in %s (the ledger's customers are in %s)", ErrInput, o.Currency, strings.Join(slices.Sorted(maps.Keys(have)), ", "))
		}
	}
	as := &assessment{pol: pol, asOf: asOf, risk: map[string]Risk{}, rate: map[string]float64{}, review: map[string]approvedReview{},
		approved: approvalsOf(o.Events), requests: o.Requests}
	every := make([]*account, 0, len(byID))
	for _, id := range sortedIDs(byID) {
		a := byID[id]
		every = append(every, a)
		if cur := currencyOf(&a.c, pol); o.Currency != "" && cur != o.Currency {
			if as.other == nil {
				as.other = map[string]int{}
			}
			as.other[cur]++
			continue
		}
		r, ok := currencyRate(a.c.Currency, pol.Currency, o.FX)
		if !ok || a.unrated != nil {
			if as.missing == nil {
				as.missing = &MissingRatesError{To: pol.Currency, Customers: map[string]int{}, Examples: map[string]string{}}
			}
			if !ok {
				as.problems = append(as.problems, fmt.Sprintf("customer %s: no rate from %s to %s (pass the rates with --fx)", id, a.c.Currency, pol.Currency))
				as.missing.addCustomer(a.c.Currency, id)
			}
			// Its records in other currencies without a rate: its
			// amounts would add them in unconverted.
			own := currencyOf(&a.c, pol)
			for _, cur := range sortedIDs(a.unrated) {
				what := describeKinds(a.unrated[cur].kinds)
				if cur == own { // the customer's currency is the one without a rate
					as.problems = append(as.problems, fmt.Sprintf("customer %s: no rate for %s, its currency, to convert %s in other currencies to it (pass the rates with --fx)", id, cur, what))
					continue
				}
				as.problems = append(as.problems, fmt.Sprintf("customer %s: no rate from %s to %s for %s (pass the rates with --fx)", id, cur, own, what))
			}
			if a.unrated != nil {
				as.missing.addRecords(id, a.unrated)
			}
			continue
		}
		as.rate[id] = r
		as.list = append(as.list, a)
	}
	fallback, err := segmentFallback(parts, asOf, pol, o, as.list, every)
	if err != nil {
		return nil, err
	}
	for _, a := range as.list {
		as.risk[a.c.ID] = pdOf(a, o.Risk, fallback)
	}
	// An approval's review date is known from its day on (Approve dates
	// its decision on the approval's UTC day), and holds only while the
	// decision it recorded is the limit in force (reviewDate).
	for i := range o.Events {
		e := &o.Events[i]
		day := e.BusinessDay()
		if e.Kind == datasets.CreditApproved && e.Review != 0 && day <= asOf {
			as.review[e.CustomerID] = approvedReview{day: day, review: e.Review, class: e.RiskClass} // events come in proposal order; approvals set limits in claim order
		}
	}
	if o.RiskAt != nil || o.RiskAtDays != nil {
		if err := as.learnClasses(parts, o); err != nil {
			return nil, err
		}
	}
	return as, nil
}

// segmentFallback is the PD by segment for customers without their own:
// from the whole portfolio's accounts (every: those built, the whole
// portfolio's unless customers were selected), also when only some
// customers are assessed (a segment's rate taken from the one customer
// asked about would be that customer's own record) or only one currency
// (a probability and a count of defaults need no conversion, so a
// customer's suggestion is the same in a run of its currency alone). The
// portfolio's accounts are built only when a selected customer needs the
// fallback.
func segmentFallback(parts features.Parts, asOf datasets.Date, pol *Policy, o Options, list, every []*account) (segmentRates, error) {
	if len(o.Customers) == 0 {
		return segmentPD(every, o.Risk, asOf), nil
	}
	needed := false
	for _, a := range list {
		if r, ok := o.Risk[a.c.ID]; !ok || r.PD <= 0 {
			needed = true
			break
		}
	}
	if !needed {
		return segmentRates{}, nil
	}
	all, err := accountsParts(parts, asOf, pol, o.FX, nil)
	if err != nil {
		return segmentRates{}, err
	}
	// The same accounts as a whole-portfolio run counts: every one.
	every = every[:0:0]
	for _, id := range sortedIDs(all) {
		every = append(every, all[id])
	}
	return segmentPD(every, o.Risk, asOf), nil
}

func sortedIDs[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// currencyRate is what one unit of cur is worth in to.
func currencyRate(cur, to string, fx datasets.FX) (float64, bool) {
	if cur == "" || cur == to {
		return 1, true
	}
	if fx.To != to {
		return 0, false
	}
	r, ok := fx.Rate(cur)
	return float64(r) / 1e9, ok
}

// inPolicy converts a customer's amount to the policy's currency.
func (as *assessment) inPolicy(id string, m datasets.Money) datasets.Money {
	return datasets.Money(math.Round(float64(m) * as.rate[id]))
}

// local converts a policy amount to a customer's currency.
func (as *assessment) local(id string, m datasets.Money) datasets.Money {
	return datasets.Money(math.Round(float64(m) / as.rate[id]))
}

// segmentPD is each segment's probability of 90+ or write-off for customers
// without their own: the mean of the known ones of the segment's customers
// with nothing overdue on asOf when at least five have one, else the segment's observed yearly default rate, with
// half a default of prior so that no segment is deemed riskless. A segment
// of fewer than minSegmentActive active customers takes the whole
// portfolio's rate instead: one customer with no default would otherwise
// be given (0 + 0.5)/(1 + 1), a PD of 25% that is the prior, not an
// observation (a customer ingested without a segment got it).
func segmentPD(list []*account, risk map[string]Risk, asOf datasets.Date) segmentRates {
	type acc struct {
		known, sum       float64
		active, defaults float64
	}
	by := map[string]*acc{}
	yearAgo := asOf.AddDays(-365)
	for _, a := range list {
		s := by[a.c.Segment]
		if s == nil {
			s = &acc{}
			by[a.c.Segment] = s
		}
		// Peers alike: a customer without a PD of its own has nothing
		// open for the payment model to score, so nothing overdue; the
		// mean of every scored customer's PD, those in arrears included,
		// rated the prompt payers of a trial with nothing owed 21-24%,
		// "high" (the segment's customers drifting toward default owe the
		// most invoices, all of them scored).
		if r, ok := risk[a.c.ID]; ok && r.PD > 0 && a.arrears(asOf, 0) == 0 {
			s.known++
			s.sum += r.PD
		}
		if a.issued > 0 || a.gross > 0 || a.defaulted > yearAgo {
			s.active++
			if a.defaulted > yearAgo {
				s.defaults++
			}
		}
	}
	var all acc
	for _, s := range by {
		all.active += s.active
		all.defaults += s.defaults
	}
	out := segmentRates{rate: make(map[string]float64, len(by)), observed: make(map[string]float64, len(by))}
	for seg, s := range by {
		observed := (s.defaults + 0.5) / (s.active + 1)
		if s.active < minSegmentActive {
			observed = (all.defaults + 0.5) / (all.active + 1)
		}
		out.observed[seg], out.rate[seg] = observed, observed
		if s.known >= 5 {
			out.rate[seg] = s.sum / s.known
		}
	}
	return out
}

// segmentRates are the PDs of customers without their own, by segment:
// rate is segmentPD's; observed the segment's observed yearly default
// rate, which a customer with nothing open gets (cleanHistory).
type segmentRates struct {
	rate, observed map[string]float64
}

// cleanHistory says whether a customer has nothing open (and is not in
// default): the payment model has nothing of its own to score, and the
// mean of its segment's scored PDs is the mean of customers who owe (the
// probabilities of their open invoices ending 90+ days overdue, which the
// segment's customers drifting toward default raise); the segment's
// observed default rate is the estimate of a default within a year that
// is not about other customers' open invoices (a trial's prompt payers
// with nothing owed were given 21-24% and classed high). How it paid
// shows in its need (the lateness counted); a month-end's account
// (historyAccounts) reads no behaviour, so none is read here either, and
// a class at a month-end is the one the day would give.
func (r segmentRates) cleanHistory(a *account) bool {
	return a.gross == 0 && a.defaulted == 0
}

// minSegmentActive is the number of active customers a segment needs for
// its own default rate: below it the prior's half default decides it.
const minSegmentActive = 5
