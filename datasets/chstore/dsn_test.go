package chstore

import (
	"strings"
	"testing"
	"time"
)

func TestParseDSN(t *testing.T) {
	tests := []struct {
		dsn     string
		want    Config
		wantErr string
	}{
		{dsn: "clickhouse://127.0.0.1:9000/ledger",
			want: Config{Timeout: DefaultTimeout, QueryTimeout: DefaultQueryTimeout, Addr: "127.0.0.1:9000", Database: "ledger", Username: "default"}},
		{dsn: "clickhouse://db.example.com/ledger",
			want: Config{Timeout: DefaultTimeout, QueryTimeout: DefaultQueryTimeout, Addr: "db.example.com:9000", Database: "ledger", Username: "default"}},
		{dsn: "clickhouse://127.0.0.1:9000",
			want: Config{Timeout: DefaultTimeout, QueryTimeout: DefaultQueryTimeout, Addr: "127.0.0.1:9000", Database: "default", Username: "default"}},
		{dsn: "clickhouse://127.0.0.1:9000/",
			want: Config{Timeout: DefaultTimeout, QueryTimeout: DefaultQueryTimeout, Addr: "127.0.0.1:9000", Database: "default", Username: "default"}},
		{dsn: "clickhouse://[::1]:9440/ledger_2",
			want: Config{Timeout: DefaultTimeout, QueryTimeout: DefaultQueryTimeout, Addr: "[::1]:9440", Database: "ledger_2", Username: "default"}},
		{dsn: "clickhouse://[::1]/x",
			want: Config{Timeout: DefaultTimeout, QueryTimeout: DefaultQueryTimeout, Addr: "[::1]:9000", Database: "x", Username: "default"}},
		{dsn: "clickhouse://ann:s%3Acr%40t@h:9000/d",
			want: Config{Timeout: DefaultTimeout, QueryTimeout: DefaultQueryTimeout, Addr: "h:9000", Database: "d", Username: "ann", Password: "s:cr@t"}},
		{dsn: "clickhouse://ann@h/d",
			want: Config{Timeout: DefaultTimeout, QueryTimeout: DefaultQueryTimeout, Addr: "h:9000", Database: "d", Username: "ann"}},
		{dsn: "clickhouse://h/d?username=bob&password=p%26w",
			want: Config{Timeout: DefaultTimeout, QueryTimeout: DefaultQueryTimeout, Addr: "h:9000", Database: "d", Username: "bob", Password: "p&w"}},
		{dsn: "clickhouse://h/d?password=pw",
			want: Config{Timeout: DefaultTimeout, QueryTimeout: DefaultQueryTimeout, Addr: "h:9000", Database: "d", Username: "default", Password: "pw"}},

		{dsn: "clickhouse://h/d?timeout=1m30s",
			want: Config{Addr: "h:9000", Database: "d", Username: "default", Timeout: 90 * time.Second}},
		{dsn: "clickhouse://h/d?query_timeout=1h",
			want: Config{Addr: "h:9000", Database: "d", Username: "default", Timeout: DefaultTimeout, QueryTimeout: time.Hour}},
		{dsn: "clickhouse://h/d?timeout=5s&query_timeout=20m",
			want: Config{Addr: "h:9000", Database: "d", Username: "default", Timeout: 5 * time.Second, QueryTimeout: 20 * time.Minute}},
		{dsn: "clickhouse://h/d?query_timeout=0s", wantErr: "query_timeout"},
		{dsn: "clickhouse://h/d?timeout=soon", wantErr: "timeout"},
		{dsn: "clickhouse://h/d?timeout=-1s", wantErr: "timeout"},
		{dsn: "clickhouse://h/ledger?cluster=two_shards",
			want: Config{Timeout: DefaultTimeout, QueryTimeout: DefaultQueryTimeout, Addr: "h:9000", Database: "ledger", Username: "default", Cluster: "two_shards"}},
		{dsn: "clickhouse://h/ledger?cluster=eu-west.1&timeout=5s",
			want: Config{Timeout: 5 * time.Second, Addr: "h:9000", Database: "ledger", Username: "default", Cluster: "eu-west.1"}},
		{dsn: "clickhouse://h/d?cluster=", wantErr: "cluster"},
		{dsn: "clickhouse://h/d?cluster=a'b", wantErr: "cluster"},
		{dsn: "", wantErr: "scheme"},
		{dsn: "http://h:8123/d", wantErr: "scheme"},
		{dsn: "tcp://h:9000/d", wantErr: "scheme"},
		{dsn: "clickhouse:///d", wantErr: "no host"},
		{dsn: "clickhouse:h", wantErr: "no host"},
		{dsn: "clickhouse://h:nine/d", wantErr: "invalid port"},
		{dsn: "clickhouse://h/a/b", wantErr: "database"},
		{dsn: "clickhouse://h/my-db", wantErr: "database"},
		{dsn: "clickhouse://h/1db", wantErr: "database"},
		{dsn: "clickhouse://h/d;DROP", wantErr: "database"},
		{dsn: "clickhouse://h/d?user=bob", wantErr: `unknown parameter "user"`},
		{dsn: "clickhouse://ann@h/d?username=bob", wantErr: "both"},
		{dsn: "clickhouse://h/d?username=", wantErr: "empty username"},
	}
	for _, tt := range tests {
		t.Run(tt.dsn, func(t *testing.T) {
			got, err := ParseDSN(tt.dsn)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseDSN(%q) = %+v, %v; want error containing %q", tt.dsn, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseDSN(%q) = %+v, %v; want %+v", tt.dsn, got, err, tt.want)
			}
		})
	}
}

