package api

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// CustomerInfo is a customer's master data.
type CustomerInfo struct {
	ID       string `json:"customer_id"`
	Name     string `json:"name"`
	Segment  string `json:"segment"`
	Country  string `json:"country"`
	Currency string `json:"currency" doc:"the customer's currency, that of credit_limit"`
	// CreditLimit is the limit in force at as_of (a credit decision's,
	// else the master's), nil when none is recorded, which is not 0.00 (no
	// credit).
	CreditLimit  *Amount `json:"credit_limit" doc:"in currency; the limit in force at as_of (the newest credit decision by then; before the first, its old limit; else the customer master's); null when no limit is recorded (a blank credit_limit), which is not 0.00 (no credit), its debt flagged no_limit (the credit-limit advice's limit_source not_recorded)"`
	PaymentTerms string  `json:"payment_terms" doc:"NET<days> or EOM<days>: the customer master's, else (payment_terms_source invoices) the days from issue to due most of its invoices issued by as_of have; empty when neither tells"`
	// PaymentTermsSource says where PaymentTerms come from: a customer
	// derived from a cleared-items export has no terms in its master row,
	// and NET0 would say it pays cash.
	PaymentTermsSource string   `json:"payment_terms_source" doc:"master: the customer master's terms; invoices: the master gives none, and payment_terms are read from its invoices (as the credit suggestions size its need); empty when neither tells"`
	Channel            string   `json:"channel"`
	Since              NullDate `json:"since" doc:"the day the customer became one; null when the master does not say"`
	Collector          string   `json:"collector"`
	// InMaster is false for a customer known only from its records (no
	// row in customers).
	InMaster bool `json:"in_master"`
}

// OpenItem is an invoice open at the as-of date.
type OpenItem struct {
	InvoiceID   string        `json:"invoice_id"`
	IssueDate   datasets.Date `json:"issue_date"`
	DueDate     datasets.Date `json:"due_date"`
	Amount      Amount        `json:"amount"`
	Outstanding Amount        `json:"outstanding"`
	Currency    string        `json:"currency"`
	DaysOverdue int           `json:"days_overdue"`
	Disputed    bool          `json:"disputed"`
	// Score is null when no model scores the book.
	Score *Score `json:"score"`
}

// CurrencyAmount is an amount in one currency.
type CurrencyAmount struct {
	Currency string `json:"currency"`
	Amount   Amount `json:"amount"`
}

// ScoreSummary sums up a customer's open-invoice scores.
type ScoreSummary struct {
	Scored     int      `json:"scored"`
	MaxPLate   *float64 `json:"max_p_late"`
	MeanPLate  *float64 `json:"mean_p_late"`
	MaxP90Plus *float64 `json:"max_p_90_plus"`
	ColdStart  bool     `json:"cold_start"`
	// Outstanding is the open amount per currency (exact sums).
	Outstanding []CurrencyAmount `json:"outstanding"`
}

// CustomerView answers GET /v1/customers/{id}.
type CustomerView struct {
	Customer CustomerInfo  `json:"customer"`
	AsOf     datasets.Date `json:"as_of"`
	Model    string        `json:"model"`
	// Features are the customer's point-in-time features as of as_of, by
	// name (docs/features.md); null for a missing value. Amount features
	// are in FeaturesCurrency; null when that would be a sum of several.
	Features         map[string]any `json:"features"`
	FeaturesCurrency string         `json:"features_currency" doc:"the currency of the amount features: the model's when it converts, else the one currency of the customer's records; empty when they are in several, and the amount features are then null (never a sum of unconverted amounts)"`
	// KPIs are the customer's receivables KPIs over [from, to] in
	// KPIsCurrency; null when its amounts are in several currencies the
	// server cannot convert, which KPIsByCurrency then lists one by one.
	KPIs           *features.KPIs `json:"kpis" doc:"the customer's receivables KPIs over from..to, amounts in kpis_currency; null when they are in several currencies the server has no rates for (see kpis_by_currency)"`
	KPIsCurrency   string         `json:"kpis_currency" doc:"the currency of the amounts of kpis: the server's reporting currency (--currency) when it has rates, else the one currency of the customer's records; empty when kpis is null"`
	KPIsByCurrency []CurrencyKPIs `json:"kpis_by_currency,omitempty" doc:"the KPIs of each currency's records, when the customer's amounts are in several currencies the server cannot convert; absent otherwise"`
	OpenItems      []OpenItem     `json:"open_items"`
	Scores         ScoreSummary   `json:"scores"`
	Warnings       []string       `json:"warnings,omitempty" doc:"what makes the answer doubtful: a date more than 7 days after the ledger's latest record (the book is frozen on that day), a period that begins long before its first invoice; absent when nothing does"`
}

