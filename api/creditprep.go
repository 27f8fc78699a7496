package api

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/recommender/credit"
)

// The credit-limit advice of a customer reads the classes of the
// customers at every month-end its limit's review dates look at, each a
// default model learnt on the ledger as of that month-end (credit's
// learnClasses): on a 235k-invoice ledger the first request took 11
// minutes, past the server's write timeout, and its client got nothing
// while the server logged a 200. The advice of every customer is now
// prepared in the background once a snapshot is in service, from the
// same credit.Service a request uses, and requests answer from it; until
// it is ready they are a 503 naming what is being prepared, with a
// Retry-After, and /readyz says how far it is.

// creditPrep is the advice of every customer on one snapshot's ledger as
// of its day, being prepared or prepared.
type creditPrep struct {
	l    *datasets.Ledger
	asOf datasets.Date
	// prev is the preparation it follows (nil: none), whose advice it
	// takes over when its ledger holds the same records (fingerprint):
	// serve rereads the store every --reload (10 minutes), and learning
	// the month-ends' models again each time kept a large ledger's advice
	// forever in preparation.
	prev        *creditPrep
	fingerprint string
	started     time.Time
	cancel      context.CancelFunc
	done        chan struct{}
	// keys are the digests of each customer's records on l
	// (datasets.CustomerDigests), set before keyed closes: the advice
	// prepared on the snapshot before answers a customer whose records
	// are the same while this one is being prepared (previous).
	keys  map[string][sha256.Size]byte
	keyed chan struct{}

	// Set before done closes.
	advice map[string]credit.Advice
	// events is the fingerprint of the workflow's credit events the
	// advice was prepared with (eventsKey): a proposal or decision since
	// changes a customer's advice (an approval the snapshot does not hold
	// yet is laid over it), and such a request is answered afresh.
	events string
	// left are the customers left out of advice, for want of a rate
	// (their requests are answered afresh, and say so).
	left int
	err  error
	took time.Duration
}

// CreditPrepStatus is /readyz's account of the credit-limit advice.
type CreditPrepStatus struct {
	// Status is "ready", "preparing" or "failed" (requests then compute
	// their advice on their own, under their deadline).
	Status    string  `json:"status"`
	AsOf      string  `json:"as_of"`
	Customers int     `json:"customers"`
	Seconds   float64 `json:"seconds"`
	Error     string  `json:"error,omitempty"`
}

// prepStarter is a part whose background work runs under the server's
// context (Server.Start gives it before the first snapshot).
type prepStarter interface {
	startPrep(ctx context.Context)
}

var _ prepStarter = (*CreditWorkflow)(nil)

// startPrep gives the workflow the context its preparations run under;
// without it (a workflow used outside a server) every request computes
// its advice itself.
func (w *CreditWorkflow) startPrep(ctx context.Context) {
	w.mu.Lock()
	w.bg = ctx
	w.mu.Unlock()
}

// prepare starts preparing the advice on l as of asOf unless it is being
// prepared already; the preparation of another ledger or day is
// cancelled. Called with w.mu held.
func (w *CreditWorkflow) prepare(l *datasets.Ledger, asOf datasets.Date) {
	if w.bg == nil || l == nil || w.prep != nil && w.prep.l == l && w.prep.asOf == asOf {
		return
	}
	if w.prep != nil {
		w.prep.cancel()
	}
	if w.refreshing != nil {
		w.refreshing.cancel()
		w.refreshing = nil
	}
	ctx, cancel := context.WithCancel(w.bg)
	p := &creditPrep{l: l, asOf: asOf, prev: w.prep, started: time.Now(), cancel: cancel, done: make(chan struct{}), keyed: make(chan struct{})}
	w.prep = p
	go w.runPrep(ctx, p)
}

