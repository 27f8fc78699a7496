package chstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/storetest"
)

// oldLimitBlankMigration is the migration that adds old_limit_blank to the
// credit decisions and events.
const oldLimitBlankMigration = 10

// A store a migration behind old_limit_blank (its credit decisions and
// events without the column) gets it from `db migrate`; the rows stored
// before read false, an old limit as recorded, as they were read, and new
// rows keep the flag.
func TestMigrationAddsOldLimitBlank(t *testing.T) {
	testServer(t)
	ctx := context.Background()
	s, dsn := openMigrated(t)
	if err := s.Put(ctx, storetest.Sample()); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 3, 12, 9, 30, 15, 0, time.UTC)
	old := datasets.CreditEvent{ProposalID: "P-old", Kind: datasets.CreditProposed, At: at, CustomerID: "C2", By: "ann"}
	if err := s.AddCreditProposal(ctx, old); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		"ALTER TABLE credit_decisions DROP COLUMN old_limit_blank",
		"ALTER TABLE credit_events DROP COLUMN old_limit_blank",
		"TRUNCATE TABLE schema_migrations",
		fmt.Sprintf("INSERT INTO schema_migrations (version, name, applied_at) SELECT number + 1, 'before', now() FROM system.numbers LIMIT %d", oldLimitBlankMigration-1),
	} {
		if err := s.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	upgraded := open(t, dsn)
	if err := upgraded.CheckSchema(ctx); err == nil {
		t.Fatal("a store a migration behind passes CheckSchema")
	}
	applied, err := upgraded.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) == 0 || applied[0] != oldLimitBlankMigration {
		t.Fatalf("migrate applied %v, want [%d …]", applied, oldLimitBlankMigration)
	}
	l, err := upgraded.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.CreditDecisions) == 0 {
		t.Fatal("no credit decisions read back")
	}
	for _, d := range l.CreditDecisions {
		if d.OldLimitBlank {
			t.Errorf("decision %s stored before the migration reads old_limit_blank", d.ID)
		}
	}
	ev, err := upgraded.CreditEvents(ctx, "C2")
	if err != nil || len(ev) != 1 || ev[0].OldLimitBlank {
		t.Fatalf("events stored before the migration: %+v, %v; want P-old without old_limit_blank", ev, err)
	}
	p := datasets.CreditEvent{ProposalID: "P-new", Kind: datasets.CreditProposed, At: at, CustomerID: "C1", By: "ann", OldLimitBlank: true}
	if err := upgraded.AddCreditProposal(ctx, p); err != nil {
		t.Fatal(err)
	}
	d := datasets.CreditDecision{ID: "D-new", CustomerID: "C1", Date: datasets.NewDate(2024, 3, 12), NewLimit: 100, OldLimitBlank: true}
	if err := upgraded.Put(ctx, &datasets.Ledger{CreditDecisions: []datasets.CreditDecision{d}}); err != nil {
		t.Fatal(err)
	}
	ev, err = upgraded.CreditEvents(ctx, "C1")
	if err != nil || len(ev) != 1 || !ev[0].OldLimitBlank {
		t.Fatalf("event stored after the migration: %+v, %v; want old_limit_blank", ev, err)
	}
	l, err = upgraded.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, x := range l.CreditDecisions {
		if x.ID == "D-new" {
			found = x.OldLimitBlank
		}
	}
	if !found {
		t.Fatalf("decision D-new stored after the migration lost old_limit_blank: %+v", l.CreditDecisions)
	}
}