// CurrencyKPIs are the KPIs of a customer's records in one currency.
type CurrencyKPIs struct {
	Currency string `json:"currency"`
	features.KPIs
}

// KPIView answers GET /v1/kpi: the KPI report and its warnings.
type KPIView struct {
	features.KPIReport
	Warnings []string `json:"warnings,omitempty" doc:"what makes the answer doubtful: a date more than 7 days after the ledger's latest record (the book is frozen on that day), a period that begins long before its first invoice; absent when nothing does"`
}

func (s *Server) getCustomer(c *gin.Context) {
	snap := s.snap.Load()
	id := c.Param("id")
	asOf, err := dateParam(c, "as_of", snap.asOf)
	if err != nil {
		fail(c, err)
		return
	}
	from, to, err := periodParams(c, asOf)
	if err != nil {
		fail(c, err)
		return
	}
	var fe fieldErrors
	var warn []string
	if w := s.asOfDate(snap, &fe, queryDate("as_of"), asOf); w != "" {
		warn = append(warn, w)
	}
	if len(fe) == 0 { // the period's defaults follow as_of: one error, not three
		warn = append(warn, snap.span.period(&fe, queryDate("from"), queryDate("to"), from, to, to != asOf)...)
	}
	if err := fe.err("bad customer query"); err != nil {
		fail(c, err)
		return
	}
	recs := snap.cust[id]
	if recs == nil {
		fail(c, fmt.Errorf("%w: no customer %q", ErrNotFound, id))
		return
	}
	mini := snap.draftLedger([]string{id}, nil, nil)
	// A customer known only from its records has a limit of 0 no one set
	// (no credit, as the credit workflow reads it: limit_source none).
	view := CustomerView{AsOf: asOf, Model: snap.modelID(), Customer: CustomerInfo{ID: id, CreditLimit: new(Amount)}, OpenItems: []OpenItem{}, Warnings: warn}
	cu, found := findCustomer(snap.ledger, id)
	if found {
		view.Customer = CustomerInfo{ID: cu.ID, Name: cu.Name, Segment: cu.Segment, Country: cu.Country, Currency: cu.Currency,
			CreditLimit: limitAt(cu, mini.CreditDecisions, asOf), Channel: cu.Channel, Since: NullDate(cu.Since), Collector: cu.Collector, InMaster: true}
	}
	// Zero terms are none given (a customer derived from its invoices),
	// as the credit workflow reads them: its invoices tell them.
	if found && cu.Terms != (datasets.Terms{}) {
		view.Customer.PaymentTerms, view.Customer.PaymentTermsSource = cu.Terms.String(), "master"
	} else if t := datasets.TermsOfInvoices(mini.Invoices, asOf); t.N > 0 {
		view.Customer.PaymentTerms, view.Customer.PaymentTermsSource = datasets.Terms{Days: t.Days}.String(), "invoices"
	}
	ix := features.NewIndex(mini)
	currencies := mini.Currencies()
	if err := customerKPIs(&view, snap.fx, mini, ix, currencies, from, to); err != nil {
		fail(c, err)
		return
	}
	// The model's features are in its currency when it converts; else in
	// the records' own, which are one currency or a meaningless sum.
	featIx, opts, featCur := ix, features.Options{}, ""
	if len(currencies) == 1 {
		featCur = currencies[0]
	}
	if snap.scoreIx != nil {
		featIx, opts = snap.scoreIx, snap.model.bundle.Options.Features
		if fx := snap.model.fx(); fx != nil {
			featCur = fx.To
		}
	}
	view.Features, view.FeaturesCurrency = customerFeatures(featIx, opts, asOf, id, featCur == ""), featCur
	if featCur == "" && len(currencies) > 1 {
		view.Warnings = append(view.Warnings, fmt.Sprintf("the customer's amounts are in %s and the model in service does not convert them: "+
			"its amount features are null (train with --currency and --fx to have them in one currency)", strings.Join(currencies, ", ")))
	}
	scores := map[string]Score{}
	if snap.scoring() == nil {
		reasons := min(defaultReasons, s.cfg.MaxReasons)
		if asOf == snap.asOf {
			for _, k := range snap.byCustomer[id] {
				scores[snap.scores[k].InvoiceID] = snap.scores[k].withReasons(reasons)
			}
		} else if list, err := snap.scoreCustomers(asOf, reasons, []string{id}, nil, nil, nil); err == nil {
			for _, sc := range list {
				scores[sc.InvoiceID] = sc
			}
		}
	}
	view.OpenItems, view.Scores = openItems(mini, asOf, scores)
	ok(c, http.StatusOK, view)
}

