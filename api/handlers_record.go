package api

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/importer"
)

// Recorded answers a recording POST: 201 when the store has the record,
// 202 when it waits in the spool (the store was unreachable).
type Recorded struct {
	Entity  datasets.Entity `json:"entity"`
	ID      string          `json:"id"`
	State   string          `json:"state" doc:"stored, or spooled: it reaches the store when the store is back"`
	SpoolID string          `json:"spool_id,omitempty"`
}

// ActionInput is POST /v1/actions.
type ActionInput struct {
	ActionID   string   `json:"action_id" doc:"natural id; generated when empty. Sending an id again replaces the record"`
	CustomerID string   `json:"customer_id" required:"true"`
	InvoiceID  string   `json:"invoice_id" doc:"the invoice the action was about; empty for the whole account"`
	ActionDate DateText `json:"action_date" required:"true"`
	Type       string   `json:"type" required:"true" doc:"one of the scenario file's action types (the built-in: call, collection_agency, courtesy_reminder, credit_hold, final_notice, reminder), or wait for a holdout's decision to contact no one; any other is a 422 listing them"`
	Channel    string   `json:"channel" doc:"one of the scenario file's channels (the built-in: email, letter, phone), or empty; any other is a 422 listing them"`
	Outcome    string   `json:"outcome" doc:"no_response, promise, paid, dispute, contact_failed"`
	Policy     string   `json:"policy" doc:"manual (default), scenario, recommender or holdout"`
	Propensity *float64 `json:"propensity" doc:"the probability the policy chose the action with, in (0, 1]; required for recommender and holdout"`
}

// PromiseInput is POST /v1/promises.
type PromiseInput struct {
	PromiseID    string     `json:"promise_id" doc:"natural id; generated when empty. Send it again with a new status to update the promise"`
	CustomerID   string     `json:"customer_id" required:"true"`
	InvoiceID    string     `json:"invoice_id"`
	MadeDate     DateText   `json:"made_date" required:"true"`
	PromisedDate DateText   `json:"promised_date" required:"true"`
	Amount       AmountText `json:"amount" required:"true"`
	Status       string     `json:"status" doc:"open (default), kept or broken"`
}

// DisputeInput is POST /v1/disputes.
type DisputeInput struct {
	DisputeID    string     `json:"dispute_id" doc:"natural id; generated when empty"`
	CustomerID   string     `json:"customer_id" required:"true"`
	InvoiceID    string     `json:"invoice_id" required:"true"`
	OpenedDate   DateText   `json:"opened_date" required:"true"`
	ResolvedDate DateText   `json:"resolved_date" doc:"empty while open"`
	Reason       string     `json:"reason" doc:"price, short_delivery, quality, duplicate, other"`
	Amount       AmountText `json:"amount"`
	Outcome      string     `json:"outcome" doc:"credited, rejected, withdrawn; empty while open"`
}

// ResolveInput is POST /v1/disputes/{id}/resolve.
type ResolveInput struct {
	ResolvedDate DateText `json:"resolved_date" required:"true"`
	Outcome      string   `json:"outcome" required:"true" doc:"credited, rejected or withdrawn"`
}

// actionPolicies are the values of an action's policy.
var actionPolicies = []string{"", "manual", "scenario", "recommender", "holdout"}

// disputeOutcomes are the outcomes of a resolved dispute.
var disputeOutcomes = []string{"credited", "rejected", "withdrawn"}

// actionOutcomes are what an action's outcome can be: what the features
// and the recommender's learning read ("" while unknown).
var actionOutcomes = []string{"", "no_response", "promise", "paid", "dispute", "contact_failed"}

func upper(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }
func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// newID makes an id for a record sent without one.
func newID(prefix string) string {
	var b [10]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand does not fail on Linux
	return prefix + hex.EncodeToString(b[:])
}

// latestDay is the latest day a record can be of: today in the first
// time zone to reach it (datasets.LatestRecordDay), or the served date
// when later.
func (s *Server) latestDay() datasets.Date {
	return max(s.asOf(), datasets.LatestRecordDay(s.now()))
}

// pendingLedgers returns the acknowledged batches not yet in a snapshot.
func (s *Server) pendingLedgers() []*datasets.Ledger {
	_, pending := s.view()
	return pending
}

// view returns the snapshot in service and the acknowledged batches it
// does not hold yet, read together: a rebuild swaps the snapshot in and
// drops the batches it merged under the same lock, so every acknowledged
// write is in one of the two. (Read apart, a write made during a rebuild
// was in neither for the rebuild's length: a dispute just opened could
// not be resolved, one just resolved could be resolved again.)
func (s *Server) view() (*snapshot, []*datasets.Ledger) {
	s.pendingMu.Lock()
	defer s.pendingMu.Unlock()
	return s.snap.Load(), slices.Clone(s.pending)
}

