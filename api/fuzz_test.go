package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

// The request decoders must turn any body into a value or a 400/422
// problem, never a panic or another error. Seeds are in testdata/fuzz;
// make test runs each target for a few seconds.

func checkDecodeError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("decoder error %T %v is not a ValidationError", err, err)
	}
	if st := problemFor(err).Status; st != 400 && st != 422 {
		t.Fatalf("decoder error maps to %d", st)
	}
}

func FuzzDecodeScoreRequest(f *testing.F) {
	f.Add([]byte(`{"invoice_ids":["a","b"]}`))
	f.Add([]byte(`{"as_of":"2024-03-31","invoices":[{"invoice_id":"x","customer_id":"c","issue_date":"2024-01-01","due_date":"2024-02-01","amount":"1,234.50"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var r ScoreRequest
		err := decodeJSON(body, &r)
		checkDecodeError(t, err)
		if err != nil {
			return
		}
		var fe fieldErrors
		fe.date("/as_of", r.AsOf, false)
		for i, g := range r.Invoices {
			p := fmt.Sprintf("/invoices/%d", i)
			fe.date(p+"/issue_date", g.IssueDate, true)
			fe.date(p+"/due_date", g.DueDate, true)
			fe.amount(p+"/amount", g.Amount, true)
		}
		checkDecodeError(t, fe.err("invalid"))
		if _, err := json.Marshal(r); err != nil {
			t.Fatalf("a decoded request does not encode: %v", err)
		}
	})
}

func FuzzDecodeRecording(f *testing.F) {
	f.Add([]byte(`{"customer_id":"c","action_date":"2024-03-31","type":"call","policy":"holdout","propensity":0.5}`))
	f.Add([]byte(`{"customer_id":"c","made_date":"2024-03-31","promised_date":"2024-04-30","amount":12.5}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var a ActionInput
		if err := decodeJSON(body, &a); err == nil {
			var fe fieldErrors
			fe.date("/action_date", a.ActionDate, true)
			checkDecodeError(t, fe.err("invalid"))
		} else {
			checkDecodeError(t, err)
		}
		var p PromiseInput
		if err := decodeJSON(body, &p); err == nil {
			var fe fieldErrors
			fe.date("/made_date", p.MadeDate, true)
			fe.amount("/amount", p.Amount, true)
			checkDecodeError(t, fe.err("invalid"))
		} else {
			checkDecodeError(t, err)
		}
		var d DisputeInput
		checkDecodeError(t, decodeJSON(body, &d))
	})
}

func FuzzAmount(f *testing.F) {
	for _, s := range []string{`12.5`, `"1,234.50"`, `-0.01`, `1e3`, `"x"`, `null`, `[1]`, `"12.345"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var fe fieldErrors
		m := fe.amount("/amount", AmountText(raw), true)
		if len(fe) > 0 && m != 0 {
			t.Fatalf("%q: an error and an amount %v", raw, m)
		}
		checkDecodeError(t, fe.err("invalid"))
	})
}
