package api

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/dsopilot/dsopilot/datasets"
)

// maxScoreBatch is the most invoices one POST /v1/score takes.
const maxScoreBatch = 10_000

// defaultReasons is the number of reasons when ?reasons is not given.
const defaultReasons = 3

// ScoreRequest is POST /v1/score: invoices given in full, or the ids of
// stored open invoices.
type ScoreRequest struct {
	AsOf       DateText       `json:"as_of" doc:"date to score as of (default the server's as-of date)"`
	Invoices   []GivenInvoice `json:"invoices" doc:"invoices given in full; scored as if booked, with the customer's stored history"`
	InvoiceIDs []string       `json:"invoice_ids" doc:"ids of stored invoices open at as_of"`
}

// GivenInvoice is an invoice the caller describes (a draft, or one not
// yet exported to dsopilot).
type GivenInvoice struct {
	InvoiceID  string     `json:"invoice_id" required:"true"`
	CustomerID string     `json:"customer_id" required:"true"`
	IssueDate  DateText   `json:"issue_date" required:"true"`
	DueDate    DateText   `json:"due_date" required:"true"`
	Amount     AmountText `json:"amount" required:"true"`
	Currency   string     `json:"currency" doc:"ISO 4217; default the customer's"`
	Disputed   bool       `json:"disputed"`
	Country    string     `json:"country"`
	Segment    string     `json:"segment"`
	Channel    string     `json:"channel"`
}

// ScoreResponse answers POST /v1/score.
type ScoreResponse struct {
	Model    string        `json:"model"`
	AsOf     datasets.Date `json:"as_of"`
	Scores   []Score       `json:"scores"`
	Warnings []string      `json:"warnings,omitempty" doc:"what makes the answer doubtful: a date more than 7 days after the ledger's latest record (the book is frozen on that day), a period that begins long before its first invoice; absent when nothing does"`
}

// InvoiceScore answers GET /v1/invoices/{id}/score.
type InvoiceScore struct {
	Model    string   `json:"model"`
	Score    Score    `json:"score"`
	Warnings []string `json:"warnings,omitempty" doc:"what makes the answer doubtful: a date more than 7 days after the ledger's latest record (the book is frozen on that day), a period that begins long before its first invoice; absent when nothing does"`
}

