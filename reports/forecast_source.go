package reports

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/model/forecast"
)

// modelForecast is the ForecastSource of one ledger: model/forecast with
// one model, each breakdown simulated once.
type modelForecast struct {
	l     *datasets.Ledger
	b     *model.Bundle
	fx    *datasets.FX
	snaps []datasets.ForecastSnapshot
	paths int

	mu   sync.Mutex
	run  *forecast.Run               // made by the first forecast
	byOf map[string]*forecast.Result // by kind ("" for the portfolio)
}

var _ ForecastSource = (*modelForecast)(nil)

// ModelForecast returns the forecast part of a report on l with model b in
// the report's currency (fx; nil: as recorded), and snaps, the forecasts
// saved so far (dsopilot forecast snapshot), to line up against what came
// in. paths is the simulation's (0: the package's default).
func ModelForecast(l *datasets.Ledger, b *model.Bundle, fx *datasets.FX, snaps []datasets.ForecastSnapshot, paths int) ForecastSource {
	return &modelForecast{l: l, b: b, fx: fx, snaps: snaps, paths: paths, byOf: map[string]*forecast.Result{}}
}

func (m *modelForecast) result(ctx context.Context, asOf datasets.Date, by string) (*forecast.Result, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.byOf[by]; ok && r.AsOf == asOf {
		return r, nil
	}
	if m.run == nil || m.run.AsOf() != asOf {
		m.byOf = map[string]*forecast.Result{}
		run, err := forecast.NewRun(m.l, m.b, m.fx, asOf)
		if err != nil {
			return nil, err
		}
		m.run = run
	}
	// Every breakdown shares the run's scoring and estimated shocks (15.2 s
	// for the demo's site when each estimated its own, 6.6 s shared).
	r, err := m.run.Forecast(ctx, forecast.Options{Paths: m.paths, Seed: 1, By: by})
	if err != nil {
		return nil, err
	}
	m.byOf[by] = r
	return r, nil
}

// prefetch simulates the breakdowns kinds as of asOf side by side, after
// the portfolio (whose run estimates the shocks every breakdown then
// shares), so that the report's slices wait for the slowest breakdown
// rather than for all of them in turn. Each breakdown's simulation has
// its own seeded streams: the result is what one after the other gives.
// A breakdown that fails is left for Forecast to compute and report.
func (m *modelForecast) prefetch(ctx context.Context, asOf datasets.Date, kinds []string) {
	if _, err := m.result(ctx, asOf, ""); err != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var todo []string
	for _, k := range kinds {
		if _, ok := m.byOf[k]; !ok && !slices.Contains(todo, k) {
			todo = append(todo, k)
		}
	}
	out := make([]*forecast.Result, len(todo))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	for i, k := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			// The run's shocks are set (by the portfolio above), so
			// Forecast only reads the run.
			if r, err := m.run.Forecast(ctx, forecast.Options{Paths: m.paths, Seed: 1, By: k}); err == nil {
				out[i] = r
			}
		}()
	}
	wg.Wait()
	for i, k := range todo {
		if out[i] != nil {
			m.byOf[k] = out[i]
		}
	}
}

// Forecast implements ForecastSource. Only the portfolio has the due-date
// schedule beside it: the package computes it for the whole book.
func (m *modelForecast) Forecast(ctx context.Context, asOf datasets.Date, s Slice) (*Forecast, error) {
	r, err := m.result(ctx, asOf, s.Kind)
	if err != nil {
		return nil, err
	}
	var f *Forecast
	if s.Kind == "" {
		f = forecastView(r.AsOf, r.Weeks, r.DueSchedule, r.Total.Total)
	} else {
		for _, g := range r.Groups {
			if g.Key == s.Key {
				f = forecastView(r.AsOf, g.Weeks, nil, g.Total.Total)
				break
			}
		}
	}
	if f == nil {
		return nil, nil // nothing open or expected for this slice
	}
	f.LeftOut = r.Unconverted.String()
	return f, nil
}

func forecastView(asOf datasets.Date, ws []forecast.Week, due []forecast.Scheduled, total forecast.Band) *Forecast {
	f := &Forecast{AsOf: asOf, Total: bandOf(total), HasDue: due != nil}
	for k, w := range ws {
		fw := ForecastWeek{Start: w.Start, End: w.End, Open: bandOf(w.Open), New: bandOf(w.New)}
		if k < len(due) {
			fw.Due = due[k].Amount.Money()
		}
		f.Weeks = append(f.Weeks, fw)
	}
	return f
}

func bandOf(b forecast.Band) Band {
	return Band{Mean: b.Mean.Money(), P10: b.P10.Money(), P50: b.P50.Money(), P90: b.P90.Money()}
}

// Snapshots implements ForecastSource: the saved forecasts in the report's
// currency made before asOf, each with what its open book brought in
// during its weeks that ended by asOf, converted at the rates the
// snapshot was made at (forecast.ActualsRates: the report's for a currency
// it has none for, and for a snapshot saved before snapshots kept rates).
func (m *modelForecast) Snapshots(ctx context.Context, asOf datasets.Date) ([]ForecastSnapshot, error) {
	cur := ""
	if m.fx != nil {
		cur = m.fx.To
	}
	// One history per set of rates: snapshots made with one rates file
	// share it.
	hs := map[string]*forecast.History{}
	var out []ForecastSnapshot
	for i := range m.snaps {
		s := &m.snaps[i]
		if s.AsOf >= asOf || s.Currency != cur && cur != "" {
			continue
		}
		fx := m.fx
		if fx != nil {
			fx, _, _ = forecast.ActualsRates(s, m.fx)
		}
		key := ratesKey(fx)
		h := hs[key]
		if h == nil {
			// What the rates lack is left out as the forecasts leave it
			// out (the ledger kept is the same at any date).
			l, _, err := forecast.LeaveOutUnconverted(m.l, fx, s.AsOf)
			if err != nil {
				return nil, fmt.Errorf("snapshot %s: %w", s.ID, err)
			}
			if h, _, err = forecast.ReportingHistory(l, fx); err != nil {
				return nil, fmt.Errorf("snapshot %s: %w", s.ID, err)
			}
			hs[key] = h
		}
		c, err := forecast.Compare(h, s)
		if err != nil {
			return nil, fmt.Errorf("snapshot %s: %w", s.ID, err)
		}
		fs := ForecastSnapshot{Forecast: Forecast{AsOf: s.AsOf}}
		for k, w := range s.Weeks {
			fs.Weeks = append(fs.Weeks, ForecastWeek{Start: w.Start, End: w.End,
				Open: Band{Mean: w.Open.Mean, P10: w.Open.P10, P50: w.Open.P50, P90: w.Open.P90},
				New:  Band{Mean: w.New.Mean, P10: w.New.P10, P50: w.New.P50, P90: w.New.P90}})
			if w.End <= asOf && k < len(c.Weeks) && c.Weeks[k].Status == "complete" {
				fs.Actual = append(fs.Actual, c.Weeks[k].ActualOpen.Money())
			}
		}
		out = append(out, fs)
	}
	return out, nil
}

// ratesKey names a set of rates ("" for none), so that equal sets share a
// history.
func ratesKey(fx *datasets.FX) string {
	if fx == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(fx.To)
	for _, c := range slices.Sorted(maps.Keys(fx.Rates)) {
		fmt.Fprintf(&b, " %s=%d", c, int64(fx.Rates[c]))
	}
	return b.String()
}
