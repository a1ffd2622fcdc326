package warehouse_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	msgpkg "wardstat/internal/msg"
	"wardstat/pipeline"
	"wardstat/warehouse"
)

func handcount(t *testing.T) *warehouse.Warehouse {
	t.Helper()
	w := mustOpen(t)
	dir := "../testdata/report/handcount/"
	mustUnits(t, w, dir+"units.csv")
	mustIngest(t, w, dir+"ward-export.csv", pipeline.FileOptions{})
	mustIngest(t, w, dir+"api-export.json", pipeline.FileOptions{})
	return w
}

// queryRow returns one row as text, fields joined by "|".
func queryRow(t *testing.T, w *warehouse.Warehouse, q string) string {
	t.Helper()
	rows, err := w.DB().Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return rowsText(t, rows)
}

// Each mart on the hand-counted fixture (testdata/report/handcount), March 2024.
func TestMartsOnTheHandCount(t *testing.T) {
	w := handcount(t)
	cases := []struct{ name, query, want string }{
		{"channel mix", `SELECT new_online, new_direct, new_postal, online_share FROM mart_channel_mix WHERE month = '2024-03' AND ward_code = 'H01.01'`,
			"2|5|1|25"},
		{"districts and province", `SELECT level, coalesce(district, '-'), received_total, resolved_total, on_time_rate FROM mart_unit_month WHERE month = '2024-03' ORDER BY level, district NULLS LAST`,
			"district|Quận Một|13|6|66.67\ndistrict|-|1|0|NULL\nprovince|-|14|6|66.67"},
		{"processing time in working days", `SELECT resolved, median_working_days, p90_working_days FROM mart_processing_time WHERE month = '2024-03'`,
			"6|1.5|9"},
		{"apology coverage", `SELECT late, with_apology, apology_unknown FROM mart_apology WHERE month = '2024-03' AND ward_code = 'H01.01'`,
			"2|0|2"},
		{"index 766 progress", `SELECT progress_rate, progress_points, online_share, online_points FROM mart_index766 WHERE month = '2024-03' AND ward_code = 'H01.01'`,
			"54.55|10.91|25|6"},
		{"trends", `SELECT new_total, on_time_rate, on_time_rate_3m FROM mart_trends WHERE month = '2024-03' AND ward_code = 'H01.01'`,
			"8|66.67|71.43"},
		{"unknown due", `SELECT sum(resolved_unknown_due) FROM mart_ward_month`, "0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := queryRow(t, w, c.query); got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

// A ward on time for seven months and late in the eighth is flagged, with
// the reason in words.
func TestAnomalies(t *testing.T) {
	w := mustOpen(t)
	var b strings.Builder
	b.WriteString("Mã hồ sơ,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả\n")
	for m := 1; m <= 8; m++ {
		for i := 1; i <= 10; i++ {
			done := fmt.Sprintf("%02d/%02d/2024", 10+i%3, m) // on time: before the 15th
			if m == 8 && i <= 6 {
				done = fmt.Sprintf("20/%02d/2024", m) // late
			}
			fmt.Fprintf(&b, "A01-2401%02d-%02d%02d,%02d/%02d/2024,15/%02d/2024,%s\n", i, m, i, 1+i, m, m, done)
		}
	}
	mustIngest(t, w, writeFile(t, t.TempDir(), "a.csv", b.String()), pipeline.FileOptions{})
	got := queryRow(t, w, `SELECT month, metric, direction, reason_en FROM mart_anomalies`)
	want := "2024-08|on_time_rate|below|On-time rate 40.0% is below the ward's usual range of the 6 months before (99.0–101.0)"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestDataTestsPassOnGoodDataAndSayWhichRowsOtherwise(t *testing.T) {
	w := handcount(t)
	results, err := w.RunDataTests(t.Context())
	if err != nil {
		t.Fatalf("data tests on good data: %v", err)
	}
	if len(results) < 6 {
		t.Fatalf("only %d data tests ran", len(results))
	}
	// Break the data as a buggy load could: a duplicate and a status outside
	// the catalogue. (An unknown channel cannot be stored: it is an ENUM.)
	if _, err := w.DB().Exec(`INSERT INTO dossiers SELECT * REPLACE (42 AS status) FROM dossiers WHERE dossier_code = 'H01.01-240301-0001'`); err != nil {
		t.Fatal(err)
	}
	_, err = w.RunDataTests(t.Context())
	msg := fmt.Sprint(err)
	for _, want := range []string{"nothing was published", "unique_dossier_per_ward: 1 rows, e.g. dossier H01.01-240301-0001 of H01.01 is stored 2 times", "accepted_values: 1 rows, e.g. unexpected value: channel online, online level NULL, status 42"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	// In Vietnamese, for the command line (the default language).
	vi := msgpkg.Render(err, "vi")
	for _, want := range []string{"không công bố gì", "unique_dossier_per_ward: 1 dòng, ví dụ hồ sơ H01.01-240301-0001 của H01.01 được lưu 2 lần", "accepted_values: 1 dòng, ví dụ giá trị lạ: hình thức nộp online"} {
		if !strings.Contains(vi, want) {
			t.Errorf("Vietnamese error lacks %q:\n%s", want, vi)
		}
	}
}

// The lake: one folder per mart, partitioned by month, rewritten only where
// rows changed, readable back with the same totals.
func TestExportLake(t *testing.T) {
	w := handcount(t)
	dir := t.TempDir()
	r1, err := w.ExportLake(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if r1.Written == 0 || r1.Unchanged != 0 {
		t.Fatalf("first export: %+v", r1)
	}
	r2, err := w.ExportLake(t.Context(), dir)
	if err != nil || r2.Written != 0 || r2.Unchanged != r1.Written {
		t.Fatalf("an export with nothing new rewrites nothing: %+v %v", r2, err)
	}
	// A new dossier in April 2024 changes April onwards only.
	p := writeFile(t, t.TempDir(), "april.csv", "Mã hồ sơ,Ngày tiếp nhận,Ngày hẹn trả\nH01.01-240415-0009,15/04/2024,20/04/2024\n")
	mustIngest(t, w, p, pipeline.FileOptions{})
	r3, err := w.ExportLake(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if r3.Written == 0 || r3.Unchanged == 0 {
		t.Fatalf("only changed months are rewritten: %+v", r3)
	}
	got := queryRow(t, w, fmt.Sprintf(`SELECT sum(received_total), count(DISTINCT month) FROM read_parquet('%s/mart_ward_month/*/*.parquet', hive_partitioning = true)`, dir))
	want := queryRow(t, w, `SELECT sum(received_total), count(DISTINCT month) FROM mart_ward_month`)
	if got != want {
		t.Fatalf("lake %s, warehouse %s", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "_schema", "mart_trends.md")); err != nil {
		t.Fatal(err)
	}
}
