package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"wardstat/transform"
)

// resample looks again at the rows that kept their text, when they are
// many (a twentieth of the rows or more): it adds to cats their category
// texts, and to styles the style of each date column the first rows left
// empty (a file sorted by status: no completion dates among the pending
// dossiers first), or another that reads a twentieth of all rows. It says whether it found anything new: the typing is
// then worth doing again. A file whose rows kept their text for other
// reasons (rejects, dates in no fast style) finds nothing.
//
// The rows' dates are evidence of their columns' order too, added to the
// sample's: a column whose first rows showed no order (days of 12 or
// less) and whose later rows show one is read in that order, typed again.
func resample(ctx context.Context, conn *sql.Conn, ts *typedStage, m transform.Mapping, styles map[string][]string, evidence map[string]dateEvidence, cats map[string][]literal) (bool, error) {
	if !ts.stored("raw_row") {
		return false, nil
	}
	var catFields, dates []string
	for _, c := range categories {
		if _, ok := m.Columns[c.field]; ok {
			catFields = append(catFields, c.field)
		}
	}
	if _, ok := m.Columns[transform.Fee]; ok {
		catFields = append(catFields, transform.Fee)
	}
	for _, f := range dateFields {
		if _, ok := m.Columns[f]; ok {
			dates = append(dates, f)
		}
	}
	if len(catFields)+len(dates) == 0 {
		return false, nil
	}
	var kept, all int64
	if err := conn.QueryRowContext(ctx, `SELECT count(raw_row), count(*) FROM stage_typed`).Scan(&kept, &all); err != nil {
		return false, fmt.Errorf("counting the rows that kept their text: %w", err)
	}
	if kept*20 < all {
		return false, nil
	}
	sample := func(fields []string, how string) error {
		cells := make([]string, len(fields))
		for i, f := range fields {
			cells[i] = fmt.Sprintf("kept[%d] AS %s", i+1, f)
		}
		_, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE stage_sample AS SELECT `+strings.Join(cells, ", ")+
			` FROM (SELECT `+keptTexts("raw_row", fields)+` AS kept FROM stage_typed WHERE raw_row IS NOT NULL) `+how)
		if err != nil {
			return fmt.Errorf("sampling the rows that kept their text: %w", err)
		}
		return nil
	}
	found := false
	if len(catFields) > 0 {
		// Every distinct text; sampleLiterals keeps the commonest 48.
		if err := sample(catFields, "GROUP BY ALL"); err != nil {
			return false, err
		}
		for _, c := range append(slices.Clip(categories), category{field: transform.Fee}) {
			if !slices.Contains(catFields, c.field) {
				continue
			}
			var more []literal
			var err error
			if c.field == transform.Fee {
				more, err = sampleFeeLiterals(ctx, conn)
			} else {
				more, err = sampleLiterals(ctx, conn, c)
			}
			if err != nil {
				return false, err
			}
			for _, l := range more {
				if !slices.ContainsFunc(cats[c.field], func(k literal) bool { return k.raw == l.raw }) {
					cats[c.field] = append(cats[c.field], l)
					found = true
				}
			}
		}
	}
	if len(dates) > 0 {
		if err := sample(dateFields, fmt.Sprintf("USING SAMPLE reservoir(%d ROWS) REPEATABLE (1)", sampleRows)); err != nil {
			return false, err
		}
		more, keptEvidence, err := dateStyles(ctx, conn)
		if err != nil {
			return false, err
		}
		for _, f := range dates {
			order, err := laterOrder(ctx, conn, f, ts.orders[f], styles[f], evidence[f], keptEvidence[f])
			if err != nil {
				return false, err
			}
			if order != ts.orders[f] {
				styles[f] = slices.DeleteFunc(more[f], func(x string) bool { return !readsIn(x, order) })
				ts.orders[f] = order
				found = true
				continue
			}
			if len(styles[f]) == 0 {
				if len(more[f]) > 0 {
					styles[f] = more[f]
					found = true
				}
				continue
			}
			// A column whose later rows change style (an old system's rows,
			// then a new one's) gets that style too, if it reads a
			// twentieth of all rows: fewer are cheaper left to the fix-up
			// than a second pass.
			for _, x := range more[f] {
				if len(styles[f]) >= 3 || slices.Contains(styles[f], x) || !readsIn(x, ts.orders[f]) {
					continue
				}
				reads := make([]string, len(styles[f]))
				for i, style := range styles[f] {
					reads[i] = styleExpr(style, "trim("+f+")")
				}
				var n, sampled int64
				if err := conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FILTER (ws_ts_in_range(%s) IS NOT NULL AND coalesce(%s) IS NULL), count(*) FROM stage_sample`,
					styleExpr(x, "trim("+f+")"), strings.Join(reads, ", "))).Scan(&n, &sampled); err != nil {
					return false, fmt.Errorf("sampling dates: %w", err)
				}
				if n*kept*20 >= sampled*all {
					styles[f] = append(styles[f], x)
					found = true
				}
			}
		}
	}
	return found, nil
}

