package api

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/importer"
)

// quietIngestBytes is the body size above which an ingest is read back
// from the store rather than merged into the snapshot from memory.
const quietIngestBytes = 8 << 20

// maxRejectsListed bounds the rejects an ingest answer lists; the counts
// are always complete.
const maxRejectsListed = 1000

// IngestResult answers POST /v1/ingest/{entity}.
type IngestResult struct {
	Entity datasets.Entity `json:"entity"`
	Format string          `json:"format"`
	// Read rows = Loaded + Rejected + Duplicates; Loaded were acknowledged
	// (stored, or spooled when Spooled says so), a duplicate not (it
	// replaced an earlier row); Rejected had a bad field (listed in
	// Rejects).
	Read             int            `json:"read"`
	Loaded           int            `json:"loaded"`
	Rejected         int            `json:"rejected"`
	Duplicates       int            `json:"duplicates" doc:"rows repeating an id of an earlier row of the body (the later one wins)"`
	DerivedCustomers int            `json:"derived_customers"`
	Spooled          int            `json:"spooled" doc:"records waiting in the spool for the store"`
	SpoolIDs         []string       `json:"spool_ids"`
	IgnoredColumns   []string       `json:"ignored_columns"`
	Rejects          []IngestReject `json:"rejects"`
	RejectsTruncated bool           `json:"rejects_truncated"`
	// Warned counts the warnings of rows that were stored but deserve a
	// look (a negative payment, a payment of an invoice neither stored nor
	// in the body), as dsopilot import counts them; Warnings lists them by
	// kind, each with its count, its first row and its rows.
	Warned            int             `json:"warned" doc:"warnings of stored rows that deserve a look, in all (as dsopilot import counts them)"`
	Warnings          []IngestWarning `json:"warnings" doc:"the warnings by kind: the reason, how many rows have it, the first such row (line, field, value) and every such row in rows (up to 1000 rows in all); [] for none"`
	WarningsTruncated bool            `json:"warnings_truncated" doc:"true when warnings does not list every warned row: more than 1000 rows were warned of (counts say how many of each kind), or the list of kinds was cut"`
	// The conventions the importer read the body by, counted: credit
	// notes written negative read as credits of their absolute amount,
	// blank due dates derived from payment terms; Notes say each with its
	// first row, in the shape of Warnings.
	NegativeCreditNotes int             `json:"negative_credit_notes" doc:"credit notes written negative, read as credits of their absolute amount (the body's convention)"`
	DerivedDueDates     int             `json:"derived_due_dates" doc:"invoices with a blank due date given the issue date plus their payment terms"`
	Notes               []IngestWarning `json:"notes" doc:"each convention read, with its count and first row; [] for none"`
	// CreditNotesFromInvoices counts the rows of an invoices body its
	// document type column (?columns=invoices.type=...) says are credit
	// notes, loaded as such (in loaded).
	CreditNotesFromInvoices int `json:"credit_notes_from_invoices" doc:"rows of an invoices body loaded as credit notes, their type column (?columns=invoices.type=Type) saying so; counted in loaded"`
	// PaymentsFromInvoices, SkippedByType and DisputedByReason count what
	// an ERP's open-items body's type and reason columns made of its rows
	// (?doc_types=payment=DZ,skip=AB, ?columns=invoices.dispute_reason=...),
	// as the import's summary does.
	PaymentsFromInvoices int `json:"payments_from_invoices" doc:"rows of an invoices body loaded as payments, their type column naming a type ?doc_types= maps to payment (SAP's DZ); counted in loaded"`
	SkippedByType        int `json:"skipped_by_type" doc:"rows of an invoices body skipped by their type (?doc_types=skip=AB): not stored, not rejected, not counted in read"`
	DisputedByReason     int `json:"disputed_by_reason" doc:"invoices flagged disputed by their reason-code column (?columns=invoices.dispute_reason=<header>, the codes ?dispute_reasons= lists, else any)"`
	// DerivedPayments and DerivedCredits count the records an invoices
	// body's open balances (?columns=invoices.open_balance=<header>)
	// imply: not rows, not in loaded; warnings lists each.
	DerivedPayments int `json:"derived_payments" doc:"payments derived from an invoices body's open balances (the difference no payment or credit note dated by then covers, dated the day of the ingest); not rows, not in loaded"`
	DerivedCredits  int `json:"derived_credits" doc:"the same, derived as credit notes in a ledger without payment records"`
	// SupersededDerived counts the records derived from open balances
	// earlier that the body's payments and credit notes now cover,
	// lowered (warnings lists each with what replaced it).
	SupersededDerived int `json:"superseded_derived" doc:"payments (or credit notes) derived from an open balance earlier, lowered because the body's payments and credit notes dated by then cover them; each is in warnings with its old and new amount"`
	// SettledByRecords and DerivedDiscounts count the invoices the body's
	// records settled and the cash discounts loaded as credit notes, as
	// the import's summary does.
	SettledByRecords int `json:"settled_by_records" doc:"invoices without a settled date that their payments and credit notes now cover: stored again, settled on the day they were covered; not rows, not in loaded"`
	DerivedDiscounts int `json:"derived_discounts" doc:"cash discounts of the body's payments (a discount column) loaded as credit notes on the invoices they pay; not rows, not in loaded"`
	// Diagnosis, when more than half the rows were rejected, names the
	// most common reason (and a date format that would have read them).
	Diagnosis string `json:"diagnosis,omitempty" doc:"the most common reason when more than half the rows were rejected"`
	// Incomplete is true when more than half the rows were rejected but
	// some were stored: where dsopilot import exits 1 saying most rows
	// were rejected. The answer stays a 2xx because the loaded rows are stored (a
	// retry stores them again, harmlessly); a client that checks the
	// status alone would miss it, so it is said in one field.
	Incomplete    bool    `json:"incomplete" doc:"true when more than half the rows were rejected, or more than 1% are of document types ?doc_types= does not name, while some were stored (where dsopilot import exits 1); the loaded rows are stored"`
	Seconds       float64 `json:"seconds"`
	RowsPerSecond float64 `json:"rows_per_second"`
}

