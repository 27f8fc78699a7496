package api

import (
	"fmt"

	"github.com/dsopilot/dsopilot/datasets"
)

// A date far outside the ledger gets an answer that looks like any other:
// before its first invoice every feature is empty and every KPI null;
// long after its latest record the book is frozen on that day, so every
// open invoice looks unpaid since (p_late 1, a DSO in the thousands). Each
// dated route therefore refuses, with a 422 naming the parameter, a date
// whose answer would be meaningless, and warns (warnings, as /readyz does)
// of one whose answer is doubtful:
//
//   - as_of or date before the ledger's first invoice: 422 (nothing is
//     known of that day); KPI periods: to before it is a 422, from more
//     than StaleAfterDays before it a warning (the period is shorter than
//     asked);
//   - as_of after the served date (a day that has not begun anywhere,
//     as records are refused): 422; the worklist's date may lie ahead (a
//     day's plan is made before it);
//   - any date more than StaleAfterDays after the ledger's latest record:
//     a warning; KPI periods that begin that late are a 422 (nothing in
//     them is known).

// ledgerSpan is the days a snapshot's ledger has records of
// (datasets.Span). Empty for an empty ledger, which /readyz warns of
// instead.
type ledgerSpan struct{ datasets.Span }

func spanOf(l *datasets.Ledger) ledgerSpan { return ledgerSpan{l.Span()} }

// where names a date for a field error: a query parameter (query:NAME)
// or a JSON pointer (/as_of); name is how the messages call it.
type dateAt struct{ where, name string }

func queryDate(name string) dateAt { return dateAt{"query:" + name, name} }

// known refuses d before the ledger's first invoice.
func (sp ledgerSpan) known(fe *fieldErrors, at dateAt, d datasets.Date) {
	if sp.Empty() || d >= sp.First {
		return
	}
	fe.add(at.where, fmt.Sprintf("%s is before the ledger's first invoice (%s): nothing is known of that day", d, sp.First))
}

// begun refuses d after latest, the latest day that has begun anywhere
// (Server.latestDay).
func begun(fe *fieldErrors, at dateAt, d, latest datasets.Date) {
	if d > latest {
		fe.add(at.where, fmt.Sprintf("%s has not begun: the API answers as of days that have (%s at the latest)", d, latest))
	}
}

// stale returns the warning for an answer as of d, or "".
func (sp ledgerSpan) stale(at dateAt, d datasets.Date) string {
	if sp.Empty() || d-sp.Last <= StaleAfterDays {
		return ""
	}
	return fmt.Sprintf("%s %s is %d days after the ledger's latest record (%s): nothing paid, invoiced or recorded since is known, "+
		"so the answer describes the book frozen on %s", at.name, d, int(d-sp.Last), sp.Last, sp.Last)
}

// asOfDate checks an as-of date (before the ledger: 422; not begun: 422)
// and returns its warning, if any.
func (s *Server) asOfDate(snap *snapshot, fe *fieldErrors, at dateAt, d datasets.Date) string {
	snap.span.known(fe, at, d)
	begun(fe, at, d, s.latestDay())
	return snap.span.stale(at, d)
}

// period checks a KPI period [from, to] and returns its warnings; with
// staleTo false the caller warns of a late to itself (a customer's
// period ends on its as_of by default).
func (sp ledgerSpan) period(fe *fieldErrors, fromAt, toAt dateAt, from, to datasets.Date, staleTo bool) []string {
	if sp.Empty() {
		return nil
	}
	var warn []string
	switch {
	case to < sp.First:
		fe.add(toAt.where, fmt.Sprintf("%s is before the ledger's first invoice (%s): the period holds nothing to measure", to, sp.First))
	case from-sp.Last > StaleAfterDays:
		fe.add(fromAt.where, fmt.Sprintf("%s is %d days after the ledger's latest record (%s): nothing in the period is known", from, int(from-sp.Last), sp.Last))
	default:
		if sp.First-from > StaleAfterDays {
			warn = append(warn, fmt.Sprintf("%s %s is %d days before the ledger's first invoice (%s): the KPIs cover %s of records, not %d",
				fromAt.name, from, int(sp.First-from), sp.First, plural(int(to-sp.First)+1, "day", "days"), int(to-from)+1))
		}
		if w := sp.stale(toAt, to); w != "" && staleTo {
			warn = append(warn, w)
		}
	}
	return warn
}
