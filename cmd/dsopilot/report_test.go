package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/reports"
)

// needECharts skips when the build carries no ECharts (make echarts), and
// fails under CI.
func needECharts(t *testing.T) {
	t.Helper()
	if err := reports.CheckAssets(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

func TestReportWritesTheSite(t *testing.T) {
	needECharts(t)
	dir, ledger, store := simulatedWith(t, 40, 8, 11)
	out := filepath.Join(dir, "report")
	stdout, _, err := call(t, nil, "report", "--store", store, "--as-of", "2023-08-31", "--registry", filepath.Join(dir, "models"),
		"--currency", "EUR", "--fx", filepath.Join(ledger, "fx_rates.csv"), "--out", out)
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	index := filepath.Join(out, "index.html")
	if !strings.Contains(stdout, index) {
		t.Errorf("report printed %q, want the path %s", stdout, index)
	}
	html, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Receivables portfolio", "amounts in EUR", "assets/echarts/echarts.min.js", "customers.html"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	for _, p := range []string{"customers/C000001.html", "disputes.html", "model.html", "open/index.html", "assets/echarts/echarts.min.js"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("the site lacks %s: %v", p, err)
		}
	}
	// A second run replaces the report.
	if _, _, err := call(t, nil, "report", "--store", store, "--as-of", "2023-08-31", "--currency", "EUR", "--fx", filepath.Join(ledger, "fx_rates.csv"), "--out", out); err != nil {
		t.Fatalf("second report: %v", err)
	}
	// Without rates the worklist and the credit advice cannot convert the
	// ledger's other currencies: the site is still written, with notes on
	// those pages, but the run fails naming the parts.
	if err := os.Remove(index); err != nil {
		t.Fatal(err)
	}
	_, _, err = call(t, nil, "report", "--store", store, "--as-of", "2023-08-31", "--out", out)
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "2 part(s) of the report failed") ||
		!strings.Contains(err.Error(), "the worklist failed") || !strings.Contains(err.Error(), "the credit-limit suggestions failed") {
		t.Errorf("report without rates on a ledger in several currencies: %v (exit %d), want exit 1 naming the worklist and the credit advice", err, exitCode(err))
	}
	if _, err := os.Stat(index); err != nil {
		t.Errorf("the site with the failed parts' notes was not written: %v", err)
	}
}

func TestReportOnClickHouse(t *testing.T) {
	needECharts(t)
	spec := chStore(t)
	dir, ledger, _ := simulatedWith(t, 20, 6, 12)
	if _, _, err := call(t, nil, "import", "--store", spec, "--rejects", filepath.Join(dir, "r2.csv"), ledger); err != nil {
		t.Fatalf("import: %v", err)
	}
	out := filepath.Join(dir, "ch-report")
	if _, _, err := call(t, nil, "report", "--store", spec, "--as-of", "2023-06-30", "--currency", "EUR", "--fx", filepath.Join(ledger, "fx_rates.csv"), "--out", out); err != nil {
		t.Fatalf("report: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "customers", "C000001.html")); err != nil {
		t.Fatal(err)
	}
}

func TestReportUsage(t *testing.T) {
	_, store := simulated(t)
	for _, args := range [][]string{
		{"report", "--store", store, "--as-of", "2023-08-31"},
		{"report", "--store", store, "--as-of", "2023-08-31", "--fx", "x.csv", "--out", t.TempDir()},
		{"report", "--store", store, "--as-of", "31.08.2023", "--out", t.TempDir()},
	} {
		if _, _, err := call(t, nil, args...); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
	if _, _, err := call(t, nil, "report", "--store", store, "--as-of", "2023-08-31", "--backtest", filepath.Join(t.TempDir(), "none.json"), "--out", t.TempDir()); err == nil {
		t.Error("a missing --backtest file was accepted")
	}
}
