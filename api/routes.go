package api

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/recommender"
)

// route is one endpoint: how it is served and how it is documented. The
// gin engine and the OpenAPI document are both built from routes(), so
// they cannot disagree (a test checks it anyway).
type route struct {
	method, path string // gin syntax: /v1/invoices/:id/score
	role         Role   // 0: open to all
	handle       gin.HandlerFunc
	// body, for POSTs: the media types read, and whether the body goes to
	// a temporary file (ingest) rather than memory.
	media  []string
	toFile bool
	// idempotent: the route creates or changes something and honours
	// Idempotency-Key.
	idempotent bool
	// ledger: the route answers from (or checks against) the ledger, so it
	// is a 503 until the ledger was read from the store (Server.unread).
	ledger bool
	doc    routeDoc
}

// routeDoc is the OpenAPI side of a route.
type routeDoc struct {
	id, summary, description string
	tag                      string
	params                   []param
	// request is a zero value of the JSON body's type (nil: none or not
	// JSON); responses maps a status to its description and a zero value of
	// its JSON type (nil: no JSON body).
	request   any
	responses []response
	// errors are the route's own problem statuses beyond those every
	// route of its kind has (401/403/429 for keyed routes, 400/413/415/422
	// for POSTs, 409/422 for idempotent ones, 500).
	errors []int
}

type param struct {
	name, in, typ, format, description string
	required                           bool
	enum                               []string
}

type response struct {
	status      int
	description string
	body        any
	media       string // default application/json
}

func query(name, typ, description string, enum ...string) param {
	return param{name: name, in: "query", typ: typ, description: description, enum: enum}
}

func dateQuery(name, description string) param {
	return param{name: name, in: "query", typ: "string", format: "date", description: description}
}

func pathID(description string) param {
	return param{name: "id", in: "path", typ: "string", description: description, required: true}
}

const (
	mediaJSON   = "application/json"
	mediaCSV    = "text/csv"
	mediaNDJSON = "application/x-ndjson"
)

// ndjsonTypes are the media types read as NDJSON.
var ndjsonTypes = []string{mediaNDJSON, "application/ndjson", "application/jsonl", "application/x-jsonlines"}

