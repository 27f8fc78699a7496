package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

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
	Invoices   int    `json:"invoices"`
	OpenScored int    `json:"open_invoices_scored"`
	Spool      struct {
		Batches int `json:"batches"`
		Rows    int `json:"rows"`
	} `json:"spool"`
}

func (s *Server) healthz(c *gin.Context) { ok(c, http.StatusOK, health{Status: "ok"}) }

// readyz is 200 when the store answers, the ledger was loaded and a model
// scores the book; 503 with the reason otherwise.
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	var why []string
	if err := s.store.ping(ctx); err != nil {
		why = append(why, err.Error())
	}
	if !s.loaded.Load() {
		why = append(why, "the ledger has not been read from the store yet")
	}
	snap := s.snap.Load()
	if err := snap.scoring(); err != nil {
		why = append(why, err.Error())
	}
	if len(why) > 0 {
		fail(c, fmt.Errorf("%w: not ready: %s", ErrUnavailable, strings.Join(why, "; ")))
		return
	}
	r := readiness{Status: "ready", Model: snap.modelID(), Generation: snap.gen, AsOf: snap.asOf.String(),
		Invoices: len(snap.ledger.Invoices), OpenScored: len(snap.scores)}
	r.Spool.Batches, r.Spool.Rows = s.sink.spool.depth()
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
