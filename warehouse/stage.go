package warehouse

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"wardstat/transform"
)

// staged is what a stager hands the load: how the file's columns map, how
// many title rows it skipped, and where its cells can be read as text.
type staged struct {
	mapping transform.Mapping
	skipped int
	// sources are SQL relations giving every staged field as a text column,
	// tried in order until DuckDB reads one through.
	sources []string
	// rowOffset makes a row's number from its position: rowid + rowOffset.
	// Negative: the relation has its own source_row column.
	rowOffset int64
	// beside, if set, reads the whole file beside the typing pass (the
	// load calls it in a goroutine, and stops if it fails): in a CSV it
	// finds what adds to rowOffset from some positions on (blank lines and
	// cells that span lines); in JSON it checks that no key the plan does
	// not know changes the mapping.
	beside func() ([]RowFix, error)
	// readerErr is returned, wrapped, when no source reads.
	readerErr error
	// sample, if set, gives rows from across the file (as sources do) to
	// add to the sample of its first rows.
	sample string
	// faults is set when the source may hold rows its reader could not
	// read as written (transform.RowFault: our reader's).
	faults bool
	// decomposed is set when the sample's text holds letters written as a
	// base and its marks (Unicode NFD, as macOS and some web forms write
	// Vietnamese): the text fields are then composed (NFC) as they are
	// typed.
	decomposed bool
	// uncounted is the SQL list of the statuses the figures leave out
	// (uncountedStatuses), read by the typing pass.
	uncounted string
}

// sampleRows is how many rows of a file decide its date styles and the
// category texts parsed up front. The rest of the file is parsed against
// them; a text they miss is parsed afterwards, once per distinct text.
const sampleRows = 4000

// typeStage turns the staged text into temp.stage_typed in one pass over the
// source: each date column through the strptime format its sample reads
// best, each category column through the texts its sample holds. A cell
// those miss is left NULL and its row keeps its text (raw_row), for the full
// parsers to read afterwards (fixUp), once per distinct text.
func (w *Warehouse) typeStage(ctx context.Context, conn *sql.Conn, st staged, wardFlag string) (*typedStage, error) {
	var lastErr error
	for _, src := range st.sources {
		ts, err := w.typeStageFrom(ctx, conn, src, st, wardFlag)
		if err == nil {
			return ts, nil
		}
		lastErr = err
		w.log.Debug("DuckDB could not read the source", "err", quotedMasked(firstLine(err.Error())))
		if st.readerErr == nil || ctx.Err() != nil {
			return nil, err
		}
	}
	if st.readerErr != nil {
		return nil, fmt.Errorf("%w: %v", st.readerErr, quotedMasked(firstLine(lastErr.Error())))
	}
	return nil, lastErr
}

// typedStage is what the typing pass made: the columns of stage_typed
// (stored or not).
type typedStage struct {
	cols []stageColumn
	// orders are the order of day and month of each date column
	// (dateOrders), in which the full parser reads what the pass left.
	orders map[string]string
}

// stored reports whether stage_typed stores a column.
func (ts *typedStage) stored(name string) bool {
	for _, c := range ts.cols {
		if c.name == name {
			return !c.absent
		}
	}
	return false
}

