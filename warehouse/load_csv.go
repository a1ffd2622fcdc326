package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"unsafe"

	"github.com/duckdb/duckdb-go/v2"

	"wardstat/transform"
)

// CSVPlan says how DuckDB's own reader can stage a UTF-8 delimited file
// whose layout the Go reader has already worked out from its first rows.
type CSVPlan struct {
	Path string
	// Encoding is DuckDB's name for the file's encoding when it is not
	// UTF-8: "utf-16" (little-endian, with or without a BOM).
	Encoding  string
	Delimiter rune
	// SkipLines are the physical lines before the first data row (titles, header).
	SkipLines int
	// SkipRecords are the records DuckDB's reader skips to reach it: as
	// many, unless a header cell breaks its line ("Ngày\ntiếp nhận", as
	// Excel saves a header with line breaks), which is one record.
	SkipRecords int
	// Columns is how many columns the header has.
	Columns int
	Mapping transform.Mapping
	// TitleRows are the non-blank rows above the header, counted as skipped.
	TitleRows int
	// Sequential says the file's first lines hold a quote DuckDB's lenient
	// parallel reader refuses, once it has read the file (inside an
	// unquoted cell, ="000123", or a cell quoted as "=""000123"""): its
	// strict parallel reader reads a file quoted by the rules, its
	// sequential one any other.
	Sequential bool
	// Sample, if set, is a file of lines from across the file (no header,
	// the same dialect) that the typing pass adds to its sample of the
	// first rows.
	Sample string
	// RowFixes make row numbers line numbers where records are not one
	// line each: from record Record (0-based, after SkipLines) on, a
	// record's line is Delta further down than counting would say.
	// Finding them reads the whole file, so the load calls RowFixes
	// beside its typing pass (nil: none). An error stops the load; one
	// wrapping ErrCSVReader says the file is for the slow way after all.
	RowFixes func() ([]RowFix, error)
}

// RowFix is where a CSV's line numbers move away from its record numbers.
type RowFix struct {
	Record, Delta int64
}

// loadCSV loads a delimited UTF-8 file with DuckDB's parallel CSV reader
// doing the reading, and the rest as Load does it. Row numbers are the
// file's line numbers (RowFixes account for blank lines and cells that span
// lines).
// A file DuckDB's reader refuses returns the error: the caller reads it the
// slow way instead.
func (w *Warehouse) loadCSV(ctx context.Context, req LoadRequest, plan CSVPlan, h *transform.Hasher) (LoadResult, error) {
	return w.load(ctx, req, func(ctx context.Context, conn *sql.Conn) (staged, error) {
		hash, err := prepareHashing(conn, plan.Mapping, h)
		if err != nil {
			return staged{}, err
		}
		st := staged{mapping: plan.Mapping, skipped: plan.TitleRows, rowOffset: int64(plan.SkipLines) + 1, beside: plan.RowFixes, readerErr: ErrCSVReader}
		readers := []string{"parallel = true, null_padding = false", "parallel = false, null_padding = true"}
		if plan.Sequential {
			// The parallel reader reads such a file in strict mode (a
			// cell must be quoted whole or not at all), when it can.
			readers[0] += ", strict_mode = true"
		}
		for _, opts := range readers {
			st.sources = append(st.sources, csvSource(plan, opts, hash))
		}
		if plan.Sample != "" {
			spread := plan
			spread.Path, spread.SkipLines, spread.SkipRecords = plan.Sample, 0, 0
			st.sample = csvSource(spread, "parallel = false, null_padding = true", hash)
		}
		return st, nil
	})
}

// ErrCSVReader is a file DuckDB's CSV reader could not read as planned.
var ErrCSVReader = fmt.Errorf("DuckDB's CSV reader refused the file")

func firstLine(s string) string { return strings.SplitN(s, "\n", 2)[0] }

