package model

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// trainedScorer trains a bundle on a small simulated ledger and returns a
// scorer with the ledger as evidence and the open invoices at asOf. The
// tests share one training (a small window trains on three folds and a
// grid: tens of seconds on a loaded machine).
func trainedScorer(t *testing.T) (*Scorer, *features.Table, *datasets.Ledger) {
	t.Helper()
	sharedScorer.once.Do(func() {
		sharedScorer.sc, sharedScorer.tab, sharedScorer.l, sharedScorer.err = trainScorer(t, 22)
	})
	if sharedScorer.err != nil {
		t.Fatal(sharedScorer.err)
	}
	return sharedScorer.sc, sharedScorer.tab, sharedScorer.l
}

var sharedScorer struct {
	once sync.Once
	sc   *Scorer
	tab  *features.Table
	l    *datasets.Ledger
	err  error
}

func trainScorer(t *testing.T, seed uint64) (*Scorer, *features.Table, *datasets.Ledger, error) {
	l, _ := simulate(t, 150, 18, seed)
	asOf := datasets.NewDate(2024, 5, 31)
	ix := features.NewIndex(l)
	b, err := Train(context.Background(), ix, TrainOptions{AsOf: asOf, Seed: 1, GBDT: quickGBDT})
	if err != nil {
		return nil, nil, nil, err
	}
	tab := features.NewEngine(ix, b.Options.Features).OpenInvoices(asOf)
	sc, err := NewScorer(b, tab.Specs)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(tab.Rows) < scoreBlock+10 {
		return nil, nil, nil, fmt.Errorf("only %d open invoices: the test needs more than one block", len(tab.Rows))
	}
	return sc.WithEvidence(ix), tab, l, nil
}

// Batch scoring (several blocks, several goroutines) gives exactly what
// scoring one invoice at a time gives.
func TestScoreBatchEqualsScore(t *testing.T) {
	sc, tab, _ := trainedScorer(t)
	batch := make([]Prediction, len(tab.Rows))
	if err := sc.ScoreBatch(tab.Rows, 3, batch); err != nil {
		t.Fatal(err)
	}
	for i := range tab.Rows {
		one, err := sc.Score(&tab.Rows[i], 3)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(one, batch[i]) {
			t.Fatalf("invoice %s: batch %+v, single %+v", tab.Rows[i].InvoiceID, batch[i], one)
		}
	}
}

