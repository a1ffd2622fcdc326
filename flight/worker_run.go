//go:build duckdb_arrow

package flight

import (
	"bufio"
	"bytes"
	"context"
	"database/sql/driver"
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/duckdb/duckdb-go/v2"

	"wardstat/warehouse"
)

// encodeRequest is the worker's standard input for a statement.
// maxRows (0: none) is where the worker cuts the result: it sends at most
// that many rows, then one row more when there are more, which the
// server does not forward but reads as the result's end (errTooManyRows).
func encodeRequest(path, query string, args []any, describe bool, maxRows int64) ([]byte, error) {
	fields := make([]arrow.Field, len(args))
	cols := make([]arrow.Array, len(args))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, v := range args {
		b, typ := paramBuilder(v)
		fields[i] = arrow.Field{Name: fmt.Sprintf("p%d", i+1), Type: typ, Nullable: true}
		cols[i] = b.NewArray()
		b.Release()
	}
	keys, vals := []string{reqPath, reqQuery}, []string{path, query}
	if describe {
		keys, vals = append(keys, reqDescribe), append(vals, "1")
	}
	if maxRows > 0 {
		keys, vals = append(keys, reqMaxRows), append(vals, strconv.FormatInt(maxRows, 10))
	}
	md := arrow.NewMetadata(keys, vals)
	schema := arrow.NewSchema(fields, &md)
	rec := array.NewRecordBatch(schema, cols, 1)
	defer rec.Release()
	var buf bytes.Buffer
	wr := ipc.NewWriter(&buf, ipc.WithSchema(schema))
	if err := wr.Write(rec); err != nil {
		return nil, err
	}
	if err := wr.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// paramBuilder holds one parameter as goValue gives it (so that the
// worker's goValue gives it back unchanged).
func paramBuilder(v any) (array.Builder, arrow.DataType) {
	mem := memory.DefaultAllocator
	switch x := v.(type) {
	case nil:
		b := array.NewNullBuilder(mem)
		b.AppendNull()
		return b, arrow.Null
	case bool:
		b := array.NewBooleanBuilder(mem)
		b.Append(x)
		return b, arrow.FixedWidthTypes.Boolean
	case int64:
		b := array.NewInt64Builder(mem)
		b.Append(x)
		return b, arrow.PrimitiveTypes.Int64
	case uint64:
		b := array.NewUint64Builder(mem)
		b.Append(x)
		return b, arrow.PrimitiveTypes.Uint64
	case float64:
		b := array.NewFloat64Builder(mem)
		b.Append(x)
		return b, arrow.PrimitiveTypes.Float64
	case time.Time:
		typ := &arrow.TimestampType{Unit: arrow.Nanosecond}
		if x.Location() == vietnam {
			typ.TimeZone = "Asia/Ho_Chi_Minh" // a zoned instant stays one
		}
		b := array.NewTimestampBuilder(mem, typ)
		b.Append(arrow.Timestamp(x.UnixNano()))
		return b, typ
	case []byte:
		b := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
		b.Append(x)
		return b, arrow.BinaryTypes.Binary
	}
	b := array.NewStringBuilder(mem)
	b.Append(fmt.Sprint(v))
	return b, arrow.BinaryTypes.String
}

// RunWorker is the worker's work: it reads the request from in, opens the
// warehouse file with open, checks the statement in the sandbox, runs it
// as a streaming result (StreamArrow) and writes its batches to out. hold,
// when set, is called before the statement runs and what it returns
// after DuckDB answered (`wardstat sql`'s fetch reserve).
func RunWorker(ctx context.Context, in io.Reader, out io.Writer, open func(ctx context.Context, path string) (*warehouse.Warehouse, error), hold func() func()) error {
	rr, err := ipc.NewReader(in)
	if err != nil {
		return fmt.Errorf("worker request: %w", err)
	}
	defer rr.Release()
	md := rr.Schema().Metadata()
	path, query := md.Values()[md.FindKey(reqPath)], md.Values()[md.FindKey(reqQuery)]
	var maxRows int64
	if i := md.FindKey(reqMaxRows); i >= 0 {
		if maxRows, err = strconv.ParseInt(md.Values()[i], 10, 64); err != nil {
			return fmt.Errorf("worker request: %w", err)
		}
	}
	var args []any
	if rr.Next() {
		rec := rr.RecordBatch()
		for _, col := range rec.Columns() {
			args = append(args, goValue(col, 0))
		}
	}
	w, err := open(ctx, path)
	if err != nil {
		return err
	}
	defer w.Close()
	if err := w.CheckRead(ctx, query); err != nil {
		return err
	}
	if md.FindKey(reqDescribe) >= 0 {
		return describe(ctx, w, query, out)
	}
	conn, err := w.DB().Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		release := func() {}
		if hold != nil {
			release = hold()
		}
		vietnamDates(ctx, w, query, args)
		rdr, err := StreamArrow(ctx, dc.(driver.Conn), query, args)
		release()
		if err != nil {
			return err
		}
		defer rdr.Release()
		schema := rdr.Schema()
		plain := plainSchema(schema)
		if plain != nil {
			schema = plain
		}
		// Buffered: the IPC writer writes each buffer of a batch apart; one
		// larger than the buffer goes to the pipe straight.
		bw := bufio.NewWriterSize(out, 64<<10)
		wr := ipc.NewWriter(bw, ipc.WithSchema(schema))
		// DuckDB's chunks (2,048 rows) are sent as batches of about
		// coalesceBytes: fewer messages for the server and the client.
		bwr := &batchWriter{wr: wr, refuseBig: true}
		defer bwr.co.release()
		var rows int64
		for rdr.Next() {
			rec := rdr.RecordBatch()
			if plain != nil {
				rec = plainRecord(plain, rec)
			} else {
				rec.Retain()
			}
			n := rec.NumRows()
			if maxRows > 0 && rows+n > maxRows {
				// max_rows rows, then the first row past them.
				keep := maxRows - rows
				head, past := rec.NewSlice(0, keep), rec.NewSlice(keep, keep+1)
				rec.Release()
				err := bwr.put(head)
				if err == nil {
					err = bwr.flush()
				}
				if err == nil {
					err = wr.Write(past)
				}
				past.Release()
				if err != nil {
					return err
				}
				break
			}
			rows += n
			if err := bwr.put(rec); err != nil {
				return err
			}
		}
		if err := bwr.flush(); err != nil {
			return err
		}
		if err := rdr.Err(); err != nil {
			return err
		}
		if err := wr.Close(); err != nil {
			return err
		}
		return bw.Flush()
	})
}

