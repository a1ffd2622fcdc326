package warehouse

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"wardstat/transform"
)

// The load's field lists, made from transform.FieldTable, are the lists
// that were written by hand before it (pinned once). Two differ only in
// order: the text fields (ward_code first, as in the table) and the
// lenient fields (online_level before status).
func TestFieldListsAreTheHandLists(t *testing.T) {
	dates := []string{"submitted_at", "received_at", "due_at", "completed_at", "returned_at", "withdrawn_at", "supplement_requested_at", "supplement_received_at"}
	if !slices.Equal(dateFields, dates) {
		t.Errorf("dateFields = %v", dateFields)
	}
	texts := []string{"dossier_code", "procedure_code", "procedure_name", "sector", "ward_code"}
	if !slices.Equal(slices.Sorted(slices.Values(textFields)), slices.Sorted(slices.Values(texts))) {
		t.Errorf("textFields = %v, want %v in any order", textFields, texts)
	}
	type out = struct{ name, parse, typ string }
	cats := []category{
		{"channel", []out{{"channel", "ws_channel(%s)", "ENUM('online', 'direct', 'postal')"}, {"channel_level", "ws_online_level(%s)", "ENUM('full', 'partial', 'none')"}}},
		{"online_level", []out{{"online_level_in", "ws_online_level(%s)", "ENUM('full', 'partial', 'none')"}}},
		{"status", []out{{"status", "ws_status(%s)", "SMALLINT"}}},
		{"apology_issued", []out{{"apology_issued", "ws_bool(%s)", "BOOLEAN"}}},
		{"paid_online", []out{{"paid_online", "ws_bool(%s)", "BOOLEAN"}}},
		{"digitised", []out{{"digitised", "ws_bool(%s)", "BOOLEAN"}}},
	}
	if !slices.EqualFunc(categories, cats, func(a, b category) bool { return a.field == b.field && slices.Equal(a.outs, b.outs) }) {
		t.Errorf("categories = %v", categories)
	}
	later := append([]string{"channel", "online_level", "status", "apology_issued", "paid_online", "digitised", "fee"}, dates...)
	if !slices.Equal(readLater, later) {
		t.Errorf("readLater = %v", readLater)
	}
	lenient := map[string]string{"status": "status", "online_level": "online_level_in", "apology_issued": "apology_issued",
		"paid_online": "paid_online", "fee": "fee", "digitised": "digitised"}
	got := map[string]string{}
	for _, c := range lenientChecks {
		got[c.field] = c.parsed
	}
	if len(got) != len(lenient) || len(lenientChecks) != len(lenient) {
		t.Errorf("lenientChecks = %v", lenientChecks)
	}
	for f, p := range lenient {
		if got[f] != p {
			t.Errorf("lenient %s reads into %q, want %q", f, got[f], p)
		}
	}
	for f, c := range map[string]string{"completed_at": "completed_in", "withdrawn_at": "withdrawn_in", "due_at": "due_at", "received_at": "received_at"} {
		if dateColumn(f) != c {
			t.Errorf("dateColumn(%s) = %s, want %s", f, dateColumn(f), c)
		}
	}
	for c, e := range map[string]string{"channel": channelType, "online_level": onlineLevelType, "due_source": dueSourceType} {
		if vocabularyOf(c) != e {
			t.Errorf("Vocabulary(%s) = %s, want %s", c, vocabularyOf(c), e)
		}
	}
	// The unreadable dates' rules, in the order the check step tests
	// them, with their words.
	want := [][3]string{
		{"received_at", "ngày tiếp nhận", "receipt date"}, {"due_at", "ngày hẹn trả", "due date"},
		{"completed_at", "ngày có kết quả", "completion date"}, {"withdrawn_at", "ngày rút/dừng", "withdrawal date"},
		{"returned_at", "ngày trả kết quả", "return date"}, {"submitted_at", "ngày nộp", "submission date"},
		{"supplement_requested_at", "ngày yêu cầu bổ sung", "supplement request date"}, {"supplement_received_at", "ngày nhận bổ sung", "supplement date"},
	}
	var codes []string
	for _, r := range RejectRules {
		codes = append(codes, r.Code)
	}
	if i := slices.Index(codes, "bad_date:received_at"); i != 2 || codes[1] != "missing_received" || codes[i+len(want)] != "bad_channel" {
		t.Fatalf("rule order %v", codes)
	}
	for i, w := range want {
		r := RejectRules[2+i]
		typed := map[string]string{"completed_at": "completed_in", "withdrawn_at": "withdrawn_in"}[w[0]]
		if typed == "" {
			typed = w[0]
		}
		when := typed + " IS NULL AND " + w[0] + "_raw IS NOT NULL"
		if w[0] == "received_at" {
			when = "received_at IS NULL"
		}
		if r.Code != "bad_date:"+w[0] || r.FieldName != [2]string{w[1], w[2]} || r.When != when || r.Field != w[0] ||
			r.Value != "ws_mask('"+w[0]+"', "+w[0]+"_raw)" || r.Reason[0] != "không đọc được "+w[1]+" {value}{column}"+badDateVI {
			t.Errorf("rule %d = %+v", 2+i, r)
		}
	}
}

