package chstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/importer"
	"github.com/dsopilot/dsopilot/datasets/synth"
)

// TestSipHashMatchesServer holds the shard routing's hash equal to the
// server's sipHash64, over every tail length and non-ASCII bytes.
func TestSipHashMatchesServer(t *testing.T) {
	ctx := context.Background()
	s := open(t, dsnOf(testServer(t)))
	inputs := []string{"", "C1", "Jörg", "日本語のお客様", "\x00\xff", strings.Repeat("x", 64)}
	for n := range 20 {
		inputs = append(inputs, strings.Repeat("abcdefghij", 3)[:n])
	}
	for _, in := range inputs {
		var want uint64
		if err := s.entry.conn.QueryRow(ctx, "SELECT sipHash64(?)", in).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if got := sipHash64(in); got != want {
			t.Errorf("sipHash64(%q) = %d, server says %d", in, got, want)
		}
	}
}

func TestSlotMap(t *testing.T) {
	tests := []struct {
		weights []int
		want    []int
		wantErr bool
	}{
		{[]int{1, 1}, []int{0, 1}, false},
		{[]int{2, 1}, []int{0, 0, 1}, false},
		{[]int{0, 3}, []int{1, 1, 1}, false},
		{[]int{0, 0}, nil, true},
	}
	for _, tt := range tests {
		var shards []shard
		for _, w := range tt.weights {
			shards = append(shards, shard{weight: w})
		}
		got, err := slotMap(shards)
		if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("slotMap(%v) = %v, %v; want %v (error %v)", tt.weights, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestClusterConformance(t *testing.T) {
	clusterDSN(t)
	conformance(t, openMigratedCluster)
}

// TestClusterMigrate checks the tables a migration makes on each server: the
// shard's tables in the local database with the columns the Go code writes,
// and Distributed tables over them sharded by customer_id.
func TestClusterMigrate(t *testing.T) {
	ctx := context.Background()
	s, dsn := openMigratedCluster(t)
	if len(s.shards) != 2 {
		t.Fatalf("%d shards, want 2", len(s.shards))
	}
	for _, n := range s.nodes() {
		for _, tbl := range s.tables {
			var engine, full string
			q := "SELECT engine, engine_full FROM system.tables WHERE database = ? AND name = ?"
			if err := n.conn.QueryRow(ctx, q, s.cfg.Database, tbl.tableName()).Scan(&engine, &full); err != nil {
				t.Fatalf("%s: %s.%s: %v", n.name, s.cfg.Database, tbl.tableName(), err)
			}
			wantFull := fmt.Sprintf("Distributed('%s', '%s', '%s', sipHash64(customer_id))", s.cfg.Cluster, s.cfg.LocalDatabase(), tbl.tableName())
			if engine != "Distributed" || !strings.Contains(full, wantFull) {
				t.Errorf("%s: %s.%s is %s, want %s", n.name, s.cfg.Database, tbl.tableName(), full, wantFull)
			}
			if err := n.conn.QueryRow(ctx, q, s.cfg.LocalDatabase(), tbl.tableName()).Scan(&engine, &full); err != nil {
				t.Fatalf("%s: %s.%s: %v", n.name, s.cfg.LocalDatabase(), tbl.tableName(), err)
			}
			if engine != "ReplacingMergeTree" {
				t.Errorf("%s: %s.%s is %s, want ReplacingMergeTree", n.name, s.cfg.LocalDatabase(), tbl.tableName(), engine)
			}
			for _, db := range []string{s.cfg.Database, s.cfg.LocalDatabase()} {
				if got, want := tableColumns(t, n, db, tbl.tableName()), sortedColumnTypes(tbl); !reflect.DeepEqual(got, want) {
					t.Errorf("%s: %s.%s columns:\n got  %v\n want %v", n.name, db, tbl.tableName(), got, want)
				}
			}
		}
	}
	again := open(t, dsn)
	if applied, err := again.Migrate(ctx); err != nil || len(applied) != 0 {
		t.Fatalf("second migrate applied %v, %v; want nothing", applied, err)
	}
}

func tableColumns(t *testing.T, n *node, db, table string) [][2]string {
	t.Helper()
	rows, err := n.conn.Query(context.Background(),
		"SELECT name, type FROM system.columns WHERE database = ? AND table = ? ORDER BY name", db, table)
	if err != nil {
		t.Fatalf("columns of %s.%s on %s: %v", db, table, n.name, err)
	}
	defer rows.Close()
	var got [][2]string
	for rows.Next() {
		var c [2]string
		if err := rows.Scan(&c[0], &c[1]); err != nil {
			t.Fatal(err)
		}
		got = append(got, c)
	}
	return got
}

func sortedColumnTypes(tbl ledgerTable) [][2]string {
	want := tbl.columnTypes()
	slices.SortFunc(want, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return want
}

// TestClusterRoutesAsDistributed checks that Put sends each row to the shard
// the Distributed table would: rows inserted through it and through Put
// land side by side.
func TestClusterRoutesAsDistributed(t *testing.T) {
	ctx := context.Background()
	s, _ := openMigratedCluster(t)
	var l datasets.Ledger
	for i := range 200 {
		l.Customers = append(l.Customers, datasets.Customer{ID: fmt.Sprintf("P%03d", i)})
	}
	if err := s.Put(ctx, &l); err != nil {
		t.Fatalf("put: %v", err)
	}
	// The same ids through the Distributed table, marked by their name.
	ins := clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"insert_distributed_sync": 1}))
	q := "INSERT INTO customers (customer_id, name, version) SELECT concat('P', substring(toString(1000 + number), 2)), 'distributed', 1 FROM system.numbers LIMIT 200"
	if err := s.entry.conn.Exec(ins, q); err != nil {
		t.Fatalf("insert through Distributed: %v", err)
	}
	for _, sh := range s.shards {
		rows, err := sh.conn.Query(ctx, "SELECT customer_id, groupArray(name) FROM "+s.cfg.LocalDatabase()+".customers GROUP BY customer_id")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var id string
			var names []string
			if err := rows.Scan(&id, &names); err != nil {
				t.Fatal(err)
			}
			slices.Sort(names)
			if !reflect.DeepEqual(names, []string{"", "distributed"}) {
				t.Errorf("%s holds %q as %q: Put and the Distributed table sent it to different shards", sh.name, id, names)
			}
			n++
		}
		rows.Close()
		if n == 0 || n == 200 {
			t.Errorf("%s holds %d of 200 customers; want a share", sh.name, n)
		}
	}
}

