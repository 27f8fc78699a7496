package synth

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/dsopilot/dsopilot/datasets"
)

// Batch is what the simulator produced for one customer: its records (only
// those dated within the period) and its ground truth.
type Batch struct {
	Index    int             // customer index, from 0; batches arrive in this order
	Ledger   datasets.Ledger // exactly one customer and its records, each kind in date order
	Truth    []InvoiceTruth  // one per invoice, in the order of Ledger.Invoices
	Customer CustomerTruth

	enc [numOutputs][]byte // CSV rows formatted by a worker for WriteDir
}

func (b *Batch) reset(idx int) {
	l := &b.Ledger
	*b = Batch{
		Index: idx,
		Ledger: datasets.Ledger{
			Customers: l.Customers[:0], Invoices: l.Invoices[:0], Payments: l.Payments[:0],
			CreditNotes: l.CreditNotes[:0], Disputes: l.Disputes[:0], Actions: l.Actions[:0],
			Promises: l.Promises[:0], CreditDecisions: l.CreditDecisions[:0],
		},
		Truth: b.Truth[:0],
		enc:   b.enc,
	}
}

// Sink receives the simulated ledger one customer at a time, in customer
// order, from one goroutine. The batch and its slices are reused once
// WriteBatch returns: copy what you keep.
type Sink interface {
	WriteBatch(ctx context.Context, b *Batch) error
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(ctx context.Context, b *Batch) error

// WriteBatch calls f.
func (f SinkFunc) WriteBatch(ctx context.Context, b *Batch) error { return f(ctx, b) }

// Generate simulates cfg and hands every customer's batch to sink.
func Generate(ctx context.Context, cfg Config, sink Sink) (Summary, error) {
	return generate(ctx, cfg, nil, sink)
}

// generate runs the simulation on cfg.Workers goroutines. prepare, when not
// nil, runs on the worker right after a customer is simulated (WriteDir
// formats CSV there, so formatting is parallel too); sink then receives the
// batches strictly in customer order.
func generate(ctx context.Context, cfg Config, prepare func(*Batch), sink Sink) (Summary, error) {
	per, err := cfg.period()
	if err != nil {
		return Summary{}, err
	}
	workers := cfg.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	sum := Summary{Customers: cfg.Customers, Months: cfg.Months, Seed: cfg.Seed,
		Start: per.start.String(), End: per.end.String()}
	first, err := invoiceNumbers(ctx, cfg.Seed, cfg.Customers, &per, workers)
	if err != nil {
		return sum, err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type job struct {
		idx int
		out chan *Batch
	}
	window := 16 * workers // batches in flight, bounding memory
	jobs := make(chan job, window)
	order := make(chan chan *Batch, window)
	pool := sync.Pool{New: func() any { return new(Batch) }}

	go func() { // feeder: hands out customers and records their order
		defer close(order)
		defer close(jobs)
		for i := range cfg.Customers {
			j := job{idx: i, out: make(chan *Batch, 1)}
			select {
			case order <- j.out:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				b := pool.Get().(*Batch)
				simulateCustomer(cfg.Seed, j.idx, first[j.idx], &per, b)
				if prepare != nil {
					prepare(b)
				}
				j.out <- b // buffered: never blocks
			}
		}()
	}
	err = emit(ctx, order, sink, &sum, &pool)
	cancel()
	wg.Wait()
	return sum, err
}

// emit passes batches to sink in customer order.
func emit(ctx context.Context, order <-chan chan *Batch, sink Sink, sum *Summary, pool *sync.Pool) error {
	for out := range order {
		var b *Batch
		select {
		case b = <-out:
		case <-ctx.Done():
			return fmt.Errorf("simulate ledger: %w", ctx.Err())
		}
		if err := sink.WriteBatch(ctx, b); err != nil {
			return err
		}
		sum.add(b)
		pool.Put(b)
	}
	// The feeder stops early only when cancelled.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("simulate ledger: %w", err)
	}
	return nil
}

// invoiceNumbers returns the global number of each customer's first invoice
// (from 1), so that workers can number invoices without waiting for each
// other. It replays only the profile streams, which hold the invoice counts.
func invoiceNumbers(ctx context.Context, seed uint64, customers int, per *period, workers int) ([]int, error) {
	counts := make([]int, customers)
	chunk := (customers + workers - 1) / workers
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*chunk, min(customers, (w+1)*chunk)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				if i%1024 == 0 && ctx.Err() != nil {
					errs[w] = fmt.Errorf("number invoices: %w", ctx.Err())
					return
				}
				_, months := newProfile(seed, i, per)
				for _, n := range months {
					counts[i] += n
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	next := 1
	for i, n := range counts {
		counts[i], next = next, next+n
	}
	return counts, nil
}
