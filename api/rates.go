package api

import (
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
// 422 (snapshot.kpiIndex). An ingested row in a currency the rates in
// service lack is valid but not stored (it would stop the answers that
// convert): a 503 too, so that the client sends it again rather than
// mending it (refusedCurrencies).

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

// withExamples returns err with, for each currency of its
// datasets.MissingRatesError that names no record, the invoice of l in
// that currency with the least id, so that its detail leads to a record
// as the forecast's does (the recommender counts the amounts it could not
// convert, naming none); err itself when there is nothing to add.
func withExamples(err error, l *datasets.Ledger) error {
	var d *datasets.MissingRatesError
	if l == nil || !errors.As(err, &d) {
		return err
	}
	want := map[string]bool{}
	for cur := range d.Amounts {
		if _, ok := d.Examples[cur]; !ok {
			want[cur] = true
		}
	}
	if len(want) == 0 {
		return err
	}
	custCur := make(map[string]string, len(l.Customers))
	for i := range l.Customers {
		custCur[l.Customers[i].ID] = l.Customers[i].Currency
	}
	ex := maps.Clone(d.Examples)
	if ex == nil {
		ex = map[string]datasets.RecordRef{}
	}
	for i := range l.Invoices {
		v := &l.Invoices[i]
		cur := v.Currency
		if cur == "" {
			cur = custCur[v.CustomerID]
		}
		if !want[cur] {
			continue
		}
		if old, ok := ex[cur]; !ok || v.ID < old.ID {
			ex[cur] = datasets.RecordRef{Kind: datasets.RefInvoice, ID: v.ID}
		}
	}
	if len(ex) == len(d.Examples) {
		return err
	}
	// A new error: the recommender's may be kept and read concurrently.
	return &datasets.MissingRatesError{To: d.To, Amounts: d.Amounts, Examples: ex}
}