// runPrep prepares p: the advice of every customer, which learns the
// risks of every day any customer's review dates look at (kept by
// cachedRisk for the requests computing their own: another day asked
// about, or a customer whose proposals changed since).
func (w *CreditWorkflow) runPrep(ctx context.Context, p *creditPrep) {
	defer close(p.done)
	defer p.cancel()
	prev := p.prev
	p.prev = nil // not kept: a chain of snapshots
	if p.keys == nil {
		p.keys = datasets.CustomerDigests(p.l)
		close(p.keyed)
	}
	if p.fingerprint == "" {
		p.fingerprint = model.Fingerprint(p.l)
	}
	if prev != nil && prev.asOf == p.asOf {
		select {
		case <-prev.done:
			if prev.err == nil && prev.fingerprint == p.fingerprint {
				p.advice, p.events, p.left = prev.advice, prev.events, prev.left
				if w.cache != nil {
					w.cache.adopt(prev.l, p.l)
				}
				p.took = time.Since(p.started)
				w.log.Info("credit-limit advice taken over: the new snapshot holds the same records", "as_of", p.asOf.String(), "seconds", p.took.Seconds())
				return
			}
		default: // cancelled halfway: learnt again
		}
	}
	p.advice, p.events, p.left, p.err = w.prepareAll(ctx, p.l, p.asOf)
	p.took = time.Since(p.started)
	switch {
	case ctx.Err() != nil:
		w.log.Info("credit-limit advice no longer prepared: a newer snapshot is in service", "as_of", p.asOf.String(), "seconds", p.took.Seconds())
	case p.err != nil:
		w.log.Warn("credit-limit advice not prepared: each request computes its own", "as_of", p.asOf.String(), "seconds", p.took.Seconds(), "err", p.err)
	default:
		w.log.Info("credit-limit advice prepared", "as_of", p.asOf.String(), "customers", len(p.advice), "left_out_for_rates", p.left,
			"invoices", len(p.l.Invoices), "seconds", p.took.Seconds())
	}
	w.mu.Lock()
	switch {
	case w.prep == p && p.err == nil:
		w.lastTook = p.took
		w.served = p
	case w.refreshing == p:
		w.refreshing = nil
		if cur := w.prep; p.err == nil && cur != nil && cur.l == p.l && cur.asOf == p.asOf {
			w.prep, w.served = p, p
		}
	}
	w.mu.Unlock()
}

// refresh prepares p's advice again, in the background, after the credit
// events changed (a proposal, a decision): until it is done the prepared
// advice stays in service for the customers it still holds for, and the
// others' requests compute their own. Without it, the first proposal
// sent every later request to compute its own until the ledger changed.
// The risks are the snapshot's, learnt already: only the accounts are
// read again.
func (w *CreditWorkflow) refresh(p *creditPrep) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.bg == nil || w.prep != p || w.refreshing != nil {
		return
	}
	ctx, cancel := context.WithCancel(w.bg)
	r := &creditPrep{l: p.l, asOf: p.asOf, fingerprint: p.fingerprint, keys: p.keys, keyed: p.keyed, started: time.Now(), cancel: cancel, done: make(chan struct{})}
	w.refreshing = r
	go w.runPrep(ctx, r)
}

