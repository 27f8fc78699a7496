package importer

import (
	"context"
	"errors"
	"sync"

	"github.com/dsopilot/dsopilot/datasets"
)

// writer stores batches on its own goroutine, so that parsing the next batch
// overlaps with the store writing the last one (the two cores both work).
// It credits each file with the rows the store acknowledged, in the file's
// own counter: the file's summary is only read once the writer has stopped.
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
	file  *fileRun
	count func(*datasets.Counts) *uint64 // the file's entity in a Counts
	rows  int                            // rows of the file in batch
	// dups of the rows replaced a record of an earlier row of the import
	// and add none: they are not counted as loaded.
	dups int
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
			err := w.st.Put(w.ctx, j.batch)
			var pe *datasets.PartialError
			switch {
			case err == nil:
				j.file.loaded.Add(int64(j.rows - j.dups))
			case errors.As(err, &pe):
				// Which records were stored is not known: counted low.
				j.file.loaded.Add(int64(max(0, int(*j.count(&pe.Stored))-j.dups)))
			}
			if err != nil {
				w.mu.Lock()
				w.err = err
				w.mu.Unlock()
			}
		}
		w.wg.Done()
	}
}

func (w *writer) send(b *datasets.Ledger, file *fileRun, rows, dups int) {
	w.wg.Add(1)
	w.jobs <- job{batch: b, file: file, rows: rows, dups: dups, count: file.count}
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