func (w *Warehouse) typeStageFrom(ctx context.Context, conn *sql.Conn, src string, st staged, wardFlag string) (*typedStage, error) {
	// The sample is the file's first rows, and stage_typed's row ids are
	// its positions: both need DuckDB to keep the source's order.
	if _, err := conn.ExecContext(ctx, "SET preserve_insertion_order = true"); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE stage_sample AS SELECT * FROM %s LIMIT %d`, src, sampleRows)); err != nil {
		return nil, fmt.Errorf("sampling: %w", err)
	}
	if st.sample != "" {
		// Only a guide: a sample DuckDB cannot read is left out.
		if _, err := conn.ExecContext(ctx, `INSERT INTO stage_sample SELECT * FROM `+st.sample); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("sampling: %w", err)
			}
			w.log.Debug("the lines sampled across the file could not be read", "err", quotedMasked(firstLine(err.Error())))
		}
	}
	began := time.Now()
	styles, evidence, err := dateStyles(ctx, conn)
	if err != nil {
		return nil, err
	}
	orders := dateOrders(evidence)
	w.log.Debug("sampled dates", "seconds", time.Since(began).Seconds(), "styles", styles, "orders", orders)
	cats := map[string][]literal{}
	for _, c := range categories {
		if _, ok := st.mapping.Columns[c.field]; !ok && c.field != transform.Channel {
			continue
		}
		if cats[c.field], err = sampleLiterals(ctx, conn, c); err != nil {
			return nil, err
		}
	}
	if _, ok := st.mapping.Columns[transform.Fee]; ok {
		if cats[transform.Fee], err = sampleFeeLiterals(ctx, conn); err != nil {
			return nil, err
		}
	}
	var feeTexts []string
	for _, l := range cats[transform.Fee] {
		feeTexts = append(feeTexts, (*transform.Hasher)(nil).MaskCell(transform.Fee, l.raw))
	}
	w.log.Debug("sampled categories", "seconds", time.Since(began).Seconds(), "fee_texts", feeTexts)
	if st.decomposed, err = decomposedText(ctx, conn, st.mapping); err != nil {
		return nil, err
	}
	if st.uncounted, err = uncountedStatuses(ctx, conn); err != nil {
		return nil, err
	}
	q, cols := typedStageQuery(src, st, styles, cats, wardFlag)
	if err := profile(ctx, conn, "05_type"); err != nil {
		return nil, err
	}
	if os.Getenv("WARDSTAT_PROFILE") != "" {
		w.log.Debug("typing", "query", q)
	}
	if err := w.typeInOrder(ctx, conn, q); err != nil {
		return nil, fmt.Errorf("typing the staged rows: %w", err)
	}
	if err := profile(ctx, conn, ""); err != nil {
		return nil, err
	}
	// A file whose first rows did not show its categories or dates (sorted
	// by channel or status) leaves every later row's to the fix-up, which
	// reads them row by row: 1 M such rows took 45 s. When many rows kept
	// their text, those rows are sampled, and all typed again, once.
	ts := &typedStage{cols: cols, orders: orders}
	again, err := resample(ctx, conn, ts, st.mapping, styles, evidence, cats)
	if err != nil {
		return nil, err
	}
	if again {
		w.log.Debug("typing again: categories or date styles past the sample", "orders", ts.orders)
		q, cols = typedStageQuery(src, st, styles, cats, wardFlag)
		if err := w.typeInOrder(ctx, conn, q); err != nil {
			return nil, fmt.Errorf("typing the staged rows: %w", err)
		}
		ts.cols = cols
	}
	return ts, nil
}

// typeInOrder runs the typing pass (q, a CREATE TABLE AS), keeping the
// source's order: stage_typed's row ids are the rows' positions, from which
// every dossier's and reject's line is told. DuckDB keeps the order of a
// parallel CREATE TABLE AS only when every operator of its plan carries the
// source's batches (BATCH_CREATE_TABLE_AS); one that does not, such as the
// join DuckDB makes of an IN of five constants, let the threads write in
// any order, and a 127 k-row file's rows were numbered 43,788 lines off
// with no error. So the plan is looked at first (a few milliseconds), and
// a plan that would lose the order runs on one thread, which keeps it.
func (w *Warehouse) typeInOrder(ctx context.Context, conn *sql.Conn, q string) error {
	ordered, err := keepsOrder(ctx, conn, q)
	if err != nil {
		return err
	}
	if !ordered {
		w.log.Warn("the typing pass runs on one thread: its plan would not keep the rows' order")
		if _, err := conn.ExecContext(ctx, "SET threads = 1"); err != nil {
			return err
		}
		defer conn.ExecContext(context.Background(), "RESET threads")
	}
	_, err = conn.ExecContext(ctx, q)
	return err
}

// keepsOrder says whether DuckDB's plan for a CREATE TABLE AS q writes the
// rows in the source's order in parallel (BATCH_CREATE_TABLE_AS).
func keepsOrder(ctx context.Context, conn *sql.Conn, q string) (bool, error) {
	rows, err := conn.QueryContext(ctx, "EXPLAIN "+q)
	if err != nil {
		return false, fmt.Errorf("planning: %w", err)
	}
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var key, value string
		if err := rows.Scan(&key, &value); err != nil {
			return false, fmt.Errorf("planning: %w", err)
		}
		plan.WriteString(value)
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("planning: %w", err)
	}
	return strings.Contains(plan.String(), "BATCH_CREATE_TABLE_AS"), nil
}

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

func cat(field string, outs ...string) category {
	c := category{field: field}
	for i := 0; i < len(outs); i += 3 {
		c.outs = append(c.outs, struct{ name, parse, typ string }{outs[i], outs[i+1], outs[i+2]})
	}
	return c
}

// The closed vocabularies, stored as ENUMs since schema 7 (a one-byte code
// is far cheaper to write than a text). They are spelled out rather than
// named: DuckDB 1.5 cannot replay an ALTER to a named type from its WAL.
// sql/migrations/007 spells them the same.
const (
	channelType     = "ENUM('online', 'direct', 'postal')"
	onlineLevelType = "ENUM('full', 'partial', 'none')"
	dueSourceType   = "ENUM('export', 'catalogue')"
)

var categories = []category{
	cat(transform.Channel, "channel", "ws_channel(%s)", channelType, "channel_level", "ws_online_level(%s)", onlineLevelType),
	cat(transform.OnlineLevel, "online_level_in", "ws_online_level(%s)", onlineLevelType),
	cat(transform.Status, "status", "ws_status(%s)", "SMALLINT"),
	cat(transform.ApologyIssued, "apology_issued", "ws_bool(%s)", "BOOLEAN"),
	cat(transform.PaidOnline, "paid_online", "ws_bool(%s)", "BOOLEAN"),
	cat(transform.Digitised, "digitised", "ws_bool(%s)", "BOOLEAN"),
}

// categoryCodes are the codes of the national catalogue a category column
// may hold, read whether or not the sample shows them: their parsers read
// them the same in every file, and an export in date order shows only
// the resolved status (10) in its first rows, the pending codes last
// (1 M JSON records took 11.6 s, typed twice, instead of 7.3 s).
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
// with their values: a file where half the fees are "Miễn phí" kept half
// its rows for the fix-up (1 M rows: 17 s instead of 5 s).
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

// stageColumn is one column of stage_typed: its type, the expression over
// the source's cells (inner) and the one over inner's columns (outer).
// An absent column is not stored: the file has no such field, and
// stage_all gives it as NULL.
type stageColumn struct {
	name, typ, inner, outer string
	absent                  bool
}

// typedStageQuery is the one pass from the source's text to stage_typed,
// with the columns it stores.
func typedStageQuery(src string, st staged, styles map[string][]string, cats map[string][]literal, wardFlag string) (string, []stageColumn) {
	m := st.mapping
	mapped := func(f string) bool { _, ok := m.Columns[f]; return ok }
	var cols []stageColumn
	var inner []string
	add := func(name, typ, in, out string, absent bool) {
		if absent {
			// Not stored, but there for the expressions over inner's columns.
			if in != "" {
				inner = append(inner, fmt.Sprintf("NULL::%s AS %s", typ, name))
			}
			cols = append(cols, stageColumn{name: name, typ: typ, absent: true})
			return
		}
		if in != "" {
			inner = append(inner, in+" AS "+name)
			if out == "" {
				out = name
			}
		}
		cols = append(cols, stageColumn{name: name, typ: typ, inner: in, outer: out})
	}
	// text names a source cell's text among inner's columns (not stored).
	passed := map[string]bool{}
	text := func(field string) string {
		if !passed[field] {
			passed[field] = true
			inner = append(inner, fmt.Sprintf("s.%s AS %[1]s_text", field))
		}
		return field + "_text"
	}
	if st.rowOffset < 0 {
		add("row_in", "BIGINT", "s.source_row", "", false)
	}
	// Text fields: the cleaning only where a cell needs it (see
	// textFieldsTrimmed for the __ok and __t columns).
	cleaned := func(f string) string { return fmt.Sprintf("ws_c_pre(s.%[1]s, s.%[1]s__ok, s.%[1]s__t)", f) }
	// A spreadsheet's error ("#N/A") is no dossier code or ward code: the
	// row is rejected (missing_code), its text kept; the ward is found as
	// for an empty cell. Only a cell that needs cleaning can be one
	// (ws_clean): the test costs nothing on the others.
	cleanedText := cleaned
	cleaned = func(f string) string {
		if f != transform.DossierCode && f != transform.WardCode {
			return cleanedText(f)
		}
		return fmt.Sprintf("CASE WHEN s.%[1]s__ok THEN %[2]s WHEN coalesce(ws_excel_error(s.%[1]s__t), false) THEN NULL ELSE %[2]s END", f, cleanedText(f))
	}
	if st.decomposed {
		plain := cleaned
		cleaned = func(f string) string { return "nfc_normalize(" + plain(f) + ")" }
	}
	for _, f := range textFields {
		expr := cleaned(f)
		if f == transform.DossierCode {
			expr = "ws_code(" + expr + ")" // no NUL or line break inside a code
		}
		add(f, "VARCHAR", expr, "", !mapped(f) && f != transform.DossierCode)
	}
	add("ward_fallback", "VARCHAR", fmt.Sprintf("CASE WHEN %s IS NULL THEN coalesce(%s, ws_dossier_prefix(%s)) END",
		cleaned(transform.WardCode), wardFlag, "ws_code("+cleaned(transform.DossierCode)+")"), "", false)
	add("ward_name_raw", "VARCHAR", "nullif(s.ward_name, '')", "", !mapped(transform.WardName))
	add("ward_from_name", "VARCHAR", "", "NULL::VARCHAR", !mapped(transform.WardName))
	// A cell the fast readers below miss is left NULL, and its row keeps
	// its text (raw_row); unread lists those conditions.
	var unread []string
	// Categories: the sample's texts; the rest afterwards.
	for _, c := range categories {
		lits := cats[c.field]
		absent := !mapped(c.field) && c.field != transform.Channel
		for i, o := range c.outs {
			var b strings.Builder
			b.WriteString("CASE")
			for _, l := range lits {
				if l.raw == "" {
					fmt.Fprintf(&b, " WHEN s.%s IS NULL OR s.%[1]s = '' THEN %s", c.field, l.values[i])
				} else {
					fmt.Fprintf(&b, " WHEN s.%s = %s THEN %s", c.field, sqlString(l.raw), l.values[i])
				}
			}
			fmt.Fprintf(&b, " ELSE NULL::%s END", o.typ)
			add(o.name, o.typ, b.String(), "", absent)
		}
		if mapped(c.field) {
			unread = append(unread, fmt.Sprintf("(%s IS NULL AND %s <> '')", c.outs[0].name, text(c.field)))
		}
	}
	// Fee: the common forms at once (ws_fee_fast); "50.000 đ", "miễn
	// phí"… afterwards.
	feeExpr := "ws_fee_fast(s.fee)"
	if lits := cats[transform.Fee]; len(lits) > 0 {
		// The texts the fast reading misses that the sample shows ("miễn
		// phí"), each with its value; only the rows it misses test them.
		var b strings.Builder
		b.WriteString("coalesce(ws_fee_fast(s.fee), CASE")
		for _, l := range lits {
			fmt.Fprintf(&b, " WHEN s.fee = %s THEN %s", sqlString(l.raw), l.values[0])
		}
		b.WriteString(" END)")
		feeExpr = b.String()
	}
	add("fee", "DOUBLE", feeExpr, "", !mapped(transform.Fee))
	if mapped(transform.Fee) {
		unread = append(unread, fmt.Sprintf("(fee IS NULL AND %s <> '')", text(transform.Fee)))
	}
	// Dates: each column's style; the rest afterwards.
	for _, f := range dateFields {
		name := dateColumn(f)
		expr := "NULL::TIMESTAMP"
		if fs := styles[f]; len(fs) > 0 {
			// A cell the first style misses is tried in the next.
			reads := make([]string, len(fs))
			for i, style := range fs {
				reads[i] = fmt.Sprintf("ws_ts_in_range(%s)", styleExpr(style, "s."+f))
			}
			expr = reads[0]
			if len(reads) > 1 {
				expr = "coalesce(" + strings.Join(reads, ", ") + ")"
			}
		}
		add(name, "TIMESTAMP", expr, "", !mapped(f))
		if mapped(f) {
			// A cell that says there is no date ("-", "Chưa có") is empty.
			unread = append(unread, fmt.Sprintf("(%s IS NULL AND ws_date_text(%s) IS NOT NULL)", name, text(f)))
		}
	}
	// Keys come as 32 hex digits and are stored as the 128-bit number.
	add("applicant_key", "UUID", "nullif(s.applicant_key, '')::UUID", "", !hasApplicantColumns(m))
	add("due_source_in", dueSourceType, "", "", true)
	// A row its reader could not read as written is rejected with that
	// fault (15_check.sql), whatever its cells say: never a title line.
	add(transform.RowFault, "VARCHAR", "s."+transform.RowFault, "", !st.faults)
	// Title, subtotal and footer lines lack a code or a receipt date; only
	// there is the full test run. So does the header again, as a report
	// printed page by page repeats it: a code that is the code column's
	// name.
	notDossier := ""
	if h := strings.TrimSpace(m.Column(transform.DossierCode)); h != "" {
		notDossier = fmt.Sprintf(" OR coalesce(lower(trim(%s)) = %s, false)", text(transform.DossierCode), sqlString(strings.ToLower(h)))
	}
	// A dossier not accepted yet (1) or refused at intake (3) has no
	// receipt date as a rule: the form counts it nowhere (statuses.counted),
	// so it is left out (LoadResult.NotAccepted), not rejected as an error
	// to fix.
	if mapped(transform.Status) && st.uncounted != "" {
		notDossier += fmt.Sprintf(" OR coalesce(status IN (%s) AND received_at IS NULL AND ws_date_text(%s) IS NULL, false)", st.uncounted, text(transform.ReceivedAt))
	}
	add("non_data", "BOOLEAN", "", fmt.Sprintf(`CASE WHEN (dossier_code IS NOT NULL AND received_at IS NOT NULL) OR row_fault IS NOT NULL THEN false
		ELSE ws_non_data(%s, %s, %s)%s END`, text(transform.DossierCode), text(transform.ReceivedAt), text(transform.FirstCell), notDossier), false)
	// The file's own text, keyed by field, of the rows with a cell to read
	// afterwards or that may be rejected: for the full parsers and the
	// rejects table. Most rows have none.
	var pairs []string
	for _, f := range rawFields(m) {
		cell := text(f)
		if slices.Contains(dateFields, f) {
			// A cell that says there is no date ("-", "Chưa có") is not
			// kept: read afterwards, it would be an unreadable date.
			cell = "ws_date_text(" + cell + ")"
		}
		pairs = append(pairs, sqlString(f), cell)
	}
	present := map[string]bool{}
	for _, c := range cols {
		present[c.name] = !c.absent
	}
	suspect := append([]string{"dossier_code IS NULL", "received_at IS NULL", "channel IS NULL", "row_fault IS NOT NULL"}, unread...)
	if present[transform.WardCode] {
		suspect = append(suspect, "coalesce(ward_code, ward_fallback) IS NULL")
	} else {
		suspect = append(suspect, "ward_fallback IS NULL")
	}
	if present["status"] {
		suspect = append(suspect,
			fmt.Sprintf("(status IN (7, 8) AND coalesce(%s) IS NULL)", presentOf(present, "withdrawn_in", "completed_in", "returned_at")),
			fmt.Sprintf("(status IN (9, 10) AND coalesce(%s) IS NULL)", presentOf(present, "completed_in", "returned_at")))
	}
	for _, d := range []string{"completed_in", "returned_at", "withdrawn_in", "due_at"} {
		if present[d] {
			suspect = append(suspect, d+"::DATE < received_at::DATE")
		}
	}
	rawRow := "json_object()"
	if len(pairs) > 0 {
		rawRow = "json_object(" + strings.Join(pairs, ", ") + ")"
	}
	add("raw_row", "JSON", "", fmt.Sprintf("CASE WHEN NOT non_data AND (%s) THEN %s END", strings.Join(suspect, " OR "), rawRow), false)
	var outer []string
	for _, c := range cols {
		if !c.absent {
			outer = append(outer, c.outer+" AS "+c.name)
		}
	}
	return fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE stage_typed AS
SELECT %s
FROM (SELECT %s
      FROM %s s)`, strings.Join(outer, ",\n       "), strings.Join(inner, ",\n            "), textFieldsTrimmed(src)), cols
}

