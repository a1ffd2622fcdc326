//go:build duckdb_arrow

package main

import (
	"context"
	"database/sql/driver"
	"io"

	"github.com/apache/arrow-go/v18/arrow/ipc"

	"wardstat/flight"
	"wardstat/warehouse"
)

const arrowBuiltIn = true

// writeArrow runs one checked statement and writes its result to out as
// an Arrow IPC stream, DuckDB's record batches as they come (a streaming result) (ENUMs stay
// dictionary-encoded: pyarrow reads them as categories). It returns the
// rows written.
func (a *app) writeArrow(ctx context.Context, w *warehouse.Warehouse, out io.Writer, query string) (int, error) {
	if err := w.CheckRead(ctx, query); err != nil {
		return 0, err
	}
	conn, err := w.DB().Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	n := 0
	err = conn.Raw(func(dc any) error {
		rdr, err := flight.StreamArrow(ctx, dc.(driver.Conn), query, nil)
		if err != nil {
			return err
		}
		defer rdr.Release()
		wr := ipc.NewWriter(out, ipc.WithSchema(rdr.Schema()))
		for rdr.Next() {
			rec := rdr.RecordBatch()
			if err := wr.Write(rec); err != nil {
				return err
			}
			n += int(rec.NumRows())
		}
		if err := rdr.Err(); err != nil {
			return err
		}
		return wr.Close()
	})
	return n, err
}