// openItems lists the invoices of l open at the end of asOf, most overdue
// first, with their scores, and sums them up.
func openItems(l *datasets.Ledger, asOf datasets.Date, scores map[string]Score) ([]OpenItem, ScoreSummary) {
	items := []OpenItem{}
	var sum ScoreSummary
	byCur := map[string]datasets.Money{}
	var total, maxP, max90 float64
	for i := range l.Invoices {
		v := &l.Invoices[i]
		if v.IssueDate > asOf {
			continue
		}
		left := outstanding(l, v, asOf)
		if left <= 0 {
			continue
		}
		it := OpenItem{InvoiceID: v.ID, IssueDate: v.IssueDate, DueDate: v.DueDate, Amount: Amount(v.Amount), Outstanding: Amount(left),
			Currency: v.Currency, DaysOverdue: max(0, int(asOf-v.DueDate)), Disputed: v.Disputed}
		byCur[v.Currency] += left
		if sc, ok := scores[v.ID]; ok {
			it.Score = &sc
			sum.Scored++
			total += sc.PLate
			maxP = max(maxP, sc.PLate)
			if sc.P90Plus != nil {
				max90 = max(max90, *sc.P90Plus)
				sum.MaxP90Plus = &max90
			}
			sum.ColdStart = sum.ColdStart || sc.ColdStart
		}
		items = append(items, it)
	}
	if sum.Scored > 0 {
		mean := total / float64(sum.Scored)
		sum.MeanPLate, sum.MaxPLate = &mean, &maxP
	}
	sum.Outstanding = []CurrencyAmount{}
	for cur, m := range byCur {
		sum.Outstanding = append(sum.Outstanding, CurrencyAmount{Currency: cur, Amount: Amount(m)})
	}
	slices.SortFunc(sum.Outstanding, func(a, b CurrencyAmount) int { return strings.Compare(a.Currency, b.Currency) })
	slices.SortFunc(items, func(a, b OpenItem) int {
		return cmp.Or(cmp.Compare(b.DaysOverdue, a.DaysOverdue), cmp.Compare(b.Outstanding, a.Outstanding), strings.Compare(a.InvoiceID, b.InvoiceID))
	})
	return items, sum
}

// customerKPIs sets the customer's KPIs: converted to the server's
// reporting currency when it has rates, as they are when the records are in
// one currency, else one set per currency (never a sum of unconverted
// amounts, which every total and ratio of the KPIs would be).
func customerKPIs(view *CustomerView, fx *datasets.FX, mini *datasets.Ledger, ix *features.Index, currencies []string, from, to datasets.Date) error {
	bad := func(err error) error { return invalid("bad period", fieldAt("query:from", err.Error())) }
	kix, label := ix, ""
	switch {
	case fx != nil:
		conv, err := mini.Convert(*fx)
		if err == nil {
			kix, label = features.NewIndex(conv), fx.To
			break
		}
		view.Warnings = append(view.Warnings, fmt.Sprintf("the customer's amounts cannot be converted to %s (%v): its KPIs are given per currency", fx.To, err))
	}
	if label == "" && len(currencies) <= 1 {
		label = view.Customer.Currency
		if len(currencies) == 1 {
			label = currencies[0]
		}
	}
	if label != "" {
		rep, err := features.ComputeKPIs(kix, from, to, "", false)
		if err != nil {
			return bad(err)
		}
		view.KPIs, view.KPIsCurrency = &rep.KPIs, label
		return nil
	}
	rep, err := features.ComputeKPIsWith(ix, from, to, features.KPIOptions{By: "currency"})
	if err != nil {
		return bad(err)
	}
	for _, g := range rep.Groups {
		view.KPIsByCurrency = append(view.KPIsByCurrency, CurrencyKPIs{Currency: g.Key, KPIs: g.KPIs})
	}
	return nil
}

// forecastGroupings are the values of /v1/forecast's ?by.
var forecastGroupings = []string{"", "segment", "country", "currency", "customer"}

