package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

func TestHelpOfHelpIsHelp(t *testing.T) {
	for _, args := range [][]string{{"help", "help"}, {"help", "--help"}, {"--help", "--help"}, {"-h", "help"}, {"help", "-h"}} {
		out, _, err := call(t, nil, args...)
		if err != nil || !strings.Contains(out, "Usage: dsopilot COMMAND") {
			t.Errorf("%v: %v, %q", args, err, out)
		}
	}
	if out, _, err := call(t, nil, "help", "kpi"); !errors.Is(err, errHelp) || !strings.Contains(out, "Usage: dsopilot kpi") {
		t.Errorf("help kpi: %v, %q", err, out)
	}
	if _, _, err := call(t, nil, "help", "bogus"); exitCode(err) != 2 {
		t.Errorf("help bogus: %v, want a usage error", err)
	}
}

func TestMessagesSayTheirPrefixOnce(t *testing.T) {
	for _, c := range []struct {
		args []string
		err  error
		want string
	}{
		{[]string{"kpi"}, errors.New("kpi: kpi: period starts after it ends"), "kpi: period starts after it ends"},
		{[]string{"backtest"}, errors.New("backtest: backtest: too little data: use a longer history or a later --as-of"),
			"backtest: too little data: use a longer history or a later --cutoff or a larger --split"},
		{[]string{"train"}, errors.New("train: too little data: use a later --as-of"), "train: too little data: use a later --as-of"},
		{[]string{"import"}, errors.New("import: import stopped: x"), "import: import stopped: x"},
		{[]string{"kpi"}, errors.New("usage: kpi: kpi: unknown grouping"), "usage: kpi: unknown grouping"},
		{[]string{"kpi"}, errors.New(`parse date "a: a: b"`), `parse date "a: a: b"`},
	} {
		if got := message(c.args, c.err); got != c.want {
			t.Errorf("message(%v, %q) = %q, want %q", c.args, c.err, got, c.want)
		}
	}
}

// TestReadCommandsRefuseAMissingStore: a mistyped --store is an error, and
// no store is created by reading it.
func TestReadCommandsRefuseAMissingStore(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "typo")
	for _, args := range [][]string{{"stats"}, {"kpi", "--from", "2024-01-01", "--to", "2024-03-31"},
		{"features", "--as-of", "2024-01-01"}, {"train", "--as-of", "2024-01-01"}} {
		_, _, err := call(t, nil, append(args, "--store", missing)...)
		if !errors.Is(err, datasets.ErrNotFound) || !strings.Contains(err.Error(), "typo") {
			t.Errorf("%v on a missing store: %v, want an error naming it", args, err)
		}
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("reading created the store: %v", err)
	}
	if _, _, err := call(t, nil, "import", "--store", missing, filepath.Join(t.TempDir(), "no-such.csv")); exitCode(err) != 2 {
		t.Fatalf("import of a missing file: %v, want a usage error", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("an import of a missing file created the store: %v", err)
	}
}

// TestReadersShareTheStore: two readers at once (a shared lock), and a
// store in a directory this process cannot write still reads.
func TestReadersShareTheStore(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	csv := filepath.Join(dir, "invoices.csv")
	os.WriteFile(csv, []byte("customer_id,invoice_id,issue_date,due_date,amount\nC1,I1,2024-01-05,2024-02-04,10.00\n"), 0o644)
	if _, _, err := call(t, nil, "import", "--store", store, csv); err != nil {
		t.Fatal(err)
	}
	openQuiet(t, store) // a reader holding the store until the test ends
	out, _, err := call(t, nil, "stats", "--store", store)
	if err != nil || !strings.Contains(out, "invoices  1") {
		t.Fatalf("stats beside another reader: %v, %q", err, out)
	}
	if _, _, err := call(t, nil, "import", "--store", store, csv); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("import while a reader holds the store: %v, want it refused as locked", err)
	}
}

// TestImportFailureExitsNonZeroWithTheReason: a US export read with the
// wrong date format fails with the count, the reason and the format that
// reads it; the rejects file lands beside the store.
func TestImportFailureExitsNonZeroWithTheReason(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	var b strings.Builder
	b.WriteString("customer_id,invoice_id,issue_date,due_date,amount\n")
	for i := range 40 {
		b.WriteString("C1,I" + strings.Repeat("x", i+1) + ",31/12/2023,15/1/2024,10.00\n")
	}
	csv := filepath.Join(dir, "export.csv")
	os.WriteFile(csv, []byte(b.String()), 0o644)
	out, stderr, err := call(t, nil, "import", "--store", store, "--date-format", "%m/%d/%Y", csv)
	if exitCode(err) != 1 {
		t.Fatalf("exit %d (%v), want 1", exitCode(err), err)
	}
	for _, want := range []string{"40 of 40 rows rejected", `issue_date "31/12/2023"`, "--date-format '%d/%m/%Y'"} {
		if !strings.Contains(err.Error(), want) || !strings.Contains(out, want) {
			t.Errorf("error %q / summary %q lack %q", err, out, want)
		}
	}
	rejects, _ := filepath.Glob(filepath.Join(store, "dsopilot-rejects-*.csv"))
	if len(rejects) != 1 || !strings.Contains(stderr, rejects[0]) {
		t.Errorf("rejects files %v beside the store, stderr %q", rejects, stderr)
	}
	if _, _, err := call(t, nil, "import", "--store", store, "--date-format", "%d/%m/%Y", csv); err != nil {
		t.Fatalf("with the suggested format: %v", err)
	}
}

