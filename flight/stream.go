//go:build duckdb_arrow

package flight

import (
	"context"
	"database/sql/driver"

	"github.com/apache/arrow-go/v18/arrow/ipc"

	"wardstat/warehouse"
)

// stream runs the statement on a connection of w as a streaming result
// (StreamArrow) and puts its result on k, encoded once (recordSink).
func (s *server) stream(ctx context.Context, w *warehouse.Warehouse, query string, args []any, k *sink) error {
	conn, err := w.DB().Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		rdr, err := StreamArrow(ctx, dc.(driver.Conn), query, args)
		if err != nil {
			return err
		}
		defer rdr.Release()
		schema := rdr.Schema()
		plain := plainSchema(schema)
		if plain != nil {
			schema = plain
		}
		// The schema goes with the first batch, or at the end of a result
		// of none.
		wr := ipc.NewWriterWithPayloadWriter(recordSink{k}, ipc.WithSchema(schema))
		// DuckDB's chunks gathered, as a worker does (coalescer).
		bw := &batchWriter{wr: wr}
		defer bw.co.release()
		var rows int64
		for rdr.Next() {
			// rec is this loop's own reference.
			rec := rdr.RecordBatch()
			if plain != nil {
				rec = plainRecord(plain, rec)
			} else {
				rec.Retain()
			}
			n := rec.NumRows()
			tooMany := rows+n > s.o.MaxRows
			if tooMany {
				keep := s.o.MaxRows - rows
				part := rec.NewSlice(0, keep)
				rec.Release()
				rec, n = part, keep
			}
			rows += n
			if err := bw.put(rec); err != nil {
				return err
			}
			if tooMany {
				if err := bw.flush(); err != nil {
					return err
				}
				return errTooManyRows{s.o.MaxRows}
			}
		}
		if err := bw.flush(); err != nil {
			return err
		}
		if err := rdr.Err(); err != nil {
			return err
		}
		return wr.Close()
	})
}
