package importer

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dsopilot/dsopilot/datasets"
)

// fieldError is one bad field of one row; kind is its reason without the
// value, to count rows rejected alike.
type fieldError struct {
	field, value, reason, kind string
}

// kinded is an error that says its kind.
type kinded interface{ errorKind() string }

func (e *dateError) errorKind() string   { return e.kind }
func (e *amountError) errorKind() string { return e.kind }

// rowDecoder turns the fields of one source row into a record of its
// entity, appended to a batch when it is valid. There is one per file,
// built from the entity's datasets.Schema.
type rowDecoder interface {
	// decode parses vals (aligned with the file's header). It returns the
	// record's id and customer id, valid or not; the row's problems are in
	// the parser's errs afterwards, and the record is in batch only when
	// there are none.
	decode(vals []string, batch *datasets.Ledger) (id, customer string)
	// newBatch returns a batch whose slice of the entity has room for n.
	newBatch(n int) *datasets.Ledger
	// count is the number of records of the entity in b.
	count(b *datasets.Ledger) int
}

// parser holds what decoding needs besides the schema: the value parsers
// configured by the options, the customer check, and the current row's
// problems.
type parser struct {
	dates   DateParser
	amounts *amountParser
	// latest is the latest day a record can be of: a later date of a
	// column that says something happened is refused (datasets.CheckHappened).
	latest datasets.Date
	// columns reads each money column of the file; scan looks at the whole
	// file for a column's decimal mark.
	columns map[string]*amountColumn
	scan    func(column string) (decimalMark, string)
	diag    *diagnosis
	// eomAfter: Options.EOMAfter.
	eomAfter bool
	// knownCustomer, when set, rejects rows whose customer is not in the
	// customer master; it is nil when customers are derived from invoices.
	knownCustomer func(id string) bool
	// whyUnknown, when set, is the problem of a row whose customer is not
	// known (its own row may have been rejected: master.go).
	whyUnknown func(id string) fieldError
	// The current row: its line, which of its fields were JSON numbers,
	// and its problems.
	line    int
	numeric func(i int) bool
	errs    []fieldError
	warns   []fieldError
	// derivable names the required field a blank of which amend may fill
	// (an invoice's due_date, from payment terms), "" when none; blank
	// says the current row left it blank.
	derivable string
	blank     bool
	// amend, when set, sees every parsed record before it is checked, with
	// the row's fields: it applies the file's conventions (conventions.go).
	amend func(rec any, vals []string)
	// typedInvoice is the current row's document type as written when
	// the file's type column is mapped and it reads as an invoice, ""
	// otherwise: a negative amount then needs another mapping of types
	// than of columns.
	typedInvoice string
	// creditTypes are the type values read as credit notes (the
	// --doc-types ones first), for that advice.
	creditTypes []string
	// reversal says the current row is a payment by its type written
	// positive, a debit on the customer's account: a reversed payment,
	// loaded negative (typedpay.go).
	reversal bool
	// termsKeys are the ERP's terms keys the import was told of
	// (Options.TermsKeys), read before any other form.
	termsKeys map[string]datasets.Terms
}

// warnTermsNotRead and warnTermsTwoWays are the warnings of payment terms
// that could not be read: the row is loaded with its terms blank. One
// kind each whatever the text, so that the summary counts them together
// ("30 Tage netto", "14 dagen"); the rows list the texts.
const (
	termsLoadedBlank = "loaded without terms (due dates are then taken from the invoices; an invoice of this customer without one is rejected)"
	warnTermsNotRead = "payment terms not read (" + datasets.TermsForms + "; a cash discount without net terms beside it is not read: write the net terms): " + termsLoadedBlank
	// warnTermsDiscount is a warning so that it is seen: a discount
	// taken is owed money unless the payments say it was granted.
	warnTermsDiscount = "payment terms with a cash discount (14 Tage 2% Skonto, 30 Tage netto; 2/10 net 30): the net terms are read, the due date; " +
		"a discount taken is read from the payments file's discount column (--columns payments.discount=<header>): without it the discount stays owed on the invoice"
	warnTermsTwoWays = "payment terms with days and the end of the month but no \"after\" (60 jours fin de mois, 60 días fin de mes) read two ways, " +
		"after the end of the month or the end of the month after the days (write EOM60 for 60 days after the end of the issue month, or import with --eom-after to read them all so): " + termsLoadedBlank
	// warnTermsEOMAfter names the assumption --eom-after states.
	warnTermsEOMAfter = "payment terms with days and the end of the month but no \"after\" (30 days end of month, Net 30 EOM) read as days after the end of the issue month (EOM30), as --eom-after says"
)

