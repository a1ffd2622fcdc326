package warehouse

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	sqlmodels "wardstat/sql"
	"wardstat/transform"
)

// LoadRequest describes one file to load.
type LoadRequest struct {
	Path   string
	SHA256 string
	Source string
	Format string
	// Ward is the --ward code: used for rows whose file names no unit.
	Ward string
}

// RowSource yields a file's staged rows; Next returns io.EOF after the last.
// Mapping and Skipped are read after the last row.
type RowSource interface {
	Next() (transform.Row, error)
	Mapping() transform.Mapping
	Skipped() int
}

// LoadResult is what a load did. Read = Loaded + Rejected + Duplicate.
type LoadResult struct {
	LoadID    int64
	Read      int64
	Loaded    int64 // New + Changed
	New       int64
	Changed   int64
	Rejected  int64
	Duplicate int64 // repeated in the file, or a state already stored
	Skipped   int64 // blank, title, subtotal and footer rows
	Wards     []string
	Rejects   []Reject  // the first few, for the terminal
	Warnings  []Warning // values wardstat could not read but did not need to reject for
	// AlreadyLoaded is set when the same bytes were loaded before: nothing changed.
	AlreadyLoaded *PriorLoad
}

// PriorLoad identifies an earlier load of the same file.
type PriorLoad struct {
	LoadID   int64
	Path     string
	LoadedAt time.Time
}

// Reject is one row that could not be trusted.
type Reject struct {
	Row    int64
	Code   string // missing_code, bad_date:received_at, bad_channel, ...
	Column string // the file's own header
	Value  string
	Reason string
}

// Warning counts the cells of one column that could not be read and were
// stored as unknown (NULL), or another condition worth a look.
type Warning struct {
	Code    string // unreadable_value, no_due_date, unknown_ward
	Column  string
	Count   int64
	Example string
}

// stateColumns are the dossier's state: what a version is made of.
var stateColumns = func() []string {
	var out []string
	for _, f := range transform.DossierSchema.Fields() {
		if f.Name != transform.LoadID && f.Name != transform.SourceRow {
			out = append(out, f.Name)
		}
	}
	return out
}()

// FindLoad returns an earlier load of a file with this sha256, if any.
func (w *Warehouse) FindLoad(ctx context.Context, sha string) (*PriorLoad, error) {
	var p PriorLoad
	err := w.db.QueryRowContext(ctx, `SELECT load_id, path, loaded_at FROM loads WHERE sha256 = ? ORDER BY load_id LIMIT 1`, sha).
		Scan(&p.LoadID, &p.Path, &p.LoadedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("looking up earlier loads: %w", err)
	}
	return &p, nil
}

// Load stages a file's rows and loads them in one transaction: after a
// crash or kill the warehouse holds either all of this file or none of it.
// Loading the same bytes twice is a no-op that says so.
func (w *Warehouse) Load(ctx context.Context, req LoadRequest, src RowSource) (LoadResult, error) {
	return w.load(ctx, req, func(conn *sql.Conn) (transform.Mapping, int, error) {
		if err := stage(ctx, conn, src); err != nil {
			return transform.Mapping{}, 0, err
		}
		return src.Mapping(), src.Skipped(), nil
	})
}

// stager fills temp.stage_raw on the load's connection and says how the
// file's columns were mapped and how many title rows it skipped.
type stager func(conn *sql.Conn) (transform.Mapping, int, error)

