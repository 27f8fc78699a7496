// Package reports turns a receivables ledger into charts a credit manager or
// a treasurer can look at and click through: from the portfolio's DSO,
// aging and cash forecast down to a segment or country, a customer and one
// invoice. The same pages are written as a static site (WriteSite, for
// `dsopilot report --out DIR`) and served on demand by an http.Handler
// (NewHandler, which `dsopilot serve` mounts under /reports/).
//
// The contract:
//
//   - Everything is as of one date: a page shows only what the ledger knew
//     at the end of that day (invoices issued, payments received, disputes
//     opened and promises made by then), so a report re-run later for the
//     same date says the same thing.
//   - Amounts are in one reporting currency when the caller converted the
//     ledger (Input.Currency); otherwise every page says which currencies
//     were added unconverted. An amount in a currency the rates lack is
//     left out with its invoice by the cash forecast's rule
//     (forecast.LeaveOutUnconverted), every page with amounts and the
//     forecast sections say what was left out, and more than half the open
//     invoices without a rate fail the report. Sums are exact
//     (datasets.Money); floats are only what the charts draw.
//   - Paths are stable: index.html, segments/<name>.html,
//     countries/<code>.html, currencies/<code>.html, customers/<id>.html
//     (each invoice at the anchor #inv-<id> of its customer's page),
//     open/... (the rows behind a slice's figures), disputes.html,
//     collections.html, model.html. Names are escaped by PathName, so any
//     id is safe in a path, a URL and HTML.
//   - Offline: ECharts is embedded from the npm package the Makefile
//     fetches (make echarts) and served from assets/; no page refers to
//     anything outside the site. A build without it still compiles, but
//     New fails with ErrNoECharts.
//   - Parts built by other packages (the cash forecast, the collections
//     worklist, credit-limit suggestions) come through the small interfaces
//     in sources.go; when one is not given, its place on the page says it
//     is not available yet instead of drawing an empty chart.
//
// Charts are built with go-echarts (github.com/go-echarts/go-echarts/v2)
// and rendered by reports' own templates: each page carries its charts'
// options as JSON and assets/dsopilot.js draws them, wires the drill-down
// clicks and formats numbers with thousands separators.
package reports
