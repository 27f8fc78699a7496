package api

import (
	"encoding/json"
	"testing"

	"github.com/dsopilot/dsopilot/recommender"
	"github.com/dsopilot/dsopilot/recommender/credit"
)

// The credit-limit advice's exposure is net of what the customer holds on
// account, with the gross and the unapplied cash and credit notes beside
// it, as credit suggest gives them (before, only the gross exposure).
func TestCreditAdviceShowsHowTheExposureNets(t *testing.T) {
	pol := credit.DefaultPolicy()
	asOf := testFixture(t).asOf
	ts := newTestServer(t, func(c *Config) {
		c.Credit = NewCreditWorkflow(pol, recommender.SimFX(), nil, map[string]string{"admin": "finance_director"}, nil)
	})
	l := ts.srv.snap.Load().ledger
	s, err := credit.Suggest(l, asOf, pol, credit.Options{FX: recommender.SimFX()})
	if err != nil {
		t.Fatal(err)
	}
	// The fixture has no cash on account (the library's test,
	// TestExposureIsNetOfWhatIsOnAccount, nets it): the advice carries the
	// three amounts as the suggestion has them.
	if len(s.Rows) == 0 {
		t.Fatal("no suggestion")
	}
	want := &s.Rows[0]
	w := ts.do(req{method: "GET", path: "/v1/customers/" + want.CustomerID + "/credit-limit", role: "viewer"})
	expect(t, w, 200)
	var raw map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"exposure", "gross_exposure", "unapplied_cash", "unapplied_credits"} {
		if _, ok := raw[k]; !ok {
			t.Fatalf("no %s in %v", k, raw)
		}
	}
	a := decode[CreditAdvice](t, w)
	if a.Exposure != want.Exposure || a.GrossExposure != want.GrossExposure || a.UnappliedCash != want.UnappliedCash ||
		a.UnappliedCredits != want.UnappliedCredits || a.Exposure.Money() != a.GrossExposure.Money()-a.UnappliedCash.Money()-a.UnappliedCredits.Money() {
		t.Fatalf("advice: exposure %s (gross %s, cash %s, credits %s), want %s (%s, %s, %s) netted", a.Exposure, a.GrossExposure, a.UnappliedCash,
			a.UnappliedCredits, want.Exposure, want.GrossExposure, want.UnappliedCash, want.UnappliedCredits)
	}
}