// decomposedText says whether the sample's text fields hold decomposed
// letters (NFD): "Hộ tịch" so written is another text than the same word
// composed, and a sector or a procedure would count twice in every mart.
// Composing costs ~0.7 µs a cell, so only a file whose sample shows it
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

// textFields are the staged fields kept as cleaned text.
var textFields = []string{transform.DossierCode, transform.ProcedureCode, transform.ProcedureName, transform.Sector, transform.WardCode}

// textFieldsTrimmed wraps a source with, for each text field f, whether its
// cell needs no cleaning (f__ok) and, where it does, the cell with spaces
// trimmed (f__t); ws_c_pre takes it from there. Two steps, so that each is
// computed once: as one expression, the trimmed text was computed again for
// every test of it, and an export padded with spaces loaded 1.5x slower.
func textFieldsTrimmed(src string) string {
	oks := make([]string, len(textFields))
	trims := make([]string, len(textFields))
	for i, f := range textFields {
		oks[i] = fmt.Sprintf("ws_clean(%[1]s) AS %[1]s__ok", f)
		trims[i] = fmt.Sprintf("CASE WHEN %[1]s__ok THEN %[1]s ELSE trim(%[1]s) END AS %[1]s__t", f)
	}
	return fmt.Sprintf("(SELECT *, %s FROM (SELECT *, %s FROM %s))",
		strings.Join(trims, ", "), strings.Join(oks, ", "), src)
}

