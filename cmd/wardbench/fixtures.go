package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/xuri/excelize/v2"

	"wardstat/bench"
	"wardstat/warehouse"
)

// flatForm is the form written by hand over a flat table of the same rows:
// what an analyst would write without wardstat's macros.
const flatForm = `
SELECT ward_code,
  count(*) FILTER (WHERE r < DATE '2024-01-01') AS carried_over,
  count(*) FILTER (WHERE r >= DATE '2024-01-01' AND channel = 'online') AS new_online,
  count(*) FILTER (WHERE r >= DATE '2024-01-01' AND channel = 'direct') AS new_direct,
  count(*) FILTER (WHERE r >= DATE '2024-01-01' AND channel = 'postal') AS new_postal,
  count(*) FILTER (WHERE c <= DATE '2024-12-31') AS resolved,
  count(*) FILTER (WHERE c <= DATE '2024-12-31' AND c < d) AS early,
  count(*) FILTER (WHERE c <= DATE '2024-12-31' AND c = d) AS on_time,
  count(*) FILTER (WHERE c <= DATE '2024-12-31' AND c > d) AS late,
  count(*) FILTER (WHERE wd <= DATE '2024-12-31') AS withdrawn,
  count(*) FILTER (WHERE coalesce(c > DATE '2024-12-31', true) AND coalesce(wd > DATE '2024-12-31', true)) AS pending,
  count(*) FILTER (WHERE coalesce(c > DATE '2024-12-31', true) AND coalesce(wd > DATE '2024-12-31', true) AND d < DATE '2024-12-31') AS overdue
FROM (SELECT ward_code, channel, received_at::DATE AS r, due_at::DATE AS d, completed_at::DATE AS c, withdrawn_at::DATE AS wd FROM flat)
WHERE r <= DATE '2024-12-31' AND coalesce(c >= DATE '2024-01-01', true) AND coalesce(wd >= DATE '2024-01-01', true)
GROUP BY ward_code`

func makeBase(ctx context.Context, path string, n int) error {
	tmp := path + ".building"
	os.Remove(tmp)
	w, err := warehouse.Open(ctx, tmp, warehouse.Options{})
	if err != nil {
		return err
	}
	q := fmt.Sprintf(`
	INSERT INTO dossiers BY NAME
	SELECT *, hash(dossier_code) AS key_hash FROM (
	SELECT %[1]s AS ward_code, %[2]s AS dossier_code, NULL AS procedure_code, 'Chứng thực bản sao từ bản chính' AS procedure_name,
	  'Chứng thực' AS sector, ['direct', 'direct', 'online', 'online', 'postal'][1 + i %% 5] AS channel, 'none' AS online_level,
	  CASE WHEN i %% 7 = 0 THEN 4 ELSE 10 END AS status, NULL AS submitted_at,
	  TIMESTAMP '2021-01-01 07:30:00' + to_seconds((i %% 5000000) * 37 + i %% 3600) AS received_at,
	  TIMESTAMP '2021-01-01 07:30:00' + to_seconds((i %% 5000000) * 37) + to_days(1 + i %% 10) AS due_at,
	  CASE WHEN i %% 7 <> 0 THEN TIMESTAMP '2021-01-01 07:30:00' + to_seconds((i %% 5000000) * 37 + i %% 3600) + to_hours(i %% 240) END AS completed_at,
	  NULL AS returned_at, NULL AS withdrawn_at, NULL AS supplement_requested_at, NULL AS supplement_received_at,
	  NULL AS apology_issued, NULL AS paid_online, 2000 AS fee, NULL AS digitised, md5(i::VARCHAR) AS applicant_key,
	  0 AS load_id, i AS source_row, hash(i) AS state_hash, 0 AS first_load_id
	FROM range(%[3]d) t(i))`, bench.SQLWard, bench.SQLCode, n)
	if _, err := w.DB().ExecContext(ctx, q); err != nil {
		w.Close()
		return fmt.Errorf("building the base: %w", err)
	}
	// The base's rows name load 0, which must be in loads: opening a
	// warehouse removes every row of a load missing from it (a load that
	// never committed), and did remove the whole base before this row.
	if err := recordBaseLoad(ctx, w, n); err != nil {
		w.Close()
		return err
	}
	if _, err := w.DB().ExecContext(ctx, `CREATE TABLE flat AS SELECT ward_code, channel, received_at, due_at, completed_at, withdrawn_at FROM dossiers; CHECKPOINT`); err != nil {
		w.Close()
		return err
	}
	w.Close()
	// Opened again, as every case opens it: the base must still be whole.
	if err := checkWhole(ctx, tmp, n); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func duckCount(db, create string) (int64, error) {
	os.Remove(db)
	conn, err := sql.Open("duckdb", db)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if _, err := conn.Exec(create); err != nil {
		return 0, err
	}
	var n int64
	err = conn.QueryRow(`SELECT count(*) FROM t`).Scan(&n)
	return n, err
}

// isFloor reports whether a child case is a floor other than wardstat
// itself (DuckDB's readers, excelize).
func isFloor(name string) bool {
	return strings.HasSuffix(name, "-floor") || strings.HasPrefix(name, "variant-floor:")
}

func excelizeRows(path string) (int64, error) {
	f, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true})
	if err != nil {
		return 0, err
	}
	defer f.Close()
	rows, err := f.Rows(f.GetSheetList()[0])
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		if _, err := rows.Columns(excelize.Options{RawCellValue: true}); err != nil {
			return n, err
		}
		n++
	}
	return n - 3, rows.Error()
}

// reexportEvery is how far apart the re-export's candidate changes are.
const reexportEvery = 2000

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	// On disk before the clock starts: a warehouse that already holds 10 M
	// dossiers is not 650 MB of dirty pages that DuckDB's first fsync
	// would have to flush (~0.6 s here).
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// recordBaseLoad records load 0, which a generated base's rows name: opening
// a warehouse removes every row of a load missing from loads (a load that
// never committed).
func recordBaseLoad(ctx context.Context, w *warehouse.Warehouse, n int) error {
	if _, err := w.DB().ExecContext(ctx, `INSERT INTO loads BY NAME SELECT 0 AS load_id, 'wardbench base' AS path, '' AS sha256, 'csv' AS format,
		current_localtimestamp() AS loaded_at, ? AS rows_read, ? AS rows_loaded, ? AS rows_new, 0 AS rows_changed, 0 AS rows_rejected,
		0 AS rows_duplicate, 0 AS rows_skipped`, n, n, n); err != nil {
		return fmt.Errorf("recording the base's load: %w", err)
	}
	return nil
}

// checkWhole opens a generated base as every case opens it and checks that
// it still holds its n dossiers.
func checkWhole(ctx context.Context, path string, n int) error {
	w, err := warehouse.Open(ctx, path, warehouse.Options{})
	if err != nil {
		return err
	}
	defer w.Close()
	var got int64
	if err := w.DB().QueryRowContext(ctx, `SELECT count(*) FROM dossiers`).Scan(&got); err != nil {
		return err
	}
	if got != int64(n) {
		return fmt.Errorf("%s holds %d dossiers after opening it again, want %d", path, got, n)
	}
	return nil
}
