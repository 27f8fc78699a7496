package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
)

// Every "pointer" of a problem is an RFC 6901 JSON pointer from the root
// of the body: a client resolves it against what it sent, so
// /invoices/0/colour, never /colour or /invoices/colour.

// pointerEscaper escapes a reference token (RFC 6901, section 3): ~ first,
// so that the ~ of ~1 is not escaped again.
var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// ptr appends reference tokens to the pointer base, escaping each.
func ptr(base string, tokens ...string) string {
	var b strings.Builder
	b.WriteString(base)
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(pointerEscaper.Replace(t))
	}
	return b.String()
}

// ptrIndex appends an array index to base.
func ptrIndex(base string, i int) string { return base + "/" + strconv.Itoa(i) }

// jsonLocator finds, in a body that encoding/json refused, where the
// error is: encoding/json names an unknown field without its place and a
// value of the wrong type by its struct fields without array indices
// (invoices.disputed), so the body is walked again, token by token,
// alongside the type it was decoded into.
type jsonLocator struct {
	dec *json.Decoder
	// unknown: find the first key the type has no field for; otherwise
	// find the value that ends at or after offset (UnmarshalTypeError's
	// Offset: the end of the value, or just inside an object or array
	// that stands where a scalar should).
	unknown bool
	offset  int64
	// all, with unknown: gather every unknown key in found rather than
	// stop at the first.
	all   bool
	found []string
}

// locateUnknownFields returns the pointers of every key of body that t
// has no field for, in document order (encoding/json names only the
// first).
func locateUnknownFields(body []byte, t reflect.Type) []string {
	l := &jsonLocator{dec: json.NewDecoder(bytes.NewReader(body)), unknown: true, all: true}
	l.value(t, "")
	return l.found
}

// locateUnknownField returns the pointer of the first key of body that t
// has no field for (encoding/json, which stops at the first error in
// document order, reported that one); false when none is found.
func locateUnknownField(body []byte, t reflect.Type) (string, bool) {
	l := &jsonLocator{dec: json.NewDecoder(bytes.NewReader(body)), unknown: true}
	return l.value(t, "")
}

// locateOffset returns the pointer of the value of body that ends at
// offset (see jsonLocator); false when the walk does not reach it.
func locateOffset(body []byte, t reflect.Type, offset int64) (string, bool) {
	l := &jsonLocator{dec: json.NewDecoder(bytes.NewReader(body)), offset: offset}
	return l.value(t, "")
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// value walks one value of type t (nil: not known, as inside an any or a
// type with its own UnmarshalJSON, whose keys are not checked) at pointer p.
func (l *jsonLocator) value(t reflect.Type, p string) (string, bool) {
	tok, err := l.dec.Token()
	if err != nil {
		return "", false
	}
	if !l.unknown && l.dec.InputOffset() >= l.offset {
		return p, true
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType)) {
		t = nil
	}
	switch tok {
	case json.Delim('{'):
		var fields map[string]reflect.Type
		var elem reflect.Type
		switch {
		case t == nil:
		case t.Kind() == reflect.Struct:
			fields = jsonFields(t)
		case t.Kind() == reflect.Map:
			elem = t.Elem()
		}
		for l.dec.More() {
			kt, err := l.dec.Token()
			if err != nil {
				return "", false
			}
			key, _ := kt.(string)
			kp := ptr(p, key)
			if !l.unknown && l.dec.InputOffset() >= l.offset {
				return kp, true // a map key of the wrong type
			}
			vt := elem
			if fields != nil {
				ft, known := fieldOf(fields, key)
				if !known && l.unknown {
					if !l.all {
						return kp, true
					}
					l.found = append(l.found, kp)
				}
				vt = ft
			}
			if at, found := l.value(vt, kp); found {
				return at, true
			}
		}
		_, err = l.dec.Token()
		return "", false
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; l.dec.More(); i++ {
			if at, found := l.value(elem, ptrIndex(p, i)); found {
				return at, true
			}
		}
		_, _ = l.dec.Token()
	}
	return "", false
}

// fieldOf finds key among a struct's JSON fields as encoding/json does:
// the exact name first, else a case-insensitive match.
func fieldOf(fields map[string]reflect.Type, key string) (reflect.Type, bool) {
	if t, ok := fields[key]; ok {
		return t, true
	}
	for name, t := range fields {
		if strings.EqualFold(name, key) {
			return t, true
		}
	}
	return nil, false
}

// jsonFields maps the JSON names of struct t's fields to their types,
// with the fields of embedded structs promoted.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			et := ft
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				for k, v := range jsonFields(et) {
					if _, dup := out[k]; !dup {
						out[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = ft
	}
	return out
}