func (p *parser) fail(field, value, reason string) {
	p.errs = append(p.errs, fieldError{field: field, value: value, reason: reason, kind: reason})
}

func (p *parser) failErr(field, value string, err error) {
	kind := err.Error()
	if k, ok := err.(kinded); ok {
		kind = k.errorKind()
	}
	p.errs = append(p.errs, fieldError{field: field, value: value, reason: err.Error(), kind: kind})
}

// column returns the reader of money column name.
func (p *parser) column(name string) *amountColumn {
	c := p.columns[name]
	if c == nil {
		c = p.amounts.column(name, func() (decimalMark, string) { return p.scan(name) })
		p.columns[name] = c
	}
	return c
}

// decoder is the rowDecoder of records of type T.
type decoder[T any] struct {
	schema *datasets.Schema[T]
	fields []datasets.Field[T]
	at     []int // index in a row of each field, -1 when the file lacks it
	p      *parser
	// bad and warn collect the schema's problems; made once, not per row.
	bad, warn func(datasets.Problem)
	// dirty says the slot past the end of the batch holds a rejected
	// record, which must be cleared before it is reused.
	dirty bool
	// amounts reads each money field, dates samples each date field (nil
	// for other fields).
	amounts []*amountColumn
	dates   []*dateSample
	// happened says which fields are of a day something happened on,
	// which cannot be after the parser's latest.
	happened []bool
	// row is the row being decoded, and fieldAt each field's index in
	// fields by name: a problem the schema finds in the parsed record
	// quotes its field's text as written, not as parsed ("03/01/2024",
	// not "2024-03-01").
	row     []string
	fieldAt map[string]int
	// currency is the index in fields of the record's currency code, -1
	// when it has none; signs are the currencies the current row's
	// amounts were written with, checked against it (accounting.go).
	currency int
	signs    []writtenSign
}

// writtenSign is an amount of the current row written with a currency.
type writtenSign struct {
	field, value, sign string
}

// written is the text of field name in the current row as the file has it
// (trimmed), or parsed when the file has no such column.
func (d *decoder[T]) written(name, parsed string) string {
	if i, ok := d.fieldAt[name]; ok {
		if j := d.at[i]; j >= 0 && j < len(d.row) {
			return trimSpace(d.row[j])
		}
	}
	return parsed
}

// newDecoder resolves schema's fields against pos (canonical column name to
// index in the file's rows).
func newDecoder[T any](schema *datasets.Schema[T], pos map[string]int, p *parser) *decoder[T] {
	d := &decoder[T]{schema: schema, fields: schema.Fields(), p: p}
	d.bad = func(pr datasets.Problem) {
		switch {
		case pr.FileHint != "" && p.typedInvoice != "" && pr.Field == "amount":
			// The type column is mapped already: mapping it is no advice.
			pr.Reason += " " + negativeTypedInvoiceHint(p.typedInvoice, p.creditTypes)
		case pr.FileHint != "":
			pr.Reason += " " + pr.FileHint
		}
		kind, reason := pr.Reason, pr.Reason
		if later, earlier, ok := strings.Cut(pr.Reason, " is before "); ok {
			kind = later + " is before another date"
			// The other date as the file writes it, not as parsed.
			if name, iso, ok := strings.Cut(earlier, " "); ok {
				reason = later + " is before " + name + " " + d.written(name, iso)
			}
		}
		p.errs = append(p.errs, fieldError{field: pr.Field, value: d.written(pr.Field, pr.Value), reason: reason, kind: kind})
	}
	d.warn = func(pr datasets.Problem) {
		if pr.FileHint != "" {
			pr.Reason += " " + pr.FileHint
		}
		p.warns = append(p.warns, fieldError{field: pr.Field, value: d.written(pr.Field, pr.Value), reason: pr.Reason, kind: pr.Reason})
	}
	d.fieldAt = make(map[string]int, len(d.fields))
	d.currency = -1
	for i := range d.fields {
		d.fieldAt[d.fields[i].Name] = i
		if d.fields[i].CurrencyCode && d.currency < 0 {
			d.currency = i
		}
	}
	d.at = make([]int, len(d.fields))
	d.amounts = make([]*amountColumn, len(d.fields))
	d.dates = make([]*dateSample, len(d.fields))
	d.happened = make([]bool, len(d.fields))
	happened := datasets.HappenedColumns(schema.Entity())
	for i := range d.fields {
		f := &d.fields[i]
		d.happened[i] = slices.Contains(happened, f.Name)
		d.at[i] = -1
		j, ok := pos[f.Name]
		if !ok {
			continue
		}
		d.at[i] = j
		switch f.Kind {
		case datasets.KindMoney:
			d.amounts[i] = p.column(f.Name)
		case datasets.KindDate:
			d.dates[i] = p.diag.sample(f.Name)
		}
	}
	return d
}