func TestProgressOnlyOnATerminal(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "invoices.csv")
	os.WriteFile(csv, []byte("customer_id,invoice_id,issue_date,due_date,amount\nC1,I1,2024-01-05,2024-02-04,10.00\n"), 0o644)
	for _, c := range []struct {
		tty, quiet, want bool
	}{{true, false, true}, {true, true, false}, {false, false, false}} {
		var out, errb bytes.Buffer
		e := env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, stderrTTY: c.tty}
		args := []string{"import", "--store", t.TempDir(), csv}
		if c.quiet {
			args = append(args, "--quiet")
		}
		if err := run(context.Background(), args, e); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(errb.String(), "\r\x1b[Kimport invoices.csv"); got != c.want {
			t.Errorf("tty %v quiet %v: progress drawn %v, want %v: %q", c.tty, c.quiet, got, c.want, errb.String())
		}
		if strings.Contains(out.String(), "\r") {
			t.Errorf("progress on stdout: %q", out.String())
		}
	}
}

func TestProgressLine(t *testing.T) {
	var buf bytes.Buffer
	now := time.Unix(0, 0)
	p := &progress{w: &buf, now: func() time.Time { return now }}
	step := p.Func("steps")
	step("train champion", 0, 200)
	now = now.Add(2 * time.Second)
	step("train champion", 50, 200)
	now = now.Add(10 * time.Millisecond) // too soon: not drawn
	step("train champion", 51, 200)
	p.Done()
	p.Update("after done", "rows", 1, 1)
	got := buf.String()
	want := "\r\x1b[Ktrain champion  0 of 200 steps (0%)" +
		"\r\x1b[Ktrain champion  50 of 200 steps (25%)  25 steps/s  0:06 left" +
		"\r\x1b[K"
	if got != want {
		t.Fatalf("drawn %q\nwant  %q", got, want)
	}
	if l := progressLine("import a.csv", "rows", 1_234_567, 0, 3*time.Second); l != "import a.csv  1,234,567 rows  412k rows/s" {
		t.Errorf("unknown total: %q", l)
	}
	var none *progress
	none.Update("x", "rows", 1, 2) // a nil renderer draws nothing and does not panic
	none.Done()
}

