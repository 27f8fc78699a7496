package api

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/model/forecast"
)

// ModelForecaster serves GET /v1/forecast from model/forecast with the
// registry's promoted model, in the server's reporting currency. Each
// (snapshot, model, query) is simulated once and kept until the next
// snapshot or promotion.
type ModelForecaster struct {
	models Models
	fx     *datasets.FX
	paths  int

	mu    sync.Mutex
	l     *datasets.Ledger
	model string
	b     *model.Bundle
	cache map[ForecastQuery]*Forecast
}

var (
	_ Forecaster = (*ModelForecaster)(nil)
	_ Follower   = (*ModelForecaster)(nil)
)

// NewModelForecaster returns the forecast part: models is the registry,
// fx the server's reporting rates (nil: amounts as recorded), paths the
// simulated paths behind the bands (0: the package's default).
func NewModelForecaster(models Models, fx *datasets.FX, paths int) *ModelForecaster {
	return &ModelForecaster{models: models, fx: fx, paths: paths, cache: map[ForecastQuery]*Forecast{}}
}

// Follow implements Follower.
func (f *ModelForecaster) Follow(l *datasets.Ledger, _ datasets.Date) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.l, f.cache = l, map[ForecastQuery]*Forecast{}
}

// Forecast implements Forecaster.
func (f *ModelForecaster) Forecast(ctx context.Context, q ForecastQuery) (*Forecast, error) {
	reporting := ""
	if f.fx != nil {
		reporting = f.fx.To
	}
	if q.Currency != "" && q.Currency != reporting {
		if reporting == "" {
			return nil, &ValidationError{Msg: "bad forecast query", Fields: []FieldError{fieldAt("query:currency", "this server converts no currency (start it with --currency and --fx); leave currency out")}}
		}
		return nil, &ValidationError{Msg: "bad forecast query", Fields: []FieldError{fieldAt("query:currency", fmt.Sprintf("this server forecasts in %s only", reporting))}}
	}
	q.Currency = reporting
	f.mu.Lock()
	defer f.mu.Unlock() // one simulation at a time: each uses every core
	if f.l == nil {
		return nil, notRead("the cash forecast")
	}
	id, err := f.models.Promoted()
	if err != nil {
		return nil, fmt.Errorf("%w: the cash forecast needs a promoted model: %v", ErrUnavailable, err)
	}
	if id != f.model {
		b, _, err := f.models.Load(id)
		if err != nil {
			return nil, fmt.Errorf("%w: the cash forecast: %v", ErrUnavailable, err)
		}
		f.model, f.b, f.cache = id, b, map[ForecastQuery]*Forecast{}
	}
	if out, ok := f.cache[q]; ok {
		return out, nil
	}
	o, err := forecast.Options{AsOf: q.AsOf, Weeks: q.Weeks, Paths: f.paths, Seed: 1, By: q.By}.Validate()
	if err != nil {
		return nil, &ValidationError{Msg: "bad forecast query", Fields: []FieldError{fieldAt("query", err.Error())}}
	}
	res, mixed, err := forecast.FromLedger(ctx, f.l, f.b, f.fx, o)
	if err != nil {
		return nil, forecastError(err)
	}
	out := forecastOf(res, q.By)
	out.Currencies = mixed
	out.Unconverted = unconvertedOf(res.Unconverted)
	f.cache[q] = out
	return out, nil
}