// decoderFor returns the decoder of entity e's rows, nil for an unknown e.
func decoderFor(e datasets.Entity, pos map[string]int, p *parser) rowDecoder {
	switch e {
	case datasets.EntityCustomers:
		return newDecoder(datasets.CustomersSchema(), pos, p)
	case datasets.EntityInvoices:
		return newDecoder(datasets.InvoicesSchema(), pos, p)
	case datasets.EntityPayments:
		return newDecoder(datasets.PaymentsSchema(), pos, p)
	case datasets.EntityCreditNotes:
		return newDecoder(datasets.CreditNotesSchema(), pos, p)
	case datasets.EntityDisputes:
		return newDecoder(datasets.DisputesSchema(), pos, p)
	case datasets.EntityActions:
		return newDecoder(datasets.ActionsSchema(), pos, p)
	case datasets.EntityPromises:
		return newDecoder(datasets.PromisesSchema(), pos, p)
	case datasets.EntityCreditDecisions:
		return newDecoder(datasets.CreditDecisionsSchema(), pos, p)
	case datasets.EntityFinancials:
		return newDecoder(datasets.FinancialsSchema(), pos, p)
	}
	return nil
}

func (d *decoder[T]) newBatch(n int) *datasets.Ledger {
	d.dirty = false
	b := &datasets.Ledger{}
	*d.schema.Rows(b) = make([]T, 0, n)
	return b
}

func (d *decoder[T]) count(b *datasets.Ledger) int { return d.schema.Len(b) }

func (d *decoder[T]) decode(vals []string, batch *datasets.Ledger) (id, customer string) {
	p := d.p
	d.row = vals
	d.signs = d.signs[:0]
	rows := d.schema.Rows(batch)
	// Decode in place at the end of the batch: no copy of the record, and
	// an invalid one is dropped by cutting the slice back. The batch's
	// memory is zero when allocated, so a slot needs clearing only after
	// a rejected record used it.
	var r *T
	if n := len(*rows); n < cap(*rows) {
		*rows = (*rows)[:n+1]
		r = &(*rows)[n]
		if d.dirty {
			var zero T
			*r, d.dirty = zero, false
		}
	} else {
		var zero T
		*rows = append(*rows, zero)
		r = &(*rows)[n]
	}
	for i := range d.fields {
		f := &d.fields[i]
		v := ""
		if j := d.at[i]; j >= 0 && j < len(vals) {
			v = trimSpace(vals[j])
		}
		if v == "" {
			// Empty text is checked by the schema; an empty date or amount
			// cannot be told from an unset one afterwards.
			if f.Required && f.Kind != datasets.KindText {
				if f.Name == p.derivable {
					p.blank = true // amend fills it or rejects the row
				} else {
					p.fail(f.Name, "", missing(f.Kind))
				}
			} else if f.Blank != "" && d.at[i] >= 0 {
				p.warns = append(p.warns, fieldError{field: f.Name, reason: f.Blank, kind: f.Blank})
				if f.BlankFlag != nil {
					*f.BlankFlag(r) = true
				}
			}
			continue
		}
		d.parse(i, f, r, v)
	}
	if p.amend != nil {
		p.amend(any(r), vals)
	}
	d.schema.Complete(r)
	d.checkSigns(r)
	d.schema.Check(r, d.bad)
	id, customer = d.schema.ID(r), d.schema.CustomerID(r)
	if p.knownCustomer != nil && customer != "" && d.schema.CustomerIndex() != d.schema.IDIndex() && !p.knownCustomer(customer) {
		fe := fieldError{value: customer, reason: unknownCustomer, kind: unknownCustomer}
		if p.whyUnknown != nil {
			fe = p.whyUnknown(customer)
		}
		fe.field = d.fields[d.schema.CustomerIndex()].Name
		p.errs = append(p.errs, fe)
	}
	if len(p.errs) > 0 {
		*rows = (*rows)[:len(*rows)-1]
		d.dirty = true
		return id, customer
	}
	d.schema.Warn(r, d.warn)
	return id, customer
}