// routes lists every endpoint of the API.
func (s *Server) routeTable() []route {
	asOf := dateQuery("as_of", "date the answer is as of (YYYY-MM-DD; default the server's as-of date)")
	reasons := query("reasons", "integer", fmt.Sprintf("the most reasons per score, 0 to the server's maximum (%d; default %d): "+
		"the list holds first the statements that qualify the score (known_late, cold_start, beyond_horizon), then the model's factors, "+
		"largest first, and is never longer", s.cfg.MaxReasons, min(defaultReasons, s.cfg.MaxReasons)))
	ingestMedia := append([]string{mediaCSV}, ndjsonTypes...)
	// What each dated route does with a date far outside the ledger (span.go).
	asOfRule := fmt.Sprintf(" An as_of before the ledger's first invoice, or after the served date (a day that has not begun), is a 422 naming it; "+
		"one more than %d days after the ledger's latest record is answered with warnings (the book is frozen on that record's day).", StaleAfterDays)
	dateRule := fmt.Sprintf(" A date before the ledger's first invoice is a 422 naming it; one more than %d days after the ledger's latest record "+
		"is answered with warnings (a day's plan may be made ahead of it).", StaleAfterDays)
	periodRule := fmt.Sprintf(" A period that ends before the ledger's first invoice (to) or begins more than %d days after its latest record (from) is a 422 "+
		"naming the parameter; one that ends more than %d days after the latest record, or begins more than %d days before the first invoice, "+
		"is answered with warnings.", StaleAfterDays, StaleAfterDays, StaleAfterDays)
	return []route{
		{method: http.MethodGet, path: "/healthz", handle: s.healthz, doc: routeDoc{id: "healthz", tag: "operations",
			summary: "The process is alive", responses: []response{{200, "alive", health{}, ""}}}},
		{method: http.MethodGet, path: "/readyz", handle: s.readyzHandler(), doc: routeDoc{id: "readyz", tag: "operations",
			summary: "The store is reachable and a model is loaded",
			description: fmt.Sprintf("warnings lists what makes the answers doubtful though the server is ready: a ledger whose latest record "+
				"(ledger_last_day) is more than %d days before as_of (serve with --as-of); a ledger with no invoices; a currency of the ledger the server's "+
				"rates (serve --fx) lack, which makes the answers converting to the server's currency (the KPIs) 503 missing-rate, "+
				"while the scores, the customers with their KPIs in their own currencies, and the KPIs grouped by currency (each in its own, unconverted) still answer.", StaleAfterDays),
			responses: []response{{200, "ready", readiness{}, ""}}, errors: []int{503}}},
		{method: http.MethodGet, path: "/metrics", handle: s.metricsHandler(), doc: routeDoc{id: "metrics", tag: "operations",
			summary:   "Prometheus metrics (text exposition format)",
			responses: []response{{200, "metrics", nil, "text/plain"}}}},
		{method: http.MethodGet, path: "/openapi.json", handle: s.openapi, doc: routeDoc{id: "openapi", tag: "operations",
			summary: "This document", responses: []response{{200, "the OpenAPI 3 document", nil, ""}}}},

		{method: http.MethodPost, path: "/v1/score", ledger: true, role: RoleViewer, handle: s.postScore, media: []string{mediaJSON},
			doc: routeDoc{id: "scoreInvoices", tag: "scoring", summary: "Score up to 10,000 invoices, given in full or by id",
				description: "Either invoices (drafts or invoices not yet exported, scored as if booked with the customer's stored history) " +
					"or invoice_ids (stored invoices open at as_of). Scores of stored invoices at the server's as-of date come from the precomputed book." +
					strings.ReplaceAll(asOfRule, "a 422 naming it", "a 422 at /as_of"),
				params: []param{reasons}, request: ScoreRequest{}, responses: []response{{200, "scores, in the order asked", ScoreResponse{}, ""}}, errors: []int{503}}},
		{method: http.MethodGet, path: "/v1/invoices/:id/score", ledger: true, role: RoleViewer, handle: s.getInvoiceScore,
			doc: routeDoc{id: "invoiceScore", tag: "scoring", summary: "Score of one stored open invoice", description: strings.TrimSpace(asOfRule),
				params: []param{pathID("invoice id"), asOf, reasons}, responses: []response{{200, "the score", InvoiceScore{}, ""}}, errors: []int{404, 422, 503}}},
		{method: http.MethodGet, path: "/v1/customers/:id", ledger: true, role: RoleViewer, handle: s.getCustomer,
			doc: routeDoc{id: "customer", tag: "customers", summary: "A customer's master data, features, KPIs, open items and scores",
				description: strings.TrimSpace(asOfRule + periodRule),
				params: []param{pathID("customer id"), asOf, dateQuery("from", "first day of the KPI period (default 90 days before as_of)"),
					dateQuery("to", "last day of the KPI period (default as_of)")},
				responses: []response{{200, "the customer", CustomerView{}, ""}}, errors: []int{404, 422}}},
		{method: http.MethodGet, path: "/v1/customers/:id/next-action", ledger: true, role: RoleViewer, handle: s.getNextAction,
			doc: routeDoc{id: "nextAction", tag: "collections", summary: "The recommender's next dunning action for a customer",
				description: "The action of the day, or the deferred one (deferred_by names the rule), or the rule that excludes the customer from any contact (excluded). " +
					"expected_value and uplift are null on a scenario basis. An unknown query parameter is a 422." + dateRule,
				params:    []param{pathID("customer id"), dateQuery("date", "the day (default the server's as-of date)")},
				responses: []response{{200, "the action, or null when nothing should be done", NextActionView{}, ""}}, errors: []int{404, 422, 503}}},
		{method: http.MethodGet, path: "/v1/worklist", ledger: true, role: RoleViewer, handle: s.getWorklist,
			doc: routeDoc{id: "worklist", tag: "collections", summary: "The day's dunning worklist, highest expected value first",
				description: "A page of the day's actions (total, truncated and next_offset say when limit cut the list), with the first limit of the deferred " +
					"actions and of the excluded customers of the query and the rule that kept each off the list (deferred_total and excluded_total count them; " +
					"/v1/worklist/deferred and /v1/worklist/excluded page through them). On a scenario basis (no randomised history to learn " +
					"effects from; note says so) expected_value and uplift are null. An unknown channel or collector, or an unknown query parameter, is a 422 " +
					"naming the parameter and the values it may take." + dateRule,
				params: []param{dateQuery("date", "the day (default the server's as-of date)"),
					query("collector", "string", "only this collector's accounts (a collector of the ledger's customers)"),
					query("channel", "string", "only actions on this channel: one of the scenario file's (the built-in: "+
						strings.Join(recommender.DefaultScenarios().Channels(), ", ")+")"),
					query("limit", "integer", "at most this many actions (1..10000, default 100)"),
					query("offset", "integer", "skip this many actions (default 0): the next_offset of the previous page")},
				responses: []response{{200, "the worklist", Worklist{}, ""}}, errors: []int{422, 503}}},
		{method: http.MethodGet, path: "/v1/worklist/deferred", ledger: true, role: RoleViewer, handle: s.getWorklistDeferred,
			doc: routeDoc{id: "worklistDeferred", tag: "collections", summary: "The day's deferred dunning actions, a page at a time",
				description: "The actions a rule (quiet_day, capacity, budget; deferred_by) kept off the day's worklist, in the worklist's order, paged like it. " +
					"An unknown channel or collector, or an unknown query parameter, is a 422." + dateRule,
				params: []param{dateQuery("date", "the day (default the server's as-of date)"),
					query("collector", "string", "only this collector's accounts"),
					query("channel", "string", "only actions on this channel"),
					query("limit", "integer", "at most this many (1..10000, default 100)"),
					query("offset", "integer", "skip this many (default 0): the next_offset of the previous page")},
				responses: []response{{200, "a page of deferred actions", DeferredPage{}, ""}}, errors: []int{422, 503}}},
		{method: http.MethodGet, path: "/v1/worklist/excluded", ledger: true, role: RoleViewer, handle: s.getWorklistExcluded,
			doc: routeDoc{id: "worklistExcluded", tag: "collections", summary: "The customers a rule keeps from any contact today, a page at a time",
				description: "Customers with open invoices that a rule (promise, contact_cap, hold, default, dispute, ...) keeps from any contact on the day, " +
					"with the rule and its detail, paged like the worklist. They have no channel: channel is an unknown parameter here (422)." + dateRule,
				params: []param{dateQuery("date", "the day (default the server's as-of date)"),
					query("collector", "string", "only this collector's accounts"),
					query("limit", "integer", "at most this many (1..10000, default 100)"),
					query("offset", "integer", "skip this many (default 0): the next_offset of the previous page")},
				responses: []response{{200, "a page of excluded customers", ExcludedPage{}, ""}}, errors: []int{422, 503}}},
		{method: http.MethodGet, path: "/v1/customers/:id/credit-limit", ledger: true, role: RoleViewer, handle: s.getCreditLimit,
			doc: routeDoc{id: "creditLimit", tag: "credit", summary: "Suggested credit limit and order-block flags",
				description: "limit_source says where current_limit comes from (credit_decision, approval, customer_master, none or not_recorded, the last three with no review date; " +
					"current_limit is null when not_recorded: no limit is recorded, which is not 0.00, no credit), " +
					"limit_set_date the day its decision was taken; each flag's blocks_orders says whether the policy holds orders on it, orders_held whether any does. " +
					"The advice of every customer is prepared in the background for each new snapshot (/readyz's credit says how far): until it is ready, and when " +
					"a request's own computation (another as_of, proposals since) outlasts the server's request deadline, the answer is 503 with Retry-After." + asOfRule,
				params: []param{pathID("customer id"), asOf}, responses: []response{{200, "the advice", CreditAdvice{}, ""}}, errors: []int{404, 422, 503}}},
		{method: http.MethodPost, path: "/v1/credit-proposals", ledger: true, role: RoleCreditManager, handle: s.postProposal, media: []string{mediaJSON}, idempotent: true,
			doc: routeDoc{id: "proposeCreditLimit", tag: "credit", summary: "Propose a new credit limit",
				request: ProposalInput{}, responses: []response{{201, "the proposal, pending", Proposal{}, ""}}, errors: []int{404, 503}}},
		{method: http.MethodGet, path: "/v1/credit-proposals", ledger: true, role: RoleViewer, handle: s.listProposals,
			doc: routeDoc{id: "creditProposals", tag: "credit", summary: "Credit-limit proposals, newest first",
				params:    []param{query("status", "string", "only proposals in this state", proposalStates()...)},
				responses: []response{{200, "the proposals", ProposalList{}, ""}}, errors: []int{422, 503}}},
		{method: http.MethodPost, path: "/v1/credit-proposals/:id/approve", ledger: true, role: RoleCreditManager, handle: s.decideProposal(true), media: []string{mediaJSON}, idempotent: true,
			doc: routeDoc{id: "approveCreditProposal", tag: "credit", summary: "Approve a proposal (within the approver's thresholds); records the new limit",
				params: []param{pathID("proposal id")}, request: DecisionInput{}, responses: []response{{200, "the decided proposal", DecidedProposal{}, ""}, {202, "decided; the new limit waits in the spool", DecidedProposal{}, ""}},
				errors: []int{404, 409, 503}}},
		{method: http.MethodPost, path: "/v1/credit-proposals/:id/reject", ledger: true, role: RoleCreditManager, handle: s.decideProposal(false), media: []string{mediaJSON}, idempotent: true,
			doc: routeDoc{id: "rejectCreditProposal", tag: "credit", summary: "Reject a proposal",
				params: []param{pathID("proposal id")}, request: DecisionInput{}, responses: []response{{200, "the decided proposal", DecidedProposal{}, ""}},
				errors: []int{404, 409, 503}}},
		{method: http.MethodGet, path: "/v1/forecast", ledger: true, role: RoleViewer, handle: s.getForecast,
			doc: routeDoc{id: "forecast", tag: "treasury", summary: "Cash-receipts forecast, week by week", description: strings.TrimSpace(asOfRule),
				params: []param{asOf, query("weeks", "integer", "weeks ahead, 1..13 (default 13)"),
					query("by", "string", "group by", "segment", "country", "currency", "customer"), query("currency", "string", "reporting currency (ISO 4217)")},
				responses: []response{{200, "the forecast", Forecast{}, ""}}, errors: []int{422, 503}}},
		{method: http.MethodGet, path: "/v1/kpi", ledger: true, role: RoleViewer, handle: s.getKPI,
			doc: routeDoc{id: "kpi", tag: "treasury", summary: "Receivables KPIs of a period: DSO, countback DSO, best-possible DSO, ADD, CEI, aging, ...",
				description: strings.TrimSpace(periodRule),
				params: []param{dateQuery("from", "first day (default 90 days before to)"), dateQuery("to", "last day (default the server's as-of date)"),
					query("by", "string", "group by", features.KPIGroupings()...), query("currency", "string", "reporting currency (ISO 4217); needs the server's rates"),
					query("monthly", "boolean", "add the KPIs month by month")},
				responses: []response{{200, "the KPIs", KPIView{}, ""}}, errors: []int{422, 503}}},
		{method: http.MethodPost, path: "/v1/actions", ledger: true, role: RoleCollector, handle: s.postAction, media: []string{mediaJSON}, idempotent: true,
			doc: routeDoc{id: "recordAction", tag: "recording", summary: "Record a dunning action taken and its outcome",
				description: "Policy holdout or recommender with the propensity the recommendation carried, so effects can be measured. " +
					"type is one of the scenario file's action types, or wait; channel one of its channels, or none: any other is a 422 at the field listing the values it may take.",
				request: ActionInput{}, responses: recorded(), errors: []int{503}}},
		{method: http.MethodPost, path: "/v1/promises", ledger: true, role: RoleCollector, handle: s.postPromise, media: []string{mediaJSON}, idempotent: true,
			doc: routeDoc{id: "recordPromise", tag: "recording", summary: "Record a promise to pay (or its new status: same promise_id)",
				request: PromiseInput{}, responses: recorded(), errors: []int{503}}},
		{method: http.MethodPost, path: "/v1/disputes", ledger: true, role: RoleCollector, handle: s.postDispute, media: []string{mediaJSON}, idempotent: true,
			doc: routeDoc{id: "openDispute", tag: "recording", summary: "Open a dispute (or record it in full, resolved or not)",
				request: DisputeInput{}, responses: recorded(), errors: []int{503}}},
		{method: http.MethodPost, path: "/v1/disputes/:id/resolve", ledger: true, role: RoleCollector, handle: s.resolveDispute, media: []string{mediaJSON}, idempotent: true,
			doc: routeDoc{id: "resolveDispute", tag: "recording", summary: "Resolve an open dispute",
				params: []param{pathID("dispute id")}, request: ResolveInput{}, responses: recorded(), errors: []int{404, 409, 503}}},
		{method: http.MethodPost, path: "/v1/ingest/:entity", ledger: true, role: RoleAdmin, handle: s.postIngest, media: ingestMedia, toFile: true, idempotent: true,
			doc: routeDoc{id: "ingest", tag: "ingest", summary: "Load ledger records (CSV or NDJSON, the importer's formats and rules)",
				description: "Upserts by natural id. Bad rows are rejected with their line, field, value and reason; the good rows load (200). " +
					"Rows that load but deserve a look (a negative payment, a payment of an invoice neither stored nor in the body) are counted in warned " +
					"and listed in warnings by kind, each with its count, its first row and its rows (every warned row, up to 1000 in all, as rejects are listed), as dsopilot import warns of them. " +
					"A body none of whose rows loads is a 422; its errors carry each row's line, field, value and reason, as rejects do (and column and detail, as other problems place an error). " +
					"When the store is unreachable the validated rows are spooled to disk and the answer is 202 with the spool ids. " +
					"A row in a currency the rates in service lack (the promoted model's, the server's --fx) is not stored, since it would stop " +
					"every score, or every answer converting to the server's currency, for every client: the answer is then a 503 missing-rate " +
					"with Retry-After, listing the rows not stored (those refused for the rate first, then any invalid ones, which sending the body again will not store: the detail says how many); " +
					"the detail counts the rows that were stored, and sending the body again once the rate is given is safe (upserts by id).",
				params: []param{{name: "entity", in: "path", typ: "string", required: true, description: "what the body holds",
					enum: entityNames()},
					query("date_format", "string", "strftime date format of the export, e.g. %d.%m.%Y (ISO always works)"),
					query("decimal_comma", "boolean", "amounts are written 1.234,56"),
					query("columns", "string", "map canonical columns to the export's headers: customer_id=KUNNR,amount=DMBTR; "+
						"invoices.type=Type reads an invoices body's document type column, whose credit-note rows load as credit notes (applied to the invoice invoices.applies_to names, else unapplied)"),
					query("doc_types", "string", "type values of that column besides the recognised ones (Invoice, INV, SI; Credit Note, Credit, CN, CRN, SC; Payment, Receipt ...), in any case: invoice=VALUE,credit_note=VALUE,payment=VALUE (SAP's DZ: loaded as a payment of the customer, paying the invoice its clearing document (invoices.clearing_document) cleared, else the one invoices.applies_to names, else on account),skip=VALUE (rows that are no ledger document: not stored, not rejected)"),
					query("terms", "string", "what an ERP's payment-terms keys mean, for blank due dates: ZB30=30,ZN60=60,0001=0 (days, or any terms form: Z045=EOM45)"),
					query("dispute_reasons", "string", "with columns invoices.dispute_reason=<header>: the reason codes that flag an invoice disputed (Z1,Z3); absent, any non-blank code does")},
				responses: []response{{200, "stored", IngestResult{}, ""}, {202, "accepted into the spool: the store was unreachable", IngestResult{}, ""}},
				errors:    []int{404, 503}}},
		{method: http.MethodGet, path: "/v1/spool/:id", role: RoleViewer, handle: s.getSpool,
			doc: routeDoc{id: "spoolEntry", tag: "ingest", summary: "Whether a spooled batch is stored yet",
				params: []param{pathID("spool id from a 202 answer")}, responses: []response{{200, "its state", SpoolState{}, ""}}, errors: []int{404}}},
		{method: http.MethodGet, path: "/v1/models", role: RoleViewer, handle: s.listModels,
			doc: routeDoc{id: "models", tag: "models", summary: "Registered models and the one in service",
				responses: []response{{200, "the models", ModelList{}, ""}}}},
		{method: http.MethodPost, path: "/v1/models/:id/promote", role: RoleAdmin, handle: s.promoteModel, media: []string{mediaJSON}, idempotent: true,
			doc: routeDoc{id: "promoteModel", tag: "models", summary: "Put a registered model in service (scores switch without a failed request)",
				params: []param{pathID("model id")}, request: struct{}{}, responses: []response{{200, "promoted", ModelPromoted{}, ""}}, errors: []int{404}}},
		{method: http.MethodGet, path: "/reports/*path", ledger: true, role: RoleViewer, handle: s.reports,
			doc: routeDoc{id: "reports", tag: "reports", summary: "The chart and drill-down pages (HTML); Basic auth with the key as password works for browsers",
				params:    []param{{name: "path", in: "path", typ: "string", required: true, description: "page, e.g. index.html or customers/C1.html"}},
				responses: []response{{200, "the page", nil, "text/html"}}, errors: []int{404, 503}}},
	}
}

