package model

import (
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// sentenceScorer is a scorer with just what sentences read: the feature
// positions of the default catalogue, and b.
func sentenceScorer(b *Bundle) (*Scorer, []features.Spec) {
	o := features.Options{}.WithDefaults()
	specs := features.InvoiceSpecs(o)
	s := &Scorer{b: b, at: map[specKey]int{}, longest: o.Longest()}
	for _, sp := range specs {
		if sp.Kind == features.Numeric {
			s.at[specKey{sp.Base, sp.Window}] = s.nNum
			s.nNum++
		} else {
			s.at[specKey{sp.Base, sp.Window}] = s.nCat
			s.nCat++
		}
	}
	return s, specs
}

// row sets the named features (name → value; a string for a categorical
// one) and leaves the others 0 or "".
func (s *Scorer) row(specs []features.Spec, set map[string]any) *features.Row {
	r := &features.Row{CustomerID: "C1", InvoiceID: "I1", AsOf: datasets.NewDate(2024, 12, 31), Num: make([]float64, s.nNum), Cat: make([]string, s.nCat)}
	for _, sp := range specs {
		v, ok := set[sp.Name]
		if !ok {
			continue
		}
		j := s.at[specKey{sp.Base, sp.Window}]
		if sp.Kind == features.Numeric {
			r.Num[j] = v.(float64)
		} else {
			r.Cat[j] = v.(string)
		}
	}
	return r
}

func specNamed(t *testing.T, specs []features.Spec, name string) features.Spec {
	t.Helper()
	for _, sp := range specs {
		if sp.Name == name {
			return sp
		}
	}
	t.Fatalf("no feature %s", name)
	return features.Spec{}
}

// Each figure a reason quotes is called what it is (a mean "on average", a
// median "median"), and the feature that contributed chooses the sentence,
// never the wrong statistic.
func TestSentencesNameTheirStatistic(t *testing.T) {
	s, specs := sentenceScorer(&Bundle{})
	vals := map[string]any{"days_late_mean_90d": 20.0, "days_late_mean_180d": 15.0,
		"days_late_mean_365d": 13.0, "days_late_median_365d": 10.0, "days_late_p90_365d": 44.0,
		"days_to_pay_mean_90d": math.NaN(), "days_to_pay_mean_180d": 41.0, "days_to_pay_median_180d": 35.0, "days_to_pay_p90_180d": 70.0,
		"days_to_pay_mean_365d": 38.0, "days_to_pay_median_365d": 30.0, "days_to_pay_p90_365d": 65.0,
		"last3_days_late_mean": 21.0, "days_late_mean_365d_": 0.0, "inv_days_to_due": -12.0, "inv_terms_days": 30.0,
		"invoices_past_90": 3.0, "past_90_rate": 0.25, "days_since_past_90": 31.0}
	r := s.row(specs, vals)
	fv := featureValues{s: s, r: r}
	cases := []struct {
		feature string
		want    []string
		not     []string
	}{
		// Every window of the measure, shortest first, and the spread of
		// the longest: whichever member contributed, one sentence.
		{"days_late_median_365d", []string{"days late on average: 20 over the last 90 days, 15 over the last 180 days, 13 over the last 365 days",
			"(median 10, 90th percentile 44 over 365 days)"}, []string{"average: 10"}},
		{"days_late_mean_90d", []string{"days late on average: 20 over the last 90 days", "median 10"}, nil},
		// A window without settlements is left out, not quoted as 0.
		{"days_to_pay_median_180d", []string{"days to pay on average: 41 over the last 180 days, 38 over the last 365 days", "median 30, 90th percentile 65"},
			[]string{"90 days", "average: 35"}},
		{"last3_days_late_mean", []string{"last 3 settlements were on average 21 days late", "against 13 days on average over the last 365 days"}, nil},
		{"inv_days_to_due", []string{"overdue by 12 days"}, []string{"due in -12"}},
		// The customer's own 90+ history: how many, of how many, how lately.
		{"past_90_rate", []string{"3 of 12 invoices went more than 90 days past due, the latest 31 days ago"}, nil},
		{"days_since_past_90", []string{"3 of 12 invoices went more than 90 days past due"}, nil},
	}
	for _, c := range cases {
		t.Run(c.feature, func(t *testing.T) {
			got := sentence(specNamed(t, specs, c.feature), 0.3, fv)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q lacks %q", got, w)
				}
			}
			for _, w := range c.not {
				if strings.Contains(got, w) {
					t.Errorf("%q says %q", got, w)
				}
			}
		})
	}
}

// No reason shows a feature's column name (days_late_mean_365d): every
// sentence, the catch-all included, uses the catalogue's words.
func TestSentencesShowNoColumnNames(t *testing.T) {
	b := &Bundle{}
	s, specs := sentenceScorer(b)
	r := s.row(specs, map[string]any{"inv_segment": "retail", "inv_amount": 120.5})
	fv := featureValues{s: s, r: r}
	specs = append(specs, PriorPeers.spec(), PriorSegment.spec())
	col := regexp.MustCompile(`\b[a-z0-9]+(_[a-z0-9]+)+\b`)
	for _, sp := range specs {
		for _, c := range []float64{-0.2, 0.2} {
			got := sentence(sp, c, fv)
			if m := col.FindString(got); m != "" {
				t.Errorf("%s: %q shows %q", sp.Name, got, m)
			}
		}
	}
}

