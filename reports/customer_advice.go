package reports

// A customer page's advice: the recommender's next action, the credit
// suggestion and the model's scores of each open invoice.

import (
	"fmt"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// nextActionSection shows the recommender's next action for the customer.
func (s *Site) nextActionSection(c *customer) section {
	b := s.b
	sec := section{ID: "next-action", Title: "Next best action"}
	if b.in.Collections == nil {
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "na", Text: "Not available yet: the recommended next dunning action " +
			"appears here once dsopilot's recommender is part of the report. The actions taken so far are listed below."}})
		return sec
	}
	if n := b.notes["worklist"]; n != "" {
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "warn", Text: n}})
		return sec
	}
	acts := b.nextActions(c.ID)
	if len(acts) == 0 {
		kept := b.keptOffList(c.ID)
		if len(kept) == 0 {
			sec.Blocks = append(sec.Blocks, block{Note: &note{Text: "Nothing to do for this customer on the next working day after " + b.asOf.String() + "."}})
			return sec
		}
		// Something is overdue, and a rule says why it is not on the list.
		for _, k := range kept {
			what := "kept from any contact"
			if k.Action != "" {
				what = k.Action + " deferred"
			}
			sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "warn", Text: fmt.Sprintf("Not on the next working day's list: %s (%s), %s %s at stake: %s.",
				what, k.Rule, fmtMoney(k.Amount), b.unit(), k.Detail)}})
		}
		return sec
	}
	for _, a := range acts {
		sec.Blocks = append(sec.Blocks, block{Facts: actionFacts(a, b.unit())})
	}
	return sec
}

// actionFacts describes a recommended action.
func actionFacts(a NextAction, unit string) []fact {
	// A wait has no channel: "wait by  on" read as a broken page.
	what := fmt.Sprintf("%s by %s on %s", a.Type, a.Channel, a.Date)
	if a.Channel == "" {
		what = fmt.Sprintf("%s on %s", a.Type, a.Date)
	}
	if a.Holdout {
		what += " (a randomised holdout, kept to measure what contacts change)"
	}
	f := []fact{
		{Label: "action", Value: what},
		{Label: "invoices", Value: fmt.Sprintf("%s (%s %s)", strings.Join(a.InvoiceIDs, ", "), fmtMoney(a.Amount), unit)},
	}
	// Zeros here would read as "measured, worth nothing": a list that
	// follows the scenario for want of randomised history has neither.
	if a.Valued {
		f = append(f, fact{Label: "expected value", Value: fmtMoney(a.Value) + " " + unit})
	} else {
		f = append(f, fact{Label: "expected value", Value: "not measured: the scenario's step"})
	}
	if a.HasUplift {
		f = append(f, fact{Label: "estimated uplift", Value: fmt.Sprintf("%+.1f points (%.1f to %.1f)", 100*a.Uplift, 100*a.UpliftLo, 100*a.UpliftHi)})
	} else {
		f = append(f, fact{Label: "estimated uplift", Value: "not measured"})
	}
	if a.Step != "" {
		f = append(f, fact{Label: "scenario step", Value: a.Step})
	}
	if a.Blocked != "" {
		f = append(f, fact{Label: "kept off the list", Value: a.Blocked})
	}
	if a.Holdout {
		f = append(f, fact{Label: "holdout", Value: "a randomised alternative, kept to measure effects"})
	}
	for _, r := range a.Reasons {
		f = append(f, fact{Label: "why", Value: r})
	}
	return f
}

