package chstore

import "github.com/ClickHouse/clickhouse-go/v2/lib/driver"

// Conn returns the store's ClickHouse connection, for code that queries the
// ledger tables directly (the SQL feature engine). The Store keeps owning
// it: callers must not close it.
func (s *Store) Conn() driver.Conn { return s.conn }

// Database returns the name of the database that holds the ledger tables.
func (s *Store) Database() string { return s.cfg.Database }