// forecastError maps the forecast's refusals to the API's errors.
func forecastError(err error) error {
	for _, e := range []error{forecast.ErrBeforeData, forecast.ErrAfterData, forecast.ErrOptions} {
		if errors.Is(err, e) {
			return &ValidationError{Msg: "bad forecast query", Fields: []FieldError{fieldAt("query:as_of", err.Error())}}
		}
	}
	if errors.Is(err, forecast.ErrEmptyBook) {
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	if nr := asNoRate(err); nr != nil {
		// The ledger holds amounts the server's rates cannot convert.
		return nr
	}
	if errors.Is(err, datasets.ErrFX) {
		// Amounts that overflow when converted: the data's.
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return err
}

// forecastOf maps a result onto the API's type: the portfolio first (key
// ""), then the groups of the breakdown.
func forecastOf(r *forecast.Result, by string) *Forecast {
	band := func(b forecast.Band) Band { return Band{Mean: b.Mean, P10: b.P10, P50: b.P50, P90: b.P90} }
	weeks := func(ws []forecast.Week, due []forecast.Scheduled) []ForecastWeek {
		out := make([]ForecastWeek, len(ws))
		for k, w := range ws {
			out[k] = ForecastWeek{Start: w.Start, End: w.End, Open: band(w.Open), New: band(w.New), Total: band(w.Total)}
			if k < len(due) {
				d := due[k].Amount
				out[k].Due = &d
			}
		}
		return out
	}
	group := func(key, name string, ws []forecast.Week, due []forecast.Scheduled, h forecast.Horizon) ForecastGroup {
		return ForecastGroup{Key: key, Name: name, Weeks: weeks(ws, due), Total: band(h.Total), TotalOpen: band(h.Open), TotalNew: band(h.New)}
	}
	b := r.Book
	out := &Forecast{AsOf: r.AsOf, Currency: r.Currency, By: by, Weeks: len(r.Weeks),
		OpenBook: ForecastBook{Invoices: b.Invoices, Customers: b.Customers, Outstanding: b.Outstanding, Overdue: b.Overdue, Disputed: b.Disputed,
			ExpectedCredit: b.ExpectedCredit, Promised: b.Promised, Beyond: b.Beyond, Unscored: b.Unscored, PastModel: b.PastModel,
			RunPayers: b.RunPayers, RunInvoices: b.RunInvoices, SilentCustomers: b.Silent, SilentHeld: b.SilentHeld, SilentByRecord: b.SilentByRecord},
		Groups: []ForecastGroup{group("", "", r.Weeks, r.DueSchedule, r.Total)}}
	for _, g := range r.Groups {
		out.Groups = append(out.Groups, group(g.Key, g.Name, g.Weeks, g.DueSchedule, g.Total))
	}
	return out
}

// ForecastUnconverted is what a forecast left out for want of a rate to its
// currency: the forecast covers the rest. (A forecast that would leave
// out more than half the open invoices fails with ErrNoRate instead.)
type ForecastUnconverted struct {
	// OpenInvoices are the open invoices left out, BookInvoices those
	// forecast.
	OpenInvoices int                           `json:"open_invoices" doc:"open invoices left out, over every currency"`
	BookInvoices int                           `json:"book_invoices" doc:"open invoices forecast"`
	Currencies   []ForecastUnconvertedCurrency `json:"currencies"`
}

// ForecastUnconvertedCurrency is what a forecast left out of one currency.
type ForecastUnconvertedCurrency struct {
	Currency     string `json:"currency"`
	OpenInvoices int    `json:"open_invoices"`
	// Outstanding is in Currency: there is no rate to convert it.
	Outstanding  Amount   `json:"outstanding" doc:"what the open invoices left out still owed at as_of, in their own currency (there is no rate to convert it)"`
	Customers    int      `json:"customers" doc:"customers of the open invoices left out"`
	Invoices     int      `json:"invoices" doc:"every invoice in the currency left out, open or settled (missing from the timing records and run-rates too)"`
	OtherRecords int      `json:"other_records" doc:"other amounts in the currency on no invoice left out (payments, credit notes, credit limits), left out too"`
	Examples     []string `json:"examples" doc:"up to three ids of the invoices left out, open ones first"`
}

// unconvertedOf maps the forecast's Unconverted (nil: nothing left out).
func unconvertedOf(u *forecast.Unconverted) *ForecastUnconverted {
	if u == nil {
		return nil
	}
	out := &ForecastUnconverted{OpenInvoices: u.OpenInvoices, BookInvoices: u.BookInvoices}
	for _, c := range u.Currencies {
		out.Currencies = append(out.Currencies, ForecastUnconvertedCurrency{Currency: c.Currency, OpenInvoices: c.OpenInvoices,
			Outstanding: c.Outstanding, Customers: c.Customers, Invoices: c.Invoices, OtherRecords: c.OtherRecords, Examples: c.Examples})
	}
	return out
}