// reasonsParam reads ?reasons (0..MaxReasons, default 3).
func (s *Server) reasonsParam(c *gin.Context) (int, error) {
	v := c.Query("reasons")
	if v == "" {
		return min(defaultReasons, s.cfg.MaxReasons), nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > s.cfg.MaxReasons {
		return 0, invalid("bad reasons", fieldAt("query:reasons", fmt.Sprintf("want an integer 0..%d", s.cfg.MaxReasons)))
	}
	return n, nil
}

// dateParam reads a date query parameter; def when absent.
func dateParam(c *gin.Context, name string, def datasets.Date) (datasets.Date, error) {
	v := c.Query(name)
	if v == "" {
		return def, nil
	}
	d, ok := datasets.ParseISO(v)
	if !ok {
		return 0, invalid("bad "+name, fieldAt("query:"+name, fmt.Sprintf("%q is not a date: want YYYY-MM-DD", v)))
	}
	return d, nil
}

func (s *Server) getInvoiceScore(c *gin.Context) {
	snap := s.snap.Load()
	reasons, err := s.reasonsParam(c)
	if err != nil {
		fail(c, err)
		return
	}
	asOf, err := dateParam(c, "as_of", snap.asOf)
	if err != nil {
		fail(c, err)
		return
	}
	var fe fieldErrors
	var warn []string
	if w := s.asOfDate(snap, &fe, queryDate("as_of"), asOf); w != "" {
		warn = []string{w}
	}
	if err := fe.err("bad as_of"); err != nil {
		fail(c, err)
		return
	}
	if err := snap.scoring(); err != nil {
		fail(c, err)
		return
	}
	id := c.Param("id")
	if asOf == snap.asOf {
		if i, found := snap.byInvoice[id]; found {
			s.metrics.scored.WithLabelValues("stored").Inc()
			ok(c, http.StatusOK, InvoiceScore{Model: snap.modelID(), Score: snap.scores[i].withReasons(reasons), Warnings: warn})
			return
		}
	}
	v, found := findInvoice(snap.ledger, id)
	if !found {
		fail(c, fmt.Errorf("%w: no invoice %q", ErrNotFound, id))
		return
	}
	scores, err := snap.scoreCustomers(asOf, reasons, []string{v.CustomerID}, nil, nil, func(x string) bool { return x == id })
	if err != nil {
		fail(c, err)
		return
	}
	if len(scores) == 0 {
		// As POST /v1/score answers it: the invoice exists, the date
		// is what it cannot be scored on.
		fail(c, invalid("invoice not open", fieldAt("query:as_of", notOpen(snap, id, asOf)+": only open invoices are scored")))
		return
	}
	s.metrics.scored.WithLabelValues("stored").Inc()
	ok(c, http.StatusOK, InvoiceScore{Model: snap.modelID(), Score: scores[0], Warnings: warn})
}

func (s *Server) postScore(c *gin.Context) {
	snap := s.snap.Load()
	reasons, err := s.reasonsParam(c)
	if err != nil {
		fail(c, err)
		return
	}
	var req ScoreRequest
	var fe fieldErrors
	if err := decodeFields(bodyOf(c).data, &req, &fe); err != nil {
		fail(c, err)
		return
	}
	asOf := fe.date("/as_of", req.AsOf, false)
	if asOf == 0 {
		asOf = snap.asOf
	}
	var warn []string
	if w := s.asOfDate(snap, &fe, dateAt{"/as_of", "as_of"}, asOf); w != "" {
		warn = []string{w}
	}
	// A bad as_of leaves the checks of the drafts that need it (issued by
	// as_of) without a date: they are skipped, the others made, so that
	// one 422 lists every error of the body.
	badAsOf := slices.ContainsFunc(fe, func(e FieldError) bool { return e.Pointer == "/as_of" })
	var given givenBatch
	switch n := len(req.Invoices) + len(req.InvoiceIDs); {
	case len(req.Invoices) > 0 && len(req.InvoiceIDs) > 0:
		fe.add("", "give invoices or invoice_ids, not both")
	case n == 0:
		fe.add("", "give invoices or invoice_ids")
	case n > maxScoreBatch:
		fe.add("", fmt.Sprintf("%d invoices: at most %d per request", n, maxScoreBatch))
	case len(req.Invoices) > 0:
		// The drafts' own checks need no model: made before the model is
		// asked for, they are answered with the request's other errors.
		given = readGiven(snap, &fe, asOf, !badAsOf, req.Invoices)
	}
	if err := fe.err("invalid score request"); err != nil {
		fail(c, err)
		return
	}
	if err := snap.scoring(); err != nil {
		fail(c, err)
		return
	}
	var scores []Score
	if len(req.InvoiceIDs) > 0 {
		scores, err = s.scoreStored(snap, asOf, reasons, req.InvoiceIDs)
		s.metrics.scored.WithLabelValues("stored").Add(float64(len(scores)))
	} else {
		scores, err = scoreGiven(snap, asOf, reasons, given)
		s.metrics.scored.WithLabelValues("given").Add(float64(len(scores)))
	}
	if err != nil {
		fail(c, err)
		return
	}
	// ScoreResponse, written by hand (encode.go).
	c.Data(http.StatusOK, mediaJSON, appendScores(make([]byte, 0, 1100*len(scores)+64), snap.modelID(), asOf.String(), scores, warn))
}

// scoreStored scores stored invoices by id, in the order given.
func (s *Server) scoreStored(snap *snapshot, asOf datasets.Date, reasons int, ids []string) ([]Score, error) {
	out := make([]Score, len(ids))
	var fe fieldErrors
	if asOf == snap.asOf {
		for i, id := range ids {
			k, found := snap.byInvoice[id]
			if !found {
				fe.add(fmt.Sprintf("/invoice_ids/%d", i), notOpen(snap, id, asOf))
				continue
			}
			out[i] = snap.scores[k].withReasons(reasons)
		}
		return out, fe.err("invoices that cannot be scored")
	}
	var customers []string
	seen := map[string]bool{}
	want := make(map[string]bool, len(ids))
	for i, id := range ids {
		v, found := findInvoice(snap.ledger, id)
		if !found {
			fe.add(fmt.Sprintf("/invoice_ids/%d", i), notOpen(snap, id, asOf))
			continue
		}
		want[id] = true
		if !seen[v.CustomerID] {
			seen[v.CustomerID] = true
			customers = append(customers, v.CustomerID)
		}
	}
	if err := fe.err("invoices that cannot be scored"); err != nil {
		return nil, err
	}
	scores, err := snap.scoreCustomers(asOf, reasons, customers, nil, nil, func(id string) bool { return want[id] })
	if err != nil {
		return nil, err
	}
	return inOrder(snap, ids, scores, asOf, "/invoice_ids/%d")
}

// inOrder puts scores in the order of ids, reporting ids without one.
func inOrder(snap *snapshot, ids []string, scores []Score, asOf datasets.Date, pointer string) ([]Score, error) {
	by := make(map[string]int, len(scores))
	for i := range scores {
		by[scores[i].InvoiceID] = i
	}
	out := make([]Score, len(ids))
	var fe fieldErrors
	for i, id := range ids {
		k, found := by[id]
		if !found {
			fe.add(fmt.Sprintf(pointer, i), notOpen(snap, id, asOf))
			continue
		}
		out[i] = scores[k]
	}
	return out, fe.err("invoices that cannot be scored")
}

// notOpen says why id has no score as of asOf.
func notOpen(snap *snapshot, id string, asOf datasets.Date) string {
	v, found := findInvoice(snap.ledger, id)
	switch {
	case !found:
		return fmt.Sprintf("unknown invoice %q", id)
	case v.IssueDate > asOf:
		return fmt.Sprintf("invoice %q is issued on %s, after %s", id, v.IssueDate, asOf)
	case v.SettledDate != 0 && v.SettledDate <= asOf:
		return fmt.Sprintf("invoice %q was settled on %s, by the end of %s", id, v.SettledDate, asOf)
	default:
		return fmt.Sprintf("invoice %q owes nothing at the end of %s (paid or credited in full)", id, asOf)
	}
}

// givenBatch is the invoices of a POST /v1/score, read and checked.
type givenBatch struct {
	invs      []datasets.Invoice
	disputes  []datasets.Dispute
	ids       []string
	seenID    map[string]int
	customers []string
}

// readGiven reads and checks the invoices described in the request,
// reporting each bad field in fe; with checkAsOf false (as_of itself was
// bad) it skips the check that needs it.
func readGiven(snap *snapshot, fe *fieldErrors, asOf datasets.Date, checkAsOf bool, given []GivenInvoice) givenBatch {
	b := givenBatch{invs: make([]datasets.Invoice, 0, len(given)), ids: make([]string, len(given)), seenID: make(map[string]int, len(given))}
	seenCust := map[string]bool{}
	schema := datasets.InvoicesSchema()
	for i := range given {
		g := &given[i]
		p := fmt.Sprintf("/invoices/%d", i)
		v := datasets.Invoice{ID: g.InvoiceID, CustomerID: g.CustomerID, Currency: upper(g.Currency), Disputed: g.Disputed,
			Country: upper(g.Country), Segment: g.Segment, Channel: g.Channel}
		v.IssueDate = fe.date(p+"/issue_date", g.IssueDate, true)
		v.DueDate = fe.date(p+"/due_date", g.DueDate, true)
		before := len(*fe)
		v.Amount = fe.amount(p+"/amount", g.Amount, true)
		amountRead := len(*fe) == before
		schema.Complete(&v)
		schema.Check(&v, fe.problems(p))
		if checkAsOf && v.IssueDate > asOf {
			fe.add(p+"/issue_date", fmt.Sprintf("issued %s, after as_of %s: not known at as_of", v.IssueDate, asOf))
		}
		// The model scores in the currency it learned in: a draft in a
		// currency it has no rate to cannot be scored, and the request
		// named it (the stored records' currencies were converted when the
		// snapshot was built).
		// Only a currency code has a rate to look up: a value that is none
		// ("EURO") was refused by the schema above, as the importer does.
		_, notCode := datasets.ParseCurrency(v.Currency)
		if fx := snap.modelFX(); fx != nil && v.Currency != "" && notCode == nil && v.Currency != fx.To {
			if _, ok := fx.Rates[v.Currency]; !ok {
				fe.add(p+"/currency", fmt.Sprintf("%q: the model in service learned in %s and has no rate from %s (its rates: %s)",
					v.Currency, fx.To, v.Currency, strings.Join(slices.Sorted(maps.Keys(fx.Rates)), ", ")))
			}
		}
		if v.Amount == 0 && amountRead && strings.TrimSpace(string(g.Amount)) != "" {
			fe.add(p+"/amount", "an invoice of 0.00 owes nothing: there is nothing to score")
		}
		if j, dup := b.seenID[v.ID]; dup && v.ID != "" {
			fe.add(p+"/invoice_id", fmt.Sprintf("%q repeats /invoices/%d", v.ID, j))
		}
		b.seenID[v.ID] = i
		b.ids[i] = v.ID
		if !seenCust[v.CustomerID] {
			seenCust[v.CustomerID] = true
			b.customers = append(b.customers, v.CustomerID)
		}
		if v.Disputed && len(snap.ledger.Disputes) > 0 {
			// The ledger tracks disputes as records, which then decide
			// whether an invoice is disputed: give the draft one.
			b.disputes = append(b.disputes, datasets.Dispute{ID: "\x00draft:" + v.ID, CustomerID: v.CustomerID, InvoiceID: v.ID, Opened: v.IssueDate})
		}
		b.invs = append(b.invs, v)
	}
	return b
}

// scoreGiven scores invoices described in the request (read by
// readGiven, without errors) as if booked.
func scoreGiven(snap *snapshot, asOf datasets.Date, reasons int, b givenBatch) ([]Score, error) {
	scores, err := snap.scoreCustomers(asOf, reasons, b.customers, b.invs, b.disputes, func(id string) bool { _, ok := b.seenID[id]; return ok })
	if err != nil {
		return nil, err
	}
	return inOrder(snap, b.ids, scores, asOf, "/invoices/%d")
}
