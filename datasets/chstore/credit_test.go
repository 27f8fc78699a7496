package chstore

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/storetest"
)

// Every racer has its own Store, so its own connections: the claim is
// settled by the server, not by anything shared in this process.
func TestCreditConformance(t *testing.T) {
	testServer(t)
	storetest.RunCredit(t, func(t *testing.T) (storetest.CreditStore, func() storetest.CreditStore) {
		s, dsn := openMigrated(t)
		return s, func() storetest.CreditStore { return open(t, dsn) }
	})
}

// On a two-shard cluster a customer's claims and events live on its shard,
// so the same suite holds: exactly one of racing approvals wins.
func TestClusterCreditConformance(t *testing.T) {
	clusterDSN(t)
	storetest.RunCredit(t, func(t *testing.T) (storetest.CreditStore, func() storetest.CreditStore) {
		s, dsn := openMigratedCluster(t)
		return s, func() storetest.CreditStore { return open(t, dsn) }
	})
}

// A decision claimed by a caller that died before writing its rows is
// completed by the next read, once; on one server and on a cluster.
func TestCreditClaimWithoutRowsIsCompleted(t *testing.T) {
	for _, tt := range []struct {
		name string
		open func(testing.TB) (*Store, string)
	}{{"server", openMigrated}, {"cluster", openMigratedCluster}} {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := tt.open(t)
			claimWithoutRows(t, s)
		})
	}
}

func claimWithoutRows(t *testing.T, s *Store) {
	ctx := context.Background()
	if err := s.Put(ctx, storetest.Sample()); err != nil {
		t.Fatal(err)
	}
	events := storetestProposal(t, s)
	p := events[0]
	d := p
	d.Kind, d.Claim, d.By, d.DecisionID = datasets.CreditApproved, 1, "bob", "CD-"+p.ProposalID
	cd := &datasets.CreditDecision{ID: d.DecisionID, CustomerID: p.CustomerID, Date: datasets.DateOf(d.At), OldLimit: p.OldLimit, NewLimit: p.NewLimit, DecidedBy: "bob"}
	// The claim alone, as if the process had died right after it.
	payload := `{"event":` + mustJSON(t, d) + `,"decision":` + mustJSON(t, cd) + `}`
	name := s.cfg.LocalDatabase() + "." + claimPrefix(p.CustomerID) + "1"
	if err := s.nodeOf(p.CustomerID).conn.Exec(ctx, strings.ReplaceAll(creditClaimCreateSQL, "{name}", name), payload); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		got, err := s.CreditEvents(ctx, "")
		if err != nil || len(got) != 2 || got[1].Kind != datasets.CreditApproved || got[1].By != "bob" {
			t.Fatalf("events %+v, %v", got, err)
		}
	}
	l, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range l.CreditDecisions {
		if x.ID == cd.ID {
			n++
		}
	}
	if n != 1 || l.Customers[0].CreditLimit != p.NewLimit {
		t.Fatalf("after completion: %d decisions %s, limit %v", n, cd.ID, l.Customers[0].CreditLimit)
	}
	if err := s.DecideCredit(ctx, d, cd); err == nil {
		t.Fatal("deciding a completed claim again succeeded")
	}
}

func storetestProposal(t *testing.T, s *Store) []datasets.CreditEvent {
	t.Helper()
	ctx := context.Background()
	p := datasets.CreditEvent{ProposalID: "P1", Kind: datasets.CreditProposed, At: time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC),
		CustomerID: "C1", Currency: "EUR", OldLimit: 5_000_000, NewLimit: 6_000_000, By: "ann"}
	if err := s.AddCreditProposal(ctx, p); err != nil {
		t.Fatal(err)
	}
	return []datasets.CreditEvent{p}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
