package warehouse

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"sync"

	"github.com/duckdb/duckdb-go/v2"

	"wardstat/transform"
)

// CSVPlan says how DuckDB's own reader can stage a UTF-8 delimited file
// whose layout the Go reader has already worked out from its first rows.
type CSVPlan struct {
	Path      string
	Delimiter rune
	// SkipLines are the physical lines before the first data row (titles, header).
	SkipLines int
	// Columns is how many columns the header has.
	Columns int
	Mapping transform.Mapping
	// TitleRows are the non-blank rows above the header, counted as skipped.
	TitleRows int
}

// LoadCSV loads a delimited UTF-8 file with DuckDB's parallel CSV reader
// doing the reading, and the rest as Load does it. Row numbers are the
// file's line numbers when no quoted cell spans lines and no line is blank.
// A file DuckDB's reader refuses returns the error: the caller reads it the
// slow way instead.
func (w *Warehouse) LoadCSV(ctx context.Context, req LoadRequest, plan CSVPlan, h *transform.Hasher) (LoadResult, error) {
	return w.load(ctx, req, func(conn *sql.Conn) (transform.Mapping, int, error) {
		personal := hasApplicantColumns(plan.Mapping)
		if personal && h != nil {
			if err := registerApplicantKey(conn, h); err != nil {
				return plan.Mapping, 0, err
			}
		}
		var err error
		for _, opts := range []string{"parallel = true, null_padding = false", "parallel = false, null_padding = true"} {
			q := csvStageQuery(plan, opts, personal && h != nil)
			if _, err = conn.ExecContext(ctx, q); err == nil {
				return plan.Mapping, plan.TitleRows, nil
			}
			w.log.Debug("DuckDB's CSV reader refused the file", "options", opts, "err", err)
		}
		return plan.Mapping, 0, fmt.Errorf("%w: %v", ErrCSVReader, firstLine(err.Error()))
	})
}

// ErrCSVReader is a file DuckDB's CSV reader could not read as planned.
var ErrCSVReader = fmt.Errorf("DuckDB's CSV reader refused the file")

func firstLine(s string) string { return strings.SplitN(s, "\n", 2)[0] }

func csvStageQuery(plan CSVPlan, opts string, hashApplicants bool) string {
	col := func(i int) string { return fmt.Sprintf("c%03d", i) }
	types := make([]string, plan.Columns)
	cells := make([]string, plan.Columns)
	trimmed := make([]string, plan.Columns)
	for i := range types {
		types[i] = fmt.Sprintf("'%s': 'VARCHAR'", col(i))
		cells[i] = col(i) // cleaned by the normalisation, as every path's cells are
		trimmed[i] = "ws_cell(" + col(i) + ")"
	}
	cellOf := func(field string) (string, bool) {
		c, ok := plan.Mapping.Columns[field]
		if !ok || c >= plan.Columns {
			return "", false
		}
		return cells[c], true
	}
	sel := []string{fmt.Sprintf("(row_number() OVER ()) + %d AS source_row", plan.SkipLines)}
	for _, f := range transform.StagedFields {
		expr := "NULL::VARCHAR"
		switch f {
		case transform.ApplicantKey:
			if hashApplicants {
				expr = applicantKeyExpr(cellOf)
			}
		case transform.FirstCell:
			// Only a row missing its code or receipt date can be a title,
			// total or footer line: only there is the first cell looked for.
			code, _ := cellOf(transform.DossierCode)
			received, _ := cellOf(transform.ReceivedAt)
			expr = fmt.Sprintf("CASE WHEN nullif(trim(%s), '') IS NULL OR nullif(trim(%s), '') IS NULL THEN coalesce(%s) END",
				code, received, strings.Join(trimmed, ", "))
		default:
			if c, ok := cellOf(f); ok {
				expr = c
			}
		}
		sel = append(sel, expr+" AS "+f)
	}
	delim := string(plan.Delimiter)
	if plan.Delimiter == '\t' {
		delim = `\t`
	}
	return fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE stage_raw AS SELECT %s
		FROM read_csv(%s, header = false, skip = %d, auto_detect = false, all_varchar = true,
		              columns = {%s}, delim = %s, quote = '"', escape = '"', strict_mode = false, %s)`,
		strings.Join(sel, ",\n\t\t"), sqlString(plan.Path), plan.SkipLines, strings.Join(types, ", "), sqlString(delim), opts)
}

// applicantKeyExpr calls the applicant hasher on the columns that hold an
// applicant's identity (cell gives a field's SQL expression, if mapped).
func applicantKeyExpr(cell func(field string) (string, bool)) string {
	args := make([]string, 4)
	for j, f := range []string{transform.ApplicantID, transform.ApplicantPhone, transform.ApplicantEmail, transform.ApplicantName} {
		args[j] = "NULL::VARCHAR"
		if c, ok := cell(f); ok {
			args[j] = c
		}
	}
	return "ws_applicant_key(" + strings.Join(args, ", ") + ")"
}

// hasApplicantColumns reports whether a mapping reads any applicant identity.
func hasApplicantColumns(m transform.Mapping) bool {
	for _, f := range []string{transform.ApplicantID, transform.ApplicantPhone, transform.ApplicantEmail, transform.ApplicantName} {
		if _, ok := m.Columns[f]; ok {
			return true
		}
	}
	return false
}

// registerApplicantKey makes the applicant hasher callable from SQL on this
// connection, so that personal cells are hashed as DuckDB reads them and
// never stored. DuckDB may call it from several threads: each gets its own
// hasher from a pool.
func registerApplicantKey(conn *sql.Conn, h *transform.Hasher) error {
	pool := &sync.Pool{New: func() any { return h.Clone() }}
	return duckdb.RegisterScalarUDF(conn, "ws_applicant_key", &applicantKeyUDF{pool: pool})
}

type applicantKeyUDF struct{ pool *sync.Pool }

func (u *applicantKeyUDF) Config() duckdb.ScalarFuncConfig {
	v, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{v, v, v, v}, ResultTypeInfo: v, SpecialNullHandling: true}
}

func (u *applicantKeyUDF) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowExecutor: func(values []driver.Value) (any, error) {
		s := [4]string{}
		for i, v := range values {
			if str, ok := v.(string); ok {
				s[i] = str
			}
		}
		h := u.pool.Get().(*transform.Hasher)
		key := h.ApplicantKey(s[0], s[1], s[2], s[3])
		u.pool.Put(h)
		if key == "" {
			return nil, nil
		}
		return key, nil
	}}
}
