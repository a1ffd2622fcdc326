package main

// The scale mode (`make bench-scale`, `wardbench -cases scale -scale-n N`):
// a warehouse of N dossiers over ten years, generated in DuckDB, and every
// step of a day and a night over it, each against a floor in the same run.

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"wardstat/bench"
	"wardstat/pipeline"
	"wardstat/transform"
	"wardstat/warehouse"
)

// scaleEnv carries -scale-n from the parent to its child cases.
const scaleEnv = "WARDBENCH_SCALE_N"

// scaleNight is the night's file: half of it changes dossiers of the
// base (their last rows), half is new.
const scaleNight = 50_000

// tenYears is the base's span: 2016-01-01 to 2026-01-01, in seconds.
const tenYears = 315_532_800

// sqlReceived is the base's receipt time of row i of n, in SQL.
func sqlReceived(n int) string {
	return fmt.Sprintf(`TIMESTAMP '2016-01-01 07:30:00' + to_seconds((i * %d // %d) + i %% 3600)`, tenYears, n)
}

// writeScaleNight writes the night's file as a ward system exports it
// (bench.Header, Vietnamese labels, dd/mm/yyyy): the base's last 25 k
// dossiers again, each now resolved on 2026-01-14 (received in the base's
// last days, December 2025), and 25 k new ones received on 2026-01-14,
// two in five still open. A night touches the months it touches, as a
// real one does; bench.WriteCSVRange's rows would land in 2021–2022.
func writeScaleNight(ctx context.Context, path string, n int) error {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	h := bench.Header
	q := fmt.Sprintf(`COPY (
	SELECT %[1]s AS "%[5]s", %[2]s AS "%[6]s",
	  ['Chứng thực bản sao từ bản chính', 'Đăng ký khai sinh', 'Đăng ký kết hôn', 'Cấp Giấy xác nhận tình trạng hôn nhân', 'Đăng ký khai tử', 'Chứng thực chữ ký trong giấy tờ, văn bản', 'Đăng ký biến động quyền sử dụng đất', 'Cấp giấy phép xây dựng nhà ở riêng lẻ'][1 + (i // 7) %% 8] AS "%[7]s",
	  ['Chứng thực', 'Hộ tịch', 'Hộ tịch', 'Hộ tịch', 'Hộ tịch', 'Chứng thực', 'Đất đai', 'Xây dựng'][1 + (i // 7) %% 8] AS "%[8]s",
	  ['Trực tiếp', 'Trực tiếp', 'Trực tuyến', 'Trực tuyến', 'Bưu chính công ích'][1 + i %% 5] AS "%[9]s",
	  '' AS "%[10]s",
	  strftime(r, '%%d/%%m/%%Y %%H:%%M:%%S') AS "%[11]s",
	  strftime(r + to_days(1 + i %% 10), '%%d/%%m/%%Y %%H:%%M:%%S') AS "%[12]s",
	  CASE WHEN resolved THEN strftime(greatest(r, TIMESTAMP '2026-01-14 09:00:00') + to_hours(i %% 7), '%%d/%%m/%%Y %%H:%%M:%%S') ELSE '' END AS "%[13]s",
	  CASE WHEN resolved THEN strftime(greatest(r, TIMESTAMP '2026-01-14 09:00:00') + to_hours(i %% 7 + 1), '%%d/%%m/%%Y %%H:%%M:%%S') ELSE '' END AS "%[14]s",
	  CASE WHEN resolved THEN 'Đã trả kết quả' WHEN i %% 2 = 0 THEN 'Đang giải quyết' ELSE 'Chờ bổ sung' END AS "%[15]s",
	  'Nguyễn Văn An' AS "%[16]s", printf('09%%08d', i %% 100000000) AS "%[17]s", (1000 * (i %% 60))::VARCHAR AS "%[18]s"
	FROM (SELECT i, r, i < %[3]d OR i %% 5 >= 2 AS resolved FROM (
	  SELECT i, CASE WHEN i < %[3]d THEN %[4]s ELSE TIMESTAMP '2026-01-14 07:30:00' + to_seconds((i - %[3]d) %% 36000) END AS r
	  FROM range(%[3]d - %[19]d, %[3]d + %[19]d) t(i)))
	) TO '%[20]s' (FORMAT csv, HEADER true)`,
		bench.SQLCode, bench.SQLWard, n, sqlReceived(n),
		h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13], scaleNight/2, strings.ReplaceAll(path, "'", "''"))
	_, err = db.ExecContext(ctx, q)
	return err
}

