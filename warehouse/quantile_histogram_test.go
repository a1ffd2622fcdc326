package warehouse_test

import (
	"fmt"
	"strings"
	"testing"

	"wardstat/warehouse"
)

// The quantiles of every size of group (one value, two, odd and even
// counts, up to 400), with few distinct values (ties) and many, NULLs
// among them and a group of NULLs only, in each integral type: the
// histogram's quantile is quantile_cont's, to the last bit.
func TestHistogramQuantileIsQuantileCont(t *testing.T) {
	w := mustOpen(t)
	db := w.DB()
	// Group g holds n = g % 400 + 1 values drawn from 0..spread-1 (spread
	// 1, 3, 20 or 1000 by g), every seventh row NULL; group -1 is NULLs only.
	if _, err := db.Exec(`CREATE TEMP TABLE qv AS
		SELECT g, CASE WHEN (g * 7919 + r) % 7 = 3 THEN NULL ELSE hash(g, r) % [1, 3, 20, 1000][1 + g // 400] END AS x
		FROM range(1600) t(g), LATERAL (SELECT r FROM range(g % 400 + 1) s(r))
		UNION ALL SELECT -1, NULL UNION ALL SELECT -1, NULL`); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"HUGEINT", "BIGINT", "INTEGER", "UBIGINT"} {
		for _, q := range []string{"0", "0.1", "0.25", "0.5", "0.75", "0.9", "0.95", "0.99", "1"} {
			var groups, differ int
			var example string
			err := db.QueryRow(fmt.Sprintf(`SELECT count(*), count(*) FILTER (WHERE want IS DISTINCT FROM got),
				coalesce(min(format('group {}: quantile_cont {} histogram {}', g, want, got)) FILTER (WHERE want IS DISTINCT FROM got), '')
				FROM (SELECT g, quantile_cont(x::%[1]s, %[2]s) AS want, histogram_quantile_cont(histogram(x::%[1]s), %[2]s) AS got
				      FROM qv GROUP BY g)`, typ, q)).Scan(&groups, &differ, &example)
			if err != nil {
				t.Fatalf("%s q=%s: %v", typ, q, err)
			}
			if groups != 1601 || differ != 0 {
				t.Errorf("%s q=%s: %d of %d groups differ (%s)", typ, q, differ, groups, example)
			}
		}
	}
	var got string
	if err := db.QueryRow(`SELECT coalesce(histogram_quantile_cont(histogram(x), 0.5)::VARCHAR, 'NULL') FROM qv WHERE g = -1`).Scan(&got); err != nil || got != "NULL" {
		t.Errorf("only NULLs: got %s (%v), want NULL as quantile_cont", got, err)
	}
}

// The processing-time marts' quantile_cont expressions as they were: the
// reference the histogram views must equal.
const (
	refProcessingTime = `SELECT completed_month AS month, coalesce(sector, '(không rõ)') AS sector,
       coalesce(procedure_name, procedure_code, '(không rõ)') AS procedure_name,
       count(*) AS resolved,
       quantile_cont(working_days_taken, 0.5)::DOUBLE AS median_working_days,
       quantile_cont(working_days_taken, 0.9)::DOUBLE AS p90_working_days,
       round(avg(working_days_taken), 2)::DOUBLE AS mean_working_days
FROM dossier_facts
WHERE completed_day IS NOT NULL AND working_days_taken IS NOT NULL
GROUP BY ALL`
	refProcessingTimeUnit = `SELECT f.completed_month AS month,
       CASE WHEN grouping(f.ward_code) = 0 THEN 'ward' WHEN grouping(wm.district) = 0 THEN 'district' ELSE 'province' END AS level,
       f.ward_code, CASE WHEN grouping(f.ward_code) = 0 THEN any_value(wm.ward_name) END AS ward_name, wm.district, wm.province,
       count(*) AS resolved,
       quantile_cont(f.working_days_taken, 0.5)::DOUBLE AS median_working_days,
       quantile_cont(f.working_days_taken, 0.9)::DOUBLE AS p90_working_days,
       round(avg(f.working_days_taken), 2)::DOUBLE AS mean_working_days,
       max(f.working_days_taken)::BIGINT AS max_working_days,
       count(DISTINCT f.ward_code) AS wards
FROM dossier_facts f
LEFT JOIN ward_month wm ON wm.ward_code = f.ward_code AND wm.month = f.completed_month
WHERE f.completed_day IS NOT NULL AND f.working_days_taken IS NOT NULL
GROUP BY GROUPING SETS ((f.completed_month, f.ward_code, wm.district, wm.province),
                        (f.completed_month, wm.district, wm.province),
                        (f.completed_month, wm.province))`
)

