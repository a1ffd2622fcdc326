package warehouse_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wardstat/pipeline"
	"wardstat/warehouse"
)

// The lake's fact tables: dossiers and dossier_events Hive-partitioned by
// province and month of receipt, units in one file; only Parquet files
// under a table's folder, timestamps as UTC-adjusted Parquet TIMESTAMPs,
// no applicant's name or ID number anywhere; the lake schema version in
// _manifest.json; and, like the marts, only the partitions whose rows
// changed are rewritten: a dossier of February resolved by a later load
// rewrites February's two partitions and nothing else. What a killed
// export left in _tmp, and a stray file in a table's folder, are gone
// after the next export.
func TestLakeFactsArePartitionedAndIncremental(t *testing.T) {
	w := handcount(t)
	dir := t.TempDir()
	r1, err := w.ExportLake(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	parts := queryRow(t, w, `SELECT count(DISTINCT strftime(received_at, '%Y-%m')) FROM dossiers`)
	if r1.Facts.Written != 2*atoi(t, parts)+2 || r1.Facts.Unchanged != 0 {
		t.Fatalf("first export: %+v, want %s months × 2 tables + units + loads written", r1.Facts, parts)
	}

	// Layout: what Trino's Hive connector and Spark read without options.
	for _, table := range warehouse.LakeFacts {
		flat := table == "units" || table == "loads"
		filepath.WalkDir(filepath.Join(dir, table), func(p string, d os.DirEntry, err error) error {
			rel, _ := filepath.Rel(filepath.Join(dir, table), p)
			depth := len(strings.Split(rel, string(filepath.Separator)))
			switch {
			case err != nil:
				t.Error(err)
			case rel == ".":
			case flat && rel == "data.parquet":
			case !flat && d.IsDir() && depth == 1 && strings.HasPrefix(rel, "province="):
			case !flat && d.IsDir() && depth == 2 && strings.HasPrefix(filepath.Base(rel), "month="):
			case !flat && !d.IsDir() && depth == 3 && strings.HasSuffix(rel, ".parquet"):
			default:
				t.Errorf("%s holds %s", table, rel)
			}
			return nil
		})
		if _, err := os.Stat(filepath.Join(dir, "_schema", table+".md")); err != nil {
			t.Errorf("no schema doc for %s: %v", table, err)
		}
	}
	var manifest struct {
		Version int                          `json:"lake_schema_version"`
		Tables  map[string]map[string]string `json:"tables"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "_manifest.json"))
	if err := json.Unmarshal(b, &manifest); err != nil || manifest.Version != warehouse.LakeSchemaVersion || len(manifest.Tables["dossiers"]) == 0 {
		t.Errorf("manifest: %v %s", err, b)
	}
	glob := func(table string) string { return filepath.Join(dir, table, "*", "*", "*.parquet") }
	if got, want := queryRow(t, w, fmt.Sprintf(`SELECT count(*), count(DISTINCT province), min(month) FROM read_parquet('%s', hive_partitioning = true)`, glob("dossiers"))),
		queryRow(t, w, `SELECT count(*), 1, min(strftime(received_at, '%Y-%m')) FROM dossiers`); got != want {
		t.Errorf("lake dossiers %s, warehouse %s", got, want)
	}
	if got, want := queryRow(t, w, fmt.Sprintf(`SELECT count(*), count(*) FILTER (WHERE is_current) FROM read_parquet('%s', hive_partitioning = true)`, glob("dossier_events"))),
		queryRow(t, w, `SELECT (SELECT count(*) FROM dossier_versions), (SELECT count(*) FROM dossiers)`); got != want {
		t.Errorf("lake events (all, current) %s, warehouse %s", got, want)
	}
	// The instants are the local times: 09:00 in Hà Nội is 02:00 UTC.
	if got, want := queryRow(t, w, fmt.Sprintf(`SELECT sum(epoch(received_at)) FROM read_parquet('%s')`, glob("dossiers"))),
		queryRow(t, w, `SELECT sum(epoch(received_at) - 7 * 3600) FROM dossiers`); got != want {
		t.Errorf("received_at as instants: lake %s, warehouse local times - 7 h %s", got, want)
	}
	for _, table := range []string{"dossiers", "dossier_events"} {
		if got := queryRow(t, w, fmt.Sprintf(`SELECT DISTINCT logical_type FROM parquet_schema('%s') WHERE name = 'received_at'`, glob(table))); !strings.Contains(got, "isAdjustedToUTC=1") || !strings.Contains(got, "MICROS") {
			t.Errorf("%s.received_at is %s, want a UTC-adjusted TIMESTAMP in microseconds", table, got)
		}
		// The fixture's files name applicants and their ID numbers: none of it is in the lake.
		if got := queryRow(t, w, fmt.Sprintf(`SELECT count(*) FROM read_parquet('%s') t
			WHERE t::VARCHAR LIKE '%%Nguyễn%%' OR t::VARCHAR LIKE '%%037123456789%%' OR t::VARCHAR LIKE '%%0912345678%%'`, glob(table))); got != "0" {
			t.Errorf("%s: %s rows hold an applicant's name, ID or phone", table, got)
		}
	}

	// Unchanged: nothing rewritten.
	killed := filepath.Join(dir, "_tmp", "dossiers.123", "parts", "province=H01", "month=2024-03")
	os.MkdirAll(killed, 0o755)
	os.WriteFile(filepath.Join(killed, "data_0.parquet"), []byte("half"), 0o644)
	os.WriteFile(filepath.Join(dir, "dossiers", "stray.txt"), []byte("x"), 0o644)
	r2, err := w.ExportLake(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Facts.Written != 0 || r2.Facts.Unchanged != r1.Facts.Written {
		t.Errorf("nothing changed, yet %+v", r2.Facts)
	}
	if _, err := os.Stat(filepath.Join(dir, "_tmp")); !os.IsNotExist(err) {
		t.Errorf("a killed export's partitions are left in _tmp: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "dossiers", "stray.txt")); !os.IsNotExist(err) {
		t.Errorf("a stray file is left in the dossiers' folder: %v", err)
	}

	// A dossier received in February resolved by a later load: February's
	// partition of each fact table is rewritten, and only it.
	march := filepath.Join(dir, "dossiers", "province=H01", "month=2024-03")
	readAll := func() string {
		var b strings.Builder
		for _, f := range partFiles(t, march) {
			data, _ := os.ReadFile(f)
			b.WriteString(f + "\n" + string(data))
		}
		return b.String()
	}
	before := readAll()
	update := filepath.Join(t.TempDir(), "update.csv")
	os.WriteFile(update, []byte("Mã hồ sơ,Hình thức nộp,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Trạng thái\n"+
		"H01.01-240226-0001,Trực tuyến,26/02/2024 09:00,10/03/2024,15/03/2024 10:00,Đã có kết quả\n"), 0o644)
	mustIngest(t, w, update, pipeline.FileOptions{})
	r3, err := w.ExportLake(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if r3.Facts.Written != 3 || r3.Facts.Removed != 0 {
		t.Errorf("one February dossier changed: %+v, want 3 partitions written (dossiers and dossier_events, month=2024-02, and loads)", r3.Facts)
	}
	if after := readAll(); before != after {
		t.Error("March's partition was rewritten though none of its dossiers changed")
	}
	if got := queryRow(t, w, fmt.Sprintf(`SELECT status, completed_at FROM read_parquet('%s') WHERE dossier_code = 'H01.01-240226-0001'`,
		filepath.Join(dir, "dossiers", "province=H01", "month=2024-02", "*.parquet"))); !strings.HasPrefix(got, "9|2024-03-15 03:00:00") {
		t.Errorf("the resolved dossier in the lake: %s", got)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}
