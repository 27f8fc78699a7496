package api

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/recommender"
)

// Worklist answers GET /v1/worklist: a page of the day's actions and the
// first page of the deferred actions and of the excluded customers, with
// the totals of each, so that a customer missing from the page is
// accounted for. GET /v1/worklist/deferred and /v1/worklist/excluded page
// through the other two lists.
type Worklist struct {
	Date datasets.Date `json:"date"`
	// Basis is effects or scenario (see NextAction.Basis); Note says why.
	Basis string `json:"basis"`
	Note  string `json:"note,omitempty"`
	// Actions is the page: Limit actions from the Offset-th of the Total
	// that match the query. Truncated is true when more follow; NextOffset
	// is then the offset of the next page (null on the last).
	Actions    []NextAction `json:"actions"`
	Total      int          `json:"total" doc:"actions that match the query, on every page"`
	Offset     int          `json:"offset"`
	Limit      int          `json:"limit"`
	Truncated  bool         `json:"truncated" doc:"more actions follow this page (limit cut the list)"`
	NextOffset *int         `json:"next_offset" doc:"offset of the next page; null on the last"`
	// Deferred are actions a rule kept off the day's list (DeferredBy:
	// quiet_day, capacity, budget), matching the query: the first Limit of
	// DeferredTotal (the rest from /v1/worklist/deferred).
	Deferred      []NextAction `json:"deferred" doc:"the first limit of the actions a rule kept off the day's list (deferred_by names it); page with /v1/worklist/deferred"`
	DeferredTotal int          `json:"deferred_total" doc:"deferred actions that match the query"`
	// Excluded are the customers with open invoices a rule kept from any
	// contact (promise, contact_cap, hold, default, dispute, ...), of the
	// query's collector (they have no channel): the first Limit of
	// ExcludedTotal (the rest from /v1/worklist/excluded).
	Excluded      []ExcludedCustomer `json:"excluded" doc:"the first limit of the customers a rule kept from any contact, with the rule; page with /v1/worklist/excluded"`
	ExcludedTotal int                `json:"excluded_total" doc:"excluded customers of the query's collector"`
	Warnings      []string           `json:"warnings,omitempty" doc:"what makes the answer doubtful: a date more than 7 days after the ledger's latest record (the book is frozen on that day), a period that begins long before its first invoice; absent when nothing does"`
}

// DeferredPage answers GET /v1/worklist/deferred: Limit deferred actions
// from the Offset-th of Total; Truncated when more follow, NextOffset then
// the next page's offset.
type DeferredPage struct {
	Date       datasets.Date `json:"date"`
	Basis      string        `json:"basis"`
	Deferred   []NextAction  `json:"deferred"`
	Total      int           `json:"total" doc:"deferred actions that match the query"`
	Offset     int           `json:"offset"`
	Limit      int           `json:"limit"`
	Truncated  bool          `json:"truncated" doc:"more follow this page"`
	NextOffset *int          `json:"next_offset" doc:"offset of the next page; null on the last"`
	Warnings   []string      `json:"warnings,omitempty" doc:"what makes the answer doubtful: a date more than 7 days after the ledger's latest record (the book is frozen on that day), a period that begins long before its first invoice; absent when nothing does"`
}

// ExcludedPage answers GET /v1/worklist/excluded, paged as DeferredPage.
type ExcludedPage struct {
	Date       datasets.Date      `json:"date"`
	Excluded   []ExcludedCustomer `json:"excluded"`
	Total      int                `json:"total" doc:"excluded customers of the query's collector"`
	Offset     int                `json:"offset"`
	Limit      int                `json:"limit"`
	Truncated  bool               `json:"truncated" doc:"more follow this page"`
	NextOffset *int               `json:"next_offset" doc:"offset of the next page; null on the last"`
	Warnings   []string           `json:"warnings,omitempty" doc:"what makes the answer doubtful: a date more than 7 days after the ledger's latest record (the book is frozen on that day), a period that begins long before its first invoice; absent when nothing does"`
}

