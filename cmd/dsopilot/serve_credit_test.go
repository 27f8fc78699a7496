package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dsopilot serve prepares the credit-limit advice in the background at
// start (/readyz's credit says when it is ready) and then answers every
// customer's credit-limit with what credit suggest says of the same ledger,
// day and registry: the same limit, exposure, PD and its source, class and
// review dates (the fields the two share), for every customer.
func TestServePreparedCreditAdviceAgreesWithCreditSuggest(t *testing.T) {
	dir, ledger, store := simulatedWith(t, 60, 10, 6)
	reg := filepath.Join(dir, "models")
	fx := filepath.Join(ledger, "fx_rates.csv")
	const trainedAsOf, asOf = "2023-10-30", "2023-10-31"
	if _, stderr, err := call(t, nil, "train", "--store", store, "--as-of", trainedAsOf, "--registry", reg,
		"--currency", "EUR", "--fx", fx, "--families", "logistic"); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	out, stderr, err := call(t, nil, "credit", "suggest", "--store", store, "--as-of", asOf, "--registry", reg, "--fx", fx, "--currency", "EUR", "--json")
	if err != nil {
		t.Fatalf("credit suggest: %v\n%s", err, stderr)
	}
	var cli struct {
		Rows []map[string]any `json:"suggestions"`
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&cli); err != nil || len(cli.Rows) == 0 {
		t.Fatalf("credit suggest --json: %v, %d rows", err, len(cli.Rows))
	}

	srv := startServe(t, dir, "--store", store, "--registry", reg, "--as-of", asOf, "--currency", "EUR", "--fx", fx, "--no-reports", "--access-log")
	defer func() {
		if err := srv.stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	base, key := srv.base, srv.key

	// /readyz says when the credit advice is ready (a client's wait).
	var credit struct {
		Status    string `json:"status"`
		AsOf      string `json:"as_of"`
		Customers int    `json:"customers"`
	}
	deadline := time.Now().Add(3 * time.Minute)
	for credit.Status != "ready" {
		if time.Now().After(deadline) {
			t.Fatalf("the credit advice was not ready within 3 minutes (last %+v)", credit)
		}
		time.Sleep(100 * time.Millisecond)
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			continue
		}
		var rd struct {
			Credit *struct {
				Status    string `json:"status"`
				AsOf      string `json:"as_of"`
				Customers int    `json:"customers"`
			} `json:"credit"`
		}
		err = json.NewDecoder(resp.Body).Decode(&rd)
		resp.Body.Close()
		if err == nil && resp.StatusCode == http.StatusOK && rd.Credit != nil {
			credit = *rd.Credit
			if credit.Status == "failed" {
				t.Fatalf("the credit advice was not prepared: %+v", credit)
			}
		}
	}
	if credit.AsOf != asOf || credit.Customers != len(cli.Rows) {
		t.Errorf("readyz credit %+v: want as of %s for %d customers", credit, asOf, len(cli.Rows))
	}

	// The fields the route and the command share, value for value.
	shared := []string{"currency", "current_limit", "limit_source", "limit_set_date", "exposure", "suggested_limit", "pd", "pd_source",
		"credit_risk_class", "review_date", "review_class", "review_class_as_of", "limit_review_date", "below_exposure"}
	for _, row := range cli.Rows {
		id := fmt.Sprint(row["customer_id"])
		r, _ := http.NewRequest("GET", base+"/v1/customers/"+id+"/credit-limit", nil)
		r.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d: %s", id, resp.StatusCode, body)
		}
		var api map[string]any
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber()
		if err := d.Decode(&api); err != nil {
			t.Fatal(err)
		}
		for _, k := range shared {
			if !sameJSONValue(row[k], api[k]) {
				t.Errorf("%s: %s is %v in credit suggest, %v from the API", id, k, row[k], api[k])
			}
		}
	}
}

// sameJSONValue compares two decoded JSON values; numbers by value (the
// command writes 1200, the API 1200.00), and an absent field as its
// empty value (omitempty on one side).
func sameJSONValue(a, b any) bool {
	an, aok := a.(json.Number)
	bn, bok := b.(json.Number)
	if aok && bok {
		x, err1 := an.Float64()
		y, err2 := bn.Float64()
		return err1 == nil && err2 == nil && x == y
	}
	if a == nil {
		a = ""
	}
	if b == nil {
		b = ""
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}