// laterOrder is the order of day and month of date column f once the rows
// that kept their text (kept: their evidence) are seen: the order it has
// (order, read in styles) unless the sample showed none of its own (first)
// and the kept rows show another. Those rows are the ones the first order
// could not read, so they cannot tell a column of the other order (a US
// export whose first rows were all days of 12 or less) from one that holds
// both (day-first dates and a second system's month-first ones); the
// cells the pass read tell: read only in the first order (a day above 12
// read day first), they make the column both orders (x), and so does a
// column read in a style of no order, where they cannot be told apart.
func laterOrder(ctx context.Context, conn *sql.Conn, f, order string, styles []string, first, kept dateEvidence) (string, error) {
	other := kept.order("")
	if first.order("") != "" || other == "" || other == order {
		return order, nil
	}
	for _, style := range styles {
		if readsIn(style, bothOrders) {
			return bothOrders, nil
		}
	}
	if len(styles) == 0 {
		return other, nil
	}
	// Read in the first order only, a cell whose day is above 12 had its
	// parts the first order's way round only.
	var only, read int64
	col := dateColumn(f)
	if err := conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FILTER (day(%[1]s) > 12), count(%[1]s) FROM stage_typed`, col)).Scan(&only, &read); err != nil {
		return "", fmt.Errorf("sampling the order of day and month: %w", err)
	}
	if (dateEvidence{day: only, either: read - only}).order("") != "" {
		return bothOrders, nil
	}
	return other, nil
}

// category is a column of few distinct texts, each read by a parser macro
// into one or more typed columns.
type category struct {
	field string
	// outs are the typed columns, each with its parser of a text.
	outs []struct{ name, parse, typ string }
}

// categoryCodes are the codes of the national catalogue a category column
// may hold, read whether or not the sample shows them: their parsers read
// them the same in every file, and an export in date order shows only
// the resolved status (10) in its first rows, the pending codes last
// (which would have the file typed twice).
var categoryCodes = map[string][]string{
	transform.Status:  {"'0'", "'1'", "'2'", "'3'", "'4'", "'5'", "'6'", "'7'", "'8'", "'9'", "'10'"},
	transform.Channel: {"'1'", "'2'", "'3'"},
}

// literal is one text of a category column with its typed values (SQL
// literals). raw "" stands for an empty cell.
type literal struct {
	raw    string
	values []string
}

// sampleLiterals reads the distinct texts of a category column in the
// sample, most frequent first, with their parsed values. Texts the parser
// cannot read are left out: they keep their text, to be reported.
func sampleLiterals(ctx context.Context, conn *sql.Conn, c category) ([]literal, error) {
	// Each value comes back as an SQL literal of its type.
	outs := make([]string, len(c.outs))
	for i, o := range c.outs {
		p := fmt.Sprintf(o.parse, "nullif(raw, '')")
		outs[i] = fmt.Sprintf(`CASE WHEN (%[1]s) IS NULL THEN 'NULL' ELSE '''' || replace((%[1]s)::VARCHAR, '''', '''''') || '''::%[2]s' END`, p, strings.ReplaceAll(o.typ, "'", "''"))
	}
	// The empty cell is always among the texts: it has its own meaning
	// (an empty channel is a direct one). So are the national codes
	// (categoryCodes), after the sample's own texts.
	seeds := "NULL"
	if codes := categoryCodes[c.field]; len(codes) > 0 {
		seeds = "unnest([NULL, " + strings.Join(codes, ", ") + "])"
	}
	rows, err := conn.QueryContext(ctx, fmt.Sprintf(`SELECT raw, %s, (%s) IS NOT NULL FROM (
		SELECT coalesce(v, '') AS raw, count(*) AS n FROM (SELECT %s AS v FROM stage_sample UNION ALL SELECT %s)
		GROUP BY 1 ORDER BY n DESC, raw LIMIT 48)`,
		strings.Join(outs, ", "), fmt.Sprintf(c.outs[0].parse, "nullif(raw, '')"), c.field, seeds))
	if err != nil {
		return nil, fmt.Errorf("sampling %s: %w", c.field, err)
	}
	defer rows.Close()
	var out []literal
	for rows.Next() {
		l := literal{values: make([]string, len(c.outs))}
		dest := []any{&l.raw}
		for i := range l.values {
			dest = append(dest, &l.values[i])
		}
		var ok bool
		dest = append(dest, &ok)
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		if ok || l.raw == "" {
			out = append(out, l)
		}
	}
	return out, rows.Err()
}

