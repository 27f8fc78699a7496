package synth

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// The tables in this file are the simulator's parameters. They are read-only:
// nothing writes to them after initialisation.

// Behaviour names as written to the truth files.
const (
	BehaviourPrompt       = "prompt"
	BehaviourChronicLate  = "chronic_late"
	BehaviourForgetful    = "forgetful"
	BehaviourCashStrapped = "cash_strapped"
	BehaviourDisputer     = "disputer"
)

// Dunning action types of the standard scenario, as written to actions.csv.
const (
	ActionCourtesyReminder = "courtesy_reminder"
	ActionReminder         = "reminder"
	ActionCall             = "call"
	ActionFinalNotice      = "final_notice"
	ActionCollectionAgency = "collection_agency"
	ActionCreditHold       = "credit_hold"
)

// Action outcomes, as written to actions.csv.
const (
	outcomeNoResponse    = "no_response"
	outcomePromise       = "promise"
	outcomePaid          = "paid"
	outcomeContactFailed = "contact_failed"
)

type behaviour uint8

const (
	prompt behaviour = iota
	chronicLate
	forgetful
	cashStrapped
	disputer
	numBehaviours
)

// span is a uniform range.
type span struct{ lo, hi float64 }

func (s span) draw(r *rand.Rand) float64 { return s.lo + (s.hi-s.lo)*r.Float64() }
func (s span) mid() float64              { return (s.lo + s.hi) / 2 }

// behaviourSpec holds the distributions a behaviour's customers draw their
// latent parameters from. Delays are days relative to the due date.
type behaviourSpec struct {
	name  string
	share float64
	// Regular component of the natural delay: its mean is drawn once per
	// customer (normal, floored), its spread uniformly.
	regMean, regMeanSD, regMeanMin float64
	regSD                          span
	// Slip component: probability, mean as an offset from the regular mean,
	// and spread.
	slipProb, slipOffset span
	slipSD               float64
	// Disputes: per-invoice probability, median days from opening to
	// settlement, and the chance a dispute is credited.
	pDispute, disputeMedian span
	pCredited               float64
	// Share of undisputed invoices settled in two payments.
	pPartial float64
	// Cash-strapped only: delay drift per month of distress, and default
	// hazard per day once distress has begun.
	drift, hazard span
}

var behaviours = [numBehaviours]behaviourSpec{
	prompt: {name: BehaviourPrompt, share: 0.40,
		regMean: -6, regMeanSD: 1.5, regMeanMin: -12, regSD: span{2, 4},
		slipProb: span{0.02, 0.08}, slipOffset: span{13, 25}, slipSD: 8,
		pDispute: span{0.01, 0.02}, disputeMedian: span{12, 20}, pCredited: 0.75, pPartial: 0.03},
	chronicLate: {name: BehaviourChronicLate, share: 0.20,
		regMean: 18, regMeanSD: 6, regMeanMin: 6, regSD: span{5, 10},
		slipProb: span{0.05, 0.15}, slipOffset: span{20, 40}, slipSD: 15,
		pDispute: span{0.02, 0.04}, disputeMedian: span{20, 35}, pCredited: 0.6, pPartial: 0.10},
	forgetful: {name: BehaviourForgetful, share: 0.20,
		regMean: -2, regMeanSD: 1.5, regMeanMin: -8, regSD: span{2, 4},
		slipProb: span{0.30, 0.55}, slipOffset: span{32, 52}, slipSD: 12,
		pDispute: span{0.01, 0.03}, disputeMedian: span{12, 20}, pCredited: 0.7, pPartial: 0.05},
	// Cash-strapped customers never dispute: the default hazard would then
	// race a lognormal settlement, which has no closed form.
	cashStrapped: {name: BehaviourCashStrapped, share: 0.10,
		regMean: 5, regMeanSD: 3, regMeanMin: -3, regSD: span{5, 9},
		slipProb: span{0.10, 0.20}, slipOffset: span{25, 40}, slipSD: 15,
		pPartial: 0.30, drift: span{2.5, 6}, hazard: span{1.0 / 500, 1.0 / 180}},
	disputer: {name: BehaviourDisputer, share: 0.10,
		regMean: 1, regMeanSD: 3, regMeanMin: -6, regSD: span{3, 6},
		slipProb: span{0.05, 0.12}, slipOffset: span{14, 29}, slipSD: 10,
		pDispute: span{0.20, 0.40}, disputeMedian: span{20, 40}, pCredited: 0.4, pPartial: 0.05},
}

// Dispute mechanics shared by all behaviours.
const (
	disputeOpenMin   = 3   // days after issue
	disputeOpenMax   = 20  // days after issue; below the shortest term
	disputeSigma     = 0.5 // lognormal sigma of days from opening to settlement
	disputeAmountExp = 0.3 // elasticity of dispute probability to relative amount
	pDisputeWithdraw = 0.1 // of uncredited disputes
)

