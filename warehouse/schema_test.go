package warehouse_test

import (
	"context"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"wardstat/pipeline"
	sqlmodels "wardstat/sql"
	"wardstat/transform"
	"wardstat/warehouse"
)

// The dossiers table has exactly the columns of the canonical Arrow schema
// (plus the warehouse's own bookkeeping), with matching types.
func TestDossiersTableIsTheCanonicalSchema(t *testing.T) {
	w := mustOpen(t)
	rows, err := w.DB().Query(`SELECT column_name, data_type FROM information_schema.columns
		WHERE table_name = 'dossiers' ORDER BY ordinal_position`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]string{}
	for rows.Next() {
		var n, ty string
		rows.Scan(&n, &ty)
		got[n] = ty
	}
	duck := map[arrow.Type]string{arrow.STRING: "VARCHAR", arrow.INT16: "SMALLINT", arrow.INT64: "BIGINT",
		arrow.TIMESTAMP: "TIMESTAMP", arrow.BOOL: "BOOLEAN", arrow.FLOAT64: "DOUBLE", arrow.FIXED_SIZE_BINARY: "UUID"}
	for _, f := range transform.DossierSchema.Fields() {
		if f.Type.ID() == arrow.DICTIONARY {
			if !strings.HasPrefix(got[f.Name], "ENUM(") {
				t.Errorf("column %s: table has %q, schema says a vocabulary (ENUM)", f.Name, got[f.Name])
			}
		} else if got[f.Name] != duck[f.Type.ID()] {
			t.Errorf("column %s: table has %q, schema says %s", f.Name, got[f.Name], f.Type)
		}
		delete(got, f.Name)
	}
	for n := range got {
		if n != "state_hash" && n != "first_load_id" && n != "key_hash" {
			t.Errorf("column %s is not in the canonical schema", n)
		}
	}
}

// A dossier with no due date in its export gets one from the procedure
// catalogue, counted in working days from the day of receipt (the next day
// after 15:00), skipping weekends and holidays.
func TestDueDateFromCatalogue(t *testing.T) {
	w := mustOpen(t)
	if _, err := w.ImportProcedures(t.Context(), strings.NewReader("procedure_code,procedure_name,sector,working_days\n1.001193,Đăng ký khai sinh,Hộ tịch,1\n,Chứng thực bản sao,Chứng thực,0\n2.000001,Cấp phép,Xây dựng,3\n")); err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, t.TempDir(), "nodue.csv", `Mã hồ sơ,Mã TTHC,Tên thủ tục,Ngày tiếp nhận
H09-240426-0001,1.001193,Đăng ký khai sinh,25/04/2024 09:00
H09-240426-0002,1.001193,Đăng ký khai sinh,25/04/2024 15:30
H09-240426-0003,,Chứng thực bản sao,27/04/2024 08:00
H09-240426-0004,2.000001,Cấp phép,26/04/2024 10:00
H09-240426-0005,9.999,Không có trong danh mục,26/04/2024 10:00
`)
	mustIngest(t, w, p, pipeline.FileOptions{})
	// 2024 as announced: 27/04-01/05 off (Monday 29/04 swapped for
	// Saturday 04/05, a working day).
	want := map[string]string{
		"H09-240426-0001": "2024-04-26 catalogue", // Thu 25 + 1 working day = Fri 26
		"H09-240426-0002": "2024-05-02 catalogue", // after 15:00: starts Fri 26, + 1 = Thu 2
		"H09-240426-0003": "2024-05-02 catalogue", // Saturday, 0 days: the next working day
		"H09-240426-0004": "2024-05-04 catalogue", // Fri 26 + 3: Thu 2, Fri 3, Sat 4 (make-up)
		"H09-240426-0005": " ",                    // unknown: never guessed
	}
	rows, err := w.DB().Query(`SELECT dossier_code, coalesce(strftime(due_at, '%Y-%m-%d'), '') || ' ' || coalesce(due_source, '') FROM dossiers`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var code, got string
		rows.Scan(&code, &got)
		if got != want[code] {
			t.Errorf("%s: due %q, want %q", code, got, want[code])
		}
	}
}

// stateList is a dossier's state as loads hash it: every canonical column
// but the lineage ones.
func stateList() string {
	var cols []string
	for _, f := range transform.DossierSchema.Fields() {
		if f.Name != transform.LoadID && f.Name != transform.SourceRow {
			cols = append(cols, f.Name)
		}
	}
	return strings.Join(cols, ", ")
}

