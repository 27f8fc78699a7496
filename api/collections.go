package api

import (
	"context"
	"math"
	"strings"
	"sync"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/recommender"
)

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
	rc.l = l
	rc.mu.Unlock()
}

func (rc *RecommenderCollections) worklist(ctx context.Context, day datasets.Date) (*recommender.Worklist, error) {
	rc.mu.RLock()
	l := rc.l
	rc.mu.RUnlock()
	if l == nil {
		return nil, unavailable("the dunning recommender (no ledger loaded yet)")
	}
	return rc.daily.Worklist(ctx, l, day)
}

// Worklist implements Collections.
func (rc *RecommenderCollections) Worklist(ctx context.Context, q WorklistQuery) ([]NextAction, error) {
	w, err := rc.worklist(ctx, q.Date)
	if err != nil {
		return nil, err
	}
	var out []NextAction
	for i := range w.Recommendations {
		r := &w.Recommendations[i]
		if q.Collector != "" && r.Collector != q.Collector || q.Channel != "" && !strings.EqualFold(r.Channel, q.Channel) {
			continue
		}
		out = append(out, nextActionOf(r, w.Currency))
		if q.Limit > 0 && len(out) == q.Limit {
			break
		}
	}
	return out, nil
}

// NextAction implements Collections: the customer's recommendation of the
// day, or the one a rule deferred (its Blocked says which); nil when the
// customer has nothing to do.
func (rc *RecommenderCollections) NextAction(ctx context.Context, customerID string, date datasets.Date) (*NextAction, error) {
	w, err := rc.worklist(ctx, date)
	if err != nil {
		return nil, err
	}
	r, found := w.For(customerID)
	if !found {
		return nil, nil
	}
	a := nextActionOf(&r, w.Currency)
	return &a, nil
}

// nextActionOf maps a recommendation onto the API's type.
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
		a.ExpectedValue = Amount(math.Round(*r.ExpectedValue * 100))
	}
	if u := r.Uplift; u != nil {
		a.Uplift, a.UpliftLo, a.UpliftHi = u.Uplift, u.Low, u.High
	}
	var blocked []string
	for _, b := range r.Blocked {
		blocked = append(blocked, blockedText(b))
	}
	a.Blocked = strings.Join(blocked, "; ")
	return a
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
