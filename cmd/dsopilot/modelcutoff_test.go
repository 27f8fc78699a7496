package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model"
)

// serve, with and without --as-of, and report check the promoted model's
// training cut-off with one helper: serve's worklist knows the day before
// the served day (--as-of, else today), report's pages their --as-of; a
// model trained later is a one-line usage error. serve without --as-of
// was not checked: a model trained after yesterday scored today's
// worklist.
func TestThePromotedModelsCutoffIsCheckedAlike(t *testing.T) {
	d := datasets.NewDate
	today := d(2026, 12, 5)
	bundle := func(cut string) *model.Bundle { return &model.Bundle{Options: model.BundleOptions{AsOf: cut}} }
	for _, c := range []struct {
		name string
		cmd  string
		b    *model.Bundle
		day  datasets.Date
		lag  int
		want string // "" for none
	}{
		{"serve --as-of, trained the day before", "serve", bundle("2026-11-30"), d(2026, 12, 1), 1, ""},
		{"serve --as-of, trained on the day", "serve", bundle("2026-12-01"), d(2026, 12, 1), 1,
			"serve: --as-of 2026-12-01 (what was known by the end of 2026-11-30) is before the --model bundle's training cut-off 2026-12-01"},
		{"serve, trained yesterday", "serve", bundle("2026-12-04"), 0, 1, ""},
		{"serve, trained today", "serve", bundle("2026-12-05"), 0, 1,
			"serve: the served day, today 2026-12-05 (what was known by the end of 2026-12-04), is before the promoted model's training cut-off 2026-12-05"},
		{"serve, trained in the future", "serve", bundle("2027-01-31"), 0, 1, "promote a model trained by 2026-12-04"},
		{"serve, no model", "serve", nil, 0, 1, ""},
		{"serve, a model without a cut-off", "serve", bundle(""), 0, 1, ""},
		{"report, trained on the day", "report", bundle("2026-12-01"), d(2026, 12, 1), 0, ""},
		{"report, trained after", "report", bundle("2026-12-02"), d(2026, 12, 1), 0,
			"report: --as-of 2026-12-01 is before the --model bundle's training cut-off 2026-12-02"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := checkPromotedCutoff(c.cmd, c.b, c.day, c.lag, today)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want == "":
			case err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n"):
				t.Fatalf("%v (exit %d), want a one-line usage error with %q", err, exitCode(err), c.want)
			}
		})
	}
}

// serve without --as-of serves today: it refuses a promoted model trained
// today (its worklist knows yesterday), as serve --as-of does. It served
// with it.
func TestServeWithoutAsOfRefusesAModelTrainedToday(t *testing.T) {
	dir, ledger, store := simulatedWith(t, 60, 10, 6)
	reg := filepath.Join(dir, "models")
	if _, stderr, err := call(t, nil, "train", "--store", store, "--as-of", "2023-10-20", "--registry", reg,
		"--currency", "EUR", "--fx", filepath.Join(ledger, "fx_rates.csv"), "--families", "logistic"); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	// The ledger is too old to train on today: the same model, its
	// cut-off said to be today, promoted.
	r := model.Registry{Dir: reg}
	b, m, err := r.Load("")
	if err != nil {
		t.Fatal(err)
	}
	today := datasets.DateOf(time.Now().UTC())
	b.Options.AsOf = today.String()
	m, err = r.Register(b, m.DataFingerprint, "test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Promote(m.ID); err != nil {
		t.Fatal(err)
	}
	_, _, err = call(t, nil, "serve", "--store", store, "--registry", reg, "--addr", "127.0.0.1:0",
		"--state", filepath.Join(dir, "state"), "--keys", filepath.Join(dir, "keys.json"))
	want := "serve: the served day, today " + today.String()
	if exitCode(err) != 2 || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("serve: %v (exit %d), want a one-line usage error with %q", err, exitCode(err), want)
	}
}