func recorded() []response {
	return []response{{201, "stored", Recorded{}, ""}, {202, "accepted into the spool: the store was unreachable", Recorded{}, ""}}
}

// newEngine registers the routes on a gin engine.
func (s *Server) newEngine() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.RedirectTrailingSlash = false
	e.Use(s.observe)
	e.NoRoute(func(c *gin.Context) { fail(c, ErrNotFound) })
	e.NoMethod(func(c *gin.Context) {
		p := problemFor(ErrNotFound)
		p.Status, p.Title, p.Type = http.StatusMethodNotAllowed, http.StatusText(http.StatusMethodNotAllowed), problemTypeBase+"method-not-allowed"
		p.Detail, p.RequestID, p.Instance = c.Request.Method+" is not allowed here", requestID(c), c.Request.URL.Path
		writeJSON(c, p.Status, "application/problem+json", p)
		c.Abort()
	})
	s.routes = s.routeTable()
	for _, r := range s.routes {
		var chain []gin.HandlerFunc
		if !r.toFile && !r.idempotent {
			// Reads and computations; an ingest's or a write's context
			// is left whole: cut short, a stored batch or decision would
			// answer 503 and be sent again.
			chain = append(chain, s.withDeadline)
		}
		if r.role != 0 {
			chain = append(chain, s.authorize(r.role))
		}
		if r.role != 0 && r.path != "/reports/*path" {
			chain = append(chain, knownQuery(r.doc.params))
		}
		if r.ledger {
			chain = append(chain, s.needLedger)
		}
		if len(r.media) > 0 {
			limit := s.cfg.MaxBodyBytes
			if r.toFile {
				limit = s.cfg.MaxIngestBytes
			}
			chain = append(chain, captureBody(limit, r.media, r.toFile, s.tmpDir))
		}
		if r.idempotent {
			chain = append(chain, s.idempotent)
		}
		chain = append(chain, r.handle)
		e.Handle(r.method, r.path, chain...)
	}
	return e
}