// page is where a page lies in its list.
type page struct {
	total, offset, limit int
	next                 *int
}

// pageOf cuts limit items from the offset-th of all (never nil).
func pageOf[T any](all []T, offset, limit int) ([]T, page) {
	p := page{total: len(all), offset: offset, limit: limit}
	lo := min(offset, len(all))
	hi := min(lo+limit, len(all))
	if hi < len(all) {
		p.next = &hi
	}
	return append([]T{}, all[lo:hi]...), p
}

// NextActionView answers GET /v1/customers/{id}/next-action.
type NextActionView struct {
	CustomerID string        `json:"customer_id"`
	Date       datasets.Date `json:"date"`
	// Action is null when nothing should be done today; a deferred one has
	// DeferredBy set.
	Action *NextAction `json:"action"`
	// Excluded, when set, is the rule that keeps the customer from any
	// contact (Action is then null).
	Excluded *ExcludedCustomer `json:"excluded,omitempty"`
	// NoAction, when Action and Excluded are both null, says why.
	NoAction *NoAction `json:"no_action,omitempty" doc:"why action is null when no rule excludes the customer (excluded absent); absent otherwise"`
	Warnings []string  `json:"warnings,omitempty" doc:"what makes the answer doubtful: a date more than 7 days after the ledger's latest record (the book is frozen on that day), a period that begins long before its first invoice; absent when nothing does"`
}

// Paging of the worklist.
const (
	worklistLimit    = 100
	worklistMaxLimit = 10_000
)

// intParam reads an optional integer query parameter within lo..hi.
func intParam(c *gin.Context, fe *fieldErrors, name string, def, lo, hi int) int {
	v := c.Query(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		fe.add("query:"+name, fmt.Sprintf("%q: want an integer %d..%d", v, lo, hi))
		return def
	}
	return n
}

// worklistQuery reads the worklist routes' query (knownQuery has refused
// the parameters a route does not take).
// warn is what makes the day's list doubtful (span.go); a day's plan
// may be made before the day, so a date ahead is not refused.
func (s *Server) worklistQuery(c *gin.Context) (q WorklistQuery, warn []string, err error) {
	var fe fieldErrors
	snap := s.snap.Load()
	q = WorklistQuery{Date: snap.asOf, Collector: c.Query("collector"), Channel: strings.ToLower(c.Query("channel"))}
	if v := c.Query("date"); v != "" {
		if q.Date = fe.date("query:date", DateText(v), false); q.Date != 0 {
			snap.span.known(&fe, queryDate("date"), q.Date)
		}
	}
	q.Limit = intParam(c, &fe, "limit", worklistLimit, 1, worklistMaxLimit)
	q.Offset = intParam(c, &fe, "offset", 0, 0, math.MaxInt32)
	if err := fe.err("bad worklist query"); err != nil {
		return q, nil, err
	}
	if s.cfg.Collections == nil {
		return q, nil, unavailable("the dunning recommender (worklist)")
	}
	if w := snap.span.stale(queryDate("date"), q.Date); w != "" {
		warn = []string{w}
	}
	return q, warn, nil
}

func (s *Server) getWorklist(c *gin.Context) {
	q, warn, err := s.worklistQuery(c)
	if err != nil {
		fail(c, err)
		return
	}
	w, err := s.cfg.Collections.Worklist(c.Request.Context(), q)
	if err != nil {
		fail(c, err)
		return
	}
	w.Date, w.Offset, w.Limit = q.Date, q.Offset, q.Limit
	if len(w.Actions) > q.Limit { // an adapter that did not page: never more than asked
		w.Actions = w.Actions[:q.Limit]
	}
	if w.Actions == nil {
		w.Actions = []NextAction{}
	}
	if end := q.Offset + len(w.Actions); end < w.Total {
		w.Truncated, w.NextOffset = true, &end
	}
	w.DeferredTotal, w.ExcludedTotal = len(w.Deferred), len(w.Excluded)
	w.Deferred, _ = pageOf(w.Deferred, 0, q.Limit)
	w.Excluded, _ = pageOf(w.Excluded, 0, q.Limit)
	w.Warnings = warn
	ok(c, http.StatusOK, w)
}

