package recommender

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// maxItemsValued is how many of a contact's invoices (the largest) are
// valued one by one; the rest take their value-weighted mean days saved.
// Customers with many small open invoices then cost no more than others.
const maxItemsValued = 3

// effectsValuer values contacts with the learnt effects.
type effectsValuer struct {
	e     *Effects
	s     *Scenarios
	day   datasets.Date
	waits map[*Item]waitCurve
}

type waitCurve struct {
	x     []float64
	curve [len(curveDays)]float64
	bags  []float64
}

// value is Σ over the invoices of value × days saved × (cost of capital
// per day + default hazard per day × loss given default) − the cost.
func (v *effectsValuer) value(b *Book, a *assessment, c *candidate) actionValue {
	if v.day != b.Day || v.waits == nil {
		v.day, v.waits = b.Day, map[*Item]waitCurve{}
	}
	perDay := v.s.CostOfCapital/365 + b.hazard(a.profile)*v.s.LossGivenDefault
	items := slices.Clone(c.items)
	slices.SortStableFunc(items, func(x, y *Item) int { return cmp.Compare(y.Value, x.Value) })
	var out actionValue
	var w, saved float64
	nb := len(v.e.models[v.e.hIndex])
	for i, it := range items {
		val := it.Value.Float()
		if i >= maxItemsValued {
			if w > 0 {
				out.ev += val * saved / w * perDay
			}
			continue
		}
		wc, ok := v.waits[it]
		if !ok {
			wc.x = featurize(a.acc, it, b.Day)
			wc.bags = make([]float64, nb)
			wc.curve = v.e.curve(ActionWait, wc.x, wc.bags)
			v.waits[it] = wc
		}
		ab := make([]float64, nb)
		ca := v.e.curve(c.typ.Name, wc.x, ab)
		d := make([]float64, nb)
		for k := range d {
			d[k] = ab[k] - wc.bags[k]
		}
		lo, hi := interval(d)
		days := expectedDaysUnpaid(wc.curve) - expectedDaysUnpaid(ca)
		out.ev += val * days * perDay
		w += val
		saved += val * days
		u := &out.uplift
		u.PaidWithin += val * ca[v.e.hIndex]
		u.PaidWithinWait += val * wc.curve[v.e.hIndex]
		u.Low += val * lo
		u.High += val * hi
		u.DaysSaved += val * days
	}
	if w > 0 {
		u := &out.uplift
		u.PaidWithin /= w
		u.PaidWithinWait /= w
		u.Low /= w
		u.High /= w
		u.DaysSaved /= w
		u.Uplift = u.PaidWithin - u.PaidWithinWait
	}
	out.uplift.Action = c.typ.Name
	out.ev -= c.typ.Cost.Float()
	return out
}

// recommendation describes plan p's candidate k.
func (r *Recommender) recommendation(b *Book, p *planned, k int, basis string) Recommendation {
	a, c := p.a, p.cands[k]
	acc := a.acc
	rec := Recommendation{CustomerID: acc.Customer.ID, Customer: acc.Customer.Name, Collector: acc.Customer.Collector,
		Date: b.Day, Action: c.typ.Name, Channel: c.typ.Channel, Amount: c.value, Cost: c.typ.Cost.Float(), Basis: basis}
	for _, it := range c.items {
		rec.Invoices = append(rec.Invoices, it.Invoice.ID)
	}
	if a.scenario != nil {
		rec.Scenario = a.scenario.Name
	}
	if p.hasStep {
		st := a.scenario.Steps[p.step]
		rec.Step = fmt.Sprintf("%s at due%+d", st.Action, st.Offset)
	}
	switch {
	case basis == BasisScenario:
		rec.Relation = "scenario"
	case p.hasStep && p.scenario.typ.Name == c.typ.Name:
		rec.Relation = "follows"
	case p.hasStep:
		rec.Relation = "replaces"
	default:
		rec.Relation = "ahead_of"
	}
	for _, bl := range a.blocked {
		rec.Blocked = append(rec.Blocked, bl)
	}
	if basis != BasisScenario {
		v := p.values[k]
		ev := v.ev
		rec.ExpectedValue = &ev
		u := v.uplift
		rec.Uplift = &u
	}
	rec.Reasons = r.reasons(b, p, k, rec)
	return rec
}

