package chstore

import (
	"errors"
	"time"
)

var (
	// ErrCluster means the DSN's cluster cannot hold the ledger: the server
	// does not know it, or it is laid out in a way dsopilot does not
	// support (replicas).
	ErrCluster = errors.New("clickhouse cluster")
	// ErrShardDown means a shard of the cluster did not answer; the error
	// names it. Nothing was read from a cluster with a shard down, and
	// what an import wrote before it is counted (datasets.PartialError)
	// and can be written again.
	ErrShardDown = errors.New("clickhouse shard down")
	// ErrBadPart means LoadPart was asked for a part that is not one of
	// its 0..n-1.
	ErrBadPart = errors.New("no such part of the ledger")
)

// pingTimeout bounds the pings that find out which shard is down after a
// query failed.
const pingTimeout = 5 * time.Second
