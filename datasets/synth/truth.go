package synth

import (
	"math"
	"strconv"

	"github.com/dsopilot/dsopilot/datasets"
)

// Truth file names in a ledger directory.
const (
	TruthFile              = "truth.csv"
	TruthCustomersFile     = "truth_customers.csv"
	TruthActionEffectsFile = "truth_action_effects.csv"
)

// InvoiceTruth is the ground truth of one invoice, a row of truth.csv.
type InvoiceTruth struct {
	InvoiceID  string
	CustomerID string
	Behaviour  string
	// PLate is the exact probability, as of the issue date, that the invoice
	// is settled after its due date or never (written off).
	PLate float64
	// PDispute is the probability that the invoice is disputed.
	PDispute float64
	// CourtesyReminder says a courtesy reminder is scheduled before due.
	CourtesyReminder bool
	// MeanDelay is the mean natural payment time in days after due, before
	// dunning, disputes and default.
	MeanDelay float64
}

// TruthColumns returns the header of truth.csv.
func TruthColumns() []string {
	return []string{"invoice_id", "p_late", "customer_id", "behaviour", "p_dispute", "courtesy_reminder", "mean_natural_delay_days"}
}

// Record formats t as a row of TruthColumns.
func (t *InvoiceTruth) Record() []string {
	return []string{t.InvoiceID, ftoa(t.PLate, 6), t.CustomerID, t.Behaviour, ftoa(t.PDispute, 6),
		strconv.FormatBool(t.CourtesyReminder), ftoa(t.MeanDelay, 3)}
}

// appendCSV appends t as a CSV line without building a []string: truth.csv
// has a row per invoice. Its fields never need quoting.
func (t *InvoiceTruth) appendCSV(b []byte) []byte {
	b = append(b, t.InvoiceID...)
	b = append(b, ',')
	b = strconv.AppendFloat(b, t.PLate, 'f', 6, 64)
	b = append(b, ',')
	b = append(b, t.CustomerID...)
	b = append(b, ',')
	b = append(b, t.Behaviour...)
	b = append(b, ',')
	b = strconv.AppendFloat(b, t.PDispute, 'f', 6, 64)
	b = append(b, ',')
	b = strconv.AppendBool(b, t.CourtesyReminder)
	b = append(b, ',')
	b = strconv.AppendFloat(b, t.MeanDelay, 'f', 3, 64)
	return append(b, '\n')
}

// CustomerTruth is a customer's behaviour type and latent parameters, a row
// of truth_customers.csv. Delays are days after the due date.
type CustomerTruth struct {
	CustomerID string
	Behaviour  string
	Segment    string
	Country    string
	// BaseDelay is the mean of the regular component of the natural payment
	// time, including country, segment and channel, before seasonality,
	// amount and drift: the customer's persistent propensity.
	BaseDelay float64
	DelaySD   float64
	// SlipProb is the weight of the slip component (a forgotten invoice),
	// whose mean is SlipDelay.
	SlipProb          float64
	SlipDelay         float64
	DisputeProb       float64 // per invoice of median size
	DisputeMedianDays float64 // median days from a dispute's opening to settlement
	DriftPerMonth     float64 // days of extra delay per month of distress
	DistressStart     datasets.Date
	DefaultHazard     float64       // per day, from the later of distress and period start
	DefaultDate       datasets.Date // zero unless the customer defaulted within the period
	WriteOffDate      datasets.Date // zero unless the write-off fell within the period
	InvoicesPerMonth  float64
	MedianAmountEUR   float64
}

// CustomerTruthColumns returns the header of truth_customers.csv.
func CustomerTruthColumns() []string {
	return []string{"customer_id", "behaviour", "segment", "country", "base_delay_days", "delay_sd_days",
		"slip_prob", "slip_delay_days", "dispute_prob", "dispute_median_days", "drift_days_per_month",
		"distress_start", "default_hazard_per_day", "default_date", "write_off_date",
		"invoices_per_month", "median_amount_eur"}
}

// Record formats t as a row of CustomerTruthColumns.
func (t *CustomerTruth) Record() []string {
	return []string{t.CustomerID, t.Behaviour, t.Segment, t.Country, ftoa(t.BaseDelay, 3), ftoa(t.DelaySD, 3),
		ftoa(t.SlipProb, 4), ftoa(t.SlipDelay, 3), ftoa(t.DisputeProb, 4), ftoa(t.DisputeMedianDays, 2),
		ftoa(t.DriftPerMonth, 3), t.DistressStart.String(), ftoa(t.DefaultHazard, 6), t.DefaultDate.String(),
		t.WriteOffDate.String(), ftoa(t.InvoicesPerMonth, 3), ftoa(t.MedianAmountEUR, 2)}
}

