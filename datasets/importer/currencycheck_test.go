package importer

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestCurrencyHookIsAskedAboutCodesOnly: the Currency hook (the API's
// check of its rates) is asked about currency codes only; a value that
// is none ("EURO") is rejected by the schema as the CLI rejects it, not
// passed to the hook, which took it for a currency without a rate and
// had the API answer a 503 a retry never mends.
func TestCurrencyHookIsAskedAboutCodesOnly(t *testing.T) {
	o := opts(t)
	var asked []string
	o.Currency = func(code string) error {
		asked = append(asked, code)
		if code == "CHF" {
			return errors.New("no rate for CHF")
		}
		return nil
	}
	p := writeFile(t, t.TempDir(), "invoices.csv", "customer_id,invoice_id,issue_date,due_date,amount,currency\n"+
		"K1,I1,2025-01-05,2025-02-04,100.00,EURO\n"+
		"K1,I2,2025-01-05,2025-02-04,100.00, chf \n"+
		"K1,I3,2025-01-05,2025-02-04,100.00,eur\n"+
		"K1,I4,2025-01-05,2025-02-04,100.00,E1\n")
	sum, err := Import(context.Background(), openStore(t), []string{p}, o)
	if err != nil && !errors.Is(err, ErrRejected) {
		t.Fatal(err)
	}
	slices.Sort(asked)
	if !slices.Equal(asked, []string{"CHF", "EUR"}) {
		t.Errorf("hook asked about %q, want CHF and EUR only", asked)
	}
	if sum.Rejected != 3 || sum.Loaded != 1 || len(sum.FirstRejects) != 3 {
		t.Fatalf("rejected %d, loaded %d, rejects %+v", sum.Rejected, sum.Loaded, sum.FirstRejects)
	}
	for _, want := range []struct {
		line   int
		reason string
	}{{2, "not a currency code"}, {3, "no rate for CHF"}, {5, "not a currency code"}} {
		i := slices.IndexFunc(sum.FirstRejects, func(r Reject) bool { return r.Line == want.line })
		if i < 0 || sum.FirstRejects[i].Field != "currency" || !strings.Contains(sum.FirstRejects[i].Reason, want.reason) {
			t.Errorf("line %d: rejects %+v, want currency %q", want.line, sum.FirstRejects, want.reason)
		}
	}
}