// IngestWarning is one kind of warning of an ingest: what it is, how
// many rows have it, and the first of them (line 0 and no field when the
// warning is about the body as a whole, a column of mixed formats say).
type IngestWarning struct {
	Line   int    `json:"line" doc:"the first row with the warning (0: the body as a whole)"`
	Field  string `json:"field" doc:"the column of that row the warning is about; empty for the body as a whole"`
	Value  string `json:"value" doc:"that row's value, as sent"`
	Reason string `json:"reason"`
	Count  int    `json:"count" doc:"how many rows have this warning"`
	// Rows lists the rows with it, in order: every one, up to 1000 rows
	// over all the warnings of the answer, as rejects are listed.
	Rows []IngestWarningRow `json:"rows" doc:"the rows with this warning, in order: every one, or the first when the answer lists 1000 rows of warnings in all (count says how many; warnings_truncated is then true); [] for a warning about the body as a whole"`
}

// IngestWarningRow is one row with a warning.
type IngestWarningRow struct {
	Line  int    `json:"line"`
	Field string `json:"field"`
	Value string `json:"value" doc:"the row's value, as sent"`
}

// IngestReject is one bad field of one line of the body.
type IngestReject struct {
	Line   int    `json:"line"`
	Field  string `json:"field"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

func entityNames() []string {
	var out []string
	for _, e := range datasets.Entities() {
		out = append(out, string(e))
	}
	return out
}

func (s *Server) postIngest(c *gin.Context) {
	e := datasets.Entity(c.Param("entity"))
	if datasets.Describe(e) == nil {
		fail(c, fmt.Errorf("%w: no entity %q (want one of %s)", ErrNotFound, e, strings.Join(entityNames(), ", ")))
		return
	}
	body := bodyOf(c)
	var fe fieldErrors
	refused := &refusedCurrencies{}
	opts := importer.Options{Kind: e, DateFormat: c.Query("date_format"), Log: loggerOf(c).With("entity", string(e)),
		RejectsPath: body.path + ".rejects", Currency: refused.check(s.convertible)}
	defer os.Remove(opts.RejectsPath)
	opts.LatestDay = s.latestDay() // as the record endpoints: no record dated after it
	switch c.Query("decimal_comma") {
	case "", "false", "0":
	case "true", "1":
		opts.DecimalComma = true
	default:
		fe.add("query:decimal_comma", "want true or false")
	}
	if v := c.Query("columns"); v != "" {
		// The import's own reading: a name mapped twice is refused, not
		// the last one silently kept.
		opts.Columns = map[string]string{}
		if err := importer.ParseColumns(opts.Columns, v); err != nil {
			fe.add("query:columns", apiWords(strings.TrimPrefix(err.Error(), importer.ErrUsage.Error()+": ")))
		}
	}
	if v := c.Query("doc_types"); v != "" {
		opts.DocTypes = map[string]string{}
		if err := importer.ParseDocTypes(opts.DocTypes, v); err != nil {
			fe.add("query:doc_types", apiWords(strings.TrimPrefix(err.Error(), importer.ErrUsage.Error()+": ")))
		}
	}
	if v := c.Query("terms"); v != "" {
		opts.TermsKeys = map[string]datasets.Terms{}
		if err := datasets.ParseTermsKeys(opts.TermsKeys, v); err != nil {
			fe.add("query:terms", apiWords(strings.TrimPrefix(err.Error(), datasets.ErrTermsKeys.Error()+": ")))
		}
	}
	if v := c.Query("dispute_reasons"); v != "" {
		for _, r := range strings.Split(v, ",") {
			if r = strings.TrimSpace(r); r != "" {
				opts.DisputeReasons = append(opts.DisputeReasons, r)
			}
		}
	}
	if err := fe.err("bad ingest options"); err != nil {
		fail(c, err)
		return
	}
	st := &ingestStore{s: s, hint: 100_000, quiet: body.size > quietIngestBytes}
	if real, err := s.store.get(c.Request.Context()); err == nil {
		if h, ok := real.(interface{ BatchHint() int }); ok && h.BatchHint() > 0 {
			st.hint = h.BatchHint()
		}
	}
	s.ingesting.Add(1)
	sum, err := importer.Import(c.Request.Context(), st, []string{body.path}, opts)
	s.ingesting.Add(-1)
	if st.quiet && sum != nil && sum.Loaded > 0 {
		s.reloadWanted.Store(true)
	}
	s.kickRebuild()
	unnamedTypes := errors.Is(err, importer.ErrDocTypes)
	switch {
	case errors.Is(err, importer.ErrUsage):
		fail(c, invalid("bad ingest options", fieldAt("query", apiWords(strings.TrimPrefix(err.Error(), importer.ErrUsage.Error()+": ")))))
		return
	case errors.Is(err, ErrUnavailable):
		// The store is away and the body needs it in full (an open
		// balance): 503, to send again.
		fail(c, err)
		return
	case errors.Is(err, importer.ErrFiles) && sum != nil && len(sum.Files) == 1:
		fail(c, invalid("the body cannot be read as "+string(e), FieldError{Pointer: "", Detail: apiWords(strings.ReplaceAll(sum.Files[0].Error, body.path, "body"))}))
		return
	case (errors.Is(err, importer.ErrRejected) || errors.Is(err, importer.ErrDuplicates)) && sum != nil:
		// Most rows were rejected (or repeated an id of the body), but the
		// good ones were stored: the answer lists both and says why.
	case err != nil:
		fail(c, err)
		return
	}
	res := IngestResult{Entity: e, Format: "csv", Read: sum.Read, Loaded: sum.Loaded, Rejected: sum.Rejected, Duplicates: sum.Duplicates,
		DerivedCustomers: sum.DerivedCustomers, Spooled: st.spooled, SpoolIDs: st.ids, IgnoredColumns: []string{},
		Seconds: sum.Seconds, RowsPerSecond: sum.RowsPerSecond}
	if res.SpoolIDs == nil {
		res.SpoolIDs = []string{}
	}
	if len(sum.Files) == 1 {
		res.Diagnosis = apiWords(strings.ReplaceAll(sum.Files[0].Diagnosis, body.path, "body"))
		res.Format = sum.Files[0].Format
		if sum.Files[0].IgnoredColumns != nil {
			res.IgnoredColumns = sum.Files[0].IgnoredColumns
		}
	}
	res.Rejects, res.RejectsTruncated, err = readRejects(opts.RejectsPath, res.Rejected)
	if err != nil {
		fail(c, err)
		return
	}
	res.Warnings, res.Warned, res.WarningsTruncated = ingestWarnings(sum.Warnings, body.path)
	res.NegativeCreditNotes, res.DerivedDueDates = sum.NegativeCreditNotes, sum.DerivedDueDates
	res.CreditNotesFromInvoices = sum.CreditNotesFromInvoices
	res.PaymentsFromInvoices, res.SkippedByType, res.DisputedByReason = sum.PaymentsFromInvoices, sum.SkippedByType, sum.DisputedByReason
	res.DerivedPayments, res.DerivedCredits, res.SupersededDerived = sum.DerivedPayments, sum.DerivedCredits, sum.SupersededDerived
	res.SettledByRecords, res.DerivedDiscounts = sum.SettledByRecords, sum.DerivedDiscounts
	res.Notes, _, _ = ingestWarnings(sum.Notes, body.path)
	s.metrics.ingest.WithLabelValues(string(e), "loaded").Add(float64(res.Loaded))
	s.metrics.ingest.WithLabelValues(string(e), "rejected").Add(float64(res.Rejected))
	s.metrics.ingest.WithLabelValues(string(e), "spooled").Add(float64(res.Spooled))
	if err := refused.err(res); err != nil {
		// Valid rows the server cannot take yet: its rates are at fault,
		// so the client is told to send them again (503, Retry-After),
		// not to mend them (422).
		fail(c, err)
		return
	}
	if res.Read == 0 {
		// An empty body, or a header alone, stores nothing: answered 200
		// "read 0, loaded 0", a client that sent the wrong file heard
		// that all went well.
		fail(c, invalid("the body holds no rows", FieldError{Pointer: "", Detail: "nothing to store: send at least one row (a CSV header and its rows, or NDJSON objects)"}))
		return
	}
	if res.Loaded == 0 && res.Rejected > 0 {
		// Nothing was stored: the request as a whole failed.
		var errs []FieldError
		for _, r := range res.Rejects {
			errs = append(errs, rowError(r))
		}
		msg := fmt.Sprintf("all %s were rejected", plural(res.Rejected, "row", "rows"))
		if res.Rejected == 1 {
			msg = "the body's only row was rejected"
		}
		if res.RejectsTruncated {
			msg += fmt.Sprintf(" (errors lists the first %d)", len(errs))
		}
		fail(c, invalid(msg, errs...))
		return
	}
	// The body failed as dsopilot import's file would (rows of types no
	// mapping names, under half of them): its stored rows stand, and the
	// client is told.
	res.Incomplete = importer.MostlyRejected(res.Rejected, res.Read) || unnamedTypes
	status := http.StatusOK
	if res.Spooled > 0 {
		status = http.StatusAccepted
	}
	ok(c, status, res)
}

// convertible says whether amounts in currency code can be converted
// with the rates in service: the model's (its scores, the worklist and
// the forecast convert with the rates it was trained with) and the
// server's --fx (KPIs and reports). An amount they cannot convert would
// take, at the next rebuild, every score (the model's rates) or every
// answer converting to the server's currency (its --fx: the KPIs, the
// forecast, the worklist, the credit advice, the reports) down with it,
// for every client, so ingest does not store its row. The row itself is
// valid: refusedCurrencies turns the refusal into a 503 missing-rate.
func (s *Server) convertible(code string) error {
	if m := s.model.Load(); m != nil && m.fx() != nil {
		if _, ok := m.fx().Rate(code); !ok {
			return fmt.Errorf("no rate to %s for %s in the rates model %s was trained with: retrain it with a rates file that has %s and promote it, then send the row again",
				m.fx().To, code, m.meta.ID, code)
		}
	}
	if fx := s.cfg.FX; fx != nil {
		if _, ok := fx.Rate(code); !ok {
			return fmt.Errorf("no rate to %s for %s in the server's rates (--fx): add it and restart serve, then send the row again", fx.To, code)
		}
	}
	return nil
}

// refusedCurrencies gathers, over one ingest, the currencies of rows
// convertible refused; the importer may ask from several goroutines.
type refusedCurrencies struct {
	mu   sync.Mutex
	rows map[string]int
}

// check wraps convertible, counting the rows it refuses by currency.
func (r *refusedCurrencies) check(convertible func(string) error) func(string) error {
	return func(code string) error {
		err := convertible(code)
		if err != nil {
			r.mu.Lock()
			if r.rows == nil {
				r.rows = map[string]int{}
			}
			r.rows[code]++
			r.mu.Unlock()
		}
		return err
	}
}

// err is the answer to an ingest some of whose rows were refused for
// want of a rate, nil when none was: a 503 missing-rate (with
// Retry-After, as every missing-rate answer), since the rows are valid
// and only the server's configuration keeps them out: a 422 would tell
// the client to mend rows that need no mending, and a pipeline to set
// them aside for good. Its errors list every row not stored, the
// refused ones and any bad ones, by line; the detail counts what was
// stored, which sending the body again only writes again (upserts by
// id).
func (r *refusedCurrencies) err(res IngestResult) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.rows) == 0 {
		return nil
	}
	curs := slices.Sorted(maps.Keys(r.rows))
	n := 0
	for _, c := range curs {
		n += r.rows[c]
	}
	// The refused rows first: they are what the detail is about; then
	// the rows sending the body again will not store.
	var refused, bad []FieldError
	for _, rj := range res.Rejects {
		if rj.Line > 0 && rj.Field == "currency" && r.rows[strings.ToUpper(strings.TrimSpace(rj.Value))] > 0 {
			refused = append(refused, rowError(rj))
		} else {
			bad = append(bad, rowError(rj))
		}
	}
	errs := append(refused, bad...)
	taken := "stored"
	if res.Spooled > 0 {
		taken = "taken (stored, or spooled while the store is away)"
	}
	list := strings.Join(curs, ", ")
	msg := fmt.Sprintf("%s for %s: %s in %s %s not stored, though valid: %s which rates lack %s and what the operator must do; "+
		"send the body again once it is done. ",
		ErrNoRate, list, plural(n, "row", "rows"), list, pick(n, "was", "were"), pick(n, "its error says", "each one's error says"), list)
	if res.Loaded == 0 {
		msg += "No row was " + taken
	} else {
		msg += fmt.Sprintf("%s %s %s (rows are upserts by id: sending the body again only writes %s again)",
			plural(res.Loaded, "row", "rows"), pick(res.Loaded, "was", "were"), taken, pick(res.Loaded, "it", "them"))
	}
	// A row refused for a currency is rejected for that alone: the others
	// are invalid, and sending them again, however often, stores none.
	if invalid := res.Rejected - n; invalid > 0 {
		msg += fmt.Sprintf(". %s %s invalid and will not be stored by sending the body again: mend %s first (errors lists %s after the %s %s)",
			plural(invalid, "other row", "other rows"), pick(invalid, "is", "are"), pick(invalid, "it", "them"), pick(invalid, "it", "them"),
			list, pick(len(refused), "row", "rows"))
	}
	if res.RejectsTruncated {
		msg += fmt.Sprintf(" (errors lists the first %d rejects only)", len(errs))
	}
	return &ValidationError{Msg: msg, Fields: errs, Kind: ErrNoRate}
}

// plural is n with the noun's singular or plural form: "1 row", "2 rows",
// "0 rows".
func plural(n int, one, many string) string {
	return strconv.Itoa(n) + " " + pick(n, one, many)
}

// pick is one when n is 1, many otherwise.
func pick(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ingestWarnings turns the importer's warnings, by kind with their rows
// as "path:line field \"value\"" (the path alone for the body as a
// whole), into the answer's: the list (at most maxRejectsListed kinds,
// and maxRejectsListed rows in all, as rejects), the count of warnings
// in all, and whether the list leaves warned rows out.
func ingestWarnings(ws []importer.Warning, path string) ([]IngestWarning, int, bool) {
	out := []IngestWarning{}
	total, truncated, budget := 0, false, maxRejectsListed
	for _, w := range ws {
		total += w.Count
		if len(out) == maxRejectsListed {
			truncated = true
			continue
		}
		iw := IngestWarning{Reason: apiWords(strings.ReplaceAll(w.Reason, path, "body")), Count: w.Count, Rows: []IngestWarningRow{}}
		iw.Line, iw.Field, iw.Value = warnedRow(w.Example, path)
		for _, r := range w.Rows {
			if budget == 0 {
				break
			}
			line, field, value := warnedRow(r, path)
			iw.Rows = append(iw.Rows, IngestWarningRow{Line: line, Field: field, Value: value})
			budget--
		}
		switch {
		case len(w.Rows) > 0 && len(iw.Rows) < w.Count:
			truncated = true // more rows than the importer or the answer lists
		case len(w.Rows) == 0 && w.Count > 1:
			truncated = true // rows the importer does not name (lines not UTF-8)
		}
		out = append(out, iw)
	}
	return out, total, truncated
}

// warnedRow reads the importer's "path:line field \"value\"": line 0 and
// no field for the body as a whole.
func warnedRow(s, path string) (line int, field, value string) {
	rest, ok := strings.CutPrefix(s, path+":")
	if !ok {
		return 0, "", ""
	}
	num, loc, _ := strings.Cut(rest, " ")
	line, _ = strconv.Atoi(num)
	field, quoted, _ := strings.Cut(loc, " ")
	if v, err := strconv.Unquote(quoted); err == nil {
		return line, field, v
	}
	return line, field, quoted
}

// apiWords rewords the importer's messages for the API: they name the
// CLI's flags, which are query parameters here (or, for those the API
// lacks, the CLI's import).
func apiWords(s string) string {
	return strings.NewReplacer(
		"--date-format", "?date_format=", "--columns", "?columns=", "--doc-types", "?doc_types=", "--decimal-comma", "?decimal_comma=true",
		"--decimal-point", "dsopilot import --decimal-point", "--encoding", "dsopilot import --encoding",
		"--round-amounts", "dsopilot import --round-amounts", "--kind", "the entity in the path",
		"--dunning-levels", "dsopilot import --dunning-levels", "--terms", "?terms=", "--dispute-reasons", "?dispute_reasons=").Replace(s)
}

// readRejects reads up to maxRejectsListed rejects of the importer's
// rejects file (file,line,field,value,reason).
func readRejects(path string, n int) ([]IngestReject, bool, error) {
	out := []IngestReject{}
	if n == 0 {
		return out, false, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, false, fmt.Errorf("read rejects: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = 5
	if _, err := r.Read(); err != nil {
		return nil, false, fmt.Errorf("read rejects: %w", err)
	}
	truncated := false
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, false, fmt.Errorf("read rejects: %w", err)
		}
		if len(out) == maxRejectsListed {
			truncated = true
			break
		}
		line, _ := strconv.Atoi(rec[1])
		out = append(out, IngestReject{Line: line, Field: rec[2], Value: rec[3], Reason: apiWords(rec[4])})
	}
	return out, truncated, nil
}