func (w *Warehouse) load(ctx context.Context, req LoadRequest, stageRows stager) (LoadResult, error) {
	var res LoadResult
	if prior, err := w.FindLoad(ctx, req.SHA256); err != nil {
		return res, err
	} else if prior != nil {
		res.AlreadyLoaded = prior
		return res, nil
	}
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return res, err
	}
	defer conn.Close()
	defer conn.ExecContext(context.Background(), `DROP TABLE IF EXISTS temp.stage_raw; DROP TABLE IF EXISTS temp.stage_typed; DROP TABLE IF EXISTS temp.stage_repeats; DROP TABLE IF EXISTS temp.stage_class`)

	began := time.Now()
	mapping, skipped, err := stageRows(conn)
	if err != nil {
		return res, err
	}
	w.log.Debug("staged", "path", req.Path, "seconds", time.Since(began).Seconds())
	res.Skipped = int64(skipped)

	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return res, err
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `SELECT nextval('load_id_seq')`).Scan(&res.LoadID); err != nil {
		return res, fmt.Errorf("numbering the load: %w", err)
	}
	// The stage keeps its rows' order; the steps below need not, and use
	// less memory without it.
	if _, err := tx.ExecContext(ctx, "SET preserve_insertion_order = false"); err != nil {
		return res, err
	}
	defer conn.ExecContext(context.Background(), "RESET preserve_insertion_order")
	data := templateData(req, mapping, res.LoadID)
	if data.dateStyles, err = dateStyles(ctx, tx); err != nil {
		return res, err
	}
	for _, name := range []string{"load/10_normalize.sql", "load/20_merge.sql"} {
		q, err := render(name, data)
		if err != nil {
			return res, err
		}
		for i, stmt := range splitStatements(q) {
			if dir := os.Getenv("WARDSTAT_PROFILE"); dir != "" {
				// Developers: DuckDB's profile of each load statement, as JSON.
				out := filepath.Join(dir, fmt.Sprintf("%s-%d.json", strings.TrimSuffix(filepath.Base(name), ".sql"), i+1))
				if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA enable_profiling = 'json'; PRAGMA profiling_output = '%s'", out)); err != nil {
					return res, err
				}
			}
			step := time.Now()
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return res, fmt.Errorf("%s: %w", name, err)
			}
			w.log.Debug("ran", "step", name, "statement", i+1, "seconds", time.Since(step).Seconds())
		}
	}
	var staged int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM stage_raw`).Scan(&staged); err != nil {
		return res, err
	}
	if err := tx.QueryRowContext(ctx, `
		SELECT (SELECT count(*) FROM stage_typed),
		       count(*) FILTER (class = 'new'),
		       count(*) FILTER (class = 'changed'),
		       count(*) FILTER (class IN ('repeated', 'unchanged')),
		       (SELECT count(*) FROM stage_typed WHERE reject_code IS NOT NULL)
		FROM stage_class`).Scan(&res.Read, &res.New, &res.Changed, &res.Duplicate, &res.Rejected); err != nil {
		return res, fmt.Errorf("counting the load: %w", err)
	}
	res.Loaded = res.New + res.Changed
	res.Skipped += staged - res.Read
	if res.Read != res.Loaded+res.Rejected+res.Duplicate {
		return res, fmt.Errorf("rows do not add up (read %d, loaded %d, rejected %d, duplicate %d): nothing was loaded; this is a bug, please report it",
			res.Read, res.Loaded, res.Rejected, res.Duplicate)
	}
	if res.Wards, err = stagedWards(ctx, tx); err != nil {
		return res, err
	}
	if res.Warnings, err = warnings(ctx, tx, mapping); err != nil {
		return res, err
	}
	if res.Rejects, err = firstRejects(ctx, tx, res.LoadID, 20); err != nil {
		return res, err
	}
	headerMap, _ := json.Marshal(mapping.SourceMap())
	warnJSON, _ := json.Marshal(res.Warnings)
	ward := sql.NullString{String: req.Ward, Valid: req.Ward != ""}
	if !ward.Valid && len(res.Wards) == 1 {
		ward = sql.NullString{String: res.Wards[0], Valid: true}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, current_localtimestamp(), ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		res.LoadID, req.Path, req.SHA256, ward, nullable(req.Source), req.Format,
		res.Read, res.Loaded, res.New, res.Changed, res.Rejected, res.Duplicate, res.Skipped,
		string(headerMap), string(warnJSON)); err != nil {
		return res, fmt.Errorf("recording the load: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("committing the load: %w", err)
	}
	w.log.Debug("loaded", "path", req.Path, "seconds", time.Since(began).Seconds())
	return res, nil
}

// splitStatements splits a model file at the semicolons that end a line.
// (The load models hold no semicolon inside a string at a line's end.)
func splitStatements(q string) []string {
	var out []string
	for _, part := range strings.Split(q, ";\n") {
		if strings.TrimSpace(stripComments(part)) != "" {
			out = append(out, part)
		}
	}
	return out
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func nullable(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// stage appends the rows, as text, to a temp table on the load's connection.
// Temp tables live in memory (spilling to DuckDB's temp folder), never in
// the warehouse file.
func stage(ctx context.Context, conn *sql.Conn, src RowSource) error {
	cols := make([]string, 0, len(transform.StagedFields)+1)
	cols = append(cols, "source_row BIGINT")
	for _, f := range transform.StagedFields {
		cols = append(cols, f+" VARCHAR")
	}
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE stage_raw (`+strings.Join(cols, ", ")+`)`); err != nil {
		return fmt.Errorf("staging: %w", err)
	}
	return conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppender(dc.(driver.Conn), "temp", "main", "stage_raw")
		if err != nil {
			return fmt.Errorf("staging: %w", err)
		}
		args := make([]driver.Value, len(transform.StagedFields)+1)
		var readErr error
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
			args[0] = int64(row.Line)
			for i, v := range row.Values {
				if v == "" {
					args[i+1] = nil
				} else {
					args[i+1] = v
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
}

type loadTemplate struct {
	LoadID     int64
	WardFlag   string
	RawRow     string
	Columns    string
	UpdateSet  string
	InsertCols string
	headers    map[string]string
	dateStyles map[string]string
}

// ColumnsOf lists the state columns qualified by a table alias.
func (t loadTemplate) ColumnsOf(alias string) string {
	out := make([]string, len(stateColumns))
	for i, c := range stateColumns {
		out[i] = alias + "." + c
	}
	return strings.Join(out, ", ")
}

// Header returns a field's source column name as an SQL literal (NULL when unmapped).
func (t loadTemplate) Header(field string) string {
	if h, ok := t.headers[field]; ok {
		return sqlString(h)
	}
	return "NULL"
}

func templateData(req LoadRequest, m transform.Mapping, loadID int64) loadTemplate {
	t := loadTemplate{LoadID: loadID, WardFlag: "NULL", headers: map[string]string{}}
	if req.Ward != "" {
		t.WardFlag = sqlString(req.Ward)
	}
	var pairs []string
	for _, f := range m.SortedFields() {
		h := m.Column(f)
		t.headers[f] = h
		if transform.IsPersonal(f) {
			continue
		}
		pairs = append(pairs, sqlString(h), "stage_raw."+f)
	}
	t.RawRow = "NULL"
	if len(pairs) > 0 {
		t.RawRow = "json_object(" + strings.Join(pairs, ", ") + ")"
	}
	t.Columns = strings.Join(stateColumns, ", ")
	var set, ins []string
	for _, c := range stateColumns {
		ins = append(ins, "s."+c)
		if c != transform.WardCode && c != transform.DossierCode {
			set = append(set, c+" = s."+c)
		}
	}
	t.UpdateSet = strings.Join(set, ", ")
	t.InsertCols = strings.Join(ins, ", ")
	return t
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func render(name string, data any) (string, error) {
	tpl, err := template.New(name).Parse(sqlmodels.Text(name))
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	var b bytes.Buffer
	if err := tpl.Execute(&b, data); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return b.String(), nil
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func stagedWards(ctx context.Context, q querier) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT ward_code FROM stage_class ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func firstRejects(ctx context.Context, q querier, loadID int64, n int) ([]Reject, error) {
	rows, err := q.QueryContext(ctx, `SELECT source_row, reason_code, coalesce(column_name, ''), coalesce(value, ''), reason
		FROM rejects WHERE load_id = ? ORDER BY source_row LIMIT ?`, loadID, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Reject
	for rows.Next() {
		var r Reject
		if err := rows.Scan(&r.Row, &r.Code, &r.Column, &r.Value, &r.Reason); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// warnings finds lenient columns with unreadable cells, resolved dossiers
// with no due date, and wards missing from the unit registry.
func warnings(ctx context.Context, q querier, m transform.Mapping) ([]Warning, error) {
	var out []Warning
	checks := []struct{ field, parsed string }{
		{transform.Status, "status"}, {transform.OnlineLevel, "online_level"},
		{transform.ApologyIssued, "apology_issued"}, {transform.PaidOnline, "paid_online"},
		{transform.Fee, "fee"}, {transform.Digitised, "digitised"},
	}
	for _, c := range checks {
		if _, ok := m.Columns[c.field]; !ok {
			continue
		}
		var n int64
		var example sql.NullString
		err := singleRow(ctx, q, fmt.Sprintf(`SELECT count(*), any_value(%[1]s_raw) FROM stage_typed
			WHERE reject_code IS NULL AND nullif(trim(%[1]s_raw), '') IS NOT NULL AND %[2]s IS NULL`, c.field, c.parsed), &n, &example)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			out = append(out, Warning{Code: "unreadable_value", Column: m.Column(c.field), Count: n, Example: example.String})
		}
	}
	var noDue int64
	if err := singleRow(ctx, q, `SELECT count(*) FROM stage_typed WHERE reject_code IS NULL AND due_at IS NULL AND completed_at IS NOT NULL`, &noDue); err != nil {
		return nil, err
	}
	if noDue > 0 {
		out = append(out, Warning{Code: "no_due_date", Column: m.Column(transform.DueAt), Count: noDue})
	}
	rows, err := q.QueryContext(ctx, `SELECT ward_code, count(*) FROM stage_class
		WHERE ward_code NOT IN (SELECT code FROM units) GROUP BY 1 ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var w Warning
		w.Code = "unknown_ward"
		if err := rows.Scan(&w.Example, &w.Count); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

func singleRow(ctx context.Context, q querier, query string, dest ...any) error {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		return rows.Err()
	}
	return rows.Scan(dest...)
}
