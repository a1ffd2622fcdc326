//go:build duckdb_arrow

package flight

import (
	"context"
	"database/sql/driver"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/duckdb/duckdb-go/v2"

	"wardstat/warehouse"
)

// stream runs the statement on a connection of w through duckdb-go's
// Arrow interface, sends its schema on first once DuckDB answered (said)
// and its batches on ch, and returns the rows sent.
func (s *server) stream(ctx context.Context, w *warehouse.Warehouse, query string, args []any, first chan<- started, ch chan<- flight.StreamChunk, run *sharedRun) (rows int64, said bool, err error) {
	conn, err := w.DB().Conn(ctx)
	if err != nil {
		return 0, false, err
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		ar, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		rdr, err := ar.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rdr.Release()
		schema := rdr.Schema()
		plain := plainSchema(schema)
		if plain != nil {
			schema = plain
		}
		if run != nil {
			run.schema = schema
		}
		first <- started{schema: schema}
		said = true
		for rdr.Next() {
			// rec is this loop's own reference, which the channel takes.
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
			for _, part := range splitRecord(rec) {
				run.record(part)
				select {
				case ch <- flight.StreamChunk{Data: part}:
					rows += part.NumRows()
					run.sent()
				case <-ctx.Done():
					part.Release()
					return ctx.Err()
				}
			}
			if tooMany {
				return errTooManyRows{s.o.MaxRows}
			}
		}
		return rdr.Err()
	})
	return rows, said, err
}