// checkRefs reports a customer unknown to a ledger that has a customer
// master, and an invoice that is not the customer's.
func (s *Server) checkRefs(fe *fieldErrors, customer, invoice string) {
	snap, pending := s.view()
	if customer != "" && len(snap.ledger.Customers) > 0 {
		_, found := findCustomer(snap.ledger, customer)
		for _, p := range pending {
			found = found || slices.ContainsFunc(p.Customers, func(c datasets.Customer) bool { return c.ID == customer })
		}
		if !found {
			fe.add("/customer_id", fmt.Sprintf("unknown customer %q", customer))
			return
		}
	}
	if invoice == "" {
		return
	}
	v, found := s.invoiceOf(invoice)
	owner := v.CustomerID
	switch {
	case !found:
		fe.add("/invoice_id", fmt.Sprintf("unknown invoice %q", invoice))
	case owner != customer:
		fe.add("/invoice_id", fmt.Sprintf("invoice %q belongs to customer %q, not %q", invoice, owner, customer))
	}
}

// invoiceOf returns the invoice id as served: the snapshot's, or a
// pending write's when one replaced or added it.
func (s *Server) invoiceOf(id string) (datasets.Invoice, bool) {
	snap, pending := s.view()
	var inv datasets.Invoice
	found := false
	if v, ok := findInvoice(snap.ledger, id); ok {
		inv, found = *v, true
	}
	for _, p := range pending {
		for i := range p.Invoices {
			if p.Invoices[i].ID == id {
				inv, found = p.Invoices[i], true
			}
		}
	}
	return inv, found
}

// record writes b through the sink and answers 201 or 202.
func (s *Server) record(c *gin.Context, e datasets.Entity, id string, b *datasets.Ledger) {
	spooled, err := s.sink.write(c.Request.Context(), b)
	if err != nil {
		fail(c, err)
		return
	}
	r := Recorded{Entity: e, ID: id, State: "stored"}
	status := http.StatusCreated
	if spooled != nil {
		r.State, r.SpoolID, status = "spooled", spooled.ID, http.StatusAccepted
		s.metrics.ingest.WithLabelValues(string(e), "spooled").Inc()
	} else {
		s.metrics.ingest.WithLabelValues(string(e), "loaded").Inc()
	}
	ok(c, status, r)
}

func (s *Server) postAction(c *gin.Context) {
	var in ActionInput
	var fe fieldErrors
	if err := decodeFields(bodyOf(c).data, &in, &fe); err != nil {
		fail(c, err)
		return
	}
	a := datasets.Action{ID: strings.TrimSpace(in.ActionID), CustomerID: strings.TrimSpace(in.CustomerID), InvoiceID: strings.TrimSpace(in.InvoiceID),
		Type: lower(in.Type), Channel: lower(in.Channel), Outcome: lower(in.Outcome), Policy: lower(in.Policy)}
	if a.ID == "" {
		a.ID = newID("act-")
	}
	a.Date = fe.date("/action_date", in.ActionDate, true)
	fe.happened("/action_date", a.Date, s.latestDay())
	s.actions.check(&fe, a.Type, a.Channel)
	if !slices.Contains(actionOutcomes, a.Outcome) {
		fe.add("/outcome", fmt.Sprintf("%q: want no_response, promise, paid, dispute or contact_failed (or none while unknown)", in.Outcome))
	}
	if !slices.Contains(actionPolicies, a.Policy) {
		fe.add("/policy", fmt.Sprintf("%q: want manual, scenario, recommender or holdout", in.Policy))
	}
	if in.Propensity != nil {
		a.Propensity = *in.Propensity
		if !(a.Propensity > 0 && a.Propensity <= 1) {
			fe.add("/propensity", "a probability in (0, 1]")
		}
	} else if a.Policy == "recommender" || a.Policy == "holdout" {
		fe.add("/propensity", "required when the action came from the recommender or its holdout (the next action's propensity)")
	}
	schema := datasets.ActionsSchema()
	schema.Complete(&a)
	schema.Check(&a, fe.problems(""))
	s.checkRefs(&fe, a.CustomerID, a.InvoiceID)
	if err := fe.err("invalid action"); err != nil {
		fail(c, err)
		return
	}
	s.record(c, datasets.EntityActions, a.ID, &datasets.Ledger{Actions: []datasets.Action{a}})
}

