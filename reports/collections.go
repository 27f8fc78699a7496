package reports

import (
	"fmt"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
)

// responded says whether an action's outcome was a payment or a promise.
func responded(a datasets.Action) bool { return a.Outcome == "paid" || a.Outcome == "promise" }

// collectionsPage is the collections report: today's worklist, the actions
// taken and what they achieved, and the randomised holdouts.
func (s *Site) collectionsPage() *page {
	b := s.b
	p := &page{Path: pathCollections, Title: "Collections", Notes: b.mixedNote(), nav: pathCollections,
		Lead: "Whom to contact today, what was done so far and what it achieved."}
	p.Crumbs = []link{{Text: "Portfolio", Href: p.href(pathIndex)}, {Text: "Collections"}}
	p.add(s.worklistSection(p))
	p.add(s.effectsSection())

	acts := b.actions
	sec := section{ID: "actions", Title: "Actions taken"}
	if len(acts) == 0 {
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "na", Text: "The ledger records no dunning action by " + b.asOf.String() + "."}})
		p.add(sec)
		return p
	}
	types := map[string]int{}
	var names []string
	outcomes := map[string]int{}
	var onames []string
	for _, a := range acts {
		if _, ok := types[a.Type]; !ok {
			types[a.Type] = 0
			names = append(names, a.Type)
		}
		if _, ok := outcomes[a.Outcome]; !ok {
			outcomes[a.Outcome] = 0
			onames = append(onames, a.Outcome)
		}
	}
	slices.Sort(names)
	slices.Sort(onames)
	for i, n := range names {
		types[n] = i
	}
	for i, n := range onames {
		outcomes[n] = i
	}
	n := len(b.monthStart)
	perMonth := make([]barSeries, len(names))
	for i, nm := range names {
		perMonth[i] = barSeries{Name: keyLabel(nm), Values: make([]float64, n)}
	}
	byOutcome := make([]barSeries, len(onames))
	for i, nm := range onames {
		byOutcome[i] = barSeries{Name: keyLabel(nm), Values: make([]float64, len(names))}
	}
	var month []datasets.Action
	for _, a := range acts {
		if m := b.monthIndex(a.Date); m >= 0 {
			perMonth[types[a.Type]].Values[m]++
			byOutcome[outcomes[a.Outcome]].Values[types[a.Type]]++
		}
		if a.Date >= b.periodFrom {
			month = append(month, a)
		}
	}
	last := make([][]string, len(names))
	for i := range last {
		last[i] = make([]string, n)
		last[i][n-1] = "#month-actions"
	}
	labels := make([]string, len(names))
	for i, nm := range names {
		labels[i] = keyLabel(nm)
	}
	sec.Blocks = append(sec.Blocks, block{Charts: []*chart{
		p.stackedBars("Dunning actions per month", "by type; click the last month for its actions", "month", "actions", "int", b.monthLabel, perMonth, true, last, ""),
		p.ranking("Outcomes by action type", "actions taken in the last "+fmtInt(n)+" months, by what the customer did", "actions", "int", labels, byOutcome, true, nil, ""),
	}})
	sec.Blocks = append(sec.Blocks, block{Table: s.responseTable(names, acts)})
	p.add(sec)
	p.add(s.holdoutSection(acts))
	mt := &table{ID: "month-actions", Caption: "Actions in " + periodLabel(b.portfolio.now), Empty: "none",
		Cols: []col{{Title: "date"}, {Title: "customer"}, {Title: "invoice"}, {Title: "action"}, {Title: "channel"}, {Title: "outcome"}, {Title: "chosen by"}}}
	for i := len(month) - 1; i >= 0; i-- {
		a := month[i]
		cust := txt(a.CustomerID)
		if c := b.custByID[a.CustomerID]; c != nil {
			cust = ln(customerLabel(c), p.href(customerPath(c.ID)))
		}
		inv := txt(a.InvoiceID)
		if v := b.invByID[a.InvoiceID]; v != nil {
			inv = ln(v.ID, p.href(invoicePath(v.CustomerID, v.ID)))
		}
		mt.Rows = append(mt.Rows, row{Cells: []cell{txt(a.Date.String()), cust, inv, txt(a.Type), txt(a.Channel), txt(a.Outcome), txt(a.Policy)}})
	}
	p.add(section{ID: "month", Title: "This month's actions", Blocks: []block{{Table: mt}}})
	return p
}

