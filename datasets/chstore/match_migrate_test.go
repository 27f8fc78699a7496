package chstore

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// matchBeforeCredits turns the database of s into what the build before
// matchCreditsMigration left: the match without the credit notes' columns,
// marked built in no layout (its mark row has invoice id ”), and the
// schema at the version before.
func matchBeforeCredits(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	old := `CREATE TABLE invoice_match_old
(
    customer_id String, invoice_id String, invoice UInt8, issue_day Int32, due_day Int32, settled_day Int32, cents Int64,
    disputed UInt8, country String, segment String, channel String,
    pay_days Array(Int32), pay_cents Array(Int64), action_days Array(Int32), promise_days Array(Int32),
    promised_days Array(Int32), promise_cents Array(Int64), source_ids Array(String), records UInt32, version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (customer_id, invoice_id)`
	for _, stmt := range []string{
		old,
		`INSERT INTO invoice_match_old SELECT customer_id, invoice_id, invoice, issue_day, due_day, settled_day, cents,
			disputed, country, segment, channel, pay_days, pay_cents, action_days, promise_days, promised_days, promise_cents,
			source_ids, records, version
		FROM invoice_match WHERE customer_id != ''`,
		// The old mark: built up to the newest version, in no layout.
		`INSERT INTO invoice_match_old (customer_id, invoice_id, records, version) SELECT '', '', 0, max(version) FROM invoice_match`,
		"DROP TABLE invoice_match",
		"RENAME TABLE invoice_match_old TO invoice_match",
		"TRUNCATE TABLE schema_migrations",
		fmt.Sprintf("INSERT INTO schema_migrations (version, name, applied_at) SELECT number + 1, 'before', now() FROM system.numbers LIMIT %d", matchCreditsMigration-1),
	} {
		if err := s.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// A store whose match was built before it held the credit notes gets them
// from `db migrate`, which rebuilds the whole match; an import of the same
// ledger again, and a second migrate, change nothing.
func TestMigrationAddsTheCreditNotesToTheMatch(t *testing.T) {
	ctx := context.Background()
	s, dsn := openMigrated(t)
	l := matchLedger()
	if err := s.Put(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := s.SyncMatch(ctx); err != nil {
		t.Fatal(err)
	}
	matchBeforeCredits(t, s)
	upgraded := open(t, dsn)
	if err := upgraded.CheckSchema(ctx); err == nil {
		t.Fatal("a store a migration behind passes CheckSchema")
	}
	applied, err := upgraded.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The later migrations find their columns there (ADD COLUMN applied).
	if len(applied) == 0 || applied[0] != matchCreditsMigration {
		t.Fatalf("migrate applied %v, want [%d …]", applied, matchCreditsMigration)
	}
	// Read before any other sync: the migration built it.
	if got := storedMatch(t, upgraded); len(got[[2]string{"C1", "I1-0"}].Credits) != 2 {
		t.Fatalf("after the migration the match row of I1-0 holds credit notes %v, want N1 and N2", got[[2]string{"C1", "I1-0"}].Credits)
	}
	assertMatch(t, upgraded, l)
	if err := upgraded.Put(ctx, l); err != nil {
		t.Fatal(err)
	}
	assertMatch(t, upgraded, l)
	if applied, err := upgraded.Migrate(ctx); err != nil || len(applied) != 0 {
		t.Fatalf("migrate again: applied %v, %v; want nothing", applied, err)
	}
	assertMatch(t, upgraded, l)
}

// A match marked built in no layout or an earlier one reads as not built,
// so that a migration's rebuild cut short is done by the next sync.
func TestMatchOfAnEarlierLayoutIsRebuilt(t *testing.T) {
	ctx := context.Background()
	s, dsn := openMigrated(t)
	l := matchLedger()
	if err := s.Put(ctx, l); err != nil {
		t.Fatal(err)
	}
	assertMatch(t, s, l)
	// Empty the credit notes' columns and mark the match in no layout, as
	// a migration whose rebuild was interrupted leaves it.
	for _, stmt := range []string{
		`INSERT INTO invoice_match (customer_id, invoice_id, invoice, issue_day, due_day, settled_day, cents,
			disputed, country, segment, channel, pay_days, pay_cents, action_days, promise_days, promised_days, promise_cents,
			source_ids, records, version)
		SELECT customer_id, invoice_id, invoice, issue_day, due_day, settled_day, cents,
			disputed, country, segment, channel, pay_days, pay_cents, action_days, promise_days, promised_days, promise_cents,
			source_ids, records, version + 1
		FROM invoice_match FINAL WHERE customer_id != ''`,
		"OPTIMIZE TABLE invoice_match FINAL",
		"ALTER TABLE invoice_match DELETE WHERE customer_id = ''",
	} {
		if err := s.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	waitMutations(t, s)
	if got := storedMatch(t, s); len(got[[2]string{"C1", "I1-0"}].Credits) != 0 {
		t.Fatalf("the test needs the credit notes gone from the match, found %v", got[[2]string{"C1", "I1-0"}].Credits)
	}
	// A fresh store, with nothing pending of its own.
	assertMatch(t, open(t, dsn), l)
}

// waitMutations waits for the ALTER ... DELETEs on the store's database
// to be done (18.16 runs them in the background).
func waitMutations(t *testing.T, s *Store) {
	t.Helper()
	for range 200 {
		var n uint64
		if err := s.QueryRow(context.Background(), "SELECT count() FROM system.mutations WHERE database = currentDatabase() AND is_done = 0").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("mutations still running")
}
