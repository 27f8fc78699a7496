package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/importer"
)

// DateText is a date in a request: YYYY-MM-DD. It is read as text and
// checked by the handler, so a bad date is reported with its field.
type DateText string

// AmountText is an amount in a request: a JSON number or a quoted decimal
// (1234.5, "1234.50", "1,234.50"), read exactly to the cent, never through
// a float.
type AmountText json.RawMessage

// UnmarshalJSON keeps the literal.
func (a *AmountText) UnmarshalJSON(b []byte) error {
	*a = AmountText(bytes.Clone(b))
	return nil
}

// MarshalJSON writes the literal back.
func (a AmountText) MarshalJSON() ([]byte, error) {
	if len(a) == 0 {
		return []byte("null"), nil
	}
	return a, nil
}

// decodeJSON reads body into v strictly: one JSON value, no unknown
// fields. Syntax errors are 400; values of the wrong type and unknown
// fields 422 with the field.
func decodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(body, reflect.TypeOf(v), err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &ValidationError{Msg: "malformed JSON", Kind: ErrMalformed,
			Fields: []FieldError{{Pointer: "", Detail: "more than one JSON value in the body"}}}
	}
	return duplicateKey(body)
}

// duplicateKey refuses a body with a key twice in one object (a 422 at
// the second): encoding/json keeps the last without a word, and which of
// the two values the client meant is not known. Keys that differ only in
// case are the same key: encoding/json matches a key to a field
// regardless of case, so "Amount" and "amount" fill one field.
func duplicateKey(body []byte) error {
	if at, detail, dup := duplicateKeyAt(body); dup {
		return invalid("duplicate key", FieldError{Pointer: at, Detail: detail})
	}
	return nil
}

// duplicateKeyAt is the pointer of body's first repeated key (regardless
// of case) and what to say of it.
func duplicateKeyAt(body []byte) (at, detail string, dup bool) {
	at, earlier, dup := importer.DuplicateKeyFold(body)
	if !dup {
		return "", "", false
	}
	detail = "duplicate key"
	if key := pointerKey(at); key != earlier {
		detail = fmt.Sprintf("duplicate key: %q earlier in the object names the same field (keys are matched regardless of case)", earlier)
	}
	return at, detail, true
}

// pointerKey is the last key of an RFC 6901 pointer, unescaped.
func pointerKey(at string) string {
	k := at[strings.LastIndexByte(at, '/')+1:]
	return strings.ReplaceAll(strings.ReplaceAll(k, "~1", "/"), "~0", "~")
}

// decodeFields reads body into v as decodeJSON does, but reports the
// errors of single fields (every unknown field, a value of the wrong
// type) in fe rather than as an error, so that the handler goes on to
// check the other fields and answers every error of the body in one
// 422: an unknown field (a misspelt colour) no longer hides a bad
// currency. encoding/json fills every other field of v before it
// reports those. The error is a body that does not parse (400), or of
// a type the walk cannot place.
func decodeFields(body []byte, v any, fe *fieldErrors) error {
	err := decodeJSON(body, v)
	var ve *ValidationError
	if err == nil || !errors.As(err, &ve) || ve.Kind != nil {
		return err // nil, or malformed
	}
	t := reflect.TypeOf(v)
	// encoding/json names the first error only: every value of the wrong
	// type and every unknown field are found by walking the body.
	wrong := locateWrongTypes(body, t.Elem())
	unknown := locateUnknownFields(body, t)
	switch {
	case len(wrong) > 0:
		*fe = append(*fe, wrong...)
	case ve.Msg == "wrong JSON type":
		*fe = append(*fe, ve.Fields...) // a value the walk did not place
	}
	if len(unknown) == 0 && ve.Msg == "unknown field" {
		*fe = append(*fe, ve.Fields...) // a field the walk did not place
	}
	for _, at := range unknown {
		fe.add(at, "unknown field")
	}
	if at, detail, dup := duplicateKeyAt(body); dup {
		fe.add(at, detail)
	}
	return nil
}

