package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/recommender"
)

func registryFlag(fs interface {
	String(name, value, usage string) *string
}, e env) *string {
	def := e.getenv("DSOPILOT_REGISTRY")
	if def == "" {
		def = "./models"
	}
	return fs.String("registry", def, "model registry directory (env DSOPILOT_REGISTRY)")
}

// trainFlags are the model options train and backtest share.
type trainFlags struct {
	grace, veryLate, maxInvoices *int
	disputeAfter                 *int
	seed                         *uint64
	families, currency, fx       *string
	peerPrior                    *string
}

func newTrainFlags(fs interface {
	Bool(name string, value bool, usage string) *bool
	Int(name string, value int, usage string) *int
	Uint64(name string, value uint64, usage string) *uint64
	String(name, value, usage string) *string
}) trainFlags {
	return trainFlags{
		grace:        fs.Int("grace-days", 0, "days after due before a payment counts as late"),
		veryLate:     fs.Int("very-late-days", 30, "days late beyond which a payment is very late"),
		maxInvoices:  fs.Int("max-invoices", 100_000, "learn from a hashed sample of about this many invoices when the window holds more (-1: all)"),
		seed:         fs.Uint64("seed", 1, "random seed (same data and seed give the same model)"),
		disputeAfter: disputeAfterFlag(fs),
		families: fs.String("families", strings.Join([]string{model.FamilyGBDT, model.FamilyLogistic, model.FamilyScorecard}, ","),
			"model families to compare, comma-separated"),
		currency: fs.String("currency", "", "convert every amount to this currency before learning (needs --fx for other currencies)"),
		fx:       fs.String("fx", "", "exchange rates to --currency: CSV with columns currency,rate"),
		peerPrior: fs.String("peer-prior", string(model.DefaultPrior), "on a small training window, the cold-start prior every invoice gets: "+
			"peers (the late share of the most similar established customers), segment (of the segment's) or off (false)"),
	}
}