// scaleToday is the night's date: the base ends on 2025-12-31.
var scaleToday = time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)

func scaleN() int {
	n, _ := strconv.Atoi(os.Getenv(scaleEnv))
	return n
}

// makeScaleBase generates n dossiers straight into a warehouse: 40 wards,
// eight procedures in four sectors, three channels, receipts spread evenly
// over 2016–2025, most resolved (some late), some withdrawn, the last
// weeks' partly pending. Its codes are bench.SQLCode's, so the night's
// file (bench.WriteCSVRange) changes the base's last dossiers. The flat
// table the floors read is in a file of its own, so that the warehouse's
// size on disk is its own.
func makeScaleBase(ctx context.Context, path, flatPath string, n int) error {
	tmp := path + ".building"
	os.Remove(tmp)
	w, err := warehouse.Open(ctx, tmp, warehouse.Options{})
	if err != nil {
		return err
	}
	q := fmt.Sprintf(`
	INSERT INTO dossiers BY NAME
	SELECT *, hash(dossier_code) AS key_hash FROM (
	SELECT %[1]s AS ward_code, %[2]s AS dossier_code, NULL AS procedure_code,
	  ['Chứng thực bản sao từ bản chính', 'Đăng ký khai sinh', 'Đăng ký kết hôn', 'Cấp Giấy xác nhận tình trạng hôn nhân', 'Đăng ký khai tử', 'Chứng thực chữ ký trong giấy tờ, văn bản', 'Đăng ký biến động quyền sử dụng đất', 'Cấp giấy phép xây dựng nhà ở riêng lẻ'][1 + (i // 7) %% 8] AS procedure_name,
	  ['Chứng thực', 'Hộ tịch', 'Hộ tịch', 'Hộ tịch', 'Hộ tịch', 'Chứng thực', 'Đất đai', 'Xây dựng'][1 + (i // 7) %% 8] AS sector,
	  ['direct', 'direct', 'online', 'online', 'postal'][1 + i %% 5] AS channel, 'none' AS online_level,
	  CASE WHEN i %% 53 = 0 THEN 7 WHEN i > %[3]d * 0.995 AND i %% 3 = 0 THEN 4 WHEN i > %[3]d * 0.995 AND i %% 3 = 1 THEN 5 ELSE 10 END AS status,
	  NULL AS submitted_at, r AS received_at, r + to_days(1 + i %% 10) AS due_at,
	  CASE WHEN i %% 53 <> 0 AND NOT (i > %[3]d * 0.995 AND i %% 3 < 2) THEN r + to_hours(i %% 300) END AS completed_at,
	  NULL AS returned_at, CASE WHEN i %% 53 = 0 THEN r + to_days(2) END AS withdrawn_at,
	  NULL AS supplement_requested_at, NULL AS supplement_received_at,
	  NULL AS apology_issued, NULL AS paid_online, 1000 * (i %% 60) AS fee, NULL AS digitised, md5(i::VARCHAR) AS applicant_key,
	  0 AS load_id, i AS source_row, hash(i) AS state_hash, 0 AS first_load_id
	FROM (SELECT i, %[4]s AS r FROM range(%[3]d) t(i)))`,
		bench.SQLWard, bench.SQLCode, n, sqlReceived(n))
	if _, err := w.DB().ExecContext(ctx, q); err != nil {
		w.Close()
		return fmt.Errorf("building the base: %w", err)
	}
	// As makeBase: the base's rows name load 0, which must be in loads, or
	// opening the warehouse removes them as a load that never committed.
	if err := recordBaseLoad(ctx, w, n); err != nil {
		w.Close()
		return err
	}
	// The base's passing verdict, as the build job of the night before
	// keeps it: the night's data tests then read the night's dossiers.
	if _, err := w.RunChangedDataTests(ctx); err != nil {
		w.Close()
		return fmt.Errorf("the base's data tests: %w", err)
	}
	os.Remove(flatPath)
	if _, err := w.DB().ExecContext(ctx, fmt.Sprintf(`CHECKPOINT; ATTACH '%s' AS flatdb; CREATE TABLE flatdb.flat AS SELECT ward_code, channel, received_at, due_at, completed_at, withdrawn_at FROM dossiers; DETACH flatdb`, flatPath)); err != nil {
		w.Close()
		return err
	}
	w.Close()
	if err := checkWhole(ctx, tmp, n); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// flatFormFor is flatForm for another period, and one ward when ward is set.
func flatFormFor(from, to, ward string) string {
	q := strings.NewReplacer("2024-01-01", from, "2024-12-31", to).Replace(flatForm)
	if ward != "" {
		q = strings.Replace(q, "WHERE r <=", "WHERE ward_code = '"+ward+"' AND r <=", 1)
	}
	return q
}

// flatMonths is the marts' floor: one pass over the flat table, the form's
// counts per ward and month.
const flatMonths = `SELECT ward_code, date_trunc('month', received_at) AS month, count(*) AS received,
  count(completed_at) AS resolved, count(*) FILTER (WHERE completed_at > due_at) AS late, count(withdrawn_at) AS withdrawn
FROM flat GROUP BY ALL`

type scalePaths struct{ base, flat, night, lake string }

func scalePathsFor(dir string, n int) scalePaths {
	return scalePaths{
		base:  filepath.Join(dir, fmt.Sprintf("scale-%d.duckdb", n)),
		flat:  filepath.Join(dir, fmt.Sprintf("scale-flat-%d.duckdb", n)),
		night: filepath.Join(dir, fmt.Sprintf("scale-night-%d.csv", n)),
		lake:  filepath.Join(dir, fmt.Sprintf("scale-lake-%d", n)),
	}
}

// runScaleCase runs one scale case in this (child) process.
func runScaleCase(ctx context.Context, name, dir, work string) (result, error) {
	n := scaleN()
	if n <= 0 {
		return result{}, fmt.Errorf("%s: -scale-n is not set", name)
	}
	p := scalePathsFor(dir, n)
	size := func(path string) int64 {
		st, err := os.Stat(path)
		if err != nil {
			return 0
		}
		return st.Size()
	}
	timed := func(f func() (int64, error)) (result, error) {
		start := time.Now()
		rows, err := f()
		return result{Seconds: time.Since(start).Seconds(), Rows: rows}, err
	}
	// query runs q over the warehouse (or the flat file) and reads every row.
	query := func(db string, readOnly bool, q string, args ...any) (result, error) {
		w, err := warehouse.Open(ctx, db, warehouse.Options{ReadOnly: readOnly, Today: scaleToday})
		if err != nil {
			return result{}, err
		}
		defer w.Close()
		return timed(func() (int64, error) {
			rows, err := w.DB().QueryContext(ctx, q, args...)
			if err != nil {
				return 0, err
			}
			defer rows.Close()
			var k int64
			for rows.Next() {
				k++
			}
			return k, rows.Err()
		})
	}
	flatQuery := func(q string) (result, error) {
		db, err := openFlat(p.flat)
		if err != nil {
			return result{}, err
		}
		defer db.Close()
		return timed(func() (int64, error) {
			rows, err := db.QueryContext(ctx, q)
			if err != nil {
				return 0, err
			}
			defer rows.Close()
			var k int64
			for rows.Next() {
				k++
			}
			return k, rows.Err()
		})
	}
	form := func(o warehouse.ReportOptions) (result, error) {
		w, err := warehouse.Open(ctx, p.base, warehouse.Options{ReadOnly: true, Today: scaleToday})
		if err != nil {
			return result{}, err
		}
		defer w.Close()
		return timed(func() (int64, error) {
			rows, err := w.ReportForm(ctx, o)
			if err != nil {
				return 0, err
			}
			defer rows.Close()
			var k int64
			for rows.Next() {
				k++
			}
			return k, rows.Err()
		})
	}
	year := warehouse.ReportOptions{From: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)}
	month := warehouse.ReportOptions{From: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC)}
	if mart, ok := strings.CutPrefix(name, "scale-mart:"); ok {
		return query(p.base, true, `SELECT * FROM `+mart)
	}
	switch name {
	case "scale-gen":
		if size(p.night) == 0 {
			if err := writeScaleNight(ctx, p.night, n); err != nil {
				return result{}, err
			}
		}
		if size(p.base) > 0 && size(p.flat) > 0 {
			return result{Rows: int64(n), Bytes: size(p.base)}, nil
		}
		r, err := timed(func() (int64, error) { return int64(n), makeScaleBase(ctx, p.base, p.flat, n) })
		r.Bytes = size(p.base)
		return r, err
	case "scale-size":
		return result{Rows: int64(n), Bytes: size(p.base)}, nil
	case "scale-size-floor":
		return result{Rows: int64(n), Bytes: size(p.flat)}, nil
	case "scale-form-year":
		return form(year)
	case "scale-form-year-floor", "scale-form-district-floor":
		return flatQuery(flatFormFor("2024-01-01", "2024-12-31", ""))
	case "scale-form-month":
		return form(month)
	case "scale-form-month-floor":
		return flatQuery(flatFormFor("2024-06-01", "2024-06-30", ""))
	case "scale-form-district":
		o := year
		o.By = "district"
		return form(o)
	case "scale-form-ward":
		o := year
		o.Ward = bench.WardOf(3)
		return form(o)
	case "scale-form-ward-floor":
		return flatQuery(flatFormFor("2024-01-01", "2024-12-31", bench.WardOf(3)))
	case "scale-ward-month":
		return query(p.base, true, `SELECT * FROM ward_month`)
	case "scale-marts-floor":
		return flatQuery(flatMonths)
	case "scale-lake":
		// The whole lake, written into an empty folder; kept for the night.
		os.RemoveAll(p.lake)
		w, err := warehouse.Open(ctx, p.base, warehouse.Options{Today: scaleToday}) // a read-only warehouse may not write files
		if err != nil {
			return result{}, err
		}
		defer w.Close()
		r, err := timed(func() (int64, error) {
			res, err := w.ExportLake(ctx, p.lake)
			return int64(res.Written + res.Facts.Written), err
		})
		r.Bytes = dirSize(p.lake)
		return r, err
	case "scale-lake-floor":
		out := filepath.Join(work, "flat-lake")
		db, err := openFlat(p.flat)
		if err != nil {
			return result{}, err
		}
		defer db.Close()
		r, err := timed(func() (int64, error) {
			_, err := db.ExecContext(ctx, fmt.Sprintf(`COPY (SELECT *, strftime(received_at, '%%Y-%%m') AS month FROM flat) TO '%s' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (month))`, out))
			return int64(n), err
		})
		r.Bytes = dirSize(out)
		return r, err
	case "scale-night", "scale-night-empty":
		return scaleNightCase(ctx, name == "scale-night", p, work)
	case "scale-publish-floor":
		// The publish is a copy of the whole file: its floor is the plain copy.
		return timed(func() (int64, error) { return 0, copyFile(p.base, filepath.Join(work, "copy.duckdb")) })
	}
	return result{}, fmt.Errorf("unknown case %q", name)
}