// Warnings of a country not written as an ISO code.
const (
	warnCountryRead    = "country written as a name or a three-letter code, read as its ISO 3166 code (United States: US)"
	warnCountryNotCode = "country not an ISO 3166 code, nor a name read as one: kept as written, upper-cased (no country's public holidays apply to it, and it is a group of its own)"
)

// country reads a country field's text v as its ISO code, warning of a
// name read so and of a text that is no code.
func (p *parser) country(field, v string) string {
	code, read, ok := datasets.CountryCode(v)
	switch {
	case read:
		p.warns = append(p.warns, fieldError{field: field, value: v, kind: warnCountryRead, reason: warnCountryRead})
	case !ok:
		p.warns = append(p.warns, fieldError{field: field, value: v, kind: warnCountryNotCode, reason: warnCountryNotCode})
	}
	return code
}

// parse sets field f (the i-th) of r from the non-empty text v.
func (d *decoder[T]) parse(i int, f *datasets.Field[T], r *T, v string) {
	p := d.p
	switch f.Kind {
	case datasets.KindText:
		if f.CountryCode {
			*f.Text(r) = p.country(f.Name, v)
			return
		}
		switch f.Case {
		case datasets.CaseUpper:
			v = strings.ToUpper(v)
		case datasets.CaseLower:
			v = strings.ToLower(v)
		}
		*f.Text(r) = v
	case datasets.KindDate:
		t, err := p.dates.Parse(v)
		s := d.dates[i]
		if err != nil {
			p.failErr(f.Name, v, err)
			s.bad(v)
		} else {
			if d.happened[i] {
				if err := datasets.CheckHappened(t, p.latest); err != nil {
					p.errs = append(p.errs, fieldError{field: f.Name, value: v, reason: p.asWritten(err.Error(), t, v), kind: "a date in the future"})
				}
			}
			if s.goodN < sampleSize {
				s.good = append(s.good, v)
				s.goodN++
			}
		}
		*f.Date(r) = t
	case datasets.KindMoney:
		var m datasets.Money
		var err error
		if p.numeric != nil && p.numeric(d.at[i]) {
			m, err = p.amounts.jsonAmount(v)
		} else {
			body, sign, aerr := accountingAmount(v)
			if err = aerr; err == nil {
				m, err = d.amounts[i].parse(body, p.line)
			}
			if sign != "" {
				d.signs = append(d.signs, writtenSign{field: f.Name, value: v, sign: sign})
			}
		}
		if err != nil {
			p.failErr(f.Name, v, err)
		}
		*f.Money(r) = m
	case datasets.KindBool:
		b, err := parseBool(v)
		if err != nil {
			p.failErr(f.Name, v, err)
		}
		*f.Bool(r) = b
	case datasets.KindTerms:
		t, err := p.terms(v)
		if err != nil {
			// A warning, not a reject: the terms are an optional field
			// and invoices carry their own due dates, so refusing the
			// row lost a Spanish master's customers and, with them, 78%
			// of the ledger. The terms are left blank (as a master
			// without them), which the warning says; an invoice of the
			// customer without a due date is then rejected for it. One
			// kind for every text not read, so that the diagnosis counts
			// them together ("30 Tage netto", "14 dagen").
			kind := warnTermsNotRead
			if errors.Is(err, datasets.ErrTermsTwoWays) {
				kind = warnTermsTwoWays
			}
			p.warns = append(p.warns, fieldError{field: f.Name, value: v, kind: kind, reason: kind})
			t = datasets.Terms{}
		} else if datasets.CashDiscount(v) {
			p.warns = append(p.warns, fieldError{field: f.Name, value: v, kind: warnTermsDiscount, reason: warnTermsDiscount})
		}
		*f.Terms(r) = t
	case datasets.KindProbability:
		// The schema checks the range; 0 is the unset value, so a
		// written 0 must be refused here.
		x, err := parseNumber(v)
		switch {
		case err != nil:
			p.failErr(f.Name, v, err)
		case x == 0:
			p.fail(f.Name, v, "a probability must be in (0, 1]; leave it empty when unknown")
		}
		*f.Float(r) = x
	case datasets.KindNumber:
		x, err := parseNumber(v)
		if err != nil {
			p.failErr(f.Name, v, err)
		}
		*f.Float(r), *f.Known(r) = x, err == nil
	}
}

