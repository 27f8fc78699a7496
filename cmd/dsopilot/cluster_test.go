package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/chstore"
	"github.com/dsopilot/dsopilot/datasets/chstore/chtest"
	"github.com/dsopilot/dsopilot/datasets/synth"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/recommender"
)

// chCluster returns the store spec of a fresh database on a two-shard
// ClickHouse cluster: the one DSOPILOT_TEST_CLUSTER names (.ci/run starts
// it), or two servers this test starts. It skips, or fails in CI, as
// chStore does.
func chCluster(t *testing.T) string {
	t.Helper()
	chStore(t)
	base := os.Getenv(chtest.EnvCluster)
	if base == "" {
		c, err := chtest.Start(context.Background(), t.TempDir(), "cmd_test", 2)
		if err != nil {
			t.Fatalf("start a two-shard cluster: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		base = c.DSN("")
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", chtest.EnvCluster, err)
	}
	db := fmt.Sprintf("dsopilot_cmd_%d_%s", os.Getpid(), strings.ToLower(strings.NewReplacer("/", "_", "-", "_").Replace(t.Name())))
	u.Path = "/" + db
	spec := u.String()
	t.Cleanup(func() {
		s, err := chstore.Open(context.Background(), spec, nil)
		if err != nil {
			t.Logf("drop %s: %v", db, err)
			return
		}
		defer s.Close()
		for _, q := range s.Shards() {
			for _, name := range []string{db, db + "_local"} {
				if err := q.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name); err != nil {
					t.Logf("drop %s: %v", name, err)
				}
			}
		}
	})
	return spec
}

// The commands that read the store print the same on a cluster as on a
// single server holding the same ledger, imported twice into the cluster:
// stats, KPIs, and the SQL engine's features, byte for byte.
func TestClusterPrintsWhatASingleServerPrints(t *testing.T) {
	single, cluster := chStore(t), chCluster(t)
	ledger, _ := simulated(t)
	for _, spec := range []string{single, cluster, cluster} {
		if _, _, err := call(t, nil, "import", "--store", spec, "--rejects", filepath.Join(t.TempDir(), "r.csv"), ledger); err != nil {
			t.Fatalf("import into %s: %v", spec, err)
		}
	}
	if out, _, err := call(t, nil, "db", "migrate", "--store", cluster); err != nil || !strings.Contains(out, "applied 0 migrations") {
		t.Fatalf("db migrate on the migrated cluster: %q, %v", out, err)
	}
	for _, args := range [][]string{
		{"stats", "--json"},
		{"stats"},
		{"kpi", "--from", "2023-07-01", "--to", "2023-12-31", "--by", "segment", "--json"},
		// The SQL feature engine: byte-identical CSV.
		{"features", "--as-of", "2023-12-31"},
		{"features", "--as-of", "2023-12-31", "--level", "invoice"},
		// KPIs read in parts of whole customers.
		{"kpi", "--from", "2023-03-01", "--to", "2023-12-31", "--by", "customer", "--monthly", "--parts", "3", "--json"},
	} {
		want, _, err := call(t, nil, append(args, "--store", single)...)
		if err != nil {
			t.Fatalf("%v on the single server: %v", args, err)
		}
		got, _, err := call(t, nil, append(args, "--store", cluster)...)
		if err != nil {
			t.Fatalf("%v on the cluster: %v", args, err)
		}
		if got != want || !strings.Contains(want, "invoices") {
			t.Errorf("%v on the cluster:\n%s\nand on the single server:\n%s", args, got, want)
		}
	}
	// In parts or whole, the same KPIs, on the server and from the
	// embedded store (which reads the whole ledger).
	kpi := []string{"kpi", "--from", "2023-03-01", "--to", "2023-12-31", "--by", "segment", "--monthly", "--json"}
	_, embedded := simulated(t)
	want, _, err := call(t, nil, append(kpi, "--store", embedded)...)
	if err != nil {
		t.Fatal(err)
	}
	for _, parts := range []string{"1", "4"} {
		got, _, err := call(t, nil, append(kpi, "--store", single, "--parts", parts)...)
		if err != nil || got != want {
			t.Errorf("kpi in %s parts: %v\n%s\nwhole, from the embedded store:\n%s", parts, err, got, want)
		}
	}
	// Scores read in parts: the worklist scored from the whole ledger.
	reg := filepath.Join(t.TempDir(), "models")
	if _, _, err := call(t, nil, "train", "--store", embedded, "--registry", reg, "--as-of", "2023-12-31", "--json"); err != nil {
		t.Fatalf("train: %v", err)
	}
	score := []string{"score", "--as-of", "2023-12-31", "--registry", reg}
	if want, _, err = call(t, nil, append(score, "--store", embedded)...); err != nil || strings.Count(want, "\n") < 10 {
		t.Fatalf("score from the embedded store: %v\n%s", err, want)
	}
	for _, c := range []struct{ store, parts string }{{single, "1"}, {single, "3"}, {cluster, "2"}} {
		got, _, err := call(t, nil, append(score, "--store", c.store, "--parts", c.parts)...)
		if err != nil || got != want {
			t.Errorf("score from %s in %s parts: %v\n%s\nwhole, from the embedded store:\n%s", c.store, c.parts, err, got, want)
		}
	}
	// The forecast reads its parts twice (the portfolio's record, then
	// each part's book against it): the whole ledger's, breakdown and
	// shocks included.
	fc := []string{"forecast", "--as-of", "2023-12-31", "--registry", reg, "--paths", "300", "--by", "customer", "--json"}
	if want, _, err = call(t, nil, append(fc, "--store", embedded)...); err != nil || !strings.Contains(want, `"estimated": true`) {
		t.Fatalf("forecast from the embedded store: %v\n%s", err, want)
	}
	for _, c := range []struct{ store, parts string }{{single, "1"}, {single, "3"}, {cluster, "2"}} {
		got, _, err := call(t, nil, append(fc, "--store", c.store, "--parts", c.parts)...)
		if err != nil || got != want {
			t.Errorf("forecast from %s in %s parts: %v\n%s\nwhole, from the embedded store:\n%s", c.store, c.parts, err, got, want)
		}
	}
	// A snapshot saved in each store and compared with what came in since,
	// read in parts: the same comparison (the ids differ by the second
	// they were saved in).
	var wantCmp string
	for _, c := range []struct{ store, parts string }{{embedded, "0"}, {single, "3"}, {cluster, "2"}} {
		out, _, err := call(t, nil, "forecast", "snapshot", "--store", c.store, "--registry", reg, "--as-of", "2023-10-31", "--paths", "300", "--parts", c.parts)
		if err != nil || !strings.HasPrefix(out, "saved forecast snapshot ") {
			t.Fatalf("snapshot in %s: %v\n%s", c.store, err, out)
		}
		id := strings.Fields(out)[3]
		got, _, err := call(t, nil, "forecast", "compare", "--store", c.store, "--snapshot", id, "--json", "--parts", c.parts)
		if err != nil || !strings.Contains(got, `"complete_weeks"`) {
			t.Fatalf("compare in %s: %v\n%s", c.store, err, got)
		}
		got = strings.Replace(got, id, "ID", 1)
		if wantCmp == "" {
			wantCmp = got
		} else if got != wantCmp {
			t.Errorf("compare from %s in %s parts:\n%s\nfrom the embedded store:\n%s", c.store, c.parts, got, wantCmp)
		}
	}
	// The credit commands read their parts too: the default model's
	// snapshots, the accounts, the segments' seasons and fallback rates.
	fx := filepath.Join(ledger, "fx_rates.csv")
	for _, args := range [][]string{
		{"credit", "suggest", "--as-of", "2023-12-31", "--fx", fx, "--json"},
		{"credit", "flags", "--as-of", "2023-12-31", "--fx", fx, "--json"},
	} {
		want, _, err := call(t, nil, append(args, "--store", embedded)...)
		if err != nil || !strings.Contains(want, `"customer_id"`) {
			t.Fatalf("%v from the embedded store: %v\n%s", args[:2], err, want)
		}
		for _, c := range []struct{ store, parts string }{{single, "1"}, {single, "3"}, {cluster, "2"}} {
			got, _, err := call(t, nil, append(args, "--store", c.store, "--parts", c.parts)...)
			if err != nil || got != want {
				t.Errorf("%v from %s in %s parts: %v\n%s\nwhole, from the embedded store:\n%s", args[:2], c.store, c.parts, err, got, want)
			}
		}
	}
	u, _ := url.Parse(cluster)
	q := u.Query()
	q.Set("cluster", "no_such_cluster")
	u.RawQuery = q.Encode()
	if _, _, err := call(t, nil, "stats", "--store", u.String()); err == nil || !strings.Contains(err.Error(), `cluster "no_such_cluster" is not in the remote_servers`) {
		t.Fatalf("stats on an unknown cluster: %v", err)
	}
}

// A shard down fails the commands with its name; once it is back they
// print what they printed before.
func TestClusterShardDownFailsCommandsByName(t *testing.T) {
	chStore(t)
	c, err := chtest.Start(context.Background(), t.TempDir(), "cmd_down", 2)
	if err != nil {
		t.Fatalf("start a two-shard cluster: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	spec := c.DSN("ledger", "timeout=10s")
	ledger, _ := simulated(t)
	if _, _, err := call(t, nil, "import", "--store", spec, "--rejects", filepath.Join(t.TempDir(), "r.csv"), ledger); err != nil {
		t.Fatalf("import: %v", err)
	}
	before, _, err := call(t, nil, "stats", "--store", spec)
	if err != nil {
		t.Fatalf("stats: %v", err)
	}
	if err := c.Kill(1); err != nil {
		t.Fatal(err)
	}
	down := "shard 2 (" + c.Addr(1) + ")"
	for _, args := range [][]string{
		{"stats", "--store", spec},
		{"kpi", "--store", spec, "--from", "2023-07-01", "--to", "2023-12-31"},
		{"import", "--store", spec, "--rejects", filepath.Join(t.TempDir(), "r.csv"), ledger},
	} {
		if _, _, err := call(t, nil, args...); err == nil || !strings.Contains(err.Error(), down) {
			t.Errorf("%s with shard 2 down: %v; want an error naming %s", args[0], err, down)
		}
	}
	if err := c.Start(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	after, _, err := call(t, nil, "stats", "--store", spec)
	if err != nil || after != before {
		t.Fatalf("stats once the shard is back: %v\n%s\nwant\n%s", err, after, before)
	}
}

// On ClickHouse, kpi computes the KPIs in SQL inside the database, also
// converted to one currency (--currency, --fx); it prints, byte for byte
// and warnings included, what the Go engine prints from the embedded
// store, from the same server (--engine go) and on a two-shard cluster.
func TestKPIInSQLPrintsWhatTheGoEnginePrints(t *testing.T) {
	single, cluster := chStore(t), chCluster(t)
	ledger, embedded := simulated(t)
	fx := filepath.Join(ledger, "fx_rates.csv")
	for _, spec := range []string{single, cluster} {
		if _, _, err := call(t, nil, "import", "--store", spec, "--rejects", filepath.Join(t.TempDir(), "r.csv"), ledger); err != nil {
			t.Fatalf("import into %s: %v", spec, err)
		}
	}
	for _, args := range [][]string{
		{"kpi", "--from", "2023-07-01", "--to", "2023-12-31"},
		{"kpi", "--from", "2023-07-01", "--to", "2023-12-31", "--json"},
		{"kpi", "--from", "2023-03-15", "--to", "2023-12-20", "--monthly", "--json"},
		{"kpi", "--from", "2023-01-01", "--to", "2023-12-31", "--by", "segment", "--monthly"},
		{"kpi", "--from", "2023-10-01", "--to", "2023-10-31", "--by", "country", "--json"},
		{"kpi", "--from", "2023-06-01", "--to", "2023-11-30", "--by", "currency", "--monthly", "--json"},
		{"kpi", "--from", "2023-06-01", "--to", "2023-11-30", "--by", "customer", "--json"},
		{"kpi", "--from", "2023-12-01", "--to", "2023-12-31", "--by", "customer"},
		{"kpi", "--from", "2023-07-01", "--to", "2023-12-31", "--currency", "EUR", "--fx", fx},
		{"kpi", "--from", "2023-01-01", "--to", "2023-12-31", "--by", "segment", "--monthly", "--json", "--currency", "EUR", "--fx", fx},
		{"kpi", "--from", "2023-06-01", "--to", "2023-11-30", "--by", "customer", "--json", "--currency", "EUR", "--fx", fx},
	} {
		want, wantErr, err := call(t, nil, append(args, "--store", embedded)...)
		if err != nil {
			t.Fatalf("%v from the embedded store: %v", args, err)
		}
		if !strings.Contains(want, "DSO") && !strings.Contains(want, `"dso"`) {
			t.Fatalf("%v printed no KPIs:\n%s", args, want)
		}
		for _, c := range []struct{ name, store, engine string }{
			{"single server, SQL", single, "auto"},
			{"single server, SQL asked for", single, "sql"},
			{"single server, Go", single, "go"},
			{"two-shard cluster, SQL", cluster, "auto"},
		} {
			got, gotErr, err := call(t, nil, append(args, "--store", c.store, "--engine", c.engine)...)
			if err != nil {
				t.Fatalf("%v on the %s: %v", args, c.name, err)
			}
			if got != want || gotErr != wantErr {
				t.Errorf("%v on the %s:\n%s%s\nthe Go engine from the embedded store:\n%s%s", args, c.name, got, gotErr, want, wantErr)
			}
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--store", embedded, "--engine", "sql"}, "needs a ClickHouse store"},
		{[]string{"--store", single, "--engine", "sql", "--currency", "EUR"}, "give --fx rates to EUR"},
		{[]string{"--store", single, "--engine", "sql", "--parts", "2"}, "--parts needs --engine go"},
		{[]string{"--store", single, "--engine", "fast"}, `--engine "fast"`},
	} {
		_, _, err := call(t, nil, append([]string{"kpi", "--from", "2023-07-01", "--to", "2023-12-31"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("kpi %v: %v, want an error saying %q", c.args, err, c.want)
		}
	}
}

// train on ClickHouse builds its training set part by part and keeps only
// the examples; the model registered is the whole ledger's: the same id
// (which hashes the bundle and its metadata, the data fingerprint
// included) and the same bundle.json from the embedded store, one server
// in 1 and 3 parts and two shards in 2 parts; with --currency too. A
// customer sample drawn in ClickHouse is the same whatever the parts and
// the server or cluster.
func TestTrainInPartsRegistersTheWholeLedgersModel(t *testing.T) {
	single, cluster := chStore(t), chCluster(t)
	ledger, embedded := simulated(t)
	for _, spec := range []string{single, cluster} {
		if _, _, err := call(t, nil, "import", "--store", spec, "--rejects", filepath.Join(t.TempDir(), "r.csv"), ledger); err != nil {
			t.Fatalf("import into %s: %v", spec, err)
		}
	}
	train := func(args ...string) (model.Meta, string) {
		t.Helper()
		reg := filepath.Join(t.TempDir(), "models")
		out, _, err := call(t, nil, append([]string{"train", "--as-of", "2023-12-31", "--registry", reg, "--json"}, args...)...)
		if err != nil {
			t.Fatalf("train %v: %v", args, err)
		}
		var m model.Meta
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("train %v: %v\n%s", args, err, out)
		}
		b, err := os.ReadFile(filepath.Join(reg, m.ID, "bundle.json"))
		if err != nil {
			t.Fatal(err)
		}
		return m, string(b)
	}
	fx := filepath.Join(ledger, "fx_rates.csv")
	for _, opts := range [][]string{nil, {"--families", "logistic", "--currency", "EUR", "--fx", fx}} {
		want, wantBundle := train(append([]string{"--store", embedded}, opts...)...)
		for _, c := range []struct{ store, parts string }{{single, "1"}, {single, "3"}, {cluster, "2"}} {
			got, gotBundle := train(append([]string{"--store", c.store, "--parts", c.parts}, opts...)...)
			if got.ID != want.ID || got.DataFingerprint != want.DataFingerprint || gotBundle != wantBundle {
				t.Errorf("train %v from %s in %s parts: model %s (data %s), want %s (data %s) as from the embedded store; bundles equal: %v",
					opts, c.store, c.parts, got.ID, got.DataFingerprint, want.ID, want.DataFingerprint, gotBundle == wantBundle)
			}
		}
	}
	// Rates missing for two currencies: the error counts every part's
	// amounts, as the whole ledger's does.
	rates, err := os.ReadFile(fx)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(rates), "\n")
	if len(lines) < 4 {
		t.Fatalf("%s has %d lines", fx, len(lines))
	}
	partial := filepath.Join(t.TempDir(), "fx_partial.csv")
	if err := os.WriteFile(partial, []byte(lines[0]+strings.Join(lines[3:], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	unrated := func(args ...string) string {
		t.Helper()
		_, _, err := call(t, nil, append([]string{"train", "--as-of", "2023-12-31", "--registry", t.TempDir(), "--families", "logistic",
			"--currency", "EUR", "--fx", partial}, args...)...)
		if err == nil || !strings.Contains(err.Error(), "no rate to EUR for") {
			t.Fatalf("train %v with rates missing: %v", args, err)
		}
		return err.Error()
	}
	wantUnrated := unrated("--store", embedded)
	kpiUnrated := func(args ...string) string {
		t.Helper()
		_, _, err := call(t, nil, append([]string{"kpi", "--from", "2023-07-01", "--to", "2023-12-31", "--currency", "EUR", "--fx", partial}, args...)...)
		if err == nil || !strings.Contains(err.Error(), "no rate to EUR for") {
			t.Fatalf("kpi %v with rates missing: %v", args, err)
		}
		return strings.TrimPrefix(err.Error(), "kpi: ")
	}
	wantKPI := kpiUnrated("--store", embedded)
	for _, c := range []struct{ store, parts string }{{single, "3"}, {cluster, "2"}} {
		if got := unrated("--store", c.store, "--parts", c.parts); got != wantUnrated {
			t.Errorf("train from %s in %s parts with rates missing: %s, want %s", c.store, c.parts, got, wantUnrated)
		}
		if got := kpiUnrated("--store", c.store, "--parts", c.parts); got != wantKPI {
			t.Errorf("kpi from %s in %s parts with rates missing: %s, want %s", c.store, c.parts, got, wantKPI)
		}
	}
	sample := []string{"--families", "logistic", "--sample-customers", "0.5"}
	want, wantBundle := train(append([]string{"--store", single, "--parts", "1"}, sample...)...)
	whole, _ := train("--families", "logistic", "--store", single)
	if want.DataFingerprint == whole.DataFingerprint || want.TrainExamples >= whole.TrainExamples || want.TrainExamples < whole.TrainExamples/4 {
		t.Errorf("a half sample of the customers learned from %d examples (data %s), the whole ledger from %d (data %s)",
			want.TrainExamples, want.DataFingerprint, whole.TrainExamples, whole.DataFingerprint)
	}
	for _, c := range []struct{ store, parts string }{{single, "3"}, {cluster, "2"}, {cluster, "0"}} {
		got, gotBundle := train(append([]string{"--store", c.store, "--parts", c.parts}, sample...)...)
		if got.ID != want.ID || gotBundle != wantBundle {
			t.Errorf("a customer sample from %s in %s parts: model %s, want %s", c.store, c.parts, got.ID, want.ID)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--store", embedded, "--sample-customers", "0.5"}, "needs a ClickHouse store"},
		{[]string{"--store", single, "--sample-customers", "0"}, "want a share in (0, 1]"},
		{[]string{"--store", single, "--sample-customers", "1.5"}, "want a share in (0, 1]"},
		{[]string{"--store", single, "--sample-customers", "0.125"}, "at most two decimals"},
		{[]string{"--store", single, "--parts", "-1"}, "want 0 or more"},
	} {
		_, _, err := call(t, nil, append([]string{"train", "--as-of", "2023-12-31", "--registry", t.TempDir()}, c.args...)...)
		if exitCode(err) != 2 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("train %v: %v, want a usage error saying %q", c.args, err, c.want)
		}
	}
}

// backtest --store on ClickHouse reads the ledger in parts twice (training
// set, test set) and prints what backtest --input prints for the same
// ledger, predictions included, on one server and on two shards.
func TestBacktestFromTheStoreInPartsIsWhole(t *testing.T) {
	single, cluster := chStore(t), chCluster(t)
	ledger, embedded := simulated(t)
	for _, spec := range []string{single, cluster} {
		if _, _, err := call(t, nil, "import", "--store", spec, "--rejects", filepath.Join(t.TempDir(), "r.csv"), ledger); err != nil {
			t.Fatalf("import into %s: %v", spec, err)
		}
	}
	backtest := func(args ...string) (string, string) {
		t.Helper()
		pred := filepath.Join(t.TempDir(), "pred.csv")
		out, _, err := call(t, nil, append([]string{"backtest", "--families", "logistic", "--split", "0.7", "--json", "--predictions", pred}, args...)...)
		if err != nil {
			t.Fatalf("backtest %v: %v", args, err)
		}
		p, err := os.ReadFile(pred)
		if err != nil {
			t.Fatal(err)
		}
		return out, string(p)
	}
	want, wantPred := backtest("--input", ledger)
	if !strings.Contains(want, `"n_test"`) || strings.Count(wantPred, "\n") < 50 {
		t.Fatalf("backtest --input printed\n%s\nand %d predictions", want, strings.Count(wantPred, "\n"))
	}
	for _, c := range [][]string{{"--store", embedded}, {"--store", single, "--parts", "1"}, {"--store", single, "--parts", "3"}, {"--store", cluster, "--parts", "2"}} {
		got, gotPred := backtest(c...)
		if got != want || gotPred != wantPred {
			t.Errorf("backtest %v:\n%s\nwant, as backtest --input:\n%s\npredictions equal: %v", c, got, want, gotPred == wantPred)
		}
	}
	if _, _, err := call(t, nil, "backtest", "--input", ledger, "--store", single); exitCode(err) != 2 || !strings.Contains(err.Error(), "give --input or --store") {
		t.Errorf("backtest with --input and --store: %v", err)
	}
}

// recommend and policy ope on ClickHouse read the ledger in parts of whole
// customers and print what they print from the whole ledger in the
// embedded store: a worklist learnt from randomised decisions and ranked
// with a payment model's risks, on one server and on two shards.
func TestRecommendFromTheStoreInPartsIsWhole(t *testing.T) {
	single, cluster := chStore(t), chCluster(t)
	dir := t.TempDir()
	// Dunning logged by the scenario with randomised variation, so that
	// the effects are learnt and the off-policy estimate has decisions.
	env, err := synth.NewEnv(synth.EnvConfig{Config: synth.Config{Customers: 150, Months: 9, Seed: 23, Start: datasets.NewDate(2023, 1, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.RunUntil(context.Background(), env.End(), recommender.NewScenarioPolicy(recommender.DefaultScenarios(), recommender.SimFX(), nil, 0.25, 23)); err != nil {
		t.Fatal(err)
	}
	ledger := filepath.Join(dir, "ledger")
	if err := datasets.WriteDir(ledger, env.Ledger()); err != nil {
		t.Fatal(err)
	}
	fx := filepath.Join(dir, "fx.csv")
	rates := "currency,rate\n"
	for _, r := range synth.FXRates() {
		rates += r.Currency + "," + r.Rate.String() + "\n"
	}
	if err := os.WriteFile(fx, []byte(rates), 0o644); err != nil {
		t.Fatal(err)
	}
	embedded := filepath.Join(dir, "store")
	for _, spec := range []string{embedded, single, cluster} {
		if _, _, err := call(t, nil, "import", "--store", spec, "--rejects", filepath.Join(t.TempDir(), "r.csv"), ledger); err != nil {
			t.Fatalf("import into %s: %v", spec, err)
		}
	}
	cutoff := env.End() - 1
	day := env.End()
	for day.Time().Weekday() == time.Saturday || day.Time().Weekday() == time.Sunday {
		day++
	}
	reg := filepath.Join(dir, "models")
	if _, stderr, err := call(t, nil, "train", "--store", embedded, "--as-of", cutoff.String(), "--registry", reg,
		"--currency", "EUR", "--fx", fx, "--families", "logistic"); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	for _, c := range []struct {
		args []string
		want string // in the whole ledger's output
	}{
		{[]string{"recommend", "--as-of", day.String(), "--fx", fx, "--registry", reg, "--model", "promoted",
			"--capacity", "call=3,email=60", "--holdout", "0.1", "--format", "json"}, `"basis": "effects"`},
		{[]string{"policy", "ope", "--as-of", cutoff.String(), "--fx", fx, "--json"}, `"decisions"`},
	} {
		want, _, err := call(t, nil, append(c.args, "--store", embedded)...)
		if err != nil || !strings.Contains(want, c.want) {
			t.Fatalf("%v from the embedded store: %v\n%s", c.args[:2], err, want)
		}
		for _, p := range []struct{ store, parts string }{{single, "1"}, {single, "3"}, {cluster, "2"}} {
			got, _, err := call(t, nil, append(c.args, "--store", p.store, "--parts", p.parts)...)
			if err != nil || got != want {
				t.Errorf("%v from %s in %s parts: %v\n%s\nwhole, from the embedded store:\n%s", c.args[:2], p.store, p.parts, err, got, want)
			}
		}
	}
}