// sampleFeeLiterals reads the commonest fee texts of the sample that
// ws_fee_fast does not read and ws_fee does ("miễn phí", "0 đồng (miễn)"),
// with their values: otherwise a file where half the fees are "Miễn phí"
// leaves half its rows to the fix-up.
func sampleFeeLiterals(ctx context.Context, conn *sql.Conn) ([]literal, error) {
	rows, err := conn.QueryContext(ctx, `SELECT raw, ws_fee(raw)::VARCHAR FROM (
		SELECT fee AS raw, count(*) AS n FROM stage_sample
		WHERE fee <> '' AND ws_fee_fast(fee) IS NULL GROUP BY 1 ORDER BY n DESC, raw LIMIT 16)
		WHERE ws_fee(raw) IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("sampling fees: %w", err)
	}
	defer rows.Close()
	var out []literal
	for rows.Next() {
		var raw, value string
		if err := rows.Scan(&raw, &value); err != nil {
			return nil, err
		}
		out = append(out, literal{raw: raw, values: []string{sqlString(value) + "::DOUBLE"}})
	}
	return out, rows.Err()
}

// decomposedText says whether the sample's text fields hold decomposed
// letters (NFD): "Hộ tịch" so written is another text than the same word
// composed, and a sector or a procedure would count twice in every mart.
// Composing costs time on every cell, so only a file whose sample shows it
// pays.
func decomposedText(ctx context.Context, conn *sql.Conn, m transform.Mapping) (bool, error) {
	var tests []string
	for _, f := range textFields {
		if _, ok := m.Columns[f]; ok {
			tests = append(tests, fmt.Sprintf("bool_or(%[1]s <> nfc_normalize(%[1]s))", f))
		}
	}
	if len(tests) == 0 {
		return false, nil
	}
	var d sql.NullBool
	if err := conn.QueryRowContext(ctx, `SELECT `+strings.Join(tests, " OR ")+` FROM stage_sample`).Scan(&d); err != nil {
		return false, fmt.Errorf("sampling the text's form: %w", err)
	}
	return d.Valid && d.Bool, nil
}