// convert puts l through the --currency/--fx conversion and records it in
// o, warning when amounts of several currencies stay mixed.
func (f trainFlags) convert(e env, cmd string, l *datasets.Ledger, o *model.TrainOptions) (*datasets.Ledger, error) {
	conv, fx, mixed, err := reportingLedger(l, *f.currency, *f.fx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	if len(mixed) > 1 {
		fmt.Fprintf(e.stderr, "dsopilot: warning: %s: amounts in %s are compared unconverted; give --currency and --fx\n", cmd, strings.Join(mixed, ", "))
	}
	o.FX = fx
	return conv, nil
}

// options checks the flags and returns the training options they set.
func (f trainFlags) options(cmd string) (model.TrainOptions, error) {
	o := model.TrainOptions{GraceDays: *f.grace, VeryLateDays: *f.veryLate, MaxInvoices: *f.maxInvoices, Seed: *f.seed}
	var err error
	if o.Features.DisputeOpenedAfterDays, err = disputeAfter(cmd, *f.disputeAfter); err != nil {
		return o, err
	}
	if *f.grace < 0 || *f.veryLate <= *f.grace {
		return o, fmt.Errorf("%w: %s: --very-late-days %d must exceed --grace-days %d (≥ 0)", errUsage, cmd, *f.veryLate, *f.grace)
	}
	if *f.maxInvoices == 0 {
		return o, fmt.Errorf("%w: %s: --max-invoices must be positive or -1", errUsage, cmd)
	}
	if o.Prior, err = model.ParseColdPrior(*f.peerPrior); err != nil {
		return o, fmt.Errorf("%w: %s: --peer-prior: %v", errUsage, cmd, err)
	}
	if _, err := datasets.CheckReporting(*f.currency, *f.fx); err != nil {
		return o, fmt.Errorf("%w: %s: %v", errUsage, cmd, err)
	}
	for _, fam := range strings.Split(*f.families, ",") {
		switch fam = strings.TrimSpace(fam); fam {
		case model.FamilyGBDT, model.FamilyLogistic, model.FamilyScorecard:
			o.Families = append(o.Families, fam)
		default:
			return o, fmt.Errorf("%w: %s: --families: unknown family %q (gbdt, logistic, scorecard)", errUsage, cmd, fam)
		}
	}
	return o, nil
}

func runTrain(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "train", "[--store S] --as-of DATE [--registry DIR] [--seed N] [--grace-days N] [--very-late-days N] [--max-invoices N] [--families F] [--parts N] [--sample-customers F] [--json]",
		"Trains the late-payment, very-late, 90+ and pay-date models on what was known at the end of DATE,\n"+
			"compares a boosted tree ensemble, a logistic regression and a points scorecard on time-series folds of\n"+
			"the training window, calibrates the champion on their out-of-fold predictions, reports it on the latest\n"+
			"invoices, held out from all of that, and registers the result. The first model registered is promoted.\n"+
			"On a ClickHouse store the training set is built part by part (--parts) and only it is kept, not the ledger:\n"+
			"the model is the one the whole ledger gives.")
	store := storeFlag(fs, e)
	asOf := fs.String("as-of", "", "training cut-off (YYYY-MM-DD; default today)")
	reg := registryFlag(fs, e)
	tf := newTrainFlags(fs)
	promote := fs.Bool("promote", false, "promote the new model even if another is in service")
	asJSON := fs.Bool("json", false, "print the registered model's metadata as JSON")
	parts := partsFlag(fs)
	sampleFlag := sampleCustomersFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	o, err := tf.options("train")
	if err != nil {
		return err
	}
	sample, err := parseCustomerSample(*sampleFlag)
	if err != nil {
		return err
	}
	if *parts < 0 {
		return fmt.Errorf("%w: train: --parts %d: want 0 or more", errUsage, *parts)
	}
	t, err := parseAsOf("as-of", *asOf)
	if err != nil {
		return err
	}
	start := time.Now()
	o.AsOf, o.Log = t, newLogger(e)
	b, fingerprint, err := trainOnStore(ctx, e, *store, *parts, sample, tf, o)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	r := model.Registry{Dir: *reg}
	m, err := r.Register(b, fingerprint, version, time.Now())
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	promoted := false
	if _, perr := r.Promoted(); *promote || errors.Is(perr, model.ErrNoPromoted) {
		if err := r.Promote(m.ID); err != nil {
			return fmt.Errorf("train: %w", err)
		}
		promoted = true
	}
	if w := naiveWarning(m.Validation, promoted); w != "" {
		fmt.Fprintf(e.stderr, "dsopilot: warning: train: %s\n", w)
	}
	if *asJSON {
		return writeJSON(e.stdout, m)
	}
	fmt.Fprintf(e.stdout, "registered %s in %s (%.1fs)\n", m.ID, *reg, time.Since(start).Seconds())
	printEvidence(e.stdout, b, m)
	// Said at training only: a bundle trained before the stopped-paying
	// share existed has none and would be misdescribed by models show.
	for _, s := range b.Default90Stopped.Notes(b) {
		fmt.Fprintln(e.stdout, s)
	}
	return nil
}

// naiveWarning is the warning for a model whose late/on-time calls on
// the held-out invoices make more errors than always guessing the
// training majority, "" otherwise. Its probabilities may still rank and
// size the risk well (AUC, Brier), which is what scores and the forecast
// use; its calls are worse than the naive guess, and whoever reads them
// must be told, above all when the model went into service.
func naiveWarning(v model.Metrics, promoted bool) string {
	if v.N == 0 || v.ErrorCutVsNaive >= 0 {
		return ""
	}
	state := "it is registered, not in service"
	if promoted {
		state = "it is in service (promoted)"
	}
	return fmt.Sprintf("on the %d held-out invoices the model's late/on-time calls make %.0f%% more errors than always guessing the training majority; "+
		"its probabilities rank at AUC %.3f with Brier %.3f; %s: check it with dsopilot backtest before acting on its calls",
		v.N, -100*v.ErrorCutVsNaive, float64(v.AUC), v.Brier, state)
}

