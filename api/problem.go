package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/recommender"
	"github.com/dsopilot/dsopilot/recommender/credit"
)

// Sentinel errors of the API. Handlers and the adapters of other packages
// wrap these (fmt.Errorf("...: %w", ErrNotFound)); problemFor turns them into
// statuses in one place.
var (
	// ErrMalformed: the body is not the JSON (or CSV/NDJSON) it claims to be. 400.
	ErrMalformed = errors.New("malformed request")
	// ErrUnauthenticated: no key, or a key that is not in the keys file. 401.
	ErrUnauthenticated = errors.New("missing or unknown API key")
	// ErrKeyRevoked: the key was revoked (dsopilot keys revoke). 401,
	// with a problem type of its own.
	ErrKeyRevoked = errors.New("API key revoked")
	// ErrForbidden: the key's role does not allow the operation, or the
	// operation is beyond the role's thresholds. 403.
	ErrForbidden = errors.New("not allowed for this key's role")
	// ErrNotFound: an unknown id. 404.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the resource is in a state that refuses the operation
	// (a proposal decided twice, an idempotency key still in flight). 409.
	ErrConflict = errors.New("conflict")
	// ErrTooLarge: the body exceeds the route's limit. 413.
	ErrTooLarge = errors.New("request body too large")
	// ErrMediaType: a Content-Type the route does not read. 415.
	ErrMediaType = errors.New("unsupported content type")
	// ErrInvalid: well-formed but invalid values; see ValidationError. 422.
	ErrInvalid = errors.New("invalid field values")
	// ErrRateLimited: the key used up its request budget. 429.
	ErrRateLimited = errors.New("rate limit exceeded")
	// ErrUnavailable: not ready (no store, no model) or not in this build. 503.
	ErrUnavailable = errors.New("service unavailable")
	// ErrNoRate: the answer needs an exchange rate the server was not
	// given (serve's --fx lacks a currency of a customer or a record).
	// 503, with a problem type of its own: as for a missing model, the
	// server's configuration is at fault, not the request, and only the
	// operator can mend it; a client-chosen currency without rates (a
	// ?currency= parameter) stays a 422.
	ErrNoRate = errors.New("the server has no exchange rate")

	// errKeyName refuses an empty or duplicate key name.
	errKeyName = errors.New("key name")
	// errSpoolCorrupt marks a spool file that does not decode.
	errSpoolCorrupt = errors.New("spool file damaged")
)

// FieldError is one invalid field, where it is and what is wrong with it.
// JSON carries exactly one locator: "pointer" (into a JSON body),
// "parameter" (a query parameter), "header" (a request header), or "line"
// and "column" (a row of a CSV or NDJSON ingest body).
type FieldError struct {
	// Pointer is an RFC 6901 JSON pointer from the root of the request
	// body (/invoices/3/due_date; "" for the whole body), with ~ and / in
	// a name escaped as ~0 and ~1.
	Pointer string `json:"pointer,omitempty" doc:"an RFC 6901 JSON pointer from the root of the request body (/invoices/3/due_date; empty for the whole body); absent when another locator is set"`
	// Parameter names the query parameter at fault ("*": the query as a
	// whole).
	Parameter string `json:"parameter,omitempty" doc:"the query parameter at fault (* for the query as a whole)"`
	// Header names the request header at fault.
	Header string `json:"header,omitempty" doc:"the request header at fault"`
	// Line and Column place a rejected row of an ingest body: its line
	// (1 is the first, the header of a CSV) and the canonical column.
	Line   int    `json:"line,omitempty" doc:"the line of a CSV or NDJSON ingest body (1 is the first)"`
	Column string `json:"column,omitempty" doc:"the column (canonical name) on that line; the same as field"`
	// Field, Value and Reason repeat a row's error under the names of an
	// ingest answer's rejects, so that a client reads a row's error the
	// same way in a 200 (rejects), a 422 and a 503 (errors): field is
	// Column, reason Detail, and value the text as sent.
	Field  string `json:"field,omitempty" doc:"on a row of an ingest body: the column, as rejects name it"`
	Value  string `json:"value,omitempty" doc:"on a row of an ingest body: the value as sent, as rejects carry it"`
	Reason string `json:"reason,omitempty" doc:"on a row of an ingest body: what is wrong, as rejects say it (the same as detail)"`
	Detail string `json:"detail"`
}

// rowError is the FieldError of one rejected row of an ingest body:
// located by line and column, and carrying the reject's field, value and
// reason.
func rowError(r IngestReject) FieldError {
	if r.Line <= 0 { // not of one line: the body as a whole
		return FieldError{Detail: r.Field + ": " + r.Reason}
	}
	return FieldError{Line: r.Line, Column: r.Field, Field: r.Field, Value: r.Value, Reason: r.Reason, Detail: r.Reason}
}