// getWorklistDeferred pages the day's deferred actions.
func (s *Server) getWorklistDeferred(c *gin.Context) {
	q, warn, err := s.worklistQuery(c)
	if err != nil {
		fail(c, err)
		return
	}
	w, err := s.cfg.Collections.Worklist(c.Request.Context(), WorklistQuery{Date: q.Date, Collector: q.Collector, Channel: q.Channel, Limit: 1})
	if err != nil {
		fail(c, err)
		return
	}
	items, p := pageOf(w.Deferred, q.Offset, q.Limit)
	ok(c, http.StatusOK, DeferredPage{Date: q.Date, Basis: w.Basis, Deferred: items, Total: p.total, Offset: p.offset, Limit: p.limit,
		Truncated: p.next != nil, NextOffset: p.next, Warnings: warn})
}

// getWorklistExcluded pages the day's excluded customers.
func (s *Server) getWorklistExcluded(c *gin.Context) {
	q, warn, err := s.worklistQuery(c)
	if err != nil {
		fail(c, err)
		return
	}
	w, err := s.cfg.Collections.Worklist(c.Request.Context(), WorklistQuery{Date: q.Date, Collector: q.Collector, Limit: 1})
	if err != nil {
		fail(c, err)
		return
	}
	items, p := pageOf(w.Excluded, q.Offset, q.Limit)
	ok(c, http.StatusOK, ExcludedPage{Date: q.Date, Excluded: items, Total: p.total, Offset: p.offset, Limit: p.limit,
		Truncated: p.next != nil, NextOffset: p.next, Warnings: warn})
}

func (s *Server) getNextAction(c *gin.Context) {
	var fe fieldErrors
	if err := fe.err("bad next-action query"); err != nil {
		fail(c, err)
		return
	}
	id, date, warn, found := s.customerAt(c, "date", true)
	if !found {
		return
	}
	if s.cfg.Collections == nil {
		fail(c, unavailable("the dunning recommender (next action)"))
		return
	}
	a, ex, err := s.cfg.Collections.NextAction(c.Request.Context(), id, date)
	if errors.Is(err, ErrNoRate) {
		// Of a customer whose own amounts may all have a rate: say why.
		err = fmt.Errorf("the next action is taken from the day's worklist, which ranks every customer's open amounts in one currency: %w", err)
	}
	if err != nil {
		fail(c, err)
		return
	}
	v := NextActionView{CustomerID: id, Date: date, Action: a, Excluded: ex, Warnings: warn}
	if a == nil && ex == nil {
		snap, pending := s.view()
		var l *datasets.Ledger
		if snap != nil {
			l = snap.ledger
		}
		v.NoAction = noActionOf(l, pending, id, date)
	}
	ok(c, http.StatusOK, v)
}

// Follower is a part of Config (Collections, Credit, Forecast) that works
// on the served ledger: the server hands it every new snapshot's ledger
// and date. Follow must be cheap (keep the pointer, compute on request):
// it runs while the snapshot is swapped in.
type Follower interface {
	Follow(l *datasets.Ledger, asOf datasets.Date)
}

// RecommenderCollections serves the Collections routes from the dunning
// recommender: the whole team's worklist of a day is computed once per
// snapshot (recommender.Daily) and filtered per request.
type RecommenderCollections struct {
	daily *recommender.Daily
	mu    sync.RWMutex
	l     *datasets.Ledger
	// collectors are l's collectors (computed on the first request that
	// names one).
	collectors []string
}

var (
	_ Collections = (*RecommenderCollections)(nil)
	_ Follower    = (*RecommenderCollections)(nil)
)

// NewRecommenderCollections returns the Collections part over d, whose
// options must not restrict it to a collector or customers.
func NewRecommenderCollections(d *recommender.Daily) *RecommenderCollections {
	return &RecommenderCollections{daily: d}
}

