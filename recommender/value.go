package recommender

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// maxItemsValued is how many of a contact's invoices (the largest) are
// valued one by one; the rest take their value-weighted mean days saved.
// Customers with many small open invoices then cost no more than others.
const maxItemsValued = 2

// effectsValuer values contacts with the learnt effects.
type effectsValuer struct {
	e *Effects
	s *Scenarios
}

func (v *effectsValuer) fork() valuer { return &effectsValuer{e: v.e, s: v.s} }

// value values one candidate (see valuesMany).
func (v *effectsValuer) value(b *Book, a *assessment, c *candidate) actionValue {
	return v.valuesMany(b, []accountCands{{a: a, cands: []candidate{*c}}})[0][0]
}

// accountCands is an account's candidates, to be valued with others'.
type accountCands struct {
	a     *assessment
	cands []candidate
}

// valuesMany prices the accounts' candidates: for each, Σ over the
// contact's invoices of value × days saved × (cost of capital per day +
// the account's default hazard per day × loss given default) − the
// contact's cost. The largest maxItemsValued invoices of a contact are
// valued one by one, the rest at their mean days saved. Every (invoice,
// arm) row of all the accounts goes through each model in one batch: the
// tree kernel descends four rows at a time and keeps a tree's nodes in
// cache while it does, so a few hundred rows a batch cost less per row
// than an account's handful.
func (v *effectsValuer) valuesMany(b *Book, accs []accountCands) [][]actionValue {
	e := v.e
	nf := len(e.Features)
	stride := nf + len(e.Arms)
	// Rows: a wait row per invoice valued, then an arm row per (contact,
	// invoice valued).
	type rows struct {
		waitRow map[*Item]int
		valued  [][]*Item
		armRows [][]int
		skip    []bool
		perDay  float64
	}
	most := 0 // rows at most: a wait and an arm row per invoice valued
	for _, ac := range accs {
		for ci := range ac.cands {
			most += 2 * min(maxItemsValued, len(ac.cands[ci].items))
		}
	}
	X := make([]float64, 0, most*stride)
	addRow := func(x []float64, arm string) int {
		X = append(X, x...)
		for _, a := range e.Arms {
			X = append(X, b2f(a == arm))
		}
		return len(X)/stride - 1
	}
	// A contact cannot save more than the curve's 60 days on every invoice
	// it covers: one whose cost exceeds even that is not worth predicting.
	horizon := float64(curveDays[len(curveDays)-1])
	per := make([]rows, len(accs))
	for ai, ac := range accs {
		cands := ac.cands
		rs := &per[ai]
		rs.perDay = v.s.CostOfCapital/365 + ac.a.hazard(b)*v.s.LossGivenDefault
		rs.waitRow = map[*Item]int{}
		rs.valued, rs.armRows, rs.skip = make([][]*Item, len(cands)), make([][]int, len(cands)), make([]bool, len(cands))
		for ci := range cands {
			rs.skip[ci] = cands[ci].value.Float()*horizon*rs.perDay <= cands[ci].typ.Cost.Float()
		}
		for ci := range cands {
			if rs.skip[ci] {
				continue
			}
			items := slices.Clone(cands[ci].items)
			slices.SortStableFunc(items, func(x, y *Item) int { return cmp.Compare(y.Value, x.Value) })
			rs.valued[ci] = items
			for i, it := range items {
				if i >= maxItemsValued {
					break
				}
				if _, ok := rs.waitRow[it]; !ok {
					rs.waitRow[it] = addRow(featurize(ac.a.acc, it, b.Day), ActionWait)
				}
				wr := rs.waitRow[it]
				armRow := addRow(X[wr*stride:wr*stride+nf], cands[ci].typ.Name)
				rs.armRows[ci] = append(rs.armRows[ci], armRow)
			}
		}
	}
	n := len(X) / stride
	curves := make([][len(curveDays)]float64, n)
	nb := len(e.models[e.hIndex])
	bagsH := make([]float64, n*nb)
	out := make([]float64, n)
	for k := range curveDays {
		for j, m := range e.models[k] {
			m.PredictFlat(X, stride, out)
			for r, p := range out {
				curves[r][k] += p / float64(len(e.models[k]))
				if k == e.hIndex {
					bagsH[r*nb+j] = p
				}
			}
		}
	}
	for r := range curves {
		for k := 1; k < len(curveDays); k++ {
			curves[r][k] = max(curves[r][k], curves[r][k-1])
		}
	}
	all := make([][]actionValue, len(accs))
	d := make([]float64, nb)
	for ai, ac := range accs {
		rs := &per[ai]
		res := make([]actionValue, len(ac.cands))
		for ci := range ac.cands {
			c := &ac.cands[ci]
			o := &res[ci]
			if rs.skip[ci] {
				o.uplift.Action, o.ev = c.typ.Name, -c.typ.Cost.Float()
				continue
			}
			var w, saved float64
			for i, it := range rs.valued[ci] {
				val := it.Value.Float()
				if i >= maxItemsValued {
					if w > 0 {
						o.ev += val * saved / w * rs.perDay
					}
					continue
				}
				ar, wr := rs.armRows[ci][i], rs.waitRow[it]
				for j := range d {
					d[j] = bagsH[ar*nb+j] - bagsH[wr*nb+j]
				}
				lo, hi := intervalAround(curves[ar][e.hIndex]-curves[wr][e.hIndex], d)
				days := expectedDaysUnpaid(curves[wr]) - expectedDaysUnpaid(curves[ar])
				o.ev += val * days * rs.perDay
				w += val
				saved += val * days
				u := &o.uplift
				u.PaidWithin += val * curves[ar][e.hIndex]
				u.PaidWithinWait += val * curves[wr][e.hIndex]
				u.Low += val * lo
				u.High += val * hi
				u.DaysSaved += val * days
			}
			o.uplift.average(w)
			o.uplift.Action = c.typ.Name
			o.ev -= c.typ.Cost.Float()
		}
		all[ai] = res
	}
	return all
}