// Reasons are the features with the largest contributions, largest first,
// and an open dispute is quoted with the date it was opened.
func TestReasonsAreTheLargestFactorsAndQuoteDisputes(t *testing.T) {
	sc, tab, l := trainedScorer(t)
	opened := map[string]datasets.Date{}
	for _, d := range l.Disputes {
		if d.Opened <= tab.AsOf && (d.Resolved == 0 || d.Resolved > tab.AsOf) {
			if o, ok := opened[d.InvoiceID]; !ok || d.Opened < o {
				opened[d.InvoiceID] = d.Opened
			}
		}
	}
	quoted, example := 0, ""
	for i := range tab.Rows {
		r := &tab.Rows[i]
		p, err := sc.Score(r, 4)
		if err != nil {
			t.Fatal(err)
		}
		// Recompute the per-feature sums from the classifier itself, and
		// sum them per sentence group.
		mr, err := sc.modelRow(make([]float64, sc.nNum+1), r)
		if err != nil {
			t.Fatal(err)
		}
		byFeature := featureContributions(sc, &mr)
		by, groupOf := map[string]float64{}, map[string]string{}
		for _, sp := range sc.feats {
			g := reasonGroup(sp)
			groupOf[sp.Name] = g
			by[g] += byFeature[sp.Name]
		}
		for g, c := range by {
			if c == 0 {
				delete(by, g)
			}
		}
		var rs []Reason
		for k, rr := range p.Reasons {
			switch rr.Feature {
			case "known_late":
				// Stated first, and only for invoices past due + grace.
				if k != 0 || !p.KnownLate || !strings.Contains(rr.Text, " past its due date of ") {
					t.Fatalf("known-late reason %d %q for %+v", k, rr.Text, p)
				}
			case "cold_start", "beyond_horizon":
			default:
				rs = append(rs, rr)
			}
		}
		if p.KnownLate && (len(p.Reasons) == 0 || p.Reasons[0].Feature != "known_late") {
			t.Fatalf("known-late invoice without the reason: %+v", p.Reasons)
		}
		if len(rs) != min(4, len(by)) {
			t.Fatalf("%d reasons, want 4", len(rs))
		}
		texts := map[string]string{}
		for k, rr := range rs {
			if g := groupOf[rr.Feature]; math.Abs(by[g]-rr.Contribution) > 1e-12 {
				t.Fatalf("reason %s: contribution %v, its group %s sums to %v", rr.Feature, rr.Contribution, g, by[g])
			}
			// One statement, one direction: no two reasons say the same
			// thing (one raising, one lowering the risk).
			st := strings.NewReplacer("(raises the risk)", "", "(lowers the risk)", "").Replace(rr.Text)
			if prev, dup := texts[st]; dup {
				t.Fatalf("invoice %s: %q and %q", r.InvoiceID, prev, rr.Text)
			}
			texts[st] = rr.Text
			if k > 0 && math.Abs(rr.Contribution) > math.Abs(rs[k-1].Contribution) {
				t.Fatalf("reasons out of order: %+v", rs)
			}
		}
		smallest := math.Abs(rs[len(rs)-1].Contribution)
		in := map[string]bool{}
		for _, rr := range rs {
			in[groupOf[rr.Feature]] = true
		}
		for g, c := range by {
			if !in[g] && math.Abs(c) > smallest {
				t.Fatalf("group %s (%.4f) outweighs reason %s", g, c, rs[len(rs)-1].Feature)
			}
		}
		for _, rr := range rs {
			if rr.Feature != "inv_disputed" || !strings.HasPrefix(rr.Text, "open dispute") {
				continue
			}
			d, ok := opened[r.InvoiceID]
			if !ok {
				t.Fatalf("invoice %s has no open dispute but reason says %q", r.InvoiceID, rr.Text)
			}
			if want := "since " + longDate(d); !strings.Contains(rr.Text, want) {
				t.Fatalf("reason %q does not say %q", rr.Text, want)
			}
			quoted++
			example = rr.Text
		}
	}
	if quoted == 0 {
		t.Fatal("no reason quoted an open dispute")
	}
	t.Logf("%d reasons quoted an open dispute, e.g. %q", quoted, example)
}

// A row that does not have the model's shape is an error, in Score and in
// ScoreBatch (which then scores nothing), never a panic in a worker.
func TestRowsOfTheWrongShapeAreErrors(t *testing.T) {
	sc, tab, _ := trainedScorer(t)
	rows := append([]features.Row(nil), tab.Rows...)
	bad := rows[70]
	bad.Num = bad.Num[:len(bad.Num)-1]
	rows[70] = bad
	if _, err := sc.Score(&bad, 3); !errors.Is(err, ErrBadRow) {
		t.Fatalf("Score of a short row: %v, want ErrBadRow", err)
	}
	out := make([]Prediction, len(rows))
	err := sc.ScoreBatch(rows, 0, out)
	if !errors.Is(err, ErrBadRow) || !strings.Contains(err.Error(), bad.InvoiceID) {
		t.Fatalf("ScoreBatch with a short row: %v, want ErrBadRow naming %s", err, bad.InvoiceID)
	}
	if out[0].InvoiceID != "" {
		t.Fatal("ScoreBatch scored rows although one did not fit")
	}
	if err := sc.ScoreBatch(rows[:3], 0, out[:2]); !errors.Is(err, ErrBadRow) {
		t.Fatalf("mismatched output length: %v", err)
	}
}

// featureContributions is the late model's contribution of each feature
// to the margin of the model row mr, from the classifier's columns.
func featureContributions(sc *Scorer, mr *features.Row) map[string]float64 {
	x := sc.b.Encoder.encode(sc.b.Late.Family, nil, mr)
	contrib := make([]float64, len(x))
	sc.b.Late.Contributions(x, contrib)
	by := map[string]float64{}
	cols := sc.b.Encoder.columns(sc.b.Late.Family)
	for j, c := range contrib {
		by[featureOfColumn(cols[j])] += c
	}
	return by
}

// featureOfColumn reads the feature back out of an encoded column's display
// name ("x=level", "log(x)", "x missing"): an account of the columns
// independent of the encoder's own.
func featureOfColumn(col string) string {
	if i := strings.Index(col, "="); i > 0 {
		return col[:i]
	}
	col = strings.TrimSuffix(col, " missing")
	if strings.HasPrefix(col, "log(") {
		col = strings.TrimSuffix(strings.TrimPrefix(col, "log("), ")")
	}
	return col
}