// jsonError turns encoding/json's error about body, decoded into a value
// of type t, into a ValidationError whose pointer is the field's full
// RFC 6901 pointer.
func jsonError(body []byte, t reflect.Type, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return &ValidationError{Msg: "malformed JSON", Kind: ErrMalformed, Fields: []FieldError{{Pointer: "", Detail: "empty body"}}}
	case errors.As(err, &syn):
		return &ValidationError{Msg: "malformed JSON", Kind: ErrMalformed,
			Fields: []FieldError{{Pointer: "", Detail: fmt.Sprintf("%v (at byte %d)", syn, syn.Offset)}}}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &ValidationError{Msg: "malformed JSON", Kind: ErrMalformed, Fields: []FieldError{{Pointer: "", Detail: "the body ends in the middle of a value"}}}
	case errors.As(err, &typ):
		at, found := locateOffset(body, t, typ.Offset)
		detail := fmt.Sprintf("want %s, got %s", jsonTypeName(typ.Type), typ.Value)
		if !found {
			// Not expected: say where encoding/json said it was, in words
			// rather than as a pointer that may lack array indices.
			at, detail = "", fmt.Sprintf("field %s: %s", typ.Field, detail)
		}
		return invalid("wrong JSON type", FieldError{Pointer: at, Detail: detail})
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name, _ := strconv.Unquote(f)
		at, found := locateUnknownField(body, t)
		detail := "unknown field"
		if !found {
			at, detail = "", fmt.Sprintf("unknown field %q", name)
		}
		return invalid("unknown field", FieldError{Pointer: at, Detail: detail})
	}
	return &ValidationError{Msg: "malformed JSON", Kind: ErrMalformed, Fields: []FieldError{{Pointer: "", Detail: msg}}}
}

// jsonTypeName names the JSON a value of Go type t is read from, in the
// words of JSON rather than Go's (a body of [] for an object said
// "want struct { CustomerID string ... }"): an object, string, bool,
// number, []string, an array.
func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Slice, reflect.Array:
		if e := jsonTypeName(t.Elem()); e == "string" || e == "bool" || e == "number" {
			return "an array of " + e + "s"
		}
		return "an array"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "number"
	}
	return "a JSON value"
}

// fieldErrors collects the field errors of one request.
type fieldErrors []FieldError

func (f *fieldErrors) add(pointer, detail string) {
	*f = append(*f, fieldAt(pointer, detail))
}

// err is nil when nothing was wrong. A field whose value was of the
// wrong JSON type was left unset, and a check of it then judged its zero
// value ("missing value", "a probability in (0, 1]"; for a body of the
// wrong type, "give invoices or invoice_ids"): only the type error is
// reported.
func (f fieldErrors) err(msg string) error {
	if len(f) == 0 {
		return nil
	}
	out := make([]FieldError, 0, len(f))
	for _, e := range f {
		if !strings.HasPrefix(e.Detail, "want ") && slices.ContainsFunc(f, func(o FieldError) bool {
			return o.Where() == e.Where() && strings.HasPrefix(o.Detail, "want ")
		}) {
			continue
		}
		out = append(out, e)
	}
	return invalid(msg, out...)
}

// date parses an optional date field; ok false means it was bad (and
// reported).
func (f *fieldErrors) date(pointer string, v DateText, required bool) datasets.Date {
	s := strings.TrimSpace(string(v))
	if s == "" {
		if required {
			f.add(pointer, "missing value")
		}
		return 0
	}
	d, ok := datasets.ParseISO(s)
	if !ok {
		f.add(pointer, fmt.Sprintf("%q is not a date: want YYYY-MM-DD, %s to %s", s, datasets.MinDate, datasets.MaxDate))
		return 0
	}
	return d
}

// happened reports a record's date d later than last, the latest day a
// record can be of (datasets.CheckHappened, which the importer applies too).
func (f *fieldErrors) happened(pointer string, d, last datasets.Date) {
	if err := datasets.CheckHappened(d, last); err != nil {
		f.add(pointer, err.Error())
	}
}