// printEvidence says how the champion was chosen and calibrated and how it
// did on the invoices held out from all of that.
func printEvidence(w io.Writer, b *model.Bundle, m model.Meta) {
	folds := "folds"
	if b.Folds == 1 {
		folds = "fold"
	}
	fmt.Fprintf(w, "candidates, on %d time-series %s of the training window (out-of-fold, before calibration):\n", b.Folds, folds)
	for _, c := range m.Candidates {
		fmt.Fprintf(w, "  %-10s %-10s AUC %.3f  log loss %.3f  Brier %.3f\n", c.Family, c.Setting, c.AUC, c.LogLoss, c.Brier)
	}
	printAssumptions(w, b.Assumptions)
	for _, s := range b.Skipped {
		fmt.Fprintf(w, "skipped: %s\n", s)
	}
	v := m.Validation
	fmt.Fprintf(w, "champion %s (%s); on %d later invoices held out from every fit, stop, choice and calibration: AUC %.3f, Brier %.3f, ECE %.3f, accuracy %.3f, errors cut vs naive %.0f%%\n",
		m.Champion, b.Late.Setting, v.N, v.AUC, v.Brier, v.ECE, v.Accuracy, 100*v.ErrorCutVsNaive)
	if note := lateShareNote(v.LateShare, b.Options.GraceDays); note != "" {
		fmt.Fprintln(w, note)
	}
	if b.LateThreshold > 0 {
		fmt.Fprintf(w, "late threshold %.2f: an invoice is called late at p_late ≥ %.2f (chosen on %d out-of-sample issue-date predictions of the folds and the held-out invoices; the validation's accuracy is at %.2f, the folds' own choice)\n",
			b.LateThreshold, b.LateThreshold, b.ThresholdExamples, v.Threshold)
	} else {
		fmt.Fprintln(w, "late threshold 0.50 (a model from before thresholds were chosen)")
	}
	if b.Folds == 1 {
		fmt.Fprintf(w, "the registered model was then recalibrated on %d predictions of the fold and the held-out invoices\n", b.Late.Calibration)
	} else {
		fmt.Fprintf(w, "the registered model was then refitted with the held-out invoices and calibrated on %d out-of-fold and held-out predictions\n", b.Late.Calibration)
	}
}

// lateShareHigh is the share of late invoices above which "late" says
// little on its own: a trial's SAP ledger had 88% of its invoices settled
// a day or more after due, its model's late/on-time calls cut no errors
// against always guessing late, and its credit manager read the target
// as the wrong question.
const lateShareHigh = 0.75

// lateShareNote says, when most invoices count as late, that "late" is
// measured from the due date plus graceDays and how to move that line;
// "" otherwise.
func lateShareNote(share float64, graceDays int) string {
	if share < lateShareHigh {
		return ""
	}
	return fmt.Sprintf("note: %.0f%% of the held-out invoices count as late (settled more than %d days after due): the late/on-time call then has little to add to "+
		"\"late\" itself; if a few days late do not matter to you, train with --grace-days N so that late means more than N days after due "+
		"(p_very_late already gives the chance of more than the very-late days)", 100*share, graceDays)
}

func runModels(ctx context.Context, e env, args []string) error {
	const usage = "Usage: dsopilot models list [--registry DIR] [--json] | dsopilot models show [ID] [--registry DIR] [--json] | dsopilot models promote ID [--registry DIR]"
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintln(e.stdout, usage)
		return errHelp
	}
	if len(args) == 0 || (args[0] != "list" && args[0] != "promote" && args[0] != "show") {
		fmt.Fprintln(e.stderr, usage)
		return fmt.Errorf("%w: models: want list, show or promote", errUsage)
	}
	fs := newFlags(e, "models "+args[0], "[--registry DIR] [ID]",
		"Lists the registered models, shows one (its evidence: validation, candidates, what drives its scores), or promotes one into service.")
	reg := registryFlag(fs, e)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	r := model.Registry{Dir: *reg}
	if args[0] == "show" {
		if len(pos) > 1 {
			return fmt.Errorf("%w: models show: at most one model id", errUsage)
		}
		id := ""
		if len(pos) == 1 {
			id = pos[0]
		}
		b, meta, err := loadModel(*reg, id)
		if err != nil {
			return fmt.Errorf("models show: %w", err)
		}
		promoted, _ := r.Promoted()
		if *asJSON {
			return writeJSON(e.stdout, map[string]any{"model": meta, "promoted": meta.ID == promoted, "importance": b.Importance,
				"invoice_sample": b.Sample, "options": b.Options})
		}
		return printModel(e.stdout, b, meta, meta.ID == promoted)
	}
	if args[0] == "promote" {
		if len(pos) != 1 {
			return fmt.Errorf("%w: models promote: want one model id", errUsage)
		}
		if err := r.Promote(pos[0]); err != nil {
			return fmt.Errorf("models promote: %w", registryError(*reg, err))
		}
		fmt.Fprintf(e.stdout, "promoted %s\n", pos[0])
		return nil
	}
	list, promoted, err := r.List()
	if err != nil {
		return fmt.Errorf("models list: %w", err)
	}
	if *asJSON {
		return writeJSON(e.stdout, map[string]any{"promoted": promoted, "models": list})
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tid\tchampion\ttrained on\tvalidation AUC\tECE\tdata")
	for _, m := range list {
		mark := ""
		if m.ID == promoted {
			mark = "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s..%s\t%.3f\t%.3f\t%s\n", mark, m.ID, m.Champion, m.TrainWindow[0], m.TrainWindow[1], m.Validation.AUC, m.Validation.ECE, prefix(m.DataFingerprint, 12))
	}
	return tw.Flush()
}

