package reports

import (
	"context"
	"sync"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// sources asks the optional parts for their data once; a part that fails
// leaves a note on its page instead of stopping the report. The parts do
// not depend on one another, so they run side by side: the forecast's
// portfolio run is one long serial computation, and the worklist and the
// credit advice fill the other cores meanwhile. Each writes its own fields
// of the book; the notes are shared and locked.
func (b *book) sources(ctx context.Context) {
	var mu sync.Mutex
	note := func(key, text string) {
		mu.Lock()
		defer mu.Unlock()
		b.notes[key] = text
	}
	var wg sync.WaitGroup
	part := func(name string, f func()) {
		wg.Go(func() {
			start := time.Now()
			f()
			b.in.Log.Debug("report: "+name, "seconds", time.Since(start).Seconds())
		})
	}
	if f := b.in.Forecast; f != nil {
		part("forecasts", func() { b.forecastSources(ctx, f, note) })
	}
	if c := b.in.Collections; c != nil {
		part("worklist and effects", func() {
			w, err := c.Worklist(ctx, b.asOf)
			if err != nil {
				note("worklist", "the worklist failed: "+err.Error())
			}
			if w != nil {
				b.worklist, b.keptOff = w.Actions, w.KeptOff
			}
			e, err := c.Effects(ctx, b.asOf)
			if err != nil {
				note("effects", "no measured action effects: "+err.Error())
			}
			b.effects = e
		})
	}
	if c := b.in.Credit; c != nil {
		part("credit advice", func() {
			adv, err := c.Credit(ctx, b.asOf)
			if err != nil {
				note("credit", "the credit-limit suggestions failed: "+err.Error())
			}
			for i := range adv {
				b.credit[adv[i].CustomerID] = &adv[i]
			}
		})
	}
	wg.Wait()
}

// forecastSources reads the forecast of the portfolio and of every slice,
// and the saved snapshots.
func (b *book) forecastSources(ctx context.Context, f ForecastSource, note func(key, text string)) {
	if p, ok := f.(interface {
		prefetch(ctx context.Context, asOf datasets.Date, kinds []string)
	}); ok {
		var kinds []string
		for _, s := range b.allSlices() {
			kinds = append(kinds, s.Kind)
		}
		p.prefetch(ctx, b.asOf, kinds)
	}
	for _, s := range b.allSlices() {
		fc, err := f.Forecast(ctx, b.asOf, s.Slice)
		if err != nil {
			note("forecast", "the cash forecast failed: "+err.Error())
			break
		}
		if fc != nil {
			b.forecasts[s.Slice] = fc
		}
	}
	snaps, err := f.Snapshots(ctx, b.asOf)
	if err != nil {
		note("snapshots", "past forecasts could not be read: "+err.Error())
	}
	b.snapshots = snaps
}

// nextActions returns the worklist's actions for one customer.
func (b *book) nextActions(customerID string) []NextAction {
	return ofCustomer(b.worklist, customerID, func(a *NextAction) string { return a.CustomerID })
}

// keptOffList returns why the rules kept the customer off the worklist.
func (b *book) keptOffList(customerID string) []KeptOff {
	return ofCustomer(b.keptOff, customerID, func(k *KeptOff) string { return k.CustomerID })
}

// ofCustomer returns the elements of xs whose customer (id) is customerID.
func ofCustomer[T any](xs []T, customerID string, id func(*T) string) []T {
	var out []T
	for i := range xs {
		if id(&xs[i]) == customerID {
			out = append(out, xs[i])
		}
	}
	return out
}

// creditLimits is the limit in force at the end of each day in days: the
// newest decision by then; before the first decision, that decision's old
// limit (the first decision after the report's date when none is by
// then); with none, the customer master's limit. blank[i] says none was
// recorded on days[i] (the master's blank credit_limit, or, before the
// first decision, that decision's OldLimitBlank: an approval clears the
// master's flag), where the limit of 0 is not one.
func (c *customer) creditLimits(days []datasets.Date) (limits []datasets.Money, blank []bool) {
	limits, blank = make([]datasets.Money, len(days)), make([]bool, len(days))
	j := 0
	limit, none := c.CreditLimit, c.CreditLimitBlank
	switch {
	case len(c.decisions) > 0:
		limit, none = c.decisions[0].OldLimit, c.decisions[0].OldLimitBlank
	case c.next != nil:
		limit, none = c.next.OldLimit, c.next.OldLimitBlank
	}
	for i, d := range days {
		for j < len(c.decisions) && c.decisions[j].Date <= d {
			limit, none = c.decisions[j].NewLimit, false
			j++
		}
		limits[i], blank[i] = limit, none
	}
	return limits, blank
}