// Features one sentence describes are one reason: an amount is never said
// to lower and raise the risk at once.
func TestFeaturesOfOneSentenceAreOneReason(t *testing.T) {
	_, specs := sentenceScorer(&Bundle{})
	same := [][2]string{
		{"inv_amount", "inv_amount_vs_usual"},
		{"days_late_mean_365d", "days_late_median_365d"},
		{"days_late_mean_365d", "days_late_p90_365d"},
		{"late_ratio_90d", "invoices_settled_90d"},
		{"overdue_amount", "oldest_overdue_days"},
		{"inv_days_to_due", "inv_age_days"},
		{"invoices_past_90", "past_90_rate"},
		{"invoices_past_90", "days_since_past_90"},
	}
	for _, p := range same {
		if a, b := reasonGroup(specNamed(t, specs, p[0])), reasonGroup(specNamed(t, specs, p[1])); a != b {
			t.Errorf("%s (%s) and %s (%s) are explained apart, with one sentence", p[0], a, p[1], b)
		}
	}
	// One measure's windows are one reason too: correlated, the model may
	// weigh one up and another down, and apart they could say that 48 of
	// 62 invoices paid late lowers the risk.
	for _, p := range [][2]string{{"days_late_mean_180d", "days_late_mean_365d"}, {"late_ratio_90d", "late_ratio_365d"},
		{"dunning_response_rate_90d", "dunning_actions_365d"}} {
		if a, b := reasonGroup(specNamed(t, specs, p[0])), reasonGroup(specNamed(t, specs, p[1])); a != b {
			t.Errorf("%s (%s) and %s (%s): one measure over two windows explained apart", p[0], a, p[1], b)
		}
	}
	if reasonGroup(specNamed(t, specs, "days_late_mean_365d")) == reasonGroup(specNamed(t, specs, "days_to_pay_mean_365d")) {
		t.Error("days late and days to pay are one reason")
	}
	// Within any group every member gives the same sentence, so that their
	// net contribution is quoted once.
	s, _ := sentenceScorer(&Bundle{})
	fv := featureValues{s: s, r: s.row(specs, map[string]any{"inv_amount": 5000.0, "inv_amount_vs_usual": 2.5, "days_late_mean_365d": 4.0})}
	text := map[string]string{}
	for _, sp := range specs {
		g, t0 := reasonGroup(sp), sentence(sp, 1, fv)
		if prev, ok := text[g]; ok && prev != t0 {
			t.Errorf("group %s: %q and %q", g, prev, t0)
		}
		text[g] = t0
	}
}

// A customer without history is described as such, with the prior its
// score leans on: the draft's segment when the model knows it, else the
// portfolio, never a rate of 0% made up for an unknown segment.
func TestColdStartNamesThePrior(t *testing.T) {
	rate := 0.2
	nan := math.NaN()
	cases := []struct {
		name    string
		b       *Bundle
		set     map[string]any
		want    []string
		notLike string
	}{
		{"new, no segment", &Bundle{SegmentLate: map[string]float64{"retail": 0.3}, PortfolioLate: &rate},
			map[string]any{"days_since_last_payment": nan}, []string{"new customer: no payment history", "no segment given", "portfolio prior (20% of invoices paid late in training)"}, `\b0%`},
		{"new, segment of the draft", &Bundle{SegmentLate: map[string]float64{"enterprise": 0.35}, PortfolioLate: &rate},
			map[string]any{"days_since_last_payment": nan, "inv_segment": "enterprise"}, []string{"new customer: no payment history", "enterprise segment prior (35% of its invoices"}, `\b0%`},
		{"segment unseen", &Bundle{SegmentLate: map[string]float64{"retail": 0.3}, PortfolioLate: &rate},
			map[string]any{"days_since_last_payment": nan, "inv_segment": "martian"}, []string{`segment "martian" unseen in training, so scored`, "portfolio prior (20%"}, `\b0%`},
		{"bundle without a portfolio rate", &Bundle{}, map[string]any{"days_since_last_payment": nan}, []string{"no segment given, so scored on the portfolio prior and"}, `%`},
		{"dormant customer", &Bundle{SegmentLate: map[string]float64{"retail": 0.3}}, map[string]any{"days_since_last_payment": 400.0, "inv_segment": "retail"},
			[]string{"no invoice settled in the last 365 days", "retail segment prior (30%"}, "new customer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, specs := sentenceScorer(c.b)
			got := s.coldStartText(featureValues{s: s, r: s.row(specs, c.set)})
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q lacks %q", got, w)
				}
			}
			if strings.Contains(got, "; ") {
				t.Errorf("%q holds the separator of joined reasons", got)
			}
			if regexp.MustCompile(c.notLike).MatchString(got) {
				t.Errorf("%q matches %q", got, c.notLike)
			}
		})
	}
}
