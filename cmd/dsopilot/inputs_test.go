package main

import (
	"flag"
	"io"
	"slices"
	"testing"
)

// --input repeats, as import takes several paths: the second no longer
// replaces the first.
func TestInputRepeats(t *testing.T) {
	fs := flag.NewFlagSet("backtest", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := newInputFlags(fs)
	if err := fs.Parse([]string{"--input", "AR_Invoices.csv", "--input", "Payments.csv"}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"AR_Invoices.csv", "Payments.csv"}; !slices.Equal(*f.input, want) {
		t.Fatalf("--input read %q, want %q", *f.input, want)
	}
	if err := f.check(fs, "backtest", ""); err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse([]string{"--input", ""}); err == nil {
		t.Fatal("an empty --input was accepted")
	}
}