// creditSection shows the credit-limit suggestion and flags, and the
// limit's history.
func (s *Site) creditSection(p *page, c *customer) section {
	b := s.b
	sec := section{ID: "credit", Title: "Credit limit"}
	switch adv := b.credit[c.ID]; {
	case b.notes["credit"] != "":
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "warn", Text: b.notes["credit"]}})
	case b.in.Credit == nil:
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "na", Text: "Not available yet: the suggested credit limit and the " +
			"order-block flags appear here once dsopilot's credit suggestions are part of the report. The limit's history is below."}})
	case adv == nil:
		sec.Blocks = append(sec.Blocks, block{Note: &note{Text: "No credit-limit suggestion for this customer."}})
	case adv.NoRate != "":
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "warn", Text: fmt.Sprintf("No credit figures: this customer's limit and exposure are in %s, "+
			"and the report's rates have no %s to %s. Add that rate to the --fx file to see them.", adv.NoRate, adv.NoRate, b.unit())}})
	default:
		if lo := b.leftOutOf(c.ID); lo != nil {
			// Advised on what the report kept: the invoices without a
			// rate are in none of these figures.
			sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "warn", Text: fmt.Sprintf("These figures leave out this customer's invoices in %s "+
				"(%d open, %s): the report's rates have no %s to %s.", joinList(lo.Currencies), lo.Open, lo.amounts(), joinList(lo.Currencies), b.unit())}})
		}
		current := fmtMoney(adv.Current) + " " + b.unit()
		if adv.LimitNotRecorded {
			current = noneRecorded
		}
		f := []fact{{Label: "current limit", Value: current},
			{Label: "exposure", Value: fmtMoney(adv.Exposure) + " " + b.unit()},
			{Label: "suggested limit", Value: fmtMoney(adv.Suggested) + " " + b.unit()},
			{Label: "credit risk class (by the probability of default within a year)", Value: adv.RiskClass}}
		if adv.Review != 0 {
			f = append(f, fact{Label: "review by", Value: adv.Review.String()})
		}
		for _, r := range adv.Reasons {
			f = append(f, fact{Label: "why", Value: r})
		}
		sec.Blocks = append(sec.Blocks, block{Facts: f})
		t := &table{Caption: "Order-block flags", Empty: "no flag", Cols: []col{{Title: "flag"}, {Title: "amount", Num: true}, {Title: "reason"}, {Title: "expected resolution"}}}
		for _, fl := range adv.Flags {
			t.Rows = append(t.Rows, row{Cells: []cell{txt(fl.Kind), num(fmtMoney(fl.Amount)), txt(fl.Reason), txt(fl.Resolution)}})
		}
		sec.Blocks = append(sec.Blocks, block{Table: t})
	}
	t := &table{Caption: "Credit decisions", Empty: "no decision recorded", Cols: []col{{Title: "date"}, {Title: "old limit", Num: true},
		{Title: "new limit", Num: true}, {Title: "reason"}, {Title: "decided by"}}}
	for _, d := range c.decisions {
		old := num(fmtMoney(d.OldLimit))
		if d.OldLimitBlank {
			old = txt(noneRecorded)
		}
		t.Rows = append(t.Rows, row{Cells: []cell{txt(d.Date.String()), old, num(fmtMoney(d.NewLimit)), txt(d.Reason), txt(d.DecidedBy)}})
	}
	sec.Blocks = append(sec.Blocks, block{Table: t})
	return sec
}

// scoreSection lists each open invoice's scores and reasons.
func (s *Site) scoreSection(p *page, c *customer) section {
	b := s.b
	sec := section{ID: "scores", Title: "Open invoices: scores and reasons"}
	if b.scores == 0 {
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "na", Text: "No scores: " + b.scoreErr + "."}})
		return sec
	}
	t := &table{ID: "open-invoices", Empty: "no open invoice", Cols: []col{{Title: "invoice"}, {Title: "due"}, {Title: "open", Num: true},
		{Title: "P(late)", Num: true}, {Title: "P(1–30 d late)", Num: true}, {Title: "P(more than 30 d late)", Num: true},
		{Title: "P(90+ or written off)", Num: true}, {Title: "expected payment (P10 – P90)"}, {Title: "why"}}}
	vs := append([]*invoiceView(nil), c.open...)
	sortByPLate(vs)
	for _, v := range vs {
		sc := v.score
		if sc == nil {
			t.Rows = append(t.Rows, row{Cells: []cell{ln(v.ID, "#"+invoiceAnchor(v.ID)), txt(v.DueDate.String()), num(fmtMoney(v.Open)),
				txt("not scored"), txt(""), txt(""), txt(""), txt(""), txt("")}})
			continue
		}
		p90 := ""
		if sc.PDefault90 != nil {
			p90 = fmtFloat(100**sc.PDefault90, 1) + " %"
		}
		pay := "beyond 13 weeks"
		if sc.PayDate == 0 && sc.PayDateP10 != 0 {
			// Some chance of payment within the horizon, not an even one.
			pay = fmt.Sprintf("beyond 13 weeks (P10 %s)", sc.PayDateP10)
		}
		if sc.PayDate != 0 {
			pay = fmt.Sprintf("%s (%s – %s)", sc.PayDate, orBeyond(sc.PayDateP10), orBeyond(sc.PayDateP90))
		}
		var reasons []string
		for _, r := range sc.Reasons {
			reasons = append(reasons, r.Text)
		}
		// A customer without history is described by the model's own
		// cold-start reason, with the prior it was scored on.
		why := cell{Text: strings.Join(reasons, "; ")}
		t.Rows = append(t.Rows, row{Cells: []cell{ln(v.ID, "#"+invoiceAnchor(v.ID)), txt(v.DueDate.String()), num(fmtMoney(v.Open)),
			num(fmtFloat(100*sc.PLate, 1) + " %"), num(fmtFloat(100*sc.PLate1To30, 1) + " %"), num(fmtFloat(100*sc.PVeryLate, 1) + " %"),
			num(p90), txt(pay), why}})
	}
	sec.Blocks = append(sec.Blocks, block{Table: t})
	return sec
}

func orBeyond(d datasets.Date) string {
	if d == 0 {
		return "later"
	}
	return d.String()
}
