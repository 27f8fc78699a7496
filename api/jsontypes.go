package api

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
)

// encoding/json reports the first value of the wrong type of a body only
// (it leaves the others unset and goes on): a client mending that one
// would be told of the next at the next request. locateWrongTypes walks
// the body alongside the type it is decoded into and names every one, by
// its pointer, in the words of JSON ("want bool, got string").

var textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()

// locateWrongTypes returns the errors of every value of body that does
// not fit its place in t, in document order; nil for a body that does not
// parse (decodeJSON reports that).
func locateWrongTypes(body []byte, t reflect.Type) []FieldError {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	w := &typeWalk{dec: dec}
	if !w.value(t, "") {
		return nil
	}
	return w.found
}

type typeWalk struct {
	dec   *json.Decoder
	found []FieldError
}

// value walks one value that belongs in a t (nil: anything goes, as in an
// any or a type that reads its own JSON) at pointer p; false when the body
// does not parse.
func (w *typeWalk) value(t reflect.Type, p string) bool {
	tok, err := w.dec.Token()
	if err != nil {
		return false
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	text := false
	if t != nil {
		if t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
			t = nil
		} else if t.Implements(textUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) {
			text = true
		}
	}
	wrong := func(got string) {
		// In the words of JSON, not Go's ("want an object", not "want
		// api.ScoreRequest"); a type read from a string says string.
		want := "string"
		if !text {
			want = jsonTypeName(t)
		}
		w.found = append(w.found, FieldError{Pointer: p, Detail: fmt.Sprintf("want %s, got %s", want, got)})
	}
	switch tok := tok.(type) {
	case json.Delim:
		if tok == '{' {
			var fields map[string]reflect.Type
			var elem reflect.Type
			switch {
			case t == nil || t.Kind() == reflect.Interface:
			case t.Kind() == reflect.Struct && !text:
				fields = jsonFields(t)
			case t.Kind() == reflect.Map:
				elem = t.Elem()
			default:
				wrong("object")
			}
			for w.dec.More() {
				kt, err := w.dec.Token()
				if err != nil {
					return false
				}
				key, _ := kt.(string)
				vt := elem
				if fields != nil {
					vt, _ = fieldOf(fields, key) // an unknown key: reported as such
				}
				if !w.value(vt, ptr(p, key)) {
					return false
				}
			}
			_, err := w.dec.Token()
			return err == nil
		}
		var elem reflect.Type
		switch {
		case t == nil || t.Kind() == reflect.Interface:
		case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && !text:
			elem = t.Elem()
		default:
			wrong("array")
		}
		for i := 0; w.dec.More(); i++ {
			if !w.value(elem, ptrIndex(p, i)) {
				return false
			}
		}
		_, err := w.dec.Token()
		return err == nil
	}
	if tok == nil || t == nil || t.Kind() == reflect.Interface {
		return true // null fits anything, and anything fits an any
	}
	switch tok := tok.(type) {
	case string:
		if !(text || t.Kind() == reflect.String || t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8) {
			wrong("string")
		}
	case bool:
		if text || t.Kind() != reflect.Bool {
			wrong("bool")
		}
	case json.Number:
		if text || !numberFits(t, tok) {
			if fitsKind(t) {
				wrong("number " + tok.String())
			} else {
				wrong("number")
			}
		}
	}
	return true
}

// fitsKind says whether t holds numbers at all.
func fitsKind(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// numberFits says whether n decodes into a t: a number type it fits in
// (an integer for an integer type), or json.Number.
func numberFits(t reflect.Type, n json.Number) bool {
	if t == reflect.TypeFor[json.Number]() {
		return true
	}
	s := n.String()
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		_, err := strconv.ParseInt(s, 10, t.Bits())
		return err == nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		_, err := strconv.ParseUint(s, 10, t.Bits())
		return err == nil
	case reflect.Float32, reflect.Float64:
		_, err := strconv.ParseFloat(s, t.Bits())
		return err == nil
	}
	return false
}
