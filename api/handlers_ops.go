package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model"
)

type health struct {
	Status string `json:"status"`
}

// readiness is /readyz's answer.
type readiness struct {
	Status     string `json:"status"`
	Model      string `json:"model"`
	Generation uint64 `json:"snapshot_generation"`
	AsOf       string `json:"as_of"`
	// LedgerLastDay is the day of the ledger's latest record (LastDay).
	LedgerLastDay string `json:"ledger_last_day"`
	// Warnings say what makes the answers doubtful though the server is
	// ready, e.g. a ledger that ends long before the served date.
	Warnings   []string `json:"warnings"`
	Invoices   int      `json:"invoices"`
	OpenScored int      `json:"open_invoices_scored"`
	Spool      struct {
		Batches int `json:"batches"`
		Rows    int `json:"rows"`
	} `json:"spool"`
	// Credit is the preparation of the credit-limit advice of the
	// snapshot in service (absent without the credit routes): until it
	// is ready, GET /v1/customers/{id}/credit-limit answers 503 with
	// Retry-After. The server is ready meanwhile: every other route
	// answers.
	Credit *CreditPrepStatus `json:"credit,omitempty"`
}

func (s *Server) healthz(c *gin.Context) { ok(c, http.StatusOK, health{Status: "ok"}) }

// StaleAfterDays is how long after the ledger's latest record the served
// date may be before the answers are suspect (datasets.StaleAfterDays).
const StaleAfterDays = datasets.StaleAfterDays

// StaleLedger returns l's last day and, when asOf is more than
// StaleAfterDays after it, a warning: every invoice then looks unpaid
// since, the forecast's first weeks collect what is in fact long settled
// or lost, and the worklist is empty or stale. Serving as of the day after
// the ledger's end (--as-of) answers for the ledger's own time.
func StaleLedger(l *datasets.Ledger, asOf datasets.Date) (datasets.Date, string) {
	last := l.LastDay()
	if last == 0 || asOf-last <= StaleAfterDays {
		return last, ""
	}
	return last, fmt.Sprintf("the ledger's latest record is of %s, %d days before the served date %s: nothing paid, invoiced or "+
		"recorded since is known, so scores, the forecast and the worklist describe a book frozen on %s; serve with --as-of %s "+
		"(DSOPILOT_AS_OF) to answer as of the ledger's end, or load the recent records", last, int(asOf-last), asOf, last, last.AddDays(1))
}

// readyzHandler answers /readyz (see readyz); it keeps the last
// snapshot's staleness, which takes a pass over the ledger.
func (s *Server) readyzHandler() gin.HandlerFunc {
	var mu sync.Mutex
	var seen *snapshot
	var last datasets.Date
	var warn string
	return func(c *gin.Context) {
		snap := s.snap.Load()
		mu.Lock()
		if seen != snap {
			seen = snap
			last, warn = StaleLedger(snap.ledger, snap.asOf)
		}
		l, w := last, warn
		mu.Unlock()
		s.readyz(c, snap, l, w)
	}
}

// readyz is 200 when the store answers, the ledger was loaded and a model
// scores the book; 503 with the reason otherwise. A ledger that ends long
// before the served date is ready, with a warning.
func (s *Server) readyz(c *gin.Context, snap *snapshot, lastDay datasets.Date, warning string) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	// Only what is wrong: before the ledger is read, the snapshot in
	// service is the empty one of the start, which has no model even when
	// one is loaded (a locked store used to read "no model is in
	// service" beside the lock); and a store that does not answer is why
	// the ledger is not read.
	var why []string
	storeErr := s.store.ping(ctx)
	if storeErr != nil {
		why = append(why, storeErr.Error())
	}
	loaded := s.loaded.Load()
	if !loaded && storeErr == nil {
		w := "the ledger has not been read from the store yet"
		s.loadMu.Lock()
		if s.loadErr != nil {
			// The store answers, but its ledger did not load: say why.
			w += " (the last attempt: " + s.loadErr.Error() + ")"
		}
		s.loadMu.Unlock()
		why = append(why, w)
	}
	switch {
	case loaded:
		if err := snap.scoring(); err != nil {
			why = append(why, err.Error())
		}
	case s.model.Load() == nil:
		why = append(why, errNoModelInService.Error())
	}
	if len(why) > 0 {
		for i := range why {
			why[i] = strings.TrimPrefix(why[i], ErrUnavailable.Error()+": ")
		}
		err := fmt.Errorf("%w: not ready: %s", ErrUnavailable, strings.Join(why, "; "))
		if storeErr != nil || !loaded {
			// The server tries the store again on its own: say when.
			err = retrying{err, s.retryEvery()}
		}
		fail(c, err)
		return
	}
	r := readiness{Status: "ready", Model: snap.modelID(), Generation: snap.gen, AsOf: snap.asOf.String(),
		Warnings: []string{}, Invoices: len(snap.ledger.Invoices), OpenScored: len(snap.scores)}
	if lastDay != 0 {
		r.LedgerLastDay = lastDay.String()
	}
	if warning != "" {
		r.Warnings = append(r.Warnings, warning)
	}
	// Ready though rates are missing: the scores and the customers (their
	// KPIs in their own currencies) still answer, and a 503 here would take
	// them all out of a
	// load balancer for a fault of the configuration that waiting does not
	// mend; the routes needing the rate say so (missing-rate).
	if w := snap.ratesWarning(); w != "" {
		r.Warnings = append(r.Warnings, w)
	}
	if len(snap.ledger.Invoices) == 0 {
		// Ready (records can be ingested), but a mistyped --store opens
		// a new, empty store: say so rather than answer nothing quietly.
		r.Warnings = append(r.Warnings, "the ledger holds no invoices: every answer is empty until a ledger is imported or ingested; "+
			"if one was, check --store (DSOPILOT_STORE)")
	}
	r.Spool.Batches, r.Spool.Rows = s.sink.spool.depth()
	if ps, isPrep := s.cfg.Credit.(prepStatus); isPrep {
		if r.Credit = ps.PrepStatus(); r.Credit != nil && r.Credit.Status == "preparing" {
			r.Warnings = append(r.Warnings, fmt.Sprintf("the credit-limit advice as of %s is being prepared (%.0f s so far): the credit-limit route answers 503 with Retry-After until it is ready",
				r.Credit.AsOf, r.Credit.Seconds))
		}
	}
	ok(c, http.StatusOK, r)
}

