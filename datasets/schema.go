package datasets

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Kind is the type of a field: how a file writes it, how an importer parses
// it and how the stores keep it.
type Kind uint8

// The kinds of fields.
const (
	// KindText is a string. Files write it as is; importers trim it and
	// apply the field's Case.
	KindText Kind = iota + 1
	// KindDate is a Date; files write YYYY-MM-DD, or nothing when unset.
	KindDate
	// KindMoney is Money; files write 1234.50.
	KindMoney
	// KindBool is a flag; files write true or false.
	KindBool
	// KindTerms is payment Terms; files write NET30 or EOM30.
	KindTerms
	// KindProbability is a float64 in (0, 1]; 0, written as nothing, is
	// unknown.
	KindProbability
	// KindNumber is a float64 that may be unknown: the field's Known
	// accessor says whether it is set. Files write nothing when unknown.
	KindNumber
)

var kindNames = [...]string{KindText: "text", KindDate: "date", KindMoney: "money", KindBool: "bool",
	KindTerms: "terms", KindProbability: "probability", KindNumber: "number"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Case is how a text field's letters are normalised on import.
type Case uint8

// The cases.
const (
	CaseAsIs  Case = iota // kept as written
	CaseUpper             // ISO codes: country, currency
	CaseLower             // labels: action type, channel, status
)

// Column is what a field is, independent of the record type: the part of a
// Field that file formats, help texts and the importer's header matching
// need.
type Column struct {
	// Name is the canonical column name in files and in --columns.
	Name string
	// Store is the column name in ClickHouse tables when it differs from
	// Name (note_date, action_type); a KindTerms field is stored as two
	// columns, Store+"_days" and Store+"_eom".
	Store string
	Kind  Kind
	// Required means a file must have the column and each row a value.
	Required bool
	// Case applies to text fields.
	Case Case
	// Values, when set, are the text values allowed; the first is taken
	// for an empty one.
	Values []string
	// NonNegative refuses a negative amount.
	NonNegative bool
	// CurrencyCode refuses a text that is not empty or three letters (an
	// ISO 4217 code): "EURO" or "€" would otherwise be stored as a
	// currency of its own and fail every conversion later, far from the
	// line that brought it.
	CurrencyCode bool
	// CountryCode reads a country's name or alpha-3 code as its alpha-2
	// code (CountryCode), which the importer warns of, as it warns of a
	// value that is no code at all.
	CountryCode bool
	// Blank, when set, is what a row with the column but an empty value
	// is read as, said as a warning: an empty amount cannot be told from
	// a written zero once stored, so the reader must hear which it became.
	Blank string
}

// StoreName is the column's name in the stores' tables.
func (c *Column) StoreName() string {
	if c.Store != "" {
		return c.Store
	}
	return c.Name
}

// Field is one field of a record type T: its Column and the accessor of
// its kind (exactly one is set; KindNumber also sets Known). Every reader
// and writer of ledger records (CSV files, the importer, the ClickHouse and
// embedded stores) works from these, so a field is described once.
type Field[T any] struct {
	Column
	Text  func(*T) *string
	Date  func(*T) *Date
	Money func(*T) *Money
	Bool  func(*T) *bool
	Terms func(*T) *Terms
	Float func(*T) *float64
	Known func(*T) *bool
	// BlankFlag, when set, is the flag an importer sets when the field's
	// column is there but its value is empty (BlankSets).
	BlankFlag func(*T) *bool
}

// TextField describes a string field.
func TextField[T any](name string, get func(*T) *string) Field[T] {
	return Field[T]{Column: Column{Name: name, Kind: KindText}, Text: get}
}

// DateField describes a Date field.
func DateField[T any](name string, get func(*T) *Date) Field[T] {
	return Field[T]{Column: Column{Name: name, Kind: KindDate}, Date: get}
}

// MoneyField describes a Money field.
func MoneyField[T any](name string, get func(*T) *Money) Field[T] {
	return Field[T]{Column: Column{Name: name, Kind: KindMoney}, Money: get}
}

// BoolField describes a flag.
func BoolField[T any](name string, get func(*T) *bool) Field[T] {
	return Field[T]{Column: Column{Name: name, Kind: KindBool}, Bool: get}
}

// TermsField describes payment terms.
func TermsField[T any](name string, get func(*T) *Terms) Field[T] {
	return Field[T]{Column: Column{Name: name, Kind: KindTerms}, Terms: get}
}

// ProbabilityField describes a probability in (0, 1], 0 when unknown.
func ProbabilityField[T any](name string, get func(*T) *float64) Field[T] {
	return Field[T]{Column: Column{Name: name, Kind: KindProbability}, Float: get}
}

// NumberField describes a number that may be unknown (known false).
func NumberField[T any](name string, get func(*T) *float64, known func(*T) *bool) Field[T] {
	return Field[T]{Column: Column{Name: name, Kind: KindNumber}, Float: get, Known: known}
}

// Req marks the field required.
func (f Field[T]) Req() Field[T] { f.Required = true; return f }

// In names the field's store column.
func (f Field[T]) In(column string) Field[T] { f.Store = column; return f }

// Upper makes the importer upper-case the field.
func (f Field[T]) Upper() Field[T] { f.Case = CaseUpper; return f }

// Lower makes the importer lower-case the field.
func (f Field[T]) Lower() Field[T] { f.Case = CaseLower; return f }

// OneOf restricts a lower-case text field to values, the first being the
// default for an empty value.
func (f Field[T]) OneOf(values ...string) Field[T] {
	f.Case, f.Values = CaseLower, values
	return f
}

// NotNegative refuses negative amounts.
func (f Field[T]) NotNegative() Field[T] { f.NonNegative = true; return f }

// WarnBlank says what an empty value of the field is read as (see
// Column.Blank): the importer warns of each such row.
func (f Field[T]) WarnBlank(readAs string) Field[T] { f.Blank = readAs; return f }

// BlankSets names the flag an empty value of the field sets on import, so
// that a blank is kept apart from what it is read as (a blank credit limit
// is no limit recorded, 0.00 is no credit). The flag is a field of its own.
func (f Field[T]) BlankSets(flag func(*T) *bool) Field[T] { f.BlankFlag = flag; return f }

// Currency marks a currency code: upper-cased, empty or three letters.
// Country marks a country field: stored as an ISO 3166-1 alpha-2 code
// (CountryCode), upper-cased.
func (f Field[T]) Country() Field[T] { f.Case, f.CountryCode = CaseUpper, true; return f }

func (f Field[T]) Currency() Field[T] { f.Case, f.CurrencyCode = CaseUpper, true; return f }

// Format writes the field of r as a file writes it.
func (f *Field[T]) Format(r *T) string {
	switch f.Kind {
	case KindText:
		return *f.Text(r)
	case KindDate:
		return f.Date(r).String()
	case KindMoney:
		return f.Money(r).String()
	case KindBool:
		if *f.Bool(r) {
			return "true"
		}
		return "false"
	case KindTerms:
		return f.Terms(r).String()
	case KindProbability:
		if p := *f.Float(r); p != 0 {
			return strconv.FormatFloat(p, 'g', -1, 64)
		}
		return ""
	case KindNumber:
		if *f.Known(r) {
			return strconv.FormatFloat(*f.Float(r), 'g', -1, 64)
		}
		return ""
	}
	return ""
}

// Problem is one thing wrong (or, for warnings, suspicious) with a field of
// a record.
type Problem struct {
	Field, Value, Reason string
	// FileHint, when set, says how to mend the problem in a file import
	// (a flag to pass): the importer appends it to Reason; the API,
	// which reads no files, leaves it out.
	FileHint string
}

// Schema describes an entity's record type T: its fields in file order,
// which of them is the natural id and which the customer reference, where
// its records live in a Ledger, and the rules a record obeys. Build one with
// NewSchema; the package's own are returned by CustomersSchema and the like
// and must not be modified.
type Schema[T any] struct {
	entity   Entity
	fields   []Field[T]
	id, cust int // indexes into fields
	rows     func(*Ledger) *[]T
	count    func(*Counts) *uint64
	rules    Rules[T]
	// The fields each generic check applies to, found once: Check and
	// Complete run for every imported row.
	nonEmpty, enums, codes, checked []int
}

// Rules are an entity's checks beyond each field's own (required, allowed
// values, not negative).
type Rules[T any] struct {
	// Complete fills values derived from others (a default id), before
	// the checks.
	Complete func(*T)
	// Check reports what makes a record invalid (a due date before the
	// issue date).
	Check func(r *T, bad func(Problem))
	// Warn reports what is valid but suspicious (a negative payment).
	Warn func(r *T, warn func(Problem))
}

// NewSchema describes entity e: idName and customerName name the fields
// holding the natural id and the customer id (the same for customers).
// It panics when they are not among fields: a schema is a program constant.
func NewSchema[T any](e Entity, idName, customerName string, rows func(*Ledger) *[]T, count func(*Counts) *uint64,
	rules Rules[T], fields ...Field[T]) *Schema[T] {
	s := &Schema[T]{entity: e, fields: fields, id: -1, cust: -1, rows: rows, count: count, rules: rules}
	for i := range fields {
		f := &fields[i]
		if f.Name == idName {
			s.id = i
		}
		if f.Name == customerName {
			s.cust = i
		}
	}
	if s.id < 0 || s.cust < 0 || fields[s.id].Kind != KindText || fields[s.cust].Kind != KindText {
		panic(fmt.Sprintf("schema %s: id %q and customer %q must be text fields", e, idName, customerName))
	}
	for i := range fields {
		f := &fields[i]
		switch {
		case f.Kind == KindText && (i == s.id || i == s.cust || f.Required):
			s.nonEmpty = append(s.nonEmpty, i)
		case f.Kind == KindText && len(f.Values) > 0:
			s.enums = append(s.enums, i)
		case f.Kind == KindText && f.CurrencyCode:
			s.codes = append(s.codes, i)
		case f.Kind == KindMoney && f.NonNegative, f.Kind == KindProbability, f.Kind == KindNumber:
			s.checked = append(s.checked, i)
		}
		if f.Kind == KindText && len(f.Values) > 0 && (i == s.id || i == s.cust || f.Required) {
			panic(fmt.Sprintf("schema %s: field %s has allowed values and cannot be required", e, f.Name))
		}
	}
	return s
}

// Entity is the entity s describes.
func (s *Schema[T]) Entity() Entity { return s.entity }

// Fields are s's fields in file order. The slice must not be modified.
func (s *Schema[T]) Fields() []Field[T] { return s.fields }

// Columns are s's columns in file order.
func (s *Schema[T]) Columns() []Column {
	out := make([]Column, len(s.fields))
	for i := range s.fields {
		out[i] = s.fields[i].Column
	}
	return out
}

// IDColumn is the name of the natural id's column.
func (s *Schema[T]) IDColumn() string { return s.fields[s.id].Name }

// ID is r's natural id.
func (s *Schema[T]) ID(r *T) string { return *s.fields[s.id].Text(r) }

// CustomerID is the customer r belongs to (for a customer, its id).
func (s *Schema[T]) CustomerID(r *T) string { return *s.fields[s.cust].Text(r) }

// IDIndex and CustomerIndex are the positions of the id and customer
// fields in Fields.
func (s *Schema[T]) IDIndex() int { return s.id }

// CustomerIndex is the position of the customer field in Fields.
func (s *Schema[T]) CustomerIndex() int { return s.cust }

// StoreOrder returns the fields in the order the stores lay them out: the
// natural id first (the ClickHouse sort key), then the others in file
// order. New fields are added at the end of an entity's list, which keeps
// the embedded store's older records readable.
func (s *Schema[T]) StoreOrder() []Field[T] {
	out := make([]Field[T], 0, len(s.fields))
	out = append(out, s.fields[s.id])
	for i := range s.fields {
		if i != s.id {
			out = append(out, s.fields[i])
		}
	}
	return out
}

// Rows returns the slice of l that holds s's records.
func (s *Schema[T]) Rows(l *Ledger) *[]T { return s.rows(l) }

// Count returns the member of c that counts s's records.
func (s *Schema[T]) Count(c *Counts) *uint64 { return s.count(c) }

// Len is the number of s's records in l.
func (s *Schema[T]) Len(l *Ledger) int { return len(*s.rows(l)) }

// Record formats r as a row of s's columns.
func (s *Schema[T]) Record(r *T) []string {
	out := make([]string, len(s.fields))
	for i := range s.fields {
		out[i] = s.fields[i].Format(r)
	}
	return out
}

// EachRecord calls fn with every record of s's entity in l, formatted.
func (s *Schema[T]) EachRecord(l *Ledger, fn func(rec []string)) {
	rows := *s.rows(l)
	for i := range rows {
		fn(s.Record(&rows[i]))
	}
}

// Complete fills r's derived values: the default of an empty text field
// that has allowed values, and the entity's own (a default id).
func (s *Schema[T]) Complete(r *T) {
	for _, i := range s.enums {
		if f := &s.fields[i]; *f.Text(r) == "" {
			*f.Text(r) = f.Values[0]
		}
	}
	if s.rules.Complete != nil {
		s.rules.Complete(r)
	}
}

// Check reports every problem that makes r invalid: an empty id, customer
// or required text, a text value not allowed, a negative amount where none
// is allowed, a probability outside (0, 1], a score that is no finite
// number, and the entity's own rules. Required dates and amounts that are
// empty in a file are the importer's to report: a zero amount cannot tell
// "empty" from "zero".
func (s *Schema[T]) Check(r *T, bad func(Problem)) {
	for _, i := range s.nonEmpty {
		if f := &s.fields[i]; *f.Text(r) == "" {
			reason := "missing value"
			if i == s.id || i == s.cust || strings.HasSuffix(f.Name, "_id") {
				reason = "empty id"
			}
			bad(Problem{Field: f.Name, Reason: reason})
		}
	}
	for _, i := range s.enums {
		if f := &s.fields[i]; !slices.Contains(f.Values, *f.Text(r)) {
			bad(Problem{Field: f.Name, Value: *f.Text(r), Reason: "want " + orList(f.Values)})
		}
	}
	for _, i := range s.codes {
		if f := &s.fields[i]; *f.Text(r) != "" && !isISOCurrency(*f.Text(r)) {
			bad(Problem{Field: f.Name, Value: *f.Text(r), Reason: currencyProblem(*f.Text(r))})
		}
	}
	for _, i := range s.checked {
		f := &s.fields[i]
		switch f.Kind {
		case KindMoney:
			if m := *f.Money(r); m < 0 {
				bad(Problem{Field: f.Name, Value: m.String(), Reason: "negative amount"})
			}
		case KindProbability:
			if p := *f.Float(r); p != 0 && !(p > 0 && p <= 1) {
				bad(Problem{Field: f.Name, Value: strconv.FormatFloat(p, 'g', -1, 64), Reason: "a probability must be in (0, 1]"})
			}
		case KindNumber:
			if v := *f.Float(r); *f.Known(r) && (math.IsNaN(v) || math.IsInf(v, 0)) {
				bad(Problem{Field: f.Name, Value: strconv.FormatFloat(v, 'g', -1, 64), Reason: "not a finite number"})
			}
		}
	}
	if s.rules.Check != nil {
		s.rules.Check(r, bad)
	}
}

// Warn reports what is valid but suspicious about r.
func (s *Schema[T]) Warn(r *T, warn func(Problem)) {
	if s.rules.Warn != nil {
		s.rules.Warn(r, warn)
	}
}

// orList writes a, b or c.
func orList(vs []string) string {
	switch len(vs) {
	case 0:
		return ""
	case 1:
		return vs[0]
	}
	out := vs[0]
	for _, v := range vs[1 : len(vs)-1] {
		out += ", " + v
	}
	return out + " or " + vs[len(vs)-1]
}

// notBefore reports later when it precedes earlier (both set).
func notBefore(bad func(Problem), laterName string, later Date, earlierName string, earlier Date) {
	if later != 0 && earlier != 0 && later < earlier {
		bad(Problem{Field: laterName, Value: later.String(), Reason: laterName + " is before " + earlierName + " " + earlier.String()})
	}
}

// Description is what a Schema says about its entity whatever its record
// type, for code that handles every entity alike.
type Description interface {
	Entity() Entity
	Columns() []Column
	IDColumn() string
	Len(l *Ledger) int
	Count(c *Counts) *uint64
	EachRecord(l *Ledger, fn func(rec []string))
}

var (
	_ Description = (*Schema[Customer])(nil)
	_ Description = (*Schema[Financial])(nil)
)