func (s *Server) postPromise(c *gin.Context) {
	var in PromiseInput
	var fe fieldErrors
	if err := decodeFields(bodyOf(c).data, &in, &fe); err != nil {
		fail(c, err)
		return
	}
	p := datasets.Promise{ID: strings.TrimSpace(in.PromiseID), CustomerID: strings.TrimSpace(in.CustomerID), InvoiceID: strings.TrimSpace(in.InvoiceID),
		Status: lower(in.Status)}
	if p.ID == "" {
		p.ID = newID("prm-")
	}
	p.Made = fe.date("/made_date", in.MadeDate, true)
	fe.happened("/made_date", p.Made, s.latestDay())
	p.PromisedDate = fe.date("/promised_date", in.PromisedDate, true)
	p.Amount = fe.amount("/amount", in.Amount, true)
	if p.Amount < 0 {
		fe.add("/amount", "a promise is of a positive amount")
	}
	schema := datasets.PromisesSchema()
	schema.Complete(&p)
	schema.Check(&p, fe.problems(""))
	s.checkRefs(&fe, p.CustomerID, p.InvoiceID)
	// A promise of more than its invoice: the import's check
	// (importer.CheckPromiseAmount), one rule for both.
	if inv, ok := s.invoiceOf(p.InvoiceID); ok {
		if err := importer.CheckPromiseAmount(&p, &inv); err != nil {
			fe.add("/amount", err.Error())
		}
	}
	if err := fe.err("invalid promise"); err != nil {
		fail(c, err)
		return
	}
	s.record(c, datasets.EntityPromises, p.ID, &datasets.Ledger{Promises: []datasets.Promise{p}})
}

func (s *Server) postDispute(c *gin.Context) {
	var in DisputeInput
	var fe fieldErrors
	if err := decodeFields(bodyOf(c).data, &in, &fe); err != nil {
		fail(c, err)
		return
	}
	d := datasets.Dispute{ID: strings.TrimSpace(in.DisputeID), CustomerID: strings.TrimSpace(in.CustomerID), InvoiceID: strings.TrimSpace(in.InvoiceID),
		Reason: strings.TrimSpace(in.Reason), Outcome: lower(in.Outcome)}
	if d.ID == "" {
		d.ID = newID("dsp-")
	}
	d.Opened = fe.date("/opened_date", in.OpenedDate, true)
	fe.happened("/opened_date", d.Opened, s.latestDay())
	d.Resolved = fe.date("/resolved_date", in.ResolvedDate, false)
	fe.happened("/resolved_date", d.Resolved, s.latestDay())
	d.Amount = fe.amount("/amount", in.Amount, false)
	if d.Outcome != "" && !slices.Contains(disputeOutcomes, d.Outcome) {
		fe.add("/outcome", fmt.Sprintf("%q: want credited, rejected or withdrawn", in.Outcome))
	}
	schema := datasets.DisputesSchema()
	schema.Complete(&d)
	schema.Check(&d, fe.problems(""))
	if d.InvoiceID != "" {
		s.checkRefs(&fe, d.CustomerID, d.InvoiceID)
	}
	if err := fe.err("invalid dispute"); err != nil {
		fail(c, err)
		return
	}
	s.record(c, datasets.EntityDisputes, d.ID, &datasets.Ledger{Disputes: []datasets.Dispute{d}})
}

func (s *Server) resolveDispute(c *gin.Context) {
	var in ResolveInput
	var fe fieldErrors
	if err := decodeFields(bodyOf(c).data, &in, &fe); err != nil {
		fail(c, err)
		return
	}
	id := c.Param("id")
	// One resolution at a time: two requests checking the dispute before
	// either is recorded would both be accepted.
	s.resolveMu.Lock()
	defer s.resolveMu.Unlock()
	snap, pending := s.view()
	var cur *datasets.Dispute
	if d, found := findDispute(snap.ledger, id); found {
		cur = d
	}
	for _, p := range pending {
		for i := range p.Disputes {
			if p.Disputes[i].ID == id {
				cur = &p.Disputes[i]
			}
		}
	}
	if cur == nil {
		fail(c, fmt.Errorf("%w: no dispute %q", ErrNotFound, id))
		return
	}
	if cur.Resolved != 0 {
		fail(c, fmt.Errorf("%w: dispute %q was resolved on %s (%s)", ErrConflict, id, cur.Resolved, cur.Outcome))
		return
	}
	d := *cur
	d.Resolved = fe.date("/resolved_date", in.ResolvedDate, true)
	fe.happened("/resolved_date", d.Resolved, s.latestDay())
	d.Outcome = lower(in.Outcome)
	if !slices.Contains(disputeOutcomes, d.Outcome) {
		fe.add("/outcome", fmt.Sprintf("%q: want credited, rejected or withdrawn", in.Outcome))
	}
	datasets.DisputesSchema().Check(&d, fe.problems(""))
	if err := fe.err("invalid resolution"); err != nil {
		fail(c, err)
		return
	}
	s.record(c, datasets.EntityDisputes, d.ID, &datasets.Ledger{Disputes: []datasets.Dispute{d}})
}