// prepareAll is the advice of every customer on l as of asOf by id, the
// fingerprint of the credit events read before it, and how many
// customers were left out for want of a rate: the advice of all customers
// fails when any lacks one, so it is prepared again without the
// customers in those currencies or with records in them (theirs answer
// 503 missing-rate on request, as before). Should that fail too, the
// preparation fails and every request computes its own.
func (w *CreditWorkflow) prepareAll(ctx context.Context, l *datasets.Ledger, asOf datasets.Date) (map[string]credit.Advice, string, int, error) {
	svc, _, err := w.service(ctx)
	if err != nil {
		return nil, "", 0, err
	}
	ev, err := svc.Store.CreditEvents(ctx, "")
	if err != nil {
		return nil, "", 0, fmt.Errorf("read the credit events: %w", err)
	}
	key, err := eventsKey(ev)
	if err != nil {
		return nil, "", 0, err
	}
	as, err := svc.AdviceOn(ctx, l, asOf)
	left := 0
	var mr *credit.MissingRatesError
	if errors.As(err, &mr) {
		missing := map[string]bool{}
		for _, c := range mr.Currencies() {
			missing[c] = true
		}
		// A customer in such a currency, or with an invoice or a payment
		// in one (converted to the customer's: credit refuses it too).
		skip := map[string]bool{}
		for i := range l.Invoices {
			if missing[l.Invoices[i].Currency] {
				skip[l.Invoices[i].CustomerID] = true
			}
		}
		for i := range l.Payments {
			if missing[l.Payments[i].Currency] {
				skip[l.Payments[i].CustomerID] = true
			}
		}
		var ids []string
		for i := range l.Customers {
			if c := &l.Customers[i]; missing[c.Currency] || skip[c.ID] {
				left++
				continue
			}
			ids = append(ids, l.Customers[i].ID)
		}
		if len(ids) == 0 {
			return map[string]credit.Advice{}, key, left, nil
		}
		as, err = svc.AdviceOn(ctx, l, asOf, ids...)
	}
	if err != nil {
		return nil, "", left, fmt.Errorf("the advice of every customer as of %s: %w", asOf, err)
	}
	out := make(map[string]credit.Advice, len(as))
	for _, a := range as {
		out[a.CustomerID] = a
	}
	return out, key, left, nil
}

// eventsKey fingerprints the workflow's credit events.
func eventsKey(ev []datasets.CreditEvent) (string, error) {
	h := sha256.New()
	if err := json.NewEncoder(h).Encode(ev); err != nil {
		return "", fmt.Errorf("fingerprint the credit events: %w", err)
	}
	return fmt.Sprintf("%d:%x", len(ev), h.Sum(nil)), nil
}

// adviceBasis says where an answer of prepared comes from.
type adviceBasis int

const (
	computeOwn       adviceBasis = iota // nothing prepared to give: the request computes its own
	preparedAdvice                      // the snapshot in service's prepared advice
	previousSnapshot                    // the snapshot before's, the customer's records unchanged (previous)
)

// prepared answers customerID's advice as of asOf on l from the prepared
// advice: computeOwn when it has none to give (another ledger or day, a
// preparation that failed, a customer left out, events since), and the
// request computes its own; while it is being prepared, the advice of
// the snapshot before when that holds for the customer (previous), else
// an error (503 with Retry-After).
func (w *CreditWorkflow) prepared(ctx context.Context, cs credit.Store, l *datasets.Ledger, asOf datasets.Date, customerID string) (credit.Advice, adviceBasis, error) {
	w.mu.RLock()
	p, last, served := w.prep, w.lastTook, w.served
	w.mu.RUnlock()
	if p == nil || p.l != l || p.asOf != asOf {
		return credit.Advice{}, computeOwn, nil
	}
	select {
	case <-p.done:
	default:
		a, ok, err := previous(ctx, cs, p, served, customerID)
		if err != nil || ok {
			return a, previousSnapshot, err
		}
		return credit.Advice{}, computeOwn, stillPreparing(p, last)
	}
	a, ok := p.advice[customerID]
	if p.err != nil || !ok {
		return credit.Advice{}, computeOwn, nil
	}
	key, err := readEventsKey(ctx, cs)
	if err != nil {
		return credit.Advice{}, computeOwn, err
	}
	if key != p.events {
		w.refresh(p)
		return credit.Advice{}, computeOwn, nil
	}
	return a, preparedAdvice, nil
}