// mixedProcessingTimes is a warehouse whose dossiers give the marts every
// kind of group: thousands of dossiers in a ward-month and one or two in
// another, a ward whose district was abolished (district NULL), a ward
// missing from the registry, a procedure done once, ties and long tails
// of working days, and dossiers with no processing time (open, withdrawn,
// received before the calendar).
func mixedProcessingTimes(t *testing.T) *warehouse.Warehouse {
	t.Helper()
	w := mustOpen(t)
	mustUnits(t, w, writeFile(t, t.TempDir(), "units.csv", `code,name,district,province,valid_from,valid_to
H01.01,Phường Một,Quận Một,Tỉnh Thử,2020-01-01,
H01.02,Phường Hai,Quận Một,Tỉnh Thử,2020-01-01,
H01.03,Xã Ba,,Tỉnh Thử,2020-01-01,
H02.01,Phường Bốn,Quận Bốn,Tỉnh Khác,2020-01-01,
H02.02,Xã Năm,Huyện Năm,Tỉnh Khác,2020-01-01,
`))
	// Row i: ward by i % 23 (H02.02 only for the few rows i % 997 = 0, and
	// H09.09, not in the registry, for i % 23 = 22); received over
	// 2023–2024 at any hour; completed 0 to ~60 days later (half within
	// 3 days: ties), every 11th open, every 53rd withdrawn, the rows i %
	// 101 = 0 received in 2010 (before the calendar).
	q := `INSERT INTO dossiers BY NAME
	SELECT CASE WHEN i % 997 = 0 THEN 'H02.02' WHEN i % 23 = 22 THEN 'H09.09'
	            ELSE ['H01.01', 'H01.01', 'H01.02', 'H01.03', 'H02.01'][1 + i % 23 % 5] END AS ward_code,
	  printf('D%06d', i) AS dossier_code, NULL AS procedure_code,
	  CASE WHEN i = 5 THEN 'Thủ tục hiếm' ELSE ['Đăng ký khai sinh', 'Chứng thực', 'Cấp phép'][1 + i % 3] END AS procedure_name,
	  CASE WHEN i = 5 THEN NULL ELSE ['Hộ tịch', 'Chứng thực', 'Xây dựng'][1 + i % 3] END AS sector,
	  'direct' AS channel, 'none' AS online_level,
	  CASE WHEN i % 53 = 0 THEN 7 WHEN i % 11 = 0 THEN 4 ELSE 10 END AS status,
	  NULL AS submitted_at, r AS received_at, r + to_days(5) AS due_at,
	  CASE WHEN i % 53 <> 0 AND i % 11 <> 0 THEN r + to_hours((CASE WHEN hash(i) % 2 = 0 THEN hash(i, 1) % 72 ELSE hash(i, 2) % 1440 END)::BIGINT) END AS completed_at,
	  NULL AS returned_at, CASE WHEN i % 53 = 0 THEN r + to_days(2) END AS withdrawn_at,
	  NULL AS supplement_requested_at, NULL AS supplement_received_at,
	  NULL AS apology_issued, NULL AS paid_online, NULL AS fee, NULL AS digitised, md5(i::VARCHAR) AS applicant_key,
	  0 AS load_id, i AS source_row, hash(i) AS state_hash, 0 AS first_load_id
	FROM (SELECT i, CASE WHEN i % 101 = 0 THEN TIMESTAMP '2010-03-01 08:00:00'
	                     ELSE TIMESTAMP '2023-01-01 00:00:00' + to_minutes((hash(i, 3) % (730 * 1440))::BIGINT) END AS r
	      FROM range(20000) t(i))`
	if _, err := w.DB().Exec(q); err != nil {
		t.Fatal(err)
	}
	if _, err := w.DB().Exec(`INSERT INTO loads BY NAME SELECT 0 AS load_id, 'generated' AS path, '' AS sha256, 'csv' AS format,
		current_localtimestamp() AS loaded_at, 20000 AS rows_read, 20000 AS rows_loaded, 20000 AS rows_new, 0 AS rows_changed,
		0 AS rows_rejected, 0 AS rows_duplicate, 0 AS rows_skipped`); err != nil {
		t.Fatal(err)
	}
	return w
}

