package warehouse

import (
	"fmt"
	"slices"
	"strings"

	"wardstat/transform"
)

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
	// A row short of cells (missing_cells) is a footer still when it is
	// one ("Tổng cộng" and a count): a dossier's is rejected.
	add("non_data", "BOOLEAN", "", fmt.Sprintf(`CASE WHEN (dossier_code IS NOT NULL AND received_at IS NOT NULL) OR (row_fault IS NOT NULL AND NOT starts_with(row_fault, 'missing_cells')) THEN false
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
	present := typedColumns{}
	for _, c := range cols {
		present[c.name] = !c.absent
	}
	// A row keeps its text when a reject rule may reject it (its Suspect
	// tests, warehouse/rejectrules.go) or a cell is left to read.
	suspect := append(suspectTests(present), unread...)
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

// textFieldsTrimmed wraps a source with, for each text field f, whether its
// cell needs no cleaning (f__ok) and, where it does, the cell with spaces
// trimmed (f__t); ws_c_pre takes it from there. Two steps, so that each is
// computed once: as one expression, the trimmed text would be computed
// again for every test of it.
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
// parsed once per row: a ->> per field would parse it again each time,
// which a file whose rows mostly kept their text pays on every row.
func keptTexts(raw string, fields []string) string {
	paths := make([]string, len(fields))
	for i, f := range fields {
		paths[i] = sqlString("$." + f)
	}
	return fmt.Sprintf("json_extract_string(%s, [%s])", raw, strings.Join(paths, ", "))
}

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
