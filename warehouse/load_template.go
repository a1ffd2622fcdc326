package warehouse

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
	"time"

	sqlmodels "wardstat/sql"
	"wardstat/transform"
)

type execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

// runModel runs a load model's statements one by one, timing each.
func (w *Warehouse) runModel(ctx context.Context, x execer, name string, data loadTemplate) error {
	q, err := render(name, data)
	if err != nil {
		return err
	}
	for i, stmt := range splitStatements(q) {
		if err := profile(ctx, x, fmt.Sprintf("%s-%d", strings.TrimSuffix(filepath.Base(name), ".sql"), i+1)); err != nil {
			return err
		}
		step := time.Now()
		if _, err := x.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := profile(ctx, x, ""); err != nil {
			return err
		}
		w.log.Debug("ran", "step", name, "statement", i+1, "seconds", time.Since(step).Seconds())
	}
	return nil
}

// profile has DuckDB write the profile of the next statement as JSON into
// $WARDSTAT_PROFILE/name.json, for developers; name "" stops profiling.
func profile(ctx context.Context, x execer, name string) error {
	dir := os.Getenv("WARDSTAT_PROFILE")
	if dir == "" {
		return nil
	}
	if name == "" {
		_, err := x.ExecContext(ctx, "PRAGMA disable_profiling")
		return err
	}
	out := filepath.Join(dir, name+".json")
	_, err := x.ExecContext(ctx, fmt.Sprintf("PRAGMA enable_profiling = 'json'; PRAGMA profiling_output = '%s'", out))
	return err
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

type loadTemplate struct {
	LoadID    int64
	WardFlag  string
	Columns   string
	headers   map[string]string
	rowOffset int64
	rowFixes  []RowFix
	rawFields []string
}

// Vocabulary is the ENUM type a state column of that name is stored as.
func (loadTemplate) Vocabulary(column string) string { return vocabularyOf(column) }

// RowOf is the SQL for a stage_typed row's number in its file.
func (t loadTemplate) RowOf(alias string) string {
	rid := alias + ".rid"
	switch {
	case t.rowOffset < 0:
		return alias + ".row_in"
	case len(t.rowFixes) == 0:
		return fmt.Sprintf("(%s + %d)", rid, t.rowOffset)
	case len(t.rowFixes) <= fewRowFixes:
		// The Delta of the last fix at or before the row.
		var b strings.Builder
		fmt.Fprintf(&b, "(%s + %d + CASE", rid, t.rowOffset)
		for i := len(t.rowFixes) - 1; i >= 0; i-- {
			f := t.rowFixes[i]
			fmt.Fprintf(&b, " WHEN %s >= %d THEN %d", rid, f.Record, f.Delta)
		}
		b.WriteString(" ELSE 0 END)")
		return b.String()
	}
	// Many fixes (cells full of line breaks): a CASE per fix would cost
	// every row as many tests, and planning it every statement over the
	// stage seconds. temp.stage_row_fixes (rowFixLists) holds, per block
	// of 64 rows, the number of fixes before it and a bit per row that
	// starts one: a row's fixes are those before its block and the bits
	// up to its own (all of them less those past it), and its Delta is the
	// last of them.
	const lists = "temp.stage_row_fixes"
	return fmt.Sprintf(`(%[1]s + %[2]d + coalesce((SELECT delta FROM %[3]s)[
		coalesce((SELECT before FROM %[3]s)[%[1]s // 64 + 1], %[4]d)
		+ coalesce(bit_count((SELECT bits FROM %[3]s)[%[1]s // 64 + 1]) - bit_count((SELECT bits FROM %[3]s)[%[1]s // 64 + 1] >> (%[1]s %% 64)::UBIGINT >> 1), 0)], 0))`,
		rid, t.rowOffset, lists, len(t.rowFixes))
}

// fewRowFixes is how many row fixes RowOf tests one by one.
const fewRowFixes = 32

// rowFixLists makes temp.stage_row_fixes, the lists RowOf reads many row
// fixes from (sorted by Record, each Record once).
func rowFixLists(ctx context.Context, x execer, fixes []RowFix) error {
	if len(fixes) <= fewRowFixes {
		return nil
	}
	blocks := fixes[len(fixes)-1].Record/64 + 1
	before := make([]string, blocks)
	bits := make([]uint64, blocks)
	deltas := make([]string, len(fixes))
	n := 0
	for b := range blocks {
		before[b] = strconv.Itoa(n)
		for n < len(fixes) && fixes[n].Record/64 == b {
			bits[b] |= 1 << (fixes[n].Record % 64)
			deltas[n] = strconv.FormatInt(fixes[n].Delta, 10)
			n++
		}
	}
	bitTexts := make([]string, blocks)
	for i, v := range bits {
		bitTexts[i] = strconv.FormatUint(v, 10)
	}
	_, err := x.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE stage_row_fixes AS
		SELECT string_split(?, ',')::BIGINT[] AS before, string_split(?, ',')::UBIGINT[] AS bits, string_split(?, ',')::BIGINT[] AS delta`,
		strings.Join(before, ","), strings.Join(bitTexts, ","), strings.Join(deltas, ","))
	if err != nil {
		return fmt.Errorf("numbering the rows: %w", err)
	}
	return nil
}

// RawCells is the SQL giving a staged row's kept texts as a list (parsed
// once), from which RawRow makes the rejects table's raw row.
func (t loadTemplate) RawCells() string {
	if len(t.rawFields) == 0 {
		return "NULL::VARCHAR[]"
	}
	return keptTexts("raw_row", t.rawFields)
}

// RawRow is the SQL turning a staged row's text, keyed by field (RawCells,
// as raw_cells), into the rejects table's, keyed by the file's own headers:
// each cell as written when shaped like its field, else masked (ws_mask).
func (t loadTemplate) RawRow() string {
	var pairs []string
	for i, f := range t.rawFields {
		cell := fmt.Sprintf("raw_cells[%d]", i+1)
		masked := fmt.Sprintf("ws_mask(%s, %s)", sqlString(f), cell)
		switch transform.KindOf(f) {
		case transform.KindText, transform.KindName:
			// Free text has no shape a name lacks: a procedure's name or a
			// sector is kept only when a row of the file that kept no text
			// (a dossier it loads) has it too, among its first seenRows (a
			// name slid into the sector column is in no such row); a
			// ward's name also when the registry knows it.
			col := f
			if f == transform.WardName {
				col = "ward_name_raw"
			}
			seen := fmt.Sprintf("ws_c(%s) IN (SELECT %s FROM stage_typed WHERE rowid < %d AND raw_row IS NULL)", cell, col, seenRows)
			if f == transform.WardName {
				seen = "ward_from_name IS NOT NULL OR " + seen
			}
			masked = fmt.Sprintf("CASE WHEN %s THEN %s ELSE ws_mask('', %s) END", seen, masked, cell)
		}
		pairs = append(pairs, sqlString(t.headers[f]), masked)
	}
	if len(pairs) == 0 {
		return "NULL::JSON"
	}
	return "json_object(" + strings.Join(pairs, ", ") + ")"
}

// seenRows bounds the rows whose good texts tell a reject's free text (a
// procedure's name, a sector) from a name slid into its column: the
// file's first rows, read by row id, so that the rejects of a large file
// cost no scan of it.
const seenRows = 50_000

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
	for _, f := range m.SortedFields() {
		t.headers[f] = m.Column(f)
	}
	t.rawFields = rawFields(m)
	t.Columns = strings.Join(stateColumns, ", ")
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
