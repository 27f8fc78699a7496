package chstore

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// DefaultPort is ClickHouse's native-protocol port, used when a DSN has none.
const DefaultPort = "9000"

// DefaultTimeout bounds every round trip to the server (a read, an INSERT
// chunk) unless the DSN's timeout parameter says otherwise.
const DefaultTimeout = 30 * time.Second

// DefaultQueryTimeout bounds each read of a query's answer when the DSN
// sets no timeout: an aggregation over a large ledger sends nothing while
// ClickHouse (18.16 at least) merges its groups, so the 30 s that suit a
// round trip would fail a KPI or feature query over tens of millions of
// rows. A server that freezes mid-query is then noticed only after it.
const DefaultQueryTimeout = 10 * time.Minute

// Config is a parsed ClickHouse DSN.
type Config struct {
	Addr     string // host:port of the native protocol
	Database string // database holding the ledger tables
	Username string
	Password string
	// Timeout bounds each round trip: the server must answer a read, and
	// take an INSERT chunk, within it.
	Timeout time.Duration
	// QueryTimeout bounds each read of a query's answer; 0 means Timeout.
	// ParseDSN sets DefaultQueryTimeout when the DSN gives neither timeout
	// nor query_timeout.
	QueryTimeout time.Duration
	// Cluster names a cluster of the server's remote_servers: the ledger is
	// then sharded over its shards (see the package documentation). Empty
	// for a single server.
	Cluster string
}

// ParseDSN parses clickhouse://[user[:password]@]host[:port][/database]
// [?username=...&password=...&timeout=30s&query_timeout=10m&cluster=NAME]. The port
// defaults to 9000, the database to "default", the user to "default", the
// timeout to DefaultTimeout and the query timeout to the timeout when one is
// given, else to DefaultQueryTimeout. The user may be given in the userinfo or as query
// parameters, not both; any other parameter is rejected so that a misspelt
// one is not silently ignored.
func ParseDSN(dsn string) (Config, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return Config{}, fmt.Errorf("parse clickhouse dsn: %w", err)
	}
	if u.Scheme != "clickhouse" {
		return Config{}, fmt.Errorf("clickhouse dsn: scheme %q, want clickhouse://host:port/database", u.Scheme)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return Config{}, fmt.Errorf("clickhouse dsn: no host, want clickhouse://host:port/database")
	}
	port := u.Port()
	if port == "" {
		port = DefaultPort
	}
	cfg := Config{Addr: net.JoinHostPort(u.Hostname(), port), Username: "default", Timeout: DefaultTimeout}
	if cfg.Database, err = dsnDatabase(u.Path); err != nil {
		return Config{}, err
	}
	if err := dsnCredentials(u, &cfg); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func dsnDatabase(path string) (string, error) {
	db := strings.TrimPrefix(path, "/")
	if db == "" {
		return "default", nil
	}
	if !isIdentifier(db) {
		return "", fmt.Errorf("clickhouse dsn: database %q: want letters, digits and underscores", db)
	}
	return db, nil
}

func dsnCredentials(u *url.URL, cfg *Config) error {
	q := u.Query()
	for k := range q {
		if k != "username" && k != "password" && k != "timeout" && k != "query_timeout" && k != "cluster" {
			return fmt.Errorf("clickhouse dsn: unknown parameter %q (want username, password, timeout, cluster)", k)
		}
	}
	if q.Has("cluster") {
		cfg.Cluster = q.Get("cluster")
		if !isClusterName(cfg.Cluster) {
			return fmt.Errorf("clickhouse dsn: cluster %q: want the name of a cluster in the server's remote_servers (letters, digits, _ . -)", cfg.Cluster)
		}
	}
	if q.Has("timeout") {
		d, err := time.ParseDuration(q.Get("timeout"))
		if err != nil || d <= 0 {
			return fmt.Errorf("clickhouse dsn: timeout %q: want a duration such as 30s", q.Get("timeout"))
		}
		cfg.Timeout = d
	}
	switch {
	case q.Has("query_timeout"):
		d, err := time.ParseDuration(q.Get("query_timeout"))
		if err != nil || d <= 0 {
			return fmt.Errorf("clickhouse dsn: query_timeout %q: want a duration such as 10m", q.Get("query_timeout"))
		}
		cfg.QueryTimeout = d
	case !q.Has("timeout"):
		cfg.QueryTimeout = DefaultQueryTimeout
	}
	switch {
	case u.User != nil && (q.Has("username") || q.Has("password")):
		return fmt.Errorf("clickhouse dsn: credentials given both before @ and as parameters")
	case u.User != nil:
		cfg.Username = u.User.Username()
		cfg.Password, _ = u.User.Password()
	default:
		if q.Has("username") {
			cfg.Username = q.Get("username")
		}
		cfg.Password = q.Get("password")
	}
	if cfg.Username == "" {
		return fmt.Errorf("clickhouse dsn: empty username")
	}
	return nil
}

// String formats c as a DSN without the password, for logs and errors.
func (c Config) String() string {
	u := url.URL{Scheme: "clickhouse", User: url.User(c.Username), Host: c.Addr, Path: "/" + c.Database}
	if c.Cluster != "" {
		u.RawQuery = url.Values{"cluster": {c.Cluster}}.Encode()
	}
	return u.String()
}

// ReadTimeout is the deadline of each read of a query's answer.
func (c Config) ReadTimeout() time.Duration {
	if c.QueryTimeout > 0 {
		return c.QueryTimeout
	}
	return c.Timeout
}

// localSuffix ends the name of the database that holds a cluster's shard
// tables: <database>_local beside the Distributed tables' <database>.
const localSuffix = "_local"

// LocalDatabase is the database that holds the tables' rows on each
// server: the database itself on a single server, <database>_local on the
// shards of a cluster.
func (c Config) LocalDatabase() string {
	if c.Cluster == "" {
		return c.Database
	}
	return c.Database + localSuffix
}

// isClusterName reports whether s can name a cluster: remote_servers names
// are XML element names, and Migrate writes the name into the Distributed
// engine's arguments as a quoted string.
func isClusterName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '.' || c == '-' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}

// isIdentifier reports whether s is a name ClickHouse accepts unquoted. Only
// such database names are allowed because Migrate splices the name into
// CREATE DATABASE, which takes no bind parameters.
func isIdentifier(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}