func runScore(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "score", "[--store S] --as-of DATE [--model ID] [--registry DIR] [--format csv|json] [--reasons N] [--parts N]",
		"Scores every invoice open at the end of DATE with the promoted model (or --model): probability of late\n"+
			"payment, on time / 1-30 days late / very late, 90+ risk, the pay date with P10 and P90, and the top reasons.\n"+
			"Riskiest invoices first.")
	store := storeFlag(fs, e)
	asOf := fs.String("as-of", "", "date of the open book (YYYY-MM-DD; default today)")
	reg := registryFlag(fs, e)
	id := fs.String("model", "", "model id (default: the promoted one)")
	format := fs.String("format", "csv", "csv or json")
	nReasons := fs.Int("reasons", 3, "reasons per invoice")
	extraFX := fs.String("fx", "", "rates to the model's currency for currencies it did not learn (CSV currency,rate; the model's own rates stay)")
	parts := partsFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *format != "csv" && *format != "json" {
		return fmt.Errorf("%w: score: --format %q, want csv or json", errUsage, *format)
	}
	t, err := parseAsOf("as-of", *asOf)
	if err != nil {
		return err
	}
	b, meta, err := loadModel(*reg, *id)
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	// The open book as of t is what was known by the end of t: a model
	// trained later has seen how it ended.
	if err := recommender.CheckModelKnownBy(b, t); err != nil {
		if u := modelCutoffUsageOr("score", 0, "", err); u != nil {
			return u
		}
		return fmt.Errorf("score: %w", err)
	}
	if *extraFX != "" && b.Options.FX == nil {
		return fmt.Errorf("%w: score: model %s learned from unconverted amounts: --fx does not apply", errUsage, meta.ID)
	}
	var extra *datasets.FX
	if *extraFX != "" {
		more, err := datasets.ReadFXFile(*extraFX, b.Options.FX.To)
		if err != nil {
			return fmt.Errorf("score: %w", err)
		}
		extra = &more
	}
	// Score in the currency the model learned in, at its rates; --fx only
	// adds currencies the model has no rate for.
	fx, err := b.ScoringFX(extra)
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	preds, err := scoreOpenBook(ctx, e, *store, *parts, b, meta.ID, fx, t, *nReasons)
	if err != nil {
		return err
	}
	if *format == "json" {
		return writeJSON(e.stdout, map[string]any{"model": meta.ID, "as_of": t.String(), "invoices": preds})
	}
	return writePredictionsCSV(e.stdout, meta.ID, preds)
}

func writePredictionsCSV(w io.Writer, id string, preds []model.Prediction) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"customer_id", "invoice_id", "due_date", "currency", "amount", "outstanding", "invoice_currency", "invoice_amount", "invoice_outstanding", "p_late", "p_on_time", "p_late_1_30", "p_very_late", "p_90_plus",
		"pay_date", "pay_date_p10", "pay_date_p90", "known_late", "late", "cold_start", "reasons", "model"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
	for _, p := range preds {
		d90 := ""
		if p.PDefault90 != nil {
			d90 = f(*p.PDefault90)
		}
		var rs []string
		for _, r := range p.Reasons {
			rs = append(rs, r.Text)
		}
		own := []string{"", "", ""}
		if p.InvoiceCurrency != "" {
			own = []string{p.InvoiceCurrency, p.InvoiceAmount.String(), p.InvoiceOutstanding.String()}
		}
		cw.Write([]string{p.CustomerID, p.InvoiceID, p.DueDate.String(), p.Currency, p.Amount.String(), p.Outstanding.String(), own[0], own[1], own[2], f(p.PLate), f(p.POnTime), f(p.PLate1To30), f(p.PVeryLate), d90,
			p.PayDate.String(), p.PayDateP10.String(), p.PayDateP90.String(), strconv.FormatBool(p.KnownLate), strconv.FormatBool(p.Late), strconv.FormatBool(p.ColdStart), strings.Join(rs, "; "), id})
	}
	cw.Flush()
	return cw.Error()
}