// scaleNightCase is a night as `wardstat run` does it: the night's file
// loaded, the data tests, the dashboards' marts (the export job), the lake
// brought up to date, and the analysts' snapshot published (the build
// job). Into a copy of the base and of its lake when onBase, else into an
// empty warehouse and lake. Each step's seconds are in Steps.
func scaleNightCase(ctx context.Context, onBase bool, p scalePaths, work string) (result, error) {
	db := filepath.Join(work, "night.duckdb")
	lake := filepath.Join(work, "lake")
	os.RemoveAll(lake)
	if onBase {
		// Off the clock, the night before as the daemon leaves it: the
		// base's data-test verdict and its lake as of this build (a model
		// changed since they were made would have the night rerun every
		// data test, or export the whole lake).
		if err := nightBefore(ctx, p); err != nil {
			return result{}, err
		}
		if err := copyFile(p.base, db); err != nil {
			return result{}, err
		}
		// Times kept: the manifest's times tell the export which files it
		// wrote; a copy with new times has every file of the lake hashed
		// again (to tell a touched file from a damaged one), which a real
		// night, in its own lake, never does.
		if out, err := exec.Command("cp", "-r", "--preserve=timestamps", p.lake, lake).CombinedOutput(); err != nil {
			return result{}, fmt.Errorf("copying the lake (run scale-lake first): %v: %s", err, out)
		}
	}
	snapshot := filepath.Join(work, "snapshot", "snapshot.duckdb")
	os.RemoveAll(filepath.Dir(snapshot))
	if onBase {
		// A night publishes over the snapshot and its spare of the nights
		// before: two publishes off the clock leave both, as a real night
		// finds them (warehouse/publish.go).
		if err := publishTwice(ctx, db, snapshot); err != nil {
			return result{}, err
		}
	}
	steps := map[string]float64{}
	start := time.Now()
	mark := func(step string, t0 time.Time) { steps[step] = time.Since(t0).Seconds() }
	t0 := time.Now()
	w, err := warehouse.Open(ctx, db, warehouse.Options{Today: scaleToday, Logger: slog.New(lakeSteps{steps})})
	if err != nil {
		return result{}, err
	}
	defer w.Close()
	mark("open", t0)
	t0 = time.Now()
	res, err := pipeline.File(ctx, w, p.night, pipeline.FileOptions{Hasher: transform.NewHasher([]byte("bench"))})
	if err != nil {
		return result{}, err
	}
	mark("load", t0)
	t0 = time.Now()
	// As the build job runs them (the export job after it reuses the
	// verdict): over the night's dossiers, after the base's verdict.
	if _, err := w.RunChangedDataTests(ctx); err != nil {
		return result{}, err
	}
	mark("data tests", t0)
	t0 = time.Now()
	// As the export job: the lake first, then the dashboards' marts into
	// the same folder (ward_month read from the lake it just brought up
	// to date).
	lr, err := w.ExportLake(ctx, lake)
	if err != nil {
		return result{}, err
	}
	mark("lake", t0)
	t0 = time.Now()
	lastMonth := time.Date(scaleToday.Year(), scaleToday.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	yearStart := time.Date(scaleToday.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := w.ExportMarts(ctx, lake, lastMonth, yearStart, scaleToday); err != nil {
		return result{}, err
	}
	mark("marts", t0)
	steps["lake partitions written"] = float64(lr.Written + lr.Facts.Written)
	t0 = time.Now()
	pub, err := w.PublishReport(ctx, snapshot, -1)
	if err != nil {
		return result{}, err
	}
	mark("publish", t0)
	steps["publish MB written"] = float64(pub.Written) / 1e6
	st, _ := os.Stat(db)
	r := result{Seconds: time.Since(start).Seconds(), Rows: res.Result.Read, Steps: steps}
	if st != nil {
		r.Bytes = st.Size()
	}
	return r, nil
}

// nightBefore brings the base's data-test verdict and its lake up to this
// build: cheap when they are (the verdict covers every dossier, the lake
// is as of the base's last load), whole when a model changed.
func nightBefore(ctx context.Context, p scalePaths) error {
	w, err := warehouse.Open(ctx, p.base, warehouse.Options{Today: scaleToday})
	if err != nil {
		return err
	}
	defer w.Close()
	if _, err := w.RunChangedDataTests(ctx); err != nil {
		return fmt.Errorf("the base's data tests: %w", err)
	}
	if _, err := w.ExportLake(ctx, p.lake); err != nil {
		return fmt.Errorf("the base's lake (run scale-lake first): %w", err)
	}
	return nil
}

// publishTwice publishes the warehouse at db to snapshot twice, so that a
// snapshot and its spare are there before the night's publish.
func publishTwice(ctx context.Context, db, snapshot string) error {
	w, err := warehouse.Open(ctx, db, warehouse.Options{Today: scaleToday})
	if err != nil {
		return err
	}
	defer w.Close()
	for range 2 {
		if err := w.Publish(ctx, snapshot, -1); err != nil {
			return fmt.Errorf("the nights before's snapshot: %w", err)
		}
	}
	return nil
}

func dirSize(dir string) int64 {
	var total int64
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			total += info.Size()
		}
		return nil
	})
	return total
}

// lakeSteps is a log handler keeping the lake export's steps' seconds
// (its "lake export step" records) in a night's steps, as "lake: <step>".
type lakeSteps struct{ steps map[string]float64 }

func (lakeSteps) Enabled(context.Context, slog.Level) bool { return true }
func (h lakeSteps) WithAttrs([]slog.Attr) slog.Handler     { return h }
func (h lakeSteps) WithGroup(string) slog.Handler          { return h }

func (h lakeSteps) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "lake export step" {
		return nil
	}
	var step string
	var seconds float64
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "step":
			step = a.Value.String()
		case "seconds":
			seconds = a.Value.Float64()
		}
		return true
	})
	if step != "" {
		h.steps["lake: "+step] += seconds
	}
	return nil
}
