package synth

import (
	"context"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// stepPolicy takes the standard scenario's steps invoice by invoice, one
// contact per invoice and step, as Generate does: a test stand-in for the
// recommender's scenario policy.
type stepPolicy struct{ done map[string]int }

func (p *stepPolicy) Decide(_ context.Context, obs *Observation) ([]Decision, error) {
	if p.done == nil {
		p.done = map[string]int{}
	}
	l := obs.Ledger
	disputed := map[string]bool{}
	for _, d := range l.Disputes {
		disputed[d.InvoiceID] = true
	}
	byCust := map[string]*Decision{}
	var order []string
	for i := range l.Invoices {
		inv := &l.Invoices[i]
		if !inv.SettledDate.IsZero() || disputed[inv.ID] {
			continue
		}
		next := p.done[inv.ID]
		for next < numSteps {
			if next == stepCourtesy && float64(inv.Amount)/countryFX(inv.Country)/100 < courtesyThresholdEUR {
				next++
				continue
			}
			break
		}
		if next >= numSteps || obs.Day != inv.DueDate.AddDays(scenario[next].offset) {
			continue
		}
		p.done[inv.ID] = next + 1
		d := byCust[inv.CustomerID]
		if d == nil || stepOf(d.Type) < next {
			if d == nil {
				order = append(order, inv.CustomerID)
			}
			ids := []string{}
			if d != nil {
				ids = d.InvoiceIDs
			}
			d = &Decision{CustomerID: inv.CustomerID, InvoiceIDs: ids, Type: scenario[next].action,
				Channel: scenario[next].channel, Policy: "scenario", Propensity: 1}
			byCust[inv.CustomerID] = d
		}
		d.InvoiceIDs = append(d.InvoiceIDs, inv.ID)
	}
	out := make([]Decision, 0, len(order))
	for _, id := range order {
		out = append(out, *byCust[id])
	}
	return out, nil
}

func countryFX(code string) float64 {
	for _, c := range countries {
		if c.code == code {
			return c.fx
		}
	}
	return 1
}

func runEnv(t *testing.T, cfg EnvConfig, p Policy) *Env {
	t.Helper()
	e, err := NewEnv(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.RunUntil(context.Background(), e.End(), p); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEnvDeterministicAndCommonRandomNumbers(t *testing.T) {
	cfg := EnvConfig{Config: Config{Customers: 120, Months: 8, Seed: 5}}
	a := runEnv(t, cfg, &stepPolicy{})
	b := runEnv(t, cfg, &stepPolicy{})
	if !reflect.DeepEqual(a.Ledger(), b.Ledger()) {
		t.Fatal("same config and policy gave different ledgers")
	}
	none := runEnv(t, cfg, NonePolicy{})
	// Every policy meets the same orders: same invoices, dates and amounts.
	la, ln := a.Ledger(), none.Ledger()
	if len(la.Invoices) != len(ln.Invoices) || len(la.Invoices) == 0 {
		t.Fatalf("invoices: %d under the scenario, %d under none", len(la.Invoices), len(ln.Invoices))
	}
	earlier, later := 0, 0
	for i := range la.Invoices {
		x, y := la.Invoices[i], ln.Invoices[i]
		if x.ID != y.ID || x.IssueDate != y.IssueDate || x.Amount != y.Amount || x.DueDate != y.DueDate {
			t.Fatalf("invoice %d differs: %+v vs %+v", i, x, y)
		}
		sx, sy := x.SettledDate, y.SettledDate
		if sx.IsZero() {
			sx = datasets.MaxDate
		}
		if sy.IsZero() {
			sy = datasets.MaxDate
		}
		switch {
		case sx < sy:
			earlier++
		case sx > sy:
			later++
		}
	}
	// Dunning only ever brings a payment forward.
	if later != 0 || earlier == 0 {
		t.Fatalf("under the scenario %d invoices were paid earlier and %d later than under none", earlier, later)
	}
	if a.Stats().Sales != none.Stats().Sales || a.Stats().Defaults != none.Stats().Defaults {
		t.Fatalf("stats differ: %+v vs %+v", a.Stats(), none.Stats())
	}
}

// The closed loop under the standard scenario behaves like Generate: the
// late share per behaviour agrees within sampling error.
func TestEnvMatchesGenerateUnderTheScenario(t *testing.T) {
	cfg := Config{Customers: 400, Months: 12, Seed: 11}
	e := runEnv(t, EnvConfig{Config: cfg}, &stepPolicy{})
	static, _, err := Collect(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	rate := func(l *datasets.Ledger, beh func(string) string) map[string][2]float64 {
		out := map[string][2]float64{}
		for _, inv := range l.Invoices {
			if inv.SettledDate.IsZero() {
				continue
			}
			b := beh(inv.CustomerID)
			v := out[b]
			v[1]++
			if inv.SettledDate > inv.DueDate {
				v[0]++
			}
			out[b] = v
		}
		return out
	}
	envRates := rate(e.Ledger(), e.Behaviour)
	truth := map[string]string{}
	for i := range cfg.Customers {
		p, _ := newProfile(cfg.Seed, i, &e.per)
		truth[p.id] = behaviours[p.b].name
	}
	staticRates := rate(static, func(id string) string { return truth[id] })
	for b, v := range envRates {
		s := staticRates[b]
		pe, ps := v[0]/v[1], s[0]/s[1]
		se := math.Sqrt(pe*(1-pe)/v[1] + ps*(1-ps)/s[1])
		t.Logf("%s: %.3f vs %.3f (n %v %v)", b, pe, ps, v[1], s[1])
		if math.Abs(pe-ps) > 4*se+0.01 {
			t.Errorf("%s: late share %.3f in closed loop, %.3f from Generate (n=%v, %v)", b, pe, ps, v[1], s[1])
		}
	}
}

func TestEnvReplayReproducesWhatHappened(t *testing.T) {
	cfg := EnvConfig{Config: Config{Customers: 80, Months: 6, Seed: 3}}
	e := runEnv(t, cfg, &stepPolicy{})
	l := e.Ledger()
	checked, moved := 0, 0
	for _, inv := range l.Invoices {
		got, ok := e.Replay(inv.ID, inv.IssueDate, e.End()-1, nil)
		if !ok {
			t.Fatalf("no replay for %s", inv.ID)
		}
		want := inv.SettledDate
		paidByWriteOff := false
		for _, cn := range l.CreditNotes {
			if cn.InvoiceID == inv.ID && cn.Kind == datasets.KindWriteOff {
				paidByWriteOff = true
			}
		}
		if paidByWriteOff {
			want = 0
		}
		// Replaying from the issue date without contacts gives the natural
		// course; replaying from the end with all contacts, what happened.
		full, _ := e.Replay(inv.ID, e.End(), e.End()-1, nil)
		if full != want {
			t.Fatalf("%s: replay of what happened says %s, the ledger %s", inv.ID, full, want)
		}
		if got != full {
			moved++
		}
		checked++
	}
	if checked == 0 || moved == 0 {
		t.Fatalf("checked %d invoices, %d moved by dunning", checked, moved)
	}
}

func TestEnvRefusesBadDecisions(t *testing.T) {
	cfg := EnvConfig{Config: Config{Customers: 30, Months: 3, Seed: 2}, Capacity: map[string]int{"phone": 1}}
	e, err := NewEnv(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.RunUntil(context.Background(), e.Start()+60, NonePolicy{}); err != nil {
		t.Fatal(err)
	}
	l := e.Ledger()
	var a, b datasets.Invoice
	for _, inv := range l.Invoices {
		if a.ID == "" {
			a = inv
		} else if inv.CustomerID != a.CustomerID {
			b = inv
			break
		}
	}
	cases := map[string][]Decision{
		"unknown customer": {{CustomerID: "nobody", InvoiceIDs: []string{a.ID}, Type: ActionCall, Channel: "phone"}},
		"foreign invoice":  {{CustomerID: a.CustomerID, InvoiceIDs: []string{b.ID}, Type: ActionCall, Channel: "phone"}},
		"no invoice":       {{CustomerID: a.CustomerID, Type: ActionCall, Channel: "phone"}},
		"over capacity": {{CustomerID: a.CustomerID, InvoiceIDs: []string{a.ID}, Type: ActionCall, Channel: "phone"},
			{CustomerID: b.CustomerID, InvoiceIDs: []string{b.ID}, Type: ActionCall, Channel: "phone"}},
		"twice": {{CustomerID: a.CustomerID, InvoiceIDs: []string{a.ID}, Type: ActionReminder, Channel: "email"},
			{CustomerID: a.CustomerID, InvoiceIDs: []string{a.ID}, Type: ActionReminder, Channel: "email"}},
	}
	for name, ds := range cases {
		if err := e.apply(e.Day(), ds); !errors.Is(err, ErrDecision) {
			t.Errorf("%s: got %v, want ErrDecision", name, err)
		}
	}
	if _, err := NewEnv(EnvConfig{Config: cfg.Config, Capacity: map[string]int{"phone": -1}}); !errors.Is(err, ErrConfig) {
		t.Errorf("negative capacity: got %v", err)
	}
}

// blockAll is a credit policy that refuses every order: the hook issue 12's
// policies plug into.
type blockAll struct{}

func (blockAll) Review(context.Context, *Observation) ([]datasets.CreditDecision, error) {
	return nil, nil
}
func (blockAll) Accept(Order) bool { return false }

func TestEnvCreditPolicyBlocksOrders(t *testing.T) {
	cfg := Config{Customers: 40, Months: 3, Seed: 9}
	open := runEnv(t, EnvConfig{Config: cfg}, NonePolicy{})
	blocked := runEnv(t, EnvConfig{Config: cfg, Credit: blockAll{}}, NonePolicy{})
	if n := len(blocked.Ledger().Invoices); n != 0 {
		t.Fatalf("%d invoices issued though every order was blocked", n)
	}
	so, sb := open.Stats(), blocked.Stats()
	if so.Orders != sb.Orders || sb.LostSales != so.Sales || sb.LostCount != so.Orders || so.LostCount != 0 {
		t.Fatalf("open %+v, blocked %+v", so, sb)
	}
	tight := runEnv(t, EnvConfig{Config: cfg, Credit: CreditTeam{BlockOverLimit: true}}, NonePolicy{})
	if st := tight.Stats(); st.LostCount == 0 || st.LostCount == st.Orders {
		t.Fatalf("blocking over the limit lost %d of %d orders", st.LostCount, st.Orders)
	}
}
