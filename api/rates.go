package api

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/recommender"
	"github.com/dsopilot/dsopilot/recommender/credit"
)

// A conversion the server's own rates (serve --fx) cannot make is the
// server's configuration at fault, not the request: the answer is a 503
// (ErrNoRate) whose detail tells the operator which rates to give. A
// currency the client names itself (?currency=) without rates stays a
// 422 (snapshot.kpiIndex), as do rows sent in such a currency (ingest's
// rejects: the row is refused, nothing was answered from it).

// asNoRate is err as an ErrNoRate when it is a conversion that failed for
// want of rates (datasets' or credit's MissingRatesError), else nil.
func asNoRate(err error) error {
	var d *datasets.MissingRatesError
	var c *credit.MissingRatesError
	switch {
	case errors.As(err, &d):
		return noRate(err, d.To, slices.Sorted(maps.Keys(d.Amounts)))
	case errors.As(err, &c):
		return noRate(err, c.To, c.Currencies())
	}
	return nil
}

// noRate wraps cause, a conversion to to that lacked rates for curs, as
// an ErrNoRate telling the operator what to give. The cause's words for
// the CLI (an input error, "pass the rates with --fx") are dropped: the
// client passes no rates.
func noRate(cause error, to string, curs []string) error {
	list := strings.Join(curs, ", ")
	what := strings.NewReplacer(credit.ErrInput.Error()+": ", "", recommender.ErrInput.Error()+": ", "", datasets.ErrFX.Error()+": ", "",
		" (pass the rates with --fx)", "", ": pass the rates (--fx)", "").Replace(cause.Error())
	return fmt.Errorf("%w to %s for %s: its operator must restart dsopilot serve with --currency %s --fx FILE holding a rate for %s; the cause: %s",
		ErrNoRate, to, list, to, list, what)
}

// unratedCurrencies lists the currencies customer id's amounts are in that
// fx cannot bring to the policy currency to: its own currency (when not
// to), and those of its invoices and payments in another currency than
// its own, which are converted through fx.To. It classifies a refusal
// of the credit workflow, which names the missing rates in its message
// only; it reads only the customer's own records.
func unratedCurrencies(l *datasets.Ledger, id, to string, fx datasets.FX) []string {
	if l == nil {
		return nil
	}
	i := slices.IndexFunc(l.Customers, func(c datasets.Customer) bool { return c.ID == id })
	if i < 0 {
		return nil
	}
	own := cmp.Or(l.Customers[i].Currency, to)
	missing := map[string]bool{}
	rated := func(cur string) bool {
		_, ok := fx.Rate(cur)
		return ok
	}
	if own != to && (fx.To != to || !rated(own)) {
		missing[own] = true
	}
	foreign := func(cur string) {
		if cur == "" || cur == own {
			return
		}
		for _, c := range []string{cur, own} {
			if !rated(c) {
				missing[c] = true
			}
		}
	}
	for k := range l.Invoices {
		if v := &l.Invoices[k]; v.CustomerID == id {
			foreign(v.Currency)
		}
	}
	for k := range l.Payments {
		if p := &l.Payments[k]; p.CustomerID == id {
			foreign(p.Currency)
		}
	}
	return slices.Sorted(maps.Keys(missing))
}