// responseTable counts, per action type, how often the customer answered
// with a payment or a promise. It is what happened after each action, not
// its effect: collectors pick whom to call, so it is confounded.
func (s *Site) responseTable(names []string, acts []datasets.Action) *table {
	t := &table{Caption: "Response by action type (paid or promised after the action; not its causal effect)",
		Cols: []col{{Title: "action"}, {Title: "taken", Num: true}, {Title: "paid", Num: true}, {Title: "promise", Num: true}, {Title: "responded", Num: true}}}
	for _, nm := range names {
		var n, paid, prom int
		for _, a := range acts {
			if a.Type != nm {
				continue
			}
			n++
			switch a.Outcome {
			case "paid":
				paid++
			case "promise":
				prom++
			}
		}
		t.Rows = append(t.Rows, row{Cells: []cell{txt(keyLabel(nm)), num(fmtInt(n)), num(fmtInt(paid)), num(fmtInt(prom)),
			num(fmtFloat(100*float64(paid+prom)/float64(max(n, 1)), 1) + " %")}})
	}
	return t
}

// holdoutSection compares the response to actions by the policy that chose
// them; the randomised holdout is the fair comparison.
func (s *Site) holdoutSection(acts []datasets.Action) section {
	sec := section{ID: "holdout", Title: "Holdout results"}
	type agg struct{ n, resp int }
	by := map[string]*agg{}
	var pols []string
	randomised := false
	for _, a := range acts {
		pol := a.Policy
		if pol == "" {
			pol = "manual"
		}
		if a.Policy == "holdout" || a.Propensity > 0 {
			randomised = true
		}
		g := by[pol]
		if g == nil {
			g = &agg{}
			by[pol] = g
			pols = append(pols, pol)
		}
		g.n++
		if responded(a) {
			g.resp++
		}
	}
	if !randomised {
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "na", Text: "No holdout yet: no action in the ledger was chosen at random " +
			"(none carries the policy holdout or a propensity), so effects cannot yet be measured free of the collectors' choices."}})
	}
	slices.Sort(pols)
	t := &table{Caption: "Response by the policy that chose the action", Cols: []col{{Title: "policy"}, {Title: "actions", Num: true},
		{Title: "paid or promised", Num: true}, {Title: "response rate", Num: true}}}
	for _, pol := range pols {
		g := by[pol]
		t.Rows = append(t.Rows, row{Cells: []cell{txt(pol), num(fmtInt(g.n)), num(fmtInt(g.resp)), num(fmtFloat(100*float64(g.resp)/float64(g.n), 1) + " %")}})
	}
	sec.Blocks = append(sec.Blocks, block{Table: t})
	return sec
}