func TestConfigStringHidesPassword(t *testing.T) {
	c := Config{Addr: "h:9000", Database: "d", Username: "ann", Password: "secret"}
	if got, want := c.String(), "clickhouse://ann@h:9000/d"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	c.Cluster = "two"
	if got, want := c.String(), "clickhouse://ann@h:9000/d?cluster=two"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
}

func TestLocalDatabase(t *testing.T) {
	if got := (Config{Database: "ledger"}).LocalDatabase(); got != "ledger" {
		t.Errorf("single server: %q, want ledger", got)
	}
	if got := (Config{Database: "ledger", Cluster: "c"}).LocalDatabase(); got != "ledger_local" {
		t.Errorf("cluster: %q, want ledger_local", got)
	}
}

// Reads wait DefaultQueryTimeout unless the DSN bounds them: a given
// timeout bounds reads too (a test's frozen server must fail fast), and
// query_timeout bounds them alone.
func TestReadTimeout(t *testing.T) {
	for dsn, want := range map[string]time.Duration{
		"clickhouse://h/d":                              DefaultQueryTimeout,
		"clickhouse://h/d?timeout=2s":                   2 * time.Second,
		"clickhouse://h/d?query_timeout=1h":             time.Hour,
		"clickhouse://h/d?timeout=2s&query_timeout=90s": 90 * time.Second,
	} {
		cfg, err := ParseDSN(dsn)
		if err != nil {
			t.Fatalf("%s: %v", dsn, err)
		}
		if got := cfg.ReadTimeout(); got != want {
			t.Errorf("%s: read timeout %s, want %s", dsn, got, want)
		}
	}
}

// An address on one of ClickHouse's HTTP ports gets a hint in the error of
// a server that does not answer the native handshake; others get none.
func TestHTTPPortHint(t *testing.T) {
	for _, c := range []struct {
		addr string
		hint bool
	}{
		{"127.0.0.1:8123", true},
		{"ch.example.com:8443", true},
		{"127.0.0.1:9000", false},
		{"[::1]:9440", false},
		{"no-port", false},
	} {
		got := httpPortHint(c.addr)
		if c.hint != strings.Contains(got, "HTTP interface") || (c.hint && !strings.Contains(got, "port 9000")) {
			t.Errorf("httpPortHint(%q) = %q, want a hint: %v", c.addr, got, c.hint)
		}
	}
}
