package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// Store is what the API needs of a ledger store: datasets.Store.
// A store that also has Ping(ctx) error is pinged by /readyz and by the
// spool's replay; one without is taken as reachable once open.
type Store = datasets.Store

// Pinger is the optional reachability check of a store.
type Pinger interface {
	Ping(ctx context.Context) error
}

// storeHandle opens the store on demand and reopens it after it failed,
// so that the server starts, answers and spools while the store is away.
type storeHandle struct {
	open func(ctx context.Context) (Store, error)
	log  *slog.Logger

	mu      sync.Mutex
	st      Store
	lastTry time.Time
	lastErr error
}

// reopenEvery bounds how often an unreachable store is dialled.
const reopenEvery = time.Second

// get returns the open store, opening it if needed.
func (h *storeHandle) get(ctx context.Context) (Store, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.st != nil {
		return h.st, nil
	}
	if time.Since(h.lastTry) < reopenEvery && h.lastErr != nil {
		return nil, h.lastErr
	}
	h.lastTry = time.Now()
	st, err := h.open(ctx)
	if err != nil {
		h.lastErr = fmt.Errorf("%w: store unreachable: %v", ErrUnavailable, err)
		return nil, h.lastErr
	}
	h.st, h.lastErr = st, nil
	h.log.Info("store open")
	return st, nil
}

// ping checks that the store answers.
func (h *storeHandle) ping(ctx context.Context) error {
	st, err := h.get(ctx)
	if err != nil {
		return err
	}
	if p, ok := st.(Pinger); ok {
		if err := p.Ping(ctx); err != nil {
			return fmt.Errorf("%w: store unreachable: %v", ErrUnavailable, err)
		}
	}
	return nil
}

// broken drops st after a failure, so the next get dials again.
func (h *storeHandle) broken(st Store) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.st == st && st != nil {
		h.st = nil
		h.lastTry = time.Time{}
		st.Close()
	}
}

func (h *storeHandle) close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.st == nil {
		return nil
	}
	err := h.st.Close()
	h.st = nil
	return err
}

// sink writes acknowledged batches: to the store, or, when the store
// cannot take them, to the spool, which a background worker replays in
// order. While anything waits in the spool, new batches queue behind it,
// so a later write of an id always lands after an earlier one.
type sink struct {
	store   *storeHandle
	spool   *spool
	metrics *metrics
	log     *slog.Logger
	// acked is told of every batch written or spooled (the snapshot's
	// pending changes).
	acked func(*datasets.Ledger)
	// stored is told of every spool entry the store took.
	stored func(id string)

	// order makes "the spool is empty, write directly" and "append to the
	// spool" exclusive with the replay's removal of the last entry.
	order sync.Mutex
	wake  chan struct{}
}

// writeTimeout bounds one store write of a request before the batch goes
// to the spool instead.
const writeTimeout = 2 * time.Minute

// write stores b, or spools it when the store is unreachable; it returns
// the spool entry in that case. An error means b was not acknowledged.
func (k *sink) write(ctx context.Context, b *datasets.Ledger) (*spoolEntry, error) {
	return k.writeAck(ctx, b, k.acked)
}

// writeAck is write telling acked (nil: nobody) of the batch.
func (k *sink) writeAck(ctx context.Context, b *datasets.Ledger, acked func(*datasets.Ledger)) (*spoolEntry, error) {
	if acked == nil {
		acked = func(*datasets.Ledger) {}
	}
	if b.Len() == 0 {
		return nil, nil
	}
	k.order.Lock()
	queued := !k.spool.empty()
	if queued {
		defer k.order.Unlock()
		return k.toSpool(b, "earlier batches wait in the spool", acked)
	}
	k.order.Unlock()
	st, err := k.store.get(ctx)
	if err == nil {
		wctx, cancel := context.WithTimeout(ctx, writeTimeout)
		err = st.Put(wctx, b)
		cancel()
		if err == nil {
			acked(b)
			return nil, nil
		}
		if errors.Is(err, datasets.ErrInvalid) || errors.Is(err, datasets.ErrSchema) {
			return nil, fmt.Errorf("store refused the batch: %w", err)
		}
		if ctx.Err() != nil {
			// The client went away: nothing was acknowledged.
			return nil, ctx.Err()
		}
		k.store.broken(st)
	}
	k.order.Lock()
	defer k.order.Unlock()
	return k.toSpool(b, err.Error(), acked)
}

// toSpool appends b; the caller holds order.
func (k *sink) toSpool(b *datasets.Ledger, why string, acked func(*datasets.Ledger)) (*spoolEntry, error) {
	e, err := k.spool.append(b)
	if err != nil {
		return nil, fmt.Errorf("%w: the store cannot take the batch (%s) and the spool failed: %v", ErrUnavailable, why, err)
	}
	k.log.Warn("batch spooled", "spool_id", e.ID, "rows", e.Rows, "why", why)
	k.gauge()
	acked(b)
	select {
	case k.wake <- struct{}{}:
	default:
	}
	return &e, nil
}

func (k *sink) gauge() {
	n, rows := k.spool.depth()
	k.metrics.spoolDep.Set(float64(n))
	k.metrics.spoolRows.Set(float64(rows))
}

// replay writes the spooled batches to the store in order until the spool
// is empty or the store fails; it returns the number written.
func (k *sink) replay(ctx context.Context) (int, error) {
	n := 0
	for {
		e, ok := k.spool.head()
		if !ok {
			return n, nil
		}
		b, err := k.spool.read(e)
		if errors.Is(err, errSpoolCorrupt) {
			k.log.Error("damaged spool entry moved aside; its batch needs importing by hand", "spool_id", e.ID, "err", err)
			if qerr := k.spool.quarantine(e); qerr != nil {
				return n, qerr
			}
			k.gauge()
			continue
		}
		if err != nil {
			return n, err
		}
		st, err := k.store.get(ctx)
		if err != nil {
			return n, err
		}
		if err := st.Put(ctx, b); err != nil {
			if !errors.Is(err, datasets.ErrInvalid) && !errors.Is(err, datasets.ErrSchema) {
				k.store.broken(st)
			}
			return n, fmt.Errorf("replay %s: %w", e.ID, err)
		}
		// Removing under order: a writer that then finds the spool empty
		// writes after this batch is stored.
		k.order.Lock()
		err = k.spool.remove(e)
		k.order.Unlock()
		if err != nil {
			return n, err
		}
		n++
		if k.stored != nil {
			k.stored(e.ID)
		}
		k.metrics.replayed.Inc()
		k.gauge()
		k.log.Info("spooled batch stored", "spool_id", e.ID, "rows", e.Rows)
	}
}

// replayLoop replays whenever woken or every interval, until ctx ends.
func (k *sink) replayLoop(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-k.wake:
		case <-t.C:
		}
		if k.spool.empty() {
			continue
		}
		if _, err := k.replay(ctx); err != nil && ctx.Err() == nil {
			k.log.Debug("spool replay waits for the store", "err", err)
		}
	}
}