// csvSource is DuckDB's CSV reader giving the staged fields as text.
func csvSource(plan CSVPlan, opts string, hashApplicants bool) string {
	col := func(i int) string { return fmt.Sprintf("c%03d", i) }
	types := make([]string, plan.Columns)
	cells := make([]string, plan.Columns)
	for i := range types {
		types[i] = fmt.Sprintf("'%s': 'VARCHAR'", col(i))
		cells[i] = col(i)
	}
	cellOf := func(field string) (string, bool) {
		c, ok := plan.Mapping.Columns[field]
		if !ok || c >= plan.Columns {
			return "", false
		}
		return cells[c], true
	}
	// The first non-empty cell, looked at only in a row missing its code or
	// receipt date (a title, total or footer line).
	sel := sourceColumns(cellOf, fmt.Sprintf("coalesce(%s)", strings.Join(cells, ", ")), hashApplicants)
	delim := string(plan.Delimiter)
	if plan.Delimiter == '\t' {
		delim = `\t`
	}
	if plan.Encoding != "" {
		opts += ", encoding = " + sqlString(plan.Encoding)
	}
	if !strings.Contains(opts, "strict_mode") {
		opts += ", strict_mode = false"
	}
	// A line longer than the stager's limit (ingest.MaxRecordBytes) is
	// one our reader rejects: DuckDB stops at it instead of holding 2,048
	// such lines a thread (the row fixes' scan sends the file to ours).
	opts += fmt.Sprintf(", max_line_size = %d", MaxCSVLineBytes)
	return fmt.Sprintf(`(SELECT %s
		FROM read_csv(%s, header = false, skip = %d, auto_detect = false, all_varchar = true,
		              columns = {%s}, delim = %s, quote = '"', escape = '"', %s))`,
		strings.Join(sel, ",\n\t\t"), sqlString(plan.Path), plan.SkipRecords, strings.Join(types, ", "), sqlString(delim), opts)
}

// MaxCSVLineBytes is the longest line DuckDB's CSV reader is let read:
// ingest.MaxRecordBytes and a little for a record's line breaks.
const MaxCSVLineBytes = 64<<10 + 64

// sourceColumns is the select list of a source DuckDB reads: every staged
// field as text from the reader's columns (cell gives a mapped field's),
// the applicants' key hashed when hashApplicants, and firstCell.
func sourceColumns(cell func(field string) (string, bool), firstCell string, hashApplicants bool) []string {
	var sel []string
	for _, f := range transform.StagedFields {
		expr := "NULL::VARCHAR"
		switch f {
		case transform.ApplicantKey:
			if hashApplicants {
				expr = applicantKeyExpr(cell)
			}
		case transform.FirstCell:
			expr = firstCell
		default:
			if c, ok := cell(f); ok {
				expr = c
			}
		}
		sel = append(sel, expr+" AS "+f)
	}
	return sel
}

// prepareHashing makes the applicant hasher callable on the load's
// connection when the mapping reads applicants' identities, and says
// whether it did.
func prepareHashing(conn *sql.Conn, m transform.Mapping, h *transform.Hasher) (bool, error) {
	if h == nil || !hasApplicantColumns(m) {
		return false, nil
	}
	return true, registerApplicantKey(conn, h)
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

// Executor hashes a chunk at a time, reading DuckDB's strings in place:
// nothing is allocated per row.
func (u *applicantKeyUDF) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{ChunkContextExecutor: func(_ context.Context, st *duckdb.ChunkIteratorState) error {
		in := st.GetInputChunk()
		views, out, err := stringVectors(st, 4)
		if err != nil {
			return err
		}
		h := u.pool.Get().(*transform.Hasher)
		defer u.pool.Put(h)
		var vals [4]string
		buf := make([]byte, 0, 64)
		for r := range in.GetSize() {
			for i := range views {
				v, ok, err := views[i].GetValueBorrowed(r)
				if err != nil {
					return err
				}
				if !ok {
					v = ""
				}
				vals[i] = v
			}
			key, ok := h.AppendApplicantKey(buf[:0], vals[0], vals[1], vals[2], vals[3])
			if !ok {
				err = out.SetNull(r)
			} else {
				// Set copies the bytes into DuckDB's vector at once.
				err = out.Set(r, unsafe.String(&key[0], len(key)))
			}
			if err != nil {
				return err
			}
		}
		return nil
	}}
}

// stringVectors gives a Go scalar UDF's n text arguments as views of
// DuckDB's strings, read in place, and its result as a writer.
func stringVectors(st *duckdb.ChunkIteratorState, n int) ([]duckdb.VectorView[string], duckdb.VectorWriter[string], error) {
	in := st.GetInputChunk()
	views := make([]duckdb.VectorView[string], n)
	for i := range views {
		v, err := in.GetVector(i)
		if err != nil {
			return nil, duckdb.VectorWriter[string]{}, err
		}
		if views[i], err = duckdb.GetVectorView[string](v); err != nil {
			return nil, duckdb.VectorWriter[string]{}, err
		}
	}
	out, err := duckdb.GetVectorWriter[string](st.GetResultVector())
	return views, out, err
}
