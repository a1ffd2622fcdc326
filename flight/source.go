package flight

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"wardstat/internal/msg"
	"wardstat/warehouse"
)

// Shared is a Source that opens the warehouse once for all the queries
// running together. Each Acquire asks identity which file is current
// (the snapshot's size and time): when it changed, the next
// queries get a new opening, and the old one is closed once the last
// query that began on it ends. With KeepIdle false the opening is also
// closed whenever no query runs, so that nothing holds the file between
// queries (the live warehouse: a load may start).
type Shared struct {
	// Open opens the warehouse read-only in the sandbox, and gives what
	// closes it.
	Open func(ctx context.Context) (w *warehouse.Warehouse, close func(), err error)
	// Identity names the file Open would open now ("" for always the same).
	Identity func() (string, error)
	// KeepIdle keeps the opening while no query runs.
	KeepIdle bool
	// Direct opens the file at its own path, when Open says errNoLink.
	Direct func(ctx context.Context) (*warehouse.Warehouse, func(), error)

	mu      sync.Mutex
	cur     *opening
	cleanup func()
}

type opening struct {
	w     *warehouse.Warehouse
	close func()
	id    string
	refs  int
	stale bool
}

// Acquire gives the current opening, opening it when needed.
func (s *Shared) Acquire(ctx context.Context) (*warehouse.Warehouse, func(), error) {
	id := ""
	if s.Identity != nil {
		var err error
		if id, err = s.Identity(); err != nil {
			return nil, nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil || s.cur.id != id {
		w, closeFn, err := s.Open(ctx)
		if errors.Is(err, errNoLink) {
			// The new file can only be opened at the old one's path, which
			// gives the old instance while it lives: wait until no query
			// reads it.
			if s.cur != nil && s.cur.refs > 0 {
				goto current
			}
			if s.cur != nil {
				s.cur.close()
				s.cur = nil
			}
			w, closeFn, err = s.Direct(ctx)
		}
		if err != nil {
			return nil, nil, err
		}
		if old := s.cur; old != nil {
			old.stale = true
			if old.refs == 0 {
				old.close()
			}
		}
		s.cur = &opening{w: w, close: closeFn, id: id}
	}
current:
	o := s.cur
	o.refs++
	var once sync.Once
	return o.w, func() { once.Do(func() { s.release(o) }) }, nil
}

func (s *Shared) release(o *opening) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o.refs--
	if o.refs > 0 {
		return
	}
	if o.stale || !s.KeepIdle {
		o.close()
		if s.cur == o {
			s.cur = nil
		}
	}
}

// Close closes the opening kept while idle.
func (s *Shared) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != nil {
		s.cur.stale = true
		if s.cur.refs == 0 {
			s.cur.close()
		}
		s.cur = nil
	}
	if s.cleanup != nil {
		s.cleanup()
	}
}

// Snapshot is the Source of the snapshot the daemon publishes at path
// (replaced by a rename after each build): each query reads the latest
// one published when it began.
//
// Each snapshot is opened through a hard link of its own in a private
// folder (beside the snapshot, else in the temporary folder): DuckDB
// keeps one instance per file in a process (it resolves symbolic links),
// so opening the new snapshot at the same path while a query still reads
// the old one would give the old instance back. The folder also holds
// that opening's temporary files (the sandbox's spill, capped by
// MaxTempSize). Where no link can be made (another user's snapshot with
// protected hard links, another file system), the new snapshot is opened
// at its path once no query reads the old one.
func Snapshot(path string, opt warehouse.Options) *Shared {
	opt.ReadOnly = true
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	var mu sync.Mutex
	var dirs []string
	n := 0
	link := func() (string, func(), error) {
		mu.Lock()
		defer mu.Unlock()
		n++
		for _, parent := range []string{filepath.Dir(abs), os.TempDir()} {
			d, err := os.MkdirTemp(parent, ".wardstat-flight-")
			if err != nil {
				continue
			}
			l := filepath.Join(d, filepath.Base(abs))
			if err := linkFile(abs, l); err != nil {
				os.RemoveAll(d)
				continue
			}
			dirs = append(dirs, d)
			return l, func() { os.RemoveAll(d) }, nil
		}
		return "", nil, errNoLink
	}
	return &Shared{
		KeepIdle: true,
		Identity: func() (string, error) { return FileIdentity(abs) },
		Open: func(ctx context.Context) (*warehouse.Warehouse, func(), error) {
			l, remove, err := link()
			if err != nil {
				return nil, nil, err
			}
			w, err := warehouse.Open(ctx, l, opt)
			if err != nil {
				remove()
				return nil, nil, err
			}
			return w, func() { w.Close(); remove() }, nil
		},
		Direct: func(ctx context.Context) (*warehouse.Warehouse, func(), error) {
			w, err := warehouse.Open(ctx, abs, opt)
			if err != nil {
				return nil, nil, err
			}
			return w, func() { w.Close() }, nil
		},
		cleanup: func() {
			mu.Lock()
			defer mu.Unlock()
			for _, d := range dirs {
				os.RemoveAll(d)
			}
		},
	}
}

// linkFile makes a hard link (a variable for the test of the fallback).
var linkFile = os.Link

// errNoLink: no hard link to the snapshot could be made.
var errNoLink = errors.New("no link to the snapshot")

// FileIdentity is path's size and modification time (in nanoseconds): a
// snapshot renamed over path changes it.
func FileIdentity(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		if os.IsNotExist(err) {
			return "", noSnapshotError{msg.Errorf("chưa có bản công bố ở %s: tiến trình nền công bố một bản khi khởi động và sau mỗi lần build (jobs.build); hãy khởi động lại wardstat serve hoặc chạy wardstat run --job build khi nó không chạy",
				"no snapshot is published at %s yet: the daemon publishes one at start and after each build (jobs.build); restart wardstat serve, or run wardstat run --job build while it is not running", path).(msg.Localised)}
		}
		return "", err
	}
	return fmt.Sprintf("%d.%d", st.Size(), st.ModTime().UnixNano()), nil
}

// noSnapshotError is the missing snapshot's message, in the reader's
// language with nothing after it, and errors.Is(err, errNoSnapshot).
type noSnapshotError struct{ msg.Localised }

func (e noSnapshotError) Is(target error) bool { return target == errNoSnapshot }

// sinceMS is a duration in milliseconds, for logs.
func sinceMS(t time.Time) int64 { return time.Since(t).Milliseconds() }
