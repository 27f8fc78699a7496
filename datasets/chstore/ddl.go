package chstore

import (
	"fmt"
	"regexp"
	"strings"
)

// A migration statement is written once, for a single server, and the
// statements a cluster needs are derived from it (see the package
// documentation, "Migrations on a cluster"). Two kinds of statement can be
// derived, and a migration may hold no other:
//
//	-- cluster: shard by customer_id
//	CREATE TABLE IF NOT EXISTS name (columns...) ENGINE = ...
//
// becomes, on every shard, the same table in the local database and, on
// every server, a Distributed table of the same name and columns in the
// store's database over the shards' tables, sharded by
// sipHash64(customer_id). The directive is a comment of the statement and
// is required: a table's shard key is a decision, not a default. The key
// must be one of the table's String columns.
//
//	ALTER TABLE name ADD COLUMN | DROP COLUMN | MODIFY COLUMN ...
//
// becomes the same ALTER of the shards' table and of the Distributed one.

// ddlKind is what a migration statement does.
type ddlKind uint8

const (
	ddlCreate ddlKind = iota + 1
	ddlAlter
)

// ddl is one migration statement, parsed enough to derive its cluster
// variants.
type ddl struct {
	text    string // as written, run on a single server
	kind    ddlKind
	table   string
	columns string // create: the parenthesised column list
	engine  string // create: from ENGINE on
	shardBy string // create: the shard key column
	rest    string // alter: what follows the table name
}

var (
	shardDirective = regexp.MustCompile(`(?m)^\s*--\s*cluster:\s*(.*?)\s*$`)
	shardByClause  = regexp.MustCompile(`^shard by ([A-Za-z_][A-Za-z0-9_]*)$`)
	createPrefix   = regexp.MustCompile(`(?is)^CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(`)
	createAny      = regexp.MustCompile(`(?is)^CREATE\s+TABLE\b`)
	alterPrefix    = regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+([A-Za-z_][A-Za-z0-9_]*)\s+((?:ADD|DROP|MODIFY)\s+COLUMN\b.*)$`)
	engineClause   = regexp.MustCompile(`(?is)^\s*ENGINE\s*=`)
	columnDecl     = regexp.MustCompile(`(?s)^([A-Za-z_][A-Za-z0-9_]*)\s+(.*)$`)
)

// parseDDL parses a migration statement, or says why a cluster variant
// cannot be derived from it.
func parseDDL(stmt string) (ddl, error) {
	code := strings.TrimSpace(stripComments(stmt))
	d := ddl{text: stmt}
	if m := alterPrefix.FindStringSubmatch(code); m != nil {
		d.kind, d.table, d.rest = ddlAlter, m[1], m[2]
		if shardDirective.MatchString(stmt) {
			return ddl{}, fmt.Errorf("ALTER TABLE %s: a cluster directive belongs to CREATE TABLE", d.table)
		}
		return d, nil
	}
	m := createPrefix.FindStringSubmatchIndex(code)
	if m == nil {
		if createAny.MatchString(code) {
			return ddl{}, fmt.Errorf("CREATE TABLE without IF NOT EXISTS: every migration statement must be idempotent")
		}
		return ddl{}, fmt.Errorf("%q: a migration may only CREATE TABLE IF NOT EXISTS or ALTER TABLE ... ADD|DROP|MODIFY COLUMN, the statements a cluster's can be derived from", firstLine(code))
	}
	d.kind, d.table = ddlCreate, code[m[2]:m[3]]
	open := m[1] - 1
	end, ok := closingParen(code, open)
	if !ok {
		return ddl{}, fmt.Errorf("CREATE TABLE %s: unbalanced parentheses", d.table)
	}
	d.columns, d.engine = code[open:end+1], strings.TrimSpace(code[end+1:])
	if !engineClause.MatchString(d.engine) {
		return ddl{}, fmt.Errorf("CREATE TABLE %s: want ENGINE = ... after the columns", d.table)
	}
	dirs := shardDirective.FindAllStringSubmatch(stmt, -1)
	if len(dirs) != 1 {
		return ddl{}, fmt.Errorf("CREATE TABLE %s: want one comment `-- cluster: shard by <column>` saying how the table is sharded on a cluster, found %d", d.table, len(dirs))
	}
	by := shardByClause.FindStringSubmatch(dirs[0][1])
	if by == nil {
		return ddl{}, fmt.Errorf("CREATE TABLE %s: cluster directive %q, want `shard by <column>`", d.table, dirs[0][1])
	}
	d.shardBy = by[1]
	if typ := columnType(d.columns, d.shardBy); typ != "String" {
		return ddl{}, fmt.Errorf("CREATE TABLE %s: shard key %s must be a String column of the table (found %q)", d.table, d.shardBy, typ)
	}
	return d, nil
}

// columnType returns the declared type of column name in a column list,
// "" when it has none.
func columnType(columns, name string) string {
	inner := strings.TrimSuffix(strings.TrimPrefix(columns, "("), ")")
	for _, decl := range splitTopLevel(inner) {
		if m := columnDecl.FindStringSubmatch(strings.TrimSpace(decl)); m != nil && m[1] == name {
			return strings.TrimSpace(m[2])
		}
	}
	return ""
}

// single returns the statement for a single server: the one written.
func (d ddl) single() []string { return []string{d.text} }

// onShard returns the statements a shard's server runs: the table (or its
// change) in the local database, then the Distributed table over it.
func (d ddl) onShard(db, local, cluster string) []string {
	return []string{d.local(local), d.distributed(db, local, cluster)}
}

// onQueryNode returns the statements of a server that holds no shard but
// takes the store's queries: the Distributed table only.
func (d ddl) onQueryNode(db, local, cluster string) []string {
	return []string{d.distributed(db, local, cluster)}
}

func (d ddl) local(local string) string {
	if d.kind == ddlAlter {
		return "ALTER TABLE " + local + "." + d.table + " " + d.rest
	}
	return "CREATE TABLE IF NOT EXISTS " + local + "." + d.table + " " + d.columns + " " + d.engine
}

func (d ddl) distributed(db, local, cluster string) string {
	if d.kind == ddlAlter {
		return "ALTER TABLE " + db + "." + d.table + " " + d.rest
	}
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s %s ENGINE = Distributed('%s', '%s', '%s', sipHash64(%s))",
		db, d.table, d.columns, cluster, local, d.table, d.shardBy)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}