func (s *Server) getKPI(c *gin.Context) {
	snap := s.snap.Load()
	var fe fieldErrors
	from, to, err := periodParams(c, snap.asOf)
	if err != nil {
		fail(c, err)
		return
	}
	by := c.Query("by")
	if by != "" && !slices.Contains(features.KPIGroupings(), by) {
		fe.add("query:by", fmt.Sprintf("%q: want %s", by, strings.Join(features.KPIGroupings(), ", ")))
	}
	monthly := false
	switch c.Query("monthly") {
	case "", "false", "0":
	case "true", "1":
		monthly = true
	default:
		fe.add("query:monthly", "want true or false")
	}
	currency := c.Query("currency")
	if currency != "" {
		// The importer's check of a currency code, so that a value it
		// rejects is never taken here.
		if code, err := datasets.ParseCurrency(currency); err != nil {
			fe.add("query:currency", fmt.Sprintf("%q: want a 3-letter ISO 4217 code", currency))
		} else {
			currency = code
		}
	}
	warn := snap.span.period(&fe, queryDate("from"), queryDate("to"), from, to, true)
	if err := fe.err("bad KPI query"); err != nil {
		fail(c, err)
		return
	}
	named := currency != ""
	if by == "currency" && named {
		// Converted, every invoice would be in that currency and the groups
		// would fold into one.
		fe.add("query:currency", fmt.Sprintf("by=currency reports each currency in its own; leave out currency=, or group by segment, country or customer to have amounts converted to %s", currency))
	}
	if err := fe.err("bad KPI query"); err != nil {
		fail(c, err)
		return
	}
	if !named && snap.fx != nil && by != "currency" {
		// The server's reporting currency (--currency) unless asked
		// otherwise: never a silent sum of several currencies.
		currency = snap.fx.To
	}
	// Grouped by currency, each group is in its own currency, unconverted
	// (converted, the groups would fold into one), and needs no rate.
	ix, label, mixedCur, err := snap.kpiIndex(currency)
	if err == nil && by == "currency" && snap.fx != nil && len(mixedCur) > 1 {
		if len(snap.unrated) > 0 {
			warn = append(warn, fmt.Sprintf("not converted to %s: the server's rates (--fx) lack %s, so each currency's KPIs are in that currency "+
				"and the portfolio's amounts add %s up unconverted; restart dsopilot serve with --currency %s --fx FILE holding a rate for %s to have them converted",
				snap.fx.To, strings.Join(snap.unrated, ", "), strings.Join(mixedCur, ", "), snap.fx.To, strings.Join(snap.unrated, ", ")))
		} else {
			warn = append(warn, fmt.Sprintf("grouped by currency, each currency's KPIs are in that currency and the portfolio's amounts add %s up unconverted; "+
				"ask without by=currency for the portfolio in %s", strings.Join(mixedCur, ", "), snap.fx.To))
		}
	}
	if err != nil {
		fail(c, err)
		return
	}
	rep, err := features.ComputeKPIsWith(ix, from, to, features.KPIOptions{By: by, Monthly: monthly})
	if err != nil {
		fail(c, invalid("bad KPI query", fieldAt("query:from", err.Error())))
		return
	}
	rep.Currency, rep.Currencies = label, mixedCur
	ok(c, http.StatusOK, KPIView{KPIReport: *rep, Warnings: warn})
}

// periodParams reads ?from and ?to: to defaults to defTo, from to the 90
// days ending at to.
func periodParams(c *gin.Context, defTo datasets.Date) (from, to datasets.Date, err error) {
	if to, err = dateParam(c, "to", defTo); err != nil {
		return 0, 0, err
	}
	if from, err = dateParam(c, "from", to.AddDays(-89)); err != nil {
		return 0, 0, err
	}
	if from > to {
		return 0, 0, invalid("bad period", fieldAt("query:from", fmt.Sprintf("%s is after to %s", from, to)))
	}
	return from, to, nil
}

// limitAt is the customer's credit limit in force at the end of asOf
// (datasets.CreditLimitAt: a decision's, else the master's), nil when it
// is blank: no limit recorded. The master alone gave today's limit at any
// as_of (an approval of 20,000 on 1 December read 20,000 on 15 November,
// where the advice and the report said not recorded).
func limitAt(cu *datasets.Customer, ds []datasets.CreditDecision, asOf datasets.Date) *Amount {
	limit, blank := datasets.CreditLimitAt(cu, ds, asOf)
	if blank {
		return nil
	}
	a := Amount(limit)
	return &a
}
