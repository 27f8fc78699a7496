package api

import (
	"fmt"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// NoAction says why a customer's next action is null when no rule
// excludes the customer (excluded is then null too): a bare null left
// the client to guess whether a record it had just written was taken
// into account.
type NoAction struct {
	Reason string `json:"reason" doc:"pending: records of the customer written since the worklist was computed are not in it yet; known_tomorrow: records of the customer dated on the day itself, which the day's worklist does not know (it knows the ledger up to the day before); nothing_due: no open invoice reaches a dunning step and no rule excludes the customer"`
	Detail string `json:"detail"`
}

// Reasons of a NoAction.
const (
	NoActionPending       = "pending"
	NoActionKnownTomorrow = "known_tomorrow"
	NoActionNothingDue    = "nothing_due"
)

// noActionOf says why the customer id has no action and no exclusion on
// date, from the records still waiting for a snapshot (pending) and the
// snapshot's ledger l. The worklist is computed once per snapshot, on
// the ledger as known on the morning of the day, so a dispute or a
// promise just written changes it only once in a snapshot and dated
// before the day.
func noActionOf(l *datasets.Ledger, pending []*datasets.Ledger, id string, date datasets.Date) *NoAction {
	var waiting []string
	for _, p := range pending {
		waiting = append(waiting, customerDated(p, id, func(datasets.Date) bool { return true })...)
	}
	if len(waiting) > 0 {
		return &NoAction{Reason: NoActionPending, Detail: fmt.Sprintf("%s of the customer %s written since the worklist was computed and %s not in it yet: "+
			"ask again once the next snapshot is in service (GET /readyz: snapshot_generation)",
			listed(waiting), pick(len(waiting), "was", "were"), pick(len(waiting), "is", "are"))}
	}
	if l != nil {
		if today := customerDated(l, id, func(d datasets.Date) bool { return d >= date }); len(today) > 0 {
			return &NoAction{Reason: NoActionKnownTomorrow, Detail: fmt.Sprintf("%s of the customer %s dated on or after %s: the worklist of %s knows the ledger up to %s, "+
				"so %s from the worklist of %s on (ask with date=%s)",
				listed(today), pick(len(today), "is", "are"), date, date, date.AddDays(-1), pick(len(today), "it counts", "they count"), date.AddDays(1), date.AddDays(1))}
		}
	}
	if l != nil {
		// A trial's customer whose one open invoice was in dispute (too
		// small for any step) read "no rule (dispute, ...) excludes the
		// customer", which sounded as if its dispute were unknown.
		if disputed := openDisputes(l, id, date.AddDays(-1)); len(disputed) > 0 {
			return &NoAction{Reason: NoActionNothingDue, Detail: fmt.Sprintf("nothing to do on %s: no open invoice of the customer reaches a dunning step that no rule holds back; "+
				"%s, handled as %s and not dunned", date, listed(disputed), pick(len(disputed), "a dispute", "disputes"))}
		}
	}
	return &NoAction{Reason: NoActionNothingDue, Detail: fmt.Sprintf("nothing to do on %s: no open invoice of the customer reaches a dunning step, and no rule (dispute, promise, hold, contact cap) excludes the customer", date)}
}

// openDisputes names customer id's disputes open at the end of day t on
// invoices not settled by then, as the worklist of the day after knows
// them.
func openDisputes(l *datasets.Ledger, id string, t datasets.Date) []string {
	settled := map[string]bool{}
	for i := range l.Invoices {
		if v := &l.Invoices[i]; v.CustomerID == id && v.SettledDate != 0 && v.SettledDate <= t {
			settled[v.ID] = true
		}
	}
	var out []string
	for i := range l.Disputes {
		d := &l.Disputes[i]
		if d.CustomerID == id && d.Opened <= t && (d.Resolved == 0 || d.Resolved > t) && !settled[d.InvoiceID] {
			out = append(out, fmt.Sprintf("invoice %q is in dispute (dispute %q opened %s)", d.InvoiceID, d.ID, d.Opened))
		}
	}
	return out
}

// customerDated names the disputes, promises and actions of customer
// id in l dated when at says.
func customerDated(l *datasets.Ledger, id string, at func(datasets.Date) bool) []string {
	var out []string
	for i := range l.Disputes {
		if d := &l.Disputes[i]; d.CustomerID == id && (at(d.Opened) || (d.Resolved != 0 && at(d.Resolved))) {
			out = append(out, fmt.Sprintf("dispute %q (opened %s)", d.ID, d.Opened))
		}
	}
	for i := range l.Promises {
		if p := &l.Promises[i]; p.CustomerID == id && at(p.Made) {
			out = append(out, fmt.Sprintf("promise %q (made %s)", p.ID, p.Made))
		}
	}
	for i := range l.Actions {
		if a := &l.Actions[i]; a.CustomerID == id && at(a.Date) {
			out = append(out, fmt.Sprintf("action %q (%s)", a.ID, a.Date))
		}
	}
	return out
}

// listed joins up to five names, saying how many more there are.
func listed(names []string) string {
	if len(names) > 5 {
		return strings.Join(names[:5], ", ") + fmt.Sprintf(" and %d more", len(names)-5)
	}
	return strings.Join(names, ", ")
}
