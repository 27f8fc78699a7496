package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/chstore/chsql"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/model/forecast"
)

// customerSample is share customers of every of, chosen by the hash that
// splits a ledger into parts (cityHash64(customer_id) % of < share). The
// zero value is every customer.
type customerSample struct{ share, of int }

func (s customerSample) orAll() customerSample {
	if s.of < 1 {
		return customerSample{share: 1, of: 1}
	}
	return s
}

func (s customerSample) all() bool { s = s.orAll(); return s.share >= s.of }

// fraction is the share of customers s keeps.
func (s customerSample) fraction() float64 { s = s.orAll(); return float64(s.share) / float64(s.of) }

// sampleCustomersFlag registers --sample-customers.
func sampleCustomersFlag(fs *flag.FlagSet) *string {
	return fs.String("sample-customers", "1", "on a ClickHouse store, learn from this share of the customers only (0.01 to 1, two decimals at most),\n"+
		"chosen in the database by a hash of the customer id: the same customers whatever --parts, and only their records are read")
}

// parseCustomerSample reads a --sample-customers value: a share in (0, 1]
// with two decimals at most, as share/of in lowest terms (0.25: 1 of 4).
func parseCustomerSample(v string) (customerSample, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || !(f > 0 && f <= 1) {
		return customerSample{}, fmt.Errorf("%w: train: --sample-customers %q: want a share in (0, 1]", errUsage, v)
	}
	a := math.Round(f * 100)
	if math.Abs(f*100-a) > 1e-6 || a < 1 {
		return customerSample{}, fmt.Errorf("%w: train: --sample-customers %q: at most two decimals (0.01 to 1)", errUsage, v)
	}
	share, of := int(a), 100
	for g := gcd(share, of); g > 1; g = gcd(share, of) {
		share, of = share/g, of/g
	}
	return customerSample{share: share, of: of}, nil
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// quoteName quotes a ClickHouse identifier.
func quoteName(s string) string {
	return "`" + strings.NewReplacer(`\`, `\\`, "`", "\\`").Replace(s) + "`"
}

// issuedInWindow counts, in the database, the invoices of the customers of
// sample s issued in [from, to]: what features.Index.InvoicesIssued gives
// for the ledger of those customers.
func issuedInWindow(ctx context.Context, q chsql.Querier, from, to datasets.Date, s customerSample) (int, error) {
	s = s.orAll()
	db := ""
	if q.Database() != "" {
		db = quoteName(q.Database()) + "."
	}
	var n uint64
	err := q.QueryRow(ctx, "SELECT count() FROM "+db+"invoices FINAL WHERE toInt32(issue_date) BETWEEN @from AND @to AND cityHash64(customer_id) % @of < @share",
		sql.Named("from", int32(from)), sql.Named("to", int32(to)), sql.Named("of", uint64(s.of)), sql.Named("share", uint64(s.share))).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count the invoices issued from %s to %s: %w", from, to, err)
	}
	return int(n), nil
}

// trainOnStore learns a bundle from the ledger in store and returns it with
// the fingerprint of the records it read. A store that reads parts
// (ClickHouse) is read in parts of whole customers, one at a time, each
// indexed with the whole ledger's facts; only the training examples are
// kept (model.TrainingData), never the ledger, and the model is the one
// the whole ledger gives. The sample s (ClickHouse only) reads the parts of
// its customers only. The embedded store reads the whole ledger.
func trainOnStore(ctx context.Context, e env, store string, parts int, s customerSample, tf trainFlags, o model.TrainOptions) (*model.Bundle, string, error) {
	st, err := openStore(ctx, store, newLogger(e), false)
	if err != nil {
		return nil, "", err
	}
	defer st.Close()
	fx, err := reportingFX(*tf.currency, *tf.fx)
	if err != nil {
		return nil, "", err
	}
	// One guard from the count asked of the database to the last part:
	// they must read one ledger.
	return trainFromStore(ctx, e, "train", st, parts, s, &readGuard{}, fx, o)
}

// trainFromStore is trainOnStore on the open store st, converting with fx
// (nil: as recorded), its reads checked by g (which a caller reading the
// store again shares, so that all its reads are of one ledger). Its
// warning names cmd; an empty cmd keeps it quiet (a caller training
// again after a first warning).
func trainFromStore(ctx context.Context, e env, cmd string, st datasets.Store, parts int, s customerSample, g *readGuard, fx *datasets.FX, o model.TrainOptions) (*model.Bundle, string, error) {
	pc := newFXConverter(fx)
	o.FX = fx
	var (
		d           *model.TrainingData
		fingerprint string
	)
	if pl, ok := st.(partLoader); ok {
		if err := g.begin(ctx, pl); err != nil {
			return nil, "", err
		}
		from, to := model.TrainingWindow(o)
		n, err := issuedInWindow(ctx, pl, from, to, s)
		if err != nil {
			return nil, "", err
		}
		if d, err = model.NewTrainingData(o, n); err != nil {
			return nil, "", err
		}
		fp, err := newPartFingerprint()
		if err != nil {
			return nil, "", err
		}
		defer fp.Close()
		err = eachSampledPart(ctx, st, parts, s, g, func(l *datasets.Ledger, whole features.LedgerFacts) error {
			if err := fp.Add(l); err != nil {
				return err
			}
			conv, ok, err := pc.convert(l)
			if err != nil || !ok {
				return err
			}
			return d.Add(features.NewPartIndex(conv, whole))
		})
		if err == nil {
			err = pc.err()
		}
		if err != nil {
			return nil, "", err
		}
		if fingerprint, err = fp.Sum(); err != nil {
			return nil, "", err
		}
	} else {
		if !s.all() {
			return nil, "", fmt.Errorf("%w: --sample-customers needs a ClickHouse store (the embedded store reads the whole ledger; --max-invoices samples invoices)", errUsage)
		}
		l, err := loadSettled(ctx, st)
		if err != nil {
			return nil, "", err
		}
		fingerprint = model.Fingerprint(l)
		conv, ok, err := pc.convert(l)
		if err == nil && !ok {
			err = pc.err()
		}
		if err != nil {
			return nil, "", err
		}
		ix := features.NewIndex(conv)
		if d, err = model.NewTrainingData(o, ix.InvoicesIssued(model.TrainingWindow(o))); err != nil {
			return nil, "", err
		}
		if err := d.Add(ix); err != nil {
			return nil, "", err
		}
	}
	if cmd != "" {
		pc.warn(e, cmd)
	}
	d.SampleCustomers(s.fraction())
	b, err := d.Train(ctx)
	if err != nil {
		return nil, "", err
	}
	return b, fingerprint, nil
}

// usageIfRequest makes a bad request a usage error (exit 2): a currency
// without rates, or forecast options the model cannot meet (--weeks 14 of
// a 13-week model, which exited 1).
func usageIfRequest(err error) error {
	if re := (*datasets.RequestError)(nil); errors.As(err, &re) || errors.Is(err, forecast.ErrOptions) {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return err
}

// partConverter puts each part through the --currency/--fx conversion
// (datasets.PartConverter: the amounts without a rate counted over every
// part, the currencies left mixed gathered), which warn names as the whole
// ledger's conversion (trainFlags.convert) does.
type partConverter struct {
	fx *datasets.FX
	pc *datasets.PartConverter
}

func newPartConverter(tf trainFlags) (*partConverter, error) {
	return newReportingConverter(*tf.currency, *tf.fx)
}

// newReportingConverter is a partConverter to the reporting currency
// (empty: none) with the rates in fxPath, read once.
func newReportingConverter(currency, fxPath string) (*partConverter, error) {
	fx, err := reportingFX(currency, fxPath)
	if err != nil {
		return nil, err
	}
	return newFXConverter(fx), nil
}

// newFXConverter is a partConverter with the rates fx (nil: none).
func newFXConverter(fx *datasets.FX) *partConverter {
	return &partConverter{fx: fx, pc: datasets.NewPartConverter(fx)}
}

// convert converts the part l; ok is false, with no error, when rates are
// missing in l or an earlier part: the caller skips the part and returns
// err once every part is read.
func (pc *partConverter) convert(l *datasets.Ledger) (conv *datasets.Ledger, ok bool, err error) {
	conv, ok, err = pc.pc.Convert(l)
	return conv, ok, usageIfRequest(err)
}

// err is the amounts of every part converted so far that have no rate, or
// nil.
func (pc *partConverter) err() error { return pc.pc.Err() }

func (pc *partConverter) warn(e env, cmd string) {
	cs := pc.pc.Mixed()
	if len(cs) <= 1 {
		return
	}
	fmt.Fprintf(e.stderr, "dsopilot: warning: %s: amounts in %s are compared unconverted; give --currency and --fx\n", cmd, strings.Join(cs, ", "))
}
