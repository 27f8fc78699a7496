package api

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// Amounts in a JSON body read as ingest reads them: numbers exactly,
// exponents included, or quoted decimals; never through a float.
func TestAmountFields(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want datasets.Money
		err  string // in the field error; "" for none
	}{
		{`1234.5`, 123450, ""},
		{`"1,234.50"`, 123450, ""},
		{`1e3`, 100000, ""},
		{`1.5E2`, 15000, ""},
		{`125e-2`, 125, ""},
		{`1.2345e1`, 0, "decimals"},
		{`1.234e1`, 1234, ""},
		{`1e30`, 0, "amount"},
		{`true`, 0, "not an amount"},
		{`[1]`, 0, "not an amount"},
		{`null`, 0, "missing value"},
	} {
		var fe fieldErrors
		got := fe.amount("/amount", AmountText(c.raw), true)
		switch {
		case c.err == "" && (len(fe) != 0 || got != c.want):
			t.Errorf("%s: %v %+v, want %v", c.raw, got, fe, c.want)
		case c.err != "" && (len(fe) != 1 || !strings.Contains(fe[0].Detail, c.err)):
			t.Errorf("%s: %+v, want an error saying %q", c.raw, fe, c.err)
		}
	}
}

// Every pointer of a decoding error is the RFC 6901 pointer of the field
// from the root of the body, array indices and escapes included.
func TestDecodeErrorPointers(t *testing.T) {
	inv := `{"invoice_id":"b","customer_id":"c","issue_date":"2024-01-10","due_date":"2024-02-01","amount":1`
	for _, c := range []struct {
		name, body, want, detail string
	}{
		{"unknown top-level field", `{"invoice_idz":["x"]}`, "/invoice_idz", "unknown field"},
		{"unknown field in the first invoice", `{"invoices":[` + inv + `,"colour":"red"}]}`, "/invoices/0/colour", "unknown field"},
		{"unknown field in the third invoice", `{"invoices":[` + inv + `},` + inv + `},` + inv + `,"colour":"red"}]}`, "/invoices/2/colour", "unknown field"},
		{"a case-insensitive match is known", `{"INVOICES":[` + inv + `,"Colour":1}]}`, "/INVOICES/0/Colour", "unknown field"},
		{"~ and / escaped", `{"invoices":[` + inv + `,"a/b~c":1}]}`, "/invoices/0/a~1b~0c", "unknown field"},
		{"an amount takes any JSON", `{"invoices":[` + inv + `},{"amount":{"x":1},"x":1}]}`, "/invoices/1/x", "unknown field"},
		{"wrong type in the second invoice", `{"invoices":[` + inv + `},` + inv + `,"disputed":"yes"}]}`, "/invoices/1/disputed", "want bool"},
		{"object for a string", `{"invoices":[` + inv + `,"currency":{"code":"EUR"}}]}`, "/invoices/0/currency", "want string"},
		{"wrong type in an array of strings", `{"invoice_ids":["a",2]}`, "/invoice_ids/1", "want string"},
		{"array for an array", `{"invoice_ids":"x"}`, "/invoice_ids", "want an array of strings"},
		{"an array for the body names no Go type", `[]`, "", "want an object, got array"},
		{"a string for an array of objects", `{"invoices":"x"}`, "/invoices", "want an array, got string"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var req ScoreRequest
			err := decodeJSON([]byte(c.body), &req)
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) != 1 {
				t.Fatalf("%v, want one field error", err)
			}
			if f := ve.Fields[0]; f.Pointer != c.want || !strings.Contains(f.Detail, c.detail) {
				t.Errorf("pointer %q (%s), want %q (%s)", f.Pointer, f.Detail, c.want, c.detail)
			}
		})
	}
}

func TestPointerEscapes(t *testing.T) {
	for _, c := range []struct {
		base   string
		tokens []string
		want   string
	}{
		{"", []string{"a"}, "/a"},
		{"/invoices/0", []string{"a/b"}, "/invoices/0/a~1b"},
		{"", []string{"~1"}, "/~01"},
		{"", []string{"m~n", ""}, "/m~0n/"},
	} {
		if got := ptr(c.base, c.tokens...); got != c.want {
			t.Errorf("ptr(%q, %q) = %q, want %q", c.base, c.tokens, got, c.want)
		}
	}
}

// Every value of the wrong type of a body is named, by its pointer, in
// the words encoding/json uses for the first (which was all it named):
// one 422 lists them all, with the unknown fields.
func TestDecodeFieldsNamesEveryWrongType(t *testing.T) {
	inv := `{"invoice_id":"b","customer_id":"c","issue_date":"2024-01-10","due_date":"2024-02-01","amount":1`
	for _, c := range []struct {
		name, body string
		want       []string // pointer: detail
	}{
		{"one", `{"invoices":[` + inv + `,"disputed":"yes"}]}`, []string{"/invoices/0/disputed: want bool, got string"}},
		{"several, nested", `{"as_of":7,"invoices":[` + inv + `},` + inv + `,"disputed":"yes"},` + inv + `},` + inv + `,"invoice_id":5,"currency":["EUR"],"disputed":1.5}],"invoice_ids":["a",2,{"x":1}]}`,
			[]string{"/as_of: want string, got number", "/invoices/1/disputed: want bool, got string", "/invoices/3/invoice_id: want string, got number",
				"/invoices/3/currency: want string, got array", "/invoices/3/disputed: want bool, got number",
				"/invoice_ids/1: want string, got number", "/invoice_ids/2: want string, got object",
				"/invoices/3/invoice_id: duplicate key"}}, // inv has an invoice_id already
		{"with an unknown field before them", `{"invoices":[` + inv + `,"colour":"red"},` + inv + `,"disputed":"no","segment":false}]}`,
			[]string{"/invoices/1/disputed: want bool, got string", "/invoices/1/segment: want string, got bool", "/invoices/0/colour: unknown field"}},
		{"an amount takes any JSON, null fits all", `{"as_of":null,"invoices":[{"amount":{"x":[1]},"disputed":null,"segment":true}]}`,
			[]string{"/invoices/0/segment: want string, got bool"}},
		{"an array for a struct", `{"invoices":[[1]]}`, []string{"/invoices/0: want an object, got array"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var req ScoreRequest
			var fe fieldErrors
			if err := decodeFields([]byte(c.body), &req, &fe); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range fe {
				got = append(got, f.Pointer+": "+f.Detail)
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Fatalf("errors\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

// Errors speak JSON, not Go, and a value of the wrong type is reported
// once: the checks of the zero value it left behind add nothing.
func TestWrongTypesAreReportedOnceInJSONWords(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"an array for the body", `[]`, []string{": want an object, got array"}},
		{"a string for a number", `{"invoice_ids":["I1"],"as_of":7}`, []string{"/as_of: want string, got number"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var req ScoreRequest
			var fe fieldErrors
			if err := decodeFields([]byte(tc.body), &req, &fe); err != nil {
				t.Fatal(err)
			}
			if len(req.InvoiceIDs) == 0 && len(req.Invoices) == 0 {
				fe.add("", "give invoices or invoice_ids")
			}
			var ve *ValidationError
			if err := fe.err("invalid score request"); !errors.As(err, &ve) {
				t.Fatalf("%v, want a ValidationError", err)
			}
			var got []string
			for _, f := range ve.Fields {
				got = append(got, f.Pointer+": "+f.Detail)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("errors %q, want %q", got, tc.want)
			}
		})
	}
}
