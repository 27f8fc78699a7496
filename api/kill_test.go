package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/chstore"
)

// TestSpoolSurvivesClickHouseKilled streams ingest requests at a server
// on a ClickHouse of its own, kills the ClickHouse server (SIGKILL) in the
// middle of the stream and restarts it, and checks that every row
// acknowledged (200 or 202) is in the store exactly once.
func TestSpoolSurvivesClickHouseKilled(t *testing.T) {
	ch := startClickHouse(t)
	f := testFixture(t)
	ctx := context.Background()
	dsn := ch.dsn("dsopilot_kill")
	st, err := chstore.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, &datasets.Ledger{Customers: f.ledger.Customers}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	ts := newTestServer(t, func(c *Config) {
		c.OpenStore = func(ctx context.Context) (Store, error) {
			s, err := chstore.Open(ctx, dsn, nil)
			if err != nil {
				return nil, err
			}
			return chPing{s}, nil
		}
	})
	waitFor(t, "the first load", ts.srv.loaded.Load)
	cust := f.ledger.Customers
	const requests, perRequest = 40, 2000
	acked := map[string]bool{}
	var mu sync.Mutex
	statuses := map[int]int{}
	done := make(chan int, requests)
	// The stream runs on its own; the server is killed while requests are
	// in flight, then restarted while the stream goes on.
	go func() {
		defer close(done)
		for r := range requests {
			var b strings.Builder
			b.WriteString("customer_id,invoice_id,issue_date,due_date,amount\n")
			ids := make([]string, perRequest)
			for i := range perRequest {
				ids[i] = fmt.Sprintf("K-%03d-%04d", r, i)
				fmt.Fprintf(&b, "%s,%s,2024-03-01,2024-03-31,%d.%02d\n", cust[(r*perRequest+i)%len(cust)].ID, ids[i], 10+i, r)
			}
			w := ts.do(req{method: "POST", path: "/v1/ingest/invoices", role: "admin", body: b.String(), ctype: "text/csv",
				header: map[string]string{"Idempotency-Key": fmt.Sprintf("kill-%d", r)}})
			mu.Lock()
			statuses[w.Code]++
			if w.Code == http.StatusOK || w.Code == http.StatusAccepted {
				res := decode[IngestResult](t, w)
				if res.Loaded != perRequest {
					t.Errorf("request %d: %d of %d rows acknowledged", r, res.Loaded, perRequest)
				}
				for _, id := range ids {
					acked[id] = true
				}
			}
			mu.Unlock()
			done <- r
		}
	}()
	for r := range done {
		switch r {
		case 8:
			// Kill mid-request: the next request is being written.
			time.Sleep(30 * time.Millisecond)
			ch.kill()
		case 20:
			ch.restart()
		}
	}
	if statuses[http.StatusAccepted] == 0 || statuses[http.StatusOK] == 0 {
		t.Fatalf("statuses %v: want some stored and some spooled", statuses)
	}
	waitFor(t, "the spool to drain into the restarted server", func() bool { return ts.srv.sink.spool.empty() })
	// Count every acknowledged id in the store: FINAL collapses the
	// versions of an id, so a replayed batch that had half-landed before
	// the kill is still one row per id; without FINAL no id may be missing.
	st, err = chstore.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.Conn().Query(ctx, "SELECT invoice_id, count() FROM dsopilot_kill.invoices FINAL WHERE invoice_id LIKE 'K-%' GROUP BY invoice_id")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]uint64{}
	for rows.Next() {
		var id string
		var n uint64
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		got[id] = n
	}
	rows.Close()
	for id := range acked {
		if got[id] != 1 {
			t.Errorf("acknowledged invoice %s is in the store %d times", id, got[id])
		}
	}
	c, err := st.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("statuses %v; %d rows acknowledged, %d in the store; invoices counted %d", statuses, len(acked), len(got), c.Invoices)
	if len(acked) < requests*perRequest*3/4 {
		t.Fatalf("only %d rows acknowledged", len(acked))
	}
}

// chPing is chstore with the reachability check serve adds.
type chPing struct{ *chstore.Store }

func (p chPing) Ping(ctx context.Context) error { return p.Conn().Ping(ctx) }