// reasons says why, with the customer's own numbers.
func (r *Recommender) reasons(b *Book, p *planned, k int, rec Recommendation) []string {
	a, c := p.a, p.cands[k]
	acc, h := a.acc, &a.acc.History
	cur := r.S.Currency
	var out []string
	oldest := 0
	for _, it := range c.items {
		oldest = max(oldest, it.DPD)
	}
	if oldest > 0 {
		out = append(out, fmt.Sprintf("owes %s %s on %d invoice(s) in this contact, the oldest %d days overdue", money(c.value), cur, len(c.items), oldest))
	} else {
		out = append(out, fmt.Sprintf("%s %s falls due within %d days on %d invoice(s)", money(c.value), cur, -oldest, len(c.items)))
	}
	if share, ok := h.LateShare(); ok {
		out = append(out, fmt.Sprintf("paid %d of its last %d invoices late (median %d days late)", h.Late, h.Settled, h.MedianDaysLate()))
		_ = share
	} else {
		out = append(out, "no invoice settled in the last year: the estimate rests on customers like it")
	}
	if rs := h.Responses[c.typ.Name]; len(rs) > 0 {
		last := rs[max(0, len(rs)-5):]
		n, within := 0, 0
		for _, d := range last {
			if d >= 0 {
				n++
				within = max(within, d)
			}
		}
		if n > 0 {
			out = append(out, fmt.Sprintf("paid within %d days of a %s: %d of the last %d times", within, label(c.typ.Name), n, len(last)))
		} else {
			out = append(out, fmt.Sprintf("did not pay within %d days of a %s any of the last %d times", responseWindowDays, label(c.typ.Name), len(last)))
		}
	}
	for _, t := range []string{ActionReminder, ActionCourtesyReminder} {
		if t == c.typ.Name {
			continue
		}
		if rs := h.Responses[t]; len(rs) >= 3 && !slices.ContainsFunc(rs[max(0, len(rs)-5):], func(d int) bool { return d >= 0 }) {
			out = append(out, fmt.Sprintf("%ss had no measurable effect on this customer (none of the last %d answered by payment)", label(t), min(5, len(rs))))
		}
	}
	if rec.Uplift != nil {
		u := rec.Uplift
		out = append(out, fmt.Sprintf("a %s raises the chance of payment within %d days from %.0f%% to %.0f%% (uplift %+.0f points, 95%% interval %+.0f to %+.0f)",
			label(c.typ.Name), r.S.HorizonDays, 100*u.PaidWithinWait, 100*u.PaidWithin, 100*u.Uplift, 100*u.Low, 100*u.High))
		out = append(out, fmt.Sprintf("brings about %.1f days × %s %s forward: worth %.2f %s net of its %.2f %s cost",
			u.DaysSaved, money(c.value), cur, *rec.ExpectedValue, cur, rec.Cost, cur))
	}
	switch rec.Relation {
	case "replaces":
		out = append(out, fmt.Sprintf("the scenario would take the %s today; the %s is worth more", rec.Step, label(c.typ.Name)))
	case "ahead_of":
		out = append(out, "the scenario has nothing due today: acting now is worth more than waiting")
	case "scenario":
		out = append(out, fmt.Sprintf("scenario %q step %s", rec.Scenario, rec.Step))
	}
	if acc.LastContact != 0 {
		out = append(out, fmt.Sprintf("last contacted on %s (%s)", acc.LastContact, label(acc.LastContactType)))
	}
	return out
}

func label(t string) string { return strings.ReplaceAll(t, "_", " ") }

// money formats an amount with thousands separators and no cents.
func money(m datasets.Money) string {
	v := int64(m+50) / 100
	neg := v < 0
	if neg {
		v = -v
	}
	s := fmt.Sprint(v)
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