// The processing-time marts equal their quantile_cont reference row for
// row and bit for bit, with the same columns and types, at every level of
// the grouping sets.
func TestProcessingTimeMartsEqualQuantileCont(t *testing.T) {
	w := mixedProcessingTimes(t)
	for _, c := range []struct{ mart, ref string }{
		{"mart_processing_time", refProcessingTime},
		{"mart_processing_time_unit", refProcessingTimeUnit},
	} {
		t.Run(c.mart, func(t *testing.T) {
			if got, want := queryRow(t, w, `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM `+c.mart+`)`),
				queryRow(t, w, `SELECT column_name, column_type FROM (DESCRIBE `+c.ref+`)`); got != want {
				t.Errorf("columns: got\n%s\nwant\n%s", got, want)
			}
			rows := queryRow(t, w, `SELECT count(*) FROM `+c.mart)
			only := queryRow(t, w, fmt.Sprintf(`SELECT (SELECT count(*) FROM (SELECT * FROM %[1]s EXCEPT ALL (%[2]s))) || '|' ||
				(SELECT count(*) FROM ((%[2]s) EXCEPT ALL SELECT * FROM %[1]s))`, c.mart, c.ref))
			if only != "0|0" {
				t.Errorf("%s rows; only in the mart | only in the reference: %s", rows, only)
			}
			if rows == "0" {
				t.Error("the mart is empty")
			}
		})
	}
	// The data holds what the test claims: groups of one and two, big
	// groups, each level, district NULL under a province, ties.
	for _, c := range []struct{ name, q string }{
		{"a ward-month of one dossier", `SELECT count(*) > 0 FROM mart_processing_time_unit WHERE level = 'ward' AND resolved = 1`},
		{"a ward-month of two", `SELECT count(*) > 0 FROM mart_processing_time_unit WHERE level = 'ward' AND resolved = 2`},
		{"a big province-month", `SELECT max(resolved) > 300 FROM mart_processing_time_unit WHERE level = 'province'`},
		{"a district row with district NULL", `SELECT count(*) > 0 FROM mart_processing_time_unit WHERE level = 'district' AND district IS NULL AND province = 'Tỉnh Thử'`},
		{"a province NULL (ward not in the registry)", `SELECT count(*) > 0 FROM mart_processing_time_unit WHERE level = 'province' AND province IS NULL`},
		{"every level", `SELECT count(DISTINCT level) = 3 FROM mart_processing_time_unit`},
		{"a median between two values", `SELECT count(*) > 0 FROM mart_processing_time_unit WHERE median_working_days <> floor(median_working_days)`},
		{"a p90 between two values", `SELECT count(*) > 0 FROM mart_processing_time WHERE p90_working_days <> floor(p90_working_days)`},
		{"a procedure done once", `SELECT count(*) = 1 FROM mart_processing_time WHERE procedure_name = 'Thủ tục hiếm'`},
		{"dossiers without a processing time", `SELECT count(*) > 0 FROM dossier_facts WHERE working_days_taken IS NULL`},
	} {
		if got := queryRow(t, w, c.q); got != "true" {
			t.Errorf("the generated data lacks %s", c.name)
		}
	}
	if typ := queryRow(t, w, `SELECT DISTINCT typeof(working_days_taken) FROM dossier_facts WHERE working_days_taken IS NOT NULL`); !strings.HasSuffix(typ, "INT") {
		t.Errorf("working_days_taken is %s: histogram_quantile_cont needs an integral type", typ)
	}
}
