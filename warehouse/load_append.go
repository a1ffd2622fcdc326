package warehouse

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"wardstat/transform"
)

// stage appends the rows, as text, to a temp table on the load's connection.
// Temp tables live in memory (spilling to DuckDB's temp folder), never in
// the warehouse file. Only the fields the file has are columns: each cell
// appended is a call into DuckDB (BENCHMARKS.md), and most files map fewer than
// half the staged fields. A field that only a later header maps (JSON
// records whose keys grow) becomes a column when its first value comes.
// It returns the SQL giving every staged field, NULL where not staged.
func stage(ctx context.Context, conn *sql.Conn, src RowSource) (string, error) {
	if StagesByArrow() {
		return stageArrow(ctx, conn, src)
	}
	staged, fields, err := createStageRaw(ctx, conn, src)
	if err != nil {
		return "", err
	}
	err = conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppender(dc.(driver.Conn), "temp", "main", "stage_raw")
		if err != nil {
			return fmt.Errorf("staging: %w", err)
		}
		// widen makes the fields at positions more into columns.
		widen := func(more []int) error {
			if err := app.Close(); err != nil {
				return fmt.Errorf("staging: %w", err)
			}
			for _, i := range more {
				if _, err := dc.(driver.ExecerContext).ExecContext(ctx, `ALTER TABLE stage_raw ADD COLUMN `+transform.StagedFields[i]+` VARCHAR`, nil); err != nil {
					return fmt.Errorf("staging: %w", err)
				}
				staged[i] = true
				fields = append(fields, i)
			}
			app, err = duckdb.NewAppender(dc.(driver.Conn), "temp", "main", "stage_raw")
			if err != nil {
				return fmt.Errorf("staging: %w", err)
			}
			return nil
		}
		args := make([]driver.Value, 0, len(transform.StagedFields)+1)
		var readErr error
		var more []int
		for n := 0; ; n++ {
			if n%4096 == 0 && ctx.Err() != nil {
				readErr = ctx.Err()
				break
			}
			row, err := src.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				readErr = err
				break
			}
			more = more[:0]
			for i, v := range row.Values {
				if v != "" && !staged[i] {
					more = append(more, i)
				}
			}
			if len(more) > 0 {
				if readErr = widen(more); readErr != nil {
					return readErr
				}
			}
			args = append(args[:0], int64(row.Line))
			for _, i := range fields {
				if v := row.Values[i]; v == "" {
					args = append(args, nil)
				} else {
					args = append(args, v)
				}
			}
			if err := app.AppendRow(args...); err != nil {
				readErr = fmt.Errorf("staging row %d: %w", row.Line, err)
				break
			}
		}
		if err := app.Close(); err != nil && readErr == nil {
			readErr = fmt.Errorf("staging: %w", err)
		}
		return readErr
	})
	if err != nil {
		return "", err
	}
	return stageRawSelect(staged), nil
}

// createStageRaw makes the temp table stage_raw with a column for each
// staged field the source maps (and the applicant key and first cell),
// and returns which fields are columns and their positions in order.
func createStageRaw(ctx context.Context, conn *sql.Conn, src RowSource) (staged []bool, fields []int, err error) {
	m := src.Mapping()
	staged = make([]bool, len(transform.StagedFields))
	cols := []string{"source_row BIGINT"}
	for i, f := range transform.StagedFields {
		if _, ok := m.Columns[f]; ok || f == transform.ApplicantKey || f == transform.FirstCell {
			staged[i] = true
			fields = append(fields, i)
			cols = append(cols, f+" VARCHAR")
		}
	}
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE stage_raw (`+strings.Join(cols, ", ")+`)`); err != nil {
		return nil, nil, fmt.Errorf("staging: %w", err)
	}
	return staged, fields, nil
}

// stageRawSelect is the SQL giving every staged field from stage_raw,
// NULL where the field is not a column.
func stageRawSelect(staged []bool) string {
	sel := []string{"source_row"}
	for i, f := range transform.StagedFields {
		if staged[i] {
			sel = append(sel, f)
		} else {
			sel = append(sel, "NULL::VARCHAR AS "+f)
		}
	}
	return "(SELECT " + strings.Join(sel, ", ") + " FROM stage_raw)"
}
