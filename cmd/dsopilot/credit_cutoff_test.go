package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// --as-of before a --model bundle's training cut-off is refused, in one
// line naming both days, by recommend (whose worklist knows the day before
// its --as-of) and the credit commands: the model has seen how the ledger
// went on after that day. Before, the model scored the day as any other.
func TestModelTrainedAfterTheAsOfIsRefused(t *testing.T) {
	dir, ledger, store := simulatedWith(t, 60, 10, 6)
	reg := filepath.Join(dir, "models")
	fx := filepath.Join(ledger, "fx_rates.csv")
	if _, stderr, err := call(t, nil, "train", "--store", store, "--as-of", "2023-10-20", "--registry", reg,
		"--currency", "EUR", "--fx", fx, "--families", "logistic"); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"recommend", "--as-of", "2023-10-20"}, "recommend: --as-of 2023-10-20 (what was known by the end of 2023-10-19) is before the --model bundle's training cut-off 2023-10-20"},
		{[]string{"recommend", "--as-of", "2023-06-30"}, "give --as-of 2023-10-21 or later, a model trained by 2023-06-29, or no --model"},
		{[]string{"credit", "suggest", "--as-of", "2023-10-19"}, "credit suggest: --as-of 2023-10-19 is before the --model bundle's training cut-off 2023-10-20"},
		{[]string{"credit", "flags", "--as-of", "2023-06-30"}, "give --as-of 2023-10-20 or later, a model trained by 2023-06-30, or no --model"},
	}
	for _, c := range cases {
		args := append(c.args, "--store", store, "--fx", fx, "--registry", reg, "--model", "promoted")
		_, _, err := call(t, nil, args...)
		if exitCode(err) != 2 || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: %v (exit %d), want a one-line usage error with %q", c.args, err, exitCode(err), c.want)
		}
	}
	// score (the promoted model: it always scores with one) knows what was
	// known by the end of its --as-of. (forecast warns instead, so that a
	// snapshot's track record can be rebuilt, saying it is flattered.)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"score", "--as-of", "2023-10-19"}, "score: --as-of 2023-10-19 is before the --model bundle's training cut-off 2023-10-20"},
		{[]string{"score", "--as-of", "2023-06-30"}, "give --as-of 2023-10-20 or later, a model trained by 2023-06-30"},
	} {
		_, _, err := call(t, nil, append(c.args, "--store", store, "--registry", reg)...)
		if exitCode(err) != 2 || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "no --model") {
			t.Errorf("%v: %v (exit %d), want a one-line usage error with %q", c.args, err, exitCode(err), c.want)
		}
	}
	// serve's worklist (of the served day, knowing the day before) and
	// report's pages (knowing their --as-of) take the promoted model: they
	// refuse it the same way. They used to serve and write with it.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "--as-of", "2023-10-19", "--out", filepath.Join(dir, "site")}, "report: --as-of 2023-10-19 is before the --model bundle's training cut-off 2023-10-20"},
		{[]string{"serve", "--as-of", "2023-10-20", "--addr", "127.0.0.1:0", "--state", filepath.Join(dir, "state"), "--keys", filepath.Join(dir, "keys.json")},
			"serve: --as-of 2023-10-20 (what was known by the end of 2023-10-19) is before the --model bundle's training cut-off 2023-10-20"},
	} {
		_, _, err := call(t, nil, append(c.args, "--store", store, "--registry", reg)...)
		if exitCode(err) != 2 || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: %v (exit %d), want a one-line usage error with %q", c.args, err, exitCode(err), c.want)
		}
	}
	if _, stderr, err := call(t, nil, "score", "--as-of", "2023-10-20", "--store", store, "--registry", reg); err != nil {
		t.Errorf("score on the cut-off: %v\n%s", err, stderr)
	}
	// From the cut-off on (recommend: the day after), the model scores.
	for _, args := range [][]string{{"recommend", "--as-of", "2023-10-21"}, {"credit", "flags", "--as-of", "2023-10-20"}} {
		if _, stderr, err := call(t, nil, append(args, "--store", store, "--fx", fx, "--registry", reg, "--model", "promoted")...); err != nil {
			t.Errorf("%v: %v\n%s", args, err, stderr)
		}
	}
}
