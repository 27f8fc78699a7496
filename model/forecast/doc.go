// Package forecast is dsopilot's cash-receipts forecast for treasury: the
// cash the open receivables book and the invoices still to be issued will
// bring in, week by week over 13 weeks, with P10/P50/P90 bands that hold
// their coverage, backtested against the schedules treasurers use.
//
// # Contract
//
//   - Weeks. Week k covers the days AsOf+7(k−1)+1 … AsOf+7k: the as-of day
//     itself is history. Forecasts run 1 to 13 weeks (the pay-date model's
//     horizon), and are always computed over 13 and reported over the
//     weeks asked for: week k of a shorter forecast is week k of the
//     13-week one with the same seed, value for value (the shock scales,
//     the seasonal factor and the random draws are the 13-week
//     forecast's). The totals are the percentiles of each path's sum over
//     the weeks reported; the due schedule, the book's amount beyond the
//     horizon and the new business's expected invoicing are over them
//     too. Backtests and snapshots follow the same rule.
//   - Money. Amounts are datasets.Money (int64 cents) wherever they are
//     stored or summed; floats appear only inside the simulation and as
//     model inputs, and every reported amount is rounded to cents once.
//     The History must already be in the reporting currency
//     (datasets.Ledger.Convert); NewHistory takes the invoices' original
//     currencies for breakdowns by currency. FromLedger, FromParts and
//     NewRun (the report's pages; LeaveOutUnconverted for the rest of a
//     report) leave out the invoices (with what is on them) and other amounts in
//     a currency the rates lack, forecast the rest and name what they
//     left out in Result.Unconverted; they fail only when that is more
//     than half the open invoices (unconverted.go).
//   - Point in time. Everything a forecast as of t uses (the open book,
//     disputes and promises, the customers' promise-kept and dispute-credit
//     rates, their timing records, the run-rates and the shock scales) is
//     what was known at the end of day t; TestPointInTime adds later events
//     and checks that nothing changes. A backtest trains its model at each
//     origin (model.Train with AsOf = origin).
//   - Parts. FromParts forecasts from a ledger read in parts of whole
//     customers (features.Parts), reading it twice: what is the whole
//     portfolio's first, then each part's book against it (parts.go). It
//     gives FromLedger's forecast, value for value; CompareParts likewise
//     gives Compare's comparison, and BacktestParts RunBacktest's
//     backtest (given the same model at each origin), its actuals and
//     baselines summed over the parts in whole cents.
//   - Errors. An as-of date before the data, an empty open book, origins
//     whose horizon runs past the data, predictions of another day and bad
//     options are errors wrapping this package's sentinels, never a panic
//     or an empty result.
//
// # Open book
//
// An invoice open at the as-of date (issued by then, not settled, something
// still owed after partial payments and credit notes) is expected to bring
// its outstanding less the expected credit on an open dispute (the disputed
// amount times the customer's measured credit rate, shrunk towards the
// portfolio's). When it will pay comes from two sources: the pay-date model
// (model.Prediction.PaidBy, moved one day because the model's weeks start
// on the as-of day) says how much of it arrives within the horizon, and the
// customer's timing record says in which weeks: a Kaplan-Meier estimate of
// days from due date to payment over the invoices issued in the year before
// (open ones censored, write-offs a competing outcome), mixed with the
// portfolio's and conditioned on how long the invoice has already waited,
// and smoothed by as much as its length and spread call for (at most three
// days either way; see smooth.go). Due dates cluster at month ends and
// customers keep their habits, which a hazard in weeks from the as-of date
// cannot place; on the backtests this record is what beats the baselines,
// and the model's level changes WAPE by under a point (Backtest.TimingOnly
// scores the record alone). An open promise to pay moves the promised
// amount to its week with the customer's promise-kept rate.
//
// # Bands
//
// The bands come from simulated paths (see sim.go): a one-factor-per-level
// Gaussian copula on each invoice's pay week, with a customer factor (a
// customer's invoices pay early or late together), a portfolio factor and a
// lognormal calendar factor per week, wider for weeks holding a month end
// or the year-end holidays, and a collection-level factor per path that
// scales all the open book's receipts over the horizon by 1 + Level·G
// (how much of the book gets collected at all, which timing factors only
// shift between weeks; its scale is what the replays' 13-week totals
// strayed from their forecast beyond the other factors and the invoices'
// luck). The scales are estimated, never set per ledger:
// at each of the last 52 weekly origins before the as-of date the timing
// record's forecast is replayed and compared with what was received by the
// as-of date, and the loadings and scales are set by the method of moments
// to explain the customers' and the book's errors beyond the invoices' own
// luck (see estimate.go). With fewer than 8 past origins DefaultShocks
// stand and Shocks.Estimated says so.
//
// Payment runs: a customer whose record (the year before the as-of date)
// settles invoices of one due date (or due dates up to 3 days apart) on
// one day more often than its own delays explain by chance pays its open
// invoices of such a due cluster together: with the measured excess share
// π (shrunk towards none on a short record) a cluster takes one shared
// draw on the members' mean curve in a path, else each invoice its own;
// the expected receipts are the same mixture (see runs.go). Open book
// summary: run_payers, run_invoices.
//
// Silent customers: a customer that owes overdue money and has paid
// nothing for 60 days or more (the scorer's stopped-paying rule) has its
// open invoices forecast by its own record alone, which has never waited
// that long, not leveled by the pay-date model, which does not read the
// silence. And at past origins over the year whose 13 weeks are known at
// the as-of date, the forecast measures what customers silent 30–59,
// 60–119 and 120+ days paid of what their record expected (each customer
// once, one paying customer added, non-increasing, at most 1): a cell's
// factor f scales its customers' expected receipts, and in the paths
// such a customer pays at all with probability f, all its invoices
// together (see silence.go). Open book summary: silent_by_record,
// silent_customers, silent_held; the factors in Result.Silence.
//
// # New business
//
// Each customer's run-rate over the last 13 weeks, times the portfolio's
// seasonal factor (the same weeks a year earlier, and two years earlier
// when the ledger has them, against the 13 weeks before them, shrunk
// towards 1 by as much as its own sampling noise explains: season.go),
// is issued evenly over the horizon, due after the customer's
// terms as its invoices show them (net days or end of month plus days) and
// paid as its timing record says. It is reported as its own part. Its
// bands come from paths drawn invoice by invoice (see newsim.go): per
// customer and week a Poisson count whose rate carries the run-rate's own
// uncertainty (a Gamma factor per customer: negative binomial counts) and
// the path's volume and week factors, each invoice an amount of the
// customer's recent invoices drawn with replacement, so that the mean and
// the percentiles describe the same paths. The timing record times an
// invoice by its settlement; the payments customers make within three
// weeks of issue while the invoice stays open (deposits, instalments) are
// drawn the same way from each customer's own, their share taken off the
// settlements.
//
// # Backtest
//
// RunBacktest scores the open-book P50 (WAPE, WAPE by week ahead), the
// mean's bias, pinball losses and P10–P90 coverage over every origin-week,
// against the due-date schedule and the customer's average delay on the
// same weeks, from a ledger imported as dsopilot backtest does.
package forecast
