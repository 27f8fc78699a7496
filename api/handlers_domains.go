package api

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/dsopilot/dsopilot/datasets"
)

// ProposalList answers GET /v1/credit-proposals.
type ProposalList struct {
	Proposals []Proposal `json:"proposals"`
}

// DecisionInput is the body of an approval or rejection.
type DecisionInput struct {
	Note string `json:"note" doc:"why; kept with the decision"`
}

// DecidedProposal answers an approval or rejection; an approval records
// the new limit as a credit decision in the ledger.
type DecidedProposal struct {
	Proposal       Proposal  `json:"proposal"`
	CreditDecision *Recorded `json:"credit_decision"`
}

// unavailable is the 503 of a part this build does not have.
func unavailable(what string) error {
	return fmt.Errorf("%w: not available in this build: %s", ErrUnavailable, what)
}

// notRead is the 503 of a part that was handed no ledger yet: the part is
// in this build, and the reason is the store's (Server.unread says which;
// the routes ask it first).
func notRead(what string) error {
	return fmt.Errorf("%w: %s: no ledger has been read from the store yet", ErrUnavailable, what)
}

// knownCustomer reports an unknown customer as 404.
func knownCustomer(snap *snapshot, id string) error {
	if snap.cust[id] == nil {
		return fmt.Errorf("%w: no customer %q", ErrNotFound, id)
	}
	return nil
}

func actorOf(c *gin.Context) Actor {
	k := keyOf(c)
	return Actor{Name: k.Name, Role: k.Role}
}

// customerAt reads the customer of the path (404 when unknown) and the
// date parameter name (default the book's date), refusing a date before
// the ledger and, unless ahead allows it, one that has not begun; warn
// says what makes an answer as of the date doubtful. ok is false after a
// problem was answered.
func (s *Server) customerAt(c *gin.Context, name string, ahead bool) (id string, date datasets.Date, warn []string, ok bool) {
	snap := s.snap.Load()
	date, err := dateParam(c, name, snap.asOf)
	if err == nil {
		var fe fieldErrors
		at := queryDate(name)
		snap.span.known(&fe, at, date)
		if !ahead {
			begun(&fe, at, date, s.latestDay())
		}
		err = fe.err("bad " + name)
		if w := snap.span.stale(at, date); w != "" {
			warn = []string{w}
		}
	}
	if err == nil {
		id = c.Param("id")
		err = knownCustomer(snap, id)
	}
	if err != nil {
		fail(c, err)
		return "", 0, nil, false
	}
	return id, date, warn, true
}

func (s *Server) getCreditLimit(c *gin.Context) {
	id, asOf, warn, found := s.customerAt(c, "as_of", false)
	if !found {
		return
	}
	if s.cfg.Credit == nil {
		fail(c, unavailable("credit-limit suggestions"))
		return
	}
	adv, err := s.cfg.Credit.CreditLimit(c.Request.Context(), id, asOf)
	if err != nil {
		fail(c, err)
		return
	}
	// The advice converts a customer's invoices in another currency to
	// its own (credit refuses without their rate): nothing to warn of.
	out := *adv
	out.Warnings = append(warn, adv.Warnings...)
	ok(c, http.StatusOK, out)
}

func (s *Server) postProposal(c *gin.Context) {
	var raw struct {
		CustomerID string     `json:"customer_id"`
		NewLimit   AmountText `json:"new_limit"`
		Reason     string     `json:"reason"`
	}
	var fe fieldErrors
	if err := decodeFields(bodyOf(c).data, &raw, &fe); err != nil {
		fail(c, err)
		return
	}
	in := ProposalInput{CustomerID: strings.TrimSpace(raw.CustomerID), Reason: strings.TrimSpace(raw.Reason)}
	in.NewLimit = Amount(fe.amount("/new_limit", raw.NewLimit, true))
	if in.NewLimit < 0 {
		fe.add("/new_limit", "a credit limit is not negative")
	}
	if in.CustomerID == "" {
		fe.add("/customer_id", "missing value")
	}
	if in.Reason == "" {
		fe.add("/reason", "say why: the approver reads it")
	}
	if err := fe.err("invalid proposal"); err != nil {
		fail(c, err)
		return
	}
	if err := knownCustomer(s.snap.Load(), in.CustomerID); err != nil {
		fail(c, err)
		return
	}
	if s.cfg.Credit == nil {
		fail(c, unavailable("the credit-limit workflow"))
		return
	}
	p, err := s.cfg.Credit.Propose(c.Request.Context(), in, actorOf(c))
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", "/v1/credit-proposals?status="+p.Status)
	ok(c, http.StatusCreated, p)
}