// needLedger answers 503 with the reason while no ledger has been read
// (a store locked by another process, unreachable): the empty snapshot of
// the start is no answer. Before the body is read: an ingest body may be
// large.
func (s *Server) needLedger(c *gin.Context) {
	if err := s.unread(); err != nil {
		fail(c, err)
		return
	}
	c.Next()
}

// knownQuery refuses, with a 422 naming them, query parameters the route
// does not take: ignored, a parameter sent to the wrong route answered
// something else than was asked (POST /v1/score?as_of= scored as of the
// served date). The report pages take any (a browser's own). The same
// 422 lists the known parameters whose values their declaration refuses
// (a date, an integer, a boolean, an enum).
func knownQuery(params []param) gin.HandlerFunc {
	var names []string
	for _, p := range params {
		if p.in == "query" {
			names = append(names, p.name)
		}
	}
	want := "this route takes no query parameters"
	if len(names) > 0 {
		want = "want " + strings.Join(names, ", ")
	}
	return func(c *gin.Context) {
		if c.Request.URL.RawQuery == "" { // most requests: nothing to parse
			c.Next()
			return
		}
		values := c.Request.URL.Query()
		var unknown []string
		for k := range values {
			if !slices.Contains(names, k) {
				unknown = append(unknown, k)
			}
		}
		slices.Sort(unknown)
		var fe fieldErrors
		for _, k := range unknown {
			fe.add("query:"+k, "unknown parameter: "+want)
		}
		// What the declaration of each known parameter says of its value
		// is checked here, with the unknown ones, rather than by the
		// handler one parameter after the other: one 422 lists every bad
		// parameter (the handler checks the rest: a range, a date within
		// the ledger).
		for _, p := range params {
			if p.in == "query" {
				checkParam(&fe, p, values[p.name])
			}
		}
		if len(fe) > 0 {
			fail(c, fe.err("bad query parameters"))
			return
		}
		c.Next()
	}
}