// A stored state hash is the hash of the state as stored, so that a
// migration can recompute it; migration 005 does, with the same columns.
func TestStateHashIsTheHashOfTheStoredState(t *testing.T) {
	var mig string
	for _, m := range sqlmodels.Migrations() {
		if strings.HasPrefix(m.Name, "005_") {
			mig = m.Text
		}
	}
	if !strings.Contains(mig, "hash("+stateList()+")") {
		t.Fatalf("migration 005 must hash the state columns in load order: hash(%s)", stateList())
	}
	w := mustOpen(t)
	dir := t.TempDir()
	mustIngest(t, w, writeFile(t, dir, "v1.csv", exportV1), pipeline.FileOptions{})
	mustIngest(t, w, writeFile(t, dir, "v2.csv", exportV2), pipeline.FileOptions{})
	for _, table := range []string{"dossiers", "dossier_history"} {
		if n := queryInt(t, w.DB(), `SELECT count(*) FROM `+table+` WHERE state_hash <> hash(`+stateList()+`)`); n != 0 {
			t.Errorf("%s: %d rows whose state hash is not the hash of their state", table, n)
		}
	}
	if queryInt(t, w.DB(), `SELECT count(*) FROM dossier_history`) == 0 {
		t.Fatal("the second export must change a dossier")
	}
}

