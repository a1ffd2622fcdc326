package warehouse_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"wardstat/warehouse"
)

// A first export of a long history, many month partitions of wide rows,
// stays within DuckDB's memory limit: the partitioned write keeps few
// Parquet writers open and flushes often (lake_write.go). Before, 10 M
// dossiers over ten years failed at 512 MB ("failed to pin block");
// here the same shape at a smaller scale and limit (it failed at 160 MB
// before the bound, and still fails below ~100 MB: the bound is a fixed
// amount, not one proportional to the history). Every dossier is in the
// lake once. About 35 s on a busy 2-core machine: WARDSTAT_LONG=1.
func TestLakeFirstExportOfALongHistoryFitsInMemory(t *testing.T) {
	if os.Getenv("WARDSTAT_LONG") == "" {
		t.Skip("WARDSTAT_LONG=1: a first lake export of 400 k dossiers at a 160 MB limit")
	}
	n := 400_000
	if s := os.Getenv("WARDSTAT_LAKE_MEM_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	limit := "160MB"
	if s := os.Getenv("WARDSTAT_LAKE_MEM_LIMIT"); s != "" {
		limit = s
	}
	path := filepath.Join(t.TempDir(), "w.duckdb")
	w, err := warehouse.Open(t.Context(), path, warehouse.Options{MemoryLimit: limit})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.DB().ExecContext(t.Context(), fmt.Sprintf(`
	INSERT INTO loads BY NAME SELECT 0 AS load_id, 'generated' AS path, '' AS sha256, 'csv' AS format,
		current_localtimestamp() AS loaded_at, %[1]d AS rows_read, %[1]d AS rows_loaded, %[1]d AS rows_new, 0 AS rows_changed,
		0 AS rows_rejected, 0 AS rows_duplicate, 0 AS rows_skipped;
	INSERT INTO dossiers BY NAME
	SELECT printf('000.%%02d.27.H37', 10 + i %% 40) AS ward_code, 'D-' || i AS dossier_code, 'Đăng ký khai sinh' AS procedure_name,
	  'Hộ tịch' AS sector, 'direct' AS channel, 'none' AS online_level, 10 AS status, r AS received_at, r + INTERVAL 3 DAY AS due_at,
	  r + INTERVAL 1 DAY AS completed_at, 1000 AS fee, md5(i::VARCHAR) AS applicant_key,
	  0 AS load_id, i AS source_row, hash(i) AS state_hash, 0 AS first_load_id
	FROM (SELECT i, TIMESTAMP '2016-01-01 08:00:00' + to_seconds(i * 315532800 // %[1]d) AS r FROM range(%[1]d) t(i))`, n)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := w.ExportLake(t.Context(), dir); err != nil {
		t.Fatalf("first export of %d dossiers over 120 months at %s: %v", n, limit, err)
	}
	if got := queryRow(t, w, fmt.Sprintf(`SELECT count(*), count(DISTINCT dossier_code), count(DISTINCT month) FROM read_parquet('%s', hive_partitioning = true)`,
		filepath.Join(dir, "dossiers", "*", "*", "*.parquet"))); got != fmt.Sprintf("%d|%d|120", n, n) {
		t.Errorf("the lake's dossiers: %s, want %d dossiers once each over 120 months", got, n)
	}
}