// previous answers customerID's advice, while p is being prepared, from
// served, the last preparation that finished (the snapshot before p's):
// only when it was prepared for the same day, the customer's records are
// the same in both snapshots (their digests), and no credit event came
// since. Such an answer holds everything the customer's own records
// decide (exposure, flags, limits, review dates); what it may miss is a
// shift of the month-end default models learnt on other customers'
// records that p's snapshot changed, which the answer's warning names.
// Before, every request between an ingest and the end of the new
// preparation was a 503: about 80 s on a 237k-invoice ledger.
func previous(ctx context.Context, cs credit.Store, p, served *creditPrep, customerID string) (credit.Advice, bool, error) {
	if served == nil || served == p || served.asOf != p.asOf || served.err != nil || served.keys == nil {
		return credit.Advice{}, false, nil
	}
	select {
	case <-p.keyed:
	default:
		return credit.Advice{}, false, nil
	}
	a, ok := served.advice[customerID]
	d, in := p.keys[customerID]
	if !ok || !in || served.keys[customerID] != d {
		return credit.Advice{}, false, nil
	}
	key, err := readEventsKey(ctx, cs)
	if err != nil || key != served.events {
		return credit.Advice{}, false, err
	}
	return a, true, nil
}

// readEventsKey is eventsKey of the store's credit events.
func readEventsKey(ctx context.Context, cs credit.Store) (string, error) {
	ev, err := cs.CreditEvents(ctx, "")
	if err != nil {
		return "", err
	}
	return eventsKey(ev)
}

// prepRetryMin and prepRetryMax bound the Retry-After of a request made
// while the advice is being prepared.
const (
	prepRetryMin = 5 * time.Second
	prepRetryMax = 5 * time.Minute
)

// stillPreparing is the 503 of a request made while p is being prepared:
// what is prepared, since when, and, in Retry-After, when it should be
// ready going by the last preparation (30 s without one).
func stillPreparing(p *creditPrep, last time.Duration) error {
	since := time.Since(p.started)
	after := 30 * time.Second
	if last > 0 {
		after = last - since
	}
	after = min(max(after, prepRetryMin), prepRetryMax)
	return retrying{fmt.Errorf("%w: the credit-limit advice as of %s is still being prepared for the ledger in service (%s): "+
		"the default models of the month-ends its review dates look at are being learnt, started %s ago; ask again later (/readyz says when it is ready)",
		ErrUnavailable, p.asOf, plural(len(p.l.Invoices), "invoice", "invoices"), since.Round(time.Second)), after}
}

// overDeadline is the 503 of a credit-limit request whose own
// computation (another day than the snapshot's, or a customer whose
// proposals changed since it was prepared) ran out of the request's
// deadline: the risks it learnt are kept, so asking again goes on.
func overDeadline(ctx context.Context, customerID string, asOf datasets.Date) error {
	d := "its deadline"
	if t, ok := ctx.Deadline(); ok {
		d = "its deadline (" + time.Until(t).Round(time.Second).String() + " left)"
	}
	return retrying{fmt.Errorf("%w: the credit-limit advice of customer %q as of %s is still being prepared: learning the default models of the month-ends its review dates look at took the request past %s; "+
		"those learnt are kept, ask again: %w", ErrUnavailable, customerID, asOf, d, context.DeadlineExceeded), 30 * time.Second}
}

// PrepStatus reports the preparation of the snapshot's advice; nil when
// none was started (a workflow outside a server).
func (w *CreditWorkflow) PrepStatus() *CreditPrepStatus {
	w.mu.RLock()
	p := w.prep
	w.mu.RUnlock()
	if p == nil {
		return nil
	}
	st := &CreditPrepStatus{Status: "preparing", AsOf: p.asOf.String(), Seconds: time.Since(p.started).Seconds()}
	select {
	case <-p.done:
		st.Status, st.Seconds, st.Customers = "ready", p.took.Seconds(), len(p.advice)
		if p.err != nil {
			st.Status, st.Error = "failed", p.err.Error()
		}
	default:
	}
	return st
}

// prepStatus is a Credit part that prepares its advice (CreditWorkflow).
type prepStatus interface{ PrepStatus() *CreditPrepStatus }

var _ prepStatus = (*CreditWorkflow)(nil)