func runBacktest(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "backtest", "(--input PATH [--columns ...] [--date-format FMT] | --store S [--parts N]) (--split 0.7 | --cutoff DATE) [--grace-days N] [--json] [--json-out FILE] [--predictions FILE]",
		"Honest out-of-time evaluation. PATH is a ledger directory or a single cleared-items CSV (one row per\n"+
			"invoice with its settled date). It is imported into a temporary embedded store; the models train only\n"+
			"on what was known at the cut-off and are tested on invoices issued from it on, against two baselines:\n"+
			"the training prior and the customer's own historical late ratio. With --store instead, the ledger of\n"+
			"that store; on ClickHouse it is read in parts of whole customers, twice (training set, then test set).")
	in := newInputFlags(fs)
	split := fs.Float64("split", 0.7, "cut-off at this quantile of issue dates")
	cutoff := fs.String("cutoff", "", "cut-off date (overrides --split)")
	tf := newTrainFlags(fs)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	predictions := fs.String("predictions", "", "write invoice_id,p_late,predicted_days_late,actual_late,cold_start,late (the model's call at its threshold) for the test invoices")
	jsonOut := fs.String("json-out", "", "also write the result as JSON to this file (for dsopilot report --backtest), whatever is printed")
	store := fs.String("store", "", "backtest the ledger of this store instead of --input (a ClickHouse store is read in parts)")
	parts := partsFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := in.check(fs, "backtest", *store); err != nil {
		return err
	}
	if *cutoff == "" && (*split <= 0 || *split >= 1) {
		return fmt.Errorf("%w: backtest: --split %v, want a fraction between 0 and 1 (or give --cutoff)", errUsage, *split)
	}
	to, err := tf.options("backtest")
	if err != nil {
		return err
	}
	to.Log = newLogger(e)
	o := model.BacktestOptions{Split: *split, Train: to}
	if *cutoff != "" {
		d, err := datasets.ParseDate(*cutoff)
		if err != nil {
			return fmt.Errorf("%w: backtest: --cutoff: %v", errUsage, err)
		}
		o.Cutoff = d
	}
	var (
		res  *model.Backtest
		rows []model.PredictionRow
	)
	if *store != "" {
		if res, rows, err = backtestOnStore(ctx, e, *store, *parts, tf, o); err != nil {
			return fmt.Errorf("backtest: %w", err)
		}
	} else {
		l, err := importTemp(ctx, e, "backtest", in)
		if err != nil {
			return err
		}
		if l, err = tf.convert(e, "backtest", l, &o.Train); err != nil {
			return err
		}
		if res, rows, err = model.RunBacktest(ctx, l, o); err != nil {
			return fmt.Errorf("backtest: %w", err)
		}
	}
	if *predictions != "" {
		if err := writeBacktestPredictions(*predictions, rows); err != nil {
			return fmt.Errorf("backtest: %w", err)
		}
	}
	if *jsonOut != "" {
		if err := writeJSONFile(*jsonOut, res); err != nil {
			return fmt.Errorf("backtest: %w", err)
		}
	}
	if *asJSON {
		return writeJSON(e.stdout, res)
	}
	fmt.Fprintf(e.stdout, "cut-off %s: trained on %d snapshots of invoices (an invoice at each age it was scored), tested on %d invoices (%d unresolved left out); champion %s\n",
		res.Cutoff, res.NTrain, res.NTest, res.NTestOpen, res.Champion)
	fmt.Fprintf(e.stdout, "late threshold %.2f (chosen in training, on time-series folds): dsopilot's accuracy, F1 and errors cut are its calls at p_late ≥ %.2f; the baselines call a rate ≥ 0.50 late\n",
		res.Threshold, res.Threshold)
	printAssumptions(e.stdout, res.Assumptions)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tAUC\tBrier\tlog loss\taccuracy\tmacro F1\tECE\terrors cut\t")
	for _, r := range []struct {
		name string
		m    model.Metrics
	}{{"dsopilot", res.Metrics}, {"prior", res.Baselines.Prior}, {"customer history", res.Baselines.CustomerHistory}} {
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.0f%%\t\n", r.name, r.m.AUC, r.m.Brier, r.m.LogLoss, r.m.Accuracy, r.m.MacroF1, r.m.ECE, 100*r.m.ErrorCutVsNaive)
	}
	tw.Flush()
	if c := res.ColdStart; c != nil {
		fmt.Fprintf(e.stdout, "cold start (no settled invoice in the history window): %d test invoices, AUC %.3f, Brier %.3f, accuracy %.3f; the prior: Brier %.3f, accuracy %.3f\n",
			c.Model.N, c.Model.AUC, c.Model.Brier, c.Model.Accuracy, c.Prior.Brier, c.Prior.Accuracy)
	}
	fmt.Fprintf(e.stdout, "mean absolute error of days late: %.1f over the settled test invoices; %.1f over the %d paid after their due date\n",
		res.MAEDaysLate, res.MAEDaysLateOfLate, res.NLate)
	return nil
}

