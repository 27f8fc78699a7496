package chstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"
)

// On a cluster a row lives on the shard of its customer. When a later
// export gives an id another customer (an invoice moved to another account),
// its new version goes to the new customer's shard, and the old version
// would stay on the old shard: FINAL, which works per shard, would then
// show both. So Put, on a cluster, first asks every shard which ids of the
// batch that go elsewhere it holds (moves), writes the batch, and then
// deletes those stale copies (deleteMoved): an id is on one shard again.
// Within a batch, an earlier row of an id that a later one replaces is not
// written at all (latest).

// deleteChunk bounds the ids of one ALTER ... DELETE, whose IN list is part
// of the query text the server parses.
const deleteChunk = 5000

// mutationPoll is how often deleteMoved asks whether a deletion is done.
const mutationPoll = 50 * time.Millisecond

// latest reports, for each row, whether it is the last row of its id in
// the batch: the one the versions make win.
func (t *table[T]) latest(rows []T) []bool {
	last := make(map[string]int32, len(rows))
	for i := range rows {
		last[t.schema.ID(&rows[i])] = int32(i)
	}
	out := make([]bool, len(rows))
	for _, i := range last {
		out[i] = true
	}
	return out
}

// moves returns, by index of the shard holding them, the ids that the batch
// sends to another shard but that shard already holds: rows whose customer
// changed since they were stored. It asks the shards at once, and put asks
// while it writes: the ids it looks for on a shard are never the ones the
// batch writes there. A shard whose table is empty (a first import) is
// not asked.
func (t *table[T]) moves(ctx context.Context, s *Store, rows []T, dests []destination) (map[int][]string, error) {
	if t.schema.IDIndex() == t.schema.CustomerIndex() {
		return nil, nil // the id is the shard key: it cannot move
	}
	found := make([][]string, len(s.shards))
	errs := make([]error, len(s.shards))
	var wg sync.WaitGroup
	for k, sh := range s.shards {
		wg.Go(func() { found[k], errs[k] = t.movedFrom(ctx, s, sh, rows, dests) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := map[int][]string{}
	for k, ids := range found {
		if len(ids) > 0 {
			out[k] = ids
		}
	}
	return out, nil
}

// movedFrom returns the ids that shard sh holds and the batch sends to
// other shards.
func (t *table[T]) movedFrom(ctx context.Context, s *Store, sh shard, rows []T, dests []destination) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	var held uint64
	if err := sh.conn.QueryRow(ctx, fmt.Sprintf("SELECT count() FROM %s.%s", s.cfg.LocalDatabase(), t.name)).Scan(&held); err != nil {
		return nil, s.unreachable(sh.node, fmt.Errorf("look for moved %s on %s: %w", t.name, sh.name, err))
	}
	var batchIDs []string
	for _, d := range dests {
		if d.node != sh.node {
			for _, i := range d.idx {
				batchIDs = append(batchIDs, t.schema.ID(&rows[i]))
			}
		}
	}
	if held == 0 || len(batchIDs) == 0 {
		return nil, nil
	}
	ids, err := ext.NewTable("batch_ids", ext.Column("id", "String"))
	if err == nil {
		_, err = ids.Block().Columns[0].Append(batchIDs)
	}
	if err != nil {
		return nil, fmt.Errorf("moved %s: %w", t.name, err)
	}
	id := t.cols[0].name
	q := fmt.Sprintf("SELECT DISTINCT %s FROM %s.%s WHERE %s IN (SELECT id FROM batch_ids)", id, s.cfg.LocalDatabase(), t.name, id)
	out, err := t.queryIDs(clickhouse.Context(ctx, clickhouse.WithExternalTable(ids)), sh.node, q)
	if err != nil {
		return nil, s.unreachable(sh.node, fmt.Errorf("look for moved %s on %s: %w", t.name, sh.name, err))
	}
	return out, nil
}

func (t *table[T]) queryIDs(ctx context.Context, n *node, q string) ([]string, error) {
	rows, err := n.conn.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// deleteMoved deletes the stale copies moves found, once the batch holding
// their new versions is written, and waits until the shards have applied
// the deletions. A failure leaves both copies, which the next Put of the
// same rows finds and deletes again.
func (t *table[T]) deleteMoved(ctx context.Context, s *Store, moved map[int][]string) error {
	for k, ids := range moved {
		sh := s.shards[k]
		for start := 0; start < len(ids); start += deleteChunk {
			chunk := ids[start:min(start+deleteChunk, len(ids))]
			quoted := make([]string, len(chunk))
			for i, id := range chunk {
				quoted[i] = quoteString(id)
			}
			q := fmt.Sprintf("ALTER TABLE %s.%s DELETE WHERE %s IN (%s)", s.cfg.LocalDatabase(), t.name, t.cols[0].name, strings.Join(quoted, ", "))
			if err := sh.conn.Exec(ctx, q); err != nil {
				return s.unreachable(sh.node, fmt.Errorf("delete %d moved %s from %s: %w", len(chunk), t.name, sh.name, err))
			}
		}
		if err := t.awaitMutations(ctx, s, sh); err != nil {
			return err
		}
		s.log.Info("clickhouse rows moved to another shard with their customer", "table", t.name, "from", sh.name, "rows", len(ids))
	}
	return nil
}

// awaitMutations waits until sh has applied every mutation of the table:
// 18.16 runs ALTER ... DELETE in the background.
func (t *table[T]) awaitMutations(ctx context.Context, s *Store, sh shard) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	for {
		var pending uint64
		q := "SELECT count() FROM system.mutations WHERE database = ? AND table = ? AND is_done = 0"
		if err := sh.conn.QueryRow(ctx, q, s.cfg.LocalDatabase(), t.name).Scan(&pending); err != nil {
			return s.unreachable(sh.node, fmt.Errorf("wait for the deletion of moved %s on %s: %w", t.name, sh.name, err))
		}
		if pending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("moved %s: %s did not finish deleting their old copies within %s: %w", t.name, sh.name, s.cfg.Timeout, ctx.Err())
		case <-time.After(mutationPoll):
		}
	}
}

// quoteString quotes s as a ClickHouse string literal.
func quoteString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