// asWritten is msg, which quotes the dates t (written v in the row) and
// the latest day in ISO, with them as the file writes dates.
func (p *parser) asWritten(msg string, t datasets.Date, v string) string {
	msg = strings.ReplaceAll(msg, t.String(), v)
	return strings.ReplaceAll(msg, p.latest.String(), p.dates.Write(p.latest))
}

func missing(k datasets.Kind) string {
	if k == datasets.KindMoney {
		return "missing amount"
	}
	return "missing " + k.String()
}

// parseNumber reads a plain decimal number (a score, a probability); a
// decimal comma is accepted when it is the only separator.
func parseNumber(s string) (float64, error) {
	if strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
		s = strings.Replace(s, ",", ".", 1)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c == '.' || (i == 0 && (c == '-' || c == '+'))) {
			return 0, errNotNumber
		}
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, errNotNumber
	}
	return x, nil
}

// trimSpace is strings.TrimSpace without its scan when, as nearly always,
// s neither starts nor ends with a space: Unicode spaces are ASCII bytes up
// to ' ' or multi-byte sequences, whose bytes are all >= utf8.RuneSelf.
func trimSpace(s string) string {
	if n := len(s); n == 0 || s[0] > ' ' && s[0] < utf8.RuneSelf && s[n-1] > ' ' && s[n-1] < utf8.RuneSelf {
		return s
	}
	return strings.TrimSpace(s)
}

// unknownCustomer is the reason a row of a customer the customer master
// does not hold is rejected, with what to do about it.
const unknownCustomer = "unknown customer: not in the customer master (the customers file or the store); add the customer to the customers file and import that file first, then this one again"

// derivedCustomer builds a customer record from what an invoice row says,
// for ledgers imported without a customer master (a cleared-items export).
func derivedCustomer(v *datasets.Invoice) datasets.Customer {
	return datasets.Customer{ID: v.CustomerID, Segment: v.Segment, Country: v.Country, Currency: v.Currency, Channel: v.Channel}
}

// checkSigns refuses the amounts of r written in another currency than
// its own. A record without a currency field (a credit note, a promise),
// or with it blank, has nothing to check them against: they are read as
// written, and each row is warned of, so that a "£12.00" on a euro
// invoice's credit note is not taken for 12 euros unseen.
func (d *decoder[T]) checkSigns(r *T) {
	if len(d.signs) == 0 {
		return
	}
	cur := ""
	if d.currency >= 0 {
		cur = *d.fields[d.currency].Text(r)
	}
	if cur == "" {
		for _, w := range d.signs {
			d.p.warns = append(d.p.warns, fieldError{field: w.field, value: w.value, kind: warnSignUnchecked, reason: warnSignUnchecked})
		}
		return
	}
	for _, w := range d.signs {
		if !signMatches(w.sign, cur) {
			d.p.errs = append(d.p.errs, fieldError{field: w.field, value: w.value, reason: signMismatch(w.sign, cur),
				kind: "amount written in another currency than the row's"})
		}
	}
}

// terms reads payment terms v: as --eom-after says when set, warning of
// each terms read so.
func (p *parser) terms(v string) (datasets.Terms, error) {
	if t, ok := datasets.LookupTermsKey(p.termsKeys, v); ok {
		return t, nil
	}
	t, err := datasets.ParseTerms(v)
	if err == nil || !p.eomAfter || !errors.Is(err, datasets.ErrTermsTwoWays) {
		return t, err
	}
	if t, err = datasets.ParseTermsEOMAfter(v); err == nil {
		p.warns = append(p.warns, fieldError{field: "payment_terms", value: v, kind: warnTermsEOMAfter, reason: warnTermsEOMAfter})
	}
	return t, err
}