// TestClusterLaterVersionReplaces: FINAL is per shard, and right because an
// id lives on one shard: a later version of an id replaces the earlier one
// in every read, and the shards hold it once between them.
func TestClusterLaterVersionReplaces(t *testing.T) {
	ctx := context.Background()
	s, _ := openMigratedCluster(t)
	d := datasets.NewDate
	first := &datasets.Ledger{Invoices: []datasets.Invoice{
		{ID: "I1", CustomerID: "C1", IssueDate: d(2024, 1, 1), DueDate: d(2024, 1, 31), Amount: 100},
		{ID: "I2", CustomerID: "C2", IssueDate: d(2024, 1, 1), DueDate: d(2024, 1, 31), Amount: 200},
	}}
	later := &datasets.Ledger{Invoices: []datasets.Invoice{
		{ID: "I1", CustomerID: "C1", IssueDate: d(2024, 1, 1), DueDate: d(2024, 1, 31), Amount: 100, SettledDate: d(2024, 2, 3)},
	}}
	for _, l := range []*datasets.Ledger{first, later} {
		if err := s.Put(ctx, l); err != nil {
			t.Fatalf("put: %v", err)
		}
	}
	got, err := s.Load(ctx)
	want := []datasets.Invoice{later.Invoices[0], first.Invoices[1]}
	if err != nil || !reflect.DeepEqual(got.Invoices, want) {
		t.Fatalf("invoices = %+v, %v; want %+v", got.Invoices, err, want)
	}
	if c, err := s.Counts(ctx); err != nil || c.Invoices != 2 {
		t.Fatalf("counts = %+v, %v; want 2 invoices", c, err)
	}
	var settled uint64
	if err := s.entry.conn.QueryRow(ctx, "SELECT countIf(settled_date > '1970-01-01') FROM invoices FINAL").Scan(&settled); err != nil || settled != 1 {
		t.Fatalf("settled invoices through the Distributed table = %d, %v; want 1", settled, err)
	}
	rowsOf := map[string]int{}
	for _, sh := range s.shards {
		var ids []string
		if err := sh.conn.QueryRow(ctx, "SELECT groupArray(invoice_id) FROM "+s.cfg.LocalDatabase()+".invoices").Scan(&ids); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			rowsOf[id+" on "+sh.name]++
		}
	}
	shardOf := s.shards[s.shardOf("C1")].name
	if rowsOf["I1 on "+shardOf] != 2 || len(rowsOf) != 2 {
		t.Fatalf("rows by shard = %v; want both versions of I1 on %s, with C1, and I2 once", rowsOf, shardOf)
	}
}

// TestClusterMatchesSingleServer imports the same simulated ledger into a
// single server and into the cluster, twice, and reads it back the same
// through every read.
func TestClusterMatchesSingleServer(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := synth.WriteDir(ctx, synth.Config{Customers: 60, Months: 6, Seed: 7}, dir); err != nil {
		t.Fatal(err)
	}
	single, _ := openMigrated(t)
	cluster, _ := openMigratedCluster(t)
	for _, s := range []*Store{single, cluster} {
		for range 2 {
			sum, err := importer.Import(ctx, s, []string{dir}, importer.Options{RejectsPath: filepath.Join(t.TempDir(), "rejects.csv")})
			if err != nil || sum.Rejected != 0 {
				t.Fatalf("import into %s: %+v, %v", s.cfg, sum, err)
			}
		}
	}
	want, err := single.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want.Invoices == nil || want.Payments == nil {
		t.Fatalf("the simulated ledger has no invoices or payments: %d, %d", len(want.Invoices), len(want.Payments))
	}
	got, err := cluster.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cluster ledger differs from the single server's")
	}
	wc, err1 := single.Counts(ctx)
	gc, err2 := cluster.Counts(ctx)
	if err1 != nil || err2 != nil || gc != wc || wc.Invoices != uint64(len(want.Invoices)) {
		t.Errorf("counts: cluster %+v (%v), single %+v (%v)", gc, err2, wc, err1)
	}
	wids, err1 := single.CustomerIDs(ctx)
	gids, err2 := cluster.CustomerIDs(ctx)
	if err1 != nil || err2 != nil || !reflect.DeepEqual(gids, wids) {
		t.Errorf("customer ids: cluster %d (%v), single %d (%v)", len(gids), err2, len(wids), err1)
	}
	for _, e := range []datasets.Entity{datasets.EntityInvoices, datasets.EntityPayments} {
		var w, g []string
		err1 := single.EachID(ctx, e, func(id string) { w = append(w, id) })
		err2 := cluster.EachID(ctx, e, func(id string) { g = append(g, id) })
		slices.Sort(w)
		slices.Sort(g)
		if err1 != nil || err2 != nil || !reflect.DeepEqual(g, w) {
			t.Errorf("%s ids: cluster %d (%v), single %d (%v)", e, len(g), err2, len(w), err1)
		}
	}
	// Both shards hold part of it, and every customer's rows are on one.
	for _, sh := range cluster.shards {
		var n uint64
		q := "SELECT count() FROM " + cluster.cfg.LocalDatabase() + ".invoices FINAL"
		if err := sh.conn.QueryRow(ctx, q).Scan(&n); err != nil || n == 0 || n == wc.Invoices {
			t.Errorf("%s holds %d of %d invoices (%v); want a share", sh.name, n, wc.Invoices, err)
		}
	}
	if split := customersOnSeveralShards(t, cluster); split != 0 {
		t.Errorf("%d customers have payments on more than one shard", split)
	}
	// Read in parts, on either store, the ledger is the whole ledger.
	for _, s := range []*Store{single, cluster} {
		for _, n := range []int{1, 3} {
			checkParts(t, s, want, n)
		}
	}
}

// checkParts reads s in n parts and checks that they hold the records of
// want, each once, and every customer's records in one part.
func checkParts(t *testing.T, s *Store, want *datasets.Ledger, n int) {
	t.Helper()
	ctx := context.Background()
	records := func(l *datasets.Ledger) []string {
		var out []string
		l.EachRecord(func(e datasets.Entity, rec []string) { out = append(out, string(e)+"|"+strings.Join(rec, "|")) })
		return out
	}
	var got []string
	partOf := map[string]int{} // customer id → part
	invoicePart := map[string]int{}
	for k := range n {
		p, err := s.LoadPart(ctx, k, n)
		if err != nil {
			t.Fatalf("%s: part %d of %d: %v", s.cfg, k, n, err)
		}
		got = append(got, records(p)...)
		for _, v := range p.Invoices {
			invoicePart[v.ID] = k
		}
		ids := []string{}
		for _, v := range p.Invoices {
			ids = append(ids, v.CustomerID)
		}
		for _, pm := range p.Payments {
			ids = append(ids, pm.CustomerID)
		}
		for _, a := range p.Actions {
			ids = append(ids, a.CustomerID)
		}
		for _, id := range ids {
			if j, ok := partOf[id]; ok && j != k {
				t.Errorf("%s: customer %s is in parts %d and %d of %d", s.cfg, id, j, k, n)
			}
			partOf[id] = k
		}
		for _, cn := range p.CreditNotes {
			if j, ok := invoicePart[cn.InvoiceID]; ok && j != k {
				t.Errorf("%s: credit note %s is in part %d, its invoice in %d", s.cfg, cn.ID, k, j)
			}
		}
	}
	all := records(want)
	slices.Sort(all)
	slices.Sort(got)
	if !slices.Equal(got, all) {
		t.Errorf("%s: %d parts hold %d records, the ledger %d (or others)", s.cfg, n, len(got), len(all))
	}
	if _, err := s.LoadPart(ctx, n, n); !errors.Is(err, ErrBadPart) {
		t.Errorf("part %d of %d: %v, want ErrBadPart", n, n, err)
	}
}

// customersOnSeveralShards counts the customers whose payments are on more
// than one shard.
func customersOnSeveralShards(t *testing.T, s *Store) uint64 {
	t.Helper()
	seen := map[string]int{}
	for i, sh := range s.shards {
		var ids []string
		if err := sh.conn.QueryRow(context.Background(), "SELECT groupUniqArray(customer_id) FROM "+s.cfg.LocalDatabase()+".payments").Scan(&ids); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			seen[id] |= 1 << i
		}
	}
	var n uint64
	for _, mask := range seen {
		if mask&(mask-1) != 0 {
			n++
		}
	}
	return n
}

func TestClusterUnknownName(t *testing.T) {
	cfg := testServer(t)
	cfg.Cluster = "no_such_cluster"
	_, err := Open(context.Background(), dsnOf(cfg)+"?cluster=no_such_cluster", nil)
	if !errors.Is(err, ErrCluster) || !strings.Contains(err.Error(), `"no_such_cluster" is not in the remote_servers`) {
		t.Fatalf("open with an unknown cluster: %v; want ErrCluster naming it", err)
	}
}

// TestClusterMovedID: an id whose customer changes moves to the new
// customer's shard, and leaves no copy on the old one, whether it moves
// between two Puts or within one.
func TestClusterMovedID(t *testing.T) {
	ctx := context.Background()
	s, _ := openMigratedCluster(t)
	// A customer on each shard.
	on := map[int]string{}
	for i := 0; len(on) < 2; i++ {
		id := fmt.Sprintf("C%d", i)
		if _, ok := on[s.shardOf(id)]; !ok {
			on[s.shardOf(id)] = id
		}
	}
	a, b := on[0], on[1]
	inv := func(id, customer string, amount datasets.Money) datasets.Invoice {
		return datasets.Invoice{ID: id, CustomerID: customer, Amount: amount}
	}
	steps := []struct {
		name string
		put  []datasets.Invoice
		want []datasets.Invoice
	}{
		{"stored", []datasets.Invoice{inv("I1", a, 1), inv("I9", a, 9)}, []datasets.Invoice{inv("I1", a, 1), inv("I9", a, 9)}},
		{"moved by a later put", []datasets.Invoice{inv("I1", b, 2)}, []datasets.Invoice{inv("I1", b, 2), inv("I9", a, 9)}},
		{"moved back", []datasets.Invoice{inv("I1", a, 3)}, []datasets.Invoice{inv("I1", a, 3), inv("I9", a, 9)}},
		{"moved within a put", []datasets.Invoice{inv("I2", a, 4), inv("I2", b, 5)}, []datasets.Invoice{inv("I1", a, 3), inv("I2", b, 5), inv("I9", a, 9)}},
	}
	for _, step := range steps {
		if err := s.Put(ctx, &datasets.Ledger{Invoices: step.put}); err != nil {
			t.Fatalf("%s: put: %v", step.name, err)
		}
		got, err := s.Load(ctx)
		if err != nil || !reflect.DeepEqual(got.Invoices, step.want) {
			t.Fatalf("%s: invoices = %+v, %v; want %+v", step.name, got.Invoices, err, step.want)
		}
		for _, w := range step.want {
			for k, sh := range s.shards {
				var n uint64
				q := "SELECT count() FROM " + s.cfg.LocalDatabase() + ".invoices WHERE invoice_id = ?"
				if err := sh.conn.QueryRow(ctx, q, w.ID).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if home := s.shardOf(w.CustomerID) == k; home != (n > 0) {
					t.Errorf("%s: %s holds %d rows of %s (customer %s)", step.name, sh.name, n, w.ID, w.CustomerID)
				}
			}
		}
	}
}

// TestClusterDatabaseWithoutClusterIsRefused: a sharded ledger's database
// opened as a single server's (the DSN without ?cluster=) is refused at
// open, naming the cluster to give: a trial's import through it failed
// with "Cannot find column version in source stream".
func TestClusterDatabaseWithoutClusterIsRefused(t *testing.T) {
	s, dsn := openMigratedCluster(t)
	plain, _, _ := strings.Cut(dsn, "?")
	_, err := Open(context.Background(), plain, nil)
	want := fmt.Sprintf("?cluster=%s", s.cfg.Cluster)
	if !errors.Is(err, ErrCluster) || !strings.Contains(err.Error(), want) {
		t.Fatalf("open %s: %v; want ErrCluster saying %s", plain, err, want)
	}
}