// describe writes a prepared statement's schemas (reqDescribe).
func describe(ctx context.Context, w *warehouse.Warehouse, query string, out io.Writer) error {
	params, err := paramSchema(ctx, w, query)
	if err != nil {
		return err
	}
	ds := resultSchema(ctx, w, query, len(params.Fields()))
	known := "1"
	if ds == nil {
		ds, known = arrow.NewSchema(nil, nil), "0"
	}
	ser := base64.StdEncoding.EncodeToString(flight.SerializeSchema(params, memory.DefaultAllocator))
	md := arrow.NewMetadata(append(ds.Metadata().Keys(), resParams, resKnown), append(ds.Metadata().Values(), ser, known))
	wr := ipc.NewWriter(out, ipc.WithSchema(arrow.NewSchema(ds.Fields(), &md)))
	return wr.Close()
}

// vietnam is Vietnam's time (UTC+7, no daylight saving).
var vietnam = time.FixedZone("ICT", 7*3600)

// vietnamDates binds a zoned timestamp given for a DATE parameter as its
// date in Vietnam: duckdb-go takes a time's UTC date, a day early for
// Vietnam's midnight. A timestamp parameter keeps the instant.
func vietnamDates(ctx context.Context, w *warehouse.Warehouse, query string, args []any) {
	zoned := false
	for _, a := range args {
		if t, ok := a.(time.Time); ok && t.Location() == vietnam {
			zoned = true
		}
	}
	if !zoned {
		return
	}
	conn, err := w.DB().Conn(ctx)
	if err != nil {
		return
	}
	defer conn.Close()
	conn.Raw(func(dc any) error {
		c, ok := dc.(*duckdb.Conn)
		if !ok {
			return nil
		}
		st, err := c.PrepareContext(ctx, query)
		if err != nil {
			return nil
		}
		defer st.Close()
		ds := st.(*duckdb.Stmt)
		for i := range min(ds.NumInput(), len(args)) {
			typ, _ := ds.ParamType(i + 1)
			if t, ok := args[i].(time.Time); ok && t.Location() == vietnam && typ == duckdb.TYPE_DATE {
				args[i] = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
			}
		}
		return nil
	})
}