// presentOf is the stored columns among names, as a coalesce argument list.
func presentOf(present map[string]bool, names ...string) string {
	var out []string
	for _, n := range names {
		if present[n] {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return "NULL"
	}
	return strings.Join(out, ", ")
}

// stageAllView gives every column of stage_typed, those not stored as
// NULL, and the text of each cell read afterwards as <field>_raw (NULL
// where the row kept no text or the cell was blank).
func stageAllView(cols []stageColumn) string {
	sel := []string{"rid"}
	for _, c := range cols {
		if c.absent {
			sel = append(sel, fmt.Sprintf("NULL::%s AS %s", c.typ, c.name))
		} else {
			sel = append(sel, c.name)
		}
	}
	for i, f := range readLater {
		sel = append(sel, fmt.Sprintf("nullif(ws_cell_trim(kept[%d]), '') AS %s_raw", i+1, f))
	}
	return "CREATE OR REPLACE TEMP VIEW stage_all AS SELECT " + strings.Join(sel, ", ") +
		" FROM (SELECT *, rowid AS rid, " + keptTexts("raw_row", readLater) + " AS kept FROM stage_typed)"
}

// keptTexts is the texts a row kept (a JSON object's, in raw) of fields,
// as a list, NULL in a row that kept none (most rows). The object is
// parsed once per row: a ->> per field parses it again each time, and a
// file whose rows mostly kept their text (600 k rejected of 1 M) spent
// 20 s there.
func keptTexts(raw string, fields []string) string {
	paths := make([]string, len(fields))
	for i, f := range fields {
		paths[i] = sqlString("$." + f)
	}
	return fmt.Sprintf("json_extract_string(%s, [%s])", raw, strings.Join(paths, ", "))
}

// readLater are the fields whose cells the typing pass may leave to the
// full parsers.
var readLater = append([]string{transform.Channel, transform.OnlineLevel, transform.Status,
	transform.ApologyIssued, transform.PaidOnline, transform.Digitised, transform.Fee}, dateFields...)

// rawFields are the mapped fields whose text a row may keep: every staged
// one but personal data.
func rawFields(m transform.Mapping) []string {
	var out []string
	for _, f := range m.SortedFields() {
		if !transform.IsPersonal(f) && slices.Contains(transform.StagedFields, f) {
			out = append(out, f)
		}
	}
	return out
}

// dateColumn names a date field's column in stage_typed: a completion or
// withdrawal date as the file gives it is "_in" until the status rules
// have had their say.
func dateColumn(f string) string {
	switch f {
	case transform.CompletedAt:
		return "completed_in"
	case transform.WithdrawnAt:
		return "withdrawn_in"
	}
	return f
}

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