// Follow implements Follower.
func (rc *RecommenderCollections) Follow(l *datasets.Ledger, _ datasets.Date) {
	rc.mu.Lock()
	rc.l, rc.collectors = l, nil
	rc.mu.Unlock()
}

func (rc *RecommenderCollections) ledger() (*datasets.Ledger, error) {
	rc.mu.RLock()
	l := rc.l
	rc.mu.RUnlock()
	if l == nil {
		return nil, notRead("the dunning recommender")
	}
	return l, nil
}

func (rc *RecommenderCollections) worklist(ctx context.Context, day datasets.Date) (*recommender.Worklist, error) {
	l, err := rc.ledger()
	if err != nil {
		return nil, err
	}
	w, err := rc.daily.Worklist(ctx, l, day)
	if nr := asNoRate(withExamples(err, l)); nr != nil {
		return nil, nr
	}
	return w, err
}

// ledgerCollectors lists the collectors of the served ledger's customers.
func (rc *RecommenderCollections) ledgerCollectors() ([]string, error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.l == nil {
		return nil, notRead("the dunning recommender")
	}
	if rc.collectors == nil {
		list := []string{}
		for i := range rc.l.Customers {
			if c := rc.l.Customers[i].Collector; c != "" && !slices.Contains(list, c) {
				list = append(list, c)
			}
		}
		slices.Sort(list)
		rc.collectors = list
	}
	return rc.collectors, nil
}

// checkQuery refuses a channel the scenario file has no action on and a
// collector no customer has: either would answer an empty list that reads
// as "nothing to do".
func (rc *RecommenderCollections) checkQuery(q WorklistQuery) error {
	var fe fieldErrors
	if chans := rc.daily.Scenarios().Channels(); q.Channel != "" && !slices.Contains(chans, q.Channel) {
		fe.add("query:channel", fmt.Sprintf("unknown channel %q: want one of %s", q.Channel, strings.Join(chans, ", ")))
	}
	if q.Collector != "" {
		colls, err := rc.ledgerCollectors()
		if err != nil {
			return err
		}
		if !slices.Contains(colls, q.Collector) {
			fe.add("query:collector", fmt.Sprintf("unknown collector %q: want one of %s", q.Collector, someOf(colls, 20)))
		}
	}
	return fe.err("bad worklist query")
}