var disputeReasons = []weighted[string]{
	{"price", 0.35}, {"short_delivery", 0.20}, {"quality", 0.25}, {"duplicate", 0.05}, {"other", 0.15},
}

// Invoice amounts and their effect on payment.
const (
	amountSigma          = 0.8     // lognormal sigma of an invoice around the customer's median
	customerAmountSigma  = 0.5     // lognormal sigma of a customer's median around its segment's
	rateSigma            = 0.6     // lognormal sigma of a customer's invoice rate (mean preserved)
	amountDelayPerLog    = 2.0     // days of extra delay per unit of log(amount/median)
	courtesyThresholdEUR = 10000.0 // courtesy reminders go to invoices at least this large
	minAmountCents       = 2500
	pUnallocated         = 0.02 // payments received on account, without invoice reference
)

type segmentSpec struct {
	name      string
	rate      float64 // invoices per month, mean over customers
	medianEUR float64 // median invoice amount
	shift     float64 // days of delay the segment adds
	share     float64 // among customers that are not cash-strapped
	shareCash float64 // among cash-strapped customers (never public sector: it is safe)
	terms     []weighted[datasets.Terms]
	channels  []weighted[string]
}

var (
	net30 = datasets.Terms{Days: 30}
	net45 = datasets.Terms{Days: 45}
	net60 = datasets.Terms{Days: 60}
	eom30 = datasets.Terms{Days: 30, EOM: true}
)

var segments = []segmentSpec{
	{name: "enterprise", rate: 14, medianEUR: 20000, shift: 2, share: 0.15, shareCash: 0.05,
		terms:    []weighted[datasets.Terms]{{net30, 0.3}, {net45, 0.25}, {net60, 0.3}, {eom30, 0.15}},
		channels: []weighted[string]{{"direct", 0.8}, {"reseller", 0.2}}},
	{name: "mid_market", rate: 6, medianEUR: 6000, shift: 0, share: 0.35, shareCash: 0.35,
		terms:    []weighted[datasets.Terms]{{net30, 0.5}, {net45, 0.2}, {net60, 0.1}, {eom30, 0.2}},
		channels: []weighted[string]{{"direct", 0.6}, {"reseller", 0.25}, {"online", 0.15}}},
	{name: "small_business", rate: 2.5, medianEUR: 1200, shift: 1, share: 0.38, shareCash: 0.60,
		terms:    []weighted[datasets.Terms]{{net30, 0.7}, {net45, 0.1}, {eom30, 0.2}},
		channels: []weighted[string]{{"direct", 0.2}, {"reseller", 0.3}, {"online", 0.35}, {"marketplace", 0.15}}},
	{name: "public_sector", rate: 5, medianEUR: 9000, shift: 6, share: 0.12, shareCash: 0,
		terms:    []weighted[datasets.Terms]{{net30, 0.3}, {net45, 0.2}, {net60, 0.4}, {eom30, 0.1}},
		channels: []weighted[string]{{"direct", 0.9}, {"reseller", 0.1}}},
}

// channelShift is the days of delay a sales channel adds: resellers pass
// invoices on late, online buyers tend to pay by card-like habits.
func channelShift(channel string) float64 {
	switch channel {
	case "reseller":
		return 2
	case "online":
		return -1
	case "marketplace":
		return 1
	}
	return 0
}

// FXRatesFile is the simulator's exchange rates to EUR in a ledger
// directory.
const FXRatesFile = "fx_rates.csv"

// FXRate is what one unit of Currency is worth in EUR in the simulation.
type FXRate struct {
	Currency string
	Rate     datasets.Rate
}

// FXRates lists the simulation's currencies other than EUR with their rates
// to EUR (1 / the local units per EUR the amounts are drawn with, to 9
// decimals), sorted by currency.
func FXRates() []FXRate {
	seen := map[string]bool{"EUR": true}
	var out []FXRate
	for _, c := range countries {
		if seen[c.currency] {
			continue
		}
		seen[c.currency] = true
		out = append(out, FXRate{c.currency, datasets.Rate(math.Round(1e9 / c.fx))})
	}
	slices.SortFunc(out, func(a, b FXRate) int { return strings.Compare(a.Currency, b.Currency) })
	return out
}

type countrySpec struct {
	code, currency string
	fx             float64 // local units per EUR
	shift          float64 // payment culture: days of delay
	share          float64
	legal          []string // company suffixes
	public         string   // public-body name pattern, %s is the place
}

