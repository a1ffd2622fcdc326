//go:build duckdb_arrow

package flight

import (
	"context"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"

	"wardstat/warehouse"
)

// maxSharedBytes caps the batches a run keeps for the identical queries
// that joined it; a larger result is not shared (they run their own).
const maxSharedBytes = 64 << 20

// sharedRun is one run of a statement that identical statements arriving
// while it runs, on the same opening of the warehouse (so on the same
// data: a snapshot never changes, and the live warehouse cannot be
// written while it is open), read instead of running it again: twenty
// dashboards asking for the same form cost one form.
type sharedRun struct {
	done    chan struct{}
	waiters sync.WaitGroup

	// Set by the leader before done closes.
	schema *arrow.Schema
	recs   []arrow.RecordBatch
	bytes  int64
	tooBig bool
	ok     bool  // the whole result is in recs (and endErr)
	endErr error // the result's closing error (max_rows), explained
}

func shareKey(w *warehouse.Warehouse, query string, args []any) string {
	return fmt.Sprintf("%p\x00%s\x00%#v", w, query, args)
}

// join makes the caller the leader of key's run, or a follower of the
// one running.
func (s *server) join(key string) (f *sharedRun, leader bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.runs[key]; ok {
		f.waiters.Add(1)
		return f, false
	}
	f = &sharedRun{done: make(chan struct{})}
	s.runs[key] = f
	return f, true
}

// record keeps a batch the leader sent, for the followers.
func (f *sharedRun) record(rec arrow.RecordBatch) {
	if f == nil || f.tooBig {
		return
	}
	f.bytes += recordBytes(rec)
	if f.bytes > maxSharedBytes {
		f.tooBig = true
		for _, r := range f.recs {
			r.Release()
		}
		f.recs = nil
		return
	}
	rec.Retain()
	f.recs = append(f.recs, rec)
}

// land ends the leader's run: followers read it when it is whole (or
// ended by max_rows, which ends theirs alike), else run their own.
func (s *server) land(key string, f *sharedRun, said bool, err error, tooMany bool) {
	s.mu.Lock()
	delete(s.runs, key)
	s.mu.Unlock()
	f.ok = said && !f.tooBig && (err == nil || tooMany)
	if tooMany {
		f.endErr = err
	}
	close(f.done)
	go func() {
		f.waiters.Wait()
		for _, r := range f.recs {
			r.Release()
		}
	}()
}

// follow waits for the leader's run and streams its batches; ok false
// when the caller must run the statement itself.
func (s *server) follow(ctx, qctx context.Context, f *sharedRun, finish func(int64, error) error) (*arrow.Schema, <-chan flight.StreamChunk, error, bool) {
	select {
	case <-f.done:
	case <-qctx.Done():
		f.waiters.Done()
		return nil, nil, finish(0, qctx.Err()), true
	}
	if !f.ok {
		f.waiters.Done()
		return nil, nil, nil, false
	}
	recs := make([]arrow.RecordBatch, len(f.recs))
	for i, r := range f.recs {
		r.Retain()
		recs[i] = r
	}
	f.waiters.Done()
	ch := make(chan flight.StreamChunk, 2)
	go func() {
		defer close(ch)
		var rows int64
		for i, r := range recs {
			select {
			case ch <- flight.StreamChunk{Data: r}:
				rows += r.NumRows()
			case <-ctx.Done():
				for _, rest := range recs[i:] {
					rest.Release()
				}
				finish(rows, ctx.Err())
				return
			}
		}
		finish(rows, nil)
		if f.endErr != nil {
			select {
			case ch <- flight.StreamChunk{Err: f.endErr}:
			case <-ctx.Done():
			}
		}
	}()
	return f.schema, ch, nil, true
}