func (s *Server) metricsHandler() gin.HandlerFunc {
	h := promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})
	return func(c *gin.Context) { h.ServeHTTP(c.Writer, c.Request) }
}

// ModelList is GET /v1/models.
type ModelList struct {
	Promoted string       `json:"promoted"`
	Serving  string       `json:"serving"`
	Models   []model.Meta `json:"models"`
}

// ModelPromoted is the answer of a promotion.
type ModelPromoted struct {
	Promoted string `json:"promoted"`
	// Serving is the model scoring now: the promoted one once the server
	// has loaded it (within the poll interval).
	Serving string `json:"serving"`
}

func (s *Server) listModels(c *gin.Context) {
	list, promoted, err := s.cfg.Models.List()
	if err != nil {
		fail(c, err)
		return
	}
	if list == nil {
		list = []model.Meta{}
	}
	ok(c, http.StatusOK, ModelList{Promoted: promoted, Serving: s.servedID(), Models: list})
}

func (s *Server) promoteModel(c *gin.Context) {
	id := c.Param("id")
	if err := s.cfg.Models.Promote(id); err != nil {
		fail(c, err)
		return
	}
	s.pollModel()
	select {
	case s.kick <- struct{}{}:
	default:
	}
	ok(c, http.StatusOK, ModelPromoted{Promoted: id, Serving: s.servedID()})
}

// SpoolState says whether a spooled batch is stored yet.
type SpoolState struct {
	ID string `json:"id"`
	// State is waiting (in the spool) or stored.
	State string `json:"state"`
	Rows  int    `json:"rows"`
	// Ahead is the number of batches before it in the spool.
	Ahead int `json:"ahead"`
}

func (s *Server) getSpool(c *gin.Context) {
	id := c.Param("id")
	seq, err := strconv.ParseUint(strings.TrimPrefix(id, "spool-"), 10, 64)
	if err != nil || !strings.HasPrefix(id, "spool-") {
		fail(c, fmt.Errorf("%w: no spool entry %q", ErrNotFound, id))
		return
	}
	for i, e := range s.sink.spool.list() {
		if e.seq == seq {
			ok(c, http.StatusOK, SpoolState{ID: id, State: "waiting", Rows: e.Rows, Ahead: i})
			return
		}
	}
	stored, err := s.idem.wasStored(id)
	if err != nil {
		fail(c, err)
		return
	}
	if !stored {
		fail(c, fmt.Errorf("%w: no spool entry %q waiting or stored in the last 24 h", ErrNotFound, id))
		return
	}
	ok(c, http.StatusOK, SpoolState{ID: id, State: "stored"})
}

// reports serves the chart site under /reports/.
func (s *Server) reports(c *gin.Context) {
	if s.cfg.Reports == nil {
		fail(c, fmt.Errorf("%w: not available in this build: the reports are not mounted", ErrUnavailable))
		return
	}
	if !s.reportsReady.Load() {
		fail(c, fmt.Errorf("%w: the report site is still being built; retry shortly", ErrUnavailable))
		return
	}
	r := c.Request.Clone(c.Request.Context())
	r.URL.Path = c.Param("path")
	s.cfg.Reports.ServeHTTP(c.Writer, r)
}