// asSchema6 turns a current warehouse back into the shape schema 6 gave
// it: vocabularies and applicant keys as text (32 hex digits), and the state
// hashes of those texts.
func asSchema6(t *testing.T, w *warehouse.Warehouse) {
	t.Helper()
	var qs []string
	for _, table := range []string{"dossiers", "dossier_history"} {
		qs = append(qs,
			`ALTER TABLE `+table+` ALTER channel TYPE VARCHAR`,
			`ALTER TABLE `+table+` ALTER online_level TYPE VARCHAR`,
			`ALTER TABLE `+table+` ALTER due_source TYPE VARCHAR`,
			`ALTER TABLE `+table+` ALTER applicant_key TYPE VARCHAR USING replace(applicant_key::VARCHAR, '-', '')`,
			`UPDATE `+table+` SET state_hash = hash(`+stateList()+`)`)
	}
	// Before schema 12 the rejects were a table with their reason in text.
	qs = append(qs, `DROP VIEW rejects`, `ALTER TABLE reject_rows RENAME TO rejects`,
		`ALTER TABLE rejects ADD COLUMN reason VARCHAR DEFAULT ''`,
		`DELETE FROM meta WHERE name = 'models_sha256'`)
	qs = append(qs, `DELETE FROM schema_version WHERE version >= 7`)
	for _, q := range qs {
		if _, err := w.DB().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// reopen closes a warehouse and opens (and so migrates) it again.
func reopen(t *testing.T, w *warehouse.Warehouse) *warehouse.Warehouse {
	t.Helper()
	path := w.Path()
	w.Close()
	w, err := warehouse.Open(context.Background(), path, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// applicantKeys are the stored applicant keys, as 32 hex digits, by dossier.
func applicantKeys(t *testing.T, w *warehouse.Warehouse) map[string]string {
	t.Helper()
	rows, err := w.DB().Query(`SELECT dossier_code, replace(applicant_key::VARCHAR, '-', '') FROM dossiers`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var code, key string
		if err := rows.Scan(&code, &key); err != nil {
			t.Fatal(err)
		}
		out[code] = key
	}
	return out
}

// A warehouse made before schema 5 keeps whole 64-digit applicant keys:
// migrating shortens them, and the next export of the same dossiers finds
// them unchanged.
func TestMigration5ShortensKeysAndKeepsStatesUnchanged(t *testing.T) {
	w, err := warehouse.Open(context.Background(), filepath.Join(t.TempDir(), "w.duckdb"), warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mustIngest(t, w, writeFile(t, dir, "v1.csv", exportV1), pipeline.FileOptions{})
	want := applicantKeys(t, w)
	// As schema 4 stored it: a 64-digit key, hashed into the state.
	asSchema6(t, w)
	for _, q := range []string{
		`UPDATE dossiers SET applicant_key = applicant_key || applicant_key`,
		`UPDATE dossiers SET state_hash = hash(` + stateList() + `)`,
		`DELETE FROM schema_version WHERE version >= 5`,
	} {
		if _, err := w.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	w = reopen(t, w)
	if got := applicantKeys(t, w); !maps.Equal(got, want) {
		t.Fatalf("keys after migrating: %v, want %v", got, want)
	}
	// The same rows again (with a blank line, so other bytes): unchanged.
	r := mustIngest(t, w, writeFile(t, dir, "v1-again.csv", exportV1+"\n"), pipeline.FileOptions{})
	if r.Changed != 0 || r.New != 0 || r.Duplicate != r.Read {
		t.Fatalf("after migrating, an unchanged export must change nothing: %+v", r)
	}
}

// A warehouse of schema 6 stores vocabularies and keys as text: migrating
// makes them ENUMs and UUIDs, keeps every key's value, and the next export
// of the same dossiers (and of a changed one) is classified as before.
func TestMigration7CompactsTypesAndKeepsStates(t *testing.T) {
	skipIfShort(t, "an old warehouse built and migrated")
	w, err := warehouse.Open(context.Background(), filepath.Join(t.TempDir(), "w.duckdb"), warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mustIngest(t, w, writeFile(t, dir, "v1.csv", exportV1), pipeline.FileOptions{})
	mustIngest(t, w, writeFile(t, dir, "v2.csv", exportV2), pipeline.FileOptions{})
	want := applicantKeys(t, w)
	history := queryInt(t, w.DB(), `SELECT count(*) FROM dossier_history`)
	asSchema6(t, w)
	w = reopen(t, w)
	if got := applicantKeys(t, w); !maps.Equal(got, want) {
		t.Fatalf("keys after migrating: %v, want %v", got, want)
	}
	for _, table := range []string{"dossiers", "dossier_history"} {
		if n := queryInt(t, w.DB(), `SELECT count(*) FROM `+table+` WHERE state_hash <> hash(`+stateList()+`)`); n != 0 {
			t.Errorf("%s: %d state hashes not recomputed", table, n)
		}
	}
	if ty := queryOne[string](t, w.DB(), `SELECT typeof(channel) || ' ' || typeof(applicant_key) FROM dossiers LIMIT 1`); ty != "ENUM('online', 'direct', 'postal') UUID" {
		t.Errorf("types after migrating: %s", ty)
	}
	r := mustIngest(t, w, writeFile(t, dir, "v2-again.csv", exportV2+"\n"), pipeline.FileOptions{})
	if r.Changed != 0 || r.New != 0 || r.Duplicate != r.Read {
		t.Fatalf("after migrating, an unchanged export must change nothing: %+v", r)
	}
	// The older export differs from every stored state it would change
	// back (the hashes recomputed by the migration compare): a state it
	// would reopen keeps the closed one (Older), any other changes back.
	r = mustIngest(t, w, writeFile(t, dir, "v1-again.csv", exportV1+"\n"), pipeline.FileOptions{})
	if r.Changed+r.Older == 0 || r.Changed > 0 && queryInt(t, w.DB(), `SELECT count(*) FROM dossier_history`) <= history {
		t.Fatalf("after migrating, the older export must be told from the stored states: %+v", r)
	}
}

// Models (macros and views) are made again on open only when their SQL
// differs from what this file last got: a warehouse whose recorded
// fingerprint is stale gets them again, one that matches is left alone.
func TestModelsRemadeOnlyWhenTheirSQLChanges(t *testing.T) {
	w := mustOpen(t)
	exists := func(w *warehouse.Warehouse) bool {
		return queryInt(t, w.DB(), `SELECT count(*) FROM duckdb_functions() WHERE function_name = 'ws_c_pre'`) > 0
	}
	if _, err := w.DB().Exec(`DROP MACRO ws_c_pre`); err != nil {
		t.Fatal(err)
	}
	w = reopen(t, w)
	if exists(w) {
		t.Fatal("models were made again though their SQL had not changed")
	}
	if _, err := w.DB().Exec(`UPDATE meta SET value = 'an older build' WHERE name = 'models_sha256'`); err != nil {
		t.Fatal(err)
	}
	w = reopen(t, w)
	if !exists(w) {
		t.Fatal("models were not made again for another build's SQL")
	}
}