func (s *Server) listProposals(c *gin.Context) {
	st := c.Query("status")
	if st != "" && !slices.Contains(proposalStates(), st) {
		fail(c, invalid("bad status", fieldAt("query:status", "want pending, approved, rejected or expired")))
		return
	}
	if s.cfg.Credit == nil {
		fail(c, unavailable("the credit-limit workflow"))
		return
	}
	list, err := s.cfg.Credit.Proposals(c.Request.Context(), st)
	if err != nil {
		fail(c, err)
		return
	}
	if list == nil {
		list = []Proposal{}
	}
	ok(c, http.StatusOK, ProposalList{Proposals: list})
}

// decideProposal approves or rejects; an approval records the new limit.
func (s *Server) decideProposal(approve bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		var in DecisionInput
		var fe fieldErrors
		if err := decodeFields(bodyOf(c).data, &in, &fe); err != nil {
			fail(c, err)
			return
		}
		if err := fe.err("invalid decision"); err != nil {
			fail(c, err)
			return
		}
		if s.cfg.Credit == nil {
			fail(c, unavailable("the credit-limit workflow"))
			return
		}
		by := actorOf(c)
		p, err := s.cfg.Credit.Decide(c.Request.Context(), c.Param("id"), Decision{Approve: approve, Note: strings.TrimSpace(in.Note)}, by)
		if err != nil {
			fail(c, err)
			return
		}
		out := DecidedProposal{Proposal: *p}
		status := http.StatusOK
		if approve && p.Status == ProposalApproved && p.DecisionID != "" {
			// The workflow wrote the decision and the new limit to the store
			// itself: reread the store so the snapshot shows them.
			out.CreditDecision = &Recorded{Entity: datasets.EntityCreditDecisions, ID: p.DecisionID, State: "stored"}
			s.reloadWanted.Store(true)
			s.kickRebuild()
		} else if approve && p.Status == ProposalApproved {
			date := p.Effective
			if date == 0 {
				date = datasets.DateOf(s.now().UTC())
			}
			d := datasets.CreditDecision{ID: "proposal-" + p.ID, CustomerID: p.CustomerID, Date: date,
				NewLimit: datasets.Money(p.ProposedLimit), Reason: p.Reason, DecidedBy: by.Name}
			if p.CurrentLimit != nil {
				d.OldLimit = datasets.Money(*p.CurrentLimit)
			} else {
				d.OldLimitBlank = true // none was recorded: not a limit of 0
			}
			spooled, err := s.sink.write(c.Request.Context(), &datasets.Ledger{CreditDecisions: []datasets.CreditDecision{d}})
			if err != nil {
				fail(c, fmt.Errorf("proposal %s approved but the new limit was not recorded: %w", p.ID, err))
				return
			}
			rec := &Recorded{Entity: datasets.EntityCreditDecisions, ID: d.ID, State: "stored"}
			if spooled != nil {
				rec.State, rec.SpoolID, status = "spooled", spooled.ID, http.StatusAccepted
			}
			out.CreditDecision = rec
		}
		ok(c, status, out)
	}
}

func (s *Server) getForecast(c *gin.Context) {
	snap := s.snap.Load()
	var fe fieldErrors
	asOf, err := dateParam(c, "as_of", snap.asOf)
	if err != nil {
		fail(c, err)
		return
	}
	warn := s.asOfDate(snap, &fe, queryDate("as_of"), asOf)
	q := ForecastQuery{AsOf: asOf, Weeks: 13, By: c.Query("by"), Currency: strings.ToUpper(c.Query("currency"))}
	if v := c.Query("weeks"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 13 {
			fe.add("query:weeks", "want an integer 1..13")
		}
		q.Weeks = n
	}
	if !slices.Contains(forecastGroupings, q.By) {
		fe.add("query:by", fmt.Sprintf("%q: want segment, country, currency or customer", q.By))
	}
	if q.Currency != "" {
		// The importer's check of a currency code.
		if code, err := datasets.ParseCurrency(q.Currency); err != nil {
			fe.add("query:currency", fmt.Sprintf("%q: want a 3-letter ISO 4217 code", c.Query("currency")))
		} else {
			q.Currency = code
		}
	}
	if err := fe.err("bad forecast query"); err != nil {
		fail(c, err)
		return
	}
	if s.cfg.Forecast == nil {
		fail(c, unavailable("the cash forecast"))
		return
	}
	f, err := s.cfg.Forecast.Forecast(c.Request.Context(), q)
	if err != nil {
		fail(c, err)
		return
	}
	out := *f // the forecaster's cached answer is shared
	if warn != "" {
		out.Warnings = []string{warn}
	}
	ok(c, http.StatusOK, out)
}