// someOf lists up to n values, saying how many more there are.
func someOf(vs []string, n int) string {
	if len(vs) == 0 {
		return "(none: no customer has a collector)"
	}
	if len(vs) <= n {
		return strings.Join(vs, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(vs[:n], ", "), len(vs)-n)
}

// Worklist implements Collections.
func (rc *RecommenderCollections) Worklist(ctx context.Context, q WorklistQuery) (*Worklist, error) {
	if err := rc.checkQuery(q); err != nil {
		return nil, err
	}
	w, err := rc.worklist(ctx, q.Date)
	if err != nil {
		return nil, err
	}
	match := func(r *recommender.Recommendation) bool {
		return (q.Collector == "" || r.Collector == q.Collector) && (q.Channel == "" || strings.EqualFold(r.Channel, q.Channel))
	}
	out := &Worklist{Basis: w.Basis, Note: w.Note, Actions: []NextAction{}, Deferred: []NextAction{}, Excluded: []ExcludedCustomer{}}
	for i := range w.Recommendations {
		r := &w.Recommendations[i]
		if !match(r) {
			continue
		}
		// Only the page is converted: a large book's list is long.
		if out.Total >= q.Offset && (q.Limit <= 0 || len(out.Actions) < q.Limit) {
			out.Actions = append(out.Actions, nextActionOf(r, w.Currency))
		}
		out.Total++
	}
	for i := range w.Deferred {
		if r := &w.Deferred[i]; match(r) {
			out.Deferred = append(out.Deferred, deferredOf(r, w.Currency))
		}
	}
	for i := range w.ExcludedCustomers {
		if e := &w.ExcludedCustomers[i]; q.Collector == "" || e.Collector == q.Collector {
			out.Excluded = append(out.Excluded, excludedOf(e, w.Currency))
		}
	}
	return out, nil
}

// NextAction implements Collections: the customer's recommendation of the
// day, or the one a rule deferred (DeferredBy says which), or the rule
// that excludes it; all nil when the customer has nothing to do.
func (rc *RecommenderCollections) NextAction(ctx context.Context, customerID string, date datasets.Date) (*NextAction, *ExcludedCustomer, error) {
	w, err := rc.worklist(ctx, date)
	if err != nil {
		return nil, nil, err
	}
	for i := range w.Recommendations {
		if r := &w.Recommendations[i]; r.CustomerID == customerID {
			a := nextActionOf(r, w.Currency)
			return &a, nil, nil
		}
	}
	for i := range w.Deferred {
		if r := &w.Deferred[i]; r.CustomerID == customerID {
			a := deferredOf(r, w.Currency)
			return &a, nil, nil
		}
	}
	for i := range w.ExcludedCustomers {
		if e := &w.ExcludedCustomers[i]; e.CustomerID == customerID {
			x := excludedOf(e, w.Currency)
			return nil, &x, nil
		}
	}
	return nil, nil, nil
}

// nextActionOf maps a recommendation onto the API's type. On a scenario
// basis the recommender has no expected value or uplift (nil): they stay
// null rather than read as a known zero.
func nextActionOf(r *recommender.Recommendation, currency string) NextAction {
	a := NextAction{CustomerID: r.CustomerID, Collector: r.Collector, Date: r.Date, Type: r.Action, Channel: r.Channel,
		InvoiceIDs: r.Invoices, Amount: r.Amount, Currency: currency, Basis: r.Basis, Policy: r.Policy, Propensity: r.Propensity,
		Step: r.Step, Reasons: r.Reasons}
	if a.InvoiceIDs == nil {
		a.InvoiceIDs = []string{}
	}
	if a.Reasons == nil {
		a.Reasons = []string{}
	}
	if r.ExpectedValue != nil {
		ev := Amount(math.Round(*r.ExpectedValue * 100))
		a.ExpectedValue = &ev
	}
	if u := r.Uplift; u != nil {
		up, lo, hi := u.Uplift, u.Low, u.High
		a.Uplift, a.UpliftLo, a.UpliftHi = &up, &lo, &hi
	}
	var blocked []string
	for _, b := range r.Blocked {
		blocked = append(blocked, blockedText(b))
	}
	a.Blocked = strings.Join(blocked, "; ")
	a.BlockedBy = blockedRules(r.Blocked)
	return a
}

// deferredOf maps a deferred recommendation: the recommender appends the
// rule that deferred it last.
func deferredOf(r *recommender.Recommendation, currency string) NextAction {
	a := nextActionOf(r, currency)
	if n := len(r.Blocked); n > 0 {
		a.DeferredBy = r.Blocked[n-1].Rule
	}
	return a
}

func excludedOf(e *recommender.Exclusion, currency string) ExcludedCustomer {
	return ExcludedCustomer{CustomerID: e.CustomerID, Collector: e.Collector, Rule: e.Rule, Detail: e.Detail,
		Overdue: e.Overdue, Currency: currency, BlockedBy: blockedRules(e.Blocked)}
}

func blockedRules(bs []recommender.Blocked) []BlockedRule {
	if len(bs) == 0 {
		return nil
	}
	out := make([]BlockedRule, len(bs))
	for i, b := range bs {
		out[i] = BlockedRule{Rule: b.Rule, InvoiceID: b.InvoiceID, Action: b.Action, Detail: b.Detail}
	}
	return out
}

// blockedText says which rule kept what off the list.
func blockedText(b recommender.Blocked) string {
	s := b.Rule
	if b.Action != "" {
		s += " (" + b.Action + ")"
	}
	if b.Detail != "" {
		s += ": " + b.Detail
	}
	return s
}
