package credit

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// blankLedger is baseLedger with C1's limit as the customer master gives
// it, no decision on record: blank (no limit recorded) or written 0.00.
func blankLedger(blank bool) *datasets.Ledger {
	l := baseLedger()
	l.Customers[0].CreditLimit, l.Customers[0].CreditLimitBlank = 0, blank
	l.CreditDecisions = nil
	return l
}

// A blank credit limit is no limit recorded, a written 0.00 no credit: the
// suggestion says which (limit_source not_recorded, no "no credit"), and
// the flags list the blank one's debt as no_limit, which the shipped
// policy does not hold orders on, and the zero's as over_limit, which it
// does. (Both were stored as 0.00, and both were over a limit of 0, no
// credit, with their orders held.)
func TestABlankLimitIsNotALimitOfZero(t *testing.T) {
	pol := DefaultPolicy()
	risk := map[string]Risk{"C1": {PD: 0.01, Source: "model"}}
	for _, c := range []struct {
		name        string
		blank       bool
		source      string
		flag        string
		blocks      bool
		says, never string
	}{
		{"blank", true, LimitNotRecorded, FlagNoLimit, false, "no credit limit recorded", "anything owed is over the limit"},
		{"zero", false, LimitFromMaster, FlagOverLimit, true, "no credit, so anything owed is over the limit", "no credit limit recorded"},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := blankLedger(c.blank)
			s := suggestOne(t, l, pol, risk, "C1")
			all := strings.Join(s.Reasons, " | ")
			if s.LimitSource != c.source || !strings.Contains(all, c.says) || strings.Contains(all, c.never) {
				t.Fatalf("limit_source %q, want %q; reasons want %q, not %q:\n%s", s.LimitSource, c.source, c.says, c.never, all)
			}
			if s.Utilisation != nil || s.Suggested.Money() <= 0 {
				t.Fatalf("utilisation %v, suggested %s: want none used of no limit, and a limit suggested", s.Utilisation, s.Suggested.Money())
			}
			f := flagsOf(t, l, pol, "C1")
			if got := kinds(f); len(got) == 0 || got[0] != c.flag {
				t.Fatalf("flags %v, want %s first", got, c.flag)
			}
			if fl := flagOf(t, f, c.flag); fl.BlocksOrders != c.blocks || fl.Amount.Money() != s.Exposure.Money() && c.blank {
				t.Fatalf("%s flag %+v: want blocks_orders %v and the exposure %s", c.flag, fl, c.blocks, s.Exposure.Money())
			}
			if f.LimitSource != c.source {
				t.Fatalf("flags' limit_source %q, want %q", f.LimitSource, c.source)
			}
		})
	}
}

// A proposal of 0 for a customer with no limit recorded decides something
// (no credit); for one whose limit is 0 it does not (TestNoProposalOfZeroOverZero).
// Approved, the limit is recorded: the blank is cleared in the store.
func TestAProposalOfZeroRecordsNoCreditOverABlank(t *testing.T) {
	ctx := context.Background()
	for _, sc := range stores(t) {
		t.Run(sc.name, func(t *testing.T) {
			st := sc.open(t)
			if err := st.Put(ctx, blankLedger(true)); err != nil {
				t.Fatal(err)
			}
			c := &clock{t: asOf.AddDays(1).Time()}
			svc := newService(t, st, c)
			p, err := svc.Propose(ctx, ProposeRequest{CustomerID: "C1", Limit: 0, Reason: "cash in advance", By: "ann", Role: "credit_analyst"})
			if err != nil {
				t.Fatalf("propose 0 over a blank limit: %v", err)
			}
			if _, err := svc.Approve(ctx, p.ID, DecideRequest{By: "bob", Role: "credit_manager"}); err != nil {
				t.Fatalf("approve: %v", err)
			}
			cu, err := st.Customer(ctx, "C1")
			if err != nil || cu.CreditLimitBlank || cu.CreditLimit != 0 {
				t.Fatalf("after the approval: %+v, %v: want a recorded limit of 0", cu, err)
			}
		})
	}
}

// An approval over a blank limit clears the master's blank, yet the days
// before it still had no limit recorded: as of the day before the
// approval the customer reads not_recorded (its debt no_limit, orders not
// held), as of the approval's day the approved limit. (The day before read
// a limit of 0: over it, orders held.) Through the store, then again on
// the snapshot taken before the approval (AdviceOn's overlay).
func TestTheDaysBeforeAnApprovalKeepTheBlank(t *testing.T) {
	ctx := context.Background()
	for _, sc := range stores(t) {
		t.Run(sc.name, func(t *testing.T) {
			st := sc.open(t)
			if err := st.Put(ctx, blankLedger(true)); err != nil {
				t.Fatal(err)
			}
			before, err := st.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			c := &clock{t: asOf.AddDays(1).Time().Add(9 * time.Hour)}
			svc := newService(t, st, c)
			p, err := svc.Propose(ctx, ProposeRequest{CustomerID: "C1", Limit: 20_000_00, Reason: "first limit", By: "ann", Role: "credit_analyst"})
			if err != nil {
				t.Fatal(err)
			}
			if !p.OldLimitBlank {
				t.Fatalf("proposal %+v: want old_limit_blank", p)
			}
			if _, err := svc.Approve(ctx, p.ID, DecideRequest{By: "bob", Role: "credit_manager"}); err != nil {
				t.Fatal(err)
			}
			check := func(t *testing.T, get func(day datasets.Date) Advice) {
				t.Helper()
				a := get(asOf)
				if a.LimitSource != LimitNotRecorded || len(a.Flags) == 0 || a.Flags[0].Kind != FlagNoLimit || a.Flags[0].BlocksOrders {
					t.Errorf("as of %s (before the approval): limit_source %q, flags %+v: want not_recorded, no_limit not holding orders", asOf, a.LimitSource, a.Flags)
				}
				a = get(asOf.AddDays(1))
				if a.LimitSource != LimitFromApproval || a.Current.Money() != 20_000_00 {
					t.Errorf("as of %s (the approval's day): limit_source %q, limit %s: want the approval's 20000.00", asOf.AddDays(1), a.LimitSource, a.Current.Money())
				}
			}
			t.Run("store", func(t *testing.T) {
				check(t, func(day datasets.Date) Advice {
					out, err := svc.Advice(ctx, day, "C1")
					if err != nil || len(out) != 1 {
						t.Fatalf("advice as of %s: %v %v", day, out, err)
					}
					return out[0]
				})
			})
			t.Run("snapshot", func(t *testing.T) {
				check(t, func(day datasets.Date) Advice {
					out, err := svc.AdviceOn(ctx, before, day, "C1")
					if err != nil || len(out) != 1 {
						t.Fatalf("advice as of %s: %v %v", day, out, err)
					}
					return out[0]
				})
			})
			l, err := st.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(l.CreditDecisions) != 1 || !l.CreditDecisions[0].OldLimitBlank {
				t.Fatalf("stored decisions %+v: want one with old_limit_blank", l.CreditDecisions)
			}
			ev, err := st.CreditEvents(ctx, "C1")
			if err != nil || len(ev) != 2 || !ev[0].OldLimitBlank || !ev[1].OldLimitBlank {
				t.Fatalf("stored events %+v, %v: want both with old_limit_blank", ev, err)
			}
		})
	}
}