// fieldAt builds a FieldError at where: "query:NAME" is the query
// parameter NAME, "query" the query as a whole, "header:NAME" the
// header NAME, anything else a JSON pointer.
func fieldAt(where, detail string) FieldError {
	if name, ok := strings.CutPrefix(where, "query:"); ok {
		return FieldError{Parameter: name, Detail: detail}
	}
	if where == "query" {
		return FieldError{Parameter: "*", Detail: detail}
	}
	if name, ok := strings.CutPrefix(where, "header:"); ok {
		return FieldError{Header: name, Detail: detail}
	}
	return FieldError{Pointer: where, Detail: detail}
}

// Where is the field's place as fieldAt takes it; a row of an ingest
// body is "line:N:COLUMN".
func (e FieldError) Where() string {
	switch {
	case e.Parameter == "*":
		return "query"
	case e.Parameter != "":
		return "query:" + e.Parameter
	case e.Header != "":
		return "header:" + e.Header
	case e.Line > 0:
		return fmt.Sprintf("line:%d:%s", e.Line, e.Column)
	}
	return e.Pointer
}

// MarshalJSON writes one locator ("pointer" even when "", the whole
// body) and "detail".
func (e FieldError) MarshalJSON() ([]byte, error) {
	switch {
	case e.Parameter != "":
		return json.Marshal(struct {
			Parameter string `json:"parameter"`
			Detail    string `json:"detail"`
		}{e.Parameter, e.Detail})
	case e.Header != "":
		return json.Marshal(struct {
			Header string `json:"header"`
			Detail string `json:"detail"`
		}{e.Header, e.Detail})
	case e.Line > 0:
		// Both namings: line/column/detail, as every problem places its
		// errors, and field/value/reason, as an ingest answer's rejects.
		field, reason := e.Field, e.Reason
		if field == "" {
			field = e.Column
		}
		if reason == "" {
			reason = e.Detail
		}
		return json.Marshal(struct {
			Line   int    `json:"line"`
			Column string `json:"column"`
			Field  string `json:"field"`
			Value  string `json:"value"`
			Reason string `json:"reason"`
			Detail string `json:"detail"`
		}{e.Line, e.Column, field, e.Value, reason, e.Detail})
	}
	return json.Marshal(struct {
		Pointer string `json:"pointer"`
		Detail  string `json:"detail"`
	}{e.Pointer, e.Detail})
}

// ValidationError carries every invalid field of a request; it wraps
// ErrInvalid unless Status says otherwise (ErrMalformed for a body that
// does not parse).
type ValidationError struct {
	Msg    string
	Fields []FieldError
	Kind   error // ErrInvalid (default) or ErrMalformed
}

func (e *ValidationError) Error() string {
	if len(e.Fields) == 0 {
		return e.Msg
	}
	msg := fmt.Sprintf("%s: %s: %s", e.Msg, e.Fields[0].label(), e.Fields[0].Detail)
	if n := len(e.Fields) - 1; n > 0 {
		// The detail names the first; say the list holds more, or a
		// client reading the detail alone mends one field at a time.
		msg += fmt.Sprintf(" (and %s: see errors)", plural(n, "more error", "more errors"))
	}
	return msg
}

// label is where the field is, as the problem's detail names it.
func (e FieldError) label() string {
	switch {
	case e.Parameter == "*":
		return "the query"
	case e.Parameter != "":
		return "parameter " + e.Parameter
	case e.Header != "":
		return "header " + e.Header
	case e.Line > 0:
		return fmt.Sprintf("line %d, column %s", e.Line, e.Column)
	case e.Pointer == "":
		return "the body"
	}
	return e.Pointer
}

func (e *ValidationError) Unwrap() error {
	if e.Kind != nil {
		return e.Kind
	}
	return ErrInvalid
}

// invalid builds a ValidationError from field errors.
func invalid(msg string, fields ...FieldError) error {
	return &ValidationError{Msg: msg, Fields: fields}
}

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail"`
	Instance  string       `json:"instance,omitempty"`
	RequestID string       `json:"request_id"`
	Errors    []FieldError `json:"errors,omitempty"`
}

// problemTypeBase prefixes the problem types; each names its status's
// section of the API documentation.
const problemTypeBase = "https://dsopilot.dev/problems/"

// retryAfter is carried by errors that tell the client when to come back.
type retryAfter interface{ RetryAfterSeconds() int }

// missingRateRetryAfter is the Retry-After of a missing-rate answer. Its
// mend is the operator's (serve restarted with the rate, or a model with
// it trained and promoted, which the server takes up within PollEvery):
// minutes at best, so a client that asks again sooner, an ingest feed
// sending its body again say, only gets the same answer.
const missingRateRetryAfter = 5 * time.Minute

// retrying is an error the server itself retries every after (reading the
// store, say): its answer tells the client, in Retry-After, when asking
// again can find it mended.
type retrying struct {
	err   error
	after time.Duration
}

func (r retrying) Error() string          { return r.err.Error() }
func (r retrying) Unwrap() error          { return r.err }
func (r retrying) RetryAfterSeconds() int { return int(math.Ceil(r.after.Seconds())) }

// statusRule maps one error to a status and a problem type.
type statusRule struct {
	err    error
	status int
	slug   string
}

