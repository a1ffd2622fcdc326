package warehouse

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"wardstat/transform"
)

// fixUp reads, once per distinct text, every cell the typing pass left to
// the full parsers, and names wards from a ward-name column.
func (w *Warehouse) fixUp(ctx context.Context, conn *sql.Conn, ts *typedStage) error {
	// A fix reads the text (text) of the rows where cond holds, parses each
	// distinct text (raw) with from, and stores the result (m) with set; it
	// applies when stage_typed stores col.
	type fix struct{ field, col, cond, text, set, from string }
	var fixes []fix
	kept := func(field, col, set, from string) fix {
		return fix{field, col, "raw_row IS NOT NULL AND " + col + " IS NULL",
			fmt.Sprintf("ws_c(raw_row->>'%s')", field), set, from}
	}
	for _, c := range categories {
		var sets, outs []string
		for _, o := range c.outs {
			sets = append(sets, fmt.Sprintf("%s = m.v_%[1]s", o.name))
			outs = append(outs, fmt.Sprintf(o.parse, "raw")+" AS v_"+o.name)
		}
		fixes = append(fixes, kept(c.field, c.outs[0].name, strings.Join(sets, ", "), strings.Join(outs, ", ")))
	}
	fixes = append(fixes, kept(transform.Fee, "fee", "fee = m.v_fee", "ws_fee(raw) AS v_fee"))
	for _, f := range dateFields {
		fixes = append(fixes, kept(f, dateColumn(f), fmt.Sprintf("%s = m.v_ts", dateColumn(f)),
			fmt.Sprintf("ws_ts_o(raw, %s) AS v_ts", sqlString(cmp.Or(ts.orders[f], dayFirst)))))
	}
	fixes = append(fixes, fix{"ward_name", "ward_name_raw", "ward_name_raw IS NOT NULL", "ward_name_raw",
		"ward_from_name = m.v_code", `(SELECT min(code) FROM unit_names u WHERE u.name_key = ws_unit_key(raw)) AS v_code`})
	stored := fixes[:0]
	for _, f := range fixes {
		if ts.stored(f.col) && (f.field == "ward_name" || ts.stored("raw_row")) {
			stored = append(stored, f)
		}
	}
	fixes = stored
	if len(fixes) == 0 {
		return nil
	}
	// Most files have no row that kept its text: then only the ward-name
	// fix can have anything to read.
	if ts.stored("raw_row") {
		var kept bool
		if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM stage_typed WHERE raw_row IS NOT NULL)`).Scan(&kept); err != nil {
			return fmt.Errorf("looking for cells to read: %w", err)
		}
		if !kept {
			fixes = slices.DeleteFunc(fixes, func(f fix) bool { return f.field != "ward_name" })
			if len(fixes) == 0 {
				return nil
			}
		}
	}
	// Which fixes have anything to read, by a light test (planning the full
	// cleaning fifteen times costs more than the reading): a kept cell's
	// trimmed text, each kept row's texts parsed once; a ward name itself.
	counts := make([]string, len(fixes))
	var keptFields []string
	for i, f := range fixes {
		has := f.text
		if f.field != "ward_name" {
			keptFields = append(keptFields, f.field)
			has = fmt.Sprintf("nullif(ws_cell_trim(kept[%d]), '')", len(keptFields))
		}
		counts[i] = fmt.Sprintf("count(*) FILTER (%s AND %s IS NOT NULL)", f.cond, has)
	}
	from := "stage_typed"
	if len(keptFields) > 0 {
		from = "(SELECT *, " + keptTexts("raw_row", keptFields) + " AS kept FROM stage_typed)"
	}
	n := make([]int64, len(fixes))
	dest := make([]any, len(fixes))
	for i := range n {
		dest[i] = &n[i]
	}
	if err := conn.QueryRowContext(ctx, `SELECT `+strings.Join(counts, ", ")+` FROM `+from).Scan(dest...); err != nil {
		return fmt.Errorf("counting cells to read: %w", err)
	}
	for i, f := range fixes {
		if n[i] == 0 {
			continue
		}
		q := fmt.Sprintf(`UPDATE stage_typed t SET %s
			FROM (SELECT raw, %s FROM (SELECT DISTINCT %s AS raw FROM stage_typed WHERE %s) WHERE raw IS NOT NULL) m
			WHERE %s AND %s = m.raw`, f.set, f.from, f.text, f.cond, f.cond, f.text)
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("reading %s: %w", f.field, err)
		}
	}
	return nil
}

// catalogueDue gives the staged dossiers without a due date the one their
// procedure's allowed working days make, when the catalogue has any.
func (w *Warehouse) catalogueDue(ctx context.Context, conn *sql.Conn, ts *typedStage, data loadTemplate) error {
	var need bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM procedures) AND EXISTS (
		SELECT 1 FROM stage_all WHERE due_at IS NULL AND due_at_raw IS NULL AND received_at IS NOT NULL AND NOT non_data)`).Scan(&need); err != nil {
		return fmt.Errorf("looking for dossiers without a due date: %w", err)
	}
	if !need {
		return nil
	}
	for i, c := range ts.cols {
		if (c.name == "due_at" || c.name == "due_source_in") && c.absent {
			if _, err := conn.ExecContext(ctx, fmt.Sprintf("ALTER TABLE stage_typed ADD COLUMN %s %s", c.name, c.typ)); err != nil {
				return err
			}
			ts.cols[i].absent = false
		}
	}
	if _, err := conn.ExecContext(ctx, stageAllView(ts.cols)); err != nil {
		return err
	}
	return w.runModel(ctx, conn, "load/10_due.sql", data)
}
