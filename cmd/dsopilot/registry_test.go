package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/model"
)

// Without a promoted model, every command that needs one names the
// registry it looked in, absolute (the default ./models is relative to
// wherever it runs: from /tmp, score said only "no model has been
// promoted"), and what to do.
func TestNoModelNamesTheRegistryLookedIn(t *testing.T) {
	dir, store := creditLedger(t)
	fx := filepath.Join(dir, "ledger", "fx.csv")
	def, err := filepath.Abs("models")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(def); err == nil {
		t.Skipf("%s exists", def)
	}
	for _, args := range [][]string{
		{"score", "--store", store, "--as-of", "2024-06-30"},
		{"forecast", "--store", store, "--as-of", "2024-06-30"},
		{"recommend", "--store", store, "--as-of", "2024-06-30", "--model", "promoted"},
		{"credit", "suggest", "--store", store, "--as-of", "2024-06-30", "--fx", fx, "--model", "promoted"},
		{"models", "show"},
	} {
		_, _, err := call(t, nil, args...)
		want := []string{"no model has been promoted in the model registry " + def + " (no such directory)",
			"dsopilot train --registry " + def, "--registry DIR"}
		for _, w := range want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v, want %q", strings.Join(args[:2], " "), err, w)
			}
		}
	}
	_, _, err = call(t, nil, "score", "--store", store, "--as-of", "2024-06-30", "--model", "nope", "--registry", dir)
	if want := "no such model: nope in the model registry " + dir + ": dsopilot models list --registry"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("score --model nope: %v, want %q", err, want)
	}
}

// A report without a promoted model is written (exit 0), but says on
// stderr, and on its pages where the scores and the cash forecast would
// be, which registry it looked in and what to do; the forecast section
// used to say the forecast would come "once dsopilot's forecast is part of
// the report", which it is.
func TestReportWithoutAModelSaysWhereItLooked(t *testing.T) {
	needECharts(t)
	dir, store := creditLedger(t)
	reg := filepath.Join(dir, "models")
	out := filepath.Join(dir, "report")
	_, errOut, err := call(t, nil, "report", "--store", store, "--as-of", "2024-06-30", "--registry", reg,
		"--currency", "EUR", "--fx", filepath.Join(dir, "ledger", "fx.csv"), "--out", out)
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	missing := "no model has been promoted in the model registry " + reg + " (no such directory): train one there with dsopilot train --registry " + reg
	if want := "dsopilot: warning: report: the invoices' scores, the amount at risk and the cash forecast are left out: " + missing; !strings.Contains(errOut, want) {
		t.Errorf("stderr %q lacks %q", errOut, want)
	}
	html, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := strings.ReplaceAll(string(html), "&#39;", "'")
	for _, want := range []string{"No cash forecast: it is made with the promoted payment model, and there is none: " + missing,
		"Risk scores are not shown: " + missing} {
		if !strings.Contains(page, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	if strings.Contains(page, "part of the report") {
		t.Error("index.html says the forecast is to become part of the report")
	}
}

// A model whose calls are worse than the naive guess is flagged, saying
// whether it went into service; one at or above the naive guess is not.
func TestNaiveWarning(t *testing.T) {
	for _, tc := range []struct {
		name     string
		v        model.Metrics
		promoted bool
		want     string // "" for no warning
	}{
		{"worse than naive, promoted", model.Metrics{N: 834, ErrorCutVsNaive: -0.04, AUC: 0.71, Brier: 0.2},
			true, "on the 834 held-out invoices the model's late/on-time calls make 4% more errors than always guessing the training majority; its probabilities rank at AUC 0.710 with Brier 0.200; it is in service (promoted)"},
		{"worse than naive, not promoted", model.Metrics{N: 10, ErrorCutVsNaive: -0.5}, false, "it is registered, not in service"},
		{"as good as naive", model.Metrics{N: 10, ErrorCutVsNaive: 0}, true, ""},
		{"better than naive", model.Metrics{N: 10, ErrorCutVsNaive: 0.3}, true, ""},
		{"nothing held out", model.Metrics{}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := naiveWarning(tc.v, tc.promoted)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("naiveWarning = %q, want %q", got, tc.want)
			}
		})
	}
}
