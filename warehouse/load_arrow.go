//go:build duckdb_arrow

package warehouse

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/duckdb/duckdb-go/v2"

	"wardstat/transform"
)

func init() { stageArrow = stageBatches; stageByArrow.Store(true) }

// arrowBatchRows is the rows of one Arrow batch: a multiple of DuckDB's
// vector size (2,048), so that the staged table's vectors are the
// appender's. A batch of the bench's rows holds ~3 MB of text; at most
// three are alive (one inserted, one queued, one being filled). Batches
// of 65,536 rows raised the peak RSS by 150-220 MiB (wardstat's heap
// settings collect at 5x the live heap), for no speed.
var arrowBatchRows = 1 << 14 // a variable for the tests

// arrowStages numbers the stagings, for their in-memory databases' names.
var arrowStages atomic.Int64

// arrowBatch is what the reading goroutine hands to the inserting one:
// fields to add as columns (more), then a batch of rows (rec), or the
// read's error.
type arrowBatch struct {
	more []int
	rec  arrow.RecordBatch
	err  error
	done bool // the last, after every row: a stream closed without it was cut short
}

// stageBatches is stage with the rows handed to DuckDB as Arrow record
// batches of text, one INSERT a batch, instead of cell by cell through
// the appender. A goroutine reads and builds the next batch while DuckDB
// inserts the last. Same table, same columns, same order of rows, same
// widening (a field that only a later row has becomes a column then).
func stageBatches(ctx context.Context, conn *sql.Conn, src RowSource) (string, error) {
	staged, fields, err := createStageRaw(ctx, conn, src)
	if err != nil {
		return "", err
	}
	// DuckDB makes the view it scans a batch by in the connection's
	// current database, not as a temp view: outside a transaction, that
	// would commit a view over Go memory into the warehouse file, and USE
	// cannot name temp. The views are made in an in-memory database of
	// this load's (insertBatch), detached at the end.
	var db string
	if err := conn.QueryRowContext(ctx, `SELECT current_database()`).Scan(&db); err != nil {
		return "", fmt.Errorf("staging: %w", err)
	}
	mem := fmt.Sprintf("wardstat_stage_%d", arrowStages.Add(1))
	if _, err := conn.ExecContext(ctx, `ATTACH ':memory:' AS `+mem); err != nil {
		return "", fmt.Errorf("staging: %w", err)
	}
	defer conn.ExecContext(context.Background(), `DETACH DATABASE IF EXISTS `+mem)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan arrowBatch, 1)
	go readBatches(ctx, src, slices.Clone(staged), slices.Clone(fields), batches)
	err = conn.Raw(func(dc any) error {
		ar, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return fmt.Errorf("staging: %w", err)
		}
		exec := func(q string) error {
			_, err := dc.(driver.ExecerContext).ExecContext(ctx, q, nil)
			return err
		}
		// What puts the connection back runs even once ctx is done.
		execAlways := func(q string) error {
			_, err := dc.(driver.ExecerContext).ExecContext(context.Background(), q, nil)
			return err
		}
		done := false
		for b := range batches {
			if b.err != nil {
				return b.err
			}
			done = done || b.done
			for _, i := range b.more {
				if err := exec(`ALTER TABLE stage_raw ADD COLUMN ` + transform.StagedFields[i] + ` VARCHAR`); err != nil {
					return fmt.Errorf("staging: %w", err)
				}
				staged[i] = true
			}
			if b.rec != nil {
				err := insertBatch(ar, exec, execAlways, b.rec, db, mem)
				b.rec.Release()
				if err != nil {
					return fmt.Errorf("staging: %w", err)
				}
			}
		}
		if !done {
			// The reader stopped once ctx was done, its error unsent.
			if err := ctx.Err(); err != nil {
				return err
			}
			return fmt.Errorf("staging: the rows stopped before the end")
		}
		return nil
	})
	// The reader stops at its next batch once cancelled; its batches are
	// released.
	cancel()
	for b := range batches {
		if b.rec != nil {
			b.rec.Release()
		}
	}
	if err != nil {
		return "", err
	}
	return stageRawSelect(staged), nil
}