// statusRules is the one table from errors to statuses, most specific
// first. Errors of other packages that mean the same are listed here so
// handlers can return them unwrapped.
var statusRules = [...]statusRule{
	// First: the adapters wrap a missing rate with the other package's
	// error, which may be an input error (credit.ErrInput).
	{ErrNoRate, http.StatusServiceUnavailable, "missing-rate"},
	{ErrMalformed, http.StatusBadRequest, "malformed"},
	{ErrUnauthenticated, http.StatusUnauthorized, "unauthenticated"},
	{ErrKeyRevoked, http.StatusUnauthorized, "key-revoked"},
	{ErrForbidden, http.StatusForbidden, "forbidden"},
	{credit.ErrFourEyes, http.StatusForbidden, "forbidden"},
	{credit.ErrRole, http.StatusForbidden, "forbidden"},
	{ErrNotFound, http.StatusNotFound, "not-found"},
	{datasets.ErrNotFound, http.StatusNotFound, "not-found"},
	{model.ErrNoModel, http.StatusNotFound, "not-found"},
	{model.ErrStaleModel, http.StatusConflict, "conflict"},
	{ErrConflict, http.StatusConflict, "conflict"},
	{credit.ErrConflict, http.StatusConflict, "conflict"},
	{credit.ErrExpired, http.StatusConflict, "conflict"},
	{credit.ErrNotFound, http.StatusNotFound, "not-found"},
	{ErrTooLarge, http.StatusRequestEntityTooLarge, "too-large"},
	{ErrMediaType, http.StatusUnsupportedMediaType, "unsupported-media-type"},
	{ErrInvalid, http.StatusUnprocessableEntity, "invalid"},
	{datasets.ErrInvalid, http.StatusUnprocessableEntity, "invalid"},
	{recommender.ErrInput, http.StatusUnprocessableEntity, "invalid"},
	{credit.ErrInvalidAmount, http.StatusUnprocessableEntity, "invalid"},
	{credit.ErrInput, http.StatusUnprocessableEntity, "invalid"},
	{ErrRateLimited, http.StatusTooManyRequests, "rate-limited"},
	{ErrUnavailable, http.StatusServiceUnavailable, "unavailable"},
	{model.ErrNoPromoted, http.StatusServiceUnavailable, "unavailable"},
}

// problemFor maps err to its problem document: the only place where errors
// become statuses. Anything unknown is a 500 whose detail hides the cause
// (it is logged with the request id instead).
func problemFor(err error) Problem {
	p := Problem{Status: http.StatusInternalServerError, Type: problemTypeBase + "internal",
		Detail: "internal error; the server log has the cause under this request id"}
	for _, r := range statusRules {
		if errors.Is(err, r.err) {
			p.Status, p.Type, p.Detail = r.status, problemTypeBase+r.slug, err.Error()
			break
		}
	}
	p.Title = http.StatusText(p.Status)
	var ve *ValidationError
	if errors.As(err, &ve) {
		p.Errors = ve.Fields
	}
	return p
}

// deadlineRetryAfter is the Retry-After of a request that ran out of its
// deadline: what it computed is mostly kept (the credit risks learnt),
// so asking again goes on from there.
const deadlineRetryAfter = 30 * time.Second

// fail answers c with err's problem and stops the handler chain.
func fail(c *gin.Context, err error) {
	var ra retryAfter
	if errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ErrUnavailable) {
		// A computation cut short by the request's deadline
		// (withDeadline) is a 503 saying so, through the one mapping.
		d := "its deadline"
		if v, ok := c.Get(ctxDeadline); ok {
			d = fmt.Sprintf("its deadline (%s)", v)
		}
		err = retrying{fmt.Errorf("%w: the answer was still being computed when the request reached %s: %w", ErrUnavailable, d, err), deadlineRetryAfter}
	}
	p := problemFor(err)
	p.RequestID = requestID(c)
	p.Instance = c.Request.URL.Path
	if p.Status == http.StatusInternalServerError {
		loggerOf(c).Error("request failed", "err", err)
	}
	if errors.Is(err, ErrNoRate) {
		// The operator, not the client, has to act: say it where they look.
		loggerOf(c).Warn("request needs an exchange rate the server was not given", "err", err)
	}
	switch {
	case errors.As(err, &ra):
		c.Header("Retry-After", strconv.Itoa(max(1, ra.RetryAfterSeconds())))
	case errors.Is(err, ErrNoRate):
		c.Header("Retry-After", strconv.Itoa(int(missingRateRetryAfter.Seconds())))
	}
	if p.Status == http.StatusUnauthorized && c.Writer.Header().Get("WWW-Authenticate") == "" {
		// The report pages set a Basic challenge first: a browser asks
		// for credentials only on one.
		c.Header("WWW-Authenticate", `Bearer realm="dsopilot"`)
	}
	c.Error(err) //nolint:errcheck // recorded for the access log
	writeJSON(c, p.Status, "application/problem+json", p)
	c.Abort()
}