// recommendation describes plan p's candidate k.
func (r *Recommender) recommendation(b *Book, p *planned, k int, basis string) Recommendation {
	a, c := p.a, p.cands[k]
	acc := a.acc
	rec := Recommendation{CustomerID: acc.Customer.ID, Customer: acc.Customer.Name, Collector: acc.Customer.Collector,
		Date: b.Day, Action: c.typ.Name, Channel: c.typ.Channel, Amount: features.KPIMoney(c.value), Cost: c.typ.Cost.Float(), Basis: basis,
		RiskClass: a.risk, Profile: a.profile}
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
	oldest, newest := c.items[0].DPD, c.items[0].DPD
	for _, it := range c.items {
		oldest, newest = max(oldest, it.DPD), min(newest, it.DPD)
	}
	owed := ownAmounts(c.items, cur, c.value)
	if oldest > 0 {
		out = append(out, fmt.Sprintf("owes %s on %s in this contact, the oldest %s overdue", owed, Plural(len(c.items), "invoice"), Plural(oldest, "day")))
	} else {
		out = append(out, fmt.Sprintf("%s falls due within %s on %s", owed, Plural(-newest, "day"), Plural(len(c.items), "invoice")))
	}
	if others := otherOverdue(acc, c.items); len(others) > 0 {
		// The contact covers the invoices due for its step; the rest of
		// what the account owes overdue is named, so that a collector
		// handing one invoice to an agency sees the whole debt (a trial's
		// defaulter owed 60,947, the agency's invoice 1,742).
		var v datasets.Money
		for _, it := range others {
			v += it.Value
		}
		out = append(out, fmt.Sprintf("the account owes %s more on %s not in this contact (each invoice escalates at its own step; a dispute or a promise keeps one off)",
			ownAmounts(others, cur, v), Plural(len(others), "other overdue invoice")))
	}
	if share, ok := h.LateShare(); ok {
		out = append(out, fmt.Sprintf("paid %d of its last %s late (median %s late)", h.Late, Plural(h.Settled, "invoice"), Plural(h.MedianDaysLate(), "day")))
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
			out = append(out, fmt.Sprintf("paid within %s of a %s: %d of the last %s", Plural(within, "day"), label(c.typ.Name), n, Plural(len(last), "time")))
		} else {
			out = append(out, fmt.Sprintf("did not pay within %s of a %s any of the last %s", Plural(responseWindowDays, "day"), label(c.typ.Name), Plural(len(last), "time")))
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
		out = append(out, fmt.Sprintf("a %s raises the chance of payment within %s from %.0f%% to %.0f%% (uplift %+.0f points, 95%% interval %+.0f to %+.0f)",
			label(c.typ.Name), Plural(r.S.HorizonDays, "day"), 100*u.PaidWithinWait, 100*u.PaidWithin, 100*u.Uplift, 100*u.Low, 100*u.High))
		out = append(out, fmt.Sprintf("brings about %.1f days × %s forward: worth %.2f %s net of its %.2f %s cost",
			u.DaysSaved, owed, *rec.ExpectedValue, cur, rec.Cost, cur))
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

// otherOverdue are the account's overdue invoices that items leave out.
func otherOverdue(acc *Account, items []*Item) []*Item {
	var out []*Item
	for _, it := range acc.overdueItems() {
		if !slices.Contains(items, it) {
			out = append(out, it)
		}
	}
	return out
}

// ownAmounts writes what items owe in the invoices' own currencies, the
// amounts a collector quotes to the customer ("29,335.34 GBP", or
// "1,000.00 USD + 250.00 GBP" in the order the currencies first appear).
// When any is not in the worklist's currency cur, the converted total
// value the list ranks by follows, labelled as such: a collector must
// never read a converted figure as the customer's.
func ownAmounts(items []*Item, cur string, value datasets.Money) string {
	s, only := ownSums(items)
	if only != cur {
		s += fmt.Sprintf(" (%s %s converted at the worklist's rates)", money(value), cur)
	}
	return s
}

// ownSums adds items' outstanding amounts per currency, written as
// ownAmounts does; only is the currency when there is just one, else "".
func ownSums(items []*Item) (s, only string) {
	var order []string
	sums := map[string]*datasets.MoneySum{}
	for _, it := range items {
		c := it.Invoice.Currency
		if sums[c] == nil {
			order = append(order, c)
			sums[c] = &datasets.MoneySum{}
		}
		sums[c].Add(it.Outstanding)
	}
	parts := make([]string, 0, len(order))
	for _, c := range order {
		t, err := sums[c].Total()
		if err != nil {
			// Cannot happen for real invoices; say so rather than print a wrong sum.
			parts = append(parts, "an amount too large to add in "+c)
			continue
		}
		parts = append(parts, t.Grouped()+" "+c)
	}
	if len(order) == 1 {
		only = order[0]
	}
	return strings.Join(parts, " + "), only
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func label(t string) string { return strings.ReplaceAll(t, "_", " ") }

// money formats an amount with thousands separators and no cents.
func money(m datasets.Money) string {
	v := int64(m+50) / 100
	neg := v < 0
	if neg {
		v = -v
	}
	if neg {
		return "-" + thousands(v)
	}
	return thousands(v)
}

// thousands writes v, not negative, with a comma between each three digits.
func thousands(v int64) string {
	s := fmt.Sprint(v)
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return b.String()
}