// insertBatch inserts one batch into stage_raw, by column name, through
// a view DuckDB scans the batch by.
// exec runs the load's statements, execAlways those that put the
// connection back (its database, no view over released memory).
func insertBatch(ar *duckdb.Arrow, exec, execAlways func(string) error, rec arrow.RecordBatch, db, mem string) (err error) {
	rdr, err := array.NewRecordReader(rec.Schema(), []arrow.RecordBatch{rec})
	if err != nil {
		return err
	}
	defer rdr.Release()
	if err := exec(`USE ` + mem); err != nil {
		return err
	}
	release, err := ar.RegisterView(rdr, "stage_arrow")
	if back := execAlways(`USE "` + strings.ReplaceAll(db, `"`, `""`) + `"`); back != nil {
		// A connection left in the staging database must not serve
		// again: database/sql drops it on ErrBadConn.
		err = errors.Join(err, back, driver.ErrBadConn)
	}
	if release != nil {
		defer release()
		// The view reads a stream released here: none outlives it.
		defer func() {
			if drop := execAlways(`DROP VIEW IF EXISTS ` + mem + `.stage_arrow`); err == nil {
				err = drop
			}
		}()
	}
	if err != nil {
		return err
	}
	names := make([]string, rec.NumCols())
	for i := range names {
		names[i] = rec.ColumnName(i)
	}
	list := strings.Join(names, ", ")
	return exec(`INSERT INTO stage_raw (` + list + `) SELECT ` + list + ` FROM ` + mem + `.stage_arrow`)
}

// readBatches reads src into batches of text (an empty cell is NULL, as
// the appender stages it) and sends them, closing out at the end, after
// an error, or once ctx is done.
func readBatches(ctx context.Context, src RowSource, staged []bool, fields []int, out chan<- arrowBatch) {
	defer close(out)
	send := func(b arrowBatch) bool {
		select {
		case out <- b:
			return true
		case <-ctx.Done():
			if b.rec != nil {
				b.rec.Release()
			}
			return false
		}
	}
	var (
		schema   *arrow.Schema
		lines    *array.Int64Builder
		cells    []*array.StringBuilder
		rows     int
		more     []int
		newBatch = func() {
			fs := []arrow.Field{{Name: "source_row", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}
			for _, i := range fields {
				fs = append(fs, arrow.Field{Name: transform.StagedFields[i], Type: arrow.BinaryTypes.String, Nullable: true})
			}
			schema = arrow.NewSchema(fs, nil)
			lines = array.NewInt64Builder(memory.DefaultAllocator)
			lines.Reserve(arrowBatchRows)
			cells = cells[:0]
			for range fields {
				b := array.NewStringBuilder(memory.DefaultAllocator)
				b.Reserve(arrowBatchRows)
				cells = append(cells, b)
			}
			rows = 0
		}
		// flush sends the batch being filled, if it has rows.
		flush = func() bool {
			if rows == 0 {
				return true
			}
			arrs := make([]arrow.Array, 0, len(cells)+1)
			arrs = append(arrs, lines.NewArray())
			text := make([]int, len(cells))
			for j, b := range cells {
				text[j] = b.DataLen()
				arrs = append(arrs, b.NewArray())
			}
			rec := array.NewRecordBatch(schema, arrs, int64(rows))
			for _, a := range arrs {
				a.Release()
			}
			// The next batch's room, its text as much as this one's
			// and an eighth: one allocation a column, not doublings.
			lines.Reserve(arrowBatchRows)
			for j, b := range cells {
				b.Reserve(arrowBatchRows)
				b.ReserveData(text[j]/rows*arrowBatchRows + text[j]/8)
			}
			rows = 0
			return send(arrowBatch{rec: rec})
		}
		release = func() {
			lines.Release()
			for _, b := range cells {
				b.Release()
			}
		}
	)
	newBatch()
	defer func() { release() }()
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			send(arrowBatch{err: ctx.Err()})
			return
		}
		row, err := src.Next()
		if err == io.EOF {
			if flush() {
				send(arrowBatch{done: true})
			}
			return
		}
		if err != nil {
			send(arrowBatch{err: err}) // the load fails: its rows so far are dropped
			return
		}
		more = more[:0]
		for i, v := range row.Values {
			if v != "" && !staged[i] {
				more = append(more, i)
			}
		}
		if len(more) > 0 {
			// The rows so far go in before the table widens; the
			// batches after it have the new columns.
			if !flush() {
				return
			}
			for _, i := range more {
				staged[i] = true
				fields = append(fields, i)
			}
			if !send(arrowBatch{more: slices.Clone(more)}) {
				return
			}
			release()
			newBatch()
		}
		lines.Append(int64(row.Line))
		for j, i := range fields {
			if v := row.Values[i]; v == "" {
				cells[j].AppendNull()
			} else {
				cells[j].Append(v)
			}
		}
		if rows++; rows == arrowBatchRows && !flush() {
			return
		}
	}
}
