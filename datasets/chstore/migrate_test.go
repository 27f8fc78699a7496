package chstore

import (
	"reflect"
	"strings"
	"testing"
)

func TestSplitStatements(t *testing.T) {
	tests := []struct {
		name   string
		script string
		want   []string
	}{
		{"one without semicolon", "SELECT 1", []string{"SELECT 1"}},
		{"two", "SELECT 1;\nSELECT 2;\n", []string{"SELECT 1", "SELECT 2"}},
		{"empty and comment-only", " ;\n-- only a comment;\n;/* and; another */", nil},
		{"semicolons in strings", `SELECT 'a;b', "c;d", ` + "`e;f`" + `; SELECT 2`,
			[]string{`SELECT 'a;b', "c;d", ` + "`e;f`", "SELECT 2"}},
		{"escaped and doubled quotes", `SELECT 'it\'s;', 'it''s;'; SELECT 2`,
			[]string{`SELECT 'it\'s;', 'it''s;'`, "SELECT 2"}},
		{"semicolons in comments", "SELECT 1 -- one; two\n, 2 /* three; */;SELECT 3",
			[]string{"SELECT 1 -- one; two\n, 2 /* three; */", "SELECT 3"}},
		{"unterminated comment", "SELECT 1; /* open", []string{"SELECT 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := splitStatements(tt.script); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("splitStatements(%q) =\n %q\nwant\n %q", tt.script, got, tt.want)
			}
		})
	}
}

func TestEmbeddedMigrations(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[0].version != 1 || ms[0].name != "ledger" {
		t.Fatalf("migrations = %+v, want 0001_ledger first", ms)
	}
	// Every table of the ledger is created by one migration.
	tables, err := ledgerTables(shardKeys(ms))
	if err != nil {
		t.Fatal(err)
	}
	for _, tbl := range tables {
		n := 0
		for _, m := range ms {
			for _, stmt := range m.statements {
				if strings.Contains(stmt.text, "CREATE TABLE IF NOT EXISTS "+tbl.tableName()+"\n") {
					n++
				}
			}
		}
		if n != 1 {
			t.Errorf("table %s is created by %d statements, want 1", tbl.tableName(), n)
		}
	}
}
