package warehouse_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"wardstat/pipeline"
	"wardstat/warehouse"
)

// wrongKeyHashes counts the dossiers whose stored key_hash is missing or
// not the hash of their key.
func wrongKeyHashes(t *testing.T, w *warehouse.Warehouse) int64 {
	t.Helper()
	return queryInt(t, w.DB(), `SELECT count(*) FROM dossiers WHERE key_hash IS DISTINCT FROM hash(dossier_code)`)
}

// keyHashesRight fails the test when a stored key_hash is wrong, and
// checks that the data test key_hash_matches says the same.
func keyHashesRight(t *testing.T, w *warehouse.Warehouse, after string) {
	t.Helper()
	if n := wrongKeyHashes(t, w); n != 0 {
		t.Fatalf("after %s: %d dossiers with a wrong or missing key_hash", after, n)
	}
	results, err := w.RunDataTests(context.Background())
	if err != nil {
		t.Fatalf("after %s: data tests: %v", after, err)
	}
	for _, r := range results {
		if r.Name == "key_hash_matches" {
			return
		}
	}
	t.Fatalf("after %s: no data test key_hash_matches among %+v", after, results)
}

// Every statement that writes a dossier fills its key_hash: a load's new
// and changed states, a reload, a load with another --ward that replaces
// the earlier one and puts back the state it had overwritten, and the
// repair of a load that never committed, which puts back the states it
// had replaced.
func TestEveryWriteOfADossierFillsItsKeyHash(t *testing.T) {
	w := mustOpen(t)
	dir := t.TempDir()
	keyHashesRight(t, w, "opening")
	mustIngest(t, w, writeFile(t, dir, "v1.csv", exportV1), pipeline.FileOptions{})
	keyHashesRight(t, w, "a first load")
	r := mustIngest(t, w, writeFile(t, dir, "v2.csv", exportV2), pipeline.FileOptions{})
	if r.Changed != 1 || r.New != 1 {
		t.Fatalf("second load: %+v", r)
	}
	keyHashesRight(t, w, "a load of new and changed states")

	a := writeFile(t, dir, "thang10-a.csv", octoberWardA)
	b := writeFile(t, dir, "thang10-b.csv", octoberWardB)
	mustIngest(t, w, a, pipeline.FileOptions{Ward: "H26.01"})
	if r := mustIngest(t, w, b, pipeline.FileOptions{Ward: "H26.01"}); r.Changed != 1 {
		t.Fatalf("B's export as A's: %+v", r)
	}
	mustIngest(t, w, b, pipeline.FileOptions{Ward: "H26.01", Reload: true})
	keyHashesRight(t, w, "a reload")
	if r := mustIngest(t, w, b, pipeline.FileOptions{Ward: "H26.02"}); r.Withdrawn != 2 {
		t.Fatalf("B's export with its own ward must replace the wrong load: %+v", r)
	}
	keyHashesRight(t, w, "a --ward correction that puts back a replaced state")
	if n := queryInt(t, w.DB(), `SELECT count(*) FROM dossiers WHERE ward_code = 'H26.01' AND dossier_code = 'HS-0001'`); n != 1 {
		t.Fatalf("ward A's HS-0001 must be put back, %d found", n)
	}

	// A load killed while committing: its deletions survived, its new
	// states and its row in loads did not. Opening puts the states back.
	r3 := mustIngest(t, w, writeFile(t, dir, "v3.csv", exportV2+"H09.01-240302-0001,Trực tiếp,02/03/2024 10:00,06/03/2024,06/03/2024 10:00,Đã có kết quả,Nguyễn Văn An,0912000111\n"), pipeline.FileOptions{})
	if r3.Changed != 1 {
		t.Fatalf("third load: %+v", r3)
	}
	for _, q := range []string{`DELETE FROM loads WHERE load_id = ?`, `DELETE FROM dossiers WHERE load_id = ?`} {
		if _, err := w.DB().Exec(q, r3.LoadID); err != nil {
			t.Fatal(err)
		}
	}
	w = reopen(t, w)
	if rep := w.Repaired(); rep == nil || rep.Restored != 1 {
		t.Fatalf("repair: %+v", rep)
	}
	keyHashesRight(t, w, "the repair of a load that never committed")
}

