//go:build duckdb_arrow

package flight

import (
	"context"
	"fmt"
	"sync"
	"time"

	"wardstat/warehouse"
)

// maxSharedBytes caps the Flight data a run keeps for the identical queries
// that joined it; a larger result is not shared (they run their own).
const maxSharedBytes = 64 << 20

// sharedRun is one run of a statement that identical statements arriving
// while it runs, on the same opening of the warehouse (so on the same
// data: a snapshot never changes, and the live warehouse cannot be
// written while it is open), read instead of running it again: twenty
// dashboards asking for the same form cost one form.
type sharedRun struct {
	done chan struct{}

	// The leader's progress: blocked while a batch waits for its client
	// to take it; changed closes at each change.
	mu      sync.Mutex
	blocked bool
	changed chan struct{}

	// Set by the leader before done closes.
	pieces []piece // the schema first
	bytes  int64
	tooBig bool
	ok     bool  // the whole result is in pieces (and endErr)
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
		return f, false
	}
	f = &sharedRun{done: make(chan struct{}), changed: make(chan struct{})}
	s.runs[key] = f
	return f, true
}

// followStall is how long a follower waits for the leader's client to
// take a batch: a client that stalls holds back only its own query.
var followStall = time.Second

// progress says whether the leader is blocked on its client.
func (f *sharedRun) progress(blocked bool) {
	f.mu.Lock()
	f.blocked = blocked
	close(f.changed)
	f.changed = make(chan struct{})
	f.mu.Unlock()
}

// sent: the leader's client took the batch last recorded.
func (f *sharedRun) sent() {
	if f != nil {
		f.progress(false)
	}
}

// record keeps a piece the leader is sending, for the followers; true
// when it keeps it.
func (f *sharedRun) record(p piece) bool {
	if f == nil {
		return false
	}
	f.progress(true)
	if f.tooBig {
		return false
	}
	f.bytes += p.size()
	if f.bytes > maxSharedBytes {
		f.tooBig = true
		f.pieces = nil
		return false
	}
	p.body = nil
	f.pieces = append(f.pieces, p)
	return true
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
}

// follow waits for the leader's run and streams its pieces; ok false
// when the caller must run the statement itself.
func (s *server) follow(ctx, qctx context.Context, f *sharedRun, finish func(int64, error) error) (<-chan piece, error, bool) {
	if !f.await(qctx) {
		if qctx.Err() != nil {
			return nil, finish(0, qctx.Err()), true
		}
		return nil, nil, false
	}
	if !f.ok {
		return nil, nil, false
	}
	ch := make(chan piece, 2)
	go func() {
		defer close(ch)
		var rows int64
		for _, p := range f.pieces {
			select {
			case ch <- p:
				rows += p.rows
			case <-ctx.Done():
				finish(rows, ctx.Err())
				return
			}
		}
		finish(rows, nil)
		if f.endErr != nil {
			select {
			case ch <- piece{err: f.endErr}:
			case <-ctx.Done():
			}
		}
	}()
	return ch, nil, true
}

// await waits for the leader's run to end: false when qctx ends first, or
// the leader's client has not taken a batch for followStall.
func (f *sharedRun) await(qctx context.Context) bool {
	for {
		f.mu.Lock()
		changed, blocked := f.changed, f.blocked
		f.mu.Unlock()
		var stalled <-chan time.Time
		t := time.NewTimer(followStall)
		if blocked {
			stalled = t.C
		}
		select {
		case <-f.done:
			t.Stop()
			return true
		case <-changed:
			t.Stop()
		case <-stalled:
			return false
		case <-qctx.Done():
			t.Stop()
			return false
		}
	}
}
