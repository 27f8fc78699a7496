package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