// ActionEffect is the true effect of one dunning action on customers of one
// behaviour, a row of truth_action_effects.csv. Taken on an unpaid invoice of
// a customer that has not defaulted, the action triggers, with probability
// PRespond and independently of everything else, a payment LagMinDays to
// LagMaxDays days later (uniform, whole days); otherwise the invoice's course
// is unchanged. For calls the response is a kept promise: the customer is
// reached (PContact), promises (PPromise) a date in the lag window and keeps
// it (PKeep); PRespond is their product.
type ActionEffect struct {
	Behaviour  string
	Action     string
	Channel    string
	OffsetDays int // when the standard scenario takes the action, relative to due
	PRespond   float64
	LagMinDays int
	LagMaxDays int
	PContact   float64
	PPromise   float64
	PKeep      float64
	// TypicalDaysSaved is the expected reduction in days to payment for a
	// typical customer of the behaviour (central latent parameters, no
	// shifts) whose invoice is unpaid at OffsetDays, from this action alone.
	TypicalDaysSaved float64
}

// ActionEffectColumns returns the header of truth_action_effects.csv.
func ActionEffectColumns() []string {
	return []string{"behaviour", "action_type", "channel", "offset_days", "p_respond", "lag_min_days",
		"lag_max_days", "p_contact", "p_promise", "p_keep", "typical_days_saved"}
}

// Record formats e as a row of ActionEffectColumns.
func (e *ActionEffect) Record() []string {
	return []string{e.Behaviour, e.Action, e.Channel, strconv.Itoa(e.OffsetDays), ftoa(e.PRespond, 4),
		strconv.Itoa(e.LagMinDays), strconv.Itoa(e.LagMaxDays), ftoa(e.PContact, 4), ftoa(e.PPromise, 4),
		ftoa(e.PKeep, 4), ftoa(e.TypicalDaysSaved, 3)}
}

// ActionEffects returns the true effect of every action of the standard
// scenario on every behaviour.
func ActionEffects() []ActionEffect {
	out := make([]ActionEffect, 0, int(numBehaviours)*numSteps)
	for b := range numBehaviours {
		for s := range numSteps {
			st, e := &scenario[s], effects[b][s]
			ae := ActionEffect{
				Behaviour: behaviours[b].name, Action: st.action, Channel: st.channel, OffsetDays: st.offset,
				PRespond: e.respond(s), LagMinDays: st.lagMin, LagMaxDays: st.lagMax,
			}
			if s == stepCall {
				ae.PContact, ae.PPromise, ae.PKeep = e.contact, e.promise, e.keep
			}
			ae.TypicalDaysSaved = typicalDaysSaved(b, s)
			out = append(out, ae)
		}
	}
	return out
}

// typicalDaysSaved is p·E[(X - (t+lag))⁺ | X > t] averaged over the lag, for
// the typical customer's natural payment time X: the payment moves from X to
// t+lag exactly when X is later. For a normal, E[(X-c)⁺] = σφ(d) + (μ-c)Φ(d)
// with d = (μ-c)/σ.
func typicalDaysSaved(b behaviour, s int) float64 {
	spec, st := &behaviours[b], &scenario[s]
	slip := spec.slipProb.mid()
	comps := [2]component{
		{w: 1 - slip, mean: spec.regMean, sd: spec.regSD.mid()},
		{w: slip, mean: spec.regMean + spec.slipOffset.mid(), sd: spec.slipSD},
	}
	t := float64(st.offset)
	unpaid := 0.0
	for _, c := range comps {
		unpaid += c.w * (1 - normCDF((t-c.mean)/c.sd))
	}
	if unpaid < 1e-12 {
		return 0
	}
	saved := 0.0
	for lag := st.lagMin; lag <= st.lagMax; lag++ {
		c0 := t + float64(lag)
		for _, c := range comps {
			d := (c.mean - c0) / c.sd
			saved += c.w * (c.sd*math.Exp(-d*d/2)/math.Sqrt(2*math.Pi) + (c.mean-c0)*normCDF(d))
		}
	}
	saved /= float64(st.lagMax - st.lagMin + 1)
	return effects[b][s].respond(s) * saved / unpaid
}

func ftoa(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }
