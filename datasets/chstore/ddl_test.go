package chstore

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseDDL(t *testing.T) {
	create := "-- a table\n-- cluster: shard by customer_id\nCREATE TABLE IF NOT EXISTS snapshots\n(\n    snapshot_id String, -- the id\n    customer_id String,\n    amount Decimal(18, 2),\n    version UInt64\n)\nENGINE = ReplacingMergeTree(version)\nORDER BY snapshot_id"
	tests := []struct {
		name    string
		stmt    string
		shard   []string // onShard(ledger, ledger_local, c)
		query   []string // onQueryNode
		wantErr string
	}{
		{
			name: "create",
			stmt: create,
			shard: []string{
				"CREATE TABLE IF NOT EXISTS ledger_local.snapshots (\n    snapshot_id String,  \n    customer_id String,\n    amount Decimal(18, 2),\n    version UInt64\n) ENGINE = ReplacingMergeTree(version)\nORDER BY snapshot_id",
				"CREATE TABLE IF NOT EXISTS ledger.snapshots (\n    snapshot_id String,  \n    customer_id String,\n    amount Decimal(18, 2),\n    version UInt64\n) ENGINE = Distributed('c', 'ledger_local', 'snapshots', sipHash64(customer_id))",
			},
			query: []string{
				"CREATE TABLE IF NOT EXISTS ledger.snapshots (\n    snapshot_id String,  \n    customer_id String,\n    amount Decimal(18, 2),\n    version UInt64\n) ENGINE = Distributed('c', 'ledger_local', 'snapshots', sipHash64(customer_id))",
			},
		},
		{
			name: "create on one line",
			stmt: "-- cluster: shard by c\ncreate table if not exists t (id String, c String) engine = MergeTree order by id",
			shard: []string{
				"CREATE TABLE IF NOT EXISTS ledger_local.t (id String, c String) engine = MergeTree order by id",
				"CREATE TABLE IF NOT EXISTS ledger.t (id String, c String) ENGINE = Distributed('c', 'ledger_local', 't', sipHash64(c))",
			},
		},
		{
			name: "add column",
			stmt: "-- 18.16 has no IF NOT EXISTS here\nALTER TABLE customers ADD COLUMN collector String AFTER since",
			shard: []string{
				"ALTER TABLE ledger_local.customers ADD COLUMN collector String AFTER since",
				"ALTER TABLE ledger.customers ADD COLUMN collector String AFTER since",
			},
			query: []string{"ALTER TABLE ledger.customers ADD COLUMN collector String AFTER since"},
		},
		{name: "no directive", stmt: strings.Replace(create, "-- cluster: shard by customer_id\n", "", 1), wantErr: "want one comment `-- cluster: shard by <column>`"},
		{name: "two directives", stmt: "-- cluster: shard by customer_id\n" + create, wantErr: "found 2"},
		{name: "bad directive", stmt: strings.Replace(create, "shard by customer_id", "replicate", 1), wantErr: `directive "replicate"`},
		{name: "key not a column", stmt: strings.Replace(create, "shard by customer_id", "shard by account", 1), wantErr: "shard key account must be a String column"},
		{name: "key not a String", stmt: strings.Replace(create, "shard by customer_id", "shard by amount", 1), wantErr: `(found "Decimal(18, 2)")`},
		{name: "not idempotent", stmt: strings.Replace(create, " IF NOT EXISTS", "", 1), wantErr: "without IF NOT EXISTS"},
		{name: "no engine", stmt: "-- cluster: shard by c\nCREATE TABLE IF NOT EXISTS t (c String) AS other", wantErr: "want ENGINE"},
		{name: "insert", stmt: "INSERT INTO t (a) VALUES (1)", wantErr: "may only CREATE TABLE IF NOT EXISTS or ALTER TABLE"},
		{name: "mutation", stmt: "ALTER TABLE t DELETE WHERE 1", wantErr: "may only"},
		{name: "directive on alter", stmt: "-- cluster: shard by c\nALTER TABLE t ADD COLUMN c String", wantErr: "belongs to CREATE TABLE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := parseDDL(tt.stmt)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseDDL: %v; want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := d.single(); !reflect.DeepEqual(got, []string{tt.stmt}) {
				t.Errorf("single = %q, want the statement as written", got)
			}
			if got := d.onShard("ledger", "ledger_local", "c"); !reflect.DeepEqual(got, tt.shard) {
				t.Errorf("onShard =\n %q\nwant\n %q", got, tt.shard)
			}
			if tt.query != nil {
				if got := d.onQueryNode("ledger", "ledger_local", "c"); !reflect.DeepEqual(got, tt.query) {
					t.Errorf("onQueryNode =\n %q\nwant\n %q", got, tt.query)
				}
			}
		})
	}
}

func TestStripComments(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a -- b\nc", "a  \nc"},
		{"a -- b", "a  "},
		{"a /* b; */ c", "a   c"},
		{"'--not' \"/*no*/\" -- yes", "'--not' \"/*no*/\"  "},
		{`'it\'s -- x'`, `'it\'s -- x'`},
	}
	for _, tt := range tests {
		if got := stripComments(tt.in); got != tt.want {
			t.Errorf("stripComments(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