func TestParseCustomerSample(t *testing.T) {
	for _, c := range []struct {
		in   string
		want customerSample
		err  string
	}{
		{"1", customerSample{1, 1}, ""},
		{"0.5", customerSample{1, 2}, ""},
		{"0.25", customerSample{1, 4}, ""},
		{"0.3", customerSample{3, 10}, ""},
		{"0.01", customerSample{1, 100}, ""},
		{" 0.75 ", customerSample{3, 4}, ""},
		{"0", customerSample{}, "want a share in (0, 1]"},
		{"1.01", customerSample{}, "want a share in (0, 1]"},
		{"NaN", customerSample{}, "want a share in (0, 1]"},
		{"half", customerSample{}, "want a share in (0, 1]"},
		{"0.125", customerSample{}, "at most two decimals"},
		{"0.001", customerSample{}, "at most two decimals"},
	} {
		got, err := parseCustomerSample(c.in)
		if c.err != "" {
			if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: %v, want a usage error saying %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

// An import that lands while a command reads a ClickHouse store in parts
// fails the read, naming what happened, rather than mixing two versions
// of the ledger: between two parts of one pass, and between two passes of
// a command that reads its parts twice. Without an import, both passes
// read.
func TestReadingPartsFailsWhenAnImportLands(t *testing.T) {
	spec := chStore(t)
	ledger, _ := simulated(t)
	if _, _, err := call(t, nil, "import", "--store", spec, "--rejects", filepath.Join(t.TempDir(), "r.csv"), ledger); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, _ := openQuiet(t, spec)
	n := 0
	land := func() error {
		n++
		return st.Put(ctx, &datasets.Ledger{Customers: []datasets.Customer{{ID: fmt.Sprintf("ZLATE%d", n), Segment: "retail"}}})
	}
	read := func(parts features.Parts, during func() error) error {
		first := true
		return parts(func(*datasets.Ledger, features.LedgerFacts) error {
			if first && during != nil {
				first = false
				return during()
			}
			return nil
		})
	}
	if err := read(storeParts(ctx, st, 3), land); !errors.Is(err, errLedgerChanged) || !strings.Contains(err.Error(), "run the command again") {
		t.Errorf("an import between two parts: %v, want the read refused", err)
	}
	twice := storeParts(ctx, st, 3)
	if err := read(twice, nil); err != nil {
		t.Fatal(err)
	}
	if err := land(); err != nil {
		t.Fatal(err)
	}
	if err := read(twice, nil); !errors.Is(err, errLedgerChanged) {
		t.Errorf("an import between two passes: %v, want the second pass refused", err)
	}
	quiet := storeParts(ctx, st, 3)
	for pass := range 2 {
		if err := read(quiet, nil); err != nil {
			t.Errorf("pass %d without an import: %v", pass+1, err)
		}
	}
}

// TestInputRejectsOutliveTheRun: the --input commands import into a
// temporary store that they delete; the rejects file they name must not go
// with it, and its name has no space.
func TestInputRejectsOutliveTheRun(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "invoices.csv")
	body := "customer_id,invoice_id,issue_date,due_date,amount,currency\n" +
		"C1,I1,2024-01-01,2024-01-31,100.00,EUR\n" +
		"C1,I2,2024-01-01,2024-01-31,100.00,EURO\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	e := env{stdout: io.Discard, stderr: &stderr, getenv: func(string) string { return "" }}
	fs := flag.NewFlagSet("forecast backtest", flag.ContinueOnError)
	in := newInputFlags(fs)
	if err := fs.Parse([]string{"--input", path}); err != nil {
		t.Fatal(err)
	}
	l, err := importTemp(context.Background(), e, "forecast backtest", in)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Invoices) != 1 {
		t.Fatalf("%d invoices loaded, want 1", len(l.Invoices))
	}
	_, file, ok := strings.Cut(stderr.String(), "every reject is in ")
	file = strings.TrimSpace(file)
	if !ok || strings.Contains(file, " ") {
		t.Fatalf("stderr %q: want the rejects file named, without spaces", stderr.String())
	}
	t.Cleanup(func() { os.Remove(file) })
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the rejects file is gone: %v", err)
	}
	if !strings.Contains(string(data), "EURO") || !strings.Contains(string(data), "currency") {
		t.Fatalf("rejects file:\n%s", data)
	}
}

// TestInputReadsAsImportDoes: the --input commands take the flags that say
// how to read an export, as import does, and refuse them with --store,
// which they cannot describe.
func TestInputReadsAsImportDoes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "invoices.csv")
	// 1,234.565 has three decimals (rounded only with --round-amounts) and
	// a comma that is a thousands separator only with --decimal-point.
	body := "customer_id,invoice_id,issue_date,due_date,amount,currency\n" +
		"C1,I1,2024-01-01,2024-01-31,\"1,234.565\",EUR\n" +
		"C1,I2,2024-01-02,2024-02-01,\"2,000\",EUR\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	rejects := filepath.Join(dir, "rejects.csv")
	e := env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	fs := flag.NewFlagSet("backtest", flag.ContinueOnError)
	in := newInputFlags(fs)
	if err := fs.Parse([]string{"--input", path, "--decimal-point", "--round-amounts", "--rejects", rejects}); err != nil {
		t.Fatal(err)
	}
	if err := in.check(fs, "backtest", ""); err != nil {
		t.Fatal(err)
	}
	l, err := importTemp(context.Background(), e, "backtest", in)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, inv := range l.Invoices {
		got[inv.ID] = inv.Amount.String()
	}
	want := map[string]string{"I1": "1234.57", "I2": "2000.00"}
	if len(got) != len(want) || got["I1"] != want["I1"] || got["I2"] != want["I2"] {
		t.Fatalf("amounts %v, want %v", got, want)
	}
	if _, err := os.Stat(rejects); err == nil {
		t.Errorf("a rejects file was written though no row was rejected")
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--store", dir, "--encoding", "latin1", "--rejects", rejects}, "--encoding, --rejects describe an --input file"},
		{[]string{"--input", path, "--store", dir}, "one of them"},
		{nil, "one of them"},
	} {
		fs := flag.NewFlagSet("backtest", flag.ContinueOnError)
		in := newInputFlags(fs)
		store := fs.String("store", "", "")
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		err := in.check(fs, "backtest", *store)
		if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err %v, want a usage error with %q", tc.args, err, tc.want)
		}
	}
}
