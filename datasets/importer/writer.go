package importer

import (
	"context"
	"sync"

	"github.com/dsopilot/dsopilot/datasets"
)

// writer stores batches on its own goroutine, so that parsing the next batch
// overlaps with the store writing the last one (the two cores both work).
type writer struct {
	ctx  context.Context
	st   Store
	jobs chan job
	wg   sync.WaitGroup // batches sent and not yet stored
	done chan struct{}

	mu  sync.Mutex
	err error
}

type job struct {
	batch *datasets.Ledger
	file  *FileSummary
	rows  int // rows of the file in batch, credited to file.Loaded once stored
}

func newWriter(ctx context.Context, st Store) *writer {
	w := &writer{ctx: ctx, st: st, jobs: make(chan job, 1), done: make(chan struct{})}
	go w.loop()
	return w
}

func (w *writer) loop() {
	defer close(w.done)
	for j := range w.jobs {
		// After a failure the remaining batches are drained unstored, so
		// that no sender blocks; they are not counted as loaded.
		if w.failed() == nil {
			if err := w.st.Put(w.ctx, j.batch); err != nil {
				w.mu.Lock()
				w.err = err
				w.mu.Unlock()
			} else {
				j.file.Loaded += j.rows
			}
		}
		w.wg.Done()
	}
}

func (w *writer) send(b *datasets.Ledger, file *FileSummary, rows int) {
	w.wg.Add(1)
	w.jobs <- job{batch: b, file: file, rows: rows}
}

// flush waits until every batch sent so far is stored.
func (w *writer) flush() error {
	w.wg.Wait()
	return w.failed()
}

func (w *writer) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// close stores what is pending and stops the goroutine.
func (w *writer) close() error {
	close(w.jobs)
	<-w.done
	return w.failed()
}