func writeBacktestPredictions(path string, rows []model.PredictionRow) error {
	b01 := func(b bool) string {
		if b {
			return "1"
		}
		return "0"
	}
	return writeCSVFile(path, []string{"invoice_id", "p_late", "predicted_days_late", "actual_late", "cold_start", "late"}, len(rows), func(i int) []string {
		r := rows[i]
		return []string{r.InvoiceID, strconv.FormatFloat(r.PLate, 'f', 6, 64), strconv.FormatFloat(r.PredictedDaysLate, 'f', 1, 64), b01(r.ActualLate), b01(r.ColdStart), b01(r.Late)}
	})
}

// printModel prints a model's evidence for a credit manager.
func printModel(w io.Writer, b *model.Bundle, m model.Meta, promoted bool) error {
	state := ""
	if promoted {
		state = " (in service)"
	}
	fmt.Fprintf(w, "model %s%s, built by %s, seed %d\n", m.ID, state, m.BuildVersion, m.Seed)
	cur := "amounts as recorded"
	if fx := b.Options.FX; fx != nil {
		cur = "amounts converted to " + fx.To
	}
	sample := b.Sample
	if sample == 0 {
		sample = 1
	}
	fmt.Fprintf(w, "learned from invoices issued %s..%s: %d training and %d held-out snapshots (an invoice is described when issued and again around its due date), %.0f%% of the invoices, %s\n",
		m.TrainWindow[0], m.TrainWindow[1], m.TrainExamples, m.ValidExamples, 100*sample, cur)
	fmt.Fprintf(w, "late means paid more than %d days after the due date; very late, more than %d\n", b.Options.GraceDays, b.Options.VeryLateDays)
	printEvidence(w, b, m)
	if len(b.Importance) > 0 {
		fmt.Fprintln(w, "what drives the late-payment score (share of the attribution on held-out invoices):")
		for _, f := range b.Importance[:min(12, len(b.Importance))] {
			fmt.Fprintf(w, "  %-32s %5.1f%%\n", f.Feature, 100*f.Share)
		}
	}
	if sc := b.Late.Scorecard; sc != nil {
		fmt.Fprintln(w, "points table:")
		fmt.Fprint(w, sc.Table())
	}
	return nil
}

// disputeAfterFlag registers --dispute-opened-after-days (-1: unset).
func disputeAfterFlag(fs interface {
	Int(name string, value int, usage string) *int
}) *int {
	return fs.Int("dispute-opened-after-days", -1,
		"on a ledger without dispute records, assume a flagged invoice's dispute opened this many days after issue\n"+
			"(-1: assume nothing, so the undated flag is read only as of the ledger's latest date)")
}

// disputeAfter turns the flag's value into the features option.
func disputeAfter(cmd string, n int) (*int, error) {
	switch {
	case n == -1:
		return nil, nil
	case n < 0:
		return nil, fmt.Errorf("%w: %s: --dispute-opened-after-days %d: want a number of days ≥ 0", errUsage, cmd, n)
	}
	return &n, nil
}

// printAssumptions names what a model took on trust.
func printAssumptions(w io.Writer, as []string) {
	for _, a := range as {
		fmt.Fprintf(w, "assumption: %s\n", a)
	}
}

// prefix is s cut to at most n bytes (a fingerprint read from a file may be
// shorter than it should be).
func prefix(s string, n int) string { return s[:min(n, len(s))] }