// useFieldTable has the load read a field table in place of
// transform.FieldTable until the test ends: what adding a row to it does.
func useFieldTable(t *testing.T, table []transform.Field) {
	ft, sf, df, rl, rr := transform.FieldTable, transform.StagedFields, dateFields, readLater, RejectRules
	t.Cleanup(func() {
		transform.FieldTable, transform.StagedFields, dateFields, readLater, RejectRules = ft, sf, df, rl, rr
	})
	transform.FieldTable = table
	transform.StagedFields = transform.StagedFieldsOf(table)
	dateFields = transform.DateFields(table)
	readLater = slices.Concat(transform.FieldsOf(table, transform.KindCategory, transform.KindFlag), transform.FieldsOf(table, transform.KindFee), dateFields)
	RejectRules = rejectRules(table)
}

// One row added to the field table is a new date field the load stages,
// samples and parses into a typed column, rejects when unreadable
// (bad_date:<field>, in the check step's CASE) and names in words: no
// other list to edit. (Storing it is a migration's: ALTER TABLE dossiers
// and dossier_history ADD COLUMN, and the state hashes recomputed.)
func TestOneRowAddsADateField(t *testing.T) {
	const f = "reviewed_at"
	useFieldTable(t, append(slices.Clip(transform.FieldTable), transform.DateField(f, "", true, 0, "ngày thẩm định", "review date")))
	ctx := context.Background()
	w, err := Open(ctx, filepath.Join(t.TempDir(), "w.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	conn, err := w.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Staged: the staged text has the field's column.
	if !slices.Contains(transform.StagedFields, f) {
		t.Fatalf("%s is not staged: %v", f, transform.StagedFields)
	}
	cols := make([]string, len(transform.StagedFields))
	for i, s := range transform.StagedFields {
		cols[i] = s + " VARCHAR"
	}
	if _, err := conn.ExecContext(ctx, "CREATE TEMP TABLE stage_src ("+strings.Join(cols, ", ")+")"); err != nil {
		t.Fatal(err)
	}
	rows := [][3]string{{"W1-1", "01/03/2024 08:00", "15/03/2024 09:30"}, {"W1-2", "01/03/2024 08:00", "31/02/2024"},
		{"W1-3", "02/03/2024 08:00", ""}, {"W1-4", "02/03/2024 08:00", "16/03/2024 10:00"}}
	for _, r := range rows {
		if _, err := conn.ExecContext(ctx, "INSERT INTO stage_src (dossier_code, received_at, "+f+") VALUES (?, ?, ?)", r[0], r[1], r[2]); err != nil {
			t.Fatal(err)
		}
	}
	m := transform.Mapping{Headers: []string{"Mã hồ sơ", "Ngày tiếp nhận", "Ngày thẩm định"},
		Columns: map[string]int{transform.DossierCode: 0, transform.ReceivedAt: 1, f: 2}}
	st := staged{mapping: m, sources: []string{"(SELECT * FROM stage_src)"}, rowOffset: 2}
	data := templateData(LoadRequest{Ward: "W1"}, m, 1)
	ts, err := w.typeStage(ctx, conn, st, data.WardFlag)
	if err != nil {
		t.Fatal(err)
	}
	// Sampled and parsed: its column is typed, in the style its sample shows.
	if !ts.stored(f) || !slices.ContainsFunc(ts.cols, func(c stageColumn) bool {
		return c.name == f && c.typ == "TIMESTAMP" && strings.Contains(c.inner, "%d/%m/%Y")
	}) {
		t.Fatalf("%s is not typed as a TIMESTAMP in its sampled style: %+v", f, ts.cols)
	}
	if err := w.fixUp(ctx, conn, ts); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, stageAllView(ts.cols)); err != nil {
		t.Fatal(err)
	}
	if err := w.runModel(ctx, conn, "load/15_check.sql", data); err != nil {
		t.Fatal(err)
	}
	got, err := conn.QueryContext(ctx, "SELECT dossier_code, "+f+", coalesce(reject_code, '') FROM stage_checked ORDER BY rid")
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	want := []struct {
		code   string
		at     time.Time
		reject string
	}{
		{"W1-1", time.Date(2024, 3, 15, 9, 30, 0, 0, time.UTC), ""},
		{"W1-2", time.Time{}, "bad_date:" + f}, // rejected when unreadable
		{"W1-3", time.Time{}, ""},
		{"W1-4", time.Date(2024, 3, 16, 10, 0, 0, 0, time.UTC), ""},
	}
	i := 0
	for ; got.Next(); i++ {
		var code, reject string
		var at *time.Time
		if err := got.Scan(&code, &at, &reject); err != nil {
			t.Fatal(err)
		}
		var a time.Time
		if at != nil {
			a = *at
		}
		if i >= len(want) || code != want[i].code || !a.Equal(want[i].at) || reject != want[i].reject {
			t.Errorf("row %d: %s %v %q", i, code, a, reject)
		}
	}
	if i != len(want) {
		t.Errorf("%d rows, want %d", i, len(want))
	}
	// Labelled: its rule names it in words, in the command line's lines
	// and the view reject_reasons alike.
	r, ok := RejectRuleOf("bad_date:" + f)
	if !ok || r.FieldName != [2]string{"ngày thẩm định", "review date"} || r.Field != f {
		t.Fatalf("rule %+v", r)
	}
	if line := r.Text(1, map[string]string{"value": `"31/02/2024"`}); line != `unreadable review date "31/02/2024"; write it as dd/mm/yyyy [HH:MM] or yyyy-mm-dd` {
		t.Errorf("line %q", line)
	}
	if !strings.Contains(rejectReasonsValues(), "'bad_date:"+f+"', 'không đọc được ngày thẩm định {value}") {
		t.Errorf("reject_reasons has no row for %s", f)
	}
	// Kept: a row that may be rejected keeps the field's text.
	if !slices.Contains(rawFields(m), f) {
		t.Errorf("rawFields = %v", rawFields(m))
	}
}