var countries = []countrySpec{
	{"DE", "EUR", 1, -2, 0.22, []string{"GmbH", "AG", "KG"}, "Stadt %s"},
	{"NL", "EUR", 1, -2, 0.10, []string{"B.V.", "N.V."}, "Gemeente %s"},
	{"SE", "SEK", 11.5, -3, 0.08, []string{"AB"}, "%s kommun"},
	{"FR", "EUR", 1, 3, 0.14, []string{"SAS", "SARL", "S.A."}, "Ville de %s"},
	{"GB", "GBP", 0.86, 0, 0.14, []string{"Ltd", "PLC"}, "%s Council"},
	{"US", "USD", 1.08, 1, 0.12, []string{"Inc.", "LLC", "Corp."}, "County of %s"},
	{"ES", "EUR", 1, 6, 0.10, []string{"S.L.", "S.A."}, "Ayuntamiento de %s"},
	{"IT", "EUR", 1, 7, 0.10, []string{"S.r.l.", "S.p.A."}, "Comune di %s"},
}

// Relationship and credit management.
const (
	pJoinsDuringPeriod = 0.2  // customers whose relationship starts within the period
	maxTenureDays      = 1800 // how long before the start an existing customer may have joined
	writeOffLagMin     = 120  // days from default to write-off
	writeOffLagMax     = 180
	reviewEveryMonths  = 6    // periodic credit-limit review
	reviewMinChange    = 0.15 // relative change below which a review keeps the limit
	distressCutAfter   = 60   // days of distress before a review cuts the limit
	limitHeadroom      = 1.25
	outcomeWindowDays  = 7 // an action is "paid" when settlement follows within this many days
)

// Seasonality of the due date: holidays and quarter-end cash management slow
// payment down.
func seasonShift(due datasets.Date) float64 {
	_, m, d := due.Time().Date()
	s := 0.0
	switch m {
	case 8:
		s += 4
	case 12:
		s += 5
	}
	if m%3 == 0 && d >= 20 {
		s += 3
	}
	return s
}

// step is one action of the standard dunning scenario.
type step struct {
	action         string
	channel        string
	offset         int // days relative to the due date
	lagMin, lagMax int // days from the action to the payment it triggers (for calls: to the promised date)
}

const (
	stepCourtesy = iota
	stepReminder
	stepCall
	stepFinal
	stepCollection
	numSteps
)

var scenario = [numSteps]step{
	stepCourtesy:   {ActionCourtesyReminder, "email", -5, 1, 3},
	stepReminder:   {ActionReminder, "email", 7, 1, 5},
	stepCall:       {ActionCall, "phone", 21, 3, 14},
	stepFinal:      {ActionFinalNotice, "letter", 45, 1, 10},
	stepCollection: {ActionCollectionAgency, "letter", 90, 5, 30},
}

// effect is how a behaviour responds to one action on an unpaid invoice. For
// calls, the customer is reached (contact), promises to pay (promise) and
// keeps the promise (keep); for other actions p is the response probability.
type effect struct{ p, contact, promise, keep float64 }

func (e effect) respond(s int) float64 {
	if s == stepCall {
		return e.contact * e.promise * e.keep
	}
	return e.p
}

var effects = [numBehaviours][numSteps]effect{
	prompt: {
		stepCourtesy: {p: 0.5}, stepReminder: {p: 0.7},
		stepCall:  {contact: 0.9, promise: 0.9, keep: 0.95},
		stepFinal: {p: 0.8}, stepCollection: {p: 0.9}},
	chronicLate: {
		stepCourtesy: {p: 0.05}, stepReminder: {p: 0.08},
		stepCall:  {contact: 0.8, promise: 0.5, keep: 0.4},
		stepFinal: {p: 0.25}, stepCollection: {p: 0.6}},
	forgetful: {
		stepCourtesy: {p: 0.7}, stepReminder: {p: 0.85},
		stepCall:  {contact: 0.9, promise: 0.9, keep: 0.9},
		stepFinal: {p: 0.8}, stepCollection: {p: 0.9}},
	cashStrapped: {
		stepCourtesy: {p: 0.05}, stepReminder: {p: 0.1},
		stepCall:  {contact: 0.75, promise: 0.8, keep: 0.55},
		stepFinal: {p: 0.15}, stepCollection: {p: 0.2}},
	disputer: {
		stepCourtesy: {p: 0.2}, stepReminder: {p: 0.3},
		stepCall:  {contact: 0.8, promise: 0.6, keep: 0.7},
		stepFinal: {p: 0.5}, stepCollection: {p: 0.7}},
}

type weighted[T any] struct {
	v T
	w float64
}

// pick draws from a weighted list; weights need not sum to one.
func pick[T any](r *rand.Rand, items []weighted[T]) T {
	total := 0.0
	for _, it := range items {
		total += it.w
	}
	u := r.Float64() * total
	for _, it := range items {
		if u < it.w {
			return it.v
		}
		u -= it.w
	}
	return items[len(items)-1].v
}
