//go:build duckdb_arrow

package flight

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	bindings "github.com/duckdb/duckdb-go-bindings"
	"github.com/duckdb/duckdb-go/v2"
	"github.com/duckdb/duckdb-go/v2/arrowmapping"
	"github.com/duckdb/duckdb-go/v2/mapping"
)

// StreamArrow runs one statement on a duckdb-go connection (from
// sql.Conn.Raw) as a streaming result and returns its Arrow batches as
// DuckDB makes them, a chunk at a time: unlike duckdb-go's
// Arrow.QueryContext (a materialized result, held whole in DuckDB's
// memory before its first batch), a result larger than memory passes.
// The parameters are bound by duckdb-go (Stmt.Bind). A cancelled ctx
// interrupts the statement, as duckdb-go does. The reader holds the
// connection until Release.
func StreamArrow(ctx context.Context, dc driver.Conn, query string, args []any) (array.RecordReader, error) {
	c, ok := dc.(*duckdb.Conn)
	if !ok {
		return nil, errors.New("not a duckdb connection")
	}
	cconn, err := connHandle(c)
	if err != nil {
		return nil, err
	}
	st, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	ds := st.(*duckdb.Stmt)
	r := &streamReader{ctx: ctx, stmt: ds, conn: cconn, refs: 1, done: make(chan struct{}), stopped: make(chan struct{})}
	fail := func(err error) (array.RecordReader, error) {
		r.free()
		return nil, err
	}
	named := make([]driver.NamedValue, len(args))
	for i, v := range args {
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	if err := ds.Bind(named); err != nil {
		return fail(err)
	}
	ps, err := preparedHandle(ds)
	if err != nil {
		return fail(err)
	}
	// The interrupt: from here to Release, a cancel stops DuckDB's work.
	go func() {
		defer close(r.stopped)
		select {
		case <-ctx.Done():
			mapping.Interrupt(cconn)
		case <-r.done:
		}
	}()
	r.watching = true
	var pending mapping.PendingResult
	if bindings.PendingPreparedStreaming(*ps, &pending) == mapping.StateError {
		msg := mapping.PendingError(pending)
		mapping.DestroyPending(&pending)
		return fail(errors.New(msg))
	}
	state := mapping.ExecutePending(pending, &r.res)
	mapping.DestroyPending(&pending)
	r.hasRes = true
	if state == mapping.StateError {
		return fail(errors.Join(ctx.Err(), errors.New(mapping.ResultError(&r.res))))
	}
	r.opts = arrowmapping.ResultGetArrowOptions(&r.res)
	r.hasOpts = true
	cc := mapping.ColumnCount(&r.res)
	names := make([]string, cc)
	types := make([]mapping.LogicalType, cc)
	for i := range cc {
		names[i] = mapping.ColumnName(&r.res, i)
		types[i] = mapping.ColumnLogicalType(&r.res, i)
	}
	schema, ed := arrowmapping.NewArrowSchema(r.opts, types, names)
	for i := range cc {
		mapping.DestroyLogicalType(&types[i])
	}
	if err := errorData(ed); err != nil {
		return fail(fmt.Errorf("arrow schema: %w", err))
	}
	r.schema = schema
	return r, nil
}

// connHandle is the C connection duckdb-go keeps in Conn's unexported
// field conn (duckdb-go v2.10506.0); TestStreamArrowLayout fails when a
// new version moves it.
func connHandle(c *duckdb.Conn) (mapping.Connection, error) {
	f := reflect.ValueOf(c).Elem().FieldByName("conn")
	if !f.IsValid() || f.Type() != reflect.TypeOf(mapping.Connection{}) {
		return mapping.Connection{}, errors.New("duckdb-go's Conn has no field conn of type mapping.Connection: StreamArrow needs updating for this duckdb-go")
	}
	h := *(*mapping.Connection)(unsafe.Pointer(f.UnsafeAddr()))
	if h.Ptr == nil {
		return h, errors.New("duckdb connection closed")
	}
	return h, nil
}

// preparedHandle is the C prepared statement in Stmt's unexported field
// preparedStmt (as connHandle).
func preparedHandle(s *duckdb.Stmt) (*mapping.PreparedStatement, error) {
	f := reflect.ValueOf(s).Elem().FieldByName("preparedStmt")
	if !f.IsValid() || f.Type() != reflect.TypeOf((*mapping.PreparedStatement)(nil)) {
		return nil, errors.New("duckdb-go's Stmt has no field preparedStmt of type *mapping.PreparedStatement: StreamArrow needs updating for this duckdb-go")
	}
	p := *(**mapping.PreparedStatement)(unsafe.Pointer(f.UnsafeAddr()))
	if p == nil {
		return nil, errors.New("duckdb statement not prepared")
	}
	return p, nil
}

// errorData is a DuckDB error data as an error (nil: none).
func errorData(ed mapping.ErrorData) error {
	defer mapping.DestroyErrorData(&ed)
	if !mapping.ErrorDataHasError(ed) {
		return nil
	}
	return errors.New(mapping.ErrorDataMessage(ed))
}

// streamReader reads a streaming result chunk by chunk.
type streamReader struct {
	ctx      context.Context
	stmt     *duckdb.Stmt
	conn     mapping.Connection
	res      mapping.Result
	opts     arrowmapping.ArrowOptions
	schema   *arrow.Schema
	hasRes   bool
	hasOpts  bool
	watching bool
	done     chan struct{} // closed on release: the interrupt ends
	stopped  chan struct{} // closed when the interrupt has ended

	mu      sync.Mutex
	refs    int64
	current arrow.RecordBatch
	err     error
	ended   bool
}

var _ array.RecordReader = (*streamReader)(nil)

func (r *streamReader) Schema() *arrow.Schema { return r.schema }

func (r *streamReader) Retain() {
	r.mu.Lock()
	r.refs++
	r.mu.Unlock()
}

func (r *streamReader) Release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refs <= 0 {
		return
	}
	r.refs--
	if r.refs > 0 {
		return
	}
	if r.current != nil {
		r.current.Release()
		r.current = nil
	}
	r.free()
}

// free destroys what the reader holds, the interrupt first.
func (r *streamReader) free() {
	if r.watching {
		close(r.done)
		<-r.stopped
		r.watching = false
	}
	if r.hasOpts {
		arrowmapping.DestroyArrowOptions(&r.opts)
		r.hasOpts = false
	}
	if r.hasRes {
		mapping.DestroyResult(&r.res)
		r.hasRes = false
	}
	if r.stmt != nil {
		r.stmt.Close()
		r.stmt = nil
	}
}

func (r *streamReader) Next() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.current != nil {
		r.current.Release()
		r.current = nil
	}
	if r.err != nil || r.ended || r.refs <= 0 {
		return false
	}
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return false
	}
	chunk := mapping.FetchChunk(r.res)
	if chunk.Ptr == nil {
		r.ended = true
		if msg := mapping.ResultError(&r.res); msg != "" {
			r.err = errors.Join(r.ctx.Err(), errors.New(msg))
		}
		return false
	}
	defer mapping.DestroyDataChunk(&chunk)
	rec, ed := arrowmapping.DataChunkToArrowArray(r.opts, r.schema, chunk)
	if err := errorData(ed); err != nil {
		r.err = fmt.Errorf("arrow batch: %w", err)
		return false
	}
	r.current = rec
	return true
}

func (r *streamReader) RecordBatch() arrow.RecordBatch {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.current
}

// Record is RecordBatch (array.RecordReader's older name).
func (r *streamReader) Record() arrow.RecordBatch { return r.RecordBatch() }

func (r *streamReader) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}