// A warehouse from before key_hash (schema 13) gets the column filled when
// opened for writing, and the next export of its dossiers finds every one.
// A warehouse whose key hashes another DuckDB computed (the probe in meta
// differs) gets them computed again, also when first opened read-only.
func TestMigrationFillsTheKeyHashes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.duckdb")
	w, err := warehouse.Open(context.Background(), path, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	dir := t.TempDir()
	mustIngest(t, w, writeFile(t, dir, "v1.csv", exportV1), pipeline.FileOptions{})
	mustIngest(t, w, writeFile(t, dir, "v2.csv", exportV2), pipeline.FileOptions{})
	stored := queryInt(t, w.DB(), `SELECT count(*) FROM dossiers`)
	for _, q := range []string{
		`ALTER TABLE dossiers DROP COLUMN key_hash`,
		`DELETE FROM meta WHERE name = 'key_hash_probe'`,
		`DELETE FROM schema_version WHERE version >= 14`,
	} {
		if _, err := w.DB().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	w = reopen(t, w)
	keyHashesRight(t, w, "migrating a warehouse without key_hash")
	r := mustIngest(t, w, writeFile(t, dir, "v2-again.csv", exportV2+"\n"), pipeline.FileOptions{})
	if r.New != 0 || r.Changed != 0 || r.Unchanged != r.Read {
		t.Fatalf("after migrating, an unchanged export must find every dossier unchanged: %+v", r)
	}

	// Key hashes of another DuckDB: stored values this one never computes.
	stale := func() {
		for _, q := range []string{`UPDATE dossiers SET key_hash = 1`, `UPDATE meta SET value = 'another DuckDB' WHERE name = 'key_hash_probe'`} {
			if _, err := w.DB().Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	stale()
	w = reopen(t, w)
	keyHashesRight(t, w, "opening a warehouse whose probe differs")
	stale()
	w.Close()
	ro, err := warehouse.Open(context.Background(), path, warehouse.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if n := wrongKeyHashes(t, ro); n != 0 || ro.Stale() {
		t.Fatalf("a read-only open of a warehouse whose probe differs: %d wrong key hashes (stale %v)", n, ro.Stale())
	}
	if n := queryInt(t, ro.DB(), `SELECT count(*) FROM dossiers`); n != stored {
		t.Fatalf("%d dossiers after migrating, want %d", n, stored)
	}
}

// Two keys with one hash stay two dossiers: a load matches its rows by
// key_hash and then compares the texts, and the uniqueness test does not
// take them for one. The collision is forced by storing one dossier's
// key_hash as another key's hash.
func TestKeysSharingAHashStayTwoDossiers(t *testing.T) {
	w := mustOpen(t)
	dir := t.TempDir()
	mustIngest(t, w, writeFile(t, dir, "v1.csv", exportV1), pipeline.FileOptions{})
	header := exportV1[:strings.Index(exportV1, "\n")+1]
	collide := func(with string) {
		t.Helper()
		if _, err := w.DB().Exec(`UPDATE dossiers SET key_hash = hash(ward_code, ?) WHERE dossier_code = 'H09.01-240301-0002'`, with); err != nil {
			t.Fatal(err)
		}
	}
	// 0002 shares its hash with 0001, stored, which the next file changes.
	collide("H09.01-240301-0001")
	results, err := w.RunDataTests(context.Background())
	if err == nil {
		t.Fatal("a key_hash that is not its key's must fail the data tests")
	}
	for _, r := range results {
		switch {
		case r.Name == "key_hash_matches" && r.Failures != 1:
			t.Errorf("key_hash_matches: %d failures, want 1 (the forced one)", r.Failures)
		case r.Name == "unique_dossier_per_ward" && r.Failures != 0:
			t.Errorf("two keys sharing a hash were taken for one dossier stored twice: %+v", r)
		}
	}
	r := mustIngest(t, w, writeFile(t, dir, "changed.csv", header+"H09.01-240301-0001,Trực tiếp,01/03/2024 09:00,05/03/2024,05/03/2024 15:00,Đã có kết quả,Nguyễn Văn An,0912000111\n"), pipeline.FileOptions{})
	if r.Changed != 1 || r.New != 0 {
		t.Fatalf("a changed dossier whose hash another stored key shares: %+v", r)
	}
	// 0002 shares its hash with 0003, which the next file brings new.
	collide("H09.01-240303-0001")
	r = mustIngest(t, w, writeFile(t, dir, "new.csv", header+"H09.01-240303-0001,BCCI,03/03/2024 10:00,07/03/2024,,Đang xử lý,Lê Văn Cường,0912000333\n"), pipeline.FileOptions{})
	if r.Changed != 0 || r.New != 1 {
		t.Fatalf("a new dossier whose hash a stored key shares: %+v", r)
	}
	got := strings.Join(queryList[string](t, w.DB(), `SELECT dossier_code || ' ' || count(*) || ' ' || (completed_at IS NOT NULL) FROM dossiers GROUP BY dossier_code, completed_at ORDER BY 1`), ", ")
	want := "H09.01-240301-0001 1 true, H09.01-240301-0002 1 true, H09.01-240302-0001 1 false, H09.01-240303-0001 1 false"
	if got != want {
		t.Fatalf("dossiers after loads over forced collisions:\n got %s\nwant %s", got, want)
	}
}

// key_hash is the warehouse's own: dossier_versions, which analysts read
// with SELECT *, does not show it.
func TestKeyHashIsNotInTheAnalystsViews(t *testing.T) {
	w := mustOpen(t)
	if n := queryInt(t, w.DB(), `SELECT count(*) FROM duckdb_columns() WHERE column_name = 'key_hash' AND table_name <> 'dossiers'`); n != 0 {
		t.Fatalf("%d views or tables besides dossiers show key_hash", n)
	}
}
