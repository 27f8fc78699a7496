package credit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/chstore"
	"github.com/dsopilot/dsopilot/datasets/embedded"
	"github.com/dsopilot/dsopilot/features"
)

// fixedRisk is a RiskSource with known probabilities.
type fixedRisk map[string]Risk

func (f fixedRisk) CustomerRisk(context.Context, *datasets.Ledger, datasets.Date) (map[string]Risk, error) {
	return f, nil
}

type testStore interface {
	Store
	Put(ctx context.Context, l *datasets.Ledger) error
	Close() error
}

// stores opens the test ledger in each store; another gives a second
// handle on the same data (its own connections on ClickHouse).
type storeCase struct {
	name    string
	open    func(t *testing.T) testStore
	another func(t *testing.T, first testStore) testStore
}

func stores(t *testing.T) []storeCase {
	out := []storeCase{{name: "embedded",
		open: func(t *testing.T) testStore {
			s, err := embedded.Open(context.Background(), t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		// One process holds the file's lock: racers share the store.
		another: func(_ *testing.T, first testStore) testStore { return first },
	}}
	addr := os.Getenv("DSOPILOT_TEST_CLICKHOUSE")
	if addr == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI needs DSOPILOT_TEST_CLICKHOUSE: a skipped ClickHouse test is a failure")
		}
		t.Log("ClickHouse not tested: set DSOPILOT_TEST_CLICKHOUSE=clickhouse://127.0.0.1:9000")
		return out
	}
	n := 0
	var mu sync.Mutex
	out = append(out, storeCase{name: "clickhouse",
		open: func(t *testing.T) testStore {
			mu.Lock()
			n++
			db := fmt.Sprintf("dsopilot_credit_%d_%d", os.Getpid(), n)
			mu.Unlock()
			spec := strings.TrimSuffix(addr, "/") + "/" + db
			s, err := chstore.Open(context.Background(), spec, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				s.Conn().Exec(context.Background(), "DROP DATABASE IF EXISTS "+db)
				s.Close()
			})
			if _, err := s.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			t.Setenv("TEST_CREDIT_SPEC", spec)
			return s
		},
		another: func(t *testing.T, _ testStore) testStore {
			s, err := chstore.Open(context.Background(), os.Getenv("TEST_CREDIT_SPEC"), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	})
	return out
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// openWorkflow opens sc's store with the base ledger, and a clock at 9:00
// the day after asOf.
func openWorkflow(t *testing.T, sc storeCase) (testStore, *clock) {
	t.Helper()
	st := sc.open(t)
	if err := st.Put(context.Background(), baseLedger()); err != nil {
		t.Fatal(err)
	}
	return st, &clock{t: asOf.AddDays(1).Time().Add(9 * time.Hour)}
}

func newService(t *testing.T, st Store, c *clock) *Service {
	return &Service{Store: st, Policy: DefaultPolicy(), Risk: fixedRisk{"C1": {PD: 0.01, Source: "model"}}, Now: c.now}
}

// snapshot is what a refusal must leave alone.
func snapshot(t *testing.T, st Store) string {
	t.Helper()
	ctx := context.Background()
	l, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := st.CreditEvents(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%+v|%+v|%+v", l.Customers, l.CreditDecisions, ev)
}

func TestWorkflow(t *testing.T) {
	for _, sc := range stores(t) {
		t.Run(sc.name, func(t *testing.T) {
			ctx := context.Background()
			st, c := openWorkflow(t, sc)
			svc := newService(t, st, c)

			// Bad input: each refused with its rule, nothing stored.
			before := snapshot(t, st)
			for _, tc := range []struct {
				req  ProposeRequest
				want error
			}{
				{ProposeRequest{CustomerID: "NOPE", Limit: 1, Reason: "x", By: "ann"}, ErrNotFound},
				{ProposeRequest{CustomerID: "C1", Limit: -1, Reason: "x", By: "ann"}, ErrInvalidAmount},
				{ProposeRequest{CustomerID: "C1", Limit: 80_000_00, By: "ann"}, ErrInput},
				{ProposeRequest{CustomerID: "C1", Limit: 80_000_00, Reason: "x"}, ErrInput},
			} {
				if _, err := svc.Propose(ctx, tc.req); !errors.Is(err, tc.want) {
					t.Errorf("propose %+v: %v, want %v", tc.req, err, tc.want)
				}
			}
			for _, s := range []string{"-5", "NaN", "abc", "1e6", ""} {
				if _, err := ParseLimit(s); !errors.Is(err, ErrInvalidAmount) {
					t.Errorf("ParseLimit(%q) = %v", s, err)
				}
			}
			if _, err := svc.Approve(ctx, "CP-NOPE", DecideRequest{By: "bob", Role: "finance_director"}); !errors.Is(err, ErrNotFound) {
				t.Errorf("approve an unknown proposal: %v", err)
			}

			// 50,000 -> 80,000: a credit manager's.
			p, err := svc.Propose(ctx, ProposeRequest{CustomerID: "C1", Limit: 80_000_00, Reason: "new contract", By: "ann"})
			if err != nil {
				t.Fatal(err)
			}
			if p.Status != datasets.CreditProposed || p.RequiredRole != "credit_manager" || p.OldLimit.Money() != baseLimit ||
				p.Expires != asOf.AddDays(31) || p.Review != asOf.AddDays(1).AddMonths(12) || !strings.HasPrefix(p.ID, "CP-") {
				t.Fatalf("proposal %+v", p)
			}
			before = snapshot(t, st)
			for _, tc := range []struct {
				req  DecideRequest
				want error
			}{
				{DecideRequest{By: "ann", Role: "finance_director"}, ErrFourEyes},
				{DecideRequest{By: "bob", Role: "credit_analyst"}, ErrRole},
				{DecideRequest{By: "bob", Role: "ceo"}, ErrInput},
				{DecideRequest{Role: "credit_manager"}, ErrInput},
			} {
				if _, err := svc.Approve(ctx, p.ID, tc.req); !errors.Is(err, tc.want) {
					t.Errorf("approve by %+v: %v, want %v", tc.req, err, tc.want)
				}
			}
			if after := snapshot(t, st); after != before {
				t.Fatal("a refused approval changed the store")
			}
			got, err := svc.Approve(ctx, p.ID, DecideRequest{By: "bob", Role: "credit_manager", Comment: "ok"})
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != datasets.CreditApproved || got.DecidedBy != "bob" || got.DecisionID == "" || len(got.History) != 2 {
				t.Fatalf("approved %+v", got)
			}
			cust, err := st.Customer(ctx, "C1")
			if err != nil || cust.CreditLimit != 80_000_00 {
				t.Fatalf("customer limit %s, %v; want 80,000", cust.CreditLimit, err)
			}
			l, err := st.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, d := range l.CreditDecisions {
				if d.ID == got.DecisionID {
					found = d.OldLimit == baseLimit && d.NewLimit == 80_000_00 && d.Reason == "new contract" && d.DecidedBy == "bob" && d.Date == asOf.AddDays(1)
				}
			}
			if !found {
				t.Fatalf("no credit decision %s as approved among %+v", got.DecisionID, l.CreditDecisions)
			}
			// Decided once.
			if _, err := svc.Reject(ctx, p.ID, DecideRequest{By: "dan", Role: "credit_analyst"}); !errors.Is(err, ErrConflict) {
				t.Fatalf("reject an approved proposal: %v", err)
			}

			// A proposal not decided in time expires; rejecting is open to
			// any role.
			p2, err := svc.Propose(ctx, ProposeRequest{CustomerID: "C1", Limit: 70_000_00, Reason: "trim", By: "ann"})
			if err != nil {
				t.Fatal(err)
			}
			p3, err := svc.Propose(ctx, ProposeRequest{CustomerID: "C2", Limit: 3_000_00, Reason: "first order", By: "ann"})
			if err != nil {
				t.Fatal(err)
			}
			if r, err := svc.Reject(ctx, p3.ID, DecideRequest{By: "ann", Role: "credit_analyst", Comment: "withdrawn"}); err != nil || r.Status != datasets.CreditRejected {
				t.Fatalf("withdraw: %+v %v", r, err)
			}
			c.t = c.t.AddDate(0, 0, 31)
			before = snapshot(t, st)
			if _, err := svc.Approve(ctx, p2.ID, DecideRequest{By: "bob", Role: "finance_director"}); !errors.Is(err, ErrExpired) {
				t.Fatalf("approve an expired proposal: %v", err)
			}
			if snapshot(t, st) != before {
				t.Fatal("approving an expired proposal changed the store")
			}
			if n, err := svc.Expire(ctx, "scheduler"); err != nil || n != 1 {
				t.Fatalf("expire: %d, %v", n, err)
			}
			ps, err := svc.List(ctx, Filter{})
			if err != nil {
				t.Fatal(err)
			}
			status := map[string]string{}
			for _, p := range ps {
				status[p.ID] = p.Status
			}
			if len(ps) != 3 || status[p.ID] != datasets.CreditApproved || status[p2.ID] != datasets.CreditExpired || status[p3.ID] != datasets.CreditRejected {
				t.Fatalf("list: %v", status)
			}
			// A renewal: the limit in force proposed again, approved, gets a
			// new review date.
			rn, err := svc.Propose(ctx, ProposeRequest{CustomerID: "C1", Limit: 80_000_00, Reason: "yearly review", By: "ann"})
			if err != nil {
				t.Fatal(err)
			}
			if rn, err = svc.Approve(ctx, rn.ID, DecideRequest{By: "bob", Role: "credit_analyst"}); err != nil || rn.Review != datasets.DateOf(c.t).AddMonths(12) {
				t.Fatalf("renewal: %+v %v", rn, err)
			}
			if open, _ := svc.List(ctx, Filter{Statuses: []string{datasets.CreditProposed}}); len(open) != 0 {
				t.Fatalf("open proposals %+v", open)
			}
			if _, err := svc.List(ctx, Filter{Statuses: []string{"pending"}}); !errors.Is(err, ErrInput) {
				t.Fatalf("unknown status: %v", err)
			}
		})
	}
}

// Approvals of one proposal racing, each with its own store handle:
// exactly one wins, the others get ErrConflict, one decision is written.
func TestConcurrentApprovals(t *testing.T) {
	const racers = 6
	for _, sc := range stores(t) {
		t.Run(sc.name, func(t *testing.T) {
			ctx := context.Background()
			st, c := openWorkflow(t, sc)
			for round := range 3 {
				p, err := newService(t, st, c).Propose(ctx, ProposeRequest{CustomerID: "C1", Limit: datasets.Money(60_000_00 + 1_000_00*round),
					Reason: "race", By: "ann"})
				if err != nil {
					t.Fatal(err)
				}
				svcs := make([]*Service, racers)
				for i := range svcs {
					svcs[i] = newService(t, sc.another(t, st), c)
				}
				errs := make([]error, racers)
				var wg sync.WaitGroup
				start := make(chan struct{})
				for i := range racers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						_, errs[i] = svcs[i].Approve(ctx, p.ID, DecideRequest{By: fmt.Sprintf("approver%d", i), Role: "finance_director"})
					}()
				}
				close(start)
				wg.Wait()
				wins := 0
				for i, err := range errs {
					switch {
					case err == nil:
						wins++
					case !errors.Is(err, ErrConflict):
						t.Fatalf("round %d racer %d: %v", round, i, err)
					}
				}
				l, err := st.Load(ctx)
				if err != nil {
					t.Fatal(err)
				}
				decisions := 0
				for _, d := range l.CreditDecisions {
					if strings.HasSuffix(d.ID, "-"+p.ID) {
						decisions++
					}
				}
				if wins != 1 || decisions != 1 {
					t.Fatalf("round %d: %d approvals won, %d decisions written; want exactly 1", round, wins, decisions)
				}
			}
		})
	}
}

// TestSameDayApprovalsTakeEffectInOrder: approvals of one customer on the
// same day take effect in the order they were made, in the customer
// master, the credit decisions and the advice's current limit alike.
// Decision ids were "CD-"+proposal id, whose random tail ordered a day's
// decisions at random, so the limit in force could be one replaced.
func TestSameDayApprovalsTakeEffectInOrder(t *testing.T) {
	for _, sc := range stores(t) {
		t.Run(sc.name, func(t *testing.T) {
			ctx := context.Background()
			st, c := openWorkflow(t, sc)
			svc := newService(t, st, c)
			day := asOf.AddDays(1)
			// Enough approvals that a random order would show, each a
			// second after the last.
			limits := []datasets.Money{60_000_00, 55_000_00, 70_000_00, 52_000_00, 65_000_00, 58_000_00, 61_000_00, 54_000_00}
			for i, lim := range limits {
				p, err := svc.Propose(ctx, ProposeRequest{CustomerID: "C1", Limit: lim, Reason: fmt.Sprint("step ", i), By: "ann", Role: "credit_manager"})
				if err != nil {
					t.Fatalf("propose %d: %v", i, err)
				}
				c.t = c.t.Add(time.Second)
				if _, err := svc.Approve(ctx, p.ID, DecideRequest{By: "bob", Role: "finance_director"}); err != nil {
					t.Fatalf("approve %d: %v", i, err)
				}
				c.t = c.t.Add(time.Second)
			}
			want := limits[len(limits)-1]
			l, err := st.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := l.Customers[0].CreditLimit; got != want {
				t.Errorf("customer master's limit %s, want %s", got, want)
			}
			adv, err := svc.Advice(ctx, day, "C1")
			if err != nil {
				t.Fatal(err)
			}
			if got := adv[0].Current.Money(); got != want {
				t.Errorf("advice's current limit %s, want the last approved %s", got, want)
			}
			ix := features.NewIndex(l)
			tab := features.NewEngine(ix, features.Options{}).Customers(day, "C1")
			col, n := -1, 0 // credit_limit's place among the numeric features
			for _, s := range tab.Specs {
				if s.Kind != features.Numeric {
					continue
				}
				if s.Name == "credit_limit" {
					col = n
				}
				n++
			}
			if col < 0 || len(tab.Rows) != 1 {
				t.Fatalf("no credit_limit feature for C1 (%d rows)", len(tab.Rows))
			}
			if got := tab.Rows[0].Num[col]; got != want.Float() {
				t.Errorf("feature credit_limit %v, want %v", got, want.Float())
			}
		})
	}
}

// TestProposeTheSuggestionAsOfADay: --limit suggested proposes the
// suggestion as of the day asked for (the day credit flags was run for),
// not only as of yesterday, and refuses a day not yet over.
func TestProposeTheSuggestionAsOfADay(t *testing.T) {
	sc := stores(t)[0] // the embedded store: the workflow is the same on both
	ctx := context.Background()
	st, c := openWorkflow(t, sc)
	c.t = asOf.AddDays(400).Time().Add(9 * time.Hour) // long after the ledger
	svc := newService(t, st, c)
	want, err := svc.Suggest(ctx, asOf, "C1")
	if err != nil || len(want.Rows) != 1 {
		t.Fatalf("suggest as of %s: %v %+v", asOf, err, want)
	}
	p, err := svc.Propose(ctx, ProposeRequest{CustomerID: "C1", FromSuggestion: true, AsOf: asOf, By: "ann", Role: "credit_manager"})
	if err != nil {
		t.Fatal(err)
	}
	if p.NewLimit != want.Rows[0].Suggested || p.Source != SourceSuggestion {
		t.Fatalf("proposed %s (%s), want the suggestion as of %s: %s", p.NewLimit, p.Source, asOf, want.Rows[0].Suggested)
	}
	today := datasets.DateOf(c.t)
	if late, err := svc.Suggest(ctx, today-1, "C1"); err != nil || late.Rows[0].Suggested == want.Rows[0].Suggested {
		t.Fatalf("the suggestion as of yesterday is the same (%v): the test shows nothing", err)
	}
	if _, err := svc.Propose(ctx, ProposeRequest{CustomerID: "C1", FromSuggestion: true, AsOf: today, By: "ann", Role: "credit_manager"}); !errors.Is(err, ErrInput) {
		t.Fatalf("a suggestion as of today, not yet over: %v, want ErrInput", err)
	}
}

// One proposal pending per customer: a second is refused (ErrConflict,
// naming the pending one) and changes nothing; once the first is decided
// or expired, a new one is taken.
func TestOneProposalPendingPerCustomer(t *testing.T) {
	for _, sc := range stores(t) {
		t.Run(sc.name, func(t *testing.T) {
			ctx := context.Background()
			st, c := openWorkflow(t, sc)
			svc := newService(t, st, c)
			first, err := svc.Propose(ctx, ProposeRequest{CustomerID: "C1", Limit: 60_000_00, Reason: "growth", By: "ann"})
			if err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, st)
			_, err = svc.Propose(ctx, ProposeRequest{CustomerID: "C1", Limit: 60_000_00, Reason: "growth", By: "bob"})
			if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), first.ID) {
				t.Fatalf("a second proposal while %s is pending: %v, want ErrConflict naming it", first.ID, err)
			}
			if after := snapshot(t, st); after != before {
				t.Fatal("the refused proposal changed the store")
			}
			if _, err := svc.Reject(ctx, first.ID, DecideRequest{By: "ann", Role: "credit_analyst", Comment: "withdrawn"}); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Propose(ctx, ProposeRequest{CustomerID: "C1", Limit: 65_000_00, Reason: "growth", By: "bob"}); err != nil {
				t.Fatalf("a proposal once the first is rejected: %v", err)
			}
			// Another customer is not held up by C1's.
			if _, err := svc.Propose(ctx, ProposeRequest{CustomerID: "C2", Limit: 10_000_00, Reason: "growth", By: "bob"}); err != nil {
				t.Fatalf("another customer's proposal: %v", err)
			}
		})
	}
}