// worklistSection is today's worklist from the recommender.
func (s *Site) worklistSection(p *page) section {
	b := s.b
	sec := section{ID: "worklist", Title: "Next working day's worklist"}
	switch {
	case b.in.Collections == nil:
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "na", Text: "Not available yet: the day's worklist (whom to contact, how, " +
			"about which invoices, and the expected value) appears here once dsopilot's recommender is part of the report."}})
		return sec
	case b.notes["worklist"] != "":
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "warn", Text: b.notes["worklist"]}})
		return sec
	}
	t := &table{ID: "worklist-table", Empty: "nothing to do on the next working day", Cols: []col{{Title: "customer"}, {Title: "collector"},
		{Title: "action"}, {Title: "channel"}, {Title: "date"}, {Title: "invoices"}, {Title: "amount", Num: true}, {Title: "expected value", Num: true},
		{Title: "uplift", Num: true}, {Title: "why"}}}
	for _, a := range b.worklist {
		cust := txt(a.CustomerID)
		if c := b.custByID[a.CustomerID]; c != nil {
			cust = ln(customerLabel(c), p.href(customerPath(c.ID)))
		}
		value, uplift := txt("scenario step"), txt("not measured")
		if a.Valued {
			value = num(fmtMoney(a.Value))
		}
		if a.HasUplift {
			uplift = num(fmt.Sprintf("%+.1f pts", 100*a.Uplift))
		}
		why := a.Blocked
		for _, r := range a.Reasons {
			if why != "" {
				why += "; "
			}
			why += r
		}
		t.Rows = append(t.Rows, row{Cells: []cell{cust, txt(a.Collector), txt(a.Type), txt(a.Channel), txt(a.Date.String()),
			txt(fmt.Sprintf("%d", len(a.InvoiceIDs))), num(fmtMoney(a.Amount)), value, uplift, txt(why)}})
	}
	sec.Blocks = append(sec.Blocks, block{Table: t})
	if lt := s.leftOutTable(p, "worklist-left-out", "Not on the list for want of a rate: these customers' invoices are left out of the worklist and its amounts"); lt != nil {
		sec.Blocks = append(sec.Blocks, block{Table: lt})
	}
	if len(b.keptOff) > 0 {
		k := &table{ID: "kept-off-table", Caption: "Kept off the list by a rule (dispute, promise, default, hold, quiet day, contact cap, capacity)",
			Cols: []col{{Title: "customer"}, {Title: "rule"}, {Title: "deferred action"}, {Title: "amount", Num: true}, {Title: "why"}}}
		for _, o := range b.keptOff {
			cust := txt(o.CustomerID)
			if c := b.custByID[o.CustomerID]; c != nil {
				cust = ln(customerLabel(c), p.href(customerPath(c.ID)))
			}
			action := o.Action
			if action == "" {
				action = "none: kept from any contact"
			}
			k.Rows = append(k.Rows, row{Cells: []cell{cust, txt(o.Rule), txt(action), num(fmtMoney(o.Amount)), txt(o.Detail)}})
		}
		sec.Blocks = append(sec.Blocks, block{Table: k})
	}
	return sec
}

// effectsSection lists the measured effect of each action type.
func (s *Site) effectsSection() section {
	b := s.b
	sec := section{ID: "effects", Title: "Measured effect of each action"}
	switch {
	case b.in.Collections == nil:
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "na", Text: "Not available yet: each action type's estimated effect on " +
			"payment (with its interval, from randomised holdouts where there are some) appears here once dsopilot's recommender is part of the report."}})
		return sec
	case b.notes["effects"] != "":
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "warn", Text: b.notes["effects"]}})
		return sec
	}
	t := &table{Empty: "no effect measured", Cols: []col{{Title: "action"}, {Title: "change in P(paid within horizon)", Num: true},
		{Title: "change in days to pay", Num: true}, {Title: "actions", Num: true}, {Title: "from"}}}
	for _, e := range b.effects {
		days := txt("not measured")
		if e.HasDays {
			days = num(fmt.Sprintf("%+.1f (%+.1f to %+.1f)", e.Days, e.DaysLo, e.DaysHi))
		}
		from := "observational data (confounded)"
		if e.Randomised {
			from = "randomised holdouts"
		}
		t.Rows = append(t.Rows, row{Cells: []cell{txt(e.Type),
			num(fmt.Sprintf("%+.1f pts (%+.1f to %+.1f), %d days", 100*e.Uplift, 100*e.Lo, 100*e.Hi, e.HorizonDays)),
			days, num(fmtInt(e.N)), txt(from)}})
	}
	sec.Blocks = append(sec.Blocks, block{Table: t})
	return sec
}