// amount parses an amount field.
func (f *fieldErrors) amount(pointer string, v AmountText, required bool) datasets.Money {
	raw := strings.TrimSpace(string(v))
	if raw == "" || raw == "null" {
		if required {
			f.add(pointer, "missing value")
		}
		return 0
	}
	sent := raw // as the client wrote it: what an error quotes
	if strings.HasPrefix(raw, `"`) {
		s, err := strconv.Unquote(raw)
		if err != nil {
			f.add(pointer, "not an amount")
			return 0
		}
		sent = strings.TrimSpace(s)
		raw = sent
		if oneThousandsDot.MatchString(raw) {
			// "1.500" is 1.50 with a decimal point and 1500 with a dot
			// between thousands, as a German or Spanish ERP writes it;
			// read as 1.50 it was a silent factor of 1,000 (import
			// refuses it as ambiguous too). "1.234" is refused below:
			// it has no reading with cents.
			f.add(pointer, fmt.Sprintf("amount %q is ambiguous: %s with a decimal point, or %s with a dot between thousands; send a JSON number, or a decimal with its cents (\"%s.00\" or \"%s\")",
				sent, strings.TrimRight(strings.TrimRight(raw, "0"), "."), strings.ReplaceAll(raw, ".", ""), strings.ReplaceAll(raw, ".", ""), raw[:strings.IndexByte(raw, '.')+3]))
			return 0
		}
		if strings.Contains(raw, ",") {
			// A comma separates thousands ("1,234.50"), never decimals:
			// dropped anywhere else, "1,5" would read as 15.00.
			if !thousandsComma.MatchString(raw) {
				f.add(pointer, fmt.Sprintf("amount %q is not a plain decimal: want a decimal point, with commas only between thousands (1234.50 or \"1,234.50\")%s",
					sent, decimalCommaHint(sent)))
				return 0
			}
			raw = strings.ReplaceAll(raw, ",", "")
		}
	} else {
		// A JSON number, exponent included, read exactly (as ingest does).
		plain, err := datasets.ExpandExponent(raw)
		if err != nil {
			f.add(pointer, "not an amount: want a number or a quoted decimal")
			return 0
		}
		raw = plain
	}
	m, err := datasets.ParseMoney(raw)
	if err == nil && (m > datasets.MaxAmount || m < -datasets.MaxAmount) {
		// The bound import applies (datasets.MaxAmount): one record's
		// amount no ledger holds, whose sums could overflow.
		f.add(pointer, fmt.Sprintf("amount %q is too large: above %s", sent, datasets.MaxAmount))
		return 0
	}
	if err != nil {
		// ParseMoney quotes what it read (the commas dropped, an exponent
		// expanded): quote what was sent instead.
		msg := strings.Replace(err.Error(), fmt.Sprintf("%q", raw), fmt.Sprintf("%q", sent), 1)
		f.add(pointer, msg+decimalCommaHint(sent))
		return 0
	}
	return m
}

var (
	// thousandsComma is a decimal with commas between thousands.
	thousandsComma = regexp.MustCompile(`^[-+]?\d{1,3}(,\d{3})+(\.\d*)?$`)
	// decimalComma is a decimal written the continental way: a comma
	// before the decimals, dots (if any) between thousands.
	decimalComma = regexp.MustCompile(`^[-+]?(\d{1,3}(\.\d{3})+|\d+),\d+$`)
	// oneThousandsDot is a number that reads as a thousand and more with
	// a dot between thousands and as a decimal with its cents (1.500,
	// -12.340; not 0.500, whose dot is no thousands separator, nor 1.234,
	// which has no reading with cents).
	oneThousandsDot = regexp.MustCompile(`^[-+]?[1-9]\d{0,2}\.\d{2}0$`)
	// thousandsDots is an integer with dots between thousands.
	thousandsDots = regexp.MustCompile(`^[-+]?\d{1,3}(\.\d{3})+$`)
)

// decimalCommaHint says, of an amount that reads as written with a
// decimal comma (1.234,50), how to send it; "" for any other.
func decimalCommaHint(sent string) string {
	switch {
	case decimalComma.MatchString(sent):
		plain := strings.ReplaceAll(strings.ReplaceAll(sent, ".", ""), ",", ".")
		return fmt.Sprintf("; it looks like a decimal comma with dots between thousands: send %s", plain)
	case thousandsDots.MatchString(sent):
		return fmt.Sprintf("; if the dots separate thousands, send %s", strings.ReplaceAll(sent, ".", ""))
	}
	return ""
}

// problems adds a schema's problems with a record at prefix.
func (f *fieldErrors) problems(prefix string) func(datasets.Problem) {
	return func(p datasets.Problem) {
		d := p.Reason
		if p.Value != "" {
			d = fmt.Sprintf("%q: %s", p.Value, p.Reason)
		}
		f.add(ptr(prefix, p.Field), d)
	}
}