// checkParam reports the values of query parameter p that its
// declaration refuses: a date that is not YYYY-MM-DD, an integer that
// is not one, a value outside its enum.
func checkParam(fe *fieldErrors, p param, values []string) {
	for _, v := range values {
		switch {
		case v == "":
		case p.format == "date":
			if _, ok := datasets.ParseISO(v); !ok {
				fe.add("query:"+p.name, fmt.Sprintf("%q is not a date: want YYYY-MM-DD, %s to %s", v, datasets.MinDate, datasets.MaxDate))
			}
		case p.typ == "integer":
			if _, err := strconv.Atoi(v); err != nil {
				fe.add("query:"+p.name, fmt.Sprintf("%q is not an integer", v))
			}
		case p.typ == "boolean":
			if !slices.Contains([]string{"true", "false", "1", "0"}, v) {
				fe.add("query:"+p.name, "want true or false")
			}
		case len(p.enum) > 0 && !slices.Contains(p.enum, v):
			fe.add("query:"+p.name, fmt.Sprintf("%q: want one of %s", v, strings.Join(p.enum, ", ")))
		}
	}
}

// openAPIPath turns gin's /v1/invoices/:id/score into /v1/invoices/{id}/score.
func openAPIPath(p string) string {
	parts := strings.Split(p, "/")
	for i, x := range parts {
		if strings.HasPrefix(x, ":") || strings.HasPrefix(x, "*") {
			parts[i] = "{" + x[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}
